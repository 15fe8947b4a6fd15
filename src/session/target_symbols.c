#include "session/target_symbols.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "probe/debug_file.h"
#include "probe/elf_symbols.h"
#include "probe/target.h"
#include "util/safe_text.h"

/* --debug-file: the user said which file; any doubt about it is an error. */
static int check_given(const struct target *t, const char *path, bool stripped, char *err,
		       size_t errlen)
{
	bool dwarf, symtab;
	char why[512];
	int ret = debug_file_verify(t->binary, path, why, sizeof(why));

	if (ret == -ESTALE) {
		snprintf(err, errlen, "--debug-file %s is not the debug file of %s: %s", path,
			 t->exe, why);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "--debug-file %s: %s", path, why);
		return ret;
	}
	ret = debug_file_contents(path, &dwarf, &symtab);
	if (ret) {
		snprintf(err, errlen, "--debug-file %s: %s", path,
			 ret == -ENOEXEC ? "not an ELF file" : strerror(-ret));
		return ret;
	}
	if (!dwarf && !(stripped && symtab)) {
		snprintf(err, errlen, "--debug-file %s has no DWARF (no .debug_info)%s", path,
			 stripped ? " and no symbol table" : "");
		return -ENODATA;
	}
	return 0;
}

/* Where gdb would look; a file of another build is skipped, and said so. */
static void find_automatically(const struct target *t, char *dwarf_path, size_t dwarf_len)
{
	char why[512], msg[5000];
	int ret = debug_file_find(t->binary, t->exe, dwarf_path, dwarf_len, why, sizeof(why));

	if (ret == -ESTALE) { /* the path comes from the target's binary: escaped */
		snprintf(msg, sizeof(msg), "not using the debug file %s: %s", dwarf_path, why);
		safe_error(msg);
	}
	if (ret)
		dwarf_path[0] = '\0';
}

/* A stripped binary whose symbols live on in its debug file. */
static void symbols_from_debug_file(const struct target *t, const char *dwarf_path,
				    struct elf_symbols *syms)
{
	struct elf_symbols from_debug;

	if (elf_symbols_read_from(dwarf_path, t->binary, &from_debug))
		return;
	if (!from_debug.has_symtab) {
		elf_symbols_free(&from_debug);
		return;
	}
	elf_symbols_free(syms);
	*syms = from_debug;
}

static int read_own_symbols(const struct target *t, struct elf_symbols *syms, char *err,
			    size_t errlen)
{
	int ret = elf_symbols_read(t->binary, syms);

	if (ret == -ENOEXEC) {
		snprintf(err, errlen, "%s: not an ELF executable", t->exe);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", t->exe, strerror(-ret));
		return ret;
	}
	if (!syms->has_symtab && !syms->built_by_rustc) {
		snprintf(err, errlen, "%s: not a Rust binary (no symbol table, no rustc mark)",
			 t->exe);
		return -ENOEXEC;
	}
	return 0;
}

int target_symbols_read(const struct target *t, const char *debug_file, struct elf_symbols *syms,
			char *dwarf_path, size_t dwarf_len, char *err, size_t errlen)
{
	int ret = read_own_symbols(t, syms, err, errlen);

	dwarf_path[0] = '\0';
	if (ret)
		return ret;
	if (debug_file) {
		ret = check_given(t, debug_file, !syms->has_symtab, err, errlen);
		if (ret)
			return ret;
		snprintf(dwarf_path, dwarf_len, "%s", debug_file);
	} else if (syms->has_debug_info) {
		snprintf(dwarf_path, dwarf_len, "%s", t->binary);
	} else {
		find_automatically(t, dwarf_path, dwarf_len);
	}
	if (!syms->has_symtab && dwarf_path[0])
		symbols_from_debug_file(t, dwarf_path, syms);
	if (!syms->has_symtab && debug_file) {
		snprintf(err, errlen,
			 "%s is stripped (no .symtab) and --debug-file %s has no symbol table "
			 "either: cattop needs one",
			 t->exe, debug_file);
		return -ENOEXEC;
	}
	if (!syms->has_symtab) {
		snprintf(
		    err, errlen,
		    "%s is stripped (no .symtab) and has no debug file of its own build: cattop "
		    "needs the symbol table; build with strip = false, or give --debug-file",
		    t->exe);
		return -ENOEXEC;
	}
	return 0;
}
