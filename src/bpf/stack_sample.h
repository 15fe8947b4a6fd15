/* Stack samples: what a thread of the target is doing when no probe says
 * so (a poll that began before cattop attached, or one running long). */
#ifndef CATTOP_STACK_SAMPLE_H
#define CATTOP_STACK_SAMPLE_H

/* Bytes of the user stack copied from the stack pointer up: debug builds
 * keep frames of several KiB per async fn. */
#define STACK_COPY	  (32 * 1024)
#define STACK_SAMPLE_REGS 6

struct stack_sample {
	__u64 ts;
	__u64 ip; /* user registers at the sample */
	__u64 sp;
	__u64 nvcsw; /* the thread's voluntary context switches so far */
	/* The callee-saved registers (rbx, rbp, r12-r15): what a function
	 * keeps across its calls, e.g. async-task's run its task's header. */
	__u64 callee_saved[STACK_SAMPLE_REGS];
	__u32 tid;
	__u32 len; /* bytes of stack copied (less near the top of the stack) */
	__u8 stack[STACK_COPY];
};

#endif
