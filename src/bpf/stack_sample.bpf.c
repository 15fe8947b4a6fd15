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

/* As much of the stack as is mapped, up to STACK_COPY, in 4 KiB pieces:
 * near its top less is mapped (a worker thread's stack is shallow, its
 * frames often within a few KiB of the top), and one read that crosses the
 * end fails whole. Below 4 KiB left, 512 bytes at least. */
#define STACK_PIECE 4096

static __always_inline __u32 copy_stack(struct stack_sample *s)
{
	__u8 *sp = (__u8 *)s->sp;
	__u32 i;

	for (i = 0; i < STACK_COPY / STACK_PIECE; i++)
		if (bpf_probe_read_user(s->stack + i * STACK_PIECE, STACK_PIECE,
					sp + i * STACK_PIECE))
			break;
	if (i)
		return i * STACK_PIECE;
	return bpf_probe_read_user(s->stack, 512, sp) ? 0 : 512;
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
	s->callee_saved[0] = regs.bx;
	s->callee_saved[1] = regs.bp;
	s->callee_saved[2] = regs.r12;
	s->callee_saved[3] = regs.r13;
	s->callee_saved[4] = regs.r14;
	s->callee_saved[5] = regs.r15;
	s->len = copy_stack(s);
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	return 0;
}
