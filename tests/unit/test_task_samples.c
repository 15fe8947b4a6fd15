/* Light mode's sample model: CPU from samples x period, one poll per run
 * of samples (same task, no voluntary switch), the wedge threshold, the
 * running task's freshness and pruning. */
#include "check.h"
#include "model/task_samples.h"

int check_passed, check_failed;

#define MS 1000000ULL

static bool keep_none(uint64_t id, void *ctx)
{
	(void)id;
	(void)ctx;
	return false;
}

int main(void)
{
	struct task_samples ts;
	const struct sampled_task *t;
	const struct sampled_thread *th;
	uint64_t now = 1000 * MS, i;

	task_samples_init(&ts, 5 * MS, 20 * MS, now);
	/* thread 10 runs task 7 for 10 samples with no switch: one poll */
	for (i = 0; i < 10; i++)
		task_samples_add(&ts, 10, 7, 3, true, now + i * 5 * MS);
	th = task_samples_running(&ts, 7, now + 50 * MS);
	CHECK(th && th->tid == 10 && th->run == 10 && th->last - th->since == 45 * MS);
	CHECK(task_samples_wedged(&ts, th));
	t = task_samples_get(&ts, 7);
	CHECK(t && t->samples == 10 && t->longest_run_ns == 45 * MS);
	/* 10 x 5 ms over 100 ms: half a CPU */
	CHECK(task_samples_cpu_pct(&ts, t, now + 100 * MS) > 49.9 &&
	      task_samples_cpu_pct(&ts, t, now + 100 * MS) < 50.1);
	/* a drain after now brought newer samples: the span ends at the
	 * newest (10 x 5 ms over 45 ms would be over a CPU) */
	CHECK(task_samples_span_ns(&ts, now + 20 * MS) == 45 * MS);
	CHECK(task_samples_cpu_pct(&ts, t, now + 20 * MS) > 111.0 &&
	      task_samples_cpu_pct(&ts, t, now + 20 * MS) < 111.2);
	/* same task after a voluntary switch (it parked): a new poll */
	task_samples_add(&ts, 10, 7, 4, true, now + 60 * MS);
	th = task_samples_thread(&ts, 10);
	CHECK(th->run == 1 && th->since == now + 60 * MS && !task_samples_wedged(&ts, th));
	/* no task (None) and an unreadable sample count as idle, no task */
	task_samples_add(&ts, 10, 0, 4, true, now + 65 * MS);
	task_samples_add(&ts, 11, 99, 0, false, now + 65 * MS);
	CHECK(ts.idle_samples == 2 && ts.unreadable == 1 && !task_samples_get(&ts, 99));
	CHECK(!task_samples_running(&ts, 7, now + 70 * MS));
	/* a thread's stale sample says nothing of now */
	task_samples_add(&ts, 12, 8, 0, true, now + 70 * MS);
	CHECK(task_samples_running(&ts, 8, now + 100 * MS));
	CHECK(!task_samples_running(&ts, 8, now + 1000 * MS));
	/* windows: the last complete one's share; a too short one is ignored */
	task_samples_roll(&ts, now + 500 * MS);
	t = task_samples_get(&ts, 7);
	CHECK(t->last_window == 11 && ts.last_window_ns == 500 * MS);
	task_samples_roll(&ts, now + 510 * MS);
	CHECK(t->last_window == 11);
	CHECK(task_samples_recent_pct(&ts, t) > 10.9 && task_samples_recent_pct(&ts, t) < 11.1);
	/* pruning forgets what was not sampled for long */
	task_samples_prune(&ts, now + 100000 * MS, 1000 * MS, keep_none, NULL);
	CHECK(!task_samples_get(&ts, 7) && !task_samples_thread(&ts, 10));
	task_samples_free(&ts);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
