#include "probe/inlined_futures.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/dwarf_location.h"
#include "probe/rust_demangle.h"
#include "probe/site_table.h"

#define MAX_INLINED 4096
#define WALK_DEPTH  256

struct walk {
	const struct site_table *sites;
	struct inlined_futures *out;
	const char *comp_dir;
};

static const char *linkage_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));

	return n ? n : dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
}

static enum future_kind kind_of(Dwarf_Die *origin)
{
	const char *name = dwarf_diename(origin);

	if (!name)
		return FUTURE_NONE;
	if (strncmp(name, "{async_fn#", 10) == 0)
		return FUTURE_ASYNC_FN;
	if (strncmp(name, "{async_block#", 13) == 0)
		return FUTURE_ASYNC_BLOCK;
	return FUTURE_NONE;
}

static int site_by_path(const struct site_table *sites, const char *path)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		if (strcmp(sites->sites[i].path, path) == 0)
			return (int)i;
	return -1;
}

static bool listed(const struct inlined_futures *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		if (strcmp(f->list[i].name, name) == 0)
			return true;
	return false;
}

/* One inlined instance of origin inside the function called `into`. */
static void note_inlined(struct walk *w, Dwarf_Die *origin, const char *into_path)
{
	enum future_kind kind = kind_of(origin);
	const char *mangled = linkage_name(origin);
	char *path, *name, crate[CRATE_NAME_MAX];
	struct inlined_future *f;
	int into;

	if (kind == FUTURE_NONE || !mangled || w->out->count >= MAX_INLINED)
		return;
	path = rust_demangle_path(mangled);
	if (!path)
		return;
	crate_of(path, crate, sizeof(crate));
	name = NULL;
	if (strcmp(crate, w->sites->app_crate) == 0 && site_by_path(w->sites, path) < 0) {
		char *qualified = qualified_die_name(origin);

		name = display_name(path, kind, qualified ? qualified : dwarf_diename(origin));
		free(qualified);
	}
	if (!name || listed(w->out, name)) {
		free(name);
		free(path);
		return;
	}
	f = realloc(w->out->list, (w->out->count + 1) * sizeof(*f));
	if (!f) {
		free(name);
		free(path);
		return;
	}
	w->out->list = f;
	f = &f[w->out->count++];
	into = into_path ? site_by_path(w->sites, into_path) : -1;
	*f = (struct inlined_future){
	    .name = name,
	    .location = decl_location(origin, w->comp_dir),
	    .kind = kind,
	    .into_site = into,
	    .into = strdup(into >= 0   ? w->sites->sites[into].name
			   : into_path ? into_path
				       : "?"),
	};
	free(path);
}

/* The outermost out-of-line function is what the inlined code runs in. */
static void walk(struct walk *w, Dwarf_Die *parent, const char *fn_path, int depth)
{
	Dwarf_Die child;

	if (depth > WALK_DEPTH || dwarf_child(parent, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		char *own = NULL;
		Dwarf_Attribute attr;
		Dwarf_Die origin;

		if (tag == DW_TAG_subprogram && !fn_path && dwarf_hasattr(&child, DW_AT_low_pc)) {
			const char *mangled = linkage_name(&child);

			own = mangled ? rust_demangle_path(mangled) : NULL;
		}
		if (tag == DW_TAG_inlined_subroutine &&
		    dwarf_formref_die(dwarf_attr(&child, DW_AT_abstract_origin, &attr), &origin))
			note_inlined(w, &origin, fn_path);
		if (tag == DW_TAG_namespace || tag == DW_TAG_subprogram ||
		    tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
		    tag == DW_TAG_structure_type)
			walk(w, &child, own ? own : fn_path, depth + 1);
		free(own);
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* rustc names a unit "src/main.rs/@/crate.hash-cgu.N": only the
 * application's own units can hold its inlined futures' call sites. */
static bool unit_of_crate(Dwarf_Die *cu, const char *crate)
{
	const char *name = dwarf_diename(cu), *at = name ? strstr(name, "/@/") : NULL;
	size_t n = strlen(crate);

	return at && strncmp(at + 3, crate, n) == 0 && at[3 + n] == '.';
}

void inlined_futures_read(const char *dwarf_path, const struct site_table *sites,
			  struct inlined_futures *out)
{
	struct walk w = {sites, out, NULL};
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf *dw;
	int fd;

	memset(out, 0, sizeof(*out));
	if (!dwarf_path || !dwarf_path[0] || !sites->app_crate[0])
		return;
	fd = open(dwarf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	dw = dwarf_begin(fd, DWARF_C_READ);
	while (dw && dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0) {
		Dwarf_Attribute attr;

		if (unit_type != DW_UT_compile || !unit_of_crate(&cudie, sites->app_crate))
			continue;
		w.comp_dir = dwarf_formstring(dwarf_attr(&cudie, DW_AT_comp_dir, &attr));
		walk(&w, &cudie, NULL, 0);
	}
	if (dw)
		dwarf_end(dw);
	close(fd);
}

void inlined_futures_free(struct inlined_futures *f)
{
	size_t i;

	for (i = 0; i < f->count; i++) {
		free(f->list[i].name);
		free(f->list[i].location);
		free(f->list[i].into);
	}
	free(f->list);
	memset(f, 0, sizeof(*f));
}
