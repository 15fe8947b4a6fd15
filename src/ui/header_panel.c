#include "ui/header_panel.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/await_chain.h"
#include "model/task_lints.h"
#include "session/session.h"
#include "ui/colors.h"
#include "ui/draw.h"
#include "ui/process_header.h"
#include "ui/tui.h"
#include "util/duration.h"

/* The PAUSED and exited flags come first: on a narrow screen the end of the
 * line is cut off, and these must always be seen. */
static int draw_first_line(struct tui *ui)
{
	const struct session *s = ui->s;
	char line[512], thr[16], up[16], iv[16], end[16];
	int x = draw_text(0, 0, COLS, color_attr(ROLE_HEADER), "cattop", 0);

	if (s->replay)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " REPLAY", 0);
	if (s->recorder)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " REC", 0);
	if (ui->exited || (s->replay && s->target.exited))
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " [process exited]", 0);
	if (ui->paused)
		x = draw_text(0, x, COLS - x, color_attr(ROLE_WARNING), " PAUSED", 0);
	snprintf(
	    line, sizeof(line),
	    "  pid %d %s  runtime %s  threshold %s on cpu+blocked  %s %s%s%s  refresh %s",
	    s->target.pid, s->target.comm, s->sites.runtime->name,
	    duration_format(s->model.threshold_ns, thr, sizeof(thr)), s->replay ? "at" : "up",
	    duration_format(tui_now(ui) - s->started_ns, up, sizeof(up)), s->replay ? " of " : "",
	    s->replay ? duration_format(session_replay_end(s) - s->started_ns, end, sizeof(end))
		      : "",
	    duration_format(ui->opts.interval_ns, iv, sizeof(iv)));
	return draw_text(0, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
}

static void draw_second_line(struct tui *ui)
{
	const struct session *s = ui->s;
	struct task_counts c = task_view_count(&s->model);
	char line[512];
	int x;

	snprintf(line, sizeof(line), "Tasks: %zu, %zu running, %zu idle, %zu done   ", c.total,
		 c.running, c.idle, c.done);
	x = draw_text(1, 0, COLS, color_attr(ROLE_HEADER), line, 0);
	if (s->light) { /* no probes, no events: what sampling costs */
		if (s->light_summary.sampling)
			snprintf(
			    line, sizeof(line),
			    "LIGHT: no probes, sampling %d Hz, no poll counts  cost ~%.2f%% CPU",
			    s->light_summary.hz, session_probe_cost_pct(s, tui_now(ui)));
		else
			snprintf(line, sizeof(line), "LIGHT: no probes, not sampling: %.200s",
				 s->light_summary.status);
		draw_text(1, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
		return;
	}
	if (s->duty.pct) { /* the counts are of the windows only: said first */
		snprintf(line, sizeof(line), "DUTY %u%%: traced %.1f%%, counts sampled%s  ",
			 s->duty.pct, duty_cycle_traced_pct(&s->duty, tui_now(ui)),
			 s->duty.hold ? " (held)" : "");
		x = draw_text(1, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
	}
	snprintf(line, sizeof(line), "probes %zu  ", s->probes.attached_sites);
	x = draw_text(1, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	if (s->focus.active) {
		/* drill-down widening: which task type's futures are probed now */
		snprintf(line, sizeof(line), "+%zu focus %s  ", s->focus.futures, s->focus.label);
		x = draw_text(1, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	}
	snprintf(line, sizeof(line), "events/s %llu  cost ~%.1f%% CPU  ",
		 (unsigned long long)ui->events_rate, session_probe_cost_pct(s, tui_now(ui)));
	x = draw_text(1, x, COLS - x, color_attr(ROLE_HEADER), line, 0);
	snprintf(line, sizeof(line), "lost %llu", (unsigned long long)s->events_lost);
	x = draw_text(1, x, COLS - x, color_attr(s->events_lost ? ROLE_WARNING : ROLE_HEADER), line,
		      0);

	if (ui->filter[0] || ui->group_filter[0]) {
		snprintf(line, sizeof(line), "   filter: %s",
			 ui->group_filter[0] ? ui->group_filter : ui->filter);
		draw_text(1, x, COLS - x, color_attr(ROLE_WARNING), line, 0);
	}
}

/* tokio-console's warnings line: only when a lint holds for some task. */
static int draw_warnings_line(struct tui *ui, int y)
{
	size_t counts[LINT_KINDS];
	char summary[256], line[300];
	struct await_source src;
	struct lint_ctx c;

	session_lint_ctx(ui->s, tui_now(ui), &src, &c);
	task_lints_count(&c, counts);
	if (!task_lints_summary(counts, summary, sizeof(summary))[0])
		return y;
	snprintf(line, sizeof(line), "Warnings: %s", summary);
	draw_text(y, 0, COLS, color_attr(ROLE_WARNING), line, 0);
	return y + 1;
}

int header_panel_draw(struct tui *ui)
{
	if (ui->set)
		return process_header_draw(ui);
	draw_first_line(ui);
	draw_second_line(ui);
	return draw_warnings_line(ui, 2);
}
