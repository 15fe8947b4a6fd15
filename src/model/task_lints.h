/* Warnings about a task that cattop can prove, as tokio-console's lints:
 * what a user should look at first when a service misbehaves. */
#ifndef CATTOP_TASK_LINTS_H
#define CATTOP_TASK_LINTS_H

#include <stddef.h>
#include <stdint.h>

#include "model/task_model.h"

struct site_table;
struct await_source;

/* A poll running this long has wedged its worker (nothing else runs there). */
#define LINT_WEDGED_NS 1000000000ULL
/* Walks in a row that must find no waker. One is enough: the state word is
 * one aligned 8-byte read, and tokio changes the reference count and the
 * NOTIFIED bit together, in one compare-and-swap, so an idle state whose
 * count leaves no reference for a waker is not a moment of a wake. */
#define LINT_NO_WAKER_WALKS 1
/* Parked on a lock this long: no briefly contended lock (a lock held across
 * one quick .await is given back in micro- or milliseconds) gets this far. */
#define LINT_LOCK_IDLE_NS 1000000000ULL
/* The longest a task's lock answer is reused without a poll seen. */
#define LOCK_MEMO_NS 5000000000ULL
/* Wakes in a row that must all be the task's own (nobody else woke it in
 * between), the latest no older than LINT_SELF_WAKE_RECENT_NS: a loop on
 * yield_now() or wake_by_ref() that keeps its worker busy. A task that
 * yields once and then waits on a timer or a channel is woken by that
 * between its own wakes: its run never passes 1. */
#define LINT_SELF_WAKE_RUN	 100
#define LINT_SELF_WAKE_RECENT_NS 1000000000ULL
/* A slow poll that spent more than the threshold asleep in the kernel (a
 * std Mutex, blocking I/O, thread::sleep) within this long: its worker
 * could run nothing else meanwhile. Only where blocked time is measured. */
#define LINT_BLOCKING_RECENT_NS 10000000000ULL

enum task_lint {
	LINT_WEDGED = 1u << 0,	       /* a poll in flight for over LINT_WEDGED_NS */
	LINT_LOST_WAKER = 1u << 1,     /* idle, and nothing holds a waker: never polled again */
	LINT_AWAITING_LOCK = 1u << 2,  /* parked on a lock acquisition for LINT_LOCK_IDLE_NS */
	LINT_SELF_WAKE_LOOP = 1u << 3, /* woken only by itself, LINT_SELF_WAKE_RUN times */
	LINT_BLOCKING = 1u << 4,       /* a poll blocked in the kernel over the threshold, lately */
};
#define LINT_KINDS 5

/* What the lints are judged from. */
struct lint_ctx {
	const struct task_model *m;
	const struct site_table *sites;
	const struct await_source *src; /* NULL: the target cannot be read (no awaiting_lock) */
	uint64_t now;
};

/* The lints that hold for t now (a mask of enum task_lint). */
unsigned task_lints(const struct lint_ctx *c, const struct task *t);

/* Short names ("wedged", "lost_waker", ...) and one-line explanations. */
const char *task_lint_name(enum task_lint lint);
const char *task_lint_text(enum task_lint lint);

/* What one lint says of t: "tokio::sync::Mutex::lock for ≥3.20s" (the lock
 * and how long parked), "woke itself 1200 times in a row"; "" for a lint
 * that says nothing more than its name, or one that does not hold. */
const char *task_lint_detail(const struct lint_ctx *c, const struct task *t, enum task_lint lint,
			     char *buf, size_t len);

/* Tasks each lint holds for: counts[i] for the lint 1 << i. */
void task_lints_count(const struct lint_ctx *c, size_t counts[LINT_KINDS]);

/* "2 tasks wedged (a poll running > 1s), 1 lost its waker": "" if none. */
const char *task_lints_summary(const size_t counts[LINT_KINDS], char *buf, size_t len);

#endif
