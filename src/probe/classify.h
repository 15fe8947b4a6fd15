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

/* The user-facing name, the same future_path_name gives its state machine
 * type: the symbol path's trailing closure components named by DWARF
 * ("app::main::{async_block#0}::{closure#0}::{async_block#0}"; an async
 * fn's body is the fn, "app::handler"). dwarf_name is the DWARF-qualified
 * name (dwarf_fn_info.qualified), which names every component, or the bare
 * DW_AT_name ("{async_block#0}"), which names only the last, or NULL: then
 * the closure components are stripped and the kind appended for anonymous
 * ones. Returns malloc'd text. */
char *display_name(const char *path, enum future_kind kind, const char *dwarf_name);

/* A future's name from the DWARF path of its body or state machine type,
 * the same for both: "app::main::{async_block#0}::{closure#0}::
 * {async_block#0}" from "app::main::{async_block#0}::{closure#0}::
 * {async_block_env#0}"; "{…_env#N}" reads "{…#N}", generic arguments of
 * those components are dropped, and an async fn's body "{async_fn#N}" is the
 * fn ("app::serve::{async_fn#0}::{async_block#1}" is "app::serve::
 * {async_block#1}"). path need not be NUL-terminated. Returns malloc'd text. */
char *future_path_name(const char *path, size_t len);

/* First path segment naming a crate, after "<" and "dyn "; "core" for
 * references, pointers, tuples and slices. */
void crate_of(const char *path, char *crate, size_t len);

#endif
