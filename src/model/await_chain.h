/* Where an idle task is parked: the chain of futures its last poll went
 * through, root first, and the line each one awaits at.
 *
 * The line comes from the coroutine's own state, read from the target's
 * memory at the future's address and mapped to a line by DWARF (which
 * needs full debug info: the state's offset and type). The chain goes on
 * to the child polled last only when that is provably what the parent
 * still awaits: the child's poll returned to the parent's current await
 * line (its return address, through the line tables) and the child lies
 * inside the parent's coroutine, where an awaited future is stored.
 * Otherwise the child finished and may be gone, and the chain stops. It
 * stops too at a join! or select! (an .await a dependency's macro wrote):
 * the futures such a macro polls are awaited side by side, each with its
 * own line (await_child_frame). A line that cannot be read comes with a
 * reason (no types, returned, unreadable, ...), never as a silent gap. */
#ifndef CATTOP_AWAIT_CHAIN_H
#define CATTOP_AWAIT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/task_model.h"

struct site_table;

/* How to look into the live target; NULL members are simply not used. */
struct await_source {
	/* 0 or -errno */
	int (*read_memory)(void *ctx, uint64_t addr, void *buf, size_t len);
	/* "file:line" of the call returning to ret (a run-time address), or NULL */
	const char *(*call_site)(void *ctx, uint64_t ret);
	void *ctx;
};

struct await_frame {
	const struct future_node *node;
	const char *awaiting; /* "file:line", NULL if unknown */
	const char *unknown;  /* why awaiting is NULL (a fixed text), else NULL */
	bool in_macro;	      /* awaiting is a join!/select! (coroutine_layout.h) */
	/* the awaited future's type (its Rust path), NULL if unknown or in_macro */
	const char *awaitee;
};

#define AWAIT_CHAIN_MAX 64

/* Fills out (up to max frames) for an idle task; returns how many. When
 * none for an idle task, *why (if why) says why not; else it is NULL. */
size_t await_chain_build(const struct task *t, const struct site_table *sites,
			 const struct await_source *src, struct await_frame *out, size_t max,
			 const char **why);

/* The line node awaits at, if it is on the task's chain; NULL otherwise. */
const char *await_chain_line(const struct await_frame *chain, size_t n,
			     const struct future_node *node);

/* The frame of node on the task's chain, NULL if it is not on it. */
const struct await_frame *await_chain_frame(const struct await_frame *chain, size_t n,
					    const struct future_node *node);

/* The frame of a child of a future whose frame is parent (node NULL when
 * the parent does not provably await it): the child the parent awaits at
 * its line, or, when that is a join!/select! (in_macro), each future the
 * macro polled during the parent's last poll and still holds. */
struct await_frame await_child_frame(const struct await_frame *parent,
				     const struct future_node *child,
				     const struct site_table *sites,
				     const struct await_source *src);

#endif
