#include "ui/workers_panel.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "ui/draw.h"
#include "ui/process_task_table.h"
#include "ui/tui.h"
#include "ui/tui_set.h"
#include "util/duration.h"

struct worker_row {
	struct session *s; /* the worker's process */
	const struct worker *w;
	const struct open_frame *task_frame; /* outermost task frame, NULL: idle */
	const struct open_frame *inner;	     /* innermost frame */
	uint64_t inflight;
};

static struct worker_row describe(struct session *s, const struct worker *w, uint64_t now)
{
	const struct thread_stack *st = poll_tracker_stack(&s->tracker, w->tid);
	struct worker_row r = {s, w, NULL, NULL, 0};
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

/* With several processes each line starts with its process ("wl-tokio:8828",
 * the pid alone on a narrow screen: the tid does not say). */
static int draw_process(struct tui *ui, int y, const struct worker_row *r)
{
	const struct traced_process *p = tui_set_process(ui, r->s);
	char text[80], cell[64];

	if (!p)
		return 0;
	snprintf(text, sizeof(text), "  %s", process_column_text(p, cell, sizeof(cell)));
	return draw_text(y, 0, process_column_width(ui->set) + 2, color_attr(ROLE_NORMAL), text, 1);
}

static void draw_row(struct tui *ui, int y, const struct worker_row *r, uint64_t now)
{
	const struct session *s = r->s;
	uint64_t thr = s->model.threshold_ns;
	char name[32], text[512], d[16];
	int x = draw_process(ui, y, r);

	session_thread_name(s, r->w->tid, name, sizeof(name));
	snprintf(text, sizeof(text), "  %7u %-15.15s ", r->w->tid, name);
	x = draw_text(y, x, COLS - x, color_attr(ROLE_NORMAL), text, 0);
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

/* The sessions whose workers are listed: the one process, or every
 * running one of a set (an exited process's workers poll nothing). */
static size_t panel_sessions(struct tui *ui, struct session **out)
{
	size_t i, n = 0;

	if (!ui->set) {
		out[0] = ui->s;
		return 1;
	}
	for (i = 0; i < ui->set->count; i++)
		if (!ui->set->procs[i]->gone)
			out[n++] = &ui->set->procs[i]->s;
	return n;
}

static size_t count_workers(struct session **sessions, size_t n)
{
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += sessions[i]->tracker.workers.count;
	return total;
}

int workers_panel_draw(struct tui *ui, int y, int max_lines)
{
	struct session *sessions[SESSION_SET_MAX];
	size_t ns = panel_sessions(ui, sessions), total = count_workers(sessions, ns), i, k, n = 0;
	uint64_t now = ui->set ? tui_set_now(ui) : tui_now(ui);
	struct worker_row *rows;

	if (!total || max_lines < 2)
		return y;
	rows = calloc(total, sizeof(*rows));
	if (!rows)
		return y;
	for (k = 0; k < ns; k++) {
		const struct u64_map *workers = &sessions[k]->tracker.workers;

		if (!workers->count)
			continue;
		for (i = 0; i <= workers->mask && n < total; i++)
			if (workers->slots[i].value)
				rows[n++] = describe(sessions[k], workers->slots[i].value, now);
	}
	qsort(rows, n, sizeof(*rows), by_inflight);
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER),
		  "Workers (polling now, longest first):", 0);
	for (i = 0; i < n && (int)i < max_lines - 1; i++)
		draw_row(ui, y++, &rows[i], now);
	free(rows);
	return y;
}
