/* The user's line of an .await a dependency's macro wrote: tokio::join!,
 * tokio::select!, futures::join!, futures::select! expand to
 * `poll_fn(..).await` inside the macro, and rustc gives that state of the
 * coroutine the macro's own line (tokio's macros/join.rs:150,
 * futures-util's select_mod.rs:321), which says nothing of where the user
 * waits. The awaited future's local, __awaitee, is declared where the line
 * tables put the code: rustc collapses a dependency's macro expansion to its
 * call site in the user's crate, so its declaration line is the macro call. */
#ifndef CATTOP_MACRO_AWAIT_H
#define CATTOP_MACRO_AWAIT_H

#include <elfutils/libdw.h>

/* fn: the coroutine's poll fn; state: the variant member of the state
 * (its type is the SuspendN struct holding __awaitee). "file:line" in the
 * user's code, malloc'd, or NULL when no single such line is described. */
char *macro_await_location(Dwarf_Die *fn, Dwarf_Die *state, const char *comp_dir);

#endif
