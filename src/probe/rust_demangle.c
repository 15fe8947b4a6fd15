#include "probe/rust_demangle.h"

#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

/* Length of the symbol without a compiler suffix such as ".llvm.1234" (LLVM
 * renames local functions it promotes in optimised builds) or ".cold". */
static size_t unsuffixed_length(const char *mangled)
{
	const char *dot = strstr(mangled, "E.");

	/* Legacy paths spell "::" inside <> as "..", so only a dot right after
	 * the closing E of the hash segment starts a suffix. */
	while (dot && !(dot >= mangled + 20 && strncmp(dot - 19, "17h", 3) == 0))
		dot = strstr(dot + 1, "E.");
	return dot ? (size_t)(dot + 1 - mangled) : strlen(mangled);
}

/* Legacy Rust symbols are Itanium-shaped but end in a 17h<16 hex> hash
 * segment; that is what tells them apart from C++. */
static bool has_legacy_hash(const char *mangled)
{
	size_t len = unsuffixed_length(mangled);
	const char *hash;
	int i;

	if (len < 4 + 20 || mangled[len - 1] != 'E')
		return false;
	hash = mangled + len - 20;
	if (strncmp(hash, "17h", 3) != 0)
		return false;
	for (i = 3; i < 19; i++) {
		char c = hash[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool rust_symbol_is_mangled(const char *mangled)
{
	if (strncmp(mangled, "_R", 2) == 0)
		return true;
	return strncmp(mangled, "_ZN", 3) == 0 && has_legacy_hash(mangled);
}

char *rust_demangle_path(const char *mangled)
{
	char *plain, *path;

	if (!rust_symbol_is_mangled(mangled))
		return NULL;
	plain = strndup(mangled,
			mangled[1] == 'R' ? strcspn(mangled, ".") : unsuffixed_length(mangled));
	if (!plain)
		return NULL;
	/* Without DMGL_VERBOSE libiberty drops the legacy hash; for v0 symbols
	 * it omits the crate disambiguators the same way. */
	path = rust_demangle(plain, DMGL_RUST);
	free(plain);
	return path;
}
