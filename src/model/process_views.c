#include "model/process_views.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct merge_ctx {
	const struct model_ref *refs;
	enum task_sort key;
	bool ascending;
	uint64_t now;
};

static int compare_tasks(const struct process_task *a, const struct process_task *b,
			 const struct merge_ctx *c)
{
	const struct model_ref *ra = &c->refs[a->proc], *rb = &c->refs[b->proc];
	int r = task_view_compare(a->t, ra->m, ra->sites, b->t, rb->m, rb->sites, c->key,
				  c->ascending, c->now);

	/* Equal keys and ids in two processes: the process order decides. */
	if (r == 0)
		r = (a->proc > b->proc) - (a->proc < b->proc);
	return r;
}

/* A merge sort: stable, and with a context (qsort has none). */
static void sort_tasks(struct process_task *v, struct process_task *tmp, size_t n,
		       const struct merge_ctx *c)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_tasks(v, tmp, mid, c);
	sort_tasks(v + mid, tmp, n - mid, c);
	while (i < mid && j < n)
		tmp[k++] = compare_tasks(&v[i], &v[j], c) <= 0 ? v[i++] : v[j++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

size_t process_tasks_sorted(const struct model_ref *refs, size_t nrefs, enum task_sort key,
			    bool ascending, uint64_t now, struct process_task **out)
{
	struct merge_ctx c = {refs, key, ascending, now};
	struct process_task *v, *tmp;
	size_t i, n = 0, total = 0;
	struct task *t;

	for (i = 0; i < nrefs; i++)
		total += refs[i].m->task_count;
	v = calloc(total + 1, sizeof(*v));
	tmp = calloc(total + 1, sizeof(*tmp));
	if (!v || !tmp) {
		free(v);
		free(tmp);
		*out = NULL;
		return 0;
	}
	for (i = 0; i < nrefs; i++)
		for (t = refs[i].m->first; t && n < total; t = t->next)
			v[n++] = (struct process_task){t, i};
	sort_tasks(v, tmp, n, &c);
	free(tmp);
	*out = v;
	return n;
}

static struct process_group *find_group(struct process_groups *out, const char *name)
{
	size_t i;

	for (i = 0; i < out->count; i++)
		if (strcmp(out->groups[i].total.name, name) == 0)
			return &out->groups[i];
	return NULL;
}

static int merge_parked(struct task_group *into, const struct task_group *g)
{
	size_t i, j;

	for (i = 0; i < g->parked_lines; i++) {
		for (j = 0; j < into->parked_lines; j++)
			if (strcmp(into->parked[j].at, g->parked[i].at) == 0)
				break;
		if (j < into->parked_lines) {
			into->parked[j].tasks += g->parked[i].tasks;
			continue;
		}
		struct parked_line *grown =
		    realloc(into->parked, (into->parked_lines + 1) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		into->parked = grown;
		into->parked[into->parked_lines++] = g->parked[i];
	}
	into->parked_unknown += g->parked_unknown;
	return 0;
}

/* Adds one process's group of a type to the type's row. */
static int merge_group(struct process_group *pg, const struct task_group *g, size_t proc)
{
	struct task_group *t = &pg->total;

	if (!pg->procs || g->longest > t->longest)
		pg->longest_proc = proc;
	pg->procs++;
	pg->slow_procs += g->slow > 0;
	t->tasks += g->tasks;
	t->live += g->live;
	t->polls += g->polls;
	t->busy_ns += g->busy_ns;
	t->slow += g->slow;
	t->slow_approx |= g->slow_approx;
	if (g->longest > t->longest)
		t->longest = g->longest;
	if (g->inflight > t->inflight)
		t->inflight = g->inflight;
	if (g->idle_ns > t->idle_ns)
		t->idle_ns = g->idle_ns;
	return merge_parked(t, g);
}

static int compare_parked(const void *a, const void *b)
{
	const struct parked_line *x = a, *y = b;

	if (x->tasks != y->tasks)
		return x->tasks > y->tasks ? -1 : 1;
	return strcmp(x->at, y->at);
}

struct group_order {
	enum task_sort key;
	bool ascending;
};

static int compare_groups(const void *a, const void *b, void *arg)
{
	const struct process_group *x = a, *y = b;
	const struct group_order *o = arg;

	return task_group_compare(&x->total, &y->total, o->key, o->ascending);
}

/* Folds one process's groups into out (grown as types appear). */
static int add_process(struct process_groups *out, size_t *cap, const struct task_groups *g,
		       size_t proc)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < g->count && !ret; i++) {
		struct process_group *pg = find_group(out, g->groups[i].name);

		if (!pg) {
			if (out->count == *cap) {
				size_t ncap = *cap ? *cap * 2 : 16;
				struct process_group *grown =
				    realloc(out->groups, ncap * sizeof(*grown));

				if (!grown)
					return -ENOMEM;
				out->groups = grown;
				*cap = ncap;
			}
			pg = &out->groups[out->count++];
			memset(pg, 0, sizeof(*pg));
			pg->total.name = g->groups[i].name;
		}
		ret = merge_group(pg, &g->groups[i], proc);
	}
	return ret;
}

int process_groups_build(const struct model_ref *refs, size_t nrefs, task_group_filter keep,
			 void *keep_ctx, enum task_sort key, bool ascending, uint64_t now,
			 struct process_groups *out)
{
	struct group_order o = {key, ascending};
	size_t i, cap = 0;
	int ret = 0;

	out->groups = NULL;
	out->count = 0;
	for (i = 0; i < nrefs && !ret; i++) {
		struct task_groups g;

		ret = task_groups_build(refs[i].m, refs[i].sites, refs[i].src, keep, keep_ctx,
					SORT_NAME, false, now, &g);
		if (!ret)
			ret = add_process(out, &cap, &g, i);
		task_groups_free(&g);
	}
	if (ret) {
		process_groups_free(out);
		return ret;
	}
	for (i = 0; i < out->count; i++)
		if (out->groups[i].total.parked_lines > 1)
			qsort(out->groups[i].total.parked, out->groups[i].total.parked_lines,
			      sizeof(struct parked_line), compare_parked);
	if (out->count)
		qsort_r(out->groups, out->count, sizeof(*out->groups), compare_groups, &o);
	return 0;
}

void process_groups_free(struct process_groups *g)
{
	size_t i;

	for (i = 0; g->groups && i < g->count; i++)
		free(g->groups[i].total.parked);
	free(g->groups);
	g->groups = NULL;
	g->count = 0;
}
