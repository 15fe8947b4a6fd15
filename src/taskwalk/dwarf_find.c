#include "taskwalk/dwarf_find.h"

#include <dwarf.h>
#include <string.h>

#include "taskwalk/type_walk.h"

static bool find_below(Dwarf_Die *die, const char *name, dwarf_find_match match, const void *arg,
		       Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		if (match(&child, name, arg)) {
			*out = child;
			return true;
		}
		if (dwarf_tag(&child) == DW_TAG_namespace &&
		    find_below(&child, dwarf_diename(&child), match, arg, out))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool child_namespace(Dwarf_Die *parent, const char *name, Dwarf_Die *out)
{
	if (dwarf_child(parent, out) != 0)
		return false;
	do {
		const char *n = dwarf_diename(out);

		if (dwarf_tag(out) == DW_TAG_namespace && n && strcmp(n, name) == 0)
			return true;
	} while (dwarf_siblingof(out, out) == 0);
	return false;
}

bool dwarf_find(Dwarf *dw, const char *const *path, dwarf_find_match match, const void *arg,
		Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, ns;
		const char *const *p;
		bool found = true;

		if (dwarf_offdie(dw, off + hsize, &cu)) {
			ns = cu;
			for (p = path; *p && found; p++)
				found = child_namespace(&ns, *p, &ns);
			if (found && find_below(&ns, dwarf_diename(&ns), match, arg, out))
				return true;
		}
		off = next;
	}
	return false;
}

bool dwarf_find_struct(Dwarf_Die *die, const char *parent, const void *arg)
{
	const char *want = arg, *n = dwarf_diename(die);
	size_t len = strlen(want);

	(void)parent;
	if (dwarf_tag(die) != DW_TAG_structure_type || !n || !dwarf_hasattr(die, DW_AT_byte_size))
		return false;
	if (len && want[len - 1] == '<')
		return strncmp(n, want, len) == 0;
	return strcmp(n, want) == 0;
}

bool dwarf_find_variable(Dwarf_Die *die, const char *parent, const void *arg)
{
	Dwarf_Attribute attr;
	const char *name;

	(void)parent;
	if (dwarf_tag(die) != DW_TAG_variable)
		return false;
	name = dwarf_formstring(dwarf_attr(die, DW_AT_linkage_name, &attr));
	return name && strcmp(name, arg) == 0;
}

bool dwarf_find_template_param(Dwarf_Die *type, const char *name, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(type, &child) != 0)
		return false;
	do {
		const char *n = dwarf_diename(&child);

		if (dwarf_tag(&child) == DW_TAG_template_type_parameter && n &&
		    strcmp(n, name) == 0)
			return type_walk_type_of(&child, out);
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* rustc writes no .debug_aranges: the CU whose ranges hold addr, read
 * one CU at a time (dwarf_addrdie only finds CUs the aranges list). */
static bool cu_with_pc(Dwarf *dw, uint64_t addr, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, out) && dwarf_haspc(out, addr) == 1)
			return true;
		off = next;
	}
	return false;
}

/* The subprogram starting at addr below die: through namespaces and
 * types (rustc nests functions in both), not into other functions. */
static bool subprogram_below(Dwarf_Die *die, uint64_t addr, Dwarf_Die *out, int depth)
{
	Dwarf_Die child;

	if (depth > 32 || dwarf_child(die, &child) != 0)
		return false;
	do {
		Dwarf_Addr low;

		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			if (dwarf_lowpc(&child, &low) == 0 && low == addr) {
				*out = child;
				return true;
			}
			break;
		case DW_TAG_namespace:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_enumeration_type:
			if (subprogram_below(&child, addr, out, depth + 1))
				return true;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

bool dwarf_find_subprogram_at(Dwarf *dw, uint64_t addr, Dwarf_Die *out)
{
	Dwarf_Die cu;

	/* dwarf_getscopes does not look into Rust's namespaces: searched by
	 * hand, in the CU the address lies in. */
	if (!dwarf_addrdie(dw, addr, &cu) && !cu_with_pc(dw, addr, &cu))
		return false;
	return subprogram_below(&cu, addr, out, 0);
}
