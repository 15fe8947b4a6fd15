#include "export/metrics_collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "model/task_groups.h"
#include "model/task_view.h"
#include "probe/site_table.h"
#include "session/duty_cycle.h"
#include "session/session.h"

/* One type's sums over its tasks at this refresh, in the model's log2
 * buckets. */
struct type_sum {
	const char *name;
	uint64_t seen, tasks[METRICS_STATES], polls, slow, busy_ns, blocked_ns, wakes, sched_ns;
	uint64_t hist[POLL_HIST_BUCKETS], sched_hist[POLL_HIST_BUCKETS];
};

struct sums {
	struct type_sum *v;
	size_t count, cap;
	struct u64_map by_name; /* name pointer -> index + 1: names are the sites' own */
};

static struct type_sum *sum_for(struct sums *s, const char *name)
{
	uintptr_t at = (uintptr_t)u64_map_get(&s->by_name, (uint64_t)(uintptr_t)name);
	size_t i;

	if (at)
		return &s->v[at - 1];
	/* Two sites may share a type name: one series per name. */
	for (i = 0; i < s->count; i++)
		if (strcmp(s->v[i].name, name) == 0)
			break;
	if (i == s->count) {
		if (s->count == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct type_sum *grown = realloc(s->v, cap * sizeof(*grown));

			if (!grown)
				return NULL;
			s->v = grown;
			s->cap = cap;
		}
		memset(&s->v[i], 0, sizeof(s->v[i]));
		s->v[s->count++].name = name;
	}
	if (u64_map_put(&s->by_name, (uint64_t)(uintptr_t)name, (void *)(uintptr_t)(i + 1)))
		return NULL;
	return &s->v[i];
}

static void add_hist(uint64_t *into, const uint32_t *from)
{
	int i;

	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		into[i] += from[i];
}

static void add_stats(struct type_sum *t, const struct poll_stats *p, const struct sched_stats *s)
{
	t->polls += p->polls;
	t->slow += p->slow_polls;
	t->busy_ns += p->busy_ns;
	t->blocked_ns += p->blocked_ns;
	add_hist(t->hist, p->hist);
	t->wakes += s->wakes;
	t->sched_ns += s->scheduled_ns;
	add_hist(t->sched_hist, s->hist);
}

static enum metrics_state state_of(const struct task *t)
{
	switch (task_state(t)) {
	case TASK_RUNNING:
		return METRICS_RUNNING;
	case TASK_SCHEDULED:
		return METRICS_SCHEDULED;
	case TASK_DONE:
		return METRICS_DONE;
	default:
		return METRICS_IDLE;
	}
}

static int sum_model(struct sums *s, const struct task_model *m, const struct site_table *sites)
{
	const struct task *t;
	struct type_sum *ts;
	size_t i;

	for (t = m->first; t; t = t->next) {
		ts = sum_for(s, task_name(t, sites));
		if (!ts)
			return -ENOMEM;
		ts->seen++;
		ts->tasks[state_of(t)]++;
		add_stats(ts, &t->stats, &t->sched);
	}
	/* Ended tasks aged out of the model leave their totals here. */
	for (i = 0; i < m->pruned_count; i++) {
		ts = sum_for(s, pruned_group_name(&m->pruned[i], sites));
		if (!ts)
			return -ENOMEM;
		ts->seen += m->pruned[i].tasks;
		add_stats(ts, &m->pruned[i].stats, &m->pruned[i].sched);
	}
	return 0;
}

/* log2 buckets to the fixed cumulative bounds: bucket i holds
 * [2^i, 2^(i+1)) ns, so a bound 2^k counts buckets below k exactly. */
static void fold_hist(struct metrics_hist *h, const uint64_t *log2, uint64_t sum_ns)
{
	uint64_t below = 0;
	int i, b = 0;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < POLL_HIST_BUCKETS; i++) {
		while (b < METRICS_BUCKETS && metrics_bucket_ns[b] <= (1ULL << i))
			h->le[b++] = below;
		below += log2[i];
	}
	while (b < METRICS_BUCKETS)
		h->le[b++] = below;
	h->count = below;
	h->sum_ns = sum_ns;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Counters only go up: a task whose type is learned after its first polls
 * moves them from "(task)" to its type's series, and a model rebuilt or
 * out of memory could lose some. The series keeps its highest value. */
static void keep_monotonic(struct metrics_hist *into, const struct metrics_hist *now)
{
	int b;

	for (b = 0; b < METRICS_BUCKETS; b++)
		into->le[b] = max_u64(into->le[b], now->le[b]);
	into->count = max_u64(into->count, now->count);
	into->sum_ns = max_u64(into->sum_ns, now->sum_ns);
}

static void update_type(struct metrics_type *mt, const struct type_sum *ts)
{
	struct metrics_hist h;

	mt->tasks_seen = max_u64(mt->tasks_seen, ts->seen);
	memcpy(mt->tasks, ts->tasks, sizeof(mt->tasks));
	mt->polls = max_u64(mt->polls, ts->polls);
	mt->slow_polls = max_u64(mt->slow_polls, ts->slow);
	fold_hist(&h, ts->hist, ts->busy_ns);
	keep_monotonic(&mt->poll, &h);
	mt->blocked_ns = max_u64(mt->blocked_ns, ts->blocked_ns);
	mt->wakes = max_u64(mt->wakes, ts->wakes);
	fold_hist(&h, ts->sched_hist, ts->sched_ns);
	keep_monotonic(&mt->sched, &h);
}

static struct metrics_type *type_for(struct metrics_collector *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct metrics_type *grown = realloc(c->types, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		c->types = grown;
		c->cap = cap;
	}
	memset(&c->types[c->count], 0, sizeof(c->types[0]));
	/* Our own copy: the name outlives a session's site table. */
	c->types[c->count].name = strdup(name);
	if (!c->types[c->count].name)
		return NULL;
	return &c->types[c->count++];
}

static int compare_types(const void *a, const void *b)
{
	return strcmp(((const struct metrics_type *)a)->name,
		      ((const struct metrics_type *)b)->name);
}

int metrics_collect_model(struct metrics_collector *c, const struct task_model *m,
			  const struct site_table *sites)
{
	struct sums s = {0};
	size_t i, before = c->count;
	int ret = sum_model(&s, m, sites);

	/* A type with no task now shows none in any state. */
	for (i = 0; i < c->count; i++)
		memset(c->types[i].tasks, 0, sizeof(c->types[i].tasks));
	for (i = 0; i < s.count && !ret; i++) {
		struct metrics_type *mt = type_for(c, s.v[i].name);

		if (!mt)
			ret = -ENOMEM;
		else
			update_type(mt, &s.v[i]);
	}
	if (c->count != before)
		qsort(c->types, c->count, sizeof(*c->types), compare_types);
	free(s.v);
	u64_map_free(&s.by_name);
	return ret;
}

static uint64_t own_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ULL +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ULL;
}

static uint64_t own_rss_bytes(void)
{
	unsigned long long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

int metrics_collect_session(struct metrics_collector *c, const struct session *s,
			    struct metrics_input *in)
{
	int ret = metrics_collect_model(c, &s->model, &s->sites);
	uint64_t now = session_now(s);

	*in = (struct metrics_input){
	    .pid = s->target.pid,
	    .process = s->target.comm,
	    .light = s->light,
	    .duty_pct = s->light ? 0 : s->duty.pct,
	    .traced_ns = s->light		      ? 0
			 : s->duty.pct		      ? duty_cycle_traced_ns(&s->duty, now)
			 : now > s->model.attached_at ? now - s->model.attached_at
						      : 0,
	    .sched_measured = !s->light && site_table_count_role(&s->sites, SITE_TASK_WAKE) > 0,
	    .blocked_measured = !s->light && s->model.blocked_measured,
	    .threshold_ns = s->model.threshold_ns,
	    .events_lost = s->events_lost,
	    .cpu_ns = own_cpu_ns(),
	    .rss_bytes = own_rss_bytes(),
	    .types = c->types,
	    .count = c->count,
	};
	return ret;
}

void metrics_collector_free(struct metrics_collector *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		free((char *)c->types[i].name);
	free(c->types);
	memset(c, 0, sizeof(*c));
}
