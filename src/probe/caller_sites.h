/* Caller-side probes: a future's poll timed from where it is called.
 *
 * A plain debug build starts every function with `sub $N,%rsp`, which the
 * kernel single-steps at a uprobe (~12.5 us a hit, probe_cost.h), and its
 * `ret` is single-stepped too. The kernel emulates `call rel32` and
 * `jmp`/`jcc` with an immediate target (~0.8 us). So where every way into
 * a function is a direct call, the poll can be timed by a probe on each
 * such call (the entry: the arguments are already in their registers) and
 * one on the first jmp/jcc after it (the return), if the code between the
 * return address and that jump is straight-line: nothing in it calls or
 * returns, it moves the stack pointer only by known amounts (add, sub,
 * push, pop), and no branch lands in it (or on the jump), so the jump's
 * probe fires once for each return and never without one. A panic
 * unwinding through the callee skips that jump as it would skip a probe on
 * its `ret`. A caller whose line ends in its own `ret` instead (a
 * forwarding shim such as <Pin<P> as Future>::poll) has that ret probed:
 * single-stepped, as the callee's would be, but only when the shim runs.
 *
 * Whether every way in is such a call is read from the whole binary: any
 * other reference to the function's address (a `lea`, a jump to it, an
 * immediate, a pointer in data or in a relocation, an exported symbol)
 * means it may be called indirectly, and it keeps its own probes. */
#ifndef CATTOP_CALLER_SITES_H
#define CATTOP_CALLER_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_symbols;
struct caller_index;

enum caller_problem {
	CALLER_OK = 0,
	CALLER_NOT_CALLED,    /* no direct call to it in the code */
	CALLER_REFERENCED,    /* its address is taken: it may be called indirectly */
	CALLER_NOT_STRAIGHT,  /* a call is not followed by straight-line code and a jmp/jcc */
	CALLER_BRANCHED_INTO, /* a branch may land between a call's return and its jump */
	CALLER_SHARED_END,    /* a probed function's own entry or ret would be its probe too */
	CALLER_TOO_MANY,      /* more calls than CALLERS_MAX */
	CALLER_UNDECODABLE,   /* a caller's code could not be read */
};

#define CALLERS_MAX 32

/* How far a caller's stack pointer may move between a call's return and
 * the end probed (the bits a BPF cookie has for it, poll_trace.h). */
#define SP_DELTA_MAX (1 << 20)

struct caller_probe {
	uint64_t call_offset; /* file offset of the call rel32 */
	/* Of the first jmp/jcc after it (or the caller's ret): the poll has
	 * returned. */
	uint64_t jump_offset;
	/* The stack pointer there minus at the return (a shim's epilogue
	 * before its ret), 0 at a jump right after the call. */
	uint64_t sp_delta;
};

struct caller_list {
	struct caller_probe probes[CALLERS_MAX];
	size_t count;
};

/* Decodes the code of binary (symbols in syms, file offsets in it) once,
 * and reads its data, for the calls to and other references of the n
 * functions at link-time addresses targets. probed (nprobed of them): every
 * function cattop probes, whose own probes a caller-side one must not share
 * a place with. Returns 0 or -errno. */
int caller_index_build(struct caller_index **out, const char *binary,
		       const struct elf_symbols *syms, const uint64_t *targets, size_t n,
		       const uint64_t *probed, size_t nprobed);
void caller_index_free(struct caller_index *ix);

/* Whether target is one of the functions the index was built for. */
bool caller_index_covers(const struct caller_index *ix, uint64_t target);

/* Fills out with the caller-side probes of the function at target (one
 * of the index's), or says why it cannot have them. */
enum caller_problem caller_index_find(struct caller_index *ix, uint64_t target,
				      struct caller_list *out);

const char *caller_problem_str(enum caller_problem p);

#endif
