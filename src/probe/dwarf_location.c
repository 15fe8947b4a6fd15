#include "probe/dwarf_location.h"

#include <stdio.h>
#include <string.h>

const char *path_below(const char *file, const char *comp_dir)
{
	size_t n = comp_dir ? strlen(comp_dir) : 0;

	if (n && strncmp(file, comp_dir, n) == 0 && file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

char *decl_location(Dwarf_Die *die, const char *comp_dir)
{
	const char *file = dwarf_decl_file(die);
	char *out;
	int line;

	if (!file || dwarf_decl_line(die, &line) || line <= 0)
		return NULL;
	return asprintf(&out, "%s:%d", path_below(file, comp_dir), line) < 0 ? NULL : out;
}
