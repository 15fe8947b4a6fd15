/* Wake events into wake counts and scheduled time (model/task_wakes.c),
 * fed synthetic probe events: the wait from the first wake to the next
 * poll, redundant wakes, self-wakes inside the poll and deferred ones (a
 * wake called from a deferrer's code), wakes of unknown tasks, a wake
 * function called by another (one wake). */
#include <stdlib.h>
#include <linux/types.h>

#include "check.h"
#include "bpf/poll_trace.h"
#include "model/poll_tracker.h"
#include "probe/site_table.h"

int check_passed, check_failed;

enum { S_TASK, S_WAKE, S_DEFER, S_WAKE_REF, S_COUNT };

static struct site sites[S_COUNT] = {
    [S_TASK] = {.role = SITE_TASK_POLL, .path = "raw::poll", .name = "raw::poll"},
    /* async-task's wake (0x3000-0x3080), which calls wake_by_ref in debug builds */
    [S_WAKE] = {.role = SITE_TASK_WAKE,
		.path = "RawTask::wake",
		.name = "wake",
		.addr = 0x3000,
		.size = 0x80},
    /* Defer::wake's code: 0x5000-0x5100, link-time */
    [S_DEFER] = {.role = SITE_WAKE_DEFERRER,
		 .path = "defer::Defer::wake",
		 .name = "Defer::wake",
		 .addr = 0x5000,
		 .size = 0x100},
    [S_WAKE_REF] = {.role = SITE_TASK_WAKE,
		    .path = "RawTask::wake_by_ref",
		    .name = "wake_by_ref",
		    .addr = 0x3100,
		    .size = 0x80},
};
static struct site_table table = {.sites = sites, .count = S_COUNT};

#define BIAS 0x7f0000000000ULL
#define TASK 0xa000

struct fixture {
	struct task_model model;
	struct poll_tracker tracker;
};

static void setup(struct fixture *f)
{
	task_model_init(&f->model, 100000, 1000000000ULL, 3);
	poll_tracker_init(&f->tracker, &table, &f->model);
	f->tracker.code_bias = (int64_t)BIAS;
	f->tracker.code_bias_known = true;
}

static void teardown(struct fixture *f)
{
	poll_tracker_free(&f->tracker);
	task_model_free(&f->model);
}

static void poll_begin(struct fixture *f, uint32_t tid, uint64_t ts)
{
	struct poll_event e = {.ts = ts, .sp = 1000, .arg = TASK, .tid = tid, .site = S_TASK};

	poll_tracker_handle(&f->tracker, &e);
}

static void poll_end(struct fixture *f, uint32_t tid, uint64_t ts)
{
	struct poll_event e = {.ts = ts,
			       .sp = 1008,
			       .tid = tid,
			       .site = S_TASK | ((uint32_t)EV_EXIT << EVENT_TYPE_SHIFT)};

	poll_tracker_handle(&f->tracker, &e);
}

static void wake_at(struct fixture *f, uint32_t site, uint32_t tid, uint64_t key, uint64_t ret,
		    uint64_t ts)
{
	struct poll_event e = {
	    .ts = ts, .sp = 2000, .arg = key, .ret = ret, .tid = tid, .site = site};

	poll_tracker_handle(&f->tracker, &e);
}

static void wake(struct fixture *f, uint32_t tid, uint64_t key, uint64_t ret, uint64_t ts)
{
	wake_at(f, S_WAKE, tid, key, ret, ts);
}

static const struct sched_stats *sched(struct fixture *f)
{
	struct task *t = u64_map_get(&f->model.live, TASK);

	return t ? &t->sched : NULL;
}

static void test_wait_from_first_wake(void)
{
	struct fixture f;

	setup(&f);
	wake(&f, 1, TASK, 0, 500); /* before any poll: no task yet, ignored */
	CHECK(sched(&f) == NULL);
	poll_begin(&f, 1, 1000); /* first poll: its wake was not seen, not timed */
	poll_end(&f, 1, 1100);
	CHECK(sched(&f)->scheduled == 0 && sched(&f)->wakes == 0);
	wake(&f, 2, TASK, 0, 2000);
	wake(&f, 2, TASK, 0, 3000); /* redundant: counted, the wait runs from the first */
	poll_begin(&f, 1, 7000);
	poll_end(&f, 1, 7100);
	CHECK(sched(&f)->wakes == 2 && sched(&f)->self_wakes == 0);
	CHECK(sched(&f)->scheduled == 1 && sched(&f)->scheduled_ns == 5000);
	CHECK(sched(&f)->max_scheduled_ns == 5000 && sched(&f)->hist[poll_hist_bucket(5000)] == 1);
	poll_begin(&f, 1, 9000); /* no wake since the last poll: not timed */
	poll_end(&f, 1, 9100);
	CHECK(sched(&f)->scheduled == 1);
	teardown(&f);
}

static void test_self_wake_waits_from_poll_end(void)
{
	struct fixture f;

	setup(&f);
	poll_begin(&f, 1, 1000);
	poll_end(&f, 1, 1100);
	poll_begin(&f, 1, 2000);
	wake(&f, 1, TASK, 0, 2050); /* inside its own poll on its thread */
	poll_end(&f, 1, 2500);
	poll_begin(&f, 1, 2800);
	CHECK(sched(&f)->wakes == 1 && sched(&f)->self_wakes == 1);
	CHECK(sched(&f)->self_wake_run == 1);
	CHECK(sched(&f)->scheduled == 1 && sched(&f)->scheduled_ns == 300);
	poll_end(&f, 1, 2900);
	/* woken by another thread while polled: not its own, still from the end */
	poll_begin(&f, 1, 3000);
	wake(&f, 2, TASK, 0, 3050);
	poll_end(&f, 1, 3500);
	poll_begin(&f, 1, 4500);
	CHECK(sched(&f)->wakes == 2 && sched(&f)->self_wakes == 1);
	CHECK(sched(&f)->self_wake_run == 0); /* another woke it: the run ends */
	CHECK(sched(&f)->scheduled == 2 && sched(&f)->max_scheduled_ns == 1000);
	teardown(&f);
}

static void test_deferred_wake(void)
{
	struct fixture f;

	setup(&f);
	poll_begin(&f, 1, 1000);
	poll_end(&f, 1, 1100);
	/* called from Defer::wake's code (run-time address = link-time + bias) */
	wake(&f, 1, TASK, BIAS + 0x5010, 1200);
	poll_begin(&f, 1, 1500);
	poll_end(&f, 1, 1600);
	CHECK(sched(&f)->self_wakes == 1 && sched(&f)->scheduled_ns == 300);
	/* from elsewhere (a timer), and just past Defer::wake's end */
	wake(&f, 1, TASK, BIAS + 0x6000, 1700);
	poll_begin(&f, 1, 1800);
	poll_end(&f, 1, 1900);
	wake(&f, 1, TASK, BIAS + 0x5101, 2000);
	CHECK(sched(&f)->wakes == 3 && sched(&f)->self_wakes == 1);
	teardown(&f);
}

static void test_nested_wake(void)
{
	struct fixture f;

	setup(&f);
	poll_begin(&f, 1, 1000);
	poll_end(&f, 1, 1100);
	/* wake, then the wake_by_ref it calls (returning into wake's code):
	 * one wake, timed from the first */
	wake(&f, 2, TASK, BIAS + 0x9000, 1200);
	wake_at(&f, S_WAKE_REF, 2, TASK, BIAS + 0x3040, 1210);
	poll_begin(&f, 1, 1500);
	poll_end(&f, 1, 1600);
	CHECK(sched(&f)->wakes == 1 && sched(&f)->scheduled_ns == 300);
	/* wake_by_ref called from elsewhere (cx.waker().wake_by_ref()), and
	 * from just past wake's end: each a wake */
	wake_at(&f, S_WAKE_REF, 2, TASK, BIAS + 0x9000, 1700);
	wake_at(&f, S_WAKE_REF, 2, TASK, BIAS + 0x3081, 1710);
	CHECK(sched(&f)->wakes == 3);
	teardown(&f);
}

int main(void)
{
	test_wait_from_first_wake();
	test_self_wake_waits_from_poll_end();
	test_deferred_wake();
	test_nested_wake();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
