/* The live model: one tree per task instance, task -> futures -> children,
 * keyed by call path (site ids from the root down), with poll statistics. */
#ifndef CATTOP_TASK_MODEL_H
#define CATTOP_TASK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/u64_map.h"

#define POLL_HIST_BUCKETS 40 /* log2 buckets: [2^i, 2^(i+1)) ns, up to ~18 min */
#define RECENT_SLOW_POLLS 8

struct slow_poll {
	uint64_t ended_at;    /* CLOCK_MONOTONIC */
	uint64_t duration_ns; /* on its CPU or blocked: the poll's time */
	uint64_t blocked_ns;  /* of duration_ns, asleep in the kernel (0 if unmeasured) */
	uint64_t cpu_wait_ns; /* besides duration_ns, runnable waiting for a CPU */
};

/* How a poll's wall time divides: on its CPU (running), asleep in the
 * kernel (blocked: a std Mutex, blocking I/O, thread::sleep), and runnable
 * but waiting for a CPU (preempted). Running and blocked are what the
 * future did to its worker; the wait is the machine's. */
struct poll_split {
	uint64_t runnable;
	uint64_t blocked; /* 0 where off-CPU time is not measured: counted as running */
};

/* A poll's time is its wall time minus what its thread spent runnable
 * but waiting for a CPU meanwhile (preempted by other work): the time the
 * future held its worker by computing or blocking, which is what makes it
 * slow. Where the kernel does not say, the wait is 0. */
struct poll_stats {
	uint64_t polls;
	uint64_t busy_ns;
	uint64_t max_poll_ns;
	uint64_t slow_polls;
	uint64_t inflight_since; /* entry time of the poll running now, 0 if none */
	/* A duty window began to close while that poll ran: it is dropped once
	 * the window's links are gone, and counts to here meanwhile (it is
	 * not seen after), not to now. 0 otherwise. */
	uint64_t inflight_until;
	uint64_t last_poll_start;
	uint64_t last_poll_end;
	uint64_t unknown_polls; /* polls whose return was never seen (no time counted) */
	uint64_t cpu_wait_ns;	/* the polls' waits for a CPU: not in busy_ns */
	uint64_t blocked_ns;	/* of busy_ns, asleep in the kernel (the rest ran) */
	bool slow_approx;	/* slow_polls was recounted from hist for a new threshold */
	uint32_t hist[POLL_HIST_BUCKETS];
	struct slow_poll recent_slow[RECENT_SLOW_POLLS]; /* ring, newest at slow_polls - 1 */
	struct slow_poll longest[RECENT_SLOW_POLLS];	 /* the longest polls, longest first */
};

/* Wakes of a task and its scheduled time: from a wake to the poll it
 * causes, what the task waited for a worker (tokio-console's "scheduled").
 * Only where the runtime profile names its wake functions (task_wake). */
struct sched_stats {
	uint64_t wakes;		/* every wake, redundant ones (already notified) too */
	uint64_t self_wakes;	/* woken by its own poll (yield_now, wake_by_ref) */
	uint64_t self_wake_run; /* its latest wakes in a row that were self-wakes */
	uint64_t scheduled;	/* polls whose wake was seen: those timed below */
	uint64_t scheduled_ns;
	uint64_t max_scheduled_ns;
	uint64_t woken_at; /* the first wake since its last poll began, 0 if none */
	/* Woken while being polled: scheduled from that poll's end. */
	bool wake_in_poll;
	uint32_t hist[POLL_HIST_BUCKETS]; /* scheduled delays, log2 buckets as polls' */
};

/* What a thread was running during a slow poll: code addresses (link-time),
 * innermost first, from a stack sample taken while the poll ran. */
#define POLL_STACK_MAX 48

struct poll_stack {
	uint64_t taken_at;
	uint64_t poll_began;
	size_t count;
	uint64_t verified; /* bit i: frame i surely called frame i - 1 */
	uint64_t frames[POLL_STACK_MAX];
};

struct future_node {
	uint32_t site;
	struct future_node *parent; /* NULL: a root future of the task */
	struct future_node *children;
	struct future_node *next_sibling;
	struct poll_stats stats;
	struct poll_stack *slow_stack; /* of the latest slow poll, or NULL */
	uint64_t self_ptr;	       /* the future's address at its last poll */
	uint64_t call_site;	       /* return address of its last poll: in the parent's code */
};

/* TASK_SCHEDULED: woken, waiting for a worker (from the runtime's own task
 * header, read by a task-list walk: probes see polls, not wake-ups). */
enum task_state { TASK_IDLE, TASK_RUNNING, TASK_DONE, TASK_SCHEDULED };

/* A task's state as its runtime's header said at the last walk. */
enum walk_state { WALK_IDLE = 0, WALK_SCHEDULED, WALK_RUNNING, WALK_COMPLETE };

struct task {
	uint64_t id;   /* cattop's own, 1, 2, ... in order of discovery */
	uint64_t key;  /* the runtime's task pointer, or a synthetic block_on key */
	bool block_on; /* a root future polled outside any runtime task */
	bool done;
	uint64_t first_seen;
	uint64_t done_at;
	uint32_t open_frames; /* frames on thread stacks that point here */
	uint32_t running_tid; /* thread polling it now, 0 if none */
	struct poll_stats stats;
	struct sched_stats sched;
	struct future_node *roots;
	struct poll_stack *slow_stack; /* of the latest slow poll, or NULL */
	bool from_stack;	       /* found on a stack sample: its poll began before attach */
	bool has_poll_site;
	uint32_t poll_site;	/* the task poll entry it went through: its type */
	bool pinned;		/* looked at in the live view: kept past pruning */
	bool walked;		/* seen in the runtime's task list (taskwalk/) */
	uint8_t walk_state;	/* enum walk_state at the last walk that saw it */
	uint64_t runtime_id;	/* the runtime's own task id (tokio's Id), 0 if unknown */
	uint64_t walk_gen;	/* the last walk that saw it */
	uint64_t walk_list;	/* the runtime's task list it was on */
	uint64_t walked_at;	/* when */
	bool no_waker;		/* the last walk found no waker for it (idle) */
	uint8_t no_waker_walks; /* walks in a row that did */
	/* task_lints' memo of the lock it is parked on (it reads the target's
	 * memory; the answer changes only in a poll): written through a const
	 * task, as a cache changes nothing anyone sees. */
	struct {
		uint64_t at, polls, last_poll_end;
		const char *lock; /* NULL: none */
	} lock_memo;
	struct task *prev, *next; /* all tasks, oldest first */
};

/* What pruned tasks of one kind (same poll entry and root future, so the
 * same name) added up to: the grouped view's totals include them. */
struct pruned_group {
	bool has_poll_site, has_root;
	uint32_t poll_site, root_site;
	size_t tasks;
	struct poll_stats stats;
	struct sched_stats sched; /* wakes and scheduled time (metrics keep them monotonic) */
};

struct task_model {
	struct u64_map live; /* key -> task, tasks not done */
	struct task *first, *last;
	uint64_t next_id;
	size_t task_count; /* live + retained done */
	size_t done_count;
	uint64_t tasks_seen;
	uint64_t threshold_ns;
	uint64_t retain_done_ns;
	size_t max_done_tasks;
	struct pruned_group *pruned;
	size_t pruned_count, pruned_cap;
	uint64_t walk_gen;	  /* walks fed so far */
	uint64_t attached_at;	  /* when the probes were in: polls since are all seen */
	bool rows_for_all_walked; /* light mode: no poll shows a running task */
	/* Polls' time off their CPU is measured: blocked_ns is told from running. */
	bool blocked_measured;
};

void task_model_init(struct task_model *m, uint64_t threshold_ns, uint64_t retain_done_ns,
		     size_t max_done_tasks);
void task_model_free(struct task_model *m);

/* The live task for key, created on first sight. NULL on ENOMEM. */
struct task *task_model_task(struct task_model *m, uint64_t key, bool block_on, uint64_t now);
/* The runtime freed the task behind key: later polls of key are a new task. */
void task_model_task_ended(struct task_model *m, uint64_t key, uint64_t now);

/* What a walk of the runtime's task list says of the task at key: created
 * when new and parked (idle: polls show the others), its id, state and
 * type (poll_site, or UINT32_MAX if unknown) noted. NULL when not created
 * (or ENOMEM). */
struct task *task_model_walked(struct task_model *m, uint64_t key, uint64_t list,
			       uint64_t runtime_id, enum walk_state state, uint32_t poll_site,
			       uint64_t now);
/* The key light mode's samples name t by: the runtime's own id when the
 * runtime has ids (tokio), else t's key, the task's header (async-std: the
 * walk's source turns a sampled pointer into the header of the task it
 * points into, task_source_sample_key; smol: the header found on the
 * stack, session/stack_tasks.h). 0: t cannot be sampled. */
static inline uint64_t task_sample_key(const struct task *t)
{
	return t->runtime_id ? t->runtime_id : (t->walked ? t->key : 0);
}
/* The lists a walk found (lists[0..n)), each read to its end or not: a task
 * walked before and not now is gone (freed without an end probe seen) when
 * its list was read to its end, or not found at all (its runtime is gone). */
/* What the walk that just saw t read of its wakers: none (no_waker), or
 * some. */
void task_model_walk_waker(struct task *t, bool no_waker);

void task_model_walk_done(struct task_model *m, const uint64_t *lists, const bool *complete,
			  size_t n, uint64_t now);

/* The child of parent (or root of task when parent is NULL) for site. */
struct future_node *task_model_child(struct task *task, struct future_node *parent, uint32_t site);

void poll_stats_begin(struct poll_stats *s, uint64_t now);
/* split as it fits a poll of wall ns: the wait for a CPU no more than
 * wall, blocked no more than the rest (the scheduler's clock is not the
 * probes'). */
struct poll_split poll_split_within(const struct poll_split *split, uint64_t wall);

/* The poll that began at start ended at now, split as split says (NULL:
 * all of it running). Each poll is timed from its own start: the same task
 * can have a second poll open (a frame whose return was lost is still on
 * another thread's stack), and the in-flight mark is only cleared by the
 * poll that set it. */
void poll_stats_end(struct poll_stats *s, uint64_t start, uint64_t now,
		    const struct poll_split *split, uint64_t threshold_ns);
/* A new slow-poll threshold: slow_polls recounted from the histogram, exact
 * but for the one log2 bucket the threshold falls inside, counted in
 * proportion (slow_approx is then set); recent_slow keeps only polls over
 * it. The longest polls are kept whatever the threshold. */
void poll_stats_rethreshold(struct poll_stats *s, uint64_t threshold_ns);
/* The same for every task and future of the model, and the model's own. */
void task_model_set_threshold(struct task_model *m, uint64_t threshold_ns);

/* The poll that began at start ended unseen: count it, add no time. */
void poll_stats_abandon(struct poll_stats *s, uint64_t start);

/* Poll time at or below which the given fraction (0..1) of polls ended:
 * the upper bound of the log2 bucket it falls in. 0 with no polls. */
uint64_t poll_stats_percentile(const struct poll_stats *s, double fraction);
unsigned int poll_hist_bucket(uint64_t ns);

enum task_state task_state(const struct task *t);
uint64_t poll_stats_inflight(const struct poll_stats *s, uint64_t now);

/* Frees done tasks older than retain_done_ns, and the oldest beyond
 * max_done_tasks, so memory stays bounded however many tasks come and go. */
void task_model_prune(struct task_model *m, uint64_t now);

#endif
