/* Finding a runtime's types and statics in DWARF by their Rust paths: the
 * namespaces rustc nests them in (crate, module, impl block, function),
 * every compile unit searched (tokio's and async-task's layouts). */
#ifndef CATTOP_DWARF_FIND_H
#define CATTOP_DWARF_FIND_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

/* Called for every DIE below the namespace path; parent is the name of the
 * namespace it is declared in (a function's, for a closure's type). */
typedef bool (*dwarf_find_match)(Dwarf_Die *die, const char *parent, const void *arg);

/* The first DIE matching anywhere below namespace path (NULL-terminated,
 * from the crate down) in any CU, through nested namespaces only. */
bool dwarf_find(Dwarf *dw, const char *const *path, dwarf_find_match match, const void *arg,
		Dwarf_Die *out);
/* Matchers: a sized struct named arg (exactly, or arg ending in '<' as a
 * prefix); a variable whose DW_AT_linkage_name is arg. */
bool dwarf_find_struct(Dwarf_Die *die, const char *parent, const void *arg);
bool dwarf_find_variable(Dwarf_Die *die, const char *parent, const void *arg);
/* The subprogram whose code starts at link-time address addr. */
bool dwarf_find_subprogram_at(Dwarf *dw, uint64_t addr, Dwarf_Die *out);
/* A generic type's parameter (DW_TAG_template_type_parameter) by name. */
bool dwarf_find_template_param(Dwarf_Die *type, const char *name, Dwarf_Die *out);

#endif
