/* Which async-task task a thread is running, from a copy of the top of its
 * stack: for executors that keep no current task anywhere (smol's
 * async-executor), light mode's sampler copies the stack (bpf/stack_sample)
 * and this finds the task in it, with no probe in the target.
 *
 * A task runs inside its vtable's run function (RawTask<F, T, S, M>::run,
 * one per task type), which holds the task's header pointer while it polls
 * the future: in its own frame (debug builds) or in a callee-saved register
 * that the next callee pushes just below the return address into run
 * (optimized builds). So: the innermost word that is an address inside a
 * known run function (a return address into it), and near it a word equal
 * to the header of a walked task whose run is that function. Both must
 * hold, which a stale word alone rarely does; a task spawned since the
 * last walk is not found (its next sample, after the next walk, is). */
#ifndef CATTOP_ASYNC_TASK_ON_STACK_H
#define CATTOP_ASYNC_TASK_ON_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "taskwalk/task_walk.h"
#include "util/u64_map.h"

/* Words around the return address searched for the header: below it the
 * callee's pushed registers, above it run's own frame. */
#define TASK_ON_STACK_BELOW 8
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

/* The header of the task running on the stack whose top len bytes (from
 * the stack pointer up) are words, or 0 if none is found. */
uint64_t async_task_on_stack(const struct async_task_finder *f, const uint8_t *words, size_t len);

/* When no walked task is found: the words near the innermost return
 * address into a run function that could be its header (pointer-like, not
 * code of a run), nearest first, at most max into out. A task found
 * running whose executor the walk does not know (one in no static) leads
 * the walk to it: task_source_seed checks each. Returns how many. */
size_t async_task_candidates(const struct async_task_finder *f, const uint8_t *words, size_t len,
			     uint64_t *out, size_t max);

#endif
