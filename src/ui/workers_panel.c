#include "ui/workers_panel.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "ui/draw.h"
#include "ui/tui.h"
#include "util/duration.h"

struct worker_row {
	const struct worker *w;
	const struct open_frame *task_frame; /* outermost task frame, NULL: idle */
	const struct open_frame *inner;	     /* innermost frame */
	uint64_t inflight;
};

static struct worker_row describe(const struct tui *ui, const struct worker *w, uint64_t now)
{
	const struct thread_stack *st = poll_tracker_stack(&ui->s->tracker, w->tid);
	struct worker_row r = {w, NULL, NULL, 0};
	uint32_t i;

	for (i = 0; st && i < st->depth; i++) {
		if (st->frames[i].task_frame && !r.task_frame)
			r.task_frame = &st->frames[i];
		r.inner = &st->frames[i];
	}
	if (r.task_frame)
		r.inflight = poll_stats_inflight(&r.task_frame->task->stats, now);
	return r;
}

static int by_inflight(const void *a, const void *b)
{
	const struct worker_row *x = a, *y = b;

	if (x->inflight != y->inflight)
		return x->inflight > y->inflight ? -1 : 1;
	return x->w->tid < y->w->tid ? -1 : 1;
}

static void draw_row(struct tui *ui, int y, const struct worker_row *r, uint64_t now)
{
	const struct session *s = ui->s;
	uint64_t thr = s->model.threshold_ns;
	char name[32], text[512], d[16];
	int x;

	session_thread_name(s, r->w->tid, name, sizeof(name));
	snprintf(text, sizeof(text), "  %7u %-15.15s ", r->w->tid, name);
	x = draw_text(y, 0, COLS, color_attr(ROLE_NORMAL), text, 0);
	if (!r->task_frame) {
		snprintf(text, sizeof(text), "idle, last poll ended %s ago",
			 r->w->last_poll_end
			     ? duration_format(now - r->w->last_poll_end, d, sizeof(d))
			     : "-");
		draw_text(y, x, COLS - x, color_attr(ROLE_DIM), text, 0);
		return;
	}
	x = draw_duration(y, x, 9, color_attr(ROLE_NORMAL), r->inflight, thr, ROLE_INFLIGHT);
	snprintf(text, sizeof(text), " #%llu %s", (unsigned long long)r->task_frame->task->id,
		 task_name(r->task_frame->task, &s->sites));
	x = draw_text(y, x, COLS - x, color_attr(ROLE_NORMAL), text, 0);
	if (r->inner && r->inner->node && r->inner != r->task_frame) {
		snprintf(text, sizeof(text), " > %s", s->sites.sites[r->inner->node->site].name);
		draw_text(y, x, COLS - x, color_attr(ROLE_DIM), text, 0);
	}
}

int workers_panel_draw(struct tui *ui, int y, int max_lines)
{
	const struct u64_map *workers = &ui->s->tracker.workers;
	struct worker_row *rows;
	uint64_t now = tui_now(ui);
	size_t i, n = 0;

	if (!workers->count || max_lines < 2)
		return y;
	rows = calloc(workers->count, sizeof(*rows));
	if (!rows)
		return y;
	for (i = 0; i <= workers->mask; i++)
		if (workers->slots[i].value)
			rows[n++] = describe(ui, workers->slots[i].value, now);
	qsort(rows, n, sizeof(*rows), by_inflight);
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER),
		  "Workers (polling now, longest first):", 0);
	for (i = 0; i < n && (int)i < max_lines - 1; i++)
		draw_row(ui, y++, &rows[i], now);
	free(rows);
	return y;
}
