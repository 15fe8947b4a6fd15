/* Light mode's data source: a CPU-clock perf event on every CPU whose BPF
 * program (bpf/task_sampler.bpf.c) reports, for each sample that hits a
 * thread of the target, the runtime task that thread is polling. No
 * uprobe: the target's code is untouched and its cost is the timer's. */
#ifndef CATTOP_PROBE_TASK_SAMPLER_H
#define CATTOP_PROBE_TASK_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/task_sampler.h"
#include "taskwalk/running_task.h"

struct task_sampler_bpf;
struct bpf_link;
struct ring_buffer;

typedef void (*task_sample_fn)(void *ctx, const struct task_sample *s);

struct task_sampler {
	struct task_sampler_bpf *skel;
	struct bpf_link **links; /* one per online CPU */
	int nlinks;
	struct ring_buffer *ring;
	uint64_t period_ns;  /* CPU time each sample stands for */
	uint64_t started_ns; /* CLOCK_MONOTONIC: no sample is older */
	task_sample_fn on_sample;
	void *ctx;
};

/* Samples every CPU hz times a second of its clock. Returns 0, or -errno
 * with a one-line reason in err. */
int task_sampler_start(struct task_sampler *ts, pid_t pid, int hz,
		       const struct running_task_loc *loc, task_sample_fn fn, void *ctx, char *err,
		       size_t errlen);
/* Hands what the ring holds to fn. Returns samples handled. */
int task_sampler_drain(struct task_sampler *ts);
void task_sampler_stop(struct task_sampler *ts);

#endif
