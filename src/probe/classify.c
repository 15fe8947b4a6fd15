#include "probe/classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char future_poll_suffix[] = " as core::future::future::Future>::poll";

const char *future_kind_name(enum future_kind kind)
{
	switch (kind) {
	case FUTURE_ASYNC_FN:
		return "async_fn";
	case FUTURE_ASYNC_BLOCK:
		return "async_block";
	case FUTURE_CLOSURE:
		return "closure";
	case FUTURE_USER_FUTURE:
		return "user_future";
	default:
		return "none";
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Legacy demangling prints "{{closure}}", v0 prints "{closure#N}". */
static bool is_closure_component(const char *comp, size_t len)
{
	return (len == 11 && strncmp(comp, "{{closure}}", 11) == 0) ||
	       (len > 9 && strncmp(comp, "{closure#", 9) == 0);
}

/* Length of the last "::"-separated component that starts at *start. */
static size_t last_component(const char *path, size_t end, size_t *start)
{
	size_t i = end;

	while (i >= 2 && !(path[i - 1] == ':' && path[i - 2] == ':'))
		i--;
	if (i < 2)
		i = 0;
	*start = i;
	return end - i;
}

static int count_trailing_closures(const char *path, size_t *prefix_len)
{
	size_t end = strlen(path), start;
	int depth = 0;

	while (end > 0) {
		size_t len = last_component(path, end, &start);

		if (!is_closure_component(path + start, len))
			break;
		depth++;
		end = start >= 2 ? start - 2 : 0;
	}
	if (prefix_len)
		*prefix_len = end;
	return depth;
}

void crate_of(const char *path, char *crate, size_t len)
{
	static const char *skip[] = {"<", "dyn "};
	bool skipped = true;
	size_t i, n = 0;

	while (skipped) {
		skipped = false;
		for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
			size_t m = strlen(skip[i]);

			if (strncmp(path, skip[i], m) == 0) {
				path += m;
				skipped = true;
			}
		}
	}
	/* References, pointers, tuples and slices are core's types. */
	if (*path == '&' || *path == '*' || *path == '(' || *path == '[') {
		snprintf(crate, len, "core");
		return;
	}
	while (path[n] && path[n] != ':' && path[n] != '<' && path[n] != ' ' && path[n] != '>')
		n++;
	snprintf(crate, len, "%.*s", (int)n, path);
}

void classify_path(const char *path, struct path_class *out)
{
	memset(out, 0, sizeof(*out));
	crate_of(path, out->crate, sizeof(out->crate));

	if (path[0] == '<' && ends_with(path, future_poll_suffix)) {
		out->kind = FUTURE_USER_FUTURE;
		return;
	}
	out->closure_depth = count_trailing_closures(path, NULL);
	if (out->closure_depth == 1)
		out->kind = FUTURE_ASYNC_FN;
	else if (out->closure_depth > 1)
		out->kind = FUTURE_ASYNC_BLOCK;
}

/* "<app::Spin as core::future::future::Future>::poll" -> "app::Spin" */
static char *impl_type_name(const char *path)
{
	size_t len = strlen(path) - strlen(future_poll_suffix) - 1;

	return strndup(path + 1, len);
}

/* Drops every closure component: "a::f::{{closure}}::{{closure}}" -> "a::f". */
static char *strip_closures(const char *path)
{
	size_t n = strlen(path), i = 0, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	while (i < n) {
		size_t j = i;

		while (j < n && !(path[j] == ':' && j + 1 < n && path[j + 1] == ':'))
			j++;
		if (!is_closure_component(path + i, j - i)) {
			if (o)
				out[o++] = ':', out[o++] = ':';
			memcpy(out + o, path + i, j - i);
			o += j - i;
		}
		i = j + 2;
	}
	out[o] = '\0';
	return out;
}

char *display_name(const char *path, enum future_kind kind, const char *dwarf_name)
{
	const char *suffix = NULL;
	char *base, *out;

	if (kind == FUTURE_USER_FUTURE)
		return impl_type_name(path);
	base = strip_closures(path);
	if (!base || kind == FUTURE_ASYNC_FN || kind == FUTURE_NONE)
		return base;
	if (dwarf_name && dwarf_name[0] == '{')
		suffix = dwarf_name;
	else
		suffix = kind == FUTURE_ASYNC_BLOCK ? "{async_block}" : "{closure}";
	if (asprintf(&out, "%s::%s", base, suffix) < 0)
		out = NULL;
	free(base);
	return out;
}
