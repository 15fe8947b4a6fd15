/* Where a function returns, read from its machine code. cattop times most
 * polls with a probe on each `ret` of the function instead of a return
 * probe: a return probe replaces the return address on the stack with the
 * kernel's trampoline, which has no unwind information, so a panic
 * unwinding through such a frame aborts the process. A probe on an
 * instruction changes nothing the unwinder reads.
 *
 * A function can also leave by a tail call (`jmp` with its frame already
 * torn down, as the call frame information says): then the callee's `ret`
 * returns for it, and the callee's exits are followed too (they close the
 * frame by stack pointer, whatever site they belong to). An indirect tail
 * call or code that cannot be decoded leaves the exits unknown: such a
 * function is not probed at all. */
#ifndef CATTOP_EXIT_SITES_H
#define CATTOP_EXIT_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_symbols;
struct exit_finder;

/* Why a function's exits are unknown. */
enum exit_problem {
	EXIT_OK = 0,
	EXIT_UNDECODABLE,   /* bytes that are not x86-64 instructions */
	EXIT_INDIRECT_TAIL, /* an indirect jump with the frame torn down */
	EXIT_NO_CFI,	    /* no call frame information to tell a tail call */
	EXIT_TOO_MANY,	    /* more exits (own and tail callees') than EXITS_MAX */
};

#define EXITS_MAX 64

struct exit_list {
	uint64_t offsets[EXITS_MAX]; /* file offsets of ret instructions */
	bool own[EXITS_MAX];	     /* in the function itself, not a tail callee */
	size_t count;
};

/* Opens binary (whose code and .eh_frame are read) with syms to name tail
 * callees. Returns 0 or -errno. */
int exit_finder_open(struct exit_finder **out, const char *binary, const struct elf_symbols *syms);
void exit_finder_close(struct exit_finder *f);

/* Fills out with where the function at link-time address addr, of size
 * bytes, returns. */
enum exit_problem exit_finder_find(struct exit_finder *f, uint64_t addr, uint64_t size,
				   struct exit_list *out);

/* EXIT_OK if the function's bytes, from its start, are whole x86-64
 * instructions (its entry is an instruction start, as any probe site must
 * be); EXIT_UNDECODABLE if not. */
enum exit_problem exit_finder_check_code(struct exit_finder *f, uint64_t addr, uint64_t size);

const char *exit_problem_str(enum exit_problem p);

/* Whether anything in the binary can unwind the stack: it refers to
 * _Unwind_RaiseException (panic = "unwind", the default). A binary built
 * with panic = "abort" cannot, and a return probe anywhere in it is safe. */
bool exit_finder_binary_unwinds(const struct exit_finder *f);

#endif
