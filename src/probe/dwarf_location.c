#include "probe/dwarf_location.h"

#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *path_below(const char *file, const char *comp_dir)
{
	size_t n = comp_dir ? strlen(comp_dir) : 0;

	if (n && strncmp(file, comp_dir, n) == 0 && file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

bool dwarf_library_file(const char *file)
{
	return strncmp(file, "/rustc/", 7) == 0 || strstr(file, "/.cargo/registry/") ||
	       strstr(file, "/cargo/registry/") || strstr(file, "/library/core/") ||
	       strstr(file, "/library/std/");
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

char *qualified_die_name(Dwarf_Die *die)
{
	Dwarf_Die *scopes = NULL;
	const char *name = dwarf_diename(die);
	char *out = NULL;
	size_t len = 0;
	int n, i;

	if (!name || (n = dwarf_getscopes_die(die, &scopes)) <= 0)
		return NULL;
	out = calloc(1, 1);
	for (i = n - 1; out && i >= 0; i--) {
		const char *part = i == 0 ? name : dwarf_diename(&scopes[i]);
		char *grown;

		if (i > 0 && (dwarf_tag(&scopes[i]) != DW_TAG_namespace || !part))
			continue;
		grown = realloc(out, len + strlen(part) + 3);
		if (!grown) {
			free(out);
			out = NULL;
			break;
		}
		out = grown;
		len += (size_t)sprintf(out + len, "%s%s", len ? "::" : "", part);
	}
	free(scopes);
	return out;
}
