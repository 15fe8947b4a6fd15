/* Where a runtime keeps, per thread, the id of the task the thread is
 * polling now: read by light mode's sampler (bpf/task_sampler.bpf.c) at
 * the thread pointer plus these offsets, with no probe in the target. */
#ifndef CATTOP_RUNNING_TASK_H
#define CATTOP_RUNNING_TASK_H

#include <stdint.h>

struct running_task_loc {
	int64_t discr_off;   /* from the thread pointer to the Option's discriminant */
	int64_t value_off;   /* and to the id (equal: a niche, None is none_value) */
	uint64_t discr_mask; /* the discriminant's bytes */
	uint64_t none_value;
};

#endif
