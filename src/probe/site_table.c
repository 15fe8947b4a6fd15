#include "probe/site_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/coroutine_layout.h"
#include "probe/dwarf_index.h"
#include "probe/elf_symbols.h"
#include "probe/rust_demangle.h"
#include "probe/site_proof.h"
#include "probe/task_type.h"

/* Never probed: their futures are thin forwarding wrappers (Pin, &mut F,
 * poll_fn), and probing them would double every poll below them. */
static const char *const never_probed_crates[] = {"std", "core", "alloc"};

static bool is_never_probed(const char *crate)
{
	size_t i;

	for (i = 0; i < sizeof(never_probed_crates) / sizeof(never_probed_crates[0]); i++)
		if (strcmp(crate, never_probed_crates[i]) == 0)
			return true;
	return false;
}

/* Demangled paths of all symbols, NULL where a symbol is not Rust. */
static char **demangle_all(const struct elf_symbols *syms, size_t *rust_count)
{
	char **paths = calloc(syms->count ? syms->count : 1, sizeof(*paths));
	size_t i;

	if (!paths)
		return NULL;
	*rust_count = 0;
	for (i = 0; i < syms->count; i++) {
		paths[i] = rust_demangle_path(syms->syms[i].name);
		if (paths[i])
			(*rust_count)++;
	}
	return paths;
}

static void free_paths(char **paths, size_t n)
{
	size_t i;

	for (i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

static bool any_path_matches(char **paths, size_t n, const struct pattern_list *patterns)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (paths[i] && pattern_list_matches(patterns, paths[i]))
			return true;
	return false;
}

/* The first runtime of the config whose detect patterns the symbols match. */
static const struct runtime_profile *detect_runtime(const struct config *cfg, char **paths,
						    size_t n)
{
	size_t i;

	for (i = 0; i < cfg->runtime_count; i++)
		if (any_path_matches(paths, n, &cfg->runtimes[i].detect))
			return &cfg->runtimes[i];
	return NULL;
}

/* --runtime NAME names a runtime the binary must link: without its symbols
 * no task poll would be found, and every future would look like a
 * block_on of its own. A config's runtime without detect patterns is
 * taken on the user's word. */
static int check_named_runtime(const struct site_scan_opts *opts, char **paths, size_t n,
			       const struct runtime_profile *rt, char *err, size_t errlen)
{
	const struct runtime_profile *found;

	if (!rt->detect.count || any_path_matches(paths, n, &rt->detect))
		return 0;
	found = detect_runtime(opts->cfg, paths, n);
	snprintf(err, errlen, "--runtime %s: the binary has none of its symbols (%s%s)%s%s%s",
		 rt->name, rt->detect.items[0], rt->detect.count > 1 ? ", ..." : "",
		 found ? "; it runs " : "", found ? found->name : "",
		 found ? ": try --runtime auto" : "");
	return -ESRCH;
}

static int pick_runtime(const struct site_scan_opts *opts, char **paths, size_t n,
			const struct runtime_profile **out, char *err, size_t errlen)
{
	const struct config *cfg = opts->cfg;
	size_t i;

	if (strcmp(opts->runtime, "auto") != 0) {
		*out = config_find_runtime(cfg, opts->runtime);
		if (*out)
			return check_named_runtime(opts, paths, n, *out, err, errlen);
		snprintf(err, errlen, "unknown runtime '%s' (the config defines:", opts->runtime);
		for (i = 0; i < cfg->runtime_count; i++)
			snprintf(err + strlen(err), errlen - strlen(err), " %s",
				 cfg->runtimes[i].name);
		snprintf(err + strlen(err), errlen - strlen(err), ")");
		return -EINVAL;
	}
	*out = detect_runtime(cfg, paths, n);
	if (*out)
		return 0;
	/* No known runtime: trace the futures anyway, each outermost poll on
	 * a thread a task (site_table_runtime_assumed says so). */
	*out = config_find_runtime(cfg, ASSUMED_RUNTIME);
	if (*out)
		return 0;
	snprintf(err, errlen, "no async runtime found in the symbols (looked for:");
	for (i = 0; i < cfg->runtime_count; i++)
		snprintf(err + strlen(err), errlen - strlen(err), " %s", cfg->runtimes[i].name);
	snprintf(err + strlen(err), errlen - strlen(err),
		 "; add a [runtime NAME] section with -c)");
	return -ESRCH;
}

/* The crate that defines `fn main`: "app::main" with app not a library. */
static void find_app_crate(const struct config *cfg, char **paths, size_t n, char *crate,
			   size_t len)
{
	size_t i;

	crate[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *p = paths[i], *sep;

		if (!p || p[0] == '<' || !(sep = strstr(p, "::")) || strcmp(sep, "::main") != 0)
			continue;
		snprintf(crate, len, "%.*s", (int)(sep - p), p);
		if (!pattern_list_contains(&cfg->library_crates, crate))
			return;
	}
	crate[0] = '\0';
}

static bool is_app_crate(const struct site_table *t, const struct config *cfg, const char *crate)
{
	if (cfg->app_crates.count)
		return pattern_list_contains(&cfg->app_crates, crate);
	if (t->app_crate[0])
		return strcmp(crate, t->app_crate) == 0;
	return !pattern_list_contains(&cfg->library_crates, crate) && !is_never_probed(crate);
}

static enum future_kind kind_from_dwarf(const struct dwarf_fn_info *fn, enum future_kind guess)
{
	if (!fn || guess == FUTURE_USER_FUTURE)
		return guess;
	switch (fn->kind) {
	case DWARF_FN_ASYNC_FN:
		return FUTURE_ASYNC_FN;
	case DWARF_FN_ASYNC_BLOCK:
		return FUTURE_ASYNC_BLOCK;
	case DWARF_FN_CLOSURE:
		return FUTURE_CLOSURE;
	default:
		return guess;
	}
}

/* Coroutines and Future impls of every crate in scope; plain closures only
 * in the application's crates and when asked for (closures = yes: they are
 * not futures, and a runtime has hundreds hit on every request). Without
 * DWARF a closure cannot be told from a coroutine, so outside the app only
 * Future impls are probed. */
static bool future_in_scope(const struct site_scan_opts *opts, enum future_kind kind, bool app,
			    bool kind_known, const char *crate)
{
	if (kind == FUTURE_NONE || is_never_probed(crate))
		return false;
	if (kind_known && kind == FUTURE_CLOSURE && !opts->cfg->closures)
		return false;
	if (app)
		return true;
	if (opts->cfg->scope != SCOPE_ALL)
		return false;
	if (kind == FUTURE_USER_FUTURE)
		return true;
	return kind_known && kind != FUTURE_CLOSURE;
}

static struct site *append_site(struct site_table *t)
{
	if (t->count == t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 256;
		struct site *grown = realloc(t->sites, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		t->sites = grown;
		t->capacity = cap;
	}
	memset(&t->sites[t->count], 0, sizeof(t->sites[0]));
	return &t->sites[t->count++];
}

static char *format_location(const struct dwarf_fn_info *fn)
{
	char *loc;

	if (!fn || !fn->file || fn->line <= 0)
		return NULL;
	return asprintf(&loc, "%s:%d", fn->file, fn->line) < 0 ? NULL : loc;
}

struct candidate {
	enum site_role role;
	enum future_kind kind;
	bool app;
	bool deferred;
	char crate[CRATE_NAME_MAX];
};

/* Decides whether a function gets a probe, and as what. */
static bool choose_site(const struct site_table *t, const struct site_scan_opts *opts,
			const char *path, const struct dwarf_fn_info *fn, struct candidate *c)
{
	struct path_class pc;

	if (pattern_list_matches(&t->runtime->task_poll, path)) {
		c->role = SITE_TASK_POLL;
		return true;
	}
	if (pattern_list_matches(&t->runtime->task_end, path)) {
		c->role = SITE_TASK_END;
		return true;
	}
	if (opts->cfg->wakes && pattern_list_matches(&t->runtime->task_wake, path)) {
		c->role = SITE_TASK_WAKE;
		return true;
	}
	if (opts->cfg->wakes && pattern_list_matches(&t->runtime->task_wake_deferred, path)) {
		c->role = SITE_WAKE_DEFERRER;
		return true;
	}
	if (pattern_list_matches(&opts->cfg->exclude, path))
		return false;
	classify_path(path, &pc);
	c->role = SITE_FUTURE;
	c->kind = kind_from_dwarf(fn, pc.kind);
	c->app = is_app_crate(t, opts->cfg, pc.crate);
	c->deferred = opts->tasks_only;
	snprintf(c->crate, sizeof(c->crate), "%s", pc.crate);
	return future_in_scope(opts, c->kind, c->app, fn != NULL, pc.crate);
}

/* The app's futures a library's task type runs ("app::main::{async_block#0},
 * app::hello" for hyper's NewSvcTask), comma-separated; NULL if none. */
static char *app_futures_of(const struct site_table *t, const struct config *cfg,
			    const struct task_type *type)
{
	char *out = NULL, *grown, crate[CRATE_NAME_MAX];
	size_t i, len = 0;

	for (i = 0; i < type->inner_count; i++) {
		crate_of(type->inner[i], crate, sizeof(crate));
		if (!is_app_crate(t, cfg, crate))
			continue;
		grown = realloc(out, len + strlen(type->inner[i]) + 3);
		if (!grown)
			break;
		out = grown;
		len += (size_t)sprintf(out + len, "%s%s", len ? ", " : "", type->inner[i]);
	}
	return out;
}

static void name_task_poll(struct site_table *t, const struct config *cfg, struct site *s,
			   const struct dwarf_fn_info *fn)
{
	struct task_type type;

	if (!fn || task_type_parse(fn->name, &type) <= 0)
		return;
	s->name = type.name;
	type.name = NULL;
	s->type_detail = app_futures_of(t, cfg, &type);
	task_type_free(&type);
}

/* Takes ownership of path. */
static int add_site(struct site_table *t, const struct config *cfg, const struct elf_symbol *sym,
		    char *path, const struct dwarf_fn_info *fn, const struct candidate *c)
{
	struct site *s = append_site(t);

	if (!s) {
		free(path);
		return -ENOMEM;
	}
	s->role = c->role;
	s->kind = c->kind;
	s->app = c->app;
	memcpy(s->crate, c->crate, sizeof(s->crate));
	s->addr = sym->addr;
	s->size = sym->size;
	s->file_offset = sym->file_offset;
	s->path = path;
	s->location = format_location(fn);
	s->deferred = c->deferred;
	if (c->role == SITE_FUTURE)
		s->name = display_name(path, c->kind,
				       !fn	       ? NULL
				       : fn->qualified ? fn->qualified
						       : fn->name);
	else if (c->role == SITE_TASK_POLL)
		name_task_poll(t, cfg, s, fn);
	if (!s->name)
		s->name = strdup(path);
	return s->name ? 0 : -ENOMEM;
}

/* A function that would have had a probe, but whose start is not proved. */
static void note_unproven(struct site_table *t, const char *path)
{
	if (!t->unproven++)
		snprintf(t->unproven_example, sizeof(t->unproven_example), "%s", path);
}

int site_table_build(const struct elf_symbols *syms, const struct dwarf_index *dwarf,
		     const struct site_scan_opts *opts, struct site_table *out, char *err,
		     size_t errlen)
{
	char **paths;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	paths = demangle_all(syms, &out->rust_symbols);
	if (!paths)
		return -ENOMEM;
	ret = -ENOEXEC;
	if (out->rust_symbols == 0) {
		snprintf(err, errlen, "no Rust symbols found: not a Rust binary");
		goto cleanup;
	}
	ret = pick_runtime(opts, paths, syms->count, &out->runtime, err, errlen);
	if (ret)
		goto cleanup;
	find_app_crate(opts->cfg, paths, syms->count, out->app_crate, sizeof(out->app_crate));
	out->dwarf_used = dwarf != NULL;
	for (i = 0; i < syms->count; i++) {
		const struct dwarf_fn_info *fn;
		struct candidate c = {0};

		if (!paths[i])
			continue;
		fn = dwarf ? dwarf_index_lookup(dwarf, syms->syms[i].addr) : NULL;
		if (!choose_site(out, opts, paths[i], fn, &c))
			continue;
		if (!site_placement_proven(syms, syms->syms[i].addr, syms->syms[i].file_offset)) {
			note_unproven(out, paths[i]);
			continue;
		}
		ret = add_site(out, opts->cfg, &syms->syms[i], paths[i], fn, &c);
		paths[i] = NULL; /* owned by the site now */
		if (ret)
			goto cleanup;
	}
	ret = 0;
cleanup:
	free_paths(paths, syms->count);
	if (ret)
		site_table_free(out);
	return ret;
}

void site_table_free(struct site_table *table)
{
	size_t i;

	for (i = 0; i < table->count; i++) {
		free(table->sites[i].path);
		free(table->sites[i].name);
		free(table->sites[i].type_detail);
		free(table->sites[i].location);
		coroutine_layout_free(table->sites[i].layout);
	}
	free(table->sites);
	memset(table, 0, sizeof(*table));
}

bool site_table_runtime_assumed(const struct site_table *table)
{
	return table->runtime && table->runtime->detect.count == 0 &&
	       strcmp(table->runtime->name, ASSUMED_RUNTIME) == 0;
}

const char *site_task_type(const struct site *s)
{
	return s->role == SITE_TASK_POLL && strcmp(s->name, s->path) != 0 ? s->name : NULL;
}

size_t site_table_count_deferred(const struct site_table *table)
{
	size_t i, n = 0;

	for (i = 0; i < table->count; i++)
		n += table->sites[i].deferred;
	return n;
}

size_t site_table_count_role(const struct site_table *table, enum site_role role)
{
	size_t i, n = 0;

	for (i = 0; i < table->count; i++)
		n += table->sites[i].role == role;
	return n;
}
