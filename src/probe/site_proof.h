/* Where a probe may go. A uprobe replaces the byte at its file offset with a
 * breakpoint; one that is not the first byte of an instruction corrupts the
 * code (SIGILL, SIGSEGV, or worse: wrong results). So a probe goes only
 * where cattop has proved that the function it means starts: a FUNC symbol
 * of size > 0 at that very address, in symbols that are the binary's own
 * or those of a debug file with the binary's build id (target_symbols.h),
 * lying whole in an executable PT_LOAD segment of the binary, at the file
 * offset the binary's own program headers give. A site that fails is never
 * probed: the scan leaves it out (counted), and a cache holding one is not
 * used. */
#ifndef CATTOP_SITE_PROOF_H
#define CATTOP_SITE_PROOF_H

#include <stdbool.h>
#include <stdint.h>

struct elf_symbols;

/* Whether a probe at file_offset is the start of the function at addr. */
bool site_placement_proven(const struct elf_symbols *syms, uint64_t addr, uint64_t file_offset);

#endif
