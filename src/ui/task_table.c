#include "ui/task_table.h"

#include <ctype.h>
#include <curses.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/await_chain.h"
#include "model/task_lints.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/light_row.h"
#include "ui/list_view.h"
#include "ui/process_task_table.h"
#include "ui/tui.h"
#include "ui/workers_panel.h"
#include "util/duration.h"

enum column_id {
	COL_ID,
	COL_STATE,
	COL_POLLS,
	COL_BUSY,
	COL_BUSY_PCT,
	COL_AGE,
	COL_SCHED,
	COL_LONGEST,
	COL_INFLIGHT,
	COL_SLOW,
	COL_NAME,
	COL_COUNT
};

struct column {
	const char *title;
	int width;
	int min_screen; /* shown only where the table is at least this wide */
	int sort;	/* enum task_sort, or -1 */
};

static const struct column columns[COL_COUNT] = {
    [COL_ID] = {"ID", 7, 0, SORT_ID},
    [COL_STATE] = {"STATE", 8, 0, SORT_STATE},
    [COL_POLLS] = {"POLLS", 8, 0, SORT_POLLS},
    /* Narrower than 80 (the PROCESS column of several processes takes
     * its share), the name needs the room more. */
    [COL_BUSY] = {"BUSY", 8, 80, SORT_BUSY},
    [COL_BUSY_PCT] = {"BUSY%", 6, 96, SORT_BUSY_PCT},
    [COL_LONGEST] = {"LONGEST", 9, 0, SORT_MAX_POLL},
    [COL_INFLIGHT] = {"INFLIGHT", 9, 0, SORT_INFLIGHT},
    [COL_SLOW] = {"SLOW", 7, 0, SORT_SLOW},
    [COL_AGE] = {"IDLE", 9, 110, SORT_IDLE},
    /* The longest wait from a wake to its poll: on an overloaded runtime
     * the first thing to look at, but only wide screens have room. */
    [COL_SCHED] = {"SCHED", 9, 120, SORT_SCHED},
    [COL_NAME] = {"NAME", 0, 0, SORT_NAME},
};

/* Screen order: LONGEST, INFLIGHT, SLOW and NAME stay neighbours, as
 * before BUSY%, IDLE and STATE became sortable. */
static const enum task_sort sort_order[] = {SORT_ID,	   SORT_STATE, SORT_POLLS, SORT_BUSY,
					    SORT_BUSY_PCT, SORT_IDLE,  SORT_SCHED, SORT_MAX_POLL,
					    SORT_INFLIGHT, SORT_SLOW,  SORT_NAME};

enum task_sort task_table_next_sort(enum task_sort current, int direction)
{
	int n = sizeof(sort_order) / sizeof(sort_order[0]), i;

	for (i = 0; i < n; i++)
		if (sort_order[i] == current)
			return sort_order[(i + direction + n) % n];
	return SORT_MAX_POLL;
}

const char *task_sort_name(enum task_sort sort)
{
	int i;

	for (i = 0; i < COL_COUNT; i++)
		if (columns[i].sort == (int)sort)
			return columns[i].title;
	return "?";
}

enum task_sort task_sort_by_name(const char *word)
{
	enum task_sort sort = SORT_MAX_POLL;

	task_sort_parse(word, &sort);
	return sort;
}

/* A column left out on a narrow screen still shows while it is sorted on. */
static enum task_sort shown_sort;
/* Where the columns start: after the PROCESS column of several processes. */
static int titles_x;

static bool shown(enum column_id c)
{
	return COLS - titles_x >= columns[c].min_screen || columns[c].sort == (int)shown_sort;
}

void task_table_draw_titles(struct tui *ui, int y, int x)
{
	const char *marker = ui->ascending ? "^" : "v";
	char title[32];
	int c;

	shown_sort = ui->sort;
	titles_x = x;

	for (c = 0; c < COL_COUNT; c++) {
		const struct column *col = &columns[c];
		bool sorted = col->sort == (int)ui->sort;
		int w = col->width ? col->width : COLS - x;

		if (!shown(c))
			continue;
		if (c == COL_NAME)
			snprintf(title, sizeof(title), " %s%s", col->title, sorted ? marker : "");
		else
			snprintf(title, sizeof(title), "%*s%s", w - 1, col->title,
				 sorted ? marker : " ");
		x = draw_text(y, x, w, color_attr(sorted ? ROLE_SORTED : ROLE_COLUMNS), title, 1);
	}
}

int task_table_sort_at(int x)
{
	int start = titles_x, c;

	for (c = 0; c < COL_COUNT; c++) {
		int w = columns[c].width ? columns[c].width : COLS - start;

		if (!shown(c))
			continue;
		if (x >= start && x < start + w)
			return columns[c].sort;
		start += w;
	}
	return -1;
}

bool task_table_name_matches(const char *filter, const char *name)
{
	if (!filter[0])
		return true;
	if (strpbrk(filter, "*?[")) /* a glob, as --focus and --exclude take */
		return fnmatch(filter, name, FNM_CASEFOLD) == 0;
	return strcasestr(name, filter) != NULL; /* a plain word: anywhere in the name */
}

bool task_table_passes(const struct tui *ui, const struct task *t, const struct site_table *sites)
{
	const char *name = task_name(t, sites);

	if (ui->group_filter[0])
		return strcmp(name, ui->group_filter) == 0;
	return task_table_name_matches(ui->filter, name);
}

static int row_attr(const struct task *t, bool selected, bool gone)
{
	if (selected)
		return color_attr(ROLE_SELECTED);
	return color_attr(gone || task_state(t) == TASK_DONE ? ROLE_DONE : ROLE_NORMAL);
}

/* Light mode: no polls seen, the same columns from the samples. */
static int draw_light_cells(struct tui *ui, int y, int x, const struct task *t, int attr,
			    bool selected)
{
	struct light_row_widths w = {
	    .polls = columns[COL_POLLS].width,
	    .busy = shown(COL_BUSY) ? columns[COL_BUSY].width : 0,
	    .busy_pct = shown(COL_BUSY_PCT) ? columns[COL_BUSY_PCT].width : 0,
	    .age = shown(COL_AGE) ? columns[COL_AGE].width : 0,
	    .longest = columns[COL_LONGEST].width,
	    .inflight = columns[COL_INFLIGHT].width,
	    .slow = columns[COL_SLOW].width,
	};
	char idle[24];

	return light_row_draw(ui, y, x, t, attr, selected, &w,
			      task_idle_format(&ui->s->model, t, tui_now(ui), idle, sizeof(idle)));
}

/* Before the name: " [blocking]", " [wedged]"... (the Warnings line above
 * says what each means; batch rows and the JSON say more), " [B]", " [W]"
 * below WIDE_MARK_COLS; only where the whole name still fits after them:
 * on a narrow screen the name comes first. Returns the column after. */
#define WIDE_MARK_COLS 120

static int draw_lint_marks(struct tui *ui, int y, int x, const struct task *t, bool selected,
			   int name_cols)
{
	struct await_source src;
	struct lint_ctx c;
	unsigned mask;
	char marks[128];
	size_t used = 0;
	int i;

	session_lint_ctx(ui->s, tui_now(ui), &src, &c);
	mask = task_lints(&c, t);
	marks[0] = '\0';
	for (i = 0; i < LINT_KINDS && used < sizeof(marks); i++) {
		enum task_lint lint = (enum task_lint)(1u << i);
		int n;

		if (!(mask & lint))
			continue;
		if (COLS >= WIDE_MARK_COLS)
			n = snprintf(marks + used, sizeof(marks) - used, " [%s]",
				     task_lint_name(lint));
		else
			n = snprintf(marks + used, sizeof(marks) - used, " [%c]",
				     toupper(task_lint_name(lint)[0]));
		used = n < 0 ? used : used + (size_t)n;
	}
	if (!used || x + (int)used + name_cols > COLS)
		return x;
	return draw_text(y, x, COLS - x,
			 selected ? color_attr(ROLE_SELECTED) : color_attr(ROLE_WARNING), marks, 0);
}

void task_table_draw_empty(const struct tui *ui, int y)
{
	draw_text(y, 2, COLS - 2, color_attr(ROLE_DIM),
		  ui->filter[0] || ui->group_filter[0] ? "no task matches the filter"
						       : "no task polled since attaching yet",
		  0);
}

void task_table_draw_row(struct tui *ui, int y, int x, const struct task *t, bool selected,
			 bool gone)
{
	const struct poll_stats *st = &t->stats;
	uint64_t now = tui_now(ui), thr = ui->s->model.threshold_ns;
	uint64_t inflight = poll_stats_inflight(st, now);
	uint64_t lifetime =
	    now - (t->first_seen > ui->s->started_ns ? t->first_seen : ui->s->started_ns);
	int attr = row_attr(t, selected, gone);
	char text[512], d[24];

	x = draw_number(y, x, columns[COL_ID].width, attr, t->id);
	/* "scheduled" would cost the name column two letters at 80 columns. */
	snprintf(text, sizeof(text), "%-7s ",
		 gone				   ? "exited"
		 : task_state(t) == TASK_SCHEDULED ? "sched"
						   : task_state_name(task_state(t)));
	x = draw_text(y, x, columns[COL_STATE].width, attr, text, 1);
	if (ui->s->light) {
		x = draw_light_cells(ui, y, x, t, attr, selected);
		goto name;
	}
	x = draw_number(y, x, columns[COL_POLLS].width, attr, st->polls);
	snprintf(text, sizeof(text), "%7s ",
		 st->busy_ns + inflight ? duration_format(st->busy_ns + inflight, d, sizeof(d))
					: "-");
	if (shown(COL_BUSY))
		x = draw_text(y, x, columns[COL_BUSY].width, attr, text, 1);
	if (shown(COL_BUSY_PCT)) {
		snprintf(text, sizeof(text), "%5.1f ",
			 lifetime ? 100.0 * (st->busy_ns + inflight) / lifetime : 0.0);
		x = draw_text(y, x, columns[COL_BUSY_PCT].width, attr, text, 1);
	}
	if (shown(COL_AGE)) {
		/* Since the last poll, or "≥" since attach when none was seen:
		 * printf pads by bytes, the 3-byte '≥' takes one column. */
		const char *idle = task_idle_format(&ui->s->model, t, now, d, sizeof(d));

		snprintf(text, sizeof(text), "%*s ", strncmp(idle, "\xe2\x89\xa5", 3) ? 8 : 10,
			 idle);
		x = draw_text(y, x, columns[COL_AGE].width, attr, text, 1);
	}
	/* No '!': the slow-poll threshold says nothing of a wait for a worker. */
	if (shown(COL_SCHED))
		x = draw_duration(y, x, columns[COL_SCHED].width, attr, t->sched.max_scheduled_ns,
				  UINT64_MAX, selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_duration(y, x, columns[COL_LONGEST].width, attr, poll_stats_longest(st, now), thr,
			  selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_duration(y, x, columns[COL_INFLIGHT].width, attr, inflight, thr,
			  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	x = draw_slow_count(y, x, columns[COL_SLOW].width,
			    st->slow_polls && !selected ? color_attr(ROLE_SLOW) : attr,
			    st->slow_polls, st->slow_approx);
name:
	snprintf(text, sizeof(text), " %s%s", task_name(t, &ui->s->sites),
		 t->block_on ? " (block_on)" : "");
	/* The marks first, where the whole name still fits after them. */
	x = draw_lint_marks(ui, y, x, t, selected, draw_columns(text));
	draw_text(y, x, COLS - x, attr, text, 1);
}

struct named_tasks {
	struct task **rows;
	const struct site_table *sites;
};

static const char *row_name(void *ctx, int i)
{
	const struct named_tasks *n = ctx;

	return task_name(n->rows[i], n->sites);
}

/* Puts the cursor back on the task it was on before the order changed. */
static void follow_task(struct tui *ui, struct task **rows, int n)
{
	int i;

	if (!ui->cursor_task)
		return;
	for (i = 0; i < n; i++)
		if (rows[i]->id == ui->cursor_task)
			ui->cursor = i;
}

void task_table_draw(struct tui *ui, int y)
{
	struct task **all, **rows;
	size_t i, n;
	int count = 0, workers_lines = LINES / 4 > 3 ? LINES / 4 : 3;

	if (ui->set) {
		process_task_table_draw(ui, y);
		return;
	}
	n = task_view_sorted(&ui->s->model, &ui->s->sites, ui->sort, ui->ascending, tui_now(ui),
			     &all);
	y = workers_panel_draw(ui, y, workers_lines);
	rows = all;
	for (i = 0; i < n; i++)
		if (task_table_passes(ui, all[i], &ui->s->sites))
			rows[count++] = all[i];
	task_table_draw_titles(ui, y++, 0);
	ui->list_y = y;
	follow_task(ui, rows, count);
	{
		struct named_tasks named = {rows, &ui->s->sites};
		int found = function_bar_search(ui, count, row_name, &named);

		if (found >= 0)
			ui->cursor = found;
	}
	list_view_fit(ui, count, LINES - 1 - y);
	for (i = ui->scroll; (int)i < count && (int)i < ui->scroll + ui->page; i++)
		task_table_draw_row(ui, y++, 0, rows[i], (int)i == ui->cursor, false);
	ui->cursor_task = count ? rows[ui->cursor]->id : 0;
	if (!count)
		task_table_draw_empty(ui, y);
	free(all);
}
