/* Panics and return probes. A return probe replaces a function's return
 * address on the stack with the kernel's uprobe trampoline, which has no
 * unwind information: a panic unwinding through such a frame cannot find
 * its way and Rust aborts the process. So at the start of every panic of the
 * target, before any unwinding, the thread's return instances (where each
 * hijacked slot is, and what it held) are sent to cattop and the process is
 * stopped; cattop writes the real return addresses back and continues it.
 * (bpf_probe_write_user would do it in place, but kernels in lockdown or
 * without it refuse that helper to uprobe programs.) */
#ifndef CATTOP_PANIC_FIXUP_H
#define CATTOP_PANIC_FIXUP_H

/* Return instances a thread can have: the kernel allows 64 nested return
 * probes, chained ones (tail calls) add a few. */
#define MAX_RETURN_INSTANCES 128

struct hijacked_slot {
	__u64 stack;	   /* where the return address was (the entry's sp) */
	__u64 orig_return; /* what it was before the trampoline went there */
};

struct panic_event {
	__u32 tid;
	__u32 count;
	struct hijacked_slot slots[MAX_RETURN_INSTANCES];
};

#endif
