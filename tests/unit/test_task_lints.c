/* The rules of the lints (model/task_lints.c) on synthetic tasks, and the
 * table of lock futures (model/lock_awaits.c) on type paths as DWARF names
 * them. */
#include "check.h"
#include "model/lock_awaits.h"
#include "model/task_lints.h"
#include "probe/site_table.h"

int check_passed, check_failed;

#define NOW 100000000000ULL /* 100 s */
#define MS  1000000ULL

static void test_lock_table(void)
{
	/* tokio 1.24 and 1.53 as wl-hung's DWARF names them */
	CHECK_STR(lock_await_name("tokio::sync::mutex::{impl#8}::lock::{async_fn_env#0}<u64>"),
		  "tokio::sync::Mutex::lock");
	CHECK_STR(lock_await_name("tokio::sync::rwlock::{impl#3}::write::{async_fn_env#0}<u8>"),
		  "tokio::sync::RwLock::write");
	CHECK_STR(lock_await_name("tokio::sync::semaphore::{impl#1}::acquire_many::"
				  "{async_fn_env#0}"),
		  "tokio::sync::Semaphore::acquire");
	CHECK_STR(lock_await_name("tokio::sync::batch_semaphore::Acquire"),
		  "tokio::sync::batch_semaphore::Acquire");
	CHECK_STR(lock_await_name("async_lock::mutex::{impl#2}::lock::{async_fn_env#0}<i32>"),
		  "async_lock::Mutex::lock");
	CHECK_STR(lock_await_name("futures_util::lock::mutex::MutexLockFuture<u64>"),
		  "futures::lock::Mutex::lock");
	/* waits that are not for a lock */
	CHECK(
	    !lock_await_name("tokio::sync::mpsc::bounded::{impl#0}::recv::{async_fn_env#0}<u64>"));
	CHECK(!lock_await_name("tokio::time::sleep::Sleep"));
	CHECK(!lock_await_name("core::future::pending::Pending<()>"));
	CHECK(!lock_await_name("app::lock::{async_fn_env#0}")); /* the app's own "lock" */
	CHECK(!lock_await_name(NULL));
}

static unsigned lints_of(const struct task_model *m, const struct task *t)
{
	static struct site_table none;
	struct lint_ctx c = {m, &none, NULL, NOW};

	return task_lints(&c, t);
}

static void test_self_wake_loop(void)
{
	struct task_model m;
	struct task t = {.id = 1};
	struct lint_ctx c;
	char buf[64];

	task_model_init(&m, 100000, 1000000000ULL, 3);
	c = (struct lint_ctx){&m, NULL, NULL, NOW};
	t.stats.polls = 500;
	t.stats.last_poll_end = NOW - 10 * MS;
	t.sched.wakes = 500;
	t.sched.self_wakes = 499;
	t.sched.self_wake_run = LINT_SELF_WAKE_RUN - 1; /* one wake too few in a row */
	CHECK(!(lints_of(&m, &t) & LINT_SELF_WAKE_LOOP));
	t.sched.self_wake_run = LINT_SELF_WAKE_RUN;
	CHECK(lints_of(&m, &t) == LINT_SELF_WAKE_LOOP);
	CHECK_STR(task_lint_detail(&c, &t, LINT_SELF_WAKE_LOOP, buf, sizeof(buf)),
		  "woke itself 100 times in a row");
	/* the loop ended over a second ago: no longer looping */
	t.stats.last_poll_end = NOW - 1000 * MS - 1;
	CHECK(!(lints_of(&m, &t) & LINT_SELF_WAKE_LOOP));
	CHECK_STR(task_lint_detail(&c, &t, LINT_SELF_WAKE_LOOP, buf, sizeof(buf)), "");
	/* being polled now */
	t.stats.inflight_since = NOW - MS;
	CHECK(lints_of(&m, &t) & LINT_SELF_WAKE_LOOP);
	t.stats.inflight_since = 0;
	t.done = true;
	CHECK(lints_of(&m, &t) == 0);
	task_model_free(&m);
}

/* blocking: a recent slow poll asleep in the kernel over the threshold,
 * only where blocked time is measured; a poll slow on its CPU is not. */
static void test_blocking(void)
{
	struct task_model m;
	struct task t = {.id = 1};
	struct lint_ctx c;
	char buf[64];
	struct poll_split spin = {0, 0}, sleep = {0, 2 * MS};

	task_model_init(&m, 100000, 1000000000ULL, 3);
	c = (struct lint_ctx){&m, NULL, NULL, NOW};
	poll_stats_end(&t.stats, NOW - 20 * MS, NOW - 17 * MS, &spin, m.threshold_ns);
	CHECK(!(lints_of(&m, &t) & LINT_BLOCKING));
	poll_stats_end(&t.stats, NOW - 15 * MS, NOW - 12900000, &sleep, m.threshold_ns);
	CHECK(!(lints_of(&m, &t) & LINT_BLOCKING)); /* not measured: unknown */
	m.blocked_measured = true;
	CHECK(lints_of(&m, &t) == LINT_BLOCKING);
	CHECK_STR(task_lint_detail(&c, &t, LINT_BLOCKING, buf, sizeof(buf)),
		  "blocked 2.00ms in a 2.10ms poll");
	/* newer slow polls on the CPU do not hide it */
	poll_stats_end(&t.stats, NOW - 10 * MS, NOW - 7 * MS, &spin, m.threshold_ns);
	CHECK(lints_of(&m, &t) == LINT_BLOCKING);
	/* over 10 s ago: no longer */
	c.now = NOW + LINT_BLOCKING_RECENT_NS;
	CHECK(task_lints(&c, &t) == 0);
	task_model_free(&m);
}

static void test_no_lock_without_target(void)
{
	struct task_model m;
	struct task t = {.id = 1, .walked = true};

	/* idle for long, but the target cannot be read: no await stack */
	task_model_init(&m, 100000, 1000000000ULL, 3);
	m.attached_at = NOW - 5000 * MS;
	CHECK(!(lints_of(&m, &t) & LINT_AWAITING_LOCK));
	task_model_free(&m);
}

static void test_summary(void)
{
	size_t counts[LINT_KINDS] = {0, 0, 2, 1};
	char buf[256];

	CHECK_STR(task_lints_summary(counts, buf, sizeof(buf)),
		  "2 tasks awaiting a lock > 1s, 1 task waking itself in a loop");
	CHECK_STR(task_lint_name(LINT_AWAITING_LOCK), "awaiting_lock");
	CHECK_STR(task_lint_name(LINT_SELF_WAKE_LOOP), "self_wake_loop");
}

int main(void)
{
	test_lock_table();
	test_self_wake_loop();
	test_blocking();
	test_no_lock_without_target();
	test_summary();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
