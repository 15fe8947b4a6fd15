/* Samples of the target's thread stacks, for the polls no probe can
 * explain: one that began before cattop attached, or one running long.
 * Threads on a CPU are sampled by a BPF program on a CPU-clock perf event
 * (a copy of the top of the user stack); a thread blocked in a system call
 * is read from /proc/PID/task/TID/syscall (its stack and instruction
 * pointers) and its stack through process_vm_readv. Only the latest
 * sample of each thread is kept. */
#ifndef CATTOP_STACK_SAMPLER_H
#define CATTOP_STACK_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/stack_sample.h"
#include "util/u64_map.h"

struct stack_sample_bpf;
struct bpf_link;
struct ring_buffer;

typedef void (*stack_sample_fn)(void *ctx, const struct stack_sample *s);

struct stack_sampler {
	pid_t pid;
	stack_sample_fn each; /* told of every sample as it is drained, or NULL */
	void *each_ctx;
	struct stack_sample_bpf *skel;
	struct bpf_link **links; /* one per CPU */
	int nlinks;
	struct ring_buffer *ring;
	struct u64_map latest; /* tid -> struct stack_sample */
};

/* Samples at hz per CPU. Returns 0 or -errno (then nothing is sampled, and
 * the rest of cattop works on). */
int stack_sampler_start(struct stack_sampler *ss, pid_t pid, int hz);
/* The same every period_ns of each CPU's clock, so that a sample stands
 * for that much CPU time (light mode's shares), each told of every sample. */
int stack_sampler_start_periodic(struct stack_sampler *ss, pid_t pid, uint64_t period_ns,
				 stack_sample_fn each, void *ctx);
void stack_sampler_drain(struct stack_sampler *ss);
/* The latest sample of tid taken at or after since, reading a blocked
 * thread's stack now if it has none. NULL if there is none. */
const struct stack_sample *stack_sampler_get(struct stack_sampler *ss, uint32_t tid,
					     uint64_t since);
/* Forgets threads that are gone. */
void stack_sampler_prune(struct stack_sampler *ss, int (*exists)(uint32_t tid, void *ctx),
			 void *ctx);
void stack_sampler_stop(struct stack_sampler *ss);

#endif
