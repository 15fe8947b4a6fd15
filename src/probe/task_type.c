#include "probe/task_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN_ENV	  "::{async_fn_env#"
#define BLOCK_ENV "::{async_block_env#"

/* [*start, *end) of the first generic argument of name, or 0. */
static int first_generic_arg(const char *name, const char **start, const char **end)
{
	const char *p = strchr(name, '<');
	int depth = 0;

	if (!p)
		return 0;
	*start = ++p;
	for (; *p; p++) {
		if (*p == '<' || *p == '(' || *p == '[') {
			depth++;
		} else if (*p == '>' || *p == ')' || *p == ']') {
			if (depth-- == 0)
				break;
		} else if (*p == ',' && depth == 0) {
			break;
		}
	}
	*end = p;
	return p > *start;
}

/* Where the path that ends at env (an "::{…_env#" marker) begins: after the
 * nearest opening bracket, comma or space. */
static const char *path_start(const char *arg, const char *env)
{
	const char *p = env;

	while (p > arg && !strchr("<([, &*", p[-1]))
		p--;
	return p;
}

static int depth_at(const char *arg, const char *at)
{
	int depth = 0;

	for (; arg < at; arg++)
		depth += (*arg == '<') - (*arg == '>');
	return depth;
}

/* The deepest async fn or block environment in [arg, end): the future the
 * runtime's wrappers (spawn's async block, SupportTaskLocals, …) run. */
static const char *innermost_env(const char *arg, const char *end, int *is_block)
{
	const char *best = NULL, *p;
	int best_depth = -1;

	for (p = arg; p < end; p++) {
		int block = strncmp(p, BLOCK_ENV, strlen(BLOCK_ENV)) == 0;
		int depth;

		if (!block && strncmp(p, FN_ENV, strlen(FN_ENV)) != 0)
			continue;
		depth = depth_at(arg, p);
		if (depth >= best_depth) {
			best = p;
			best_depth = depth;
			*is_block = block;
		}
	}
	return best;
}

static char *name_of_env(const char *arg, const char *env, int is_block)
{
	const char *start = path_start(arg, env);
	const char *num = env + strlen(is_block ? BLOCK_ENV : FN_ENV);
	int n = atoi(num);
	char *out;
	int len = (int)(env - start);

	if (is_block)
		return asprintf(&out, "%.*s::{async_block#%d}", len, start, n) < 0 ? NULL : out;
	return strndup(start, (size_t)len);
}

char *task_type_name(const char *dwarf_name)
{
	const char *arg, *end, *env, *generic;
	int is_block = 0;

	if (!dwarf_name || !first_generic_arg(dwarf_name, &arg, &end))
		return NULL;
	env = innermost_env(arg, end, &is_block);
	if (env)
		return name_of_env(arg, env, is_block);
	generic = memchr(arg, '<', (size_t)(end - arg));
	return strndup(arg, (size_t)((generic ? generic : end) - arg));
}
