// SPDX-License-Identifier: GPL-2.0
/* cattop's probes, attached with uprobe_multi links: an entry program for
 * every traced function, and for its end either a program on each of its
 * ret instructions or (task polls of runtimes that catch panics inside
 * them) a return probe; see src/probe/exit_sites.h for why. A future of a
 * debug build may instead be probed in its callers, on each call to it and
 * the first jump after (src/probe/caller_sites.h). The hot path
 * only copies a few registers into the ring buffer; pairing entries with
 * returns, nesting and resynchronisation after lost returns are done in
 * user space by stack pointer, so the BPF side needs no per-thread map
 * for that; thread_clock.bpf.h keeps each thread's time off its CPU. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "poll_trace.h"
#include "saved_regs.h"

char LICENSE[] SEC("license") = "GPL";

/* The traced process; the links already filter on it, this guards forks
 * sharing the text (a child keeps breakpoints until exec). */
const volatile __u32 target_tgid = 0;

#include "thread_clock.bpf.h"

/* Where the kernel's task_struct keeps sched_info.run_delay (kernel_btf.h),
 * 0 if unknown: an offset set at load, so no CO-RE relocation (and no
 * parsing of the kernel's BTF by libbpf) is needed for it. */
const volatile __u64 run_delay_offset = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized from user space */
} events SEC(".maps");

/* Events dropped because the ring buffer was full. Every event carries the
 * count, so user space sees where a gap is and forgets the polls it may
 * have cut in two; the atomic add is paid only on the dropping path. */
__u64 lost_events = 0;

static __always_inline int emit(void *ctx, __u32 type)
{
	const struct saved_regs *regs = ctx;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 role = (cookie >> COOKIE_ROLE_SHIFT) & 0xff;
	struct poll_event *e;

	if (target_tgid && (pid_tgid >> 32) != target_tgid)
		return 0;
	if (type == EV_ENTER && role == ROLE_TASK_END)
		type = EV_TASK_END;
	if (type == EV_ENTER && role == ROLE_PANIC)
		type = EV_UNWIND; /* site UNWIND_PANIC: the site bits are not used */

	/* No wakeup: the consumer drains on a timer, which saves ~1.9 us a hit. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	/* The thread is on a CPU: the delay it has waited for one is complete
	 * up to now, so entry and return give the waits inside the poll. This
	 * program can itself be preempted: the times off the CPU are read
	 * after the entry's timestamp and before the return's, so a wait in
	 * here is never counted as inside the poll's wall time when it is
	 * not. A wake or a task's end needs neither: spare them the reads. */
	e->run_delay = 0;
	e->asleep = ASLEEP_UNKNOWN;
	if (type != EV_EXIT)
		e->ts = bpf_ktime_get_ns();
	if (role != ROLE_TASK_WAKE && role != ROLE_TASK_END &&
	    !thread_clock_read((__u32)pid_tgid, &e->run_delay, &e->asleep) && run_delay_offset &&
	    bpf_probe_read_kernel(&e->run_delay, sizeof(e->run_delay),
				  (void *)(bpf_get_current_task() + run_delay_offset)))
		e->run_delay = 0;
	if (type == EV_EXIT)
		e->ts = bpf_ktime_get_ns();
	e->sp = regs->sp;
	e->arg = 0;
	e->ret = 0;
	if (role == ROLE_RET) {
		/* Before the ret: report the sp after it, as a return probe would. */
		e->sp += 8;
		e->arg = !!(cookie & COOKIE_TAIL_EXIT);
	} else if (role == ROLE_CALL_RETURNED) {
		/* After the call: what a return probe reports, once the caller's
		 * own moves since (a shim's epilogue) are taken back. */
		e->sp -= cookie >> COOKIE_SP_SHIFT;
	} else if (type == EV_ENTER || type == EV_TASK_END) {
		/* Both loads, then a select: the verifier rejects a context
		 * read at a computed offset. */
		__u64 parm1 = regs->di, parm2 = regs->si;

		barrier_var(parm1);
		barrier_var(parm2);

		e->arg = cookie & COOKIE_SELF_IN_PARM2 ? parm2 : parm1;
		/* At entry the return address is on top of the stack: it is the
		 * caller's await point. A fault leaves it 0. Only a future's
		 * (and a wake's: its caller tells a deferred self-wake) is
		 * used; the read is a good part of a hit's BPF time. */
		if ((role == ROLE_POLL || role == ROLE_TASK_WAKE) &&
		    bpf_probe_read_user(&e->ret, sizeof(e->ret), (void *)e->sp))
			e->ret = 0;
		/* On the call instruction itself (a uprobe handler sees ip at the
		 * probed instruction): the callee's entry would see the return
		 * address pushed, sp 8 lower. */
		if (role == ROLE_CALL) {
			e->ret = regs->ip + 5;
			e->sp -= 8;
		}
	}
	e->tid = (__u32)pid_tgid;
	e->lost = lost_events;
	e->site = type == EV_UNWIND ? UNWIND_PANIC : (__u32)cookie & EVENT_SITE_MASK;
	e->site |= type << EVENT_TYPE_SHIFT;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* An exec replaces the program under the same pid: the events after this
 * one are not the traced program's. */
SEC("raw_tp/sched_process_exec")
int process_exec(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct poll_event *e;

	(void)ctx;
	if ((pid_tgid >> 32) != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->tid = (__u32)pid_tgid;
	e->site = UNWIND_EXEC | ((__u32)EV_UNWIND << EVENT_TYPE_SHIFT);
	e->lost = lost_events;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("uprobe.multi")
int poll_enter(void *ctx)
{
	return emit(ctx, EV_ENTER);
}

/* The return probe of a task poll that a panic never unwinds through. */
SEC("uretprobe.multi")
int poll_exit(void *ctx)
{
	return emit(ctx, EV_EXIT);
}

/* A ret instruction of a traced function (or of its tail callee), or the
 * first jump after a caller-side probed call (ROLE_CALL_RETURNED). */
SEC("uprobe.multi")
int poll_ret(void *ctx)
{
	return emit(ctx, EV_EXIT);
}
