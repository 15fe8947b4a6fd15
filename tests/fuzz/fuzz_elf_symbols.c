/* libFuzzer harness: the ELF symbol reader (src/probe/elf_symbols.c over
 * libelf). The input is the executable; the symbols it yields are checked
 * against the reader's promises (named, sorted, one per address) and their
 * names go through the demangler and classifier as a scan would send them.
 * Each input is read twice: alone, and as the debug file of itself under
 * another name; and it goes through the debug-file checks (build id note,
 * .gnu_debuglink name and CRC, sections) as both binary and debug file. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/classify.h"
#include "probe/debug_file.h"
#include "probe/elf_symbols.h"
#include "probe/rust_demangle.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path (as code_path's debug file when that is not NULL) and checks
 * what comes back. */
static void read_and_check(const char *path, const char *code_path)
{
	struct elf_symbols syms;
	size_t i;
	int err;

	err = code_path ? elf_symbols_read_from(path, code_path, &syms)
			: elf_symbols_read(path, &syms);
	if (err) {
		if ((err != -ENOEXEC && err != -ENOMEM) || syms.count || syms.syms)
			abort();
		return;
	}
	for (i = 0; i < syms.count; i++) {
		const struct elf_symbol *s = &syms.syms[i];
		struct path_class pc;
		char *path;

		if (!s->name || !s->name[0] || s->addr == 0 ||
		    (i && syms.syms[i - 1].addr >= s->addr))
			abort();
		path = rust_demangle_path(s->name);
		if (path) {
			classify_path(path, &pc);
			free(path);
		}
	}
	elf_symbols_free(&syms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	char code_path[64], why[512];
	bool dwarf, symtab;

	read_and_check(path, NULL);
	if (debug_file_verify(path, path, why, sizeof(why)) && !why[0])
		abort(); /* every refusal says why */
	debug_file_contents(path, &dwarf, &symtab);
	/* The same file under another name: the segments come from a second
	 * open, as for a binary whose symbols are in a separate debug file. */
	snprintf(code_path, sizeof(code_path), "/dev/fd/%s", strrchr(path, '/') + 1);
	read_and_check(path, code_path);
	return 0;
}
