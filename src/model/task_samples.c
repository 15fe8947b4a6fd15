#include "model/task_samples.h"

#include <stdlib.h>
#include <string.h>

/* A thread's latest sample older than this says nothing of now: a worker
 * that parked is off the CPU and sampled no more. Long enough for a thread
 * preempted on a busy machine. */
#define RUNNING_MAX_AGE_NS (250ULL * 1000 * 1000)
/* The shortest window recent shares are of. */
#define MIN_WINDOW_NS (200ULL * 1000 * 1000)

void task_samples_init(struct task_samples *ts, uint64_t period_ns, uint64_t wedge_ns, uint64_t now)
{
	memset(ts, 0, sizeof(*ts));
	ts->active = true;
	ts->period_ns = period_ns;
	ts->wedge_ns = wedge_ns;
	ts->started_at = now;
	ts->window_start = now;
}

static struct sampled_thread *thread_of(struct task_samples *ts, uint32_t tid)
{
	struct sampled_thread *th = u64_map_get(&ts->threads, tid);

	if (th)
		return th;
	th = calloc(1, sizeof(*th));
	if (!th || u64_map_put(&ts->threads, tid, th)) {
		free(th);
		return NULL;
	}
	th->tid = tid;
	return th;
}

static struct sampled_task *task_of(struct task_samples *ts, uint64_t id)
{
	struct sampled_task *t = u64_map_get(&ts->tasks, id);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || u64_map_put(&ts->tasks, id, t)) {
		free(t);
		return NULL;
	}
	return t;
}

void task_samples_add_unknown(struct task_samples *ts, uint64_t ts_ns)
{
	ts->samples++;
	ts->unreadable++;
	if (ts_ns > ts->latest)
		ts->latest = ts_ns;
}

void task_samples_add(struct task_samples *ts, uint32_t tid, uint64_t task_id, uint64_t nvcsw,
		      bool readable, uint64_t ts_ns)
{
	struct sampled_thread *th = thread_of(ts, tid);
	struct sampled_task *t;

	ts->samples++;
	if (ts_ns > ts->latest)
		ts->latest = ts_ns;
	if (!readable) {
		ts->unreadable++;
		task_id = 0;
	}
	if (!task_id)
		ts->idle_samples++;
	if (!th)
		return;
	th->samples++;
	if (task_id && th->task_id == task_id && th->nvcsw == nvcsw && th->run) {
		th->run++;
	} else {
		th->run = 1;
		th->since = ts_ns;
	}
	th->task_id = task_id;
	th->nvcsw = nvcsw;
	th->last = ts_ns;
	if (!task_id || !(t = task_of(ts, task_id)))
		return;
	t->samples++;
	t->window_samples++;
	t->last_ts = ts_ns;
	if (th->last - th->since > t->longest_run_ns)
		t->longest_run_ns = th->last - th->since;
}

void task_samples_roll(struct task_samples *ts, uint64_t now)
{
	size_t i;

	/* The window holds every sample drained so far. */
	if (ts->latest > now)
		now = ts->latest;
	/* A refresh right after another (the final one) would leave an
	 * empty window: the last one stands. */
	if (now < ts->window_start + MIN_WINDOW_NS)
		return;
	for (i = 0; ts->tasks.slots && i <= ts->tasks.mask; i++) {
		struct sampled_task *t = ts->tasks.slots[i].value;

		if (t) {
			t->last_window = t->window_samples;
			t->window_samples = 0;
		}
	}
	ts->last_window_ns = now > ts->window_start ? now - ts->window_start : 0;
	ts->window_start = now;
}

const struct sampled_task *task_samples_get(const struct task_samples *ts, uint64_t task_id)
{
	return task_id ? u64_map_get(&ts->tasks, task_id) : NULL;
}

struct sampled_task *task_samples_get_mut(struct task_samples *ts, uint64_t task_id)
{
	return task_id ? u64_map_get(&ts->tasks, task_id) : NULL;
}

const struct sampled_thread *task_samples_running(const struct task_samples *ts, uint64_t task_id,
						  uint64_t now)
{
	size_t i;

	for (i = 0; task_id && ts->threads.slots && i <= ts->threads.mask; i++) {
		const struct sampled_thread *th = ts->threads.slots[i].value;

		if (th && th->task_id == task_id && th->last + RUNNING_MAX_AGE_NS >= now)
			return th;
	}
	return NULL;
}

const struct sampled_thread *task_samples_thread(const struct task_samples *ts, uint32_t tid)
{
	return u64_map_get(&ts->threads, tid);
}

bool task_samples_wedged(const struct task_samples *ts, const struct sampled_thread *th)
{
	return th && th->task_id && th->run * ts->period_ns >= ts->wedge_ns;
}

uint64_t task_samples_span_ns(const struct task_samples *ts, uint64_t now)
{
	uint64_t end = ts->latest > now ? ts->latest : now;

	return ts->started_at && end > ts->started_at ? end - ts->started_at : 0;
}

double task_samples_cpu_pct(const struct task_samples *ts, const struct sampled_task *t,
			    uint64_t now)
{
	uint64_t span = task_samples_span_ns(ts, now);

	return t && span ? 100.0 * (double)(t->samples * ts->period_ns) / (double)span : 0;
}

double task_samples_recent_pct(const struct task_samples *ts, const struct sampled_task *t)
{
	return t && ts->last_window_ns
		   ? 100.0 * (double)(t->last_window * ts->period_ns) / (double)ts->last_window_ns
		   : 0;
}

void task_samples_prune(struct task_samples *ts, uint64_t now, uint64_t older_than,
			bool (*keep)(uint64_t task_id, void *ctx), void *ctx)
{
	size_t i = 0;

	while (ts->tasks.slots && i <= ts->tasks.mask) {
		struct u64_map_slot *slot = &ts->tasks.slots[i];
		struct sampled_task *t = slot->value;

		if (!t || t->last_ts + older_than >= now || keep(slot->key, ctx)) {
			i++;
			continue;
		}
		/* Removal shifts a later slot into i: look at i again. */
		free(u64_map_remove(&ts->tasks, slot->key));
	}
	i = 0;
	while (ts->threads.slots && i <= ts->threads.mask) {
		struct u64_map_slot *slot = &ts->threads.slots[i];
		struct sampled_thread *th = slot->value;

		if (!th || th->last + older_than >= now) {
			i++;
			continue;
		}
		free(u64_map_remove(&ts->threads, slot->key));
	}
}

void task_samples_free(struct task_samples *ts)
{
	size_t i;

	for (i = 0; ts->tasks.slots && i <= ts->tasks.mask; i++)
		free(ts->tasks.slots[i].value);
	for (i = 0; ts->threads.slots && i <= ts->threads.mask; i++)
		free(ts->threads.slots[i].value);
	u64_map_free(&ts->tasks);
	u64_map_free(&ts->threads);
	memset(ts, 0, sizeof(*ts));
}
