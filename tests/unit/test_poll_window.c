/* Duty-cycled tracing's windows (poll_tracker_window_*), fed synthetic
 * probe events: a poll open at a window's edge is dropped, never counted,
 * never an unmatched return, an abandoned frame or an unknown poll; a
 * worker that hit no probe for a whole window counts as not polled. */
#include <stdlib.h>
#include <linux/types.h>

#include "check.h"
#include "bpf/poll_trace.h"
#include "model/poll_tracker.h"
#include "model/task_view.h"
#include "probe/site_table.h"

int check_passed, check_failed;

enum { S_TASK, S_A, S_COUNT };

static struct site sites[S_COUNT] = {
    [S_TASK] = {.role = SITE_TASK_POLL, .path = "raw::poll", .name = "raw::poll"},
    [S_A] = {.role = SITE_FUTURE,
	     .kind = FUTURE_ASYNC_FN,
	     .path = "app::a::{{closure}}",
	     .name = "app::a"},
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
	f->tracker.windowed = true; /* as duty_cycle_start makes it */
	f->tracker.returns_ready_at = 1000;
}

static void teardown(struct fixture *f)
{
	poll_tracker_free(&f->tracker);
	task_model_free(&f->model);
}

static void event(struct fixture *f, uint32_t type, uint32_t tid, uint32_t site, uint64_t sp,
		  uint64_t ts)
{
	struct poll_event e = {.ts = ts,
			       .sp = sp,
			       .arg = type == EV_ENTER && site == S_TASK ? 0xabc0 : 0,
			       .tid = tid,
			       .site = site | (type << EVENT_TYPE_SHIFT)};

	poll_tracker_handle(&f->tracker, &e);
}

static void enter(struct fixture *f, uint32_t tid, uint32_t site, uint64_t sp, uint64_t ts)
{
	event(f, EV_ENTER, tid, site, sp, ts);
}

static void leave(struct fixture *f, uint32_t tid, uint32_t site, uint64_t entry_sp, uint64_t ts)
{
	event(f, EV_EXIT, tid, site, entry_sp + 8, ts);
}

static void check_clean(const struct fixture *f)
{
	CHECK(f->tracker.counters.unmatched_returns == 0);
	CHECK(f->tracker.counters.abandoned_frames == 0);
}

/* A poll running when the window closes: not counted, not in flight,
 * nothing left open; what comes after the closing instant is ignored. */
static void test_open_at_close(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 2000);
	enter(&f, 7, S_A, 900, 2100);
	leave(&f, 7, S_A, 900, 2200);
	leave(&f, 7, S_TASK, 1000, 2300);
	enter(&f, 7, S_TASK, 1000, 3000);
	enter(&f, 7, S_A, 900, 3100);
	poll_tracker_window_closing(&f.tracker, 3500);
	leave(&f, 7, S_A, 900, 3600); /* the return link went first */
	enter(&f, 7, S_A, 900, 3700); /* ...or the entry link did */
	/* while the links go (a second, under load), the open poll's time
	 * stops at the close: it is not seen running on */
	t = f.model.first;
	CHECK(t && poll_stats_inflight(&t->stats, 900000) == 500);
	CHECK(t && poll_stats_longest(&t->stats, 900000) == 500);
	CHECK(t && t->roots && poll_stats_inflight(&t->roots->stats, 900000) == 400);
	poll_tracker_window_closed(&f.tracker, 1000);
	t = f.model.first;
	CHECK(t && t->stats.polls == 1 && t->stats.unknown_polls == 0);
	CHECK(t && t->roots && t->roots->stats.polls == 1 && t->roots->stats.unknown_polls == 0);
	CHECK(t && task_state(t) == TASK_IDLE && !t->open_frames &&
	      poll_stats_inflight(&t->stats, 4000) == 0);
	CHECK(!poll_tracker_stack(&f.tracker, 7) || !poll_tracker_stack(&f.tracker, 7)->depth);
	check_clean(&f);
	teardown(&f);
}

/* The next window: the return of a poll begun before it pairs with
 * nothing; a future inside that poll is an orphan, not a block_on root; a
 * poll entered before the return probes were in is dropped when it ends. */
static void test_open_at_open(void)
{
	struct fixture f;
	struct task *t;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 2000);
	leave(&f, 7, S_TASK, 1000, 2300);
	poll_tracker_window_closing(&f.tracker, 3000);
	poll_tracker_window_closed(&f.tracker, 1000);
	poll_tracker_window_opened(&f.tracker, 10000);
	enter(&f, 7, S_A, 900, 10100); /* in the task poll begun in the gap */
	leave(&f, 7, S_A, 900, 10200);
	leave(&f, 7, S_TASK, 1000, 10500);
	t = f.model.first;
	CHECK(f.tracker.counters.orphans == 1 && t && !t->next && t->stats.polls == 1);
	poll_tracker_window_closing(&f.tracker, 11000);
	poll_tracker_window_closed(&f.tracker, 10000);
	poll_tracker_window_opened(&f.tracker, 20000);
	enter(&f, 7, S_TASK, 1000, 19000); /* the return probes not in yet */
	leave(&f, 7, S_TASK, 1000, 21000);
	CHECK(t->stats.polls == 1 && t->stats.unknown_polls == 0);
	enter(&f, 7, S_TASK, 1000, 22000);
	leave(&f, 7, S_TASK, 1000, 22100);
	CHECK(t->stats.polls == 2 && t->stats.busy_ns == 300 + 100);
	check_clean(&f);
	teardown(&f);
}

/* A thread with no entry in the last closed window counts as not polled
 * (the stack watch looks at it), in its poll since that window's start. */
static void test_quiet_thread(void)
{
	struct fixture f;

	setup(&f);
	enter(&f, 7, S_TASK, 1000, 2000);
	enter(&f, 8, S_TASK, 1000, 2000);
	leave(&f, 8, S_TASK, 1000, 2100);
	poll_tracker_window_closing(&f.tracker, 3000);
	poll_tracker_window_closed(&f.tracker, 1000);
	poll_tracker_window_opened(&f.tracker, 10000);
	enter(&f, 8, S_TASK, 1000, 10100);
	leave(&f, 8, S_TASK, 1000, 10200);
	poll_tracker_window_closing(&f.tracker, 11000);
	poll_tracker_window_closed(&f.tracker, 10000);
	CHECK(!poll_tracker_polled(&f.tracker, 7) && poll_tracker_polled(&f.tracker, 8));
	CHECK(poll_tracker_quiet_since(&f.tracker, 5) == 10000);
	teardown(&f);
}

int main(void)
{
	test_open_at_close();
	test_open_at_open();
	test_quiet_thread();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
