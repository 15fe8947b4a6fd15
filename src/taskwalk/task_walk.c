#include "taskwalk/task_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool task_walk_new_list(struct task_walk *w, uint64_t addr, size_t *index)
{
	size_t i;

	for (i = 0; i < w->runtimes; i++)
		if (w->lists[i] == addr)
			return false;
	if (w->runtimes == TASK_WALK_MAX_LISTS)
		return false;
	*index = w->runtimes++;
	w->lists[*index] = addr;
	w->list_complete[*index] = true;
	return true;
}

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
