#include "probe/task_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "task_sampler.skel.h"
#include "util/clock.h"

static int on_ring(void *ctx, void *data, size_t size)
{
	struct task_sampler *ts = ctx;

	if (size >= sizeof(struct task_sample))
		ts->on_sample(ts->ctx, data);
	return 0;
}

/* A fixed period, not a frequency: each sample then stands for the same
 * CPU time, and samples x period is the CPU a task used. */
static int open_cpu_clock(int cpu, uint64_t period_ns)
{
	struct perf_event_attr attr = {
	    .type = PERF_TYPE_SOFTWARE,
	    .size = sizeof(attr),
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	    .sample_period = period_ns,
	};

	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int attach_cpus(struct task_sampler *ts)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, err = -ENODEV;

	if (ncpu <= 0)
		return -EINVAL;
	ts->links = calloc(ncpu, sizeof(*ts->links));
	if (!ts->links)
		return -ENOMEM;
	for (cpu = 0; cpu < ncpu; cpu++) {
		int fd = open_cpu_clock(cpu, ts->period_ns);
		struct bpf_link *link;

		if (fd < 0) {
			if (errno != ENODEV)
				err = -errno;
			continue; /* an offline CPU */
		}
		link = bpf_program__attach_perf_event(ts->skel->progs.sample_task, fd);
		if (!link) {
			err = -errno;
			close(fd);
			continue;
		}
		ts->links[ts->nlinks++] = link;
	}
	return ts->nlinks ? 0 : err;
}

int task_sampler_start(struct task_sampler *ts, pid_t pid, int hz,
		       const struct running_task_loc *loc, task_sample_fn fn, void *ctx, char *err,
		       size_t errlen)
{
	int ret;

	memset(ts, 0, sizeof(*ts));
	if (hz <= 0)
		return -EINVAL;
	ts->period_ns = 1000000000ULL / (uint64_t)hz;
	ts->on_sample = fn;
	ts->ctx = ctx;
	ts->skel = task_sampler_bpf__open();
	if (!ts->skel) {
		ret = errno ? -errno : -EINVAL;
		snprintf(err, errlen, "cannot open the task sampler: %s", strerror(-ret));
		return ret;
	}
	ts->skel->rodata->target_tgid = (__u32)pid;
	ts->skel->rodata->discr_off = loc->discr_off;
	ts->skel->rodata->value_off = loc->value_off;
	ts->skel->rodata->discr_mask = loc->discr_mask;
	ts->skel->rodata->discr_value = loc->discr_value;
	ts->skel->rodata->value_only_if = loc->value_only_if;
	ret = task_sampler_bpf__load(ts->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the task sampler (a kernel with BTF?): %s",
			 strerror(-ret));
		goto cleanup;
	}
	/* Samples begin with the first CPU's event: the span they are of
	 * begins here, not once every CPU's is in (slow on a loaded machine). */
	ts->started_ns = monotonic_now_ns();
	ret = attach_cpus(ts);
	if (ret) {
		snprintf(err, errlen, "cannot open CPU-clock perf events: %s", strerror(-ret));
		goto cleanup;
	}
	ts->ring = ring_buffer__new(bpf_map__fd(ts->skel->maps.samples), on_ring, ts, NULL);
	if (!ts->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the task sampler's ring: %s", strerror(-ret));
		goto cleanup;
	}
	return 0;
cleanup:
	task_sampler_stop(ts);
	return ret;
}

int task_sampler_drain(struct task_sampler *ts)
{
	return ts->ring ? ring_buffer__consume(ts->ring) : 0;
}

void task_sampler_stop(struct task_sampler *ts)
{
	int i;

	for (i = 0; i < ts->nlinks; i++)
		bpf_link__destroy(ts->links[i]);
	free(ts->links);
	ring_buffer__free(ts->ring);
	task_sampler_bpf__destroy(ts->skel);
	memset(ts, 0, sizeof(*ts));
}
