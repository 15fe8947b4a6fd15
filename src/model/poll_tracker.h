/* Turns the probes' entry/return events into model updates. It keeps a stack
 * of open frames per thread and pairs returns with entries by stack pointer
 * (return sp == entry sp + 8 on x86-64), which makes nesting exact per thread
 * and lets it resynchronise when a return never comes: a panic unwinding
 * through a probed function, or an event lost in a full ring buffer. Such
 * frames are counted but get no time. */
#ifndef CATTOP_POLL_TRACKER_H
#define CATTOP_POLL_TRACKER_H

#include <stdint.h>

#include "model/task_model.h"
#include "util/u64_map.h"

struct site_table;
struct poll_event;

#define MAX_OPEN_FRAMES 512

struct open_frame {
	uint64_t sp;
	uint64_t start;	    /* entry time */
	uint64_t run_delay; /* the thread's wait for a CPU so far, at entry */
	uint64_t asleep;    /* its time asleep so far, at entry (ASLEEP_UNKNOWN) */
	uint32_t site;
	struct task *task;	  /* the task this poll belongs to */
	struct future_node *node; /* NULL for a task poll frame */
	bool task_frame;	  /* ends the task's poll (task poll or block_on root) */
	uint32_t task_tid;	  /* task_frame: the thread polling it */
	bool no_return;		  /* entered before the return probes were in: no return will come,
				   * so it is never shown as in flight */
};

struct thread_stack {
	uint32_t tid;
	uint32_t depth;
	bool unwinding; /* a panic started: frames left below count as unwound */
	uint64_t last_event;
	struct open_frame frames[MAX_OPEN_FRAMES];
};

/* A thread that has run runtime task polls: a worker. */
struct worker {
	uint32_t tid;
	uint64_t task_polls;
	uint64_t last_poll_end;
};

struct tracker_counters {
	uint64_t events;
	uint64_t unmatched_returns; /* a return with no open entry: a lost event */
	uint64_t abandoned_frames;  /* entries whose return never came */
	uint64_t too_deep;	    /* entries past MAX_OPEN_FRAMES, ignored */
	uint64_t unwound;	    /* polls a panic unwound (counted as abandoned too) */
	uint64_t panics;	    /* panics started on a traced thread */
	uint64_t gaps;		    /* times events were lost: every open poll forgotten */
	uint64_t orphans;	    /* futures entered with their task poll's entry lost */
	uint64_t oom;
};

/* One finished poll, for exports: frames[0..depth) of stack are the
 * polls it ran inside, outermost first. */
struct poll_span {
	const struct thread_stack *stack;
	const struct open_frame *frame;
	uint32_t depth;
	uint64_t start, end;
	uint64_t cpu_wait; /* of end - start, spent waiting for a CPU (0 in flight) */
	uint64_t blocked;  /* of end - start, asleep in the kernel (0 in flight or unmeasured) */
	bool inflight;	   /* still running where the data ends */
};

typedef void (*poll_span_fn)(void *ctx, const struct poll_span *span);

/* Where a probed future's code lies (link-time addresses). */
struct code_range {
	uint64_t start, end;
};

/* Whether addr lies in one of ranges[0..n) (sorted by start, disjoint). */
bool code_ranges_contain(const struct code_range *ranges, size_t n, uint64_t addr);

struct poll_tracker {
	const struct site_table *sites;
	struct task_model *model;
	struct u64_map threads;	 /* tid -> thread_stack, only threads with open frames */
	struct u64_map workers;	 /* tid -> worker */
	struct u64_map desynced; /* tid -> (void *)1: events lost since its last task poll */
	struct u64_map polled;	 /* tid -> (void *)1: began a poll since attach */
	struct tracker_counters counters;
	uint64_t *site_hits;	   /* entries per site id: what the probes cost */
	uint64_t returns_ready_at; /* when the return probes were all in */
	uint64_t lost_seen;	   /* the highest lost count events carried */
	bool execed;		   /* the process exec'd: later events are another program's */
	bool launch_exec_due;	   /* a launched command's own exec is still to come */
	/* A future entered with nothing open below it is a block_on root,
	 * unless it was called from a probed future's code: then its parent's
	 * entry was missed (a poll begun before the attach, events lost) and
	 * it is an orphan. Needs the run-time minus link-time code address,
	 * known at attach (0 known: no such check). */
	int64_t code_bias;
	bool code_bias_known;
	struct code_range *futures_code; /* sorted, of the probed future sites */
	size_t futures_code_count;
	/* Per site: a future that a runtime task poll entry runs as its task
	 * (the entry's DWARF type names it). With nothing open below it, its
	 * task poll's entry was missed: not a block_on root either. */
	bool *task_root;
	/* Sorted code of the SITE_WAKE_DEFERRER sites: a wake called from it
	 * is a task's own deferred wake (task_wakes.h). */
	struct code_range *deferrer_code;
	size_t deferrer_code_count;
	/* Sorted code of the SITE_TASK_WAKE sites: a wake called from one is
	 * part of that wake (async-task's wake calls its wake_by_ref). */
	struct code_range *wake_code;
	size_t wake_code_count;
	/* Optional: whether a wake's caller (link-time return address) is a
	 * deferrer inlined into other code; answers kept in wake_callers
	 * (addr -> 1 no, 2 yes). */
	bool (*inlined_deferrer)(void *ctx, uint64_t ret_vaddr);
	void *deferrer_ctx;
	struct u64_map wake_callers;
	poll_span_fn on_span; /* optional: told of every poll that ends */
	void *span_ctx;
};

void poll_tracker_init(struct poll_tracker *t, const struct site_table *sites,
		       struct task_model *model);
void poll_tracker_free(struct poll_tracker *t);
void poll_tracker_handle(struct poll_tracker *t, const struct poll_event *ev);

/* Drops the stacks of threads that no longer exist (exists() says which),
 * so a thread that died mid-poll leaves nothing behind. */
/* Whether the thread began a poll since the probes went in: if not, a
 * poll on its stack began before cattop attached. */
bool poll_tracker_polled(const struct poll_tracker *t, uint32_t tid);

void poll_tracker_reap_threads(struct poll_tracker *t, int (*exists)(uint32_t tid, void *ctx),
			       void *ctx, uint64_t now);

/* Reports the polls still open at time end as in-flight spans (exports). */
void poll_tracker_report_open(struct poll_tracker *t, uint64_t end);

/* The frames thread tid has open now, outermost first; NULL if none. */
const struct thread_stack *poll_tracker_stack(const struct poll_tracker *t, uint32_t tid);

/* Synthetic task key for a root future polled outside any runtime task
 * (block_on): one per thread and root future. Runtime task keys are user
 * space pointers, which never have the top bit set. */
static inline uint64_t block_on_task_key(uint32_t tid, uint32_t site)
{
	return (1ULL << 63) | ((uint64_t)tid << 32) | site;
}

#endif
