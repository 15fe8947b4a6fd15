#include "ui/process_task_table.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/process_views.h"
#include "session/session_set.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/list_view.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "ui/workers_panel.h"
#include "ui/tui_set.h"

/* Below this width the PROCESS column shows the pid only (the header
 * says which program each pid is): the names need the room. */
#define LABEL_COLS 100
#define PID_WIDTH  8
#define MAX_WIDTH  24

int process_column_width(const struct session_set *set)
{
	size_t i, w = strlen("PROCESS");

	if (COLS < LABEL_COLS)
		return PID_WIDTH;
	for (i = 0; i < set->count; i++)
		if (draw_columns(set->procs[i]->label) > (int)w)
			w = (size_t)draw_columns(set->procs[i]->label);
	return w + 1 > MAX_WIDTH ? MAX_WIDTH : (int)w + 1;
}

const char *process_column_text(const struct traced_process *p, char *buf, size_t len)
{
	if (COLS < LABEL_COLS)
		snprintf(buf, len, "%*d ", PID_WIDTH - 1, p->s.target.pid);
	else
		snprintf(buf, len, "%s", p->label);
	return buf;
}

static void draw_process_cell(int y, int width, const struct traced_process *p, bool selected)
{
	int role = selected ? ROLE_SELECTED : p->gone ? ROLE_DONE : ROLE_NORMAL;
	char cell[64];

	draw_text(y, 0, width, color_attr(role), process_column_text(p, cell, sizeof(cell)), 1);
}

static void draw_titles(struct tui *ui, int y, int width)
{
	char title[32];

	if (COLS < LABEL_COLS)
		snprintf(title, sizeof(title), "%*s ", width - 1, "PID");
	else
		snprintf(title, sizeof(title), "%-*s", width, "PROCESS");
	draw_text(y, 0, width, color_attr(ROLE_COLUMNS), title, 1);
	task_table_draw_titles(ui, y, width);
}

/* Each row is drawn with ui->s its own process: the cells read its
 * model, its sites, its threshold, its clock (frozen once it exited). */
static void draw_row(struct tui *ui, int y, int width, const struct process_task *row,
		     bool selected)
{
	struct traced_process *p = ui->set->procs[row->proc];
	struct session *current = ui->s;

	draw_process_cell(y, width, p, selected);
	ui->s = &p->s;
	task_table_draw_row(ui, y, width, row->t, selected, p->gone);
	ui->s = current;
}

struct named_rows {
	const struct process_task *rows;
	const struct session_set *set;
};

static const char *row_name(void *ctx, int i)
{
	const struct named_rows *n = ctx;

	return task_name(n->rows[i].t, &n->set->procs[n->rows[i].proc]->s.sites);
}

static pid_t row_pid(const struct tui *ui, const struct process_task *row)
{
	return ui->set->procs[row->proc]->s.target.pid;
}

/* The cursor stays on its (process, task) when the order changes. */
static void follow_task(struct tui *ui, const struct process_task *rows, int n)
{
	int i;

	if (!ui->cursor_task)
		return;
	for (i = 0; i < n; i++)
		if (rows[i].t->id == ui->cursor_task && row_pid(ui, &rows[i]) == ui->cursor_pid)
			ui->cursor = i;
}

/* The processes' tasks in the chosen order, those the filter keeps. */
static int filtered_rows(struct tui *ui, struct process_task **out)
{
	struct await_source src[SESSION_SET_MAX];
	struct model_ref refs[SESSION_SET_MAX];
	size_t i, n = session_set_model_refs(ui->set, refs, src);
	struct process_task *all;
	int count = 0;

	n = process_tasks_sorted(refs, n, ui->sort, ui->ascending, tui_set_now(ui), &all);
	for (i = 0; i < n; i++)
		if (task_table_passes(ui, all[i].t, refs[all[i].proc].sites))
			all[count++] = all[i];
	*out = all;
	return count;
}

void process_task_table_draw(struct tui *ui, int y)
{
	struct process_task *rows;
	int count = filtered_rows(ui, &rows), width = process_column_width(ui->set), i;
	struct named_rows named = {rows, ui->set};

	y = workers_panel_draw(ui, y, LINES / 4 > 3 ? LINES / 4 : 3);
	draw_titles(ui, y++, width);
	ui->list_y = y;
	follow_task(ui, rows, count);
	i = function_bar_search(ui, count, row_name, &named);
	if (i >= 0)
		ui->cursor = i;
	list_view_fit(ui, count, LINES - 1 - y);
	for (i = ui->scroll; i < count && i < ui->scroll + ui->page; i++)
		draw_row(ui, y++, width, &rows[i], i == ui->cursor);
	ui->cursor_task = count ? rows[ui->cursor].t->id : 0;
	ui->cursor_pid = count ? row_pid(ui, &rows[ui->cursor]) : 0;
	if (!count)
		task_table_draw_empty(ui, y);
	free(rows);
}
