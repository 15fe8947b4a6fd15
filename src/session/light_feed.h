/* Light mode (--light, light = yes): no probe in the target at all. The
 * task walk lists every task and where it waits, and a CPU-clock sampler
 * (probe/task_sampler.h) says which task each worker is running: the
 * samples go into the session's task_samples (model/task_samples.h), and
 * each refresh marks the tasks running now, and takes the stack of a poll
 * wedged past the threshold from the stack sampler. Poll counts and poll
 * times are not known in this mode. */
#ifndef CATTOP_LIGHT_FEED_H
#define CATTOP_LIGHT_FEED_H

#include <stdbool.h>
#include <stdint.h>

struct session;

/* Samples per second and CPU. */
#define LIGHT_SAMPLE_HZ 199

/* What light mode runs, for the views. */
struct light_summary {
	bool sampling;	  /* the task sampler is on */
	char status[256]; /* why not, or "ok" */
	int hz;
};

/* Sampling starts at a refresh once the runtime's layout has been read
 * (the task walk reads it on a thread). */
void light_feed_start(struct session *s);
int light_feed_drain(struct session *s);
void light_feed_tick(struct session *s, uint64_t now);
void light_feed_stop(struct session *s);
/* What sampling costs the target, as a share of one CPU (an estimate: its
 * samples times the measured cost of one, bench/run.py --modes light). */
double light_feed_cost_pct(const struct session *s, uint64_t now);

#endif
