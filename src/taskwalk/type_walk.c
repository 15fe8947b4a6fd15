#include "taskwalk/type_walk.h"

#include <dwarf.h>
#include <string.h>

#include "probe/target_memory.h"

/* Deeper than any nesting of wrappers (RefCell, UnsafeCell, Option, enum,
 * Mutex, ...) between two fields a walk asks for. */
#define MAX_DEPTH 12

bool type_walk_type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	int hops;

	if (!dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), out))
		return false;
	for (hops = 0; hops < 16; hops++) {
		int tag = dwarf_tag(out);

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type)
			return true;
		if (!dwarf_formref_die(dwarf_attr_integrate(out, DW_AT_type, &attr), out))
			return false;
	}
	return false;
}

uint64_t type_walk_size(Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	Dwarf_Word size;

	if (dwarf_formudata(dwarf_attr(type, DW_AT_byte_size, &attr), &size))
		return 0;
	return size;
}

static bool member_offset(Dwarf_Die *member, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;

	/* Union members have no location: they are all at 0. */
	if (!dwarf_hasattr(member, DW_AT_data_member_location)) {
		*off = 0;
		return true;
	}
	if (dwarf_formudata(dwarf_attr(member, DW_AT_data_member_location, &attr), &w))
		return false;
	*off = w;
	return true;
}

static bool is_pointer(Dwarf_Die *type)
{
	int tag = dwarf_tag(type);

	return tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type;
}

static bool matches(Dwarf_Die *member, Dwarf_Die *mtype, const struct member_query *q)
{
	const char *name = dwarf_diename(member), *tname = dwarf_diename(mtype);

	if (q->name && name && strcmp(name, q->name) == 0)
		return true;
	if (q->type_prefix && tname && strncmp(tname, q->type_prefix, strlen(q->type_prefix)) == 0)
		return true;
	return q->pointer && is_pointer(mtype);
}

/* The variant of part active at base in the target, or (static) none. */
static bool active_variant(pid_t pid, Dwarf_Die *part, uint64_t base, Dwarf_Die *variant)
{
	Dwarf_Attribute attr;
	Dwarf_Die discr, dtype, fallback;
	uint64_t off, size, value = 0, mask;
	bool have_fallback = false;

	if (!dwarf_formref_die(dwarf_attr(part, DW_AT_discr, &attr), &discr) ||
	    !member_offset(&discr, &off) || !type_walk_type_of(&discr, &dtype))
		return false;
	size = type_walk_size(&dtype);
	if (size == 0 || size > 8 || target_read_memory(pid, base + off, &value, size))
		return false;
	mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	if (dwarf_child(part, variant) != 0)
		return false;
	do {
		Dwarf_Word want;

		if (dwarf_tag(variant) != DW_TAG_variant)
			continue;
		if (!dwarf_hasattr(variant, DW_AT_discr_value)) {
			fallback = *variant;
			have_fallback = true;
			continue;
		}
		if (dwarf_formudata(dwarf_attr(variant, DW_AT_discr_value, &attr), &want) == 0 &&
		    (want & mask) == (value & mask))
			return true;
	} while (dwarf_siblingof(variant, variant) == 0);
	if (have_fallback)
		*variant = fallback;
	return have_fallback;
}

static bool find_in(pid_t pid, Dwarf_Die *type, uint64_t base, const struct member_query *q,
		    int depth, struct typed_value *found);

/* The members of a variant (one, the variant's own struct) or of a type. */
static bool find_in_children(pid_t pid, Dwarf_Die *parent, uint64_t base,
			     const struct member_query *q, int depth, struct typed_value *found)
{
	Dwarf_Die child, mtype, variant;
	uint64_t off;

	if (dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_variant_part) {
			if (pid > 0 && base) {
				if (active_variant(pid, &child, base, &variant) &&
				    find_in_children(pid, &variant, base, q, depth, found))
					return true;
				continue;
			}
			if (dwarf_child(&child, &variant) != 0)
				continue;
			do {
				if (dwarf_tag(&variant) == DW_TAG_variant &&
				    find_in_children(pid, &variant, base, q, depth, found))
					return true;
			} while (dwarf_siblingof(&variant, &variant) == 0);
			continue;
		}
		if (tag != DW_TAG_member || !member_offset(&child, &off) ||
		    !type_walk_type_of(&child, &mtype))
			continue;
		if (matches(&child, &mtype, q)) {
			found->type = mtype;
			found->addr = base + off;
			return true;
		}
		if (find_in(pid, &mtype, base + off, q, depth + 1, found))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool find_in(pid_t pid, Dwarf_Die *type, uint64_t base, const struct member_query *q,
		    int depth, struct typed_value *found)
{
	int tag = dwarf_tag(type);

	if (depth > MAX_DEPTH || (tag != DW_TAG_structure_type && tag != DW_TAG_union_type))
		return false;
	return find_in_children(pid, type, base, q, depth, found);
}

bool type_walk_find(pid_t pid, const struct typed_value *v, const struct member_query *q,
		    struct typed_value *found)
{
	Dwarf_Die type = v->type;

	return find_in(pid, &type, v->addr, q, 0, found);
}

bool type_walk_member(Dwarf_Die *type, const char *name, uint64_t *offset, Dwarf_Die *mtype)
{
	Dwarf_Die child;

	if (dwarf_child(type, &child) != 0)
		return false;
	do {
		const char *n = dwarf_diename(&child);

		if (dwarf_tag(&child) == DW_TAG_member && n && strcmp(n, name) == 0)
			return member_offset(&child, offset) && type_walk_type_of(&child, mtype);
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

bool type_walk_deref(pid_t pid, const struct typed_value *v, struct typed_value *out)
{
	struct member_query q = {.pointer = true};
	struct typed_value ptr = *v;
	uint64_t target = 0;

	if (!is_pointer(&ptr.type) && !type_walk_find(pid, v, &q, &ptr))
		return false;
	if ((type_walk_size(&ptr.type) && type_walk_size(&ptr.type) != sizeof(target)) ||
	    target_read_memory(pid, ptr.addr, &target, sizeof(target)) || !target)
		return false;
	if (!type_walk_type_of(&ptr.type, &out->type))
		return false;
	out->addr = target;
	return true;
}

const char *type_walk_active_variant(pid_t pid, Dwarf_Die *type, uint64_t addr)
{
	Dwarf_Die part, variant, member;

	if (dwarf_child(type, &part) != 0)
		return NULL;
	do {
		if (dwarf_tag(&part) != DW_TAG_variant_part)
			continue;
		if (!active_variant(pid, &part, addr, &variant) || dwarf_child(&variant, &member))
			return NULL;
		do {
			if (dwarf_tag(&member) == DW_TAG_member)
				return dwarf_diename(&member);
		} while (dwarf_siblingof(&member, &member) == 0);
		return NULL;
	} while (dwarf_siblingof(&part, &part) == 0);
	return NULL;
}
