/* One walk of a runtime's live-task lists, whichever runtime: what each
 * walker (tokio_tasks.h, async_executor_tasks.h) hands the session. */
#ifndef CATTOP_TASK_WALK_H
#define CATTOP_TASK_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whose header the state words are: each runtime has its own bits. */
enum task_walk_runtime { TASK_WALK_TOKIO = 0, TASK_WALK_ASYNC_TASK };

struct walked_task {
	uint64_t header;  /* the task's key, as a poll probe sees it */
	uint64_t id;	  /* tokio's task::Id, 0 if unknown */
	uint64_t state;	  /* the header's state word */
	uint64_t poll_fn; /* run-time address of the vtable's poll (run) */
	uint64_t list;	  /* the task list it is on: its runtime/executor */
	uint64_t future;  /* its (root) future's address, 0 if unknown */
	/* async-task: where the task's future F lies (its box when boxed), 0
	 * if unknown; a pointer into it is this task's (task_spans.h). */
	uint64_t body, body_size;
};

#define TASK_WALK_MAX_LISTS 64

struct task_walk {
	enum task_walk_runtime runtime;
	struct walked_task *tasks;
	size_t count, cap;
	size_t runtimes;			 /* distinct task lists found */
	uint64_t lists[TASK_WALK_MAX_LISTS];	 /* their addresses */
	bool list_complete[TASK_WALK_MAX_LISTS]; /* each read to its end */
	size_t threads;				 /* threads whose TLS was read */
	bool complete;				 /* every list walked to its end */
	char problem[200];			 /* why not, when not */
};

/* A list not walked yet becomes one of w's (its index in *index); false
 * if seen already, or more lists than the walk keeps. */
bool task_walk_new_list(struct task_walk *w, uint64_t addr, size_t *index);
/* Appends t. Returns 0, or -ENOMEM. */
int task_walk_push(struct task_walk *w, const struct walked_task *t);
void task_walk_free(struct task_walk *w);

#endif
