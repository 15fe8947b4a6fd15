#include "taskwalk/option_layout.h"

#include <dwarf.h>
#include <string.h>

#include "taskwalk/type_walk.h"

/* The variant's member named name ("None", "Some"): its type. */
static bool variant_member(Dwarf_Die *variant, const char *name, uint64_t *off, Dwarf_Die *type)
{
	Dwarf_Die m;
	Dwarf_Attribute attr;
	Dwarf_Word w = 0;

	if (dwarf_child(variant, &m) != 0)
		return false;
	do {
		const char *n = dwarf_diename(&m);

		if (dwarf_tag(&m) != DW_TAG_member || !n || strcmp(n, name) != 0)
			continue;
		if (dwarf_hasattr(&m, DW_AT_data_member_location) &&
		    dwarf_formudata(dwarf_attr(&m, DW_AT_data_member_location, &attr), &w))
			return false;
		*off = w;
		return type_walk_type_of(&m, type);
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

static bool read_variants(Dwarf_Die *part, struct option_layout *out)
{
	bool have_none = false, have_some = false;
	Dwarf_Attribute attr;
	Dwarf_Die variant, some_type, payload;
	uint64_t off, payload_off;

	if (dwarf_child(part, &variant) != 0)
		return false;
	do {
		Dwarf_Word v;

		if (dwarf_tag(&variant) != DW_TAG_variant)
			continue;
		if (variant_member(&variant, "None", &off, &some_type)) {
			/* None with no discriminant value would be the fallback: no
			 * single value to compare with. */
			if (dwarf_formudata(dwarf_attr(&variant, DW_AT_discr_value, &attr), &v))
				return false;
			out->none_value = v;
			have_none = true;
		} else if (variant_member(&variant, "Some", &off, &some_type) &&
			   type_walk_member(&some_type, "__0", &payload_off, &payload) &&
			   type_walk_size(&payload) == 8) {
			out->value_off = off + payload_off;
			have_some = true;
		}
	} while (dwarf_siblingof(&variant, &variant) == 0);
	return have_none && have_some;
}

bool option_layout_read(Dwarf_Die *type, struct option_layout *out)
{
	Dwarf_Die part, discr, dtype;
	Dwarf_Attribute attr;
	Dwarf_Word off = 0;

	memset(out, 0, sizeof(*out));
	if (dwarf_child(type, &part) != 0)
		return false;
	do {
		if (dwarf_tag(&part) != DW_TAG_variant_part)
			continue;
		if (!dwarf_formref_die(dwarf_attr(&part, DW_AT_discr, &attr), &discr) ||
		    !type_walk_type_of(&discr, &dtype))
			return false;
		if (dwarf_hasattr(&discr, DW_AT_data_member_location) &&
		    dwarf_formudata(dwarf_attr(&discr, DW_AT_data_member_location, &attr), &off))
			return false;
		out->discr_off = off;
		out->discr_size = type_walk_size(&dtype);
		if (out->discr_size == 0 || out->discr_size > 8)
			return false;
		return read_variants(&part, out) &&
		       out->discr_off + out->discr_size <= type_walk_size(type) &&
		       out->value_off + 8 <= type_walk_size(type);
	} while (dwarf_siblingof(&part, &part) == 0);
	return false;
}
