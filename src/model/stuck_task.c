#include "model/stuck_task.h"

struct task *stuck_task_begin(struct task_model *m, uint32_t tid, uint64_t since,
			      const uint32_t *sites, size_t count)
{
	struct task *t = task_model_task(m, stuck_task_key(tid), false, since);
	struct future_node *parent = NULL;
	size_t i;

	if (!t)
		return NULL;
	t->from_stack = true;
	t->running_tid = tid;
	poll_stats_begin(&t->stats, since); /* at least since the attach */
	for (i = 0; i < count; i++) {
		parent = task_model_child(t, parent, sites[i]);
		if (!parent)
			break;
		poll_stats_begin(&parent->stats, since);
	}
	return t;
}

static void end_node_polls(struct future_node *n)
{
	for (; n; n = n->next_sibling) {
		if (n->stats.inflight_since)
			poll_stats_abandon(&n->stats, n->stats.inflight_since);
		end_node_polls(n->children);
	}
}

void stuck_task_end(struct task_model *m, uint32_t tid, uint64_t now)
{
	struct task *t = u64_map_get(&m->live, stuck_task_key(tid));

	if (!t || !t->from_stack)
		return;
	poll_stats_abandon(&t->stats, t->stats.inflight_since);
	end_node_polls(t->roots);
	t->running_tid = 0;
	task_model_task_ended(m, stuck_task_key(tid), now);
}
