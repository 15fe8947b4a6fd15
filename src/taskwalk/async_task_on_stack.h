/* Which async-task task a thread is running, from a copy of the top of its
 * stack: for executors that keep no current task anywhere (smol's
 * async-executor), light mode's sampler copies the stack (bpf/stack_sample)
 * and this finds the task in it, with no probe in the target.
 *
 * A task runs inside its vtable's run function (RawTask<F, T, S, M>::run,
 * one per task type), which holds the task's header pointer while it polls
 * the future: in its own frame (debug builds) or in a callee-saved register
 * (optimized builds), which stays in the register or is saved by a callee
 * that uses it, below the return address into run. So: the innermost word
 * that is an address inside a known run function (a return address into
 * it), and nearest it (below: the callees' frames; above: run's own; then
 * the callee-saved registers at the sample) a word equal to the header of
 * a walked task whose run is that function. Both must hold, which a stale
 * word alone rarely does; a task spawned since the last walk is not found
 * (its next sample, after the next walk, is). */
#ifndef CATTOP_ASYNC_TASK_ON_STACK_H
#define CATTOP_ASYNC_TASK_ON_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "taskwalk/task_walk.h"
#include "util/u64_map.h"

/* Words above the return address searched for the header: run's own frame
 * (below it, every word down to the stack pointer is). */
#define TASK_ON_STACK_ABOVE 160

struct task_run_fn {
	uint64_t start, end; /* run-time extent of one run function */
};

struct async_task_finder {
	struct task_run_fn *runs; /* sorted by start, disjoint */
	size_t nruns;
	struct u64_map headers; /* header -> its run function's start */
};

/* The size of the function starting at run-time address addr (0 if
 * unknown: its tasks are not looked for). */
typedef uint64_t (*fn_size_at)(void *ctx, uint64_t addr);

/* From a walk's tasks (header, poll_fn), and other run functions known
 * (runs[0..nruns), e.g. from the symbol table) whose tasks the walk has not
 * found yet. Returns 0 or -ENOMEM; the finder is emptied first and may be
 * rebuilt at every walk. */
int async_task_finder_build(struct async_task_finder *f, const struct walked_task *tasks, size_t n,
			    fn_size_at size_at, void *ctx, const struct task_run_fn *runs,
			    size_t nruns);
void async_task_finder_free(struct async_task_finder *f);

/* One sample of a thread: the top len bytes of its stack (from the stack
 * pointer up) as words, its instruction pointer, and its callee-saved
 * registers (regs[0..nregs)). */
struct stack_view {
	const uint8_t *words;
	size_t len;
	uint64_t ip;
	const uint64_t *regs;
	size_t nregs;
};

/* The header of the task running on the stack, or 0 if none is found;
 * in_run says whether the thread was in a run function at all (no: it
 * runs no task; yes and 0: some task, not known which). */
uint64_t async_task_on_stack(const struct async_task_finder *f, const struct stack_view *v,
			     bool *in_run);

/* When no walked task is found: the words near the innermost return
 * address into a run function that could be its header (pointer-like, not
 * code of a run), nearest first, then the registers', at most max into
 * out. A task found running whose executor the walk does not know (one in
 * no static) leads the walk to it: task_source_seed checks each. Returns
 * how many. */
size_t async_task_candidates(const struct async_task_finder *f, const struct stack_view *v,
			     uint64_t *out, size_t max);

#endif
