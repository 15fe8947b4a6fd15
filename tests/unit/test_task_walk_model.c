/* Tasks found by walking the runtime's task list, in the model: one row per
 * header address whether walked or polled first, the header's state while
 * no poll has been seen, ended when a complete walk no longer finds them,
 * and "idle since attach" until polled. */
#include "check.h"
#include "model/task_model.h"
#include "model/task_view.h"

int check_passed, check_failed;

#define MS   1000000ULL
#define LIST 0xa000

static const uint64_t lists[] = {LIST};
static const bool read_whole[] = {true}, read_in_part[] = {false};

static void test_walked_then_polled_is_one_row(void)
{
	struct task_model m;
	struct task *t, *again;

	task_model_init(&m, 100000, 5000 * MS, 100);
	t = task_model_walked(&m, 0x1000, LIST, 42, WALK_IDLE, 7, 10 * MS);
	CHECK(t && t->walked && t->runtime_id == 42 && t->has_poll_site && t->poll_site == 7);
	again = task_model_task(&m, 0x1000, false, 20 * MS);
	CHECK(again == t && m.task_count == 1);
	/* Light mode samples it by its runtime id (tokio's Id). */
	CHECK(task_sample_key(t) == 42);
	/* The type a later walk reports does not replace the one known. */
	task_model_walked(&m, 0x1000, LIST, 42, WALK_IDLE, 9, 30 * MS);
	CHECK(t->poll_site == 7);
	task_model_free(&m);
}

static void test_state_from_header_until_polled(void)
{
	struct task_model m;
	struct task *t;

	task_model_init(&m, 100000, 5000 * MS, 100);
	/* A queued task not seen before: its poll will show it. */
	CHECK(task_model_walked(&m, 0x2000, LIST, 1, WALK_SCHEDULED, UINT32_MAX, 10 * MS) == NULL);
	t = task_model_walked(&m, 0x2000, LIST, 1, WALK_IDLE, UINT32_MAX, 10 * MS);
	CHECK(t && !t->has_poll_site && task_state(t) == TASK_IDLE);
	task_model_walked(&m, 0x2000, LIST, 1, WALK_SCHEDULED, UINT32_MAX, 15 * MS);
	CHECK(task_state(t) == TASK_SCHEDULED);
	CHECK_STR(task_state_name(task_state(t)), "scheduled");
	task_model_walked(&m, 0x2000, LIST, 1, WALK_RUNNING, UINT32_MAX, 20 * MS);
	CHECK(task_state(t) == TASK_RUNNING);
	/* A running task not seen before: its poll will show it. */
	CHECK(task_model_walked(&m, 0x2100, LIST, 2, WALK_RUNNING, UINT32_MAX, 20 * MS) == NULL);
	/* Once polled, the probes say: idle between polls whatever the header said. */
	poll_stats_begin(&t->stats, 30 * MS);
	poll_stats_end(&t->stats, 30 * MS, 31 * MS, NULL, 100000);
	CHECK(task_state(t) == TASK_IDLE);
	task_model_free(&m);
}

static void test_complete_and_gone(void)
{
	struct task_model m;

	task_model_init(&m, 100000, 5000 * MS, 100);
	/* A complete task not seen before gets no row. */
	CHECK(task_model_walked(&m, 0x3000, LIST, 3, WALK_COMPLETE, UINT32_MAX, 10 * MS) == NULL);
	CHECK(m.task_count == 0);
	task_model_walked(&m, 0x4000, LIST, 4, WALK_IDLE, UINT32_MAX, 10 * MS);
	task_model_walked(&m, 0x5000, LIST, 5, WALK_IDLE, UINT32_MAX, 10 * MS);
	task_model_walk_done(&m, lists, read_whole, 1, 10 * MS);
	CHECK(m.task_count == 2 && m.done_count == 0);
	/* An incomplete walk that misses a task does not end it... */
	task_model_walked(&m, 0x4000, LIST, 4, WALK_IDLE, UINT32_MAX, 20 * MS);
	task_model_walk_done(&m, lists, read_in_part, 1, 20 * MS);
	CHECK(m.done_count == 0);
	/* ...a complete one does. */
	task_model_walked(&m, 0x4000, LIST, 4, WALK_IDLE, UINT32_MAX, 30 * MS);
	task_model_walk_done(&m, lists, read_whole, 1, 30 * MS);
	CHECK(m.done_count == 1 && u64_map_get(&m.live, 0x5000) == NULL);
	CHECK(u64_map_get(&m.live, 0x4000) != NULL);
	/* A list no longer found: its runtime is gone, and its tasks with it. */
	task_model_walk_done(&m, NULL, NULL, 0, 40 * MS);
	CHECK(m.done_count == 2 && u64_map_get(&m.live, 0x4000) == NULL);
	task_model_free(&m);
}

static void test_idle_since_attach(void)
{
	struct task_model m;
	struct task *t;
	bool since_attach;
	char buf[32];

	task_model_init(&m, 100000, 5000 * MS, 100);
	m.attached_at = 10 * MS;
	/* Found later, parked and never polled: idle since attach all the same. */
	t = task_model_walked(&m, 0x6000, LIST, 6, WALK_IDLE, UINT32_MAX, 500 * MS);
	CHECK(task_idle_ns(&m, t, 2010 * MS, &since_attach) == 2000 * MS && since_attach);
	CHECK_STR(task_idle_format(&m, t, 2010 * MS, buf, sizeof(buf)), "\xe2\x89\xa5"
									"2.00s");
	poll_stats_begin(&t->stats, 2100 * MS);
	CHECK(task_idle_ns(&m, t, 2200 * MS, &since_attach) == 0 && !since_attach);
	poll_stats_end(&t->stats, 2100 * MS, 2101 * MS, NULL, 100000);
	CHECK(task_idle_ns(&m, t, 2201 * MS, &since_attach) == 100 * MS && !since_attach);
	task_model_free(&m);
}

/* A runtime with no ids (async-std): samples name the task by its key,
 * the header; a task only polled, never walked, cannot be sampled. */
static void test_sample_key_without_id(void)
{
	struct task_model m;
	struct task *t;

	task_model_init(&m, 100000, 5000 * MS, 100);
	t = task_model_walked(&m, 0x7000, LIST, 0, WALK_IDLE, UINT32_MAX, 10 * MS);
	CHECK(t && task_sample_key(t) == 0x7000);
	t = task_model_task(&m, 0x7100, false, 10 * MS);
	CHECK(t && task_sample_key(t) == 0);
	task_model_free(&m);
}

int main(void)
{
	test_sample_key_without_id();
	test_walked_then_polled_is_one_row();
	test_state_from_header_until_polled();
	test_complete_and_gone();
	test_idle_since_attach();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
