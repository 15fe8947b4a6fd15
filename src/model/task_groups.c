#include "model/task_groups.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe/site_table.h"

static int count_parked(struct task_group *g, const char *at)
{
	size_t i;

	for (i = 0; i < g->parked_lines; i++)
		if (strcmp(g->parked[i].at, at) == 0) {
			g->parked[i].tasks++;
			return 0;
		}
	/* Distinct await lines per handler are few: grow one by one. */
	struct parked_line *grown = realloc(g->parked, (g->parked_lines + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	g->parked = grown;
	g->parked[g->parked_lines++] = (struct parked_line){at, 1};
	return 0;
}

/* The innermost await line of an idle task, NULL if unknown. */
static const char *parked_at(const struct task *t, const struct site_table *sites,
			     const struct await_source *src)
{
	struct await_frame chain[AWAIT_CHAIN_MAX];
	size_t n = await_chain_build(t, sites, src, chain, AWAIT_CHAIN_MAX, NULL);

	return n ? chain[n - 1].awaiting : NULL;
}

static int add_task(struct task_group *g, const struct task *t, const struct task_model *m,
		    const struct site_table *sites, const struct await_source *src, uint64_t now)
{
	uint64_t longest = poll_stats_longest(&t->stats, now);
	uint64_t inflight = poll_stats_inflight(&t->stats, now);
	enum task_state st = task_state(t);
	bool since_attach;
	uint64_t idle = task_idle_ns(m, t, now, &since_attach);

	g->tasks++;
	g->live += st != TASK_DONE;
	g->polls += t->stats.polls;
	g->busy_ns += t->stats.busy_ns + inflight;
	g->slow += t->stats.slow_polls;
	g->slow_approx |= t->stats.slow_approx;
	if (longest > g->longest)
		g->longest = longest;
	if (inflight > g->inflight)
		g->inflight = inflight;
	if (idle > g->idle_ns)
		g->idle_ns = idle;
	if (st != TASK_IDLE || !src)
		return 0;
	const char *at = parked_at(t, sites, src);

	if (!at) {
		g->parked_unknown++;
		return 0;
	}
	return count_parked(g, at);
}

const char *pruned_group_name(const struct pruned_group *p, const struct site_table *sites)
{
	struct future_node root = {.site = p->root_site};
	struct task t = {.has_poll_site = p->has_poll_site,
			 .poll_site = p->poll_site,
			 .roots = p->has_root ? &root : NULL};

	return task_name(&t, sites); /* a site's name: outlives t */
}

/* Pruned tasks count in their group's totals (not in LIVE), so a handler's
 * totals do not drop as its done tasks age out. */
static size_t add_pruned(const struct task_model *m, const struct site_table *sites,
			 task_group_filter keep, void *keep_ctx, struct task_group *groups,
			 size_t count)
{
	size_t i, j;

	for (i = 0; i < m->pruned_count; i++) {
		const struct pruned_group *p = &m->pruned[i];
		const char *name = pruned_group_name(p, sites);
		struct task_group *g = NULL;

		if (keep && !keep(name, keep_ctx))
			continue;
		for (j = 0; j < count && !g; j++)
			g = strcmp(groups[j].name, name) == 0 ? &groups[j] : NULL;
		if (!g) {
			g = &groups[count++];
			g->name = name;
		}
		g->tasks += p->tasks;
		g->polls += p->stats.polls;
		g->busy_ns += p->stats.busy_ns;
		g->slow += p->stats.slow_polls;
		g->slow_approx |= p->stats.slow_approx;
		if (p->stats.max_poll_ns > g->longest)
			g->longest = p->stats.max_poll_ns;
	}
	return count;
}

static uint64_t group_key(const struct task_group *g, enum task_sort sort)
{
	switch (sort) {
	case SORT_BUSY:
	case SORT_BUSY_PCT:
		return g->busy_ns;
	case SORT_STATE:
		return g->live;
	case SORT_POLLS:
		return g->polls;
	case SORT_SLOW:
		return g->slow;
	case SORT_INFLIGHT:
		return g->inflight;
	case SORT_IDLE:
		return g->idle_ns;
	case SORT_ID:
		return g->tasks;
	default:
		return g->longest;
	}
}

struct sort_ctx {
	enum task_sort key;
	bool ascending;
};

int task_group_compare(const struct task_group *x, const struct task_group *y, enum task_sort key,
		       bool ascending)
{
	int r;

	if (key == SORT_NAME) {
		r = strcmp(x->name, y->name);
	} else {
		uint64_t kx = group_key(x, key), ky = group_key(y, key);

		r = kx == ky ? strcmp(x->name, y->name) : kx > ky ? -1 : 1;
	}
	return ascending ? -r : r;
}

static int compare_groups(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;

	return task_group_compare(a, b, c->key, c->ascending);
}

static int compare_parked(const void *a, const void *b)
{
	const struct parked_line *x = a, *y = b;

	if (x->tasks != y->tasks)
		return x->tasks > y->tasks ? -1 : 1;
	return strcmp(x->at, y->at);
}

/* Tasks come sorted by name, so each group is one run of equal names. */
int task_groups_build(const struct task_model *m, const struct site_table *sites,
		      const struct await_source *src, task_group_filter keep, void *keep_ctx,
		      enum task_sort key, bool ascending, uint64_t now, struct task_groups *out)
{
	struct sort_ctx c = {key, ascending};
	struct task **tasks;
	size_t i, n = task_view_sorted(m, sites, SORT_NAME, false, now, &tasks);
	int ret = 0;

	out->count = 0;
	out->groups = calloc(n + m->pruned_count + 1, sizeof(*out->groups));
	if (!out->groups) {
		free(tasks);
		return -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		const char *name = task_name(tasks[i], sites);
		struct task_group *g;

		if (keep && !keep(name, keep_ctx))
			continue;
		if (!out->count || strcmp(out->groups[out->count - 1].name, name) != 0)
			out->groups[out->count++].name = name;
		g = &out->groups[out->count - 1];
		ret = add_task(g, tasks[i], m, sites, src, now);
	}
	free(tasks);
	out->count = add_pruned(m, sites, keep, keep_ctx, out->groups, out->count);
	for (i = 0; i < out->count; i++)
		if (out->groups[i].parked_lines > 1)
			qsort(out->groups[i].parked, out->groups[i].parked_lines,
			      sizeof(struct parked_line), compare_parked);
	qsort_r(out->groups, out->count, sizeof(*out->groups), compare_groups, &c);
	if (ret)
		task_groups_free(out);
	return ret;
}

void task_groups_free(struct task_groups *g)
{
	size_t i;

	for (i = 0; g->groups && i < g->count; i++)
		free(g->groups[i].parked);
	free(g->groups);
	g->groups = NULL;
	g->count = 0;
}
