/* libFuzzer harness: Rust symbol demangling (src/probe/rust_demangle.c over
 * libiberty) and path classification (src/probe/classify.c). The input is
 * taken as a symbol name and run through what site_table does with one: is
 * it Rust, demangle, classify, name it under each kind DWARF may assign. The
 * same bytes are then classified as a demangled path directly, since v0
 * paths can hold nearly any text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/classify.h"
#include "probe/rust_demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *path, enum future_kind kind, const char *dwarf_name)
{
	char *name = display_name(path, kind, dwarf_name);

	if (!name)
		abort(); /* only out of memory may fail */
	/* Closures stripped, at most "::" and a suffix added. */
	if (strlen(name) > strlen(path) + 2 + 13 + (dwarf_name ? strlen(dwarf_name) : 0))
		abort();
	free(name);
}

static void classify_and_name(const char *path)
{
	static const enum future_kind dwarf_kinds[] = {FUTURE_ASYNC_FN, FUTURE_ASYNC_BLOCK,
						       FUTURE_CLOSURE};
	struct path_class pc;
	char small[4];
	size_t i;

	classify_path(path, &pc);
	if (!memchr(pc.crate, '\0', sizeof(pc.crate)) || pc.closure_depth < 0)
		abort();
	crate_of(path, small, sizeof(small));
	check_name(path, pc.kind, NULL);
	if (pc.kind == FUTURE_USER_FUTURE)
		return; /* site_table never lets DWARF override a Future impl */
	for (i = 0; i < sizeof(dwarf_kinds) / sizeof(dwarf_kinds[0]); i++) {
		check_name(path, dwarf_kinds[i], NULL);
		check_name(path, dwarf_kinds[i], "{async_block#3}");
		check_name(path, dwarf_kinds[i], "poll");
	}
	future_kind_name(pc.kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *path;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	path = rust_demangle_path(text);
	if (path && !rust_symbol_is_mangled(text))
		abort();
	if (path) {
		classify_and_name(path);
		free(path);
	}
	classify_and_name(text);
	free(text);
	return 0;
}
