/* Event format shared by the BPF programs and user space. */
#ifndef CATTOP_POLL_TRACE_H
#define CATTOP_POLL_TRACE_H

/* What one probe hit means. The BPF cookie of each attach point carries its
 * site id in the low 32 bits and its role in the next bits, so the programs
 * need no map lookup to know what they hit. */
enum poll_event_type {
	EV_ENTER = 0,	 /* a poll (task or future) began */
	EV_EXIT = 1,	 /* a poll returned */
	EV_TASK_END = 2, /* the runtime freed a task: its id may be reused */
	EV_UNWIND = 3,	 /* a panic starts unwinding the thread: polls it leaves never return */
};

/* EV_UNWIND's site field: which unwind. */
#define UNWIND_PANIC 0 /* one thread's stack */
#define UNWIND_EXEC  1 /* the process exec'd: every stack, and all after is another program */

#define COOKIE_SITE_MASK  0xffffffffULL
#define COOKIE_ROLE_SHIFT 32
#define ROLE_POLL	  0ULL /* entry+return probes: polls */
#define ROLE_TASK_END	  1ULL /* entry probe only: task deallocation */
#define ROLE_TASK_POLL	  2ULL /* a task poll: like ROLE_POLL, but no await point to read */
#define ROLE_RET	  3ULL /* a ret instruction: the frame whose return address is on top returns */
#define ROLE_PANIC	  4ULL /* the panic runtime's entry: the thread starts unwinding */
/* entry probe only: a task is woken. Reported as EV_ENTER of its site (no
 * event type is left in the 2 type bits); ret says who woke it. */
#define ROLE_TASK_WAKE 5ULL
/* A caller-side probe (src/probe/caller_sites.h) on a `call rel32` to the
 * site: its entry, reported as the callee's entry would be (sp - 8, the
 * return address after the 5-byte call). */
#define ROLE_CALL 6ULL
/* On the first jmp/jcc after such a call (or the caller's ret): the site's
 * poll has returned. The cookie's top bits (COOKIE_SP_SHIFT) say how far
 * the caller's sp has moved up since the return: reported as a return
 * probe would see it. */
#define ROLE_CALL_RETURNED 7ULL
#define COOKIE_SP_SHIFT	   44
/* The function returns its value through a hidden pointer in the first
 * argument register, so the future's self is the second. */
#define COOKIE_SELF_IN_PARM2 (1ULL << 40)
/* ROLE_RET in a tail callee of the site, shared with other callers: a
 * return it reports that matches no open poll is nobody's loss. */
#define COOKIE_TAIL_EXIT (1ULL << 41)

/* 64 bytes: small enough that an event costs ~0.15 us to emit. */
struct poll_event {
	__u64 ts;   /* bpf_ktime_get_ns() */
	__u64 sp;   /* stack pointer at the hit: entry sp + 8 == return sp (a ret
		     * probe reports the sp after the ret) */
	__u64 arg;  /* at entry: the task header or the future's self; at a
		     * return: 1 if from a tail callee's ret (COOKIE_TAIL_EXIT) */
	__u64 ret;  /* at entry: the return address, i.e. where the caller awaits */
	__u32 tid;  /* kernel thread id */
	__u32 site; /* site id; type in the top 2 bits */
	__u64 lost; /* events dropped so far (full ring): a rise means a gap before this one */
	/* The thread's time so far runnable but waiting for a CPU (ns), from
	 * thread_clock.bpf.h, or where that is not kept the scheduler's
	 * run_delay, 0 if the kernel does not say: return minus entry is the
	 * part of a poll spent preempted. */
	__u64 run_delay;
	/* The thread's time so far off its CPU asleep (blocked in the kernel),
	 * from thread_clock.bpf.h; ASLEEP_UNKNOWN where not measured. */
	__u64 asleep;
};

#define ASLEEP_UNKNOWN (~0ULL)

/* An event's size in recordings of format version 2: no run_delay. */
#define POLL_EVENT_V2_SIZE 48
/* In version 3: no asleep. */
#define POLL_EVENT_V3_SIZE 56

#define EVENT_TYPE_SHIFT 30
#define EVENT_SITE_MASK	 ((1U << EVENT_TYPE_SHIFT) - 1)

#endif
