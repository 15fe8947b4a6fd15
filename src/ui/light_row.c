#include "ui/light_row.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "session/session.h"
#include "ui/colors.h"
#include "ui/draw.h"
#include "ui/tui.h"
#include "util/duration.h"

int light_row_draw(struct tui *ui, int y, int x, const struct task *t, int attr, bool selected,
		   const struct light_row_widths *w, const char *idle)
{
	const struct session *s = ui->s;
	const struct task_samples *ts = &s->samples;
	const struct sampled_task *st = task_samples_get(ts, task_sample_key(t));
	const struct sampled_thread *th =
	    t->running_tid ? task_samples_thread(ts, t->running_tid) : NULL;
	uint64_t cpu = st ? st->samples * ts->period_ns : 0;
	char text[64], d[24];

	x = draw_text(y, x, w->polls, attr, "      - ", 1);
	snprintf(text, sizeof(text), "%7s ", cpu ? duration_format(cpu, d, sizeof(d)) : "-");
	x = draw_text(y, x, w->busy, attr, text, 1);
	if (w->busy_pct) {
		if (s->light_summary.sampling)
			snprintf(text, sizeof(text), "%5.1f ",
				 task_samples_cpu_pct(ts, st, tui_now(ui)));
		else /* smol (no current-task thread-local): unknown, not 0 */
			snprintf(text, sizeof(text), "%5s ", "-");
		x = draw_text(y, x, w->busy_pct, attr, text, 1);
	}
	if (w->age) {
		snprintf(text, sizeof(text), "%*s ", strncmp(idle, "\xe2\x89\xa5", 3) ? 8 : 10,
			 idle);
		x = draw_text(y, x, w->age, attr, text, 1);
	}
	/* Runs of samples are wedged past the wedge threshold, not the
	 * slow-poll one: that is what the '!' marks here. */
	x = draw_duration(y, x, w->longest, attr, st ? st->longest_run_ns : 0,
			  st && st->longest_run_ns >= ts->wedge_ns ? 0 : UINT64_MAX,
			  selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_duration(y, x, w->inflight, attr, th ? th->last - th->since : 0,
			  task_samples_wedged(ts, th) ? 0 : UINT64_MAX,
			  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	return draw_text(y, x, w->slow, attr, "     - ", 1);
}
