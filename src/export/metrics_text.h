/* The Prometheus text exposition format (version 0.0.4) of what cattop
 * measured: a pure function of a metrics_input, so it can be tested to the
 * byte. metrics_collect.h fills the input from a session. */
#ifndef CATTOP_METRICS_TEXT_H
#define CATTOP_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The histograms' finite bucket bounds, in ns. Powers of two, because the
 * model keeps log2 buckets ([2^i, 2^(i+1)) ns): a bound at 2^k counts
 * exactly the polls under 2^k ns. Fixed (never derived from the threshold),
 * so series stay comparable across runs and settings; denser around the
 * default 100us threshold. */
#define METRICS_BUCKETS 10
extern const uint64_t metrics_bucket_ns[METRICS_BUCKETS];

enum metrics_state {
	METRICS_IDLE,
	METRICS_SCHEDULED,
	METRICS_RUNNING,
	METRICS_DONE,
	METRICS_STATES
};

/* A histogram: cumulative counts of values < each bound, count (+Inf) and
 * sum. */
struct metrics_hist {
	uint64_t le[METRICS_BUCKETS];
	uint64_t count;
	uint64_t sum_ns;
};

/* One task type: counters since the attach, including tasks already gone. */
struct metrics_type {
	const char *name;
	uint64_t tasks_seen;
	uint64_t tasks[METRICS_STATES]; /* now, by state (gauges) */
	uint64_t polls, slow_polls;
	struct metrics_hist poll; /* sum_ns: busy time */
	uint64_t blocked_ns;	  /* of the busy time, asleep in the kernel */
	uint64_t wakes;
	struct metrics_hist sched; /* scheduled delay of polls whose wake was seen */
};

struct metrics_input {
	int pid;
	const char *process;
	bool light;	       /* no probes: no poll counts (the families still appear, empty) */
	unsigned int duty_pct; /* probes in this % of every second; 0: all the time */
	uint64_t traced_ns;    /* time the probes were in since the attach: the counts' */
	bool sched_measured;   /* wakes probed: the scheduled-delay families appear */
	bool blocked_measured; /* the thread clock runs: the blocked-time family appears */
	uint64_t threshold_ns;
	uint64_t events_lost;
	uint64_t cpu_ns;    /* cattop's own CPU time, user + system */
	uint64_t rss_bytes; /* cattop's resident memory */
	const struct metrics_type *types;
	size_t count;
};

/* Writes the exposition to a malloc'ed, NUL-terminated *text (length in
 * *len). Returns 0 or -ENOMEM. */
int metrics_text_render(const struct metrics_input *in, char **text, size_t *len);
/* The same for several processes: each family once, a sample set per
 * process (pid, process labels); cattop's own cost once, unlabelled. */
int metrics_text_render_many(const struct metrics_input *ins, size_t n, char **text, size_t *len);

/* Seconds as the format wants them, exact from ns: "0.0001", "3", "0". */
void metrics_write_seconds(FILE *out, uint64_t ns);

#endif
