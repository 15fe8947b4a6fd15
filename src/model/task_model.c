#include "model/task_model.h"

#include <stdlib.h>
#include <string.h>

void task_model_init(struct task_model *m, uint64_t threshold_ns, uint64_t retain_done_ns,
		     size_t max_done_tasks)
{
	memset(m, 0, sizeof(*m));
	m->next_id = 1;
	m->threshold_ns = threshold_ns;
	m->retain_done_ns = retain_done_ns;
	m->max_done_tasks = max_done_tasks;
}

static void free_nodes(struct future_node *n)
{
	while (n) {
		struct future_node *next = n->next_sibling;

		free_nodes(n->children);
		free(n->slow_stack);
		free(n);
		n = next;
	}
}

static void merge_stats(struct poll_stats *into, const struct poll_stats *from)
{
	int i;

	into->polls += from->polls;
	into->busy_ns += from->busy_ns;
	into->blocked_ns += from->blocked_ns;
	into->cpu_wait_ns += from->cpu_wait_ns;
	into->slow_polls += from->slow_polls;
	into->unknown_polls += from->unknown_polls;
	into->slow_approx |= from->slow_approx;
	if (from->max_poll_ns > into->max_poll_ns)
		into->max_poll_ns = from->max_poll_ns;
	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		into->hist[i] += from->hist[i];
}

static void merge_sched(struct sched_stats *into, const struct sched_stats *from)
{
	int i;

	into->wakes += from->wakes;
	into->self_wakes += from->self_wakes;
	into->scheduled += from->scheduled;
	into->scheduled_ns += from->scheduled_ns;
	if (from->max_scheduled_ns > into->max_scheduled_ns)
		into->max_scheduled_ns = from->max_scheduled_ns;
	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		into->hist[i] += from->hist[i];
}

static struct pruned_group *pruned_group_for(struct task_model *m, const struct task *t)
{
	bool has_root = t->roots != NULL;
	uint32_t root = has_root ? t->roots->site : 0;
	struct pruned_group *g;
	size_t i;

	for (i = 0; i < m->pruned_count; i++) {
		g = &m->pruned[i];
		if (g->has_poll_site == t->has_poll_site && g->has_root == has_root &&
		    (!has_root || g->root_site == root) &&
		    (!t->has_poll_site || g->poll_site == t->poll_site))
			return g;
	}
	if (m->pruned_count == m->pruned_cap) {
		size_t cap = m->pruned_cap ? m->pruned_cap * 2 : 16;
		struct pruned_group *grown = realloc(m->pruned, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		m->pruned = grown;
		m->pruned_cap = cap;
	}
	g = &m->pruned[m->pruned_count++];
	memset(g, 0, sizeof(*g));
	g->has_poll_site = t->has_poll_site;
	g->poll_site = t->poll_site;
	g->has_root = has_root;
	g->root_site = root;
	return g;
}

/* A done task leaves its totals behind (grouped by kind) when pruned. */
static void remember_pruned(struct task_model *m, const struct task *t)
{
	struct pruned_group *g = pruned_group_for(m, t);

	if (!g)
		return; /* out of memory: the totals lose this task */
	g->tasks++;
	merge_stats(&g->stats, &t->stats);
	merge_sched(&g->sched, &t->sched);
}

static void unlink_task(struct task_model *m, struct task *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		m->first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		m->last = t->prev;
	m->task_count--;
	if (t->done)
		m->done_count--;
	else if (u64_map_get(&m->live, t->key) == t)
		u64_map_remove(&m->live, t->key);
	free_nodes(t->roots);
	free(t->slow_stack);
	free(t);
}

void task_model_free(struct task_model *m)
{
	while (m->first)
		unlink_task(m, m->first);
	u64_map_free(&m->live);
	free(m->pruned);
	m->pruned = NULL;
	m->pruned_count = m->pruned_cap = 0;
}

struct task *task_model_task(struct task_model *m, uint64_t key, bool block_on, uint64_t now)
{
	struct task *t = u64_map_get(&m->live, key);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || u64_map_put(&m->live, key, t)) {
		free(t);
		return NULL;
	}
	t->id = m->next_id++;
	t->key = key;
	t->block_on = block_on;
	t->first_seen = now;
	t->prev = m->last;
	if (m->last)
		m->last->next = t;
	else
		m->first = t;
	m->last = t;
	m->task_count++;
	m->tasks_seen++;
	return t;
}

void task_model_task_ended(struct task_model *m, uint64_t key, uint64_t now)
{
	struct task *t = u64_map_remove(&m->live, key);

	if (!t)
		return;
	t->done = true;
	t->done_at = now;
	m->done_count++;
}

struct task *task_model_walked(struct task_model *m, uint64_t key, uint64_t list,
			       uint64_t runtime_id, enum walk_state state, uint32_t poll_site,
			       uint64_t now)
{
	struct task *t = u64_map_get(&m->live, key);

	/* New rows are for parked tasks only. A running or scheduled one is
	 * shown by its poll, now or soon (a complete one showed already: its
	 * end may be drained while the runtime has not unlinked it yet, and a
	 * row made now would never end); so a backlog of queued tasks costs no
	 * memory here. */
	if (!t && state != WALK_IDLE && !(m->rows_for_all_walked && state != WALK_COMPLETE))
		return NULL;
	t = t ? t : task_model_task(m, key, false, now);
	if (!t)
		return NULL;
	t->walked = true;
	t->walk_list = list;
	t->walk_state = (uint8_t)state;
	t->runtime_id = runtime_id;
	t->walk_gen = m->walk_gen + 1;
	t->walked_at = now;
	if (!t->has_poll_site && poll_site != UINT32_MAX) {
		t->has_poll_site = true;
		t->poll_site = poll_site;
	}
	return t;
}

void task_model_walk_waker(struct task *t, bool no_waker)
{
	t->no_waker = no_waker;
	if (!no_waker)
		t->no_waker_walks = 0;
	else if (t->no_waker_walks < UINT8_MAX)
		t->no_waker_walks++;
}

static bool list_read_whole(uint64_t list, const uint64_t *lists, const bool *complete, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lists[i] == list)
			return complete[i];
	return true; /* not found: its runtime is gone */
}

void task_model_walk_done(struct task_model *m, const uint64_t *lists, const bool *complete,
			  size_t n, uint64_t now)
{
	struct task *t, *next;

	m->walk_gen++;
	for (t = m->first; t; t = next) {
		next = t->next;
		if (t->walked && !t->done && !t->running_tid && t->walk_gen != m->walk_gen &&
		    list_read_whole(t->walk_list, lists, complete, n))
			task_model_task_ended(m, t->key, now);
	}
}

struct future_node *task_model_child(struct task *task, struct future_node *parent, uint32_t site)
{
	struct future_node **head = parent ? &parent->children : &task->roots, *n;

	for (n = *head; n; n = n->next_sibling)
		if (n->site == site)
			return n;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->site = site;
	n->parent = parent;
	/* Append, so the tree lists futures in the order they were first polled. */
	while (*head)
		head = &(*head)->next_sibling;
	*head = n;
	return n;
}

void poll_stats_begin(struct poll_stats *s, uint64_t now)
{
	s->inflight_since = now;
	s->inflight_until = 0;
	s->last_poll_start = now;
}

unsigned int poll_hist_bucket(uint64_t ns)
{
	unsigned int b = ns ? 63 - __builtin_clzll(ns) : 0;

	return b < POLL_HIST_BUCKETS ? b : POLL_HIST_BUCKETS - 1;
}

uint64_t poll_stats_percentile(const struct poll_stats *s, double fraction)
{
	uint64_t timed = 0, seen = 0, want;
	unsigned int i;

	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		timed += s->hist[i];
	if (!timed)
		return 0;
	want = (uint64_t)(fraction * timed + 0.999999);
	for (i = 0; i < POLL_HIST_BUCKETS; i++) {
		seen += s->hist[i];
		if (seen >= want)
			break;
	}
	i = i < POLL_HIST_BUCKETS ? i : POLL_HIST_BUCKETS - 1;
	/* The bucket's upper bound, but never above the real maximum. */
	return (2ULL << i) < s->max_poll_ns ? (2ULL << i) : s->max_poll_ns;
}

/* Keeps the RECENT_SLOW_POLLS longest polls, longest first: one compare
 * per poll unless it is among them. */
static void keep_longest(struct poll_stats *s, const struct slow_poll *p)
{
	int i = RECENT_SLOW_POLLS - 1;

	if (p->duration_ns <= s->longest[i].duration_ns)
		return;
	for (; i > 0 && s->longest[i - 1].duration_ns < p->duration_ns; i--)
		s->longest[i] = s->longest[i - 1];
	s->longest[i] = *p;
}

static uint64_t at_most(uint64_t v, uint64_t limit)
{
	return v < limit ? v : limit;
}

struct poll_split poll_split_within(const struct poll_split *split, uint64_t wall)
{
	uint64_t waited = at_most(split->runnable, wall);

	return (struct poll_split){waited, at_most(split->blocked, wall - waited)};
}

void poll_stats_end(struct poll_stats *s, uint64_t start, uint64_t now,
		    const struct poll_split *split, uint64_t threshold_ns)
{
	uint64_t wall = now > start ? now - start : 0;
	struct poll_split in = split ? poll_split_within(split, wall) : (struct poll_split){0, 0};
	uint64_t dur = wall - in.runnable;
	struct slow_poll p = {now, dur, in.blocked, in.runnable};

	s->polls++;
	s->busy_ns += dur;
	s->cpu_wait_ns += in.runnable;
	s->blocked_ns += in.blocked;
	s->hist[poll_hist_bucket(dur)]++;
	if (dur > s->max_poll_ns)
		s->max_poll_ns = dur;
	keep_longest(s, &p);
	if (dur > threshold_ns) {
		s->recent_slow[s->slow_polls % RECENT_SLOW_POLLS] = p;
		s->slow_polls++;
	}
	if (s->inflight_since == start)
		s->inflight_since = 0;
	s->last_poll_end = now;
}

/* Polls of bucket b over threshold: all, none, or for the bucket the
 * threshold falls in, its share of the bucket's span (approximate). */
static uint64_t bucket_over(uint32_t count, unsigned int b, uint64_t threshold, bool *approx)
{
	uint64_t lo = 1ULL << b, hi = 2ULL << b;

	if (b == POLL_HIST_BUCKETS - 1)
		hi = UINT64_MAX; /* the last bucket holds everything longer too */
	if (lo > threshold)
		return count;
	if (hi - 1 <= threshold || !count)
		return 0;
	*approx = true;
	return (uint64_t)((double)count * (double)(hi - 1 - threshold) / (double)(hi - lo) + 0.5);
}

void poll_stats_rethreshold(struct poll_stats *s, uint64_t threshold_ns)
{
	struct slow_poll kept[RECENT_SLOW_POLLS];
	uint64_t slow = 0, n, i, k = 0;
	bool approx = false;
	unsigned int b;

	n = s->slow_polls < RECENT_SLOW_POLLS ? s->slow_polls : RECENT_SLOW_POLLS;
	for (i = n; i > 0; i--) { /* oldest first */
		const struct slow_poll *p =
		    &s->recent_slow[(s->slow_polls - i) % RECENT_SLOW_POLLS];

		if (p->duration_ns > threshold_ns)
			kept[k++] = *p;
	}
	if (s->max_poll_ns > threshold_ns)
		for (b = 0; b < POLL_HIST_BUCKETS; b++)
			slow += bucket_over(s->hist[b], b, threshold_ns, &approx);
	/* The polls known to be over it are a floor: the recent and longest kept. */
	for (i = 0, n = k; i < RECENT_SLOW_POLLS; i++)
		n = s->longest[i].duration_ns > threshold_ns && i + 1 > n ? i + 1 : n;
	slow = slow < n ? n : slow;
	s->slow_polls = slow;
	s->slow_approx = approx;
	for (i = 0; i < k; i++)
		s->recent_slow[(slow - k + i) % RECENT_SLOW_POLLS] = kept[i];
}

static void rethreshold_nodes(struct future_node *n, uint64_t threshold_ns)
{
	for (; n; n = n->next_sibling) {
		poll_stats_rethreshold(&n->stats, threshold_ns);
		rethreshold_nodes(n->children, threshold_ns);
	}
}

void task_model_set_threshold(struct task_model *m, uint64_t threshold_ns)
{
	struct task *t;
	size_t i;

	m->threshold_ns = threshold_ns;
	for (i = 0; i < m->pruned_count; i++)
		poll_stats_rethreshold(&m->pruned[i].stats, threshold_ns);
	for (t = m->first; t; t = t->next) {
		poll_stats_rethreshold(&t->stats, threshold_ns);
		rethreshold_nodes(t->roots, threshold_ns);
	}
}

void poll_stats_abandon(struct poll_stats *s, uint64_t start)
{
	s->polls++;
	s->unknown_polls++;
	if (s->inflight_since == start)
		s->inflight_since = 0;
}

enum task_state task_state(const struct task *t)
{
	if (t->done && !t->open_frames)
		return TASK_DONE;
	if (t->running_tid)
		return TASK_RUNNING;
	/* Not polled since attach: the runtime's header is all there is (a
	 * polled task's state comes from the probes, which are more recent). */
	if (t->walked && !t->stats.polls && !t->stats.inflight_since) {
		switch (t->walk_state) {
		case WALK_SCHEDULED:
			return TASK_SCHEDULED;
		case WALK_RUNNING:
			return TASK_RUNNING;
		case WALK_COMPLETE:
			return TASK_DONE;
		default:
			break;
		}
	}
	return TASK_IDLE;
}

uint64_t poll_stats_inflight(const struct poll_stats *s, uint64_t now)
{
	if (s->inflight_until && s->inflight_until < now)
		now = s->inflight_until;
	return s->inflight_since && now > s->inflight_since ? now - s->inflight_since : 0;
}

void task_model_prune(struct task_model *m, uint64_t now)
{
	struct task *t = m->first, *next;

	for (; t && m->done_count; t = next) {
		next = t->next;
		if (!t->done || t->open_frames || t->pinned)
			continue;
		/* Tasks are oldest first, so the over-limit ones come first too. */
		if (m->done_count > m->max_done_tasks || now - t->done_at > m->retain_done_ns) {
			remember_pruned(m, t);
			unlink_task(m, t);
		}
	}
}
