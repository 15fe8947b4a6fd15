/* Classifies demangled Rust function paths into the CAT paper's context
 * kinds, as today's rustc (>= 1.67, no GenFuture) names them. */
#ifndef CATTOP_CLASSIFY_H
#define CATTOP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

enum future_kind {
	FUTURE_NONE = 0,
	FUTURE_ASYNC_FN,    /* compiler-generated async fn body */
	FUTURE_ASYNC_BLOCK, /* anonymous async block */
	FUTURE_CLOSURE,	    /* plain closure (e.g. inside poll_fn) */
	FUTURE_USER_FUTURE, /* hand-written `impl Future for T` */
};

const char *future_kind_name(enum future_kind kind);

#define CRATE_NAME_MAX 64

struct path_class {
	enum future_kind kind;
	char crate[CRATE_NAME_MAX]; /* crate the code belongs to, "" if unknown */
	int closure_depth;	    /* trailing closure components */
};

/* Symbol-only classification. A path ending in one closure component is
 * taken as an async fn body and one ending in two or more as an async block:
 * rustc gives all three the same symbol shape, so this is the best a symbol
 * table can say; DWARF names refine it (see refine_kind_from_dwarf). */
void classify_path(const char *path, struct path_class *out);

/* The user-facing name: closure components stripped and the kind appended
 * for anonymous ones, e.g. "app::handler::{async_block#0}". dwarf_name is
 * the DW_AT_name ("{async_block#0}") or NULL. Returns malloc'd text. */
char *display_name(const char *path, enum future_kind kind, const char *dwarf_name);

/* First path segment naming a crate, after "<" and "dyn "; "core" for
 * references, pointers, tuples and slices. */
void crate_of(const char *path, char *crate, size_t len);

#endif
