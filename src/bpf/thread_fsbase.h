/* The fs base (thread pointer) of each thread of the target, from the
 * kernel's own record of it: where each thread's ELF TLS block is, read
 * without touching the target (no ptrace, no signal). */
#ifndef CATTOP_THREAD_FSBASE_H
#define CATTOP_THREAD_FSBASE_H

struct thread_fsbase {
	__u32 tid;
	__u32 pad;
	__u64 fsbase;
};

#endif
