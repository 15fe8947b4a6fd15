#include "report/batch_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/await_chain.h"
#include "model/task_lints.h"
#include "model/task_view.h"
#include "session/session.h"
#include "util/duration.h"
#include "util/safe_text.h"

/* Whether every live task is listed, or why not. */
static void print_walk(FILE *out, const struct walk_summary *w)
{
	char took[16];

	if (!w->active && !w->status[0]) /* a replay: no process to read */
		fputc('\n', out);
	else if (!w->active)
		fprintf(out, "Task lists: not read: %s (only polled tasks are listed)\n\n",
			w->status);
	else
		fprintf(out, "Task lists: %zu live tasks in %zu runtime%s, read in %s%s%s\n\n",
			w->tasks, w->runtimes, w->runtimes == 1 ? "" : "s",
			duration_format(w->walk_ns, took, sizeof(took)),
			w->complete ? "" : ", incomplete: ", w->complete ? "" : w->status);
}

/* tokio-console's warnings, when a lint holds for some task. */
static void print_warnings(FILE *out, const struct session *s, uint64_t now)
{
	size_t counts[LINT_KINDS];
	char summary[256];
	struct await_source src;
	struct lint_ctx c;

	session_lint_ctx(s, now, &src, &c);
	task_lints_count(&c, counts);
	if (task_lints_summary(counts, summary, sizeof(summary))[0])
		fprintf(out, "Warnings: %s\n", summary);
}

static const char *parked_at(const struct session *s, const struct task *t, char *buf, size_t len);

/* Light mode's header: no probes, what the sampler costs. */
static void print_light_header(FILE *out, const struct session *s, uint64_t now)
{
	const struct light_summary *l = &s->light_summary;
	char up[16], comm[160], runtime[160];

	fprintf(out, "cattop - pid %d %s  runtime %s  up %s  light mode: no probes, ",
		s->target.pid, safe_text(s->target.comm, comm, sizeof(comm)),
		safe_text(s->sites.runtime->name, runtime, sizeof(runtime)),
		duration_format(now - s->started_ns, up, sizeof(up)));
	if (l->sampling)
		fprintf(out, "sampling %d Hz  samples %llu  cost ~%.2f%% CPU%s\n", l->hz,
			(unsigned long long)s->samples.samples, session_probe_cost_pct(s, now),
			s->target.exited ? "  [process exited]" : "");
	else
		fprintf(out, "not sampling: %s%s\n", l->status,
			s->target.exited ? "  [process exited]" : "");
}

/* A running task's poll: how long at least, '!' once wedged. */
static const char *run_cell(const struct session *s, const struct task *t, char *buf, size_t len)
{
	const struct sampled_thread *th =
	    t->running_tid ? task_samples_thread(&s->samples, t->running_tid) : NULL;
	char d[16];

	if (!th)
		return "-";
	snprintf(buf, len, "\xe2\x89\xa5%s%s", duration_format(th->last - th->since, d, sizeof(d)),
		 task_samples_wedged(&s->samples, th) ? "!" : "");
	return buf;
}

/* Light mode: CPU shares from the samples; no poll counts or times ("-"). */
static void print_light_task(FILE *out, const struct session *s, const struct task *t, uint64_t now)
{
	const struct sampled_task *st = task_samples_get(&s->samples, task_sample_key(t));
	char at[300], run[32], idle[24];
	const char *idle_text = task_idle_format(&s->model, t, now, idle, sizeof(idle));
	const char *run_text = run_cell(s, t, run, sizeof(run));
	/* printf pads by bytes: the 3-byte '≥' shows as one column. */
	int idle_width = 9 + (strncmp(idle_text, "\xe2\x89\xa5", 3) == 0 ? 2 : 0);
	int run_width = 10 + (strncmp(run_text, "\xe2\x89\xa5", 3) == 0 ? 2 : 0);

	char cpu[16] = "-", recent[16] = "-";

	/* Not sampling (smol): the shares are unknown, not 0. */
	if (s->light_summary.sampling) {
		snprintf(cpu, sizeof(cpu), "%.1f", task_samples_cpu_pct(&s->samples, st, now));
		snprintf(recent, sizeof(recent), "%.1f", task_samples_recent_pct(&s->samples, st));
	}
	fprintf(out, "%6llu %-9s %6s %6s %*s %8s %*s  ", (unsigned long long)t->id,
		task_state_name(task_state(t)), cpu, recent, run_width, run_text, "-", idle_width,
		idle_text);
	safe_text_write(out, task_name(t, &s->sites));
	safe_text_write(out, parked_at(s, t, at, sizeof(at)));
	fputc('\n', out);
}

static void print_header(FILE *out, const struct session *s, struct task_counts c, uint64_t now)
{
	char thr[16], up[16], comm[160], runtime[160];

	if (s->light) {
		print_light_header(out, s, now);
		fprintf(out, "Tasks: %zu total, %zu running, %zu idle, %zu done\n", c.total,
			c.running, c.idle, c.done);
		print_walk(out, &s->walk_summary);
		batch_table_titles(out, true);
		return;
	}

	fprintf(out,
		"cattop - pid %d %s  runtime %s  threshold %s on cpu+blocked  up %s  probes %zu",
		s->target.pid, safe_text(s->target.comm, comm, sizeof(comm)),
		safe_text(s->sites.runtime->name, runtime, sizeof(runtime)),
		duration_format(s->model.threshold_ns, thr, sizeof(thr)),
		duration_format(now - s->started_ns, up, sizeof(up)), s->probes.attached_sites);
	if (s->focus.active) {
		fprintf(out, " +%zu focus ", s->focus.futures);
		safe_text_write(out, s->focus.label);
	}
	if (s->probes.rejected_sites)
		fprintf(out, " (%zu rejected)", s->probes.rejected_sites);
	if (s->sites.unproven)
		fprintf(out, " (%zu unproven)", s->sites.unproven);
	fprintf(out, "  events %llu lost %llu  cost ~%.1f%% CPU%s\n",
		(unsigned long long)s->tracker.counters.events, (unsigned long long)s->events_lost,
		session_probe_cost_pct(s, now), s->target.exited ? "  [process exited]" : "");
	if (s->duty.pct) {
		char duty[320];

		duty_cycle_describe(&s->duty, now, duty, sizeof(duty));
		fprintf(out, "%s\n", duty);
	}
	fprintf(out, "Tasks: %zu total, %zu running, %zu idle, %zu done\n", c.total, c.running,
		c.idle, c.done);
	print_warnings(out, s, now);
	print_walk(out, &s->walk_summary);
	batch_table_titles(out, false);
}

/* A duration column, with '!' when over the threshold (readable without colour). */
static const char *duration_cell(uint64_t ns, uint64_t threshold, char *buf, size_t len)
{
	char d[16];

	if (!ns)
		return "-";
	snprintf(buf, len, "%s%s", duration_format(ns, d, sizeof(d)), ns > threshold ? "!" : "");
	return buf;
}

/* Where an idle task is parked: its innermost await line, "" if unknown. */
static const char *parked_at(const struct session *s, const struct task *t, char *buf, size_t len)
{
	struct await_frame chain[AWAIT_CHAIN_MAX];
	struct await_source src;
	size_t n;

	if (!session_await_source(s, &src))
		return "";
	n = await_chain_build(t, &s->sites, &src, chain, AWAIT_CHAIN_MAX, NULL);
	if (!n || !chain[n - 1].awaiting)
		return "";
	snprintf(buf, len, "  @ %s", chain[n - 1].awaiting);
	return buf;
}

/* "  [lost_waker]", "  [awaiting_lock: tokio::sync::Mutex::lock for ≥3.20s]":
 * greppable, before the await line. */
static void print_task_lints(FILE *out, const struct session *s, const struct task *t, uint64_t now)
{
	struct await_source src;
	struct lint_ctx c;
	unsigned mask;
	char detail[300];
	int i;

	session_lint_ctx(s, now, &src, &c);
	mask = task_lints(&c, t);
	for (i = 0; i < LINT_KINDS; i++) {
		enum task_lint lint = (enum task_lint)(1u << i);

		if (!(mask & lint))
			continue;
		fprintf(out, "  [%s", task_lint_name(lint));
		if (task_lint_detail(&c, t, lint, detail, sizeof(detail))[0]) {
			fputs(": ", out);
			safe_text_write(out, detail); /* a type name: the target's */
		}
		fputc(']', out);
	}
}

static void print_task(FILE *out, const struct session *s, const struct task *t, uint64_t now)
{
	char at[300];
	const struct poll_stats *st = &t->stats;
	uint64_t thr = s->model.threshold_ns;
	char busy[16], longest[16], inflight[16], idle[24], sched[16];
	const char *idle_text = task_idle_format(&s->model, t, now, idle, sizeof(idle));
	/* printf pads by bytes: the 3-byte '≥' shows as one column. */
	int idle_width = 9 + (strncmp(idle_text, "\xe2\x89\xa5", 3) == 0 ? 2 : 0);

	fprintf(out, "%6llu %-9s %8llu %9s %9s %9s %6llu %*s %9s  ", (unsigned long long)t->id,
		task_state_name(task_state(t)), (unsigned long long)st->polls,
		st->busy_ns ? duration_format(st->busy_ns, busy, sizeof(busy)) : "-",
		duration_cell(poll_stats_longest(st, now), thr, longest, sizeof(longest)),
		duration_cell(poll_stats_inflight(st, now), thr, inflight, sizeof(inflight)),
		(unsigned long long)st->slow_polls, idle_width, idle_text,
		/* the longest wake-to-poll wait: a busy runtime's first sign */
		duration_cell(t->sched.max_scheduled_ns, UINT64_MAX, sched, sizeof(sched)));
	safe_text_write(out, task_name(t, &s->sites)); /* the target's: escaped */
	fputs(t->block_on ? " (block_on)" : "", out);
	print_task_lints(out, s, t, now);
	safe_text_write(out, parked_at(s, t, at, sizeof(at))); /* file names: the target's */
	fputc('\n', out);
}

/* Light mode has no poll times to sort by: the busiest tasks first. */
static int by_samples(const void *a, const void *b, void *ctx)
{
	const struct task *x = *(struct task *const *)a, *y = *(struct task *const *)b;
	const struct sampled_task *sx = task_samples_get(ctx, task_sample_key(x));
	const struct sampled_task *sy = task_samples_get(ctx, task_sample_key(y));
	uint64_t nx = sx ? sx->samples : 0, ny = sy ? sy->samples : 0;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void batch_table_row(FILE *out, const struct session *s, const struct task *t, uint64_t now)
{
	if (s->light)
		print_light_task(out, s, t, now);
	else
		print_task(out, s, t, now);
}

void batch_table_titles(FILE *out, bool light)
{
	if (light)
		fprintf(out, "%6s %-9s %6s %6s %10s %8s %9s  %s\n", "ID", "STATE", "CPU%", "NOW%",
			"RUNNING", "POLLS", "IDLE", "NAME");
	else
		fprintf(out, "%6s %-9s %8s %9s %9s %9s %6s %9s %9s  %s\n", "ID", "STATE", "POLLS",
			"BUSY", "LONGEST", "INFLIGHT", "SLOW", "IDLE", "SCHED", "NAME");
}

int batch_table_print(FILE *out, const struct session *s, uint64_t now, size_t max_rows,
		      enum task_sort sort)
{
	struct task **tasks;
	size_t i, n = task_view_sorted(&s->model, &s->sites, sort, false, now, &tasks);
	size_t shown = max_rows && max_rows < n ? max_rows : n;

	if (s->light && tasks)
		qsort_r(tasks, n, sizeof(*tasks), by_samples, (void *)&s->samples);
	print_header(out, s, task_view_count(&s->model), now);
	for (i = 0; i < shown; i++)
		batch_table_row(out, s, tasks[i], now);
	if (shown < n)
		fprintf(out, "%6s ... %zu more tasks (-r 0 shows all)\n", "", n - shown);
	fputc('\n', out);
	free(tasks);
	/* A closed pipe or a full disk: the caller ends, nobody reads. */
	errno = 0;
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
