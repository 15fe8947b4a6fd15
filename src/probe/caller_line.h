/* Whether one call to a future can carry its caller-side probes
 * (caller_sites.h): the caller's code decoded, where its branches may land
 * (direct targets, jump tables, its own addresses it takes), and the
 * straight line from the call's return address to the first jump (or the
 * caller's own ret) that ends it. */
#ifndef CATTOP_CALLER_LINE_H
#define CATTOP_CALLER_LINE_H

#include <capstone/capstone.h>
#include <stdint.h>

#include "probe/caller_sites.h"
#include "util/u64_map.h"

struct elf_symbols;

/* A PT_LOAD segment: where the file holds [vaddr, vaddr + filesz). */
struct load_segment {
	uint64_t vaddr, filesz, offset;
};

struct caller_line {
	int fd;	       /* the binary */
	csh cs;	       /* with CS_OPT_DETAIL */
	cs_insn *insn; /* cs_malloc'd */
	const struct elf_symbols *syms;
	/* The functions cattop probes (address -> non-NULL), or NULL. */
	const struct u64_map *probed;
	struct load_segment *segs;
	size_t nsegs;
	uint8_t *code; /* one caller's bytes */
	size_t code_cap;
	struct caller_landing {
		uint64_t *addrs; /* where a branch in that caller may land, sorted */
		size_t count, cap;
	} land;
};

/* Fills out with the probes of the call at link-time address call (a
 * `call rel32`), or says why they would not be sound. */
enum caller_problem caller_line_check(struct caller_line *cl, uint64_t call,
				      struct caller_probe *out);
/* Frees the buffers caller_line_check grew (not fd, cs, insn, segs). */
void caller_line_release(struct caller_line *cl);

/* Calls fn for each address insn names: immediates (a call's or a jump's
 * target among them) and memory operands that are absolute or relative to
 * the instruction pointer. */
void insn_named_addresses(const cs_insn *insn, void (*fn)(void *, uint64_t, const cs_insn *),
			  void *ctx);

#endif
