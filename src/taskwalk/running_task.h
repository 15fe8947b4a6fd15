/* Where a runtime keeps, per thread, which task the thread is polling now:
 * read by light mode's sampler (bpf/task_sampler.bpf.c) at the thread
 * pointer plus these offsets, with no probe in the target. The value is a
 * 64-bit word, 0 for no task: tokio's task Id, async-std's pointer to the
 * polled task's TaskLocalsWrapper (task_source_sample_key makes either a
 * task's sample key). */
#ifndef CATTOP_RUNNING_TASK_H
#define CATTOP_RUNNING_TASK_H

#include <stdbool.h>
#include <stdint.h>

struct running_task_loc {
	int64_t discr_off;   /* from the thread pointer to the discriminant */
	int64_t value_off;   /* and to the value (equal: a niche, no discriminant) */
	uint64_t discr_mask; /* the discriminant's bytes */
	uint64_t discr_value;
	/* false: discr_value means none (an Option's None, tokio); true: only
	 * discr_value means a value (a lazy thread-local's Alive state:
	 * before and after it, the value is not there). */
	bool value_only_if;
};

#endif
