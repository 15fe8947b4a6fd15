/* The tasks of one walk by the bytes their futures occupy, to tell which
 * task an address inside a task belongs to: async-std's current-task
 * pointer points at the TaskLocalsWrapper inside the polled task's future,
 * wherever that future's coroutine has moved it (an async block's upvar is
 * moved into its awaitee at the first poll), so the whole span is matched,
 * not one offset. Spans of live tasks never overlap (separate
 * allocations). */
#ifndef CATTOP_TASK_SPANS_H
#define CATTOP_TASK_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "taskwalk/task_walk.h"

struct task_span {
	uint64_t lo, hi; /* [lo, hi) */
	uint64_t key;	 /* the task's header */
};

struct task_spans {
	struct task_span *v;
	size_t n, cap;
};

/* The spans of w's tasks whose body is known (replacing s's). Returns 0,
 * or -ENOMEM (then s is empty). */
int task_spans_build(struct task_spans *s, const struct task_walk *w);
/* The key of the task whose span holds addr; false if none does. */
bool task_spans_find(const struct task_spans *s, uint64_t addr, uint64_t *key);
void task_spans_free(struct task_spans *s);

#endif
