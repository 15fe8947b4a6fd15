/* One tracing session: a target, its probe sites, the attached probes and
 * the live model they feed. Batch mode, snapshots and the UI read from it. */
#ifndef CATTOP_SESSION_H
#define CATTOP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "model/poll_tracker.h"
#include "model/task_model.h"
#include "probe/attach.h"
#include "probe/elf_symbols.h"
#include "probe/site_table.h"
#include "probe/target.h"
#include "util/clock.h"

struct dwarf_index;

struct session_opts {
	pid_t pid;	     /* trace this process, or */
	char *const *argv;   /* launch this command */
	const char *runtime; /* "auto" or a [runtime NAME] */
	bool tasks_only;
	bool verbose;
};

struct session {
	struct config *cfg;
	struct target target;
	struct elf_symbols symbols;
	struct dwarf_index *dwarf;
	struct site_table sites;
	struct probe_set probes;
	struct task_model model;
	struct poll_tracker tracker;
	uint64_t started_ns; /* CLOCK_MONOTONIC, the clock of the probes' timestamps */
	uint64_t events_lost;
	bool attached;
};

/* Opens the target, reads its symbols, attaches. Returns 0, or -errno
 * after writing a one-line reason to err. */
int session_start(struct session *s, struct config *cfg, const struct session_opts *opts, char *err,
		  size_t errlen);
/* Feeds what the probes produced into the model; returns events handled. */
int session_drain(struct session *s);
/* Once per refresh: lost-event count, pruning of done tasks and dead threads. */
void session_tick(struct session *s);
void session_stop(struct session *s);

#endif
