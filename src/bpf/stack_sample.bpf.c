// SPDX-License-Identifier: GPL-2.0
/* Samples the target's threads while they run on a CPU: the user registers
 * and a copy of the top of the user stack. Rust builds have no frame
 * pointers by default, so the stack is scanned for return addresses in user
 * space rather than walked here. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "saved_regs.h"
#include "stack_sample.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct task_struct {
	unsigned long nvcsw;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} samples SEC(".maps");

/* The largest copy the stack allows: near its top less is mapped. */
static __always_inline __u32 copy_stack(struct stack_sample *s)
{
	void *sp = (void *)s->sp;

	if (!bpf_probe_read_user(s->stack, STACK_COPY, sp))
		return STACK_COPY;
	if (!bpf_probe_read_user(s->stack, STACK_COPY / 8, sp))
		return STACK_COPY / 8;
	if (!bpf_probe_read_user(s->stack, 512, sp))
		return 512;
	return 0;
}

SEC("perf_event")
int sample_stack(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct saved_regs regs;
	struct stack_sample *s;

	(void)ctx;
	if ((pid_tgid >> 32) != target_tgid)
		return 0;
	task = bpf_get_current_task_btf();
	/* The user registers, even when the sample hit in the kernel. */
	if (bpf_probe_read_kernel(&regs, sizeof(regs), (void *)bpf_task_pt_regs(task)))
		return 0;
	s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
	if (!s)
		return 0;
	s->ts = bpf_ktime_get_ns();
	s->tid = (__u32)pid_tgid;
	s->ip = regs.ip;
	s->sp = regs.sp;
	s->nvcsw = task->nvcsw;
	s->len = copy_stack(s);
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	return 0;
}
