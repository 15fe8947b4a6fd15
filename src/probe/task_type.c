#include "probe/task_type.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/classify.h"

#define FN_ENV	  "::{async_fn_env#"
#define BLOCK_ENV "::{async_block_env#"

/* Types a runtime wraps around every spawned future and that only forward
 * its polls: the task is the future inside them, their last generic
 * argument (async-executor's spawn block is generic over <T, Fut>). Globs on
 * the type's path without its generic arguments. */
static const char *const forwarding_wrappers[] = {
    "async_executor::*::spawn*::{async_block_env#*}",
    "async_std::task::builder::SupportTaskLocals",
    "tracing::instrument::Instrumented",
};

/* The generic arguments of the type that starts at s: calls each [start,
 * end) in order, stops at the closing '>'. Returns the count, 0 if the type
 * has none before end. */
static int for_each_generic_arg(const char *s, const char *end, const char **args_start,
				const char **args_end, int max)
{
	const char *p = memchr(s, '<', (size_t)(end - s)), *arg;
	int depth = 0, n = 0;

	if (!p)
		return 0;
	arg = ++p;
	for (; p < end; p++) {
		if (*p == '<' || *p == '(' || *p == '[') {
			depth++;
		} else if (*p == '>' || *p == ')' || *p == ']') {
			/* "->" of a fn pointer is no bracket */
			if (*p == '>' && p > arg && p[-1] == '-')
				continue;
			if (depth-- == 0)
				break;
		} else if (*p == ',' && depth == 0) {
			if (n < max)
				args_start[n] = arg, args_end[n] = p;
			n++;
			arg = p + 1;
			while (*arg == ' ')
				arg++;
		}
	}
	if (p > arg && n < max)
		args_start[n] = arg, args_end[n] = p;
	return p > arg ? n + 1 : n;
}

/* The end of the outermost type's path in [s, end): before its generic
 * arguments. */
static const char *path_end(const char *s, const char *end)
{
	const char *lt = memchr(s, '<', (size_t)(end - s));

	return lt && lt > s ? lt : end;
}

static bool is_forwarding_wrapper(const char *s, const char *end)
{
	char path[512];
	size_t i;

	snprintf(path, sizeof(path), "%.*s", (int)(path_end(s, end) - s), s);
	for (i = 0; i < sizeof(forwarding_wrappers) / sizeof(forwarding_wrappers[0]); i++)
		if (fnmatch(forwarding_wrappers[i], path, 0) == 0)
			return true;
	return false;
}

/* The future the task runs: the first generic argument of the poll entry,
 * with the runtime's forwarding wrappers taken off. */
static int task_future(const char *dwarf_name, const char **start, const char **end)
{
	const char *s[8], *e[8];
	int n = for_each_generic_arg(dwarf_name, dwarf_name + strlen(dwarf_name), s, e, 8);

	if (n < 1)
		return 0;
	*start = s[0], *end = e[0];
	while (is_forwarding_wrapper(*start, *end)) {
		n = for_each_generic_arg(*start, *end, s, e, 8);
		if (n < 1 || n > 8)
			break;
		*start = s[n - 1], *end = e[n - 1];
	}
	return 1;
}

/* Where the path that ends at env (an "::{…_env#" marker) begins: after the
 * nearest opening bracket, comma or space. */
static const char *env_path_start(const char *arg, const char *env)
{
	const char *p = env;

	while (p > arg && !strchr("<([, &*", p[-1]))
		p--;
	return p;
}

static bool env_at(const char *p)
{
	return strncmp(p, FN_ENV, strlen(FN_ENV)) == 0 ||
	       strncmp(p, BLOCK_ENV, strlen(BLOCK_ENV)) == 0;
}

static int add_unique(struct task_type *t, char *name)
{
	char **grown;
	size_t i;

	for (i = 0; i < t->inner_count; i++) {
		if (strcmp(t->inner[i], name) == 0) {
			free(name);
			return 0;
		}
	}
	grown = realloc(t->inner, (t->inner_count + 1) * sizeof(*grown));
	if (!grown) {
		free(name);
		return -1;
	}
	t->inner = grown;
	t->inner[t->inner_count++] = name;
	return 0;
}

/* Every async fn or block named in the type's generic arguments, in order:
 * what a library's task type (hyper's NewSvcTask) runs of the app. */
static int collect_inner_futures(struct task_type *t, const char *s, const char *end)
{
	const char *p;

	for (p = path_end(s, end); p < end; p++) {
		const char *start, *close;
		char *name;

		if (!env_at(p) || !(close = memchr(p + 3, '}', (size_t)(end - p - 3))))
			continue;
		start = env_path_start(s, p);
		name = future_path_name(start, (size_t)(close + 1 - start));
		if (!name || add_unique(t, name))
			return -1;
	}
	return 0;
}

int task_type_parse(const char *dwarf_name, struct task_type *out)
{
	const char *s, *end, *type_end;

	memset(out, 0, sizeof(*out));
	if (!dwarf_name || !task_future(dwarf_name, &s, &end))
		return 0;
	type_end = path_end(s, end);
	while (type_end > s && type_end[-1] == ' ')
		type_end--;
	out->name = future_path_name(s, (size_t)(type_end - s));
	if (!out->name)
		return -1;
	/* A task that runs an async fn or block is named by it; a library's
	 * future type (hyper's NewSvcTask) keeps the futures it is generic
	 * over as detail. */
	if (type_end - s > 2 && type_end[-1] == '}' && memchr(s, '{', (size_t)(type_end - s)))
		return 1;
	if (collect_inner_futures(out, s, end)) {
		task_type_free(out);
		return -1;
	}
	return 1;
}

void task_type_free(struct task_type *t)
{
	size_t i;

	free(t->name);
	for (i = 0; i < t->inner_count; i++)
		free(t->inner[i]);
	free(t->inner);
	memset(t, 0, sizeof(*t));
}

char *task_type_name(const char *dwarf_name)
{
	struct task_type t;
	char *name;

	if (task_type_parse(dwarf_name, &t) <= 0)
		return NULL;
	name = t.name;
	t.name = NULL;
	task_type_free(&t);
	return name;
}
