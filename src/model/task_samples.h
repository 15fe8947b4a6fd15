/* Light mode's model: what timer samples of the target's threads say of
 * each runtime task (matched to walked tasks by their sample key, the
 * runtime's id or the task's header: task_sample_key), in
 * place of what poll probes measure. A sample stands for period_ns of CPU
 * on its thread, so a task's CPU is its samples x period; no poll is seen,
 * so poll counts and exact poll times are not known here.
 *
 * Per thread, consecutive samples with the same task id and no voluntary
 * context switch between them (a worker parks between polls, and a poll
 * that blocks in a system call switches too) are one poll: how long it has
 * run is at least the span from its first sample to its latest, and it is
 * wedged once its sampled CPU reaches the wedge threshold. */
#ifndef CATTOP_TASK_SAMPLES_H
#define CATTOP_TASK_SAMPLES_H

#include <stdbool.h>
#include <stdint.h>

#include "util/u64_map.h"

struct sampled_task {
	uint64_t samples;	 /* since sampling began */
	uint64_t window_samples; /* since the window began */
	uint64_t last_window;	 /* samples in the last complete window */
	uint64_t last_ts;	 /* its latest sample */
	uint64_t longest_run_ns; /* longest run seen (a lower bound of its longest poll) */
};

/* One thread's current run of samples. */
struct sampled_thread {
	uint32_t tid;
	uint64_t task_id; /* at its latest sample, 0: none */
	uint64_t nvcsw;
	uint64_t since;	  /* the run's first sample */
	uint64_t last;	  /* its latest */
	uint64_t run;	  /* samples in the run */
	uint64_t samples; /* all this thread's samples */
};

struct task_samples {
	bool active;	    /* sampling runs */
	uint64_t period_ns; /* CPU each sample stands for */
	uint64_t wedge_ns;  /* a run's sampled CPU from which it is wedged */
	uint64_t started_at;
	uint64_t samples, idle_samples, unreadable;
	uint64_t latest; /* the newest sample's time */
	uint64_t window_start, last_window_ns;
	struct u64_map tasks;	/* sample key -> struct sampled_task */
	struct u64_map threads; /* tid -> struct sampled_thread */
};

void task_samples_init(struct task_samples *ts, uint64_t period_ns, uint64_t wedge_ns,
		       uint64_t now);
/* One sample: thread tid was running task_id (0: none) at ts; readable
 * false when the thread-local could not be read. */
/* A sample that says a task's poll ran but not which (found on a stack
 * whose task could not be told): counted unreadable, and the thread's run
 * goes on as if it had not been taken (a voluntary switch meanwhile still
 * ends it at the next sample, which sees the count changed). */
void task_samples_add_unknown(struct task_samples *ts, uint64_t ts_ns);
void task_samples_add(struct task_samples *ts, uint32_t tid, uint64_t task_id, uint64_t nvcsw,
		      bool readable, uint64_t ts_ns);
/* Closes the window (the refresh interval) the recent shares are of. */
void task_samples_roll(struct task_samples *ts, uint64_t now);
const struct sampled_task *task_samples_get(const struct task_samples *ts, uint64_t task_id);
struct sampled_task *task_samples_get_mut(struct task_samples *ts, uint64_t task_id);
/* The thread running task_id now (its latest sample, no newer than max_age
 * before now), or NULL. */
const struct sampled_thread *task_samples_running(const struct task_samples *ts, uint64_t task_id,
						  uint64_t now);
/* Thread tid's current run, or NULL if never sampled. */
const struct sampled_thread *task_samples_thread(const struct task_samples *ts, uint32_t tid);
/* A thread's current run: wedged when its sampled CPU reached wedge_ns. */
bool task_samples_wedged(const struct task_samples *ts, const struct sampled_thread *th);
/* How long sampling has run: to now or, when a drain that came after now
 * was taken brought newer samples, to the newest (a share over a span
 * ending before its samples do would be too high). */
uint64_t task_samples_span_ns(const struct task_samples *ts, uint64_t now);
/* CPU used by a task, as a share of one CPU: over the whole sampling, and
 * over the last window. */
double task_samples_cpu_pct(const struct task_samples *ts, const struct sampled_task *t,
			    uint64_t now);
double task_samples_recent_pct(const struct task_samples *ts, const struct sampled_task *t);
/* Forgets tasks with no sample for older_than, except those keep says to
 * (the walk still lists them), and threads (gone) with none for as long. */
void task_samples_prune(struct task_samples *ts, uint64_t now, uint64_t older_than,
			bool (*keep)(uint64_t task_id, void *ctx), void *ctx);
void task_samples_free(struct task_samples *ts);

#endif
