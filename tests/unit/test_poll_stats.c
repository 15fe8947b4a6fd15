/* Poll statistics on their own: the longest polls kept whatever the
 * threshold, and the slow count recounted for a new threshold (exact on a
 * bucket boundary, approximate inside a bucket, never below what is kept). */
#include <stdlib.h>

#include "check.h"
#include "model/task_model.h"

int check_passed, check_failed;

#define US 1000ULL
#define MS 1000000ULL

static void poll(struct poll_stats *s, uint64_t at, uint64_t dur, uint64_t thr)
{
	poll_stats_begin(s, at);
	poll_stats_end(s, at, at + dur, NULL, thr);
}

/* 100 polls of 100-160us, 3 of 2ms, 1 of 8ms, at a 50us threshold. */
static void fill(struct poll_stats *s)
{
	uint64_t t = 1000 * MS;
	int i;

	for (i = 0; i < 100; i++, t += MS)
		poll(s, t, 100 * US + (uint64_t)(i % 7) * 10 * US, 50 * US);
	for (i = 0; i < 3; i++, t += 10 * MS)
		poll(s, t, 2 * MS, 50 * US);
	poll(s, t, 8 * MS, 50 * US);
}

static void test_longest_kept_newest_and_worst(void)
{
	struct poll_stats s = {0};

	fill(&s);
	CHECK(s.slow_polls == 104);
	CHECK(s.longest[0].duration_ns == 8 * MS);
	CHECK(s.longest[1].duration_ns == 2 * MS && s.longest[3].duration_ns == 2 * MS);
	CHECK(s.longest[4].duration_ns == 160 * US);
	/* the newest slow poll is the 8ms one, the one before a 2ms one */
	CHECK(s.recent_slow[(s.slow_polls - 1) % RECENT_SLOW_POLLS].duration_ns == 8 * MS);
}

static void test_rethreshold(void)
{
	struct poll_stats s = {0};
	uint64_t newest;

	fill(&s);
	/* 5ms is inside the [4.19ms, 8.39ms) bucket holding only the 8ms poll:
	 * 1 either way, but counted in proportion, so marked approximate */
	poll_stats_rethreshold(&s, 5 * MS);
	CHECK(s.slow_polls == 1);
	newest = s.recent_slow[(s.slow_polls - 1) % RECENT_SLOW_POLLS].duration_ns;
	CHECK(newest == 8 * MS);
	/* 2^20 ns = 1.048576ms, a bucket boundary: exact, the four long ones */
	poll_stats_rethreshold(&s, (1ULL << 20) - 1);
	CHECK(s.slow_polls == 4 && !s.slow_approx);
	/* over everything: none, and the longest polls are still there */
	poll_stats_rethreshold(&s, 10 * MS);
	CHECK(s.slow_polls == 0 && s.longest[0].duration_ns == 8 * MS);
	/* back down to 50us: the 100-160us polls count again (recounted, the
	 * recent list keeps only what it had) */
	poll_stats_rethreshold(&s, 50 * US);
	CHECK(s.slow_polls == 104 && !s.slow_approx);
	/* a new poll counts against the new threshold */
	poll(&s, 5000 * MS, 60 * US, 50 * US);
	CHECK(s.slow_polls == 105);
}

static void test_model_threshold(void)
{
	struct task_model m;
	struct task *t;
	struct future_node *n;

	task_model_init(&m, 50 * US, 1000 * MS, 10);
	t = task_model_task(&m, 1, false, 0);
	n = task_model_child(t, NULL, 0);
	fill(&t->stats);
	fill(&n->stats);
	task_model_set_threshold(&m, (1ULL << 20) - 1);
	CHECK(m.threshold_ns == (1ULL << 20) - 1);
	CHECK(t->stats.slow_polls == 4 && n->stats.slow_polls == 4);
	task_model_free(&m);
}

int main(void)
{
	test_longest_kept_newest_and_worst();
	test_rethreshold();
	test_model_threshold();
	printf("test_poll_stats: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
