#include "ui/mouse_input.h"

#include <curses.h>

#include "ui/function_bar.h"
#include "ui/key_table.h"
#include "ui/list_view.h"
#include "ui/task_table.h"

/* Rows a wheel notch moves, as in most terminal programs. */
#define WHEEL_ROWS 3

void mouse_input_enable(void)
{
	mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED |
#ifdef BUTTON5_PRESSED
		      BUTTON5_PRESSED |
#endif
		      0,
		  NULL);
	mouseinterval(200); /* ms between a press and its release for a click */
}

static bool in_list_view(const struct tui *ui)
{
	return ui->view == VIEW_TASKS || ui->view == VIEW_GROUPS || ui->view == VIEW_TREE;
}

static enum reaction click_title(struct tui *ui, int x)
{
	int sort = ui->view == VIEW_TASKS ? task_table_sort_at(x) : -1;

	if (sort < 0)
		return REACT_NONE;
	if ((enum task_sort)sort == ui->sort)
		ui->ascending = !ui->ascending; /* as htop: the sorted column again inverts */
	else
		ui->sort = (enum task_sort)sort;
	return REACT_REDRAW;
}

static enum reaction click_row(struct tui *ui, int y, bool open)
{
	int row = ui->scroll + (y - ui->list_y);

	if (y < ui->list_y || y >= ui->list_y + ui->page || row >= ui->rows)
		return REACT_NONE;
	ui->cursor = row;
	if (open)
		return key_dispatch(ui, '\n') | REACT_REDRAW;
	return REACT_REDRAW;
}

enum reaction mouse_dispatch(struct tui *ui)
{
	MEVENT ev;
	int key;

	if (getmouse(&ev) != OK)
		return REACT_NONE;
	if (ev.bstate & BUTTON4_PRESSED) {
		list_view_move(ui, -WHEEL_ROWS);
		return REACT_REDRAW;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		list_view_move(ui, WHEEL_ROWS);
		return REACT_REDRAW;
	}
#endif
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)))
		return REACT_NONE;
	if (ev.y == LINES - 1) {
		key = function_bar_key_at(ev.x);
		return key ? key_dispatch(ui, key) : REACT_NONE;
	}
	if (ui->help || ui->sort_menu || !in_list_view(ui))
		return REACT_NONE;
	if (ev.y == ui->list_y - 1)
		return click_title(ui, ev.x);
	return click_row(ui, ev.y, ev.bstate & BUTTON1_DOUBLE_CLICKED);
}
