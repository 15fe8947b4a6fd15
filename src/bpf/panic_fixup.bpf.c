// SPDX-License-Identifier: GPL-2.0
/* Runs at the entry of the target's __rust_start_panic, before any
 * unwinding: reports the return addresses the kernel's return probes
 * replaced on this thread's stack and stops the process until cattop has
 * put them back (see panic_fixup.h). Reads the kernel's own structures
 * (task->utask->return_instances), hence CO-RE here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "panic_fixup.h"
#include "poll_trace.h"

#define SIGSTOP 19

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} panics SEC(".maps");

/* Set while the process is being stopped for cattop; cattop clears it. A
 * second panic meanwhile sends no SIGSTOP of its own: cattop's SIGCONT
 * would discard it, and its thread stops with the group anyway. */
__u64 stopping = 0;

/* poll_trace's event ring (cattop hands over its fd): the unwind goes in
 * line with the thread's poll events, so the tracker closes its frames. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

static __always_inline void report_unwind(__u32 tid)
{
	struct poll_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts = bpf_ktime_get_ns();
	ev->tid = tid;
	ev->site = (__u32)EV_UNWIND << EVENT_TYPE_SHIFT;
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

SEC("uprobe.multi")
int report_hijacked_returns(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct return_instance *ri;
	struct panic_event *e;
	__u32 i;

	(void)ctx;
	if ((pid_tgid >> 32) != target_tgid)
		return 0;
	report_unwind((__u32)pid_tgid);
	ri = BPF_CORE_READ(task, utask, return_instances);
	if (!ri)
		return 0; /* no return probe on the stack: nothing to undo */
	e = bpf_ringbuf_reserve(&panics, sizeof(*e), 0);
	if (!e)
		return 0;
	e->tid = (__u32)pid_tgid;
	e->count = 0;
	for (i = 0; i < MAX_RETURN_INSTANCES && ri; i++) {
		e->slots[i].stack = BPF_CORE_READ(ri, stack);
		e->slots[i].orig_return = BPF_CORE_READ(ri, orig_ret_vaddr);
		e->count = i + 1;
		ri = BPF_CORE_READ(ri, next);
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	/* Takes effect before the thread runs another instruction. */
	if (__sync_val_compare_and_swap(&stopping, 0, 1) == 0)
		bpf_send_signal_thread(SIGSTOP);
	return 0;
}
