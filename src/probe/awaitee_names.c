#include "probe/awaitee_names.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

/* Rust paths nest no deeper than this (crate, modules, impl, fn, ...). */
#define MAX_DEPTH 32
#define MAX_PATH  1024
/* Longer names (deep generics) are left out: the site cache keeps names
 * up to 4 KiB. */
#define MAX_NAME 2048

bool awaitee_type_offset(Dwarf_Die *state_member, Dwarf_Off *off)
{
	Dwarf_Attribute attr;
	Dwarf_Die suspend, member, type;

	if (!dwarf_formref_die(dwarf_attr(state_member, DW_AT_type, &attr), &suspend) ||
	    dwarf_child(&suspend, &member) != 0)
		return false;
	do {
		const char *name = dwarf_diename(&member);

		if (dwarf_tag(&member) != DW_TAG_member || !name || strcmp(name, "__awaitee") != 0)
			continue;
		if (!dwarf_formref_die(dwarf_attr_integrate(&member, DW_AT_type, &attr), &type))
			return false;
		*off = dwarf_dieoffset(&type);
		return true;
	} while (dwarf_siblingof(&member, &member) == 0);
	return false;
}

static int by_unit_then_type(const void *a, const void *b)
{
	const struct awaitee_wanted *x = a, *y = b;

	if (x->cu != y->cu)
		return x->cu < y->cu ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/* The wanted types of one unit: w[0..n), sorted by type. */
struct unit_search {
	struct awaitee_wanted *w;
	size_t n, left;
	char path[MAX_PATH];
};

static void name_found(struct unit_search *u, Dwarf_Off off, size_t plen, const char *name)
{
	size_t lo = 0, hi = u->n;

	if (plen + strlen(name) + 2 > MAX_NAME)
		return;

	while (lo < hi) { /* the first entry for off */
		size_t mid = (lo + hi) / 2;

		if (u->w[mid].type < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < u->n && u->w[lo].type == off; lo++) {
		char *full = malloc(plen + strlen(name) + 3);

		if (!full)
			return;
		memcpy(full, u->path, plen);
		strcpy(full + plen, plen ? "::" : "");
		strcat(full, name);
		free(*u->w[lo].name);
		*u->w[lo].name = full;
		u->left--;
	}
}

/* Types lie in namespaces (crate, module, impl block, fn): only those are
 * entered; path[0..plen) names the one being walked. */
static void walk_namespace(struct unit_search *u, Dwarf_Die *ns, size_t plen, int depth)
{
	Dwarf_Die child;

	if (depth > MAX_DEPTH || dwarf_child(ns, &child) != 0)
		return;
	do {
		const char *name = dwarf_diename(&child);
		size_t len;

		if (!name)
			continue;
		if (dwarf_tag(&child) != DW_TAG_namespace) {
			name_found(u, dwarf_dieoffset(&child), plen, name);
			continue;
		}
		len = strlen(name);
		if (plen + len + 3 > sizeof(u->path))
			continue;
		memcpy(u->path + plen + (plen ? 2 : 0), name, len + 1);
		if (plen)
			memcpy(u->path + plen, "::", 2);
		walk_namespace(u, &child, plen + len + (plen ? 2 : 0), depth + 1);
		u->path[plen] = '\0';
	} while (u->left && dwarf_siblingof(&child, &child) == 0);
}

void awaitee_names_resolve(Dwarf *dw, struct awaitee_wanted *w, size_t n)
{
	size_t i = 0;

	qsort(w, n, sizeof(*w), by_unit_then_type);
	while (i < n) {
		struct unit_search u = {.w = w + i};
		Dwarf_Die cu;

		while (i + u.n < n && w[i + u.n].cu == w[i].cu)
			u.n++;
		u.left = u.n;
		if (dwarf_offdie(dw, w[i].cu, &cu))
			walk_namespace(&u, &cu, 0, 0);
		i += u.n;
	}
}
