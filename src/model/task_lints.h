/* Warnings about a task that cattop can prove, as tokio-console's lints:
 * what a user should look at first when a service misbehaves. */
#ifndef CATTOP_TASK_LINTS_H
#define CATTOP_TASK_LINTS_H

#include <stddef.h>
#include <stdint.h>

#include "model/task_model.h"

/* A poll running this long has wedged its worker (nothing else runs there). */
#define LINT_WEDGED_NS 1000000000ULL
/* Walks in a row that must find no waker. One is enough: the state word is
 * one aligned 8-byte read, and tokio changes the reference count and the
 * NOTIFIED bit together, in one compare-and-swap, so an idle state whose
 * count leaves no reference for a waker is not a moment of a wake. */
#define LINT_NO_WAKER_WALKS 1

enum task_lint {
	LINT_WEDGED = 1u << 0,	   /* a poll in flight for over LINT_WEDGED_NS */
	LINT_LOST_WAKER = 1u << 1, /* idle, and nothing holds a waker: never polled again */
};
#define LINT_KINDS 2

/* The lints that hold for t now (a mask of enum task_lint). */
unsigned task_lints(const struct task *t, uint64_t now);

/* Short names ("wedged", "lost_waker") and one-line explanations. */
const char *task_lint_name(enum task_lint lint);
const char *task_lint_text(enum task_lint lint);

/* Tasks each lint holds for: counts[i] for the lint 1 << i. */
void task_lints_count(const struct task_model *m, uint64_t now, size_t counts[LINT_KINDS]);

/* "2 tasks wedged (a poll running > 1s), 1 lost its waker": "" if none. */
const char *task_lints_summary(const size_t counts[LINT_KINDS], char *buf, size_t len);

#endif
