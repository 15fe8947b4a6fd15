#include "export/metrics_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const uint64_t metrics_bucket_ns[METRICS_BUCKETS] = {
    1ULL << 13, /* 8.192us */
    1ULL << 15, /* 32.768us */
    1ULL << 16, /* 65.536us */
    1ULL << 17, /* 131.072us: the default 100us threshold lies below */
    1ULL << 18, /* 262.144us */
    1ULL << 20, /* 1.048576ms */
    1ULL << 22, /* 4.194304ms */
    1ULL << 24, /* 16.777216ms */
    1ULL << 27, /* 134.217728ms */
    1ULL << 30, /* 1.073741824s */
};

static const char *const state_names[METRICS_STATES] = {"idle", "scheduled", "running", "done"};

void metrics_write_seconds(FILE *out, uint64_t ns)
{
	char frac[16];
	int n;

	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000ULL));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(out, "%llu%s%s", (unsigned long long)(ns / 1000000000ULL), n ? "." : "", frac);
}

/* The format's escapes for a label value; names come from the target's
 * DWARF, where a Rust type may carry any of them. */
static void write_label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '"')
			fputs("\\\"", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{pid="..",process=".."[,task_type=".."] with the brace left open
 * for more labels. */
static void open_sample(FILE *out, const struct metrics_input *in, const char *name,
			const char *task_type)
{
	fprintf(out, "%s{pid=\"%d\",process=\"", name, in->pid);
	write_label_value(out, in->process);
	fputc('"', out);
	if (task_type) {
		fputs(",task_type=\"", out);
		write_label_value(out, task_type);
		fputc('"', out);
	}
}

static void process_u64(FILE *out, const struct metrics_input *in, const char *name, uint64_t v)
{
	open_sample(out, in, name, NULL);
	fprintf(out, "} %llu\n", (unsigned long long)v);
}

static void process_seconds(FILE *out, const struct metrics_input *in, const char *name,
			    uint64_t ns)
{
	open_sample(out, in, name, NULL);
	fputs("} ", out);
	metrics_write_seconds(out, ns);
	fputc('\n', out);
}

static void info_sample(FILE *out, const struct metrics_input *in)
{
	open_sample(out, in, "cattop_info", NULL);
	if (in->light)
		fputs(",mode=\"light\"} 1\n", out);
	else if (in->duty_pct)
		fprintf(out, ",mode=\"duty\",duty_pct=\"%u\"} 1\n", in->duty_pct);
	else
		fputs(",mode=\"probes\"} 1\n", out);
}

/* cattop's own cost: per process when it traces one (as it always did),
 * once with no labels when it traces several (the same figure repeated
 * per pid would be summed by sum()). */
static void own_cost(FILE *out, const struct metrics_input *ins, size_t n)
{
	size_t i;

	family(out, "cattop_cpu_seconds_total", "counter", "CPU time cattop itself used.");
	for (i = 0; i < n && n == 1; i++)
		process_seconds(out, &ins[i], "cattop_cpu_seconds_total", ins[i].cpu_ns);
	if (n > 1) {
		fputs("cattop_cpu_seconds_total ", out);
		metrics_write_seconds(out, ins[0].cpu_ns);
		fputc('\n', out);
	}
	family(out, "cattop_resident_memory_bytes", "gauge", "cattop's own resident memory.");
	for (i = 0; i < n && n == 1; i++)
		process_u64(out, &ins[i], "cattop_resident_memory_bytes", ins[i].rss_bytes);
	if (n > 1)
		fprintf(out, "cattop_resident_memory_bytes %llu\n",
			(unsigned long long)ins[0].rss_bytes);
}

static void write_process(FILE *out, const struct metrics_input *ins, size_t n)
{
	size_t i;

	family(out, "cattop_info", "gauge",
	       "The traced process; mode is probes, duty (probes in duty_pct % of every second: "
	       "counts of those windows only) or light (no probes: no poll counts).");
	for (i = 0; i < n; i++)
		info_sample(out, &ins[i]);
	/* What the poll counters cover: rate(polls) / rate(traced) is polls per
	 * second traced, whatever the mode. None in light mode: nothing traced. */
	family(out, "cattop_traced_seconds_total", "counter",
	       "Time the probes were in since the attach: the poll counters count polls of "
	       "this time only.");
	for (i = 0; i < n; i++)
		if (!ins[i].light)
			process_seconds(out, &ins[i], "cattop_traced_seconds_total",
					ins[i].traced_ns);
	family(out, "cattop_slow_poll_threshold_seconds", "gauge",
	       "Polls longer than this count as slow.");
	for (i = 0; i < n; i++)
		process_seconds(out, &ins[i], "cattop_slow_poll_threshold_seconds",
				ins[i].threshold_ns);
	family(out, "cattop_events_lost_total", "counter",
	       "Probe events lost in a full ring buffer (their polls are not timed).");
	for (i = 0; i < n; i++)
		process_u64(out, &ins[i], "cattop_events_lost_total", ins[i].events_lost);
	own_cost(out, ins, n);
}

typedef uint64_t (*type_value)(const struct metrics_type *t);

static uint64_t v_seen(const struct metrics_type *t)
{
	return t->tasks_seen;
}
static uint64_t v_polls(const struct metrics_type *t)
{
	return t->polls;
}
static uint64_t v_slow(const struct metrics_type *t)
{
	return t->slow_polls;
}
static uint64_t v_busy(const struct metrics_type *t)
{
	return t->poll.sum_ns;
}
static uint64_t v_blocked(const struct metrics_type *t)
{
	return t->blocked_ns;
}
static uint64_t v_wakes(const struct metrics_type *t)
{
	return t->wakes;
}

/* A per-type family with one sample per type; seconds: value is ns. */
static void per_type_samples(FILE *out, const struct metrics_input *in, const char *name,
			     type_value value, bool seconds)
{
	size_t i;

	for (i = 0; i < in->count; i++) {
		open_sample(out, in, name, in->types[i].name);
		fputs("} ", out);
		if (seconds)
			metrics_write_seconds(out, value(&in->types[i]));
		else
			fprintf(out, "%llu", (unsigned long long)value(&in->types[i]));
		fputc('\n', out);
	}
}

static void state_samples(FILE *out, const struct metrics_input *in)
{
	size_t i;
	int s;

	for (i = 0; i < in->count; i++)
		for (s = 0; s < METRICS_STATES; s++) {
			open_sample(out, in, "cattop_tasks", in->types[i].name);
			fprintf(out, ",state=\"%s\"} %llu\n", state_names[s],
				(unsigned long long)in->types[i].tasks[s]);
		}
}

static void hist_samples(FILE *out, const struct metrics_input *in, const char *name,
			 const char *type, const struct metrics_hist *h)
{
	char series[96];
	int b;

	snprintf(series, sizeof(series), "%s_bucket", name);
	for (b = 0; b < METRICS_BUCKETS; b++) {
		open_sample(out, in, series, type);
		fputs(",le=\"", out);
		metrics_write_seconds(out, metrics_bucket_ns[b]);
		fprintf(out, "\"} %llu\n", (unsigned long long)h->le[b]);
	}
	open_sample(out, in, series, type);
	fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
	snprintf(series, sizeof(series), "%s_sum", name);
	open_sample(out, in, series, type);
	fputs("} ", out);
	metrics_write_seconds(out, h->sum_ns);
	fputc('\n', out);
	snprintf(series, sizeof(series), "%s_count", name);
	open_sample(out, in, series, type);
	fprintf(out, "} %llu\n", (unsigned long long)h->count);
}

/* Light mode counts no polls: unknown is no sample, never a 0 that would
 * read as "no slow polls". The families stay declared. */
static struct metrics_input polls_of(const struct metrics_input *in)
{
	struct metrics_input p = *in;

	if (in->light)
		p.count = 0;
	return p;
}

enum poll_filter { ALL_INPUTS, POLLS_ONLY, BLOCKED_ONLY, SCHED_ONLY };

static bool input_counts(const struct metrics_input *in, enum poll_filter f)
{
	return f == ALL_INPUTS || f == POLLS_ONLY || (f == BLOCKED_ONLY && in->blocked_measured) ||
	       (f == SCHED_ONLY && in->sched_measured);
}

/* A per-type counter family over every process. */
static void per_type(FILE *out, const struct metrics_input *ins, size_t n, const char *name,
		     const char *help, type_value value, bool seconds, enum poll_filter f)
{
	size_t i;

	family(out, name, "counter", help);
	for (i = 0; i < n; i++) {
		struct metrics_input in = f == ALL_INPUTS ? ins[i] : polls_of(&ins[i]);

		if (input_counts(&in, f))
			per_type_samples(out, &in, name, value, seconds);
	}
}

static void histogram(FILE *out, const struct metrics_input *ins, size_t n, const char *name,
		      const char *help, bool sched)
{
	size_t i, j;

	family(out, name, "histogram", help);
	for (i = 0; i < n; i++) {
		struct metrics_input in = polls_of(&ins[i]);

		if (sched && !in.sched_measured)
			continue;
		for (j = 0; j < in.count; j++)
			hist_samples(out, &in, name, in.types[j].name,
				     sched ? &in.types[j].sched : &in.types[j].poll);
	}
}

static bool any(const struct metrics_input *ins, size_t n, enum poll_filter f)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (input_counts(&ins[i], f))
			return true;
	return false;
}

static void write_types(FILE *out, const struct metrics_input *ins, size_t n)
{
	size_t i;

	per_type(out, ins, n, "cattop_tasks_seen_total",
		 "Tasks of this type seen since the attach.", v_seen, false, ALL_INPUTS);
	family(out, "cattop_tasks", "gauge",
	       "Tasks now, by state (done: ended, still retained for the view).");
	for (i = 0; i < n; i++)
		state_samples(out, &ins[i]);
	per_type(out, ins, n, "cattop_polls_total", "Polls of tasks of this type.", v_polls, false,
		 POLLS_ONLY);
	per_type(out, ins, n, "cattop_busy_seconds_total",
		 "Time spent in polls of tasks of this type (waits for a CPU excluded).", v_busy,
		 true, POLLS_ONLY);
	if (any(ins, n, BLOCKED_ONLY))
		per_type(
		    out, ins, n, "cattop_blocked_seconds_total",
		    "Of cattop_busy_seconds_total, time asleep in the kernel (a lock, blocking "
		    "I/O, a sleep) in polls of tasks of this type.",
		    v_blocked, true, BLOCKED_ONLY);
	per_type(out, ins, n, "cattop_slow_polls_total",
		 "Polls longer than cattop_slow_poll_threshold_seconds.", v_slow, false,
		 POLLS_ONLY);
	histogram(out, ins, n, "cattop_poll_duration_seconds",
		  "Duration of the timed polls of tasks of this type.", false);
	if (!any(ins, n, SCHED_ONLY))
		return;
	per_type(out, ins, n, "cattop_wakes_total", "Wakes of tasks of this type.", v_wakes, false,
		 SCHED_ONLY);
	histogram(out, ins, n, "cattop_scheduled_delay_seconds",
		  "From a task's wake to the poll it caused: its wait for a worker.", true);
}

int metrics_text_render(const struct metrics_input *in, char **text, size_t *len)
{
	return metrics_text_render_many(in, 1, text, len);
}

int metrics_text_render_many(const struct metrics_input *ins, size_t n, char **text, size_t *len)
{
	FILE *out;

	*text = NULL;
	*len = 0;
	out = open_memstream(text, len);
	if (!out)
		return -ENOMEM;
	write_process(out, ins, n);
	write_types(out, ins, n);
	if (fclose(out) || !*text) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
