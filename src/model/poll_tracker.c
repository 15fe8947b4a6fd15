#include "model/poll_tracker.h"

#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "bpf/poll_trace.h"
#include "model/task_wakes.h"
#include "probe/site_table.h"

static int by_start(const void *a, const void *b)
{
	const struct code_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The code of the future sites that are probed from the start. */
static void index_futures_code(struct poll_tracker *t)
{
	size_t i, n = 0;

	t->futures_code = calloc(t->sites->count ? t->sites->count : 1, sizeof(*t->futures_code));
	if (!t->futures_code)
		return;
	for (i = 0; i < t->sites->count; i++) {
		const struct site *s = &t->sites->sites[i];

		if (s->role == SITE_FUTURE && !s->deferred && s->size)
			t->futures_code[n++] = (struct code_range){s->addr, s->addr + s->size};
	}
	qsort(t->futures_code, n, sizeof(*t->futures_code), by_start);
	t->futures_code_count = n;
}

/* The futures some task poll entry runs as a task's root: named like the
 * task type (site_task_type) of that entry. */
static void mark_task_roots(struct poll_tracker *t)
{
	const struct site_table *st = t->sites;
	size_t i, j;

	t->task_root = calloc(st->count ? st->count : 1, sizeof(*t->task_root));
	if (!t->task_root)
		return;
	for (i = 0; i < st->count; i++) {
		const char *type = site_task_type(&st->sites[i]);

		for (j = 0; type && j < st->count; j++)
			if (st->sites[j].role == SITE_FUTURE &&
			    strcmp(st->sites[j].name, type) == 0)
				t->task_root[j] = true;
	}
}

void poll_tracker_init(struct poll_tracker *t, const struct site_table *sites,
		       struct task_model *model)
{
	memset(t, 0, sizeof(*t));
	t->sites = sites;
	t->model = model;
	t->site_hits = calloc(sites->count ? sites->count : 1, sizeof(*t->site_hits));
	index_futures_code(t);
	mark_task_roots(t);
	task_wakes_index(t);
}

static void free_values(struct u64_map *map)
{
	size_t i;

	for (i = 0; map->slots && i <= map->mask; i++)
		free(map->slots[i].value);
	u64_map_free(map);
}

void poll_tracker_free(struct poll_tracker *t)
{
	free_values(&t->threads);
	free_values(&t->workers);
	u64_map_free(&t->desynced);
	u64_map_free(&t->polled);
	free(t->site_hits);
	t->site_hits = NULL;
	free(t->futures_code);
	t->futures_code = NULL;
	free(t->task_root);
	t->task_root = NULL;
	task_wakes_free(t);
}

const struct thread_stack *poll_tracker_stack(const struct poll_tracker *t, uint32_t tid)
{
	return u64_map_get(&t->threads, tid);
}

static struct worker *worker_of(struct poll_tracker *t, uint32_t tid)
{
	struct worker *w = u64_map_get(&t->workers, tid);

	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w || u64_map_put(&t->workers, tid, w)) {
		free(w);
		return NULL;
	}
	w->tid = tid;
	return w;
}

static struct thread_stack *stack_of(struct poll_tracker *t, uint32_t tid, bool create)
{
	struct thread_stack *st = u64_map_get(&t->threads, tid);

	if (st || !create)
		return st;
	/* Created each time a thread starts polling, so only the header is
	 * initialised: frames above depth are never read. */
	st = malloc(sizeof(*st));
	if (!st || u64_map_put(&t->threads, tid, st)) {
		free(st);
		t->counters.oom++;
		return NULL;
	}
	st->tid = tid;
	st->depth = 0;
	st->last_event = 0;
	if (!u64_map_get(&t->polled, tid))
		u64_map_put(&t->polled, tid, (void *)1);
	return st;
}

bool poll_tracker_polled(const struct poll_tracker *t, uint32_t tid)
{
	/* Duty cycle: not since attach but in the last window; a thread that
	 * hit no probe for a whole window is in one poll (or parked). */
	if (t->windowed && t->judged_from)
		return (uintptr_t)u64_map_get(&t->polled, tid) >= t->judged_from;
	return u64_map_get(&t->polled, tid) || u64_map_get(&t->workers, tid);
}

uint64_t poll_tracker_quiet_since(const struct poll_tracker *t, uint64_t attached)
{
	return t->windowed && t->judged_from ? t->judged_from : attached;
}

static void release_if_empty(struct poll_tracker *t, struct thread_stack *st)
{
	if (st->depth == 0)
		free(u64_map_remove(&t->threads, st->tid));
}

static void leave_task(struct poll_tracker *t, struct open_frame *f, uint64_t ts)
{
	struct worker *w;

	f->task->open_frames--;
	if (!f->task_frame || f->no_return)
		return;
	task_wakes_poll_ends(f->task, ts);
	/* A stale frame going does not stop a poll on another thread. */
	if (f->task->running_tid == f->task_tid)
		f->task->running_tid = 0;
	w = f->task->block_on ? NULL : worker_of(t, f->task_tid);
	if (w) {
		w->task_polls++;
		if (ts)
			w->last_poll_end = ts;
	}
}

static void report_span(struct poll_tracker *t, const struct thread_stack *st,
			const struct open_frame *f, uint64_t end, const struct poll_split *split,
			bool inflight)
{
	struct poll_span span = {
	    .stack = st,
	    .frame = f,
	    .depth = (uint32_t)(f - st->frames),
	    .start = f->start,
	    .end = end > f->start ? end : f->start,
	    .inflight = inflight,
	};

	if (split) {
		struct poll_split in = poll_split_within(split, span.end - span.start);

		span.cpu_wait = in.runnable;
		span.blocked = in.blocked;
	}
	t->on_span(t->span_ctx, &span);
}

/* When the task is polled again on another thread before this frame's
 * return (the runtime re-schedules it while this worker still finishes up
 * after the future returned, and may be preempted there), its poll ended
 * when the next began: a task never runs twice at once. */
static uint64_t task_poll_end(const struct open_frame *f, uint64_t ts)
{
	const struct task *task = f->task;
	uint64_t next = task->stats.inflight_since;

	if (task->running_tid && task->running_tid != f->task_tid && next > f->start && next < ts)
		return next;
	return ts;
}

/* Counters of the thread's own, read at the poll's entry and return: they
 * only ever grow. */
static struct poll_split poll_split_of(struct poll_tracker *t, const struct open_frame *f,
				       const struct poll_event *ret)
{
	struct poll_split split = {0, 0};

	if (ret->run_delay > f->run_delay)
		split.runnable = ret->run_delay - f->run_delay;
	if (ret->asleep != ASLEEP_UNKNOWN && f->asleep != ASLEEP_UNKNOWN) {
		t->model->blocked_measured = true;
		if (ret->asleep > f->asleep)
			split.blocked = ret->asleep - f->asleep;
	}
	return split;
}

/* Pops the top frame; ret is the event of its return, NULL if that was
 * never seen. */
static void discard_frame(struct open_frame *f);

static void pop_frame(struct poll_tracker *t, struct thread_stack *st, const struct poll_event *ret)
{
	struct open_frame *f = &st->frames[--st->depth];
	uint64_t threshold = t->model->threshold_ns;
	uint64_t ts = ret ? ret->ts : 0;

	if (f->no_return && t->windowed) {
		discard_frame(f); /* entered as a window opened: an edge, not a poll */
		return;
	}

	if (ts && !f->no_return) {
		struct poll_split split = poll_split_of(t, f, ret);

		if (t->on_span)
			report_span(t, st, f, ts, &split, false);
		if (f->node)
			poll_stats_end(&f->node->stats, f->start, ts, &split, threshold);
		if (f->task_frame)
			poll_stats_end(&f->task->stats, f->start, task_poll_end(f, ts), &split,
				       threshold);
	} else {
		t->counters.abandoned_frames++;
		if (f->node)
			poll_stats_abandon(&f->node->stats, f->start);
		if (f->task_frame)
			poll_stats_abandon(&f->task->stats, f->start);
	}
	leave_task(t, f, ts);
}

/* A callee's entry sp is below its caller's, so a frame whose sp is below
 * sp is gone. */
static void drop_frames_below(struct poll_tracker *t, struct thread_stack *st, uint64_t sp)
{
	while (st->depth && st->frames[st->depth - 1].sp < sp) {
		t->counters.unwound += st->unwinding;
		pop_frame(t, st, NULL);
	}
	st->unwinding = false; /* the unwind has reached what this event shows */
}

/* An entry at the top frame's own sp is either a tail call (jmp) from it,
 * which stays nested and returns at the same sp, or the same function called
 * again after its return was lost. A function does not tail-call itself in
 * poll code, so the same site at the same sp means the old frame is gone. */
static void drop_stale_for_entry(struct poll_tracker *t, struct thread_stack *st, uint64_t sp,
				 uint32_t site)
{
	drop_frames_below(t, st, sp);
	if (st->depth && st->frames[st->depth - 1].sp == sp &&
	    st->frames[st->depth - 1].site == site)
		pop_frame(t, st, NULL);
}

static void begin_poll(const struct open_frame *f, struct poll_stats *s, uint64_t ts)
{
	if (!f->no_return)
		poll_stats_begin(s, ts);
}

static bool open_task_poll(struct poll_tracker *t, const struct poll_event *ev,
			   struct open_frame *f)
{
	f->task = task_model_task(t->model, ev->arg, false, ev->ts);
	if (!f->task)
		return false;
	f->task_frame = true;
	f->task->has_poll_site = true;
	f->task->poll_site = f->site;
	if (!f->no_return)
		task_wakes_poll_begins(f->task, ev->ts);
	begin_poll(f, &f->task->stats, ev->ts);
	return true;
}

bool code_ranges_contain(const struct code_range *ranges, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && addr < ranges[lo - 1].end;
}

/* Whether the call returning to ret is in a probed future's code. */
static bool called_from_future(const struct poll_tracker *t, uint64_t ret)
{
	if (!t->code_bias_known || !ret)
		return false;
	/* in the call, before its return address */
	return code_ranges_contain(t->futures_code, t->futures_code_count,
				   ret - (uint64_t)t->code_bias - 1);
}

/* A future entered with nothing open below it, that is not a block_on
 * root: events were lost, or the probes were still going in, or a probed
 * future called it, or it is what a runtime task runs. It is inside a poll
 * whose entry was not seen (a task poll begun before the attach, on a busy
 * machine even after the probes are in). Skipped (until the thread's next
 * task poll after a loss). */
static bool is_orphan(const struct poll_tracker *t, const struct poll_event *ev, uint32_t site)
{
	return u64_map_get(&t->desynced, ev->tid) || ev->ts < t->returns_ready_at ||
	       (t->task_root && t->task_root[site]) || called_from_future(t, ev->ret);
}

static bool open_future_poll(struct poll_tracker *t, const struct thread_stack *st,
			     const struct poll_event *ev, uint32_t site, struct open_frame *f)
{
	const struct open_frame *parent = st->depth ? &st->frames[st->depth - 1] : NULL;

	if (parent) {
		f->task = parent->task;
	} else if (is_orphan(t, ev, site)) {
		t->counters.orphans++;
		return false;
	} else {
		f->task = task_model_task(t->model, block_on_task_key(ev->tid, site), true, ev->ts);
		if (!f->task)
			return false;
		f->task_frame = true;
		begin_poll(f, &f->task->stats, ev->ts);
	}
	f->node = task_model_child(f->task, parent ? parent->node : NULL, site);
	if (!f->node)
		return false;
	f->node->self_ptr = ev->arg;
	f->node->call_site = ev->ret;
	begin_poll(f, &f->node->stats, ev->ts);
	return true;
}

static void handle_enter(struct poll_tracker *t, const struct poll_event *ev, uint32_t site)
{
	struct thread_stack *st = stack_of(t, ev->tid, true);
	const struct site *s = &t->sites->sites[site];
	struct open_frame f = {
	    .sp = ev->sp,
	    .start = ev->ts,
	    .run_delay = ev->run_delay,
	    .asleep = ev->asleep,
	    .site = site,
	    .no_return = ev->ts < t->returns_ready_at,
	};
	bool ok;

	if (!st)
		return;
	drop_stale_for_entry(t, st, ev->sp, site);
	if (st->depth == MAX_OPEN_FRAMES) {
		t->counters.too_deep++;
		return;
	}
	if (s->role == SITE_TASK_POLL)
		u64_map_remove(&t->desynced, ev->tid); /* a task poll starts afresh */
	if (t->windowed && ev->ts && u64_map_put(&t->polled, ev->tid, (void *)(uintptr_t)ev->ts))
		t->counters.oom++;
	ok = s->role == SITE_TASK_POLL ? open_task_poll(t, ev, &f)
				       : open_future_poll(t, st, ev, site, &f);
	if (!ok) {
		if (!st->depth && s->role != SITE_TASK_POLL && is_orphan(t, ev, site)) {
			release_if_empty(t, st);
			return; /* an orphan, counted above */
		}
		t->counters.oom++;
		release_if_empty(t, st);
		return;
	}
	f.task->open_frames++;
	if (f.task_frame && !f.no_return) {
		f.task->running_tid = ev->tid;
		f.task_tid = ev->tid;
		if (!f.task->block_on)
			worker_of(t, ev->tid);
	}
	st->frames[st->depth++] = f;
	st->last_event = ev->ts;
}

static void handle_exit(struct poll_tracker *t, const struct poll_event *ev)
{
	struct thread_stack *st = stack_of(t, ev->tid, false);
	/* At entry sp points at the return address; ret pops it. */
	uint64_t entry_sp = ev->sp - 8;

	if (!st)
		return; /* nothing open on the thread: entered before attach */
	drop_frames_below(t, st, entry_sp);
	/* Inside a poll whose entry was seen, this one's entry was due too: a
	 * loss. Outside any, it may have begun before the probes went in. So
	 * may it inside a poll entered before the return probes were in: the
	 * entry probes go in one by one, over milliseconds on a busy machine,
	 * and a callee can beat its own. A tail callee's ret serves other
	 * callers too: never a loss. */
	if (st->depth && st->frames[st->depth - 1].sp != entry_sp)
		t->counters.unmatched_returns += !ev->arg && !st->frames[st->depth - 1].no_return;
	/* One ret returns from every frame of a tail-call chain (same sp). */
	while (st->depth && st->frames[st->depth - 1].sp == entry_sp)
		pop_frame(t, st, ev);
	st->last_event = ev->ts;
	release_if_empty(t, st);
}

/* Events were lost before this one, on any thread: an entry before the gap
 * could pair with another poll's return after it (same stack address), so
 * no open poll can be trusted to end right. They count as unknown. */
static void forget_open_polls(struct poll_tracker *t)
{
	size_t i;

	for (i = 0; t->threads.slots && i <= t->threads.mask; i++) {
		struct thread_stack *st = t->threads.slots[i].value;

		while (st && st->depth)
			pop_frame(t, st, NULL);
	}
	/* Workers: a task poll clears it. A thread that only runs block_on
	 * has none, and its roots are roots whatever was lost. */
	for (i = 0; t->workers.slots && i <= t->workers.mask; i++)
		if (t->workers.slots[i].value)
			u64_map_put(&t->desynced, t->workers.slots[i].key, (void *)1);
	/* Emptied stacks stay allocated until their thread's next event or
	 * reaping: removing here would reshuffle the map being walked. */
}

/* A poll open when the probes went out: its end will never be seen, and
 * what is known of it is an edge of the window, not a poll. Dropped
 * without a trace: no count, no unknown poll, no time. */
static void discard_frame(struct open_frame *f)
{
	f->task->open_frames--;
	if (f->node && f->node->stats.inflight_since == f->start)
		f->node->stats.inflight_since = 0;
	if (!f->task_frame)
		return;
	if (f->task->stats.inflight_since == f->start)
		f->task->stats.inflight_since = 0;
	f->task->sched.wake_in_poll = false;
	if (f->task->running_tid == f->task_tid)
		f->task->running_tid = 0;
}

/* A poll open at the close is dropped once the links are gone (which may
 * take a second on a loaded machine): until then its time stops at the
 * close, not growing as if it ran on unseen. */
static void freeze_open_frame(struct open_frame *f, uint64_t ts)
{
	if (f->node && f->node->stats.inflight_since == f->start)
		f->node->stats.inflight_until = ts;
	if (f->task_frame && f->task->stats.inflight_since == f->start)
		f->task->stats.inflight_until = ts;
}

void poll_tracker_window_closing(struct poll_tracker *t, uint64_t ts)
{
	size_t i, d;

	t->windowed = true;
	t->window_closed_at = ts;
	for (i = 0; t->threads.slots && i <= t->threads.mask; i++) {
		struct thread_stack *st = t->threads.slots[i].value;

		for (d = 0; st && d < st->depth; d++)
			freeze_open_frame(&st->frames[d], ts);
	}
}

void poll_tracker_window_closed(struct poll_tracker *t, uint64_t opened_at)
{
	size_t i;

	t->judged_from = opened_at;
	for (i = 0; t->threads.slots && i <= t->threads.mask; i++) {
		struct thread_stack *st = t->threads.slots[i].value;

		while (st && st->depth)
			discard_frame(&st->frames[--st->depth]);
		if (st)
			st->unwinding = false;
	}
	/* At the next window a worker is inside a task poll whose entry came
	 * before it: its futures are orphans until its next task poll. */
	for (i = 0; t->workers.slots && i <= t->workers.mask; i++)
		if (t->workers.slots[i].value)
			u64_map_put(&t->desynced, t->workers.slots[i].key, (void *)1);
}

void poll_tracker_window_opened(struct poll_tracker *t, uint64_t returns_ready_at)
{
	t->window_closed_at = 0;
	t->returns_ready_at = returns_ready_at;
}

/* An entry or a return after the window began to close: half of a poll at
 * best (the links go out one after the other), so none of it counts. */
static bool after_window(const struct poll_tracker *t, const struct poll_event *ev, uint32_t type)
{
	return t->window_closed_at && ev->ts >= t->window_closed_at &&
	       (type == EV_ENTER || type == EV_EXIT);
}

/* A panic starts unwinding the thread: the polls it leaves will never
 * return. Which ones is known only where it is caught, so they are closed
 * by the thread's next event, as unwound, and those above the catch go on. */
static void handle_unwind(struct poll_tracker *t, uint32_t tid)
{
	struct thread_stack *st = stack_of(t, tid, false);

	t->counters.panics++;
	if (st)
		st->unwinding = true;
}

void poll_tracker_handle(struct poll_tracker *t, const struct poll_event *ev)
{
	uint32_t type = ev->site >> EVENT_TYPE_SHIFT;
	uint32_t site = ev->site & EVENT_SITE_MASK;

	if (t->execed || after_window(t, ev, type))
		return;
	t->counters.events++;
	if (ev->lost > t->lost_seen) {
		t->lost_seen = ev->lost;
		t->counters.gaps++;
		forget_open_polls(t);
	}
	if (type != EV_EXIT && type != EV_UNWIND && site >= t->sites->count)
		return;
	if ((type == EV_ENTER || type == EV_TASK_END) && t->site_hits)
		t->site_hits[site]++;
	switch (type) {
	case EV_ENTER:
		if (t->sites->sites[site].role == SITE_TASK_WAKE)
			task_wakes_on_wake(t, ev);
		else
			handle_enter(t, ev, site);
		break;
	case EV_EXIT:
		handle_exit(t, ev);
		break;
	case EV_TASK_END:
		task_model_task_ended(t->model, ev->arg, ev->ts);
		break;
	case EV_UNWIND:
		if (site == UNWIND_EXEC && t->launch_exec_due) {
			t->launch_exec_due = false; /* the command cattop launched starts */
		} else if (site == UNWIND_EXEC) {
			forget_open_polls(t);
			t->execed = true;
		} else {
			handle_unwind(t, ev->tid);
		}
		break;
	}
}

/* Per-thread entries of threads that are gone: a service that churns
 * threads must not grow cattop. Values are freed when owned. */
static void reap_map(struct u64_map *map, bool owned, int (*exists)(uint32_t tid, void *ctx),
		     void *ctx)
{
	size_t i = 0;

	while (map->slots && i <= map->mask) {
		if (!map->slots[i].value || exists((uint32_t)map->slots[i].key, ctx)) {
			i++;
			continue;
		}
		/* Removal shifts a later slot into i: look at i again. */
		void *value = u64_map_remove(map, map->slots[i].key);

		if (owned)
			free(value);
	}
}

/* A root future polled by block_on lives as long as its thread: once the
 * thread is gone it is done (no runtime reports its end). */
static void end_block_on_tasks(struct poll_tracker *t, int (*exists)(uint32_t tid, void *ctx),
			       void *ctx, uint64_t now)
{
	const struct u64_map *live = &t->model->live;
	uint64_t *gone = NULL;
	size_t i, n = 0, cap = 0;

	for (i = 0; live->slots && i <= live->mask; i++) {
		const struct task *task = live->slots[i].value;

		if (!task || !task->block_on || task->open_frames ||
		    exists((uint32_t)(task->key >> 32) & 0x7fffffff, ctx))
			continue;
		if (n == cap) {
			uint64_t *grown = realloc(gone, (cap = cap ? cap * 2 : 16) * sizeof(*gone));

			if (!grown)
				break;
			gone = grown;
		}
		gone[n++] = task->key;
	}
	for (i = 0; i < n; i++) /* ending one reshuffles the map: not while walking it */
		task_model_task_ended(t->model, gone[i], now);
	free(gone);
}

void poll_tracker_reap_threads(struct poll_tracker *t, int (*exists)(uint32_t tid, void *ctx),
			       void *ctx, uint64_t now)
{
	size_t i = 0;

	while (t->threads.slots && i <= t->threads.mask) {
		struct thread_stack *st = t->threads.slots[i].value;

		if (!st || exists(st->tid, ctx)) {
			i++;
			continue;
		}
		while (st->depth)
			pop_frame(t, st, NULL);
		/* Removal shifts a later slot into i: look at i again. */
		free(u64_map_remove(&t->threads, st->tid));
	}
	reap_map(&t->workers, true, exists, ctx);
	reap_map(&t->desynced, false, exists, ctx);
	reap_map(&t->polled, false, exists, ctx);
	end_block_on_tasks(t, exists, ctx, now);
}

void poll_tracker_report_open(struct poll_tracker *t, uint64_t end)
{
	size_t i;
	uint32_t d;

	if (!t->on_span)
		return;
	for (i = 0; t->threads.slots && i <= t->threads.mask; i++) {
		const struct thread_stack *st = t->threads.slots[i].value;

		/* Innermost first, as returns would have come. */
		for (d = st ? st->depth : 0; d-- > 0;)
			if (!st->frames[d].no_return)
				report_span(t, st, &st->frames[d], end, NULL, true);
	}
}
