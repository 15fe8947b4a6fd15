/* Tasks aggregated by the root future they run, so a server with 10k
 * connection tasks reads as one row per handler, with where its idle tasks
 * are parked counted by await line ("9,998 at conn.rs:41, 2 at db.rs:88").
 * Shared by the grouped view and the JSON snapshot. */
#ifndef CATTOP_TASK_GROUPS_H
#define CATTOP_TASK_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/await_chain.h"
#include "model/task_model.h"
#include "model/task_view.h"

struct site_table;

struct parked_line {
	const char *at; /* "file:line" (the layout's string: outlives the groups) */
	size_t tasks;
};

struct task_group {
	const char *name; /* a site's name: outlives the groups */
	size_t tasks, live;
	uint64_t polls, busy_ns, longest, inflight, slow;
	uint64_t idle_ns; /* the longest any live task of the group has been idle */
	bool slow_approx;
	struct parked_line *parked; /* idle tasks by await line, most first */
	size_t parked_lines;
	size_t parked_unknown; /* idle tasks whose await line cannot be read */
};

struct task_groups {
	struct task_group *groups;
	size_t count;
};

/* Which tasks count: NULL keeps all. */
typedef bool (*task_group_filter)(const char *name, void *ctx);

/* Groups the model's tasks (and its pruned done ones), sorted by key.
 * src may be NULL (no await lines). Returns 0 or -ENOMEM. */
int task_groups_build(const struct task_model *m, const struct site_table *sites,
		      const struct await_source *src, task_group_filter keep, void *keep_ctx,
		      enum task_sort key, bool ascending, uint64_t now, struct task_groups *out);
void task_groups_free(struct task_groups *g);
/* The order task_groups_build sorts in (<0: x first). */
int task_group_compare(const struct task_group *x, const struct task_group *y, enum task_sort key,
		       bool ascending);

/* The name the tasks of a pruned group had (a site's name, or "(task)"). */
const char *pruned_group_name(const struct pruned_group *p, const struct site_table *sites);

#endif
