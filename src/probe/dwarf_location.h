/* "file:line" as cattop shows it: DWARF gives paths joined with the unit's
 * build directory; below it they are shown relative ("src/main.rs"). */
#ifndef CATTOP_DWARF_LOCATION_H
#define CATTOP_DWARF_LOCATION_H

#include <elfutils/libdw.h>
#include <stdbool.h>

/* file without the comp_dir prefix when it lies below it. */
const char *path_below(const char *file, const char *comp_dir);
/* Code the user did not write: the standard library and crates from a
 * registry. An await inside them is reported where the user's code is. */
bool dwarf_library_file(const char *file);
/* DW_AT_decl_file:DW_AT_decl_line of die, malloc'd, or NULL. */
char *decl_location(Dwarf_Die *die, const char *comp_dir);

/* DW_AT_name of die under its enclosing namespaces ("app::main::
 * {async_block#0}::{closure#0}::{async_block#0}"), malloc'd, or NULL. */
char *qualified_die_name(Dwarf_Die *die);

#endif
