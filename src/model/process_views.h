/* Views over several processes' models at once (-p A,B, --pidof): every
 * task of every process in one order, and task types grouped across
 * processes ("handle_conn in 8 processes, 12k tasks, longest poll 3.2 ms in
 * pid 4711"). The models stay apart (task ids and code addresses are per
 * process); these only read them. */
#ifndef CATTOP_PROCESS_VIEWS_H
#define CATTOP_PROCESS_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/task_groups.h"
#include "model/task_view.h"

/* One process's model, as the views read it. */
struct model_ref {
	const struct task_model *m;
	const struct site_table *sites;
	const struct await_source *src; /* where idle tasks are parked, or NULL */
};

/* A task and the process (index into the refs) it belongs to. */
struct process_task {
	struct task *t;
	size_t proc;
};

/* Every task of every model, sorted as task_view_sorted sorts one (ties:
 * process order, then id). Returns the count; caller frees *out. */
size_t process_tasks_sorted(const struct model_ref *refs, size_t nrefs, enum task_sort key,
			    bool ascending, uint64_t now, struct process_task **out);

/* A task type over the processes: the sums and maxima of its groups in
 * each, and where its longest poll was. */
struct process_group {
	struct task_group total; /* parked lines merged by await line */
	size_t procs;		 /* processes with tasks of the type */
	size_t longest_proc;	 /* the process of the longest poll */
	size_t slow_procs;	 /* processes where it had slow polls */
};

struct process_groups {
	struct process_group *groups;
	size_t count;
};

int process_groups_build(const struct model_ref *refs, size_t nrefs, task_group_filter keep,
			 void *keep_ctx, enum task_sort key, bool ascending, uint64_t now,
			 struct process_groups *out);
void process_groups_free(struct process_groups *g);

#endif
