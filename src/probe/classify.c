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

/* Where the "::"-separated component starting at p ends: at the next "::"
 * outside generic arguments, or at end. */
static const char *component_end(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '<' || *p == '(' || *p == '[')
			depth++;
		else if ((*p == '>' || *p == ')' || *p == ']') && depth > 0)
			depth--;
		else if (depth == 0 && p + 1 < end && p[0] == ':' && p[1] == ':')
			break;
	}
	return p;
}

/* Appends one "{word#N}" or "{word_env#N}" component as "{word#N}", without
 * generic arguments; an async fn's body ("{async_fn#N}") is the fn itself
 * and appends nothing. Returns how many bytes it wrote. */
static size_t put_special_component(char *out, const char *c, const char *end)
{
	const char *close = memchr(c, '}', (size_t)(end - c));
	const char *hash = memchr(c, '#', (size_t)(end - c));
	const char *word_end = hash;
	size_t n = 0;

	if (!close || !hash || hash > close) {
		memcpy(out, c, (size_t)(end - c));
		return (size_t)(end - c);
	}
	if (word_end - c > 5 && strncmp(word_end - 4, "_env", 4) == 0)
		word_end -= 4;
	if (word_end - c == 9 && strncmp(c, "{async_fn", 9) == 0)
		return 0;
	memcpy(out, c, (size_t)(word_end - c));
	n = (size_t)(word_end - c);
	memcpy(out + n, hash, (size_t)(close + 1 - hash));
	return n + (size_t)(close + 1 - hash);
}

char *future_path_name(const char *path, size_t len)
{
	const char *p = path, *end = path + len;
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	while (p < end) {
		const char *c_end = component_end(p, end);
		size_t n;

		if (o)
			out[o++] = ':', out[o++] = ':';
		if (*p == '{') {
			n = put_special_component(out + o, p, c_end);
		} else {
			n = (size_t)(c_end - p);
			memcpy(out + o, p, n);
		}
		if (n == 0 && o >= 2)
			o -= 2; /* the "::" before a dropped component */
		o += n;
		p = c_end + (c_end < end ? 2 : 0);
	}
	out[o] = '\0';
	return out;
}

/* Where the last n "::"-separated components of name begin, if each is a
 * "{…}" component; NULL otherwise. */
static const char *last_special_components(const char *name, int n)
{
	const char *end = name + strlen(name), *p = name, *starts[64];
	int count = 0, i;

	while (p < end) {
		starts[count++ % 64] = p;
		p = component_end(p, end);
		p += p < end ? 2 : 0;
	}
	if (n <= 0 || n > count || n > 64)
		return NULL;
	for (i = count - n; i < count; i++)
		if (*starts[i % 64] != '{')
			return NULL;
	return starts[(count - n) % 64];
}

/* The symbol's path with its closure components named as DWARF names them:
 * "{{closure}}" says nothing of whether a component is an async fn body, a
 * block or a closure, and two futures whose only difference is there would
 * read alike. */
static char *name_from_dwarf_path(const char *path, const char *dwarf_path)
{
	size_t prefix_len;
	int depth = count_trailing_closures(path, &prefix_len);
	const char *tail = dwarf_path ? last_special_components(dwarf_path, depth) : NULL;
	char *joined, *out;

	if (!tail)
		return NULL;
	if (asprintf(&joined, "%.*s::%s", (int)prefix_len, path, tail) < 0)
		return NULL;
	out = future_path_name(joined, strlen(joined));
	free(joined);
	return out;
}

char *display_name(const char *path, enum future_kind kind, const char *dwarf_name)
{
	const char *suffix = NULL;
	char *base, *out;

	if (kind == FUTURE_USER_FUTURE)
		return impl_type_name(path);
	if (kind != FUTURE_NONE && (out = name_from_dwarf_path(path, dwarf_name)))
		return out;
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
