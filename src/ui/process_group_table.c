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

/* After the name: "longest in wl-tokio:4711, slow in 2" (with more than
 * one process), then where the idle tasks are parked. */
static void where_text(const struct tui *ui, const struct process_group *pg, char *buf, size_t len)
{
	char parked[512];
	int n = 0;

	group_table_parked_text(&pg->total, parked, sizeof(parked));
	if (pg->total.longest && pg->longest_proc < ui->set->count)
		n = snprintf(buf, len, "  longest in %s", ui->set->procs[pg->longest_proc]->label);
	if (n >= 0 && (size_t)n < len && pg->slow_procs)
		n += snprintf(buf + n, len - (size_t)n, "%sslow in %zu", n ? ", " : "  ",
			      pg->slow_procs);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s", parked);
}

static void draw_group(struct tui *ui, int y, const struct process_group *pg, bool selected)
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
	x = draw_slow_count(y, x, 7, g->slow && !selected ? color_attr(ROLE_SLOW) : attr, g->slow,
			    g->slow_approx);
	where_text(ui, pg, where, sizeof(where));
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
	int n = build(ui, &groups), i;
	char titles[256];

	snprintf(titles, sizeof(titles), "%6s %6s %5s %8s %8s %6s  %s   (sorted by %s%s)", "LIVE",
		 "TASKS", "PROCS", "POLLS", "LONGEST", "SLOW", "ROOT FUTURE (where)",
		 ui->sort == SORT_ID ? "tasks" : task_sort_name(ui->sort),
		 ui->ascending ? ", inverted" : "");
	draw_text(y++, 0, COLS, color_attr(ROLE_COLUMNS), titles, 1);
	ui->list_y = y;
	i = function_bar_search(ui, n, group_name, groups.groups);
	if (i >= 0)
		ui->cursor = i;
	list_view_fit(ui, n, LINES - 1 - y);
	for (i = ui->scroll; i < n && i < ui->scroll + ui->page; i++)
		draw_group(ui, y++, &groups.groups[i], i == ui->cursor);
	snprintf(ui->cursor_group, sizeof(ui->cursor_group), "%s",
		 n ? groups.groups[ui->cursor].total.name : "");
	process_groups_free(&groups);
}
