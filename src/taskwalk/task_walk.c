#include "taskwalk/task_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int task_walk_push(struct task_walk *w, const struct walked_task *t)
{
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct walked_task *grown = realloc(w->tasks, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		w->tasks = grown;
		w->cap = cap;
	}
	w->tasks[w->count++] = *t;
	return 0;
}

void task_walk_free(struct task_walk *w)
{
	free(w->tasks);
	memset(w, 0, sizeof(*w));
}
