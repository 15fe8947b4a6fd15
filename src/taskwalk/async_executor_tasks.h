/* async-executor's live tasks (smol 1.x, async-std 1.x), read from the
 * target's memory while it runs: each executor's `active` slab, one Waker
 * per spawned task not yet ended, each Waker's data the task's Header
 * (async_task_layout.h has the path and the fields).
 *
 * Which executors: the global ones in statics (their Arc<State> once
 * initialised) and any other whose State a known task leads to (its
 * schedule closure's Arc<State>: async_executor_state_of). A user's own
 * Executor (smol's usual `Executor::new()` leaked or in an Arc) is in no
 * static: it is found once one of its tasks has been seen polling (the
 * task_poll probe's key). An executor none of whose tasks run after
 * attach, and LocalExecutors (thread-locals), are not found. An executor
 * found through a task stays walked for the session: once dropped, its
 * freed State reads as no slab or a changing one (the walk then says it is
 * incomplete) unless the allocator reused it for something slab-shaped.
 *
 * Nothing is locked: the slab can change under the walk (a task spawned
 * or ended, the entries reallocated). An entry that does not read as a
 * task, or a count of occupied entries other than the slab's len, makes
 * the walk incomplete (tasks missing once are not taken for ended ones). */
#ifndef CATTOP_ASYNC_EXECUTOR_TASKS_H
#define CATTOP_ASYNC_EXECUTOR_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskwalk/async_task_layout.h"
#include "taskwalk/task_walk.h"

/* What a task's vtable says, kept across walks (vtables are statics of
 * the program): its run (the task type), where its future and schedule
 * closure lie, and the future's DWARF type once the load bias is known. */
#define ASYNC_TASK_MEMO 4

struct async_task_vtable {
	uint64_t addr, run, offset_f, offset_s;
	bool type_tried, has_type;
	Dwarf_Die future_type;
	bool boxed;	      /* F is a Pin<Box<…>> (async-task boxes large futures) */
	uint64_t future_size; /* F's (or, boxed, its box's) DWARF size, 0 if unknown */
	/* Where the spawned future lies in F, by F's state (its coroutine
	 * discriminant): the wrappers are read through once per state, not
	 * once per task. Not when F is not an enum or the future is boxed. */
	bool memo_ok;
	uint64_t discr_off, discr_size;
	size_t nmemo;
	uint64_t memo_state[ASYNC_TASK_MEMO], memo_off[ASYNC_TASK_MEMO];
};

#define ASYNC_TASK_MAX_VTABLES 128

struct async_task_vtables {
	struct async_task_vtable v[ASYNC_TASK_MAX_VTABLES];
	size_t n; /* read so far; past the size, the oldest slot is reused */
};

/* The tasks of every executor: the statics' (bias: run-time minus
 * link-time address of the executable; NULL: statics not read) and states
 * (ArcInner<State> addresses), to w (emptied first). Returns 0, or
 * -ENOMEM. */
int async_executor_tasks_walk(const struct async_task_layout *l, pid_t pid, const int64_t *bias,
			      const uint64_t *states, size_t nstates,
			      struct async_task_vtables *vtables, struct task_walk *w);
/* The executor (its ArcInner<State>) the task at header says it belongs
 * to: the Arc<State> in its schedule closure, if that is
 * Executor::schedule's (unchecked: see async_executor_holds). */
bool async_executor_state_of(const struct async_task_layout *l, pid_t pid, uint64_t header,
			     uint64_t *state);
/* The executor's active slab holds the task (so state is an executor's,
 * and the task one of its tasks: a task with another schedule function
 * gives no slab holding it). */
bool async_executor_holds(const struct async_task_layout *l, pid_t pid, uint64_t state,
			  uint64_t header);

#endif
