/* The symbols and DWARF cattop reads for a target: the binary's own, or
 * those of a separate debug file proved to be the binary's (debug_file.h).
 * Probes are placed from these symbols (site_proof.h), so a debug file of
 * another build is never used: found by itself, it is skipped with a
 * warning; given with --debug-file, it is an error before anything is
 * attached. */
#ifndef CATTOP_TARGET_SYMBOLS_H
#define CATTOP_TARGET_SYMBOLS_H

#include <stddef.h>

struct elf_symbols;
struct target;

/* Reads the symbols of t's binary into syms and says in dwarf_path where
 * its DWARF is ("" if nowhere). debug_file: --debug-file, or NULL to look
 * where gdb looks. Returns 0, or -errno with a one-line reason in err. */
int target_symbols_read(const struct target *t, const char *debug_file, struct elf_symbols *syms,
			char *dwarf_path, size_t dwarf_len, char *err, size_t errlen);

#endif
