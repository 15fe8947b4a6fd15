/* How tasks are presented: their names and the order of a listing. */
#ifndef CATTOP_TASK_VIEW_H
#define CATTOP_TASK_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/task_model.h"
#include "model/task_sort.h"

struct site_table;

struct runtime_profile;

/* " (tokio id 7)": the runtime's own id of the task (what tokio::task::id()
 * and tracing print, stable across attaches), "" if unknown. */
const char *task_runtime_id_text(const struct task *t, const struct runtime_profile *runtime,
				 char *buf, size_t len);

/* A task is named for its root future (the first future polled in it). */
const char *task_name(const struct task *t, const struct site_table *sites);

/* Longest poll so far, counting the poll in flight: a future that has been
 * spinning for 5 s has a 5 s longest poll now, not when it returns. */
uint64_t poll_stats_longest(const struct poll_stats *s, uint64_t now);

/* All tasks in the given order (ties by id). Caller frees *out. */
size_t task_view_sorted(const struct task_model *m, const struct site_table *sites,
			enum task_sort key, bool ascending, uint64_t now, struct task ***out);

/* The order of task_view_sorted for tasks of two models (several
 * processes): <0 when a (of ma) comes first. Ties by id. */
int task_view_compare(const struct task *a, const struct task_model *ma,
		      const struct site_table *sa, const struct task *b,
		      const struct task_model *mb, const struct site_table *sb, enum task_sort key,
		      bool ascending, uint64_t now);

const char *task_state_name(enum task_state s);
/* How long the task has gone unpolled: since its last poll seen, or, not
 * polled since cattop attached, at least since then (*since_attach set):
 * a parked task the walk found with no poll seen was last polled before
 * attach (a new task is scheduled, not parked, until its first poll). 0
 * while it runs or once done. */
uint64_t task_idle_ns(const struct task_model *m, const struct task *t, uint64_t now,
		      bool *since_attach);
/* task_idle_ns as text: "3.2s", "≥1.5s" (since attach), "-" (running). */
const char *task_idle_format(const struct task_model *m, const struct task *t, uint64_t now,
			     char *buf, size_t len);

struct task_counts {
	size_t total, running, idle, done;
};

struct task_counts task_view_count(const struct task_model *m);

#endif
