#include "session/task_walk_feed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/dwarf_index.h"
#include "recording/recorder.h"
#include "recording/replay.h"
#include "session/session.h"
#include "taskwalk/async_task_layout.h"
#include "taskwalk/task_source.h"
#include "taskwalk/tokio_tasks.h"
#include "util/clock.h"
#include "util/u64_map.h"

/* A walk costs about 4 us a task (one process_vm_readv each): with a very
 * long list, refreshes skip walks so that walking takes at most 1/WALK_DUTY
 * of cattop's time (100,000 tasks: a walk every ~7 s, not every refresh). */
#define WALK_DUTY 20
/* Polled tasks not walked whose executor is looked for, at most, a walk:
 * each costs a few reads and one of its executor's slab. */
#define SEEDS_PER_WALK 16

/* A task type's root future, found once per task poll site. */
struct root_future {
	int8_t known;	 /* 0: not looked for yet, 1: found, -1: none */
	uint32_t site;	 /* the future site (with a coroutine layout) */
	uint64_t offset; /* of the future from the task's header */
};

/* Opening the source (the kernel's BTF for the thread iterator, tokio's
 * layout from the DWARF) takes a few hundred milliseconds: a thread does
 * it, so attaching (and a launched command) does not wait, and a stop
 * signal meanwhile is not held up. */
struct source_opener {
	pthread_t thread;
	atomic_int done; /* OPENER_RUNNING, then OPENER_DONE (src or err is set) or
			  * OPENER_ABANDONED (the session stopped first) */
	bool joined;
	pid_t pid;
	char runtime[32];
	char *binary, *dwarf_path;
	struct task_source *src;
	char err[256];
};

enum { OPENER_RUNNING, OPENER_DONE, OPENER_ABANDONED };

struct task_walk_feed {
	struct source_opener *opener;
	struct task_source *src;
	struct root_future *roots; /* [site id] */
	uint64_t next_walk_at;	   /* CLOCK_MONOTONIC */
	struct u64_map poll_sites; /* link-time address -> task poll site id + 1 */
};

/* The model has no cancelled state: a cancelled (closed) task is about to
 * be freed, as a complete one is. */
static enum walk_state state_of(enum task_walk_runtime runtime, uint64_t word)
{
	if (runtime == TASK_WALK_ASYNC_TASK) {
		if (word & (ASYNC_TASK_COMPLETED | ASYNC_TASK_CLOSED))
			return WALK_COMPLETE;
		if (word & ASYNC_TASK_RUNNING)
			return WALK_RUNNING;
		if (word & ASYNC_TASK_SCHEDULED)
			return WALK_SCHEDULED;
		return WALK_IDLE;
	}
	if (word & TOKIO_STATE_COMPLETE)
		return WALK_COMPLETE;
	if (word & TOKIO_STATE_RUNNING)
		return WALK_RUNNING;
	if (word & TOKIO_STATE_NOTIFIED)
		return WALK_SCHEDULED;
	return WALK_IDLE;
}

static int index_poll_sites(struct task_walk_feed *f, const struct site_table *sites)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		if (sites->sites[i].role == SITE_TASK_POLL &&
		    u64_map_put(&f->poll_sites, sites->sites[i].addr, (void *)(uintptr_t)(i + 1)))
			return -1;
	return 0;
}

/* The task poll site whose code the vtable's poll is: the task's type. */
static uint32_t poll_site_of(struct session *s, uint64_t poll_fn)
{
	void *v;

	if (!s->code_bias_known)
		return UINT32_MAX;
	v = u64_map_get(&s->walk->poll_sites, poll_fn - (uint64_t)s->code_bias);
	return v ? (uint32_t)((uintptr_t)v - 1) : UINT32_MAX;
}

/* The future site of the same type as task poll site poll_site, whose
 * coroutine layout says where it is parked. Not a deferred one (--tasks-only,
 * --focus): futures outside the focus are not shown. */
static bool future_site_named(const struct site_table *sites, const char *name, uint32_t *out)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		if (sites->sites[i].role == SITE_FUTURE && sites->sites[i].layout &&
		    !sites->sites[i].deferred && sites->sites[i].name &&
		    strcmp(sites->sites[i].name, name) == 0) {
			*out = (uint32_t)i;
			return true;
		}
	return false;
}

/* per_task: the walk gives each task's future's address (async-task's,
 * read through the runtime's wrappers); else (tokio) its offset is the
 * task type's, from the DWARF. */
static const struct root_future *root_future_of(struct session *s, uint32_t poll_site,
						bool per_task)
{
	struct root_future *r = &s->walk->roots[poll_site];
	const struct site *ps = &s->sites.sites[poll_site];
	const struct dwarf_fn_info *fn;
	const char *name;

	if (r->known)
		return r->known > 0 ? r : NULL;
	r->known = -1;
	fn = s->dwarf ? dwarf_index_lookup(s->dwarf, ps->addr) : NULL;
	/* Sites from the cache: no DWARF index, the task source knows the name. */
	name = fn && fn->name ? fn->name : task_source_poll_name(s->walk->src, ps->addr);
	if (ps->name && future_site_named(&s->sites, ps->name, &r->site) &&
	    (per_task || (name && task_source_future_offset(s->walk->src, name, &r->offset))))
		r->known = 1;
	return r->known > 0 ? r : NULL;
}

/* A task never polled since attach gets its root future from its cell, so
 * where it is parked can be read as for a polled one (await_chain.h). */
static void add_root_future(struct session *s, struct task *t, uint64_t future)
{
	const struct root_future *r;
	struct future_node *n;

	if (t->roots || !t->has_poll_site || t->poll_site >= s->sites.count)
		return;
	r = root_future_of(s, t->poll_site, future != 0);
	if (!r)
		return;
	n = task_model_child(t, NULL, r->site);
	if (n && !n->stats.polls && !n->self_ptr)
		n->self_ptr = future ? future : t->key + r->offset;
}

static void opener_free(struct source_opener *o)
{
	if (!o)
		return;
	free(o->binary);
	free(o->dwarf_path);
	free(o);
}

static void *open_source(void *arg)
{
	struct source_opener *o = arg;
	int running = OPENER_RUNNING;

	if (task_source_open(o->pid, o->runtime, o->binary, o->dwarf_path, &o->src, o->err,
			     sizeof(o->err)))
		o->src = NULL;
	/* Nobody waits for it any more: its thread cleans up. */
	if (!atomic_compare_exchange_strong(&o->done, &running, OPENER_DONE)) {
		task_source_close(o->src);
		opener_free(o);
	}
	return NULL;
}

static struct source_opener *opener_start(const struct session *s)
{
	struct source_opener *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->pid = s->target.pid;
	snprintf(o->runtime, sizeof(o->runtime), "%s", s->sites.runtime->name);
	o->binary = strdup(s->target.binary);
	o->dwarf_path = strdup(s->dwarf_path);
	if (!o->binary || !o->dwarf_path || pthread_create(&o->thread, NULL, open_source, o)) {
		opener_free(o);
		return NULL;
	}
	return o;
}

void task_walk_feed_start(struct session *s)
{
	struct walk_summary *w = &s->walk_summary;
	struct task_walk_feed *f;

	memset(w, 0, sizeof(*w));
	f = calloc(1, sizeof(*f));
	if (f)
		f->roots = calloc(s->sites.count + 1, sizeof(*f->roots));
	if (!f || !f->roots || index_poll_sites(f, &s->sites) || !(f->opener = opener_start(s))) {
		snprintf(w->status, sizeof(w->status), "out of memory");
		goto fail;
	}
	snprintf(w->status, sizeof(w->status), "reading the runtime's task layout");
	s->walk = f;
	return;
fail:
	if (f) {
		u64_map_free(&f->poll_sites);
		free(f->roots);
	}
	free(f);
}

/* The source, once opened: waits for the opener (if wait) unless cattop
 * is asked to stop. False when there is none (the reason is in the
 * summary) or not yet. */
static bool source_ready(struct session *s, bool wait)
{
	struct task_walk_feed *f = s->walk;
	struct source_opener *o = f->opener;

	if (!o)
		return f->src != NULL;
	while (atomic_load(&o->done) == OPENER_RUNNING) {
		if (!wait || (s->stop_flag && *s->stop_flag))
			return false;
		nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
	}
	pthread_join(o->thread, NULL);
	f->src = o->src;
	s->walk_summary.active = f->src != NULL;
	if (!f->src)
		snprintf(s->walk_summary.status, sizeof(s->walk_summary.status), "%s", o->err);
	opener_free(o);
	f->opener = NULL;
	return f->src != NULL;
}

static struct recording_walked_task walked_record(const struct task *t)
{
	struct recording_walked_task r = {
	    .key = t->key,
	    .runtime_id = t->runtime_id,
	    .poll_site = t->has_poll_site ? t->poll_site : UINT32_MAX,
	    .root_site = t->roots ? t->roots->site : UINT32_MAX,
	    .state = t->walk_state,
	    .flags = t->no_waker ? RECORDED_NO_WAKER : 0,
	    .list = t->walk_list,
	};

	return r;
}

/* The tasks of this walk (walk_gen) or, at the start, every walked task,
 * and the lists the walk found (none at the start: nothing ends there). */
static void record_walk(struct session *s, uint64_t now, uint64_t walk_gen,
			const struct task_walk *walk)
{
	struct recording_walk_list lists[TASK_WALK_MAX_LISTS];
	struct recording_walked_task *tasks;
	const struct task *t;
	size_t n = 0, i, nlists = walk ? walk->runtimes : 0;

	tasks = calloc(s->model.task_count + 1, sizeof(*tasks));
	if (!tasks)
		return;
	for (t = s->model.first; t; t = t->next)
		if (t->walked && !t->done && (!walk_gen || t->walk_gen == walk_gen))
			tasks[n++] = walked_record(t);
	for (i = 0; i < nlists; i++)
		lists[i] = (struct recording_walk_list){walk->lists[i], walk->list_complete[i], 0};
	recorder_walk(s->recorder, now, tasks, n, lists, nlists);
	free(tasks);
}

void task_walk_feed_record_start(struct session *s, uint64_t now)
{
	if (s->recorder && s->walk)
		record_walk(s, now, 0, NULL);
}

void task_walk_feed_replay(struct session *s, const struct recording_walk *walk,
			   const uint8_t *tasks)
{
	uint64_t lists[TASK_WALK_MAX_LISTS];
	bool complete[TASK_WALK_MAX_LISTS];
	size_t i, nlists = walk->nlists < TASK_WALK_MAX_LISTS ? walk->nlists : TASK_WALK_MAX_LISTS;

	for (i = 0; i < walk->count; i++) {
		struct recording_walked_task r = recording_walked_task_at(tasks, i);
		uint32_t poll_site = r.poll_site < s->sites.count ? r.poll_site : UINT32_MAX;
		struct task *t = task_model_walked(&s->model, r.key, r.list, r.runtime_id, r.state,
						   poll_site, walk->ts);

		if (t)
			task_model_walk_waker(t, r.flags & RECORDED_NO_WAKER);
		if (t && !t->roots && r.root_site < s->sites.count)
			task_model_child(t, NULL, r.root_site);
	}
	for (i = 0; i < nlists; i++) {
		struct recording_walk_list l = recording_walk_list_at(walk, tasks, i);

		lists[i] = l.list;
		complete[i] = l.complete != 0;
	}
	/* The first walk of a recording lists no lists: nothing ends there. */
	if (nlists)
		task_model_walk_done(&s->model, lists, complete, nlists, walk->ts);
	else
		s->model.walk_gen++;
}

/* Tasks seen polling but not walked: their executors are not in the walk
 * yet (async-executor's own Executors are in no static). The source looks
 * at each task once and walks each executor found from this walk on. */
static void seed_executors(struct session *s)
{
	const struct task *t;
	size_t asked = 0;

	for (t = s->model.first; t && asked < SEEDS_PER_WALK; t = t->next)
		if (!t->done && !t->block_on && !t->walked && t->stats.polls) {
			task_source_seed(s->walk->src, t->key);
			asked++;
		}
}

void task_walk_feed_tick(struct session *s, uint64_t now)
{
	struct walk_summary *w = &s->walk_summary;
	const struct task_walk *walk;
	size_t i;
	int ret;

	if (!s->walk || s->target.exited || s->target.execed || now < s->walk->next_walk_at ||
	    !source_ready(s, true))
		return;
	if (s->code_bias_known)
		task_source_set_load_bias(s->walk->src, s->code_bias);
	seed_executors(s);
	ret = task_source_walk(s->walk->src, &walk);
	w->walk_ns = task_source_last_walk_ns(s->walk->src);
	w->walks++;
	s->walk->next_walk_at = monotonic_now_ns() + WALK_DUTY * w->walk_ns;
	if (ret) {
		snprintf(w->status, sizeof(w->status), "walk failed: %s", strerror(-ret));
		w->complete = false;
		return;
	}
	for (i = 0; i < walk->count; i++) {
		const struct walked_task *t = &walk->tasks[i];
		struct task *task = task_model_walked(&s->model, t->header, t->list, t->id,
						      state_of(walk->runtime, t->state),
						      poll_site_of(s, t->poll_fn), now);

		if (task)
			task_model_walk_waker(task, walk->runtime == TASK_WALK_TOKIO &&
							tokio_task_no_waker(t->state));
		/* async-task: no address, no root (its type's is per task). */
		if (task && (walk->runtime != TASK_WALK_ASYNC_TASK || t->future))
			add_root_future(s, task, t->future);
	}
	task_model_walk_done(&s->model, walk->lists, walk->list_complete, walk->runtimes, now);
	if (s->recorder)
		record_walk(s, now, s->model.walk_gen, walk);
	w->tasks = walk->count;
	w->runtimes = walk->runtimes;
	w->complete = walk->complete;
	snprintf(w->status, sizeof(w->status), "%s",
		 walk->complete ? (walk->runtimes ? "ok" : "no runtime found in any thread")
				: walk->problem);
}

const struct task_source *task_walk_feed_source(struct session *s)
{
	return s->walk && source_ready(s, false) ? s->walk->src : NULL;
}

bool task_walk_feed_seed(struct session *s, uint64_t key)
{
	if (!s->walk || !s->walk->src || !task_source_seed(s->walk->src, key))
		return false;
	/* A new executor: its tasks listed now, not at the next refresh. */
	s->walk->next_walk_at = 0;
	task_walk_feed_tick(s, monotonic_now_ns());
	return true;
}

bool task_walk_feed_failed(const struct session *s)
{
	return !s->walk || (!s->walk->opener && !s->walk->src);
}

void task_walk_feed_stop(struct session *s)
{
	int running = OPENER_RUNNING;

	if (!s->walk)
		return;
	/* Still opening: not waited for (a stop is not held up); its thread
	 * frees it when done. */
	if (s->walk->opener &&
	    atomic_compare_exchange_strong(&s->walk->opener->done, &running, OPENER_ABANDONED)) {
		pthread_detach(s->walk->opener->thread);
		s->walk->opener = NULL;
	}
	if (s->walk->opener) {
		pthread_join(s->walk->opener->thread, NULL);
		task_source_close(s->walk->opener->src);
		opener_free(s->walk->opener);
	}
	task_source_close(s->walk->src);
	u64_map_free(&s->walk->poll_sites);
	free(s->walk->roots);
	free(s->walk);
	s->walk = NULL;
}
