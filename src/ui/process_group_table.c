#include "ui/process_group_table.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "model/process_views.h"
#include "session/session_set.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/group_table.h"
#include "ui/list_view.h"
#include "ui/process_task_table.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "ui/tui_set.h"
#include "util/duration.h"

static int build(struct tui *ui, struct process_groups *out)
{
	struct await_source src[SESSION_SET_MAX];
	struct model_ref refs[SESSION_SET_MAX];
	size_t n = session_set_model_refs(ui->set, refs, src);

	if (process_groups_build(refs, n, group_table_name_passes, ui->filter, ui->sort,
				 ui->ascending, tui_set_now(ui), out))
		return 0;
	return (int)out->count;
}

/* After the name: "slow in 1 of 2" when only some of its processes had
 * slow polls (a process to look at), then where the idle tasks are parked. */
static void where_text(const struct process_group *pg, char *buf, size_t len)
{
	char parked[512];
	int n = 0;

	group_table_parked_text(&pg->total, parked, sizeof(parked));
	if (pg->slow_procs && pg->slow_procs < pg->procs)
		n = snprintf(buf, len, "  slow in %zu of %zu", pg->slow_procs, pg->procs);
	snprintf(buf + n, len - (size_t)n, "%s", parked);
}

/* Which process the longest poll was in ("IN"), after a space (LONGEST
 * may end in its '!'): blank with none. */
static int draw_longest_in(struct tui *ui, int y, int x, int width, const struct process_group *pg,
			   int attr)
{
	char text[64], cell[72] = "";

	if (pg->total.longest && pg->longest_proc < ui->set->count)
		snprintf(cell, sizeof(cell), " %s",
			 process_column_text(ui->set->procs[pg->longest_proc], text, sizeof(text)));
	return draw_text(y, x, width, attr, cell, 1);
}

static void draw_group(struct tui *ui, int y, const struct process_group *pg, bool selected,
		       int in_width)
{
	const struct task_group *g = &pg->total;
	uint64_t thr = ui->s->model.threshold_ns;
	int attr = color_attr(selected ? ROLE_SELECTED : g->live ? ROLE_NORMAL : ROLE_DONE);
	char text[512], where[768];
	int x = 0, name_width;

	snprintf(text, sizeof(text), "%6zu %6zu %5zu ", g->live, g->tasks, pg->procs);
	x = draw_text(y, x, 20, attr, text, 1);
	x = draw_number(y, x, 9, attr, g->polls);
	x = draw_duration(y, x, 9, attr, g->longest, thr, selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_longest_in(ui, y, x, in_width, pg, attr);
	x = draw_slow_count(y, x, 7, g->slow && !selected ? color_attr(ROLE_SLOW) : attr, g->slow,
			    g->slow_approx);
	where_text(pg, where, sizeof(where));
	/* The whole name first, then as much of where as fits. */
	snprintf(text, sizeof(text), " %s ", g->name);
	name_width = COLS - x - draw_columns(where);
	if (name_width < draw_columns(text))
		name_width = draw_columns(text);
	x = draw_text(y, x, name_width, attr, text, 0);
	draw_text(y, x, COLS - x, selected ? attr : color_attr(ROLE_DIM), where, 1);
}

static const char *group_name(void *ctx, int i)
{
	return ((const struct process_group *)ctx)[i].total.name;
}

void process_group_table_draw(struct tui *ui, int y)
{
	struct process_groups groups = {NULL, 0};
	int n = build(ui, &groups), in_width = process_column_width(ui->set) + 1, i;
	char titles[256];

	snprintf(titles, sizeof(titles), "%6s %6s %5s %8s %8s %-*s%6s  %s   (sorted by %s%s)",
		 "LIVE", "TASKS", "PROCS", "POLLS", "LONGEST", in_width, " IN", "SLOW",
		 "ROOT FUTURE (parked at)",
		 ui->sort == SORT_ID ? "tasks" : task_sort_name(ui->sort),
		 ui->ascending ? ", inverted" : "");
	draw_text(y++, 0, COLS, color_attr(ROLE_COLUMNS), titles, 1);
	ui->list_y = y;
	i = function_bar_search(ui, n, group_name, groups.groups);
	if (i >= 0)
		ui->cursor = i;
	list_view_fit(ui, n, LINES - 1 - y);
	for (i = ui->scroll; i < n && i < ui->scroll + ui->page; i++)
		draw_group(ui, y++, &groups.groups[i], i == ui->cursor, in_width);
	snprintf(ui->cursor_group, sizeof(ui->cursor_group), "%s",
		 n ? groups.groups[ui->cursor].total.name : "");
	process_groups_free(&groups);
}
