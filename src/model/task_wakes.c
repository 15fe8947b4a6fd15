#include "model/task_wakes.h"

#include <stdlib.h>
#include <linux/types.h>

#include "bpf/poll_trace.h"
#include "model/poll_tracker.h"
#include "model/task_model.h"
#include "probe/site_table.h"

static int by_start(const void *a, const void *b)
{
	const struct code_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The sorted code ranges of the sites in role, in a fresh array. */
static struct code_range *index_role(const struct site_table *st, enum site_role role,
				     size_t *count)
{
	struct code_range *r = calloc(st->count ? st->count : 1, sizeof(*r));
	size_t i, n = 0;

	*count = 0;
	if (!r)
		return NULL;
	for (i = 0; i < st->count; i++) {
		const struct site *s = &st->sites[i];

		if (s->role == role && s->size)
			r[n++] = (struct code_range){s->addr, s->addr + s->size};
	}
	qsort(r, n, sizeof(*r), by_start);
	*count = n;
	return r;
}

void task_wakes_index(struct poll_tracker *t)
{
	t->deferrer_code = index_role(t->sites, SITE_WAKE_DEFERRER, &t->deferrer_code_count);
	t->wake_code = index_role(t->sites, SITE_TASK_WAKE, &t->wake_code_count);
}

void task_wakes_free(struct poll_tracker *t)
{
	free(t->deferrer_code);
	t->deferrer_code = NULL;
	t->deferrer_code_count = 0;
	free(t->wake_code);
	t->wake_code = NULL;
	t->wake_code_count = 0;
	u64_map_free(&t->wake_callers);
}

/* Whether the wake's caller is a deferrer inlined elsewhere (optimised
 * builds inline tokio's Defer::wake into the schedulers' park): asked once
 * per call site. */
static bool inlined_deferrer(struct poll_tracker *t, uint64_t call)
{
	uintptr_t known;

	if (!t->inlined_deferrer)
		return false;
	known = (uintptr_t)u64_map_get(&t->wake_callers, call);
	if (!known) {
		known = t->inlined_deferrer(t->deferrer_ctx, call + 1) ? 2 : 1;
		u64_map_put(&t->wake_callers, call, (void *)known);
	}
	return known == 2;
}

/* The link-time address of the call returning to ret (in the call, before
 * its return address), or 0 if not known. */
static uint64_t call_site(const struct poll_tracker *t, uint64_t ret)
{
	return t->code_bias_known && ret ? ret - (uint64_t)t->code_bias - 1 : 0;
}

/* Whether the wake returning to ret was called by a deferrer: the runtime
 * waking, after the poll, the waker a task handed it to be woken later. */
static bool deferred_wake(struct poll_tracker *t, uint64_t ret)
{
	uint64_t call = call_site(t, ret);

	return call && (code_ranges_contain(t->deferrer_code, t->deferrer_code_count, call) ||
			inlined_deferrer(t, call));
}

/* Whether the wake returning to ret was called by another wake function:
 * the same wake, already counted (async-task's wake calls wake_by_ref out of
 * line in debug builds, when its schedule closure is not zero-sized). */
static bool nested_wake(const struct poll_tracker *t, uint64_t ret)
{
	uint64_t call = call_site(t, ret);

	return call && code_ranges_contain(t->wake_code, t->wake_code_count, call);
}

void task_wakes_on_wake(struct poll_tracker *t, const struct poll_event *ev)
{
	/* Only a task already seen: a wake of one that completed (a waker
	 * outlives its task) must not make a task of its own. A task's first
	 * poll since the attach is not timed. */
	struct task *task = u64_map_get(&t->model->live, ev->arg);
	struct sched_stats *s;
	bool self;

	if (!task || nested_wake(t, ev->ret))
		return;
	s = &task->sched;
	s->wakes++;
	/* Woken while polled (by itself on its own thread, or by another
	 * thread), or, after its poll, by a deferrer it handed its waker. */
	self = task->running_tid ? task->running_tid == ev->tid : deferred_wake(t, ev->ret);
	s->self_wakes += self;
	s->self_wake_run = self ? s->self_wake_run + 1 : 0;
	if (task->running_tid) {
		/* the runtime polls it again after this poll, so its wait for a
		 * worker starts when this poll ends */
		s->wake_in_poll = true;
		return;
	}
	if (!s->woken_at)
		s->woken_at = ev->ts ? ev->ts : 1;
}

void task_wakes_poll_begins(struct task *task, uint64_t ts)
{
	struct sched_stats *s = &task->sched;
	uint64_t delay;

	s->wake_in_poll = false;
	if (!s->woken_at)
		return;
	/* Events of different CPUs are only nearly in time order: a wake
	 * stamped just after the poll's entry waited nothing. */
	delay = ts > s->woken_at ? ts - s->woken_at : 0;
	s->woken_at = 0;
	s->scheduled++;
	s->scheduled_ns += delay;
	if (delay > s->max_scheduled_ns)
		s->max_scheduled_ns = delay;
	s->hist[poll_hist_bucket(delay)]++;
}

void task_wakes_poll_ends(struct task *task, uint64_t ts)
{
	struct sched_stats *s = &task->sched;

	if (!s->wake_in_poll)
		return;
	s->wake_in_poll = false;
	if (!s->woken_at && ts)
		s->woken_at = ts;
}
