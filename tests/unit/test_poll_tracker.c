/* The stack matcher and the model, fed synthetic probe events: nesting,
 * slow and in-flight polls, lost returns, tail calls, block_on roots, task
 * ends and id reuse, pruning. */
#include <stdlib.h>
#include <linux/types.h>

#include "check.h"
#include "bpf/poll_trace.h"
#include "model/poll_tracker.h"
#include "model/task_view.h"
#include "probe/site_table.h"

int check_passed, check_failed;

enum { S_TASK, S_END, S_A, S_B, S_C, S_COUNT };

/* Every site has a path, as the scanner makes them; a task poll entry
 * named like its path is one whose task type DWARF did not give. */
static struct site sites[S_COUNT] = {
    [S_TASK] = {.role = SITE_TASK_POLL, .path = "raw::poll", .name = "raw::poll"},
    [S_END] = {.role = SITE_TASK_END, .path = "raw::dealloc", .name = "raw::dealloc"},
    [S_A] = {.role = SITE_FUTURE,
	     .kind = FUTURE_ASYNC_FN,
	     .path = "app::a::{{closure}}",
	     .name = "app::a"},
    [S_B] = {.role = SITE_FUTURE,
	     .kind = FUTURE_ASYNC_FN,
	     .path = "app::b::{{closure}}",
	     .name = "app::b"},
    [S_C] = {.role = SITE_FUTURE,
	     .kind = FUTURE_USER_FUTURE,
	     .path = "<app::C as core::future::future::Future>::poll",
	     .name = "app::C"},
};
static struct site_table table = {.sites = sites, .count = S_COUNT};

struct fixture {
	struct task_model model;
	struct poll_tracker tracker;
};

static void setup(struct fixture *f)
{
	task_model_init(&f->model, 100000 /* 100us */, 1000000000ULL, 3);
	poll_tracker_init(&f->tracker, &table, &f->model);
}

static void teardown(struct fixture *f)
{
	poll_tracker_free(&f->tracker);
	task_model_free(&f->model);
}

static void enter(struct fixture *f, uint32_t tid, uint32_t site, uint64_t sp, uint64_t arg,
		  uint64_t ts)
{
	struct poll_event e = {.ts = ts, .sp = sp, .arg = arg, .tid = tid, .site = site};

	if (sites[site].role == SITE_TASK_END)
		e.site |= (uint32_t)EV_TASK_END << EVENT_TYPE_SHIFT;
	poll_tracker_handle(&f->tracker, &e);
}

/* A ret of a function a probed one tail-called, shared with other callers. */
static void leave_tail(struct fixture *f, uint32_t tid, uint64_t entry_sp, uint64_t ts)
{
	struct poll_event e = {.ts = ts,
			       .sp = entry_sp + 8,
			       .arg = 1,
			       .tid = tid,
			       .site = S_A | ((uint32_t)EV_EXIT << EVENT_TYPE_SHIFT)};

	poll_tracker_handle(&f->tracker, &e);
}

static void leave(struct fixture *f, uint32_t tid, uint32_t site, uint64_t entry_sp, uint64_t ts)
{
	struct poll_event e = {.ts = ts,
			       .sp = entry_sp + 8,
			       .tid = tid,
			       .site = site | ((uint32_t)EV_EXIT << EVENT_TYPE_SHIFT)};

	poll_tracker_handle(&f->tracker, &e);
}

static void test_nesting_and_stats(void)
{
	struct fixture f;
	struct task *t;
	struct future_node *a, *b;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_A, 900, 0, 1100);
	enter(&f, 7, S_B, 800, 0, 1200);
	leave(&f, 7, S_B, 800, 1200 + 50000); /* 50us */
	enter(&f, 7, S_B, 800, 0, 60000);
	leave(&f, 7, S_B, 800, 60000 + 300000); /* 300us: slow */
	leave(&f, 7, S_A, 900, 400000);
	leave(&f, 7, S_TASK, 1000, 400100);

	t = f.model.first;
	CHECK(t && t->key == 0xabc0 && t->id == 1 && !t->block_on);
	CHECK(t->stats.polls == 1 && t->stats.busy_ns == 399100 && t->stats.slow_polls == 1);
	a = t->roots;
	CHECK(a && a->site == S_A && a->next_sibling == NULL);
	b = a ? a->children : NULL;
	CHECK(b && b->site == S_B && b->parent == a);
	CHECK(b && b->stats.polls == 2 && b->stats.busy_ns == 350000);
	CHECK(b && b->stats.max_poll_ns == 300000 && b->stats.slow_polls == 1);
	/* 50us lands in [32.8us, 65.5us), 300us in [262us, 524us). */
	CHECK(b && b->stats.hist[poll_hist_bucket(50000)] == 1 && poll_hist_bucket(50000) == 15);
	CHECK(b && b->stats.hist[poll_hist_bucket(300000)] == 1);
	CHECK(b && poll_stats_percentile(&b->stats, 0.5) == 65536);
	CHECK(b && poll_stats_percentile(&b->stats, 0.99) == 300000); /* capped at max */
	CHECK(b && b->stats.recent_slow[0].duration_ns == 300000 &&
	      b->stats.recent_slow[0].ended_at == 360000);
	CHECK(task_state(t) == TASK_IDLE);
	CHECK_STR(task_name(t, &table), "app::a");
	CHECK(f.tracker.threads.count == 0); /* empty stacks are released */
	teardown(&f);
}

static void test_inflight(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_A, 900, 0, 2000);
	t = f.model.first;
	CHECK(task_state(t) == TASK_RUNNING);
	CHECK(poll_stats_inflight(&t->stats, 5000000000ULL) == 5000000000ULL - 1000);
	CHECK(poll_stats_inflight(&t->roots->stats, 5000000000ULL) == 5000000000ULL - 2000);
	CHECK(poll_stats_longest(&t->stats, 5000000000ULL) == 5000000000ULL - 1000);
	CHECK(t->stats.polls == 0 && t->stats.max_poll_ns == 0);
	teardown(&f);
}

/* B's return is lost (ring buffer, >64 nested return probes, unwinding):
 * A's return resynchronises, B gets a poll with no time, A its real time. */
static void test_lost_return(void)
{
	struct fixture f;
	struct future_node *a, *b;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_A, 900, 0, 2000);
	enter(&f, 7, S_B, 800, 0, 3000);
	leave(&f, 7, S_A, 900, 10000);
	a = f.model.first->roots;
	b = a->children;
	CHECK(a->stats.polls == 1 && a->stats.busy_ns == 8000 && a->stats.unknown_polls == 0);
	CHECK(b->stats.polls == 1 && b->stats.busy_ns == 0 && b->stats.unknown_polls == 1);
	CHECK(b->stats.inflight_since == 0);
	CHECK(f.tracker.counters.abandoned_frames == 1);
	/* A new entry above a stale frame also resynchronises (panic unwound
	 * through the task's poll and the next poll comes from the same caller). */
	enter(&f, 7, S_A, 900, 0, 20000);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 30000);
	CHECK(f.tracker.counters.abandoned_frames == 3); /* A, then the task frame */
	CHECK(f.model.first->stats.unknown_polls == 1);
	CHECK(f.model.first->stats.inflight_since == 30000);
	teardown(&f);
}

static void test_tail_call_and_unmatched(void)
{
	struct fixture f;
	struct future_node *a;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_A, 900, 0, 2000);
	enter(&f, 7, S_C, 900, 0, 2500); /* A jumps to C: same sp */
	leave(&f, 7, S_C, 900, 4000);	 /* C's ret returns from both */
	a = f.model.first->roots;
	CHECK(a && a->children && a->children->site == S_C);
	CHECK(a->stats.polls == 1 && a->stats.busy_ns == 2000);
	CHECK(a->children->stats.polls == 1 && a->children->stats.busy_ns == 1500);
	CHECK(f.tracker.counters.abandoned_frames == 0);
	/* A return with nothing open on its thread: it may have been entered
	 * before the probes went in, no loss. */
	leave(&f, 9, S_A, 500, 6000);
	CHECK(f.tracker.counters.unmatched_returns == 0);
	/* Inside a poll whose entry was seen: its entry event was lost. */
	enter(&f, 9, S_TASK, 1000, 0xabc8, 7000);
	leave(&f, 9, S_A, 500, 8000);
	CHECK(f.tracker.counters.unmatched_returns == 1);
	/* The same from a tail callee's ret, which other callers share: none. */
	leave_tail(&f, 9, 400, 8500);
	CHECK(f.tracker.counters.unmatched_returns == 1);
	teardown(&f);

	/* Inside a poll entered while the probes were still going in (before
	 * the return probes were all in): the callee may have been entered
	 * before its own entry probe, no loss; entered after, it is one. */
	setup(&f);
	f.tracker.returns_ready_at = 5000;
	enter(&f, 9, S_TASK, 1000, 0xabc8, 4000);
	leave(&f, 9, S_A, 500, 6000);
	CHECK(f.tracker.counters.unmatched_returns == 0);
	enter(&f, 9, S_TASK, 1000, 0xabc8, 7000);
	leave(&f, 9, S_A, 500, 8000);
	CHECK(f.tracker.counters.unmatched_returns == 1);
	teardown(&f);

	/* A task poll whose return was lost, then the next task poll from the same
	 * caller (same sp, another monomorph of raw::poll): the old frame is
	 * stale, not a tail call, and its task is no longer running. */
	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_TASK, 1000, 0xdef0, 2000);
	CHECK(f.model.first->running_tid == 0 && f.model.first->stats.unknown_polls == 1);
	CHECK(f.model.last->running_tid == 7);
	teardown(&f);
}

static void test_block_on_and_threads(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	/* A root future outside any task: a block_on task of its own. */
	enter(&f, 1, S_A, 900, 0, 1000);
	/* Meanwhile another thread polls a runtime task. */
	enter(&f, 2, S_TASK, 5000, 0xbeef0, 1100);
	enter(&f, 2, S_B, 4900, 0, 1200);
	leave(&f, 2, S_B, 4900, 1300);
	leave(&f, 2, S_TASK, 5000, 1400);
	leave(&f, 1, S_A, 900, 2000);
	t = f.model.first;
	CHECK(t && t->block_on && t->key == block_on_task_key(1, S_A));
	CHECK(t && t->stats.polls == 1 && t->stats.busy_ns == 1000);
	CHECK(t && t->roots && t->roots->site == S_A && t->roots->stats.polls == 1);
	CHECK(t && t->next && !t->next->block_on && t->next->roots->site == S_B);
	CHECK(f.model.task_count == 2);
	teardown(&f);
}

static void test_task_end_and_reuse(void)
{
	struct fixture f;
	int i;

	setup(&f);
	/* The same task pointer, freed and reused: each use is a new task. */
	for (i = 0; i < 6; i++) {
		uint64_t ts = 1000 + i * 1000;

		enter(&f, 7, S_TASK, 1000, 0xabc0, ts);
		enter(&f, 7, S_A, 900, 0, ts + 10);
		leave(&f, 7, S_A, 900, ts + 20);
		enter(&f, 7, S_END, 950, 0xabc0, ts + 30); /* freed inside its last poll */
		leave(&f, 7, S_TASK, 1000, ts + 40);
	}
	CHECK(f.model.tasks_seen == 6);
	CHECK(f.model.last->id == 6 && task_state(f.model.last) == TASK_DONE);
	CHECK(f.model.done_count == 6);
	task_model_prune(&f.model, 7000);
	CHECK(f.model.done_count == 3); /* max_done_tasks */
	CHECK(f.model.first->id == 4);
	task_model_prune(&f.model, 7000 + 2000000000ULL);
	CHECK(f.model.task_count == 0); /* retain_done elapsed */
	teardown(&f);
}

/* A poll entered before the return probes were in never returns: it nests
 * what is polled inside it but is never shown in flight. */
static void test_attach_window(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	f.tracker.returns_ready_at = 5000;
	enter(&f, 7, S_TASK, 1000, 0xabc0, 4000);
	enter(&f, 7, S_A, 900, 0, 6000);
	leave(&f, 7, S_A, 900, 7000);
	t = f.model.first;
	CHECK(t && task_state(t) == TASK_IDLE &&
	      poll_stats_inflight(&t->stats, 9000000000ULL) == 0);
	CHECK(t && t->roots && t->roots->site == S_A && t->roots->stats.busy_ns == 1000);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 8000); /* next poll resyncs the old frame */
	CHECK(t->stats.unknown_polls == 1 && t->stats.inflight_since == 8000);
	teardown(&f);
}

static int no_thread_exists(uint32_t tid, void *ctx)
{
	(void)tid;
	(void)ctx;
	return 0;
}

static void test_dead_thread_reaped(void)
{
	struct fixture f;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 8, S_TASK, 1000, 0xdef0, 1000);
	enter(&f, 9, S_A, 3000, 0, 1000); /* a block_on root on its own thread */
	leave(&f, 9, S_A, 3000, 2000);
	CHECK(f.tracker.threads.count == 2 && f.tracker.workers.count == 2);
	poll_tracker_reap_threads(&f.tracker, no_thread_exists, NULL, 5000);
	CHECK(f.tracker.threads.count == 0 && f.tracker.workers.count == 0);
	CHECK(task_state(f.model.first) == TASK_IDLE && f.model.first->open_frames == 0);
	CHECK(f.model.last->block_on && task_state(f.model.last) == TASK_DONE &&
	      f.model.last->done_at == 5000);
	teardown(&f);
}

static void test_sorting(void)
{
	struct fixture f;
	struct task **v;
	size_t n;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0x10, 0);
	leave(&f, 7, S_TASK, 1000, 500); /* task 1: 500ns */
	enter(&f, 7, S_TASK, 1000, 0x20, 1000);
	leave(&f, 7, S_TASK, 1000, 901000);	/* task 2: 900us */
	enter(&f, 8, S_TASK, 1000, 0x30, 1000); /* task 3: in flight */
	n = task_view_sorted(&f.model, &table, SORT_MAX_POLL, false, 10000000, &v);
	CHECK(n == 3 && v[0]->key == 0x30 && v[1]->key == 0x20 && v[2]->key == 0x10);
	free(v);
	n = task_view_sorted(&f.model, &table, SORT_POLLS, true, 10000000, &v);
	CHECK(n == 3 && v[0]->key == 0x30);
	free(v);
	teardown(&f);
}

/* A poll of a task whose return was lost stays on thread 7's stack while
 * the task is polled again on thread 8; the stale frame going must neither
 * end nor mistime the poll running on 8 (seen in the benchmark as polls as
 * long as the machine's uptime). */
static void test_stale_frame_of_a_task_polled_elsewhere(void)
{
	const uint64_t t0 = 5000000000000ULL; /* a real clock's magnitude */
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, t0);	      /* its return will be lost */
	enter(&f, 8, S_TASK, 5000, 0xabc0, t0 + 200); /* polled again elsewhere */
	t = f.model.first;
	CHECK(t && task_state(t) == TASK_RUNNING && t->running_tid == 8);
	enter(&f, 7, S_TASK, 2000, 0xdef0, t0 + 250); /* drops 7's stale frame */
	leave(&f, 7, S_TASK, 2000, t0 + 260);
	CHECK(task_state(t) == TASK_RUNNING && poll_stats_inflight(&t->stats, t0 + 280) == 80);
	leave(&f, 8, S_TASK, 5000, t0 + 300);
	CHECK(t->stats.max_poll_ns == 100 && t->stats.busy_ns == 100);
	CHECK(t->stats.polls == 2 && t->stats.unknown_polls == 1 && !t->stats.inflight_since);
	CHECK(task_state(t) == TASK_IDLE);
	teardown(&f);
}

/* Events were lost between an entry and a return at the same stack
 * address: they may belong to different polls, so the poll is unknown. */
static void test_gap_in_events(void)
{
	struct poll_event ret = {.ts = 900000, .sp = 1008, .tid = 7, .lost = 3};
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	ret.site = S_TASK | ((uint32_t)EV_EXIT << EVENT_TYPE_SHIFT);
	poll_tracker_handle(&f.tracker, &ret);
	t = f.model.first;
	CHECK(t && t->stats.polls == 1 && t->stats.unknown_polls == 1 && t->stats.busy_ns == 0);
	/* The gap is counted; the return that no longer matches is not a loss of its own. */
	CHECK(f.tracker.counters.gaps == 1 && f.tracker.counters.unmatched_returns == 0);
	CHECK(task_state(t) == TASK_IDLE);
	teardown(&f);
}

/* A panic in B, caught in the task poll (tokio): B and A never return,
 * the task poll does, at its own time; B and A count as unwound. */
static void test_panic_caught_above(void)
{
	struct poll_event unwind = {.ts = 3500,
				    .sp = 700,
				    .tid = 7,
				    .site = UNWIND_PANIC | (uint32_t)EV_UNWIND << EVENT_TYPE_SHIFT};
	struct fixture f;
	struct future_node *a;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 7, S_A, 900, 0, 2000);
	enter(&f, 7, S_B, 800, 0, 3000);
	poll_tracker_handle(&f.tracker, &unwind);
	leave(&f, 7, S_TASK, 1000, 9000);
	a = f.model.first->roots;
	CHECK(f.tracker.counters.panics == 1 && f.tracker.counters.unwound == 2);
	CHECK(f.tracker.counters.abandoned_frames == 2 &&
	      f.tracker.counters.unmatched_returns == 0);
	CHECK(a->stats.unknown_polls == 1 && a->children->stats.unknown_polls == 1);
	CHECK(f.model.first->stats.polls == 1 && f.model.first->stats.busy_ns == 8000);
	/* The next panic-free poll counts nothing as unwound. */
	enter(&f, 7, S_TASK, 1000, 0xabc0, 10000);
	enter(&f, 7, S_A, 900, 0, 11000);
	leave(&f, 7, S_A, 900, 12000);
	leave(&f, 7, S_TASK, 1000, 13000);
	CHECK(f.tracker.counters.unwound == 2 && a->stats.polls == 2 && a->stats.busy_ns == 1000);
	teardown(&f);
}

/* The runtime polls the task again on thread 8 while thread 7, preempted
 * after its future returned, is still in the task poll: the first poll
 * ends where the second begins, never counted twice. */
static void test_task_repolled_before_return(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 0xabc0, 1000);
	enter(&f, 8, S_TASK, 2000, 0xabc0, 5000);
	leave(&f, 7, S_TASK, 1000, 9000);
	leave(&f, 8, S_TASK, 2000, 6000);
	t = f.model.first;
	CHECK(t && t->stats.polls == 2 && t->stats.unknown_polls == 0);
	CHECK(t->stats.busy_ns == 5000 && t->stats.max_poll_ns == 4000);
	CHECK(task_state(t) == TASK_IDLE);
	teardown(&f);
}

static void handle(struct fixture *f, uint32_t type, uint32_t site, uint64_t sp, uint64_t arg,
		   uint64_t ts, uint64_t run_delay)
{
	struct poll_event e = {.ts = ts,
			       .sp = sp,
			       .arg = arg,
			       .tid = 7,
			       .site = site | (type << EVENT_TYPE_SHIFT),
			       .run_delay = run_delay};

	poll_tracker_handle(&f->tracker, &e);
}

/* Polls preempted by other work on the machine: the time their thread
 * waited for a CPU is not theirs. A fast poll preempted for 4 ms is not
 * slow; a poll blocking its thread 300us is, however long it also waited;
 * a parent's wait includes its child's. */
static void test_preempted_polls(void)
{
	struct fixture f;
	struct task *t;
	struct future_node *a;

	setup(&f);
	/* the thread had already waited 1 s for a CPU in its life */
	handle(&f, EV_ENTER, S_TASK, 1000, 0xabc0, 1000000, 1000000000);
	handle(&f, EV_ENTER, S_A, 900, 0x100, 1010000, 1000000000);
	/* a: 4.05 ms of wall time, 4 ms of it preempted */
	handle(&f, EV_EXIT, S_A, 908, 0, 5060000, 1004000000);
	/* the task poll: 300 us more of blocking, then returns */
	handle(&f, EV_EXIT, S_TASK, 1008, 0, 5370000, 1004000000);
	t = f.model.first;
	a = t ? t->roots : NULL;
	CHECK(a && a->stats.busy_ns == 50000 && a->stats.cpu_wait_ns == 4000000);
	CHECK(a && a->stats.max_poll_ns == 50000 && a->stats.slow_polls == 0);
	CHECK(t && t->stats.busy_ns == 370000 && t->stats.cpu_wait_ns == 4000000);
	CHECK(t && t->stats.max_poll_ns == 370000 && t->stats.slow_polls == 1);
	/* without the kernel's count (0 at both ends) a poll is its wall time */
	handle(&f, EV_ENTER, S_TASK, 1000, 0xabc0, 6000000, 0);
	handle(&f, EV_EXIT, S_TASK, 1008, 0, 6500000, 0);
	CHECK(t && t->stats.busy_ns == 870000 && t->stats.max_poll_ns == 500000);
	CHECK(t && t->stats.slow_polls == 2 && t->stats.cpu_wait_ns == 4000000);
	teardown(&f);
}

static void handle_split(struct fixture *f, uint32_t type, uint32_t site, uint64_t sp, uint64_t ts,
			 uint64_t run_delay, uint64_t asleep)
{
	struct poll_event e = {.ts = ts,
			       .sp = sp,
			       .arg = 0x1abc0,
			       .tid = 7,
			       .site = site | (type << EVENT_TYPE_SHIFT),
			       .run_delay = run_delay,
			       .asleep = asleep};

	poll_tracker_handle(&f->tracker, &e);
}

/* A poll's wall time splits into running, asleep (blocked) and runnable:
 * blocked is the poll's time (it holds the worker), the wait for a CPU is
 * not. Slow polls keep their split. Where the thread clock is not kept the
 * blocked time reads as running. */
static void test_blocked_polls(void)
{
	const uint64_t MS = 1000000;
	struct fixture f;
	struct task *t;
	const struct slow_poll *p;

	setup(&f);
	handle_split(&f, EV_ENTER, S_TASK, 1000, 10 * MS, 1000 * MS, 5000 * MS);
	/* 2.5 ms: 2 ms asleep, 0.3 ms waiting for a CPU, 0.2 ms running */
	handle_split(&f, EV_EXIT, S_TASK, 1008, 12500000, 1000300000, 5002 * MS);
	t = f.model.first;
	CHECK(t && t->stats.busy_ns == 2200000 && t->stats.blocked_ns == 2 * MS);
	CHECK(t && t->stats.cpu_wait_ns == 300000 && t->stats.slow_polls == 1);
	p = t ? &t->stats.recent_slow[0] : NULL;
	CHECK(p && p->duration_ns == 2200000 && p->blocked_ns == 2 * MS &&
	      p->cpu_wait_ns == 300000);
	CHECK(t && t->stats.longest[0].blocked_ns == 2 * MS);
	CHECK(f.model.blocked_measured);
	/* more asleep than the poll's time (clocks apart): never over it */
	handle_split(&f, EV_ENTER, S_TASK, 1000, 20 * MS, 1000300000, 5002 * MS);
	handle_split(&f, EV_EXIT, S_TASK, 1008, 21 * MS, 1000300000, 5004 * MS);
	CHECK(t && t->stats.blocked_ns == 3 * MS && t->stats.busy_ns == 3200000);
	/* unknown at either end: all of it running */
	handle_split(&f, EV_ENTER, S_TASK, 1000, 30 * MS, 1000300000, ASLEEP_UNKNOWN);
	handle_split(&f, EV_EXIT, S_TASK, 1008, 31 * MS, 1000300000, 6000 * MS);
	CHECK(t && t->stats.blocked_ns == 3 * MS && t->stats.busy_ns == 4200000);
	teardown(&f);
}

/* A task poll begun before the attach (preempted while the probes went
 * in): its child future's entry comes with nothing open below it, called
 * from the code of the task's root future. That is not a block_on root. */
static void test_future_called_from_future(void)
{
	const uint64_t bias = 0x400000;
	struct poll_event e = {.ts = 1000, .sp = 900, .arg = 0x100, .tid = 7, .site = S_B};
	struct fixture f;

	sites[S_A].addr = 0x1000;
	sites[S_A].size = 0x100;
	setup(&f);
	f.tracker.code_bias = (int64_t)bias;
	f.tracker.code_bias_known = true;
	e.ret = bias + 0x1100; /* after a call that ends A's code */
	poll_tracker_handle(&f.tracker, &e);
	CHECK(f.model.first == NULL && f.tracker.counters.orphans == 1);
	/* called from code that is no probed future's: a root */
	e.ret = bias + 0x1101;
	e.ts = 2000;
	poll_tracker_handle(&f.tracker, &e);
	CHECK(f.model.first && f.model.first->block_on && f.model.first->roots &&
	      f.model.first->roots->site == S_B);
	teardown(&f);
	/* without the code bias (a launched command's is not known at
	 * attach) there is no telling: a root, as before */
	setup(&f);
	e.ret = bias + 0x1080;
	poll_tracker_handle(&f.tracker, &e);
	CHECK(f.model.first && f.model.first->block_on && f.tracker.counters.orphans == 0);
	teardown(&f);
	sites[S_A].addr = 0;
	sites[S_A].size = 0;
}

/* The root future of a task whose task poll entry was missed (begun before
 * the attach): DWARF says which future a task poll entry runs, so it is
 * not taken for a block_on root. */
static void test_task_root_without_its_task_poll(void)
{
	struct poll_event e = {.ts = 1000, .sp = 900, .arg = 0x100, .tid = 7, .site = S_A};
	struct fixture f;

	sites[S_TASK].name = "app::a"; /* the entry's DWARF type: app::a's future */
	setup(&f);
	poll_tracker_handle(&f.tracker, &e);
	CHECK(f.model.first == NULL && f.tracker.counters.orphans == 1);
	/* inside its task poll it is the task's root, as ever */
	enter(&f, 7, S_TASK, 1000, 0xabc0, 2000);
	enter(&f, 7, S_A, 900, 0x100, 2010);
	leave(&f, 7, S_A, 900, 2020);
	leave(&f, 7, S_TASK, 1000, 2030);
	CHECK(f.model.first && !f.model.first->block_on && f.model.first->roots &&
	      f.model.first->roots->site == S_A && f.model.first->stats.polls == 1);
	teardown(&f);
	sites[S_TASK].name = "raw::poll";
}

int main(void)
{
	test_nesting_and_stats();
	test_inflight();
	test_lost_return();
	test_tail_call_and_unmatched();
	test_block_on_and_threads();
	test_task_end_and_reuse();
	test_attach_window();
	test_dead_thread_reaped();
	test_sorting();
	test_stale_frame_of_a_task_polled_elsewhere();
	test_gap_in_events();
	test_panic_caught_above();
	test_task_repolled_before_return();
	test_preempted_polls();
	test_blocked_polls();
	test_future_called_from_future();
	test_task_root_without_its_task_poll();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
