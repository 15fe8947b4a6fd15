#include "probe/rust_demangle.h"

#include <string.h>
#include <libiberty/demangle.h>

/* Legacy Rust symbols are Itanium-shaped but end in a 17h<16 hex> hash
 * segment; that is what tells them apart from C++. */
static bool has_legacy_hash(const char *mangled)
{
	size_t len = strlen(mangled);
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
	if (!rust_symbol_is_mangled(mangled))
		return NULL;
	/* Without DMGL_VERBOSE libiberty drops the legacy hash; for v0 symbols
	 * it omits the crate disambiguators the same way. */
	return rust_demangle(mangled, DMGL_RUST);
}
