/* Separate debug information: distributions and many deployments strip the
 * binary and keep its symbols and DWARF in a file of their own, found the
 * way gdb finds it: by build id under /usr/lib/debug/.build-id/, or by the
 * .gnu_debuglink name next to the binary, in its .debug/ directory or under
 * /usr/lib/debug. A debug file of another build (a stale app.debug after a
 * rebuild, another program's file) would put probes at wrong offsets, so
 * none is used unless it is proved to be the binary's: the same build id
 * (NT_GNU_BUILD_ID), or, for a binary without one, the CRC32 that the
 * binary's .gnu_debuglink records, as gdb checks it. */
#ifndef CATTOP_DEBUG_FILE_H
#define CATTOP_DEBUG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The build id of an ELF file as lowercase hex; 0 or -errno. */
int elf_build_id(const char *path, char *hex, size_t len);

/* Whether debug is binary's debug file. 0, or -errno with a one-line reason
 * in why: -ENOENT/-EACCES cannot open it, -ENOEXEC not an ELF file,
 * -ESTALE it is not binary's (another build, or nothing to prove it is). */
int debug_file_verify(const char *binary, const char *debug, char *why, size_t whylen);

/* What an ELF file holds for cattop: DWARF (.debug_info), a symbol table
 * (.symtab). 0, or -errno (-ENOEXEC: not an ELF file). */
int debug_file_contents(const char *path, bool *dwarf, bool *symtab);

/* The debug file of binary (exe_path: where it was run from, for the
 * debuglink directories): 0 with its path in out; -ESTALE when only debug
 * files of other builds were found (the first in out, the reason in why);
 * -ENOENT when there is none. */
int debug_file_find(const char *binary, const char *exe_path, char *out, size_t len, char *why,
		    size_t whylen);

#endif
