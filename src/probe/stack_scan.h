/* A call stack from a raw copy of a thread's stack, without frame pointers
 * or unwind tables: every word that points just after a call instruction
 * inside a known function is taken as a return address. Stale words can
 * add a frame that is no longer live; none that is live is missed. */
#ifndef CATTOP_STACK_SCAN_H
#define CATTOP_STACK_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include "bpf/stack_sample.h"

struct elf_symbols;

#define STACK_SCAN_MAX 48

struct code_image; /* the executable's bytes, to check for call instructions */

int code_image_open(const char *path, struct code_image **out);
void code_image_free(struct code_image *img);

/* The process the stack is from. */
struct scan_target {
	pid_t pid;    /* to read GOT slots; 0: not at all */
	int64_t bias; /* run-time minus link-time code address */
};

/* Link-time addresses of the frames, innermost first (frame 0 is the
 * instruction pointer). Bit i of verified is set when frame i's call was
 * seen to go to the function of frame i - 1: the two are surely linked. */
size_t stack_scan(const struct stack_sample *s, const struct scan_target *t,
		  const struct elf_symbols *syms, const struct code_image *img, uint64_t *frames,
		  uint64_t *verified, size_t max);

/* The symbol whose code holds vaddr, or NULL. */
const struct elf_symbol *symbol_at(const struct elf_symbols *syms, uint64_t vaddr);

#endif
