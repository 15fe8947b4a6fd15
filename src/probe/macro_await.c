#include "probe/macro_await.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "probe/awaitee_names.h"
#include "probe/dwarf_location.h"

/* Lexical blocks nest about as deep as the source's blocks do. */
#define MAX_DEPTH 64

/* What a search of the poll fn's scopes found. */
struct awaitee_search {
	Dwarf_Off type; /* of the state's __awaitee */
	const char *comp_dir;
	char *found;	/* the one user-code line, NULL if none yet */
	bool ambiguous; /* two different lines: none is given */
};

static bool type_offset(Dwarf_Die *die, Dwarf_Off *off)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;

	if (!dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), &type))
		return false;
	*off = dwarf_dieoffset(&type);
	return true;
}

static bool named(Dwarf_Die *die, const char *name)
{
	const char *n = dwarf_diename(die);

	return n && strcmp(n, name) == 0;
}

static void note_variable(Dwarf_Die *var, struct awaitee_search *s)
{
	const char *file = dwarf_decl_file(var);
	Dwarf_Off type;
	char *loc;

	if (!named(var, "__awaitee") || !type_offset(var, &type) || type != s->type || !file ||
	    dwarf_library_file(file) || !(loc = decl_location(var, s->comp_dir)))
		return;
	if (!s->found)
		s->found = loc;
	else {
		/* The same future type awaited at two lines: either may be it. */
		s->ambiguous |= strcmp(s->found, loc) != 0;
		free(loc);
	}
}

/* Variables of the fn's own scopes and of what was inlined into it; not of
 * nested fns (a closure is a subprogram of its own). */
static void search_scopes(Dwarf_Die *scope, struct awaitee_search *s, int depth)
{
	Dwarf_Die child;

	if (depth > MAX_DEPTH || dwarf_child(scope, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_variable)
			note_variable(&child, s);
		else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine)
			search_scopes(&child, s, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

char *macro_await_location(Dwarf_Die *fn, Dwarf_Die *state, const char *comp_dir)
{
	struct awaitee_search s = {.comp_dir = comp_dir};
	Dwarf_Attribute attr;
	Dwarf_Die origin;

	if (!awaitee_type_offset(state, &s.type))
		return NULL;
	search_scopes(fn, &s, 0);
	/* An optimised build may describe the scopes only in the abstract fn
	 * its concrete instances refer to. */
	if (!s.found && dwarf_formref_die(dwarf_attr(fn, DW_AT_abstract_origin, &attr), &origin))
		search_scopes(&origin, &s, 0);
	if (s.ambiguous) {
		free(s.found);
		return NULL;
	}
	return s.found;
}
