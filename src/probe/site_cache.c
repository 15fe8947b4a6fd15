#include "probe/site_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/coroutine_layout.h"
#include "probe/debug_file.h"
#include "probe/elf_symbols.h"
#include "probe/site_proof.h"
#include "probe/stack_scan.h"
#include "util/atomic_file.h"

#define CACHE_MAGIC   "CATTOPSC"
#define CACHE_VERSION 9
#define MAX_STRING    4096
#define MAX_ITEMS     (1U << 22)

/* ------------------------------------------------------------ the key --- */

static uint64_t mix(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n--)
		h = (h ^ *p++) * 1099511628211ULL; /* FNV-1a */
	return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return mix(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static uint64_t mix_list(uint64_t h, const struct pattern_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		h = mix_str(h, l->items[i]);
	return mix_str(h, "|");
}

/* Everything that decides which sites a scan finds. */
static uint64_t key_hash(const struct site_cache_key *key)
{
	const struct config *cfg = key->opts->cfg;
	uint64_t h = 1469598103934665603ULL;
	int version = CACHE_VERSION;
	size_t i;

	h = mix(h, &version, sizeof(version));
	/* DWARF in the binary itself: the binary's path names a descriptor
	 * of this run (target.h), which must not split the cache. */
	h = mix_str(h, strcmp(key->dwarf_path, key->binary) ? key->dwarf_path : "(binary)");
	h = mix_str(h, key->opts->runtime);
	h = mix(h, &key->opts->tasks_only, sizeof(key->opts->tasks_only));
	h = mix(h, &cfg->scope, sizeof(cfg->scope));
	h = mix(h, &cfg->closures, sizeof(cfg->closures));
	h = mix(h, &cfg->wakes, sizeof(cfg->wakes));
	h = mix_list(mix_list(mix_list(h, &cfg->library_crates), &cfg->app_crates), &cfg->exclude);
	for (i = 0; i < cfg->runtime_count; i++) {
		const struct runtime_profile *r = &cfg->runtimes[i];

		h = mix_str(h, r->name);
		h = mix_list(mix_list(mix_list(h, &r->detect), &r->task_poll), &r->task_end);
		h = mix_list(mix_list(h, &r->task_wake), &r->task_wake_deferred);
	}
	return h;
}

/* The files the sites came from, as they are now. */
struct file_stamp {
	uint64_t size, mtime_ns;
};

static int stamp_of(const char *path, struct file_stamp *st)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (!path || !path[0])
		return 0;
	if (stat(path, &sb))
		return -errno;
	st->size = (uint64_t)sb.st_size;
	st->mtime_ns = (uint64_t)sb.st_mtim.tv_sec * 1000000000ULL + (uint64_t)sb.st_mtim.tv_nsec;
	return 0;
}

static int cache_path(const struct site_cache_key *key, char *out, size_t len, bool create)
{
	const char *base = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[3800], id[128];

	if (elf_build_id(key->binary, id, sizeof(id)))
		return -ENOENT; /* no build id: nothing names the binary */
	if (base && base[0] == '/')
		snprintf(dir, sizeof(dir), "%s/cattop", base);
	else if (home && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.cache/cattop", home);
	else
		return -ENOENT;
	if (create) {
		char parent[4096];

		snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(dir, '/') - dir), dir);
		mkdir(parent, 0700);
		mkdir(dir, 0700);
	}
	snprintf(out, len, "%s/%s-%016" PRIx64 ".sites", dir, id, key_hash(key));
	return 0;
}

/* ------------------------------------------------------------ writing --- */

static void put(FILE *f, const void *p, size_t n)
{
	fwrite(p, 1, n, f);
}

static void put_u64(FILE *f, uint64_t v)
{
	put(f, &v, sizeof(v));
}

static void put_str(FILE *f, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : 0;

	put(f, &n, sizeof(n));
	put(f, s ? s : "", n);
}

static void put_layout(FILE *f, const struct coroutine_layout *l)
{
	size_t i;

	put_u64(f, l ? 1 : 0);
	if (!l)
		return;
	put_u64(f, l->size);
	put_u64(f, l->state_offset);
	put_u64(f, l->state_size);
	put_u64(f, l->nstates);
	for (i = 0; i < l->nstates; i++)
		put_str(f, l->state_location[i]);
	for (i = 0; i < l->nstates; i++)
		put_u64(f, l->macro_await && l->macro_await[i]);
	for (i = 0; i < l->nstates; i++)
		put_str(f, l->state_awaitee ? l->state_awaitee[i] : NULL);
}

static void put_site(FILE *f, const struct site *s)
{
	uint64_t flags = (uint64_t)s->role | (uint64_t)s->kind << 8 | (uint64_t)s->app << 16 |
			 (uint64_t)s->self_in_parm2 << 17 | (uint64_t)s->single_step << 18 |
			 (uint64_t)s->deferred << 19;

	put_u64(f, flags);
	put_u64(f, s->addr);
	put_u64(f, s->file_offset);
	put_str(f, s->crate);
	put_str(f, s->path);
	put_str(f, s->name);
	put_str(f, s->type_detail);
	put_str(f, s->location);
	put_layout(f, s->layout);
}

void site_cache_store(const struct site_cache_key *key, const struct site_table *sites,
		      const struct inlined_futures *inlined)
{
	struct file_stamp bin, dw;
	struct atomic_file af;
	char path[4200], err[256];
	size_t i;

	if (cache_path(key, path, sizeof(path), true) || stamp_of(key->binary, &bin) ||
	    stamp_of(key->dwarf_path, &dw) || atomic_file_open(&af, path, err, sizeof(err)))
		return;
	put(af.file, CACHE_MAGIC, 8);
	put_u64(af.file, key_hash(key));
	put(af.file, &bin, sizeof(bin));
	put(af.file, &dw, sizeof(dw));
	put_str(af.file, sites->runtime ? sites->runtime->name : "");
	put_str(af.file, sites->app_crate);
	put_u64(af.file, sites->rust_symbols);
	put_u64(af.file, sites->dwarf_used);
	put_u64(af.file, sites->count);
	for (i = 0; i < sites->count; i++)
		put_site(af.file, &sites->sites[i]);
	put_u64(af.file, inlined->count);
	for (i = 0; i < inlined->count; i++) {
		const struct inlined_future *in = &inlined->list[i];

		put_str(af.file, in->name);
		put_str(af.file, in->location);
		put_str(af.file, in->into);
		put_u64(af.file, (uint64_t)in->kind | (uint64_t)(uint32_t)in->into_site << 32);
	}
	put_u64(af.file, sites->unproven);
	put_str(af.file, sites->unproven_example);
	atomic_file_close(&af, false, err, sizeof(err));
}

/* ------------------------------------------------------------ reading --- */

struct in {
	FILE *f;
	bool bad;
};

static void get(struct in *in, void *p, size_t n)
{
	if (!in->bad && fread(p, 1, n, in->f) != n)
		in->bad = true;
}

static uint64_t get_u64(struct in *in)
{
	uint64_t v = 0;

	get(in, &v, sizeof(v));
	return v;
}

/* NULL for the empty string (or a bad file: in->bad says which). */
static char *get_str(struct in *in)
{
	uint32_t n = 0;
	char *s;

	get(in, &n, sizeof(n));
	if (in->bad || n > MAX_STRING || !n) {
		in->bad |= n > MAX_STRING;
		return NULL;
	}
	s = malloc(n + 1);
	if (!s) {
		in->bad = true;
		return NULL;
	}
	get(in, s, n);
	s[n] = '\0';
	return s;
}

/* A string put_str wrote for NULL ("") reads back as NULL. */
static char *get_opt_str(struct in *in)
{
	char *s = get_str(in);

	if (s && !s[0]) {
		free(s);
		return NULL;
	}
	return s;
}

static struct coroutine_layout *get_layout(struct in *in)
{
	struct coroutine_layout *l;
	uint64_t i, n;

	if (!get_u64(in))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		in->bad = true;
		return NULL;
	}
	l->size = get_u64(in);
	l->state_offset = get_u64(in);
	l->state_size = (uint8_t)get_u64(in);
	n = get_u64(in);
	if (n > 4096 || (l->state_size != 1 && l->state_size != 2 && l->state_size != 4) ||
	    !(l->state_location = calloc(n ? n : 1, sizeof(char *))) ||
	    !(l->macro_await = calloc(n ? n : 1, sizeof(bool))) ||
	    !(l->state_awaitee = calloc(n ? n : 1, sizeof(char *)))) {
		in->bad = true;
		coroutine_layout_free(l);
		return NULL;
	}
	l->nstates = n;
	for (i = 0; i < n; i++)
		l->state_location[i] = get_str(in);
	for (i = 0; i < n; i++)
		l->macro_await[i] = get_u64(in) != 0;
	for (i = 0; i < n; i++)
		l->state_awaitee[i] = get_str(in);
	return l;
}

/* The same proof as a scan's (site_proof.h): a cache never places a probe.
 * The function's size is the symbol table's. */
static bool site_proven_in_binary(struct site *s, const struct elf_symbols *syms)
{
	if (!site_placement_proven(syms, s->addr, s->file_offset))
		return false;
	s->size = symbol_at(syms, s->addr)->size;
	return true;
}

static void get_site(struct in *in, struct site *s)
{
	uint64_t flags = get_u64(in);
	char *crate;

	s->role = (enum site_role)(flags & 0xff);
	s->kind = (enum future_kind)(flags >> 8 & 0xff);
	s->app = flags >> 16 & 1;
	s->self_in_parm2 = flags >> 17 & 1;
	s->single_step = flags >> 18 & 1;
	s->deferred = flags >> 19 & 1;
	s->addr = get_u64(in);
	s->file_offset = get_u64(in);
	crate = get_str(in);
	snprintf(s->crate, sizeof(s->crate), "%s", crate ? crate : "");
	free(crate);
	s->path = get_str(in);
	s->name = get_str(in);
	s->type_detail = get_opt_str(in);
	s->location = get_opt_str(in);
	s->layout = get_layout(in);
	if (!s->path || !s->name || s->role > SITE_WAKE_DEFERRER || s->kind > FUTURE_USER_FUTURE)
		in->bad = true;
}

static int read_sites(struct in *in, const struct site_cache_key *key,
		      const struct elf_symbols *syms, struct site_table *sites)
{
	char *runtime = get_str(in), *app = get_str(in);
	uint64_t i, n;

	sites->runtime = runtime ? config_find_runtime(key->opts->cfg, runtime) : NULL;
	snprintf(sites->app_crate, sizeof(sites->app_crate), "%s", app ? app : "");
	free(runtime);
	free(app);
	sites->rust_symbols = get_u64(in);
	sites->dwarf_used = get_u64(in) != 0;
	n = get_u64(in);
	if (in->bad || !sites->runtime || n > MAX_ITEMS ||
	    !(sites->sites = calloc(n ? n : 1, sizeof(*sites->sites))))
		return -EINVAL;
	sites->capacity = n;
	for (i = 0; i < n && !in->bad; i++) {
		get_site(in, &sites->sites[i]);
		sites->count = i + 1; /* so that freeing frees it */
		if (!in->bad && !site_proven_in_binary(&sites->sites[i], syms))
			in->bad = true;
	}
	return in->bad ? -EINVAL : 0;
}

static int read_inlined(struct in *in, struct inlined_futures *out)
{
	uint64_t i, n = get_u64(in), word;

	if (in->bad || n > MAX_ITEMS || !(out->list = calloc(n ? n : 1, sizeof(*out->list))))
		return -EINVAL;
	for (i = 0; i < n && !in->bad; i++) {
		struct inlined_future *f = &out->list[i];

		f->name = get_str(in);
		f->location = get_str(in);
		f->into = get_str(in);
		word = get_u64(in);
		f->kind = (enum future_kind)(word & 0xff);
		f->into_site = (int)(int32_t)(word >> 32);
		out->count = i + 1;
		if (!f->name || !f->into)
			in->bad = true;
	}
	return in->bad ? -EINVAL : 0;
}

static int read_unproven(struct in *in, struct site_table *sites)
{
	char *example;

	sites->unproven = get_u64(in);
	example = get_str(in);
	snprintf(sites->unproven_example, sizeof(sites->unproven_example), "%s",
		 example ? example : "");
	free(example);
	return in->bad ? -EINVAL : 0;
}

/* Mine alone: a cache another user could write could send probes anywhere. */
static bool trusted(int fd, const char *path)
{
	char dir[4200];
	struct stat sb;
	const char *slash = strrchr(path, '/');

	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 022))
		return false;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	return stat(dir, &sb) == 0 && sb.st_uid == geteuid() && !(sb.st_mode & 022);
}

static int read_cache(struct in *in, const struct site_cache_key *key,
		      const struct elf_symbols *syms, struct site_table *sites,
		      struct inlined_futures *inlined)
{
	struct file_stamp bin, dw, cached_bin, cached_dw;
	char magic[8];

	get(in, magic, sizeof(magic));
	if (in->bad || memcmp(magic, CACHE_MAGIC, 8) || get_u64(in) != key_hash(key))
		return -ENOENT;
	get(in, &cached_bin, sizeof(cached_bin));
	get(in, &cached_dw, sizeof(cached_dw));
	if (in->bad || stamp_of(key->binary, &bin) || stamp_of(key->dwarf_path, &dw) ||
	    memcmp(&bin, &cached_bin, sizeof(bin)) || memcmp(&dw, &cached_dw, sizeof(dw)))
		return -ENOENT; /* rebuilt since */
	if (read_sites(in, key, syms, sites) || read_inlined(in, inlined) ||
	    read_unproven(in, sites))
		return -EINVAL;
	return 0;
}

int site_cache_load(const struct site_cache_key *key, const struct elf_symbols *syms,
		    struct site_table *sites, struct inlined_futures *inlined)
{
	struct in in = {NULL, false};
	char path[4200];
	int fd, ret;

	memset(sites, 0, sizeof(*sites));
	memset(inlined, 0, sizeof(*inlined));
	if (cache_path(key, path, sizeof(path), false))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (!trusted(fd, path) || !(in.f = fdopen(fd, "r"))) {
		close(fd);
		return -EPERM;
	}
	ret = read_cache(&in, key, syms, sites, inlined);
	fclose(in.f);
	if (ret) {
		site_table_free(sites);
		inlined_futures_free(inlined);
	}
	return ret;
}
