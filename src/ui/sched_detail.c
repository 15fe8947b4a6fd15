#include "ui/sched_detail.h"

#include <curses.h>
#include <stdio.h>

#include "probe/site_table.h"
#include "session/session.h"
#include "ui/colors.h"
#include "ui/draw.h"
#include "ui/tui.h"
#include "util/duration.h"

/* One bucket: its bounds, its count and a bar scaled to the peak. */
static void draw_bucket(struct tui *ui, int y, const struct sched_stats *s, int i, uint32_t peak)
{
	const char *bar = ui->ascii ? "#" : "\u2588";
	int bar_w = COLS - 29, x, k, n;
	char label[64], lo[16], hi[16];

	n = peak && bar_w > 0 ? (int)((uint64_t)s->hist[i] * bar_w / peak) : 0;
	snprintf(label, sizeof(label), "%7s-%-7s %10u ", duration_format(1ULL << i, lo, 16),
		 duration_format(2ULL << i, hi, 16), s->hist[i]);
	x = draw_text(y, 0, COLS, color_attr(ROLE_NORMAL), label, 0);
	move(y, x);
	attron(color_attr(ROLE_BAR));
	for (k = 0; k < (n ? n : 1); k++)
		addstr(bar);
	attroff(color_attr(ROLE_BAR));
}

int sched_detail_draw(struct tui *ui, int y, int max_lines, const struct task *task)
{
	const struct sched_stats *s = &task->sched;
	char line[256], a[16], b[16], c[16];
	int lo = -1, hi = -1, i, end = y + max_lines - 1; /* the blank line after */
	uint32_t peak = 0;

	if (task->block_on || !site_table_count_role(&ui->s->sites, SITE_TASK_WAKE))
		return y;
	snprintf(line, sizeof(line),
		 "Wakes %llu (self %llu)   scheduled (woken, waiting for its poll): total %s   "
		 "mean %s   max %s",
		 (unsigned long long)s->wakes, (unsigned long long)s->self_wakes,
		 duration_format(s->scheduled_ns, a, sizeof(a)),
		 duration_format(s->scheduled ? s->scheduled_ns / s->scheduled : 0, b, sizeof(b)),
		 duration_format(s->max_scheduled_ns, c, sizeof(c)));
	draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
	for (i = 0; i < POLL_HIST_BUCKETS; i++) {
		if (!s->hist[i])
			continue;
		lo = lo < 0 ? i : lo;
		hi = i;
		peak = s->hist[i] > peak ? s->hist[i] : peak;
	}
	/* A small screen gets the summary line alone: the poll lists and
	 * histogram below need the room more. */
	if (max_lines < 4)
		return y;
	if (lo < 0)
		return y + 1;
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), "Scheduled time histogram (log2 buckets)",
		  0);
	/* Too few lines: the slowest buckets are the ones that matter. */
	if (hi - lo + 1 > end - y)
		lo = hi - (end - y) + 1;
	for (i = lo; i <= hi && y < end && y < LINES - 2; i++)
		draw_bucket(ui, y++, s, i, peak);
	return y + 1;
}
