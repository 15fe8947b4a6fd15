/* Light mode's samples: which runtime task each sampled thread of the
 * target was running, read from the runtime's own thread-local (tokio keeps
 * the polled task's Id in CONTEXT.current_task_id around every poll,
 * async-std a pointer into the polled task in CURRENT). No
 * probe in the target: only a CPU-clock timer, so cheap enough to leave on. */
#ifndef CATTOP_TASK_SAMPLER_H
#define CATTOP_TASK_SAMPLER_H

/* The thread-local could not be read (the thread has no TLS block there:
 * not a runtime thread, or not set up yet): task_id says nothing. */
#define TASK_SAMPLE_UNREADABLE 1

struct task_sample {
	__u64 ts;      /* CLOCK_MONOTONIC */
	__u64 task_id; /* the runtime's task id or pointer, 0: no task */
	__u64 nvcsw;   /* the thread's voluntary context switches so far: the
			* same id with no switch between two samples is one
			* poll (a worker parks between polls) */
	__u32 tid;
	__u32 flags; /* TASK_SAMPLE_* */
};

#endif
