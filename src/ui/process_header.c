#include "ui/process_header.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "model/await_chain.h"
#include "model/task_lints.h"
#include "session/session_set.h"
#include "ui/colors.h"
#include "ui/draw.h"
#include "ui/tui.h"
#include "ui/tui_set.h"
#include "util/duration.h"

struct set_totals {
	struct task_counts tasks;
	size_t probes, gone, light, duty;
	uint64_t lost, started;
	double cost, traced_pct; /* traced_pct: summed over the duty-cycled */
	bool recording;
};

static struct set_totals totals(struct tui *ui)
{
	struct session *current = ui->s;
	struct set_totals t = {.started = UINT64_MAX};
	size_t i;

	for (i = 0; i < ui->set->count; i++) {
		struct traced_process *p = ui->set->procs[i];
		struct task_counts c = task_view_count(&p->s.model);

		t.tasks.total += c.total;
		t.tasks.running += c.running;
		t.tasks.idle += c.idle;
		t.tasks.done += c.done;
		t.probes += p->s.probes.attached_sites;
		t.gone += p->gone;
		t.light += p->s.light;
		t.lost += p->s.events_lost;
		t.recording |= p->s.recorder != NULL;
		if (p->s.started_ns < t.started)
			t.started = p->s.started_ns;
		ui->s = &p->s; /* its clock: frozen if it exited */
		if (!p->gone)
			t.cost += session_probe_cost_pct(&p->s, tui_now(ui));
		if (p->s.duty.pct) {
			t.duty++;
			t.traced_pct += duty_cycle_traced_pct(&p->s.duty, tui_now(ui));
		}
	}
	ui->s = current;
	return t;
}

/* "tokio, smol": each runtime once, in the processes' order. */
static const char *runtimes(const struct session_set *set, char *buf, size_t len)
{
	size_t i, j, used = 0;

	buf[0] = '\0';
	for (i = 0; i < set->count && used < len; i++) {
		const char *name = set->procs[i]->s.sites.runtime->name;

		for (j = 0; j < i; j++)
			if (strcmp(set->procs[j]->s.sites.runtime->name, name) == 0)
				break;
		if (j < i)
			continue;
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
		used = strlen(buf);
	}
	return buf;
}

/* The flags first: on a narrow screen the end of the line is cut off. */
static void draw_first_line(struct tui *ui, const struct set_totals *t)
{
	char line[512], thr[16], up[16], iv[16], rt[128];
	int x = draw_text(0, 0, COLS, color_attr(ROLE_HEADER), "cattop", 0);

	if (t->recording)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " REC", 0);
	if (ui->exited)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " [every process exited]",
			      0);
	if (ui->paused)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " PAUSED", 0);
	snprintf(line, sizeof(line),
		 "  %zu process%s  runtime %s  threshold %s on cpu+blocked  up %s  refresh %s",
		 ui->set->count, ui->set->count == 1 ? "" : "es", runtimes(ui->set, rt, sizeof(rt)),
		 duration_format(ui->s->model.threshold_ns, thr, sizeof(thr)),
		 duration_format(tui_set_now(ui) - t->started, up, sizeof(up)),
		 duration_format(ui->opts.interval_ns, iv, sizeof(iv)));
	draw_text(0, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
}

/* Appends the labels of the live (or the exited) processes to line. */
static void append_labels(const struct session_set *set, bool gone, char *line, size_t len)
{
	size_t i, used = strlen(line);
	bool first = true;

	for (i = 0; i < set->count && used < len; i++) {
		if (set->procs[i]->gone != gone)
			continue;
		snprintf(line + used, len - used, "%s%s", first ? "" : ", ", set->procs[i]->label);
		used = strlen(line);
		first = false;
	}
}

/* "Processes: 2 (wl-tokio:8828, wl-tokio:8833), 1 exited (wl-smol:8840)" */
static void draw_processes_line(struct tui *ui, int y, const struct set_totals *t)
{
	size_t live = ui->set->count - t->gone, used;
	char line[1024];

	if (ui->set->pidof)
		snprintf(line, sizeof(line), "Processes named %s: ", ui->set->pidof);
	else
		snprintf(line, sizeof(line), "Processes: ");
	used = strlen(line);
	if (live) {
		snprintf(line + used, sizeof(line) - used, "%zu (", live);
		append_labels(ui->set, false, line, sizeof(line));
		used = strlen(line);
		snprintf(line + used, sizeof(line) - used, ")%s", t->gone ? ", " : "");
	}
	if (t->gone) {
		used = strlen(line);
		snprintf(line + used, sizeof(line) - used, "%zu exited (", t->gone);
		append_labels(ui->set, true, line, sizeof(line));
		used = strlen(line);
		snprintf(line + used, sizeof(line) - used, ")");
	}
	draw_text(y, 0, COLS, color_attr(ROLE_HEADER), line, 0);
}

static void draw_totals_line(struct tui *ui, int y, const struct set_totals *t)
{
	char line[512];
	int x;

	snprintf(line, sizeof(line), "Tasks: %zu, %zu running, %zu idle, %zu done   ",
		 t->tasks.total, t->tasks.running, t->tasks.idle, t->tasks.done);
	x = draw_text(y, 0, COLS, color_attr(ROLE_HEADER), line, 0);
	if (t->light) {
		snprintf(line, sizeof(line), "LIGHT in %zu: no probes, no poll counts  ", t->light);
		x = draw_text(y, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
	}
	if (t->duty) { /* the counts are of the windows only: said first */
		snprintf(line, sizeof(line), "DUTY %u%%: traced %.1f%%, counts sampled%s  ",
			 ui->s->duty.pct, t->traced_pct / (double)t->duty,
			 ui->s->duty.hold ? " (held)" : "");
		x = draw_text(y, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
	}
	snprintf(line, sizeof(line), "probes %zu  ", t->probes);
	x = draw_text(y, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	if (ui->s->focus.active) { /* drill-down widening, in the process looked at */
		snprintf(line, sizeof(line), "+%zu focus %s  ", ui->s->focus.futures,
			 ui->s->focus.label);
		x = draw_text(y, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	}
	snprintf(line, sizeof(line), "events/s %llu  cost ~%.1f%% CPU  ",
		 (unsigned long long)ui->events_rate, t->cost);
	x = draw_text(y, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	snprintf(line, sizeof(line), "lost %llu", (unsigned long long)t->lost);
	x = draw_text(y, x, COLS - x, color_attr(t->lost ? ROLE_WARNING : ROLE_HEADER), line, 0);
	if (ui->filter[0] || ui->group_filter[0]) {
		snprintf(line, sizeof(line), "   filter: %s",
			 ui->group_filter[0] ? ui->group_filter : ui->filter);
		draw_text(y, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
	}
}

/* The warnings of every process, counted together. */
static int draw_warnings_line(struct tui *ui, int y)
{
	size_t counts[LINT_KINDS] = {0}, one[LINT_KINDS], i, k;
	struct session *current = ui->s;
	char summary[256], line[300];
	struct await_source src;
	struct lint_ctx c;

	for (i = 0; i < ui->set->count; i++) {
		ui->s = &ui->set->procs[i]->s;
		session_lint_ctx(ui->s, tui_now(ui), &src, &c);
		task_lints_count(&c, one);
		for (k = 0; k < LINT_KINDS; k++)
			counts[k] += one[k];
	}
	ui->s = current;
	if (!task_lints_summary(counts, summary, sizeof(summary))[0])
		return y;
	snprintf(line, sizeof(line), "Warnings: %s", summary);
	draw_text(y, 0, COLS, color_attr(ROLE_WARNING), line, 0);
	return y + 1;
}

int process_header_draw(struct tui *ui)
{
	struct set_totals t = totals(ui);

	draw_first_line(ui, &t);
	draw_processes_line(ui, 1, &t);
	draw_totals_line(ui, 2, &t);
	return draw_warnings_line(ui, 3);
}
