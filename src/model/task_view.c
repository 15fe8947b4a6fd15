#include "model/task_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "probe/site_table.h"
#include "util/duration.h"

/* The type the task's poll entry runs comes first: a root future can be one
 * polled inside another type's task (through a dyn Future, say) when only
 * some futures are probed. */
const char *task_name(const struct task *t, const struct site_table *sites)
{
	const char *type = NULL;

	if (t->has_poll_site && t->poll_site < sites->count)
		type = site_task_type(&sites->sites[t->poll_site]);
	if (type)
		return type;
	if (t->roots && t->roots->site < sites->count)
		return sites->sites[t->roots->site].name;
	return "(task)";
}

uint64_t poll_stats_longest(const struct poll_stats *s, uint64_t now)
{
	uint64_t inflight = poll_stats_inflight(s, now);

	return inflight > s->max_poll_ns ? inflight : s->max_poll_ns;
}

const char *task_state_name(enum task_state s)
{
	switch (s) {
	case TASK_RUNNING:
		return "running";
	case TASK_DONE:
		return "done";
	case TASK_SCHEDULED:
		return "scheduled";
	default:
		return "idle";
	}
}

const char *task_runtime_id_text(const struct task *t, const struct runtime_profile *runtime,
				 char *buf, size_t len)
{
	if (!t->runtime_id || !len)
		return "";
	snprintf(buf, len, " (%s id %llu)", runtime ? runtime->name : "runtime",
		 (unsigned long long)t->runtime_id);
	return buf;
}

uint64_t task_idle_ns(const struct task_model *m, const struct task *t, uint64_t now,
		      bool *since_attach)
{
	uint64_t since;

	enum task_state st = task_state(t);

	*since_attach = false;
	/* Light mode sees no poll: how long a task has been idle is unknown
	 * ("-"), not "since attach" (it may have been polled a moment ago). */
	if (m->rows_for_all_walked)
		return 0;
	if (st == TASK_RUNNING || st == TASK_DONE || t->stats.inflight_since)
		return 0;
	if (t->stats.last_poll_end)
		return now > t->stats.last_poll_end ? now - t->stats.last_poll_end : 0;
	*since_attach = true;
	since = t->walked && m->attached_at ? m->attached_at : t->first_seen;
	return now > since ? now - since : 0;
}

const char *task_idle_format(const struct task_model *m, const struct task *t, uint64_t now,
			     char *buf, size_t len)
{
	bool since_attach;
	uint64_t ns = task_idle_ns(m, t, now, &since_attach);
	char d[16];

	if (!ns)
		return "-";
	snprintf(buf, len, "%s%s", since_attach ? "\xe2\x89\xa5" : "",
		 duration_format(ns, d, sizeof(d)));
	return buf;
}

struct task_counts task_view_count(const struct task_model *m)
{
	struct task_counts c = {0, 0, 0, 0};
	const struct task *t;

	for (t = m->first; t; t = t->next) {
		enum task_state st = task_state(t);

		c.total++;
		c.running += st == TASK_RUNNING;
		c.idle += st == TASK_IDLE || st == TASK_SCHEDULED;
		c.done += st == TASK_DONE;
	}
	return c;
}

struct sort_ctx {
	const struct task_model *m;
	const struct site_table *sites;
	enum task_sort key;
	bool ascending;
	uint64_t now;
};

static uint64_t sort_value(const struct task *t, const struct sort_ctx *c)
{
	switch (c->key) {
	case SORT_BUSY:
		return t->stats.busy_ns + poll_stats_inflight(&t->stats, c->now);
	case SORT_POLLS:
		return t->stats.polls;
	case SORT_SLOW:
		return t->stats.slow_polls;
	case SORT_INFLIGHT:
		return poll_stats_inflight(&t->stats, c->now);
	case SORT_ID:
		return t->id;
	case SORT_BUSY_PCT: /* parts per million of the time since first seen */
		return c->now > t->first_seen
			   ? (t->stats.busy_ns + poll_stats_inflight(&t->stats, c->now)) * 1000000 /
				 (c->now - t->first_seen)
			   : 0;
	case SORT_IDLE: {
		/* never polled since attach counts from attach: a task hung for
		 * minutes rises to the top from the first refresh */
		bool since_attach;

		return task_idle_ns(c->m, t, c->now, &since_attach);
	}
	case SORT_STATE:
		return task_state(t) == TASK_RUNNING ? 2 : task_state(t) == TASK_IDLE;
	case SORT_SCHED:
		return t->sched.max_scheduled_ns;
	default:
		return poll_stats_longest(&t->stats, c->now);
	}
}

/* a of model ca against b of model cb (the same key and order). */
static int compare_across(const struct task *a, const struct sort_ctx *ca, const struct task *b,
			  const struct sort_ctx *cb)
{
	const struct sort_ctx *c = ca;
	int r = 0;

	if (c->key == SORT_NAME) {
		r = strcmp(task_name(a, ca->sites), task_name(b, cb->sites));
	} else {
		uint64_t x = sort_value(a, ca), y = sort_value(b, cb);

		/* Numbers read biggest first unless inverted; names A to Z. */
		r = x == y ? 0 : x > y ? -1 : 1;
	}
	if (c->ascending)
		r = -r;
	if (r == 0)
		r = a->id < b->id ? -1 : a->id > b->id;
	return r;
}

static int compare(const struct task *a, const struct task *b, const struct sort_ctx *c)
{
	return compare_across(a, c, b, c);
}

int task_view_compare(const struct task *a, const struct task_model *ma,
		      const struct site_table *sa, const struct task *b,
		      const struct task_model *mb, const struct site_table *sb, enum task_sort key,
		      bool ascending, uint64_t now)
{
	struct sort_ctx ca = {ma, sa, key, ascending, now}, cb = {mb, sb, key, ascending, now};

	return compare_across(a, &ca, b, &cb);
}

/* qsort has no context argument; a small merge sort keeps this reentrant. */
static void merge_sort(struct task **v, struct task **tmp, size_t n, const struct sort_ctx *c)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, mid, c);
	merge_sort(v + mid, tmp, n - mid, c);
	while (i < mid && j < n)
		tmp[k++] = compare(v[i], v[j], c) <= 0 ? v[i++] : v[j++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

size_t task_view_sorted(const struct task_model *m, const struct site_table *sites,
			enum task_sort key, bool ascending, uint64_t now, struct task ***out)
{
	struct sort_ctx c = {m, sites, key, ascending, now};
	struct task **v = calloc(m->task_count + 1, sizeof(*v));
	struct task **tmp = calloc(m->task_count + 1, sizeof(*tmp));
	struct task *t;
	size_t n = 0;

	if (!v || !tmp) {
		free(v);
		free(tmp);
		*out = NULL;
		return 0;
	}
	for (t = m->first; t; t = t->next)
		v[n++] = t;
	merge_sort(v, tmp, n, &c);
	free(tmp);
	*out = v;
	return n;
}
