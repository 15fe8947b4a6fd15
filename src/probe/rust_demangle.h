/* Rust symbol demangling (legacy _ZN...17h<hash>E and v0 _R...) via libiberty. */
#ifndef CATTOP_RUST_DEMANGLE_H
#define CATTOP_RUST_DEMANGLE_H

#include <stdbool.h>

/* True when the symbol uses one of Rust's manglings. */
bool rust_symbol_is_mangled(const char *mangled);

/* Demangled path without the trailing hash, e.g.
 * "<app::Spin as core::future::future::Future>::poll"; malloc'd, or NULL
 * when the symbol is not a Rust symbol. */
char *rust_demangle_path(const char *mangled);

#endif
