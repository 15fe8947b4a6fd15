/* Reading a traced process without stopping it: its memory through
 * process_vm_readv (a future's state, a thread's stack) and the offset at
 * which its executable was loaded (run-time code addresses to the link-time
 * ones DWARF and the symbol table use). */
#ifndef CATTOP_TARGET_MEMORY_H
#define CATTOP_TARGET_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_symbols;

/* Reads len bytes at addr. Returns 0, or -errno (-EFAULT: not mapped). */
int target_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Run-time minus link-time address of the executable's code, from
 * /proc/PID/maps. Returns 0 or -errno. */
int target_code_bias(pid_t pid, const char *exe, const struct elf_symbols *syms, int64_t *bias);

#endif
