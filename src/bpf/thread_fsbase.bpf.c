// SPDX-License-Identifier: GPL-2.0
/* A task iterator that writes (tid, fs base) of every thread of the target
 * to its seq file. x86-64 only: the fs base is task->thread.fsbase there,
 * saved at every context switch, so it is exact for a sleeping thread.
 *
 * The only program that reads a kernel structure: through CO-RE (the
 * preserve_access_index declarations below), so libbpf relocates the two
 * field offsets with the running kernel's BTF. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "thread_fsbase.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct seq_file;

struct thread_struct {
	unsigned long fsbase;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	struct thread_struct thread;
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

SEC("iter/task")
int thread_fsbase(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct thread_fsbase rec = {0};

	if (!task || task->tgid != (int)target_tgid)
		return 0;
	rec.tid = task->pid;
	rec.fsbase = task->thread.fsbase;
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
