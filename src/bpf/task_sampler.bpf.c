// SPDX-License-Identifier: GPL-2.0
/* On a CPU-clock perf event: when the CPU runs a thread of the target, the
 * runtime task that thread is polling now (its id or address), read from its ELF TLS
 * block (fs base + the thread-local's offset, both given by user space from
 * the ELF and DWARF). A thread in no poll reads None (0).
 *
 * The fs base comes from task->thread.fsbase through CO-RE (the
 * preserve_access_index declarations below): it is set at clone and saved
 * at every switch, and Rust threads never change it, so it is the running
 * thread's even while the sample hits in the kernel. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "task_sampler.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
/* From the fs base to the Option<Id>'s discriminant and to its value: the
 * TLS block lies below the thread pointer (x86-64 variant II), so these are
 * usually negative. Equal when the discriminant is a niche in the value
 * (tokio 1.53's NonZeroU64 Id: None is 0). The value is the task's id or
 * address, 0 for none (async-std's null CURRENT). */
const volatile __s64 discr_off = 0;
const volatile __s64 value_off = 0;
const volatile __u64 discr_mask = ~0ULL; /* the discriminant's size */
const volatile __u64 discr_value = 0;	 /* None's (tokio) or Alive's (async-std) */
const volatile __u8 value_only_if = 0;	 /* 1: discr_value alone means a value */

struct thread_struct {
	unsigned long fsbase;
} __attribute__((preserve_access_index));

struct task_struct {
	unsigned long nvcsw;
	struct thread_struct thread;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} samples SEC(".maps");

SEC("perf_event")
int sample_task(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), discr = 0, value = 0, fsbase;
	struct task_struct *task;
	struct task_sample *s;
	__u32 flags = 0;

	(void)ctx;
	if ((pid_tgid >> 32) != target_tgid)
		return 0;
	task = bpf_get_current_task_btf();
	fsbase = task->thread.fsbase;
	if (!fsbase || bpf_probe_read_user(&discr, sizeof(discr), (void *)(fsbase + discr_off)))
		flags |= TASK_SAMPLE_UNREADABLE;
	else if (((discr & discr_mask) == discr_value) != (value_only_if != 0))
		value = 0;
	else if (discr_off == value_off)
		value = discr;
	else if (bpf_probe_read_user(&value, sizeof(value), (void *)(fsbase + value_off)))
		flags |= TASK_SAMPLE_UNREADABLE;
	s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
	if (!s)
		return 0;
	s->ts = bpf_ktime_get_ns();
	s->tid = (__u32)pid_tgid;
	s->task_id = value;
	s->nvcsw = task->nvcsw;
	s->flags = flags;
	/* Drained on cattop's refresh timer: no wake-up per sample. */
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	return 0;
}
