/* What the metrics endpoint shows, gathered from the model once per
 * refresh on cattop's main thread: per task type totals over its live,
 * retained and pruned tasks, kept monotonic across refreshes. */
#ifndef CATTOP_METRICS_COLLECT_H
#define CATTOP_METRICS_COLLECT_H

#include "export/metrics_text.h"

struct session;
struct task_model;
struct site_table;

/* The types seen so far, by name (sorted): bounded by the binary's task
 * types, whatever the number of tasks over days. */
struct metrics_collector {
	struct metrics_type *types;
	size_t count, cap;
};

/* Folds the model into c: counters are never lower than what an earlier
 * call gave (a Prometheus counter that drops reads as a restart), gauges
 * are the model's now. Returns 0 or -ENOMEM. */
int metrics_collect_model(struct metrics_collector *c, const struct task_model *m,
			  const struct site_table *sites);
/* The same, then in filled from c and the session (c must outlive it). */
int metrics_collect_session(struct metrics_collector *c, const struct session *s,
			    struct metrics_input *in);
void metrics_collector_free(struct metrics_collector *c);

#endif
