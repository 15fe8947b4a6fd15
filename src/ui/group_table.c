#include "ui/group_table.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/task_groups.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/list_view.h"
#include "ui/process_group_table.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "util/count_format.h"
#include "util/duration.h"

bool group_table_name_passes(const char *name, void *ctx)
{
	return task_table_name_matches(ctx, name);
}

static size_t build_groups(struct tui *ui, struct task_groups *out)
{
	struct await_source src;
	bool have_src = session_await_source(ui->s, &src);

	if (task_groups_build(&ui->s->model, &ui->s->sites, have_src ? &src : NULL,
			      group_table_name_passes, ui->filter, ui->sort, ui->ascending,
			      tui_now(ui), out))
		return 0;
	return out->count;
}

/* "9,998 @ conn.rs:41, 2 @ db.rs:88": where the group's idle tasks are
 * parked, most first, file names without their directories. */
void group_table_parked_text(const struct task_group *g, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < g->parked_lines && used + 1 < len; i++) {
		const char *slash = strrchr(g->parked[i].at, '/');
		char n[32];

		used += (size_t)snprintf(buf + used, len - used, "%s%s @ %s", i ? ", " : "  ",
					 count_format(g->parked[i].tasks, n, sizeof(n)),
					 slash ? slash + 1 : g->parked[i].at);
	}
	if (g->parked_unknown && used + 1 < len)
		snprintf(buf + used, len - used, "%s%zu parked where unknown", used ? ", " : "  ",
			 g->parked_unknown);
}

/* Below this width BUSY and INFLIGHT give their 17 columns to the name and
 * where its tasks are parked (unless sorted on). */
#define WIDE_GROUPS 120

static bool wide_or_sorted(const struct tui *ui, enum task_sort sort)
{
	return COLS >= WIDE_GROUPS || ui->sort == sort ||
	       (sort == SORT_BUSY && ui->sort == SORT_BUSY_PCT);
}

static void draw_group(struct tui *ui, int y, const struct task_group *g, bool selected)
{
	uint64_t thr = ui->s->model.threshold_ns;
	int attr = color_attr(selected ? ROLE_SELECTED : g->live ? ROLE_NORMAL : ROLE_DONE);
	char text[512], parked[512], d[16];
	int x = 0, name_width;

	snprintf(text, sizeof(text), "%6zu %6zu ", g->live, g->tasks);
	x = draw_text(y, x, 14, attr, text, 1);
	x = draw_number(y, x, 9, attr, g->polls);
	if (wide_or_sorted(ui, SORT_BUSY)) {
		snprintf(text, sizeof(text), "%7s ",
			 g->busy_ns ? duration_format(g->busy_ns, d, sizeof(d)) : "-");
		x = draw_text(y, x, 8, attr, text, 1);
	}
	x = draw_duration(y, x, 9, attr, g->longest, thr, selected ? ROLE_SELECTED : ROLE_SLOW);
	if (wide_or_sorted(ui, SORT_INFLIGHT))
		x = draw_duration(y, x, 9, attr, g->inflight, thr,
				  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	x = draw_slow_count(y, x, 7, g->slow && !selected ? color_attr(ROLE_SLOW) : attr, g->slow,
			    g->slow_approx);
	/* The name gives way to where the tasks are parked, down to 20
	 * columns: both are what a user of this view came for. */
	group_table_parked_text(g, parked, sizeof(parked));
	snprintf(text, sizeof(text), " %s", g->name);
	name_width = COLS - x - draw_columns(parked);
	if (name_width < 20)
		name_width = 20;
	x = draw_text(y, x, name_width, attr, text, 0);
	draw_text(y, x, COLS - x, selected ? attr : color_attr(ROLE_DIM), parked, 1);
}

static const char *group_name(void *ctx, int i)
{
	return ((const struct task_group *)ctx)[i].name;
}

void group_table_draw(struct tui *ui, int y)
{
	struct task_groups groups;
	size_t n;
	char titles[256];
	int i;

	if (ui->set) {
		process_group_table_draw(ui, y);
		return;
	}
	n = build_groups(ui, &groups);
	snprintf(titles, sizeof(titles), "%6s %6s %8s %s%8s %s%6s  %s   (sorted by %s%s)", "LIVE",
		 "TASKS", "POLLS", wide_or_sorted(ui, SORT_BUSY) ? "   BUSY " : "", "LONGEST",
		 wide_or_sorted(ui, SORT_INFLIGHT) ? "INFLIGHT " : "", "SLOW",
		 "ROOT FUTURE (parked at)",
		 ui->sort == SORT_ID ? "tasks" : task_sort_name(ui->sort),
		 ui->ascending ? ", inverted" : "");
	draw_text(y++, 0, COLS, color_attr(ROLE_COLUMNS), titles, 1);
	ui->list_y = y;
	i = function_bar_search(ui, (int)n, group_name, groups.groups);
	if (i >= 0)
		ui->cursor = i;
	list_view_fit(ui, (int)n, LINES - 1 - y);
	for (i = ui->scroll; i < (int)n && i < ui->scroll + ui->page; i++)
		draw_group(ui, y++, &groups.groups[i], i == ui->cursor);
	snprintf(ui->cursor_group, sizeof(ui->cursor_group), "%s",
		 n ? groups.groups[ui->cursor].name : "");
	task_groups_free(&groups);
}
