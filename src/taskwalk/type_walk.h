/* Finding fields of a runtime's data structures by DWARF member and type
 * names instead of offsets hard-coded per version, statically (in the type
 * alone) or in the target's live memory (through the variant of each enum
 * that is active there, read with process_vm_readv).
 *
 * Only what the compiler says is used: DW_TAG_member offsets, DW_AT_byte_size,
 * DW_TAG_variant_part discriminants. Rust's enums (Option, the runtime's
 * Handle, the thread-local's state) are variant parts; unions (MaybeUninit)
 * are searched member by member. Pointers are never followed by a search:
 * type_walk_deref does that, one at a time, where the caller says so. */
#ifndef CATTOP_TYPE_WALK_H
#define CATTOP_TYPE_WALK_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a search looks for: a member with this name, or whose type's name
 * begins with type_prefix, or whose type is a pointer (any that is set). */
struct member_query {
	const char *name;
	const char *type_prefix;
	bool pointer;
};

/* A value: a type and, when live, where it is in the target. */
struct typed_value {
	Dwarf_Die type;
	uint64_t addr; /* 0: a static search, every enum variant is looked into */
};

/* The type a DIE's DW_AT_type refers to, through typedefs and qualifiers. */
bool type_walk_type_of(Dwarf_Die *die, Dwarf_Die *out);
/* DW_AT_byte_size, 0 if absent. */
uint64_t type_walk_size(Dwarf_Die *type);
/* The first match depth-first in v (structs, unions, enum variants: the one
 * active at v.addr when pid > 0 and v.addr != 0, else all of them). found
 * gets the member's type and address (v.addr + offset; the offset alone for
 * a static search). Returns false when nothing matches or a discriminant
 * cannot be read. */
bool type_walk_find(pid_t pid, const struct typed_value *v, const struct member_query *q,
		    struct typed_value *found);
/* A direct member of a struct by name: its offset and type. */
bool type_walk_member(Dwarf_Die *type, const char *name, uint64_t *offset, Dwarf_Die *mtype);
/* v is a pointer type (or holds one, e.g. NonNull or Arc): the pointee,
 * read from the target. False on a null or unreadable pointer. */
bool type_walk_deref(pid_t pid, const struct typed_value *v, struct typed_value *out);
/* The name of the variant of enum type (a struct with a variant part) that
 * is active at addr in the target; NULL if not an enum or unreadable. */
const char *type_walk_active_variant(pid_t pid, Dwarf_Die *type, uint64_t addr);

#endif
