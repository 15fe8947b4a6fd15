/* SPDX-License-Identifier: GPL-2.0 */
/* Each traced thread's time off its CPU, split into asleep (blocked in the
 * kernel: a lock, I/O, a sleep) and runnable (waiting for a CPU), kept by
 * programs on the scheduler's switch and wakeup tracepoints. A poll's
 * probes read both at entry and return: the differences split its wall
 * time (src/model/task_model.h, struct poll_split). Both are timed with
 * bpf_ktime_get_ns, the probes' own clock: the scheduler's run_delay uses
 * its run-queue clock, whose updates can be skipped at a switch, and is
 * off by hundreds of us over a preempted poll.
 *
 * Included by poll_trace.bpf.c: one skeleton, one set of rodata. */
#ifndef CATTOP_THREAD_CLOCK_BPF_H
#define CATTOP_THREAD_CLOCK_BPF_H

/* Where task_struct keeps pid and tgid (kernel_btf.h); 0: off-CPU time is
 * not measured (no switch program runs). */
const volatile __u64 task_pid_offset = 0;
const volatile __u64 task_tgid_offset = 0;

/* Set by user space once the programs are attached: before that (or if
 * they could not be) the probes report the kernel's run_delay and no
 * asleep time. */
__u32 thread_clock_on = 0;

struct thread_clock {
	__u64 since;	/* when it left its CPU or was woken, 0 while on it */
	__u64 asleep;	/* total ns off its CPU asleep */
	__u64 waiting;	/* total ns runnable off its CPU */
	__u32 sleeping; /* since it left its CPU asleep, not yet woken */
	__u32 pad;
};

/* Threads of the target that left a CPU since the attach; one that never
 * did has no entry (no time off its CPU yet). Deleted when it exits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct thread_clock);
} thread_clocks SEC(".maps");

/* The current thread's totals, complete up to now (it is on its CPU).
 * Returns 0 when the clock is not kept (the caller falls back). */
static __always_inline int thread_clock_read(__u32 tid, __u64 *waiting, __u64 *asleep)
{
	struct thread_clock *c;

	if (!thread_clock_on)
		return 0;
	c = bpf_map_lookup_elem(&thread_clocks, &tid);
	*waiting = c ? c->waiting : 0;
	*asleep = c ? c->asleep : 0;
	return 1;
}

/* The thread of task p, if it is one of the target's. */
static __always_inline int target_thread(void *p, __u32 *tid)
{
	__s32 tgid = 0, pid = 0;

	if (bpf_probe_read_kernel(&tgid, sizeof(tgid), p + task_tgid_offset) ||
	    (__u32)tgid != target_tgid ||
	    bpf_probe_read_kernel(&pid, sizeof(pid), p + task_pid_offset))
		return 0;
	*tid = (__u32)pid;
	return 1;
}

/* The span since c->since ends now: asleep or runnable, as it began. */
static __always_inline void thread_clock_close(struct thread_clock *c, __u64 now)
{
	__u64 d = now > c->since ? now - c->since : 0;

	if (c->sleeping)
		c->asleep += d;
	else
		c->waiting += d;
	c->since = 0;
	c->sleeping = 0;
}

/* Every context switch on the machine (prev is the current task): a
 * traced thread leaving its CPU opens a span, asleep unless it was
 * preempted or still runnable; one coming back closes it. */
SEC("raw_tp/sched_switch")
int thread_switch(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now = 0;
	struct thread_clock *c, fresh = {};
	__u32 tid;

	if (!task_tgid_offset)
		return 0;
	/* Most switches on a machine are other processes': the clock is read
	 * only for the target's. */
	if ((pid_tgid >> 32) == target_tgid) {
		now = bpf_ktime_get_ns();
		tid = (__u32)pid_tgid;
		c = bpf_map_lookup_elem(&thread_clocks, &tid);
		if (!c) {
			/* Full (over 16k threads): their time reads as running. */
			bpf_map_update_elem(&thread_clocks, &tid, &fresh, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&thread_clocks, &tid);
		}
		if (c) {
			c->since = now;
			/* args: preempt, prev, next, prev_state (0: TASK_RUNNING) */
			c->sleeping = !ctx->args[0] && (__u32)ctx->args[3] != 0;
		}
	}
	if (!target_thread((void *)ctx->args[2], &tid))
		return 0;
	c = bpf_map_lookup_elem(&thread_clocks, &tid);
	if (c && c->since)
		thread_clock_close(c, now ? now : bpf_ktime_get_ns());
	return 0;
}

/* A traced thread asleep off its CPU is woken: from now it waits for one. */
SEC("raw_tp/sched_wakeup")
int thread_wakeup(struct bpf_raw_tracepoint_args *ctx)
{
	struct thread_clock *c;
	__u64 now;
	__u32 tid;

	if (!task_tgid_offset || !target_thread((void *)ctx->args[0], &tid))
		return 0;
	c = bpf_map_lookup_elem(&thread_clocks, &tid);
	if (!c || !c->since || !c->sleeping)
		return 0;
	now = bpf_ktime_get_ns();
	thread_clock_close(c, now);
	c->since = now; /* runnable from here */
	return 0;
}

/* A thread of the target exits: its clock goes (a new thread may reuse the
 * tid, and starts from nothing). */
SEC("raw_tp/sched_process_exit")
int thread_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;

	(void)ctx;
	if ((pid_tgid >> 32) == target_tgid && task_tgid_offset)
		bpf_map_delete_elem(&thread_clocks, &tid);
	return 0;
}

#endif
