/* The metrics endpoint's text: exact for a small input, label values
 * escaped, and the per-type totals folded from the model (fixed buckets
 * from log2 ones, never going down when tasks end and are pruned). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "export/metrics_collect.h"
#include "export/metrics_text.h"
#include "model/task_model.h"
#include "probe/site_table.h"

int check_passed, check_failed;

#define US 1000ULL
#define MS 1000000ULL

static const char expected[] =
    "# HELP cattop_info The traced process; mode is probes, duty (probes in duty_pct % of "
    "every second: counts of those windows only) or light (no probes: no poll counts).\n"
    "# TYPE cattop_info gauge\n"
    "cattop_info{pid=\"42\",process=\"svc\",mode=\"probes\"} 1\n"
    "# HELP cattop_traced_seconds_total Time the probes were in since the attach: the poll "
    "counters count polls of this time only.\n"
    "# TYPE cattop_traced_seconds_total counter\n"
    "cattop_traced_seconds_total{pid=\"42\",process=\"svc\"} 2.5\n"
    "# HELP cattop_slow_poll_threshold_seconds Polls longer than this count as slow.\n"
    "# TYPE cattop_slow_poll_threshold_seconds gauge\n"
    "cattop_slow_poll_threshold_seconds{pid=\"42\",process=\"svc\"} 0.0001\n"
    "# HELP cattop_events_lost_total Probe events lost in a full ring buffer (their polls "
    "are not timed).\n"
    "# TYPE cattop_events_lost_total counter\n"
    "cattop_events_lost_total{pid=\"42\",process=\"svc\"} 3\n"
    "# HELP cattop_cpu_seconds_total CPU time cattop itself used.\n"
    "# TYPE cattop_cpu_seconds_total counter\n"
    "cattop_cpu_seconds_total{pid=\"42\",process=\"svc\"} 1.5\n"
    "# HELP cattop_resident_memory_bytes cattop's own resident memory.\n"
    "# TYPE cattop_resident_memory_bytes gauge\n"
    "cattop_resident_memory_bytes{pid=\"42\",process=\"svc\"} 4096\n"
    "# HELP cattop_tasks_seen_total Tasks of this type seen since the attach.\n"
    "# TYPE cattop_tasks_seen_total counter\n"
    "cattop_tasks_seen_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} 7\n"
    "# HELP cattop_tasks Tasks now, by state (done: ended, still retained for the view).\n"
    "# TYPE cattop_tasks gauge\n"
    "cattop_tasks{pid=\"42\",process=\"svc\",task_type=\"app::conn\",state=\"idle\"} 4\n"
    "cattop_tasks{pid=\"42\",process=\"svc\",task_type=\"app::conn\",state=\"scheduled\"} 0\n"
    "cattop_tasks{pid=\"42\",process=\"svc\",task_type=\"app::conn\",state=\"running\"} 1\n"
    "cattop_tasks{pid=\"42\",process=\"svc\",task_type=\"app::conn\",state=\"done\"} 2\n"
    "# HELP cattop_polls_total Polls of tasks of this type.\n"
    "# TYPE cattop_polls_total counter\n"
    "cattop_polls_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} 10\n"
    "# HELP cattop_busy_seconds_total Time spent in polls of tasks of this type (waits for a "
    "CPU excluded).\n"
    "# TYPE cattop_busy_seconds_total counter\n"
    "cattop_busy_seconds_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} 0.012\n"
    "# HELP cattop_slow_polls_total Polls longer than cattop_slow_poll_threshold_seconds.\n"
    "# TYPE cattop_slow_polls_total counter\n"
    "cattop_slow_polls_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} 2\n"
    "# HELP cattop_poll_duration_seconds Duration of the timed polls of tasks of this type.\n"
    "# TYPE cattop_poll_duration_seconds histogram\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.000008192\"} 1\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.000032768\"} 2\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.000065536\"} 3\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.000131072\"} 4\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.000262144\"} 5\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.001048576\"} 6\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.004194304\"} 7\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.016777216\"} 8\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"0.134217728\"} 9\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"1.073741824\"} 9\n"
    "cattop_poll_duration_seconds_bucket{pid=\"42\",process=\"svc\",task_type=\"app::conn\","
    "le=\"+Inf\"} 10\n"
    "cattop_poll_duration_seconds_sum{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} "
    "0.012\n"
    "cattop_poll_duration_seconds_count{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} "
    "10\n";

static struct metrics_type conn(void)
{
	struct metrics_type t = {
	    .name = "app::conn",
	    .tasks_seen = 7,
	    .tasks = {[METRICS_IDLE] = 4, [METRICS_RUNNING] = 1, [METRICS_DONE] = 2},
	    .polls = 10,
	    .slow_polls = 2,
	    .poll = {.le = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9}, .count = 10, .sum_ns = 12 * MS},
	};
	return t;
}

static struct metrics_input input(const struct metrics_type *types, size_t n)
{
	struct metrics_input in = {
	    .pid = 42,
	    .process = "svc",
	    .threshold_ns = 100 * US,
	    .events_lost = 3,
	    .cpu_ns = 1500 * MS,
	    .rss_bytes = 4096,
	    .traced_ns = 2500 * MS,
	    .types = types,
	    .count = n,
	};
	return in;
}

static void test_exact_text(void)
{
	struct metrics_type t = conn();
	struct metrics_input in = input(&t, 1);
	char *text;
	size_t len;

	CHECK(metrics_text_render(&in, &text, &len) == 0);
	CHECK(len == strlen(expected));
	CHECK_STR(text, expected);
	/* no wake probes: no scheduled-delay families at all */
	CHECK(!strstr(text, "cattop_wakes_total") && !strstr(text, "scheduled_delay"));
	free(text);
}

static void test_escaping(void)
{
	struct metrics_type t = conn();
	struct metrics_input in = input(&t, 1);
	char *text;
	size_t len;

	/* a Rust type name with a string const generic can hold anything */
	t.name = "app::Conn<\"a\\b\nc\">";
	in.process = "we\"ird";
	in.light = true;
	CHECK(metrics_text_render(&in, &text, &len) == 0);
	CHECK(strstr(text, "cattop_tasks_seen_total{pid=\"42\",process=\"we\\\"ird\","
			   "task_type=\"app::Conn<\\\"a\\\\b\\nc\\\">\"} 7\n") != NULL);
	CHECK(strstr(text, "mode=\"light\"} 1\n") != NULL);
	/* nothing traced: the family declared, no sample */
	CHECK(strstr(text, "# TYPE cattop_traced_seconds_total counter\n# HELP") != NULL);
	CHECK(!strstr(text, "cattop_traced_seconds_total{"));
	/* light mode counts no polls: the families are declared, with no sample */
	CHECK(strstr(text, "# TYPE cattop_polls_total counter\n# HELP") != NULL);
	CHECK(!strstr(text, "cattop_polls_total{") && !strstr(text, "_bucket{"));
	/* the only newlines are the lines' own: every line is a comment or a sample */
	CHECK(!strstr(text, "\nc\\\""));
	free(text);
}

/* Duty-cycled: the mode and its share say the counts are of the windows,
 * and the traced time is what to divide them by. */
static void test_duty_mode(void)
{
	struct metrics_type t = conn();
	struct metrics_input in = input(&t, 1);
	char *text;
	size_t len;

	in.duty_pct = 10;
	CHECK(metrics_text_render(&in, &text, &len) == 0);
	CHECK(strstr(text, "cattop_info{pid=\"42\",process=\"svc\",mode=\"duty\",duty_pct=\"10\"} "
			   "1\n") != NULL);
	CHECK(strstr(text, "cattop_traced_seconds_total{pid=\"42\",process=\"svc\"} 2.5\n") !=
	      NULL);
	CHECK(strstr(text, "cattop_polls_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} "
			   "10\n") != NULL);
	free(text);
}

static void test_sched_families(void)
{
	struct metrics_type t = conn();
	struct metrics_input in = input(&t, 1);
	char *text;
	size_t len;

	t.wakes = 5;
	t.sched = (struct metrics_hist){
	    .le = {2, 3, 3, 3, 3, 3, 3, 3, 3, 3}, .count = 3, .sum_ns = 20 * US};
	in.sched_measured = true;
	CHECK(metrics_text_render(&in, &text, &len) == 0);
	CHECK(strstr(text, "# TYPE cattop_scheduled_delay_seconds histogram\n") != NULL);
	CHECK(strstr(text, "cattop_wakes_total{pid=\"42\",process=\"svc\",task_type=\"app::conn\"} "
			   "5\n") != NULL);
	CHECK(strstr(text, "cattop_scheduled_delay_seconds_sum{pid=\"42\",process=\"svc\","
			   "task_type=\"app::conn\"} 0.00002\n") != NULL);
	free(text);
}

static size_t count_of(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* Several processes: each family declared once, then each process's
 * samples; one light process among probed ones has no poll samples, and
 * the wake families appear for the process that has them only; cattop's
 * own cost once, unlabelled (sum() must not count it twice). */
static void test_several_processes(void)
{
	struct metrics_type t = conn(), u = conn();
	struct metrics_input in[3] = {input(&t, 1), input(&u, 1), input(&t, 1)};
	char *text;
	size_t len;

	in[1].pid = 43;
	in[1].sched_measured = true;
	u.wakes = 9;
	in[2].pid = 44;
	in[2].process = "other";
	in[2].light = true;
	CHECK(metrics_text_render_many(in, 3, &text, &len) == 0);
	CHECK(count_of(text, "# TYPE cattop_slow_polls_total counter\n") == 1);
	CHECK(count_of(text, "# TYPE cattop_poll_duration_seconds histogram\n") == 1);
	CHECK(count_of(text, "cattop_slow_polls_total{") == 2); /* not the light one's */
	CHECK(strstr(text,
		     "cattop_slow_polls_total{pid=\"42\",process=\"svc\","
		     "task_type=\"app::conn\"} 2\ncattop_slow_polls_total{pid=\"43\"") != NULL);
	CHECK(strstr(text, "cattop_tasks_seen_total{pid=\"44\",process=\"other\",") != NULL);
	CHECK(strstr(text, "cattop_info{pid=\"44\",process=\"other\",mode=\"light\"} 1\n") != NULL);
	CHECK(count_of(text, "cattop_wakes_total{") == 1);
	CHECK(strstr(text, "cattop_wakes_total{pid=\"43\",process=\"svc\",task_type=\"app::conn\"} "
			   "9\n") != NULL);
	CHECK(strstr(text, "\ncattop_cpu_seconds_total 1.5\n") != NULL);
	CHECK(count_of(text, "cattop_cpu_seconds_total{") == 0);
	CHECK(strstr(text, "\ncattop_resident_memory_bytes 4096\n") != NULL);
	/* every sample's family was declared before it */
	CHECK(strstr(text, "# TYPE cattop_wakes_total counter\n") <
	      strstr(text, "cattop_wakes_total{"));
	free(text);
}

/* A task polled at the given durations, at a 100us threshold. */
static struct task *task_with_polls(struct task_model *m, uint64_t key, const uint64_t *durs,
				    size_t n)
{
	struct task *t = task_model_task(m, key, false, 1000 * MS);
	uint64_t at = 2000 * MS;
	size_t i;

	for (i = 0; i < n; i++, at += 10 * MS) {
		poll_stats_begin(&t->stats, at);
		poll_stats_end(&t->stats, at, at + durs[i], 0, 100 * US);
	}
	return t;
}

static void test_collect_folds_and_keeps_totals(void)
{
	/* 1us, 20us, 200us, 3ms, 2s: one in each of five fixed buckets */
	static const uint64_t durs[] = {1 * US, 20 * US, 200 * US, 3 * MS, 2000 * MS};
	struct site_table sites = {0}; /* no sites: every task is "(task)" */
	struct metrics_collector c = {0};
	struct task_model m;
	const struct metrics_type *t;

	task_model_init(&m, 100 * US, 0, 0);
	task_with_polls(&m, 0x1000, durs, 5)->sched =
	    (struct sched_stats){.wakes = 4,
				 .scheduled = 2,
				 .scheduled_ns = 30 * US,
				 .hist = {[14] = 2}}; /* 2 of [16.4us, 32.8us) */
	task_with_polls(&m, 0x2000, durs, 2);
	CHECK(metrics_collect_model(&c, &m, &sites) == 0);
	CHECK(c.count == 1);
	t = &c.types[0];
	CHECK_STR(t->name, "(task)");
	CHECK(t->tasks_seen == 2 && t->tasks[METRICS_IDLE] == 2);
	CHECK(t->polls == 7 && t->slow_polls == 3 && t->poll.count == 7);
	CHECK(t->poll.le[0] == 2);			 /* < 8.192us */
	CHECK(t->poll.le[1] == 4 && t->poll.le[3] == 4); /* < 32.768us .. < 131us */
	CHECK(t->poll.le[4] == 5 && t->poll.le[5] == 5); /* < 262us: 200us is */
	CHECK(t->poll.le[6] == 6);			 /* < 4.19ms: 3ms is */
	CHECK(t->poll.le[9] == 6 && t->poll.count == 7); /* 2s only in +Inf */
	CHECK(t->poll.sum_ns == 2 * (1 + 20) * US + 200 * US + 3 * MS + 2000 * MS);

	/* both end and are pruned: the totals stay, the tasks leave the gauges */
	task_model_task_ended(&m, 0x1000, 3000 * MS);
	task_model_task_ended(&m, 0x2000, 3000 * MS);
	task_model_prune(&m, 5000 * MS);
	CHECK(m.task_count == 0 && m.pruned_count == 1);
	CHECK(metrics_collect_model(&c, &m, &sites) == 0);
	t = &c.types[0];
	CHECK(t->tasks_seen == 2 && t->polls == 7 && t->slow_polls == 3 && t->poll.le[5] == 5);
	CHECK(t->tasks[METRICS_IDLE] == 0 && t->tasks[METRICS_DONE] == 0);
	/* from the model's pruned totals, not only from what c remembered */
	struct metrics_collector fresh = {0};

	CHECK(metrics_collect_model(&fresh, &m, &sites) == 0);
	CHECK(fresh.count == 1 && fresh.types[0].polls == 7 && fresh.types[0].tasks_seen == 2 &&
	      fresh.types[0].poll.le[6] == 6 && fresh.types[0].poll.count == 7);
	/* wakes and scheduled delays too (pruned groups keep them) */
	CHECK(fresh.types[0].wakes == 4 && fresh.types[0].sched.count == 2 &&
	      fresh.types[0].sched.le[0] == 0 && fresh.types[0].sched.le[1] == 2 &&
	      fresh.types[0].sched.sum_ns == 30 * US);
	metrics_collector_free(&fresh);

	/* a model that lost them (rebuilt): counters never go down */
	task_model_free(&m);
	task_model_init(&m, 100 * US, 0, 0);
	CHECK(metrics_collect_model(&c, &m, &sites) == 0);
	t = &c.types[0];
	CHECK(c.count == 1 && t->polls == 7 && t->poll.count == 7 && t->tasks_seen == 2);
	task_model_free(&m);
	metrics_collector_free(&c);
}

int main(void)
{
	test_exact_text();
	test_escaping();
	test_duty_mode();
	test_sched_families();
	test_several_processes();
	test_collect_folds_and_keeps_totals();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
