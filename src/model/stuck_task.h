/* A poll that began before cattop attached, found on a thread's stack by
 * the stack samples (session/stack_watch.h): no probe saw its entry and
 * none will see its return. It is a task of its own, in flight since the
 * attach and named by the futures on the stack, until its thread hits a
 * probe or ends. Kept in the model, and recorded, so that a replay makes
 * the same tasks, with the same ids, as the live session did. */
#ifndef CATTOP_STUCK_TASK_H
#define CATTOP_STUCK_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "model/task_model.h"

/* Its task key: never a runtime's task pointer (those have the top bits
 * clear) nor a block_on key (top bit set). */
static inline uint64_t stuck_task_key(uint32_t tid)
{
	return (1ULL << 62) | tid;
}

/* The task of thread tid's poll, running since `since`, inside the futures
 * sites[0..count) (outermost first). NULL on ENOMEM. */
struct task *stuck_task_begin(struct task_model *m, uint32_t tid, uint64_t since,
			      const uint32_t *sites, size_t count);
/* Thread tid hit a probe or ended at now: that poll is over, its end
 * unseen (counted as unknown, no time). */
void stuck_task_end(struct task_model *m, uint32_t tid, uint64_t now);

#endif
