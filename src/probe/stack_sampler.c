#include "probe/stack_sampler.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "probe/target_memory.h"
#include "stack_sample.skel.h"
#include "util/clock.h"

static int on_sample(void *ctx, void *data, size_t size)
{
	struct stack_sampler *ss = ctx;
	const struct stack_sample *in = data;
	struct stack_sample *s;

	if (size < sizeof(*in))
		return 0;
	if (ss->each && in->len <= STACK_COPY)
		ss->each(ss->each_ctx, in);
	s = u64_map_get(&ss->latest, in->tid);
	if (!s) {
		s = malloc(sizeof(*s));
		if (!s || u64_map_put(&ss->latest, in->tid, s)) {
			free(s);
			return 0;
		}
	}
	memcpy(s, in, offsetof(struct stack_sample, stack) + (in->len <= STACK_COPY ? in->len : 0));
	if (s->len > STACK_COPY)
		s->len = 0;
	return 0;
}

/* hz samples a second, or (hz 0) one every period_ns of the CPU's clock. */
static int open_cpu_clock(int cpu, int hz, uint64_t period_ns)
{
	struct perf_event_attr attr = {
	    .type = PERF_TYPE_SOFTWARE,
	    .size = sizeof(attr),
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	};

	if (hz) {
		attr.sample_freq = (__u64)hz;
		attr.freq = 1;
	} else {
		attr.sample_period = period_ns;
	}
	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int attach_cpus(struct stack_sampler *ss, int hz, uint64_t period_ns)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;

	if (ncpu <= 0)
		return -EINVAL;
	ss->links = calloc(ncpu, sizeof(*ss->links));
	if (!ss->links)
		return -ENOMEM;
	for (cpu = 0; cpu < ncpu; cpu++) {
		int fd = open_cpu_clock(cpu, hz, period_ns);
		struct bpf_link *link;

		if (fd < 0)
			continue; /* an offline CPU */
		link = bpf_program__attach_perf_event(ss->skel->progs.sample_stack, fd);
		if (!link) {
			close(fd);
			continue;
		}
		ss->links[ss->nlinks++] = link;
	}
	return ss->nlinks ? 0 : -ENODEV;
}

static int start(struct stack_sampler *ss, pid_t pid, int hz, uint64_t period_ns,
		 stack_sample_fn each, void *ctx)
{
	int ret;

	memset(ss, 0, sizeof(*ss));
	ss->pid = pid;
	ss->each = each;
	ss->each_ctx = ctx;
	ss->skel = stack_sample_bpf__open();
	if (!ss->skel)
		return -errno ? -errno : -EINVAL;
	ss->skel->rodata->target_tgid = pid;
	ret = stack_sample_bpf__load(ss->skel);
	if (!ret)
		ret = attach_cpus(ss, hz, period_ns);
	if (!ret) {
		ss->ring =
		    ring_buffer__new(bpf_map__fd(ss->skel->maps.samples), on_sample, ss, NULL);
		if (!ss->ring)
			ret = -errno;
	}
	if (ret)
		stack_sampler_stop(ss);
	return ret;
}

int stack_sampler_start(struct stack_sampler *ss, pid_t pid, int hz)
{
	return start(ss, pid, hz > 0 ? hz : 1, 0, NULL, NULL);
}

int stack_sampler_start_periodic(struct stack_sampler *ss, pid_t pid, uint64_t period_ns,
				 stack_sample_fn each, void *ctx)
{
	return start(ss, pid, 0, period_ns, each, ctx);
}

void stack_sampler_drain(struct stack_sampler *ss)
{
	if (ss->ring)
		ring_buffer__consume(ss->ring);
}

/* A thread off the CPU: /proc gives its registers while it sits in a
 * system call ("nr args... sp pc"), or says "running". */
static struct stack_sample *read_blocked(struct stack_sampler *ss, uint32_t tid)
{
	char path[64], line[512];
	struct stack_sample *s;
	uint64_t sp, pc;
	long nr;
	FILE *f;
	int got;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/syscall", ss->pid, tid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!got ||
	    sscanf(line, "%ld %*s %*s %*s %*s %*s %*s %" SCNx64 " %" SCNx64, &nr, &sp, &pc) != 3)
		return NULL;
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	s->ts = monotonic_now_ns();
	s->nvcsw = 0; /* not known here, nor needed: a blocked thread runs no poll */
	memset(s->callee_saved, 0, sizeof(s->callee_saved));
	s->tid = tid;
	s->ip = pc;
	s->sp = sp;
	for (s->len = STACK_COPY; s->len >= 512; s->len /= 8)
		if (target_read_memory(ss->pid, sp, s->stack, s->len) == 0)
			break;
	if (s->len < 512 || u64_map_put(&ss->latest, tid, s)) {
		free(s);
		return NULL;
	}
	return s;
}

const struct stack_sample *stack_sampler_get(struct stack_sampler *ss, uint32_t tid, uint64_t since)
{
	struct stack_sample *s = u64_map_get(&ss->latest, tid);

	if (s && s->ts >= since)
		return s;
	/* No sample since: the thread has not run, so it is blocked. */
	free(u64_map_remove(&ss->latest, tid));
	return read_blocked(ss, tid);
}

void stack_sampler_prune(struct stack_sampler *ss, int (*exists)(uint32_t tid, void *ctx),
			 void *ctx)
{
	size_t i = 0;

	while (ss->latest.slots && i <= ss->latest.mask) {
		struct u64_map_slot *slot = &ss->latest.slots[i];

		if (!slot->value || exists((uint32_t)slot->key, ctx)) {
			i++;
			continue;
		}
		/* Removal shifts a later slot into i: look at i again. */
		free(u64_map_remove(&ss->latest, slot->key));
	}
}

void stack_sampler_stop(struct stack_sampler *ss)
{
	size_t i;

	for (i = 0; i < (size_t)ss->nlinks; i++)
		bpf_link__destroy(ss->links[i]);
	free(ss->links);
	ring_buffer__free(ss->ring);
	stack_sample_bpf__destroy(ss->skel);
	for (i = 0; ss->latest.slots && i <= ss->latest.mask; i++)
		free(ss->latest.slots[i].value);
	u64_map_free(&ss->latest);
	memset(ss, 0, sizeof(*ss));
}
