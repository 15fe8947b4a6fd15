/* Several processes traced at once (-p A,B,C and --pidof NAME): a session
 * each, side by side, one view over them. A process that exits keeps its
 * rows, marked, for a while; under --pidof a process of that name that
 * starts later is attached at the next refresh. Each session has its own
 * probes (uprobe_multi links filtered by its pid, its own ring buffer):
 * two instances of one binary share the kernel's uprobes on that file, a
 * consumer per process. */
#ifndef CATTOP_SESSION_SET_H
#define CATTOP_SESSION_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"
#include "util/duration.h"

#define SESSION_SET_MAX 32

/* How long an exited process's rows stay (marked) before they go. */
#define SESSION_GONE_RETAIN_NS (60 * NSEC_PER_SEC)

struct traced_process {
	struct session s;
	bool gone;	  /* exited (or exec'd): what was seen stays, marked */
	uint64_t gone_at; /* CLOCK_MONOTONIC */
	char label[48];	  /* "wl-tokio:8828", escaped: the PROCESS column */
	bool recorded;	  /* cattop record: its recording was started (and may be over) */
};

struct session_set {
	struct traced_process *procs[SESSION_SET_MAX]; /* in the order attached */
	size_t count;
	struct config *cfg;
	struct session_opts opts;	/* for each process: opts.pid set per process */
	const char *pidof;		/* --pidof: attach processes of this name as they start */
	pid_t refused[SESSION_SET_MAX]; /* found by name but could not be attached */
	size_t refused_count;
	uint64_t next_scan_ns;
	const volatile sig_atomic_t *stop_flag;
	/* Called with a one-line message (a process exited, one was attached,
	 * one could not be): stderr by default, the status line in the view. */
	void (*notify)(void *ctx, const char *msg);
	void *notify_ctx;
};

/* Attaches to pids (and, with pidof, every process of that name). Fails
 * (-errno, a one-line reason in err) if any given pid cannot be traced or
 * no process at all was found. */
int session_set_open(struct session_set *set, struct config *cfg, const struct session_opts *opts,
		     const pid_t *pids, size_t npids, const char *pidof, char *err, size_t errlen);
void session_set_drain(struct session_set *set);
/* Once per refresh: each session's tick, exits noticed, exited processes
 * dropped after SESSION_GONE_RETAIN_NS, and new processes under --pidof. */
void session_set_tick(struct session_set *set, uint64_t now);
/* Whether anything is left to trace: a live process, or --pidof waiting
 * for one. */
bool session_set_alive(const struct session_set *set);
void session_set_stop(struct session_set *set);

struct model_ref;
struct await_source;

/* Each process's model for the views over them all (process_views.h),
 * with where its idle tasks are parked (srcs: the storage, one a
 * process). Returns set->count. */
size_t session_set_model_refs(const struct session_set *set, struct model_ref *refs,
			      struct await_source *srcs);

/* The live processes' duty windows: how long the loop may sleep. */
uint64_t session_set_sleep_ns(struct session_set *set, uint64_t now, uint64_t max);

#endif
