/* Separate debug information: distributions and many deployments strip the
 * binary and keep its symbols and DWARF in a file of their own, found the
 * way gdb finds it: by build id under /usr/lib/debug/.build-id/, or by the
 * .gnu_debuglink name next to the binary, in its .debug/ directory or under
 * /usr/lib/debug. */
#ifndef CATTOP_DEBUG_FILE_H
#define CATTOP_DEBUG_FILE_H

#include <stddef.h>

/* The build id of an ELF file as lowercase hex; 0 or -errno. */
int elf_build_id(const char *path, char *hex, size_t len);

/* The debug file for binary (exe_path: where it was run from, for the
 * debuglink directories); 0 with its path in out, or -ENOENT. */
int debug_file_find(const char *binary, const char *exe_path, char *out, size_t len);

#endif
