#include "probe/code_lines.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "probe/dwarf_location.h"
#include "probe/rust_demangle.h"
#include "util/u64_map.h"

struct code_lines {
	int fd;
	Dwarf *dw;
	struct u64_map cache; /* vaddr -> char * ("" when unknown) */
};

int code_lines_open(const char *elf_path, struct code_lines **out)
{
	struct code_lines *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return -ENOMEM;
	cl->fd = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (cl->fd < 0) {
		int e = errno;

		free(cl);
		return -e;
	}
	cl->dw = dwarf_begin(cl->fd, DWARF_C_READ);
	if (!cl->dw) {
		close(cl->fd);
		free(cl);
		return -ENODATA;
	}
	*out = cl;
	return 0;
}

void code_lines_free(struct code_lines *cl)
{
	size_t i;

	if (!cl)
		return;
	for (i = 0; cl->cache.slots && i <= cl->cache.mask; i++)
		free(cl->cache.slots[i].value);
	u64_map_free(&cl->cache);
	dwarf_end(cl->dw);
	close(cl->fd);
	free(cl);
}

/* The call site of the outermost inlined call made from the user's code. */
static bool inlined_call_site(Dwarf_Die *cu, uint64_t pc, const char **file, int *line)
{
	Dwarf_Files *files;
	Dwarf_Die *scopes = NULL;
	size_t nfiles;
	bool found = false;
	int i, n;

	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		return false;
	n = dwarf_getscopes(cu, pc, &scopes);
	for (i = 0; i < n && !found; i++) {
		Dwarf_Attribute attr;
		Dwarf_Word f, l;
		const char *name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine ||
		    dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &f) ||
		    dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &l) ||
		    f >= nfiles)
			continue;
		name = dwarf_filesrc(files, f, NULL, NULL);
		if (name && !dwarf_library_file(name)) {
			*file = name;
			*line = (int)l;
			found = true;
		}
	}
	free(scopes);
	return found;
}

static char *lookup(struct code_lines *cl, uint64_t pc)
{
	Dwarf_Attribute attr;
	const char *file, *comp_dir;
	Dwarf_Line *row;
	Dwarf_Die cu;
	char *out;
	int line;

	if (!dwarf_addrdie(cl->dw, pc, &cu) || !(row = dwarf_getsrc_die(&cu, pc)))
		return NULL;
	file = dwarf_linesrc(row, NULL, NULL);
	if (!file || dwarf_lineno(row, &line))
		return NULL;
	if (dwarf_library_file(file) && !inlined_call_site(&cu, pc, &file, &line))
		return NULL;
	comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
	return asprintf(&out, "%s:%d", path_below(file, comp_dir), line) < 0 ? NULL : out;
}

const char *code_lines_call_site(struct code_lines *cl, uint64_t ret_vaddr)
{
	char *loc;

	if (!cl || !ret_vaddr)
		return NULL;
	loc = u64_map_get(&cl->cache, ret_vaddr);
	if (!loc) {
		/* The call instruction ends at the return address. */
		loc = lookup(cl, ret_vaddr - 1);
		if (!loc)
			loc = strdup("");
		if (!loc || u64_map_put(&cl->cache, ret_vaddr, loc)) {
			free(loc);
			return NULL;
		}
	}
	return loc[0] ? loc : NULL;
}

/* The inlined function's own path: its abstract origin's linkage name
 * (debug = 1 has it), demangled. */
static bool inlined_matches(Dwarf_Die *scope, const struct pattern_list *patterns)
{
	Dwarf_Attribute attr;
	const char *mangled;
	char *path;
	bool match;

	if (!dwarf_attr_integrate(scope, DW_AT_linkage_name, &attr) &&
	    !dwarf_attr_integrate(scope, DW_AT_MIPS_linkage_name, &attr))
		return false;
	mangled = dwarf_formstring(&attr);
	path = mangled ? rust_demangle_path(mangled) : NULL;
	match = path && pattern_list_matches(patterns, path);
	free(path);
	return match;
}

/* dwarf_getscopes finds no scope in rustc's CUs (their functions sit in
 * namespaces and types): walk down to the functions and inlined calls that
 * hold pc instead. */
static bool inlined_walk(Dwarf_Die *die, uint64_t pc, const struct pattern_list *patterns,
			 int depth)
{
	Dwarf_Die c;

	if (depth > 64 || dwarf_child(die, &c) != 0)
		return false;
	do {
		int tag = dwarf_tag(&c);

		if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
		    tag == DW_TAG_enumeration_type || tag == DW_TAG_union_type) {
			if (inlined_walk(&c, pc, patterns, depth + 1))
				return true;
		} else if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
			    tag == DW_TAG_lexical_block) &&
			   dwarf_haspc(&c, pc) > 0) {
			return (tag == DW_TAG_inlined_subroutine &&
				inlined_matches(&c, patterns)) ||
			       inlined_walk(&c, pc, patterns, depth + 1);
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

bool code_lines_inlined_from(struct code_lines *cl, uint64_t ret_vaddr,
			     const struct pattern_list *patterns)
{
	Dwarf_Die cu;

	if (!cl || !ret_vaddr || !patterns->count || !dwarf_addrdie(cl->dw, ret_vaddr - 1, &cu))
		return false;
	return inlined_walk(&cu, ret_vaddr - 1, patterns, 0);
}
