/* One tracing session: a target, its probe sites, the attached probes and
 * the live model they feed. Batch mode, snapshots and the UI read from it. */
#ifndef CATTOP_SESSION_H
#define CATTOP_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "model/poll_tracker.h"
#include "model/task_model.h"
#include "model/task_samples.h"
#include "probe/attach.h"
#include "probe/elf_symbols.h"
#include "probe/inlined_futures.h"
#include "probe/site_table.h"
#include "probe/target.h"
#include "session/duty_cycle.h"
#include "session/focus.h"
#include "session/light_feed.h"
#include "session/stack_watch.h"
#include "session/task_walk_feed.h"
#include "recording/recording_format.h"
#include "util/clock.h"

struct dwarf_index;
struct recorder;
struct replay;
struct code_lines;
struct await_source;
struct lint_ctx;

struct session_opts {
	pid_t pid;	     /* trace this process, or */
	char *const *argv;   /* launch this command */
	const char *runtime; /* "auto" or a [runtime NAME] */
	bool tasks_only;
	bool verbose;
	const char *debug_file; /* DWARF (and symbols) kept apart, or NULL: look for it */
	bool no_cache;		/* scan the binary even if its sites are cached */
	const char *focus;	/* glob of task types whose futures get probes */
	bool light;		/* no probes: the walk and a task sampler (light_feed.h) */
	unsigned int duty_pct;	/* probes in for this % of every second, 0: all the time */
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
	/* When the probes were all in and the target running: intervals and
	 * durations the user asked for count from here (attaching can take
	 * seconds on a busy machine). */
	uint64_t ready_ns;
	uint64_t events_lost;
	bool attached;
	struct recorder *recorder; /* a recording in progress, or NULL */
	struct replay *replay;	   /* fed from a recording instead of probes */
	struct code_lines *lines;  /* source lines of code addresses, if DWARF */
	int64_t code_bias;	   /* run-time minus link-time code address */
	bool code_bias_known;
	uint64_t scan_ns;		/* reading symbols, DWARF and sites before attaching */
	bool sites_cached;		/* the sites came from the cache (site_cache.h) */
	char dwarf_path[4096];		/* where the DWARF was read from, "" if none */
	struct inlined_futures inlined; /* the application's futures with no code of their own */
	struct stack_watch stacks;	/* slow polls' stacks, polls begun before attach */
	struct exit_finder *exits;	/* the binary's code: where functions return */
	struct caller_index *callers;	/* who calls the futures (caller_sites.h), or NULL */
	struct focus focus;		/* deferred futures probed now (focus.h) */
	const char *focus_glob;
	struct kernel_task_offsets task_offsets; /* what the probes read of a thread */
	struct task_walk_feed *walk;		 /* the runtime's task lists, or NULL */
	/* Set when cattop is asked to stop: a wait in a refresh gives up. */
	const volatile sig_atomic_t *stop_flag;
	struct walk_summary walk_summary; /* what the last walk found, or why none */
	bool light;			  /* light mode: no probes (light_feed.h) */
	struct light_feed *light_feed;
	struct light_summary light_summary;
	struct task_samples samples; /* light mode's samples per task */
	struct duty_cycle duty;	     /* --duty: the probes' windows (duty_cycle.h) */
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

/* The model's clock: now, or in a replay the replay's position. */
uint64_t session_now(const struct session *s);
/* Whether the target (or the recording) still has anything to come. */
bool session_target_alive(struct session *s);
/* A thread's name, live from /proc or as recorded; "" if unknown. */
void session_thread_name(const struct session *s, uint32_t tid, char *buf, size_t len);

/* A code address (link-time) as "function (file:line)". */
void session_frame_name(const struct session *s, uint64_t vaddr, bool innermost, char *buf,
			size_t len);

/* What the probes cost the target so far, as a share of one CPU (an
 * estimate from the hits and each probe's kind, see probe_cost.h). */
double session_probe_cost_pct(const struct session *s, uint64_t now);
size_t session_single_step_sites(const struct session *s);

/* How to read where idle tasks are parked; false when that cannot be
 * known (a replay has no process to look into). */
bool session_await_source(const struct session *s, struct await_source *src);
/* What the lints of the model are judged from now (src: its storage). */
void session_lint_ctx(const struct session *s, uint64_t now, struct await_source *src,
		      struct lint_ctx *c);

/* Replays path instead of attaching; threshold_ns 0 keeps the recorded one.
 * Returns 0, or -errno with a one-line reason in err. */
int session_open_replay(struct session *s, struct config *cfg, const char *path,
			uint64_t threshold_ns, char *err, size_t errlen);
/* Moves the replay clock to t (CLOCK_MONOTONIC of the recording), clamped
 * to the recording; going back rebuilds the model from the start. */
void session_seek(struct session *s, uint64_t t);
uint64_t session_replay_end(const struct session *s);

/* Attaches the probes (at start, or leaving light mode). 0 or -errno with
 * a one-line reason in err. */
int session_attach_probes(struct session *s, char *err, size_t errlen);
/* Puts the probes taken out by probes_pause back (duty_cycle.h). 0 or
 * -errno with a one-line reason in err. */
int session_resume_probes(struct session *s, char *err, size_t errlen);
/* Light mode on (probes detached, sampling) or off (probes attached
 * again), while running. 0, or -errno with a one-line reason in err. */
int session_set_light(struct session *s, bool light, char *err, size_t errlen);

/* Probes the deferred sites marked in want, in place of those before. */
int session_widen(struct session *s, const bool *want, char *err, size_t errlen);

/* Records everything from now on to path (max_bytes 0: unbounded). */
int session_record_start(struct session *s, const char *path, uint64_t max_bytes, char *err,
			 size_t errlen);
/* Ends the recording; returns 0, or -errno with a reason in err. */
int session_record_stop(struct session *s, enum recording_end_reason reason, char *err,
			size_t errlen);

#endif
