/* Light mode's task samples taken from stacks, for executors that keep no
 * current task anywhere a sample could read it (async-executor: smol). A
 * CPU-clock sampler copies the top of the running thread's stack at a
 * fixed period (probe/stack_sampler.h), and the task is found in the copy
 * (taskwalk/async_task_on_stack.h) among the tasks the last walk listed.
 * A sample costs ~30 times a thread-local read (the 32 KiB copy), still
 * well under a percent of a CPU at light mode's rate. */
#ifndef CATTOP_STACK_TASKS_H
#define CATTOP_STACK_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "probe/stack_sampler.h"
#include "taskwalk/async_task_on_stack.h"

struct session;

#define STACK_TASK_CANDIDATES 32
#define STACK_TASK_SEEDS      4096 /* offers over the session */

struct stack_tasks {
	struct session *s;
	struct stack_sampler sampler;
	struct async_task_finder finder;
	uint64_t finder_walk; /* the walk (walk_summary.walks) it was built from */
	uint64_t started_ns;  /* CLOCK_MONOTONIC when the perf events went in */
	bool tasks_known;     /* a walk has listed tasks: the samples count from then */
	uint64_t samples;
	uint64_t found; /* samples in which a walked task was found */
	/* Words that may be the header of a task found running but not walked
	 * (its executor in no static): offered to the walk at the next tick. */
	uint64_t candidates[STACK_TASK_CANDIDATES];
	size_t ncandidates;
	size_t seeds_left; /* offers still allowed (each reads the target) */
};

/* Samples every period_ns of each CPU's clock into s->samples. Returns 0,
 * or -errno with a one-line reason in err. */
int stack_tasks_start(struct stack_tasks *st, struct session *s, uint64_t period_ns, char *err,
		      size_t errlen);
/* After a walk: the tasks to look for are the walk's. */
void stack_tasks_tick(struct stack_tasks *st);
void stack_tasks_drain(struct stack_tasks *st);
void stack_tasks_stop(struct stack_tasks *st);

#endif
