#include "ui/function_bar.h"

#include <curses.h>
#include <stdio.h>

#include "ui/draw.h"
#include "ui/task_table.h"

#define KEY_ESC 27

static const struct {
	const char *key, *label;
	int code;
} bar[] = {{"F1", "Help", KEY_F(1)}, {"F3", "Search", KEY_F(3)}, {"F4", "Filter", KEY_F(4)},
	   {"F5", "Tree", KEY_F(5)}, {"F6", "SortBy", KEY_F(6)}, {"F10", "Quit", KEY_F(10)}};

int function_bar_key_at(int x)
{
	int start = 0;
	size_t i;

	for (i = 0; i < sizeof(bar) / sizeof(bar[0]); i++) {
		int end = start + draw_columns(bar[i].key) + draw_columns(bar[i].label);

		if (x >= start && x < end)
			return bar[i].code;
		start = end + 1; /* the space between buttons */
	}
	return 0;
}

void function_bar_draw(struct tui *ui, int y, const char *hints)
{
	int x = 0;
	size_t i;

	(void)ui;
	for (i = 0; i < sizeof(bar) / sizeof(bar[0]) && x < COLS; i++) {
		x = draw_text(y, x, COLS - x, color_attr(ROLE_NORMAL), bar[i].key, 0);
		x = draw_text(y, x, COLS - x, color_attr(ROLE_STATUS), bar[i].label, 0);
		x = draw_text(y, x, COLS - x, color_attr(ROLE_STATUS), " ", 0);
	}
	if (x < COLS)
		draw_text(y, x, COLS - x, color_attr(ROLE_STATUS), hints, 1);
}

/* The menu lists the sortable columns in screen order. */
static int menu_items(enum task_sort *items, int max)
{
	enum task_sort first = task_table_next_sort(SORT_ID, 0), s = first;
	int n = 0;

	do {
		items[n++] = s;
		s = task_table_next_sort(s, 1);
	} while (s != first && n < max);
	return n;
}

void sort_menu_open(struct tui *ui)
{
	enum task_sort items[32];
	int n = menu_items(items, 32), i;

	ui->sort_menu = true;
	ui->sort_menu_cursor = 0;
	for (i = 0; i < n; i++)
		if (items[i] == ui->sort)
			ui->sort_menu_cursor = i;
}

void sort_menu_draw(struct tui *ui, int y)
{
	enum task_sort items[32];
	int n = menu_items(items, 32), i, width = 12;

	draw_text(y++, 0, width, color_attr(ROLE_SORTED), "Sort by", 1);
	for (i = 0; i < n && y < LINES - 1; i++) {
		char line[32];

		snprintf(line, sizeof(line), " %s%s", task_sort_name(items[i]),
			 items[i] == ui->sort ? " *" : "");
		draw_text(y++, 0, width,
			  color_attr(i == ui->sort_menu_cursor ? ROLE_SELECTED : ROLE_NORMAL), line,
			  1);
	}
}

enum reaction sort_menu_key(struct tui *ui, int key)
{
	enum task_sort items[32];
	int n = menu_items(items, 32);

	if (key == KEY_UP || key == 'k')
		ui->sort_menu_cursor = (ui->sort_menu_cursor + n - 1) % n;
	else if (key == KEY_DOWN || key == 'j')
		ui->sort_menu_cursor = (ui->sort_menu_cursor + 1) % n;
	else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		ui->sort = items[ui->sort_menu_cursor];
		ui->sort_menu = false;
		tui_note(ui, "sorted by %s", task_sort_name(ui->sort));
	} else if (key == KEY_ESC || key == KEY_F(6) || key == 'q')
		ui->sort_menu = false;
	else
		return REACT_NONE;
	return REACT_REDRAW;
}

int function_bar_search(struct tui *ui, int rows, const char *(*name)(void *ctx, int i), void *ctx)
{
	int i, at;

	if (!ui->search_pending)
		return -1;
	ui->search_pending = false;
	for (i = 1; i <= rows; i++) {
		at = (ui->cursor + i) % rows;
		if (task_table_name_matches(ui->search, name(ctx, at))) {
			tui_note(ui, "found '%s' (F3: next)", ui->search);
			return at;
		}
	}
	tui_note(ui, "nothing matches '%s'", ui->search);
	return -1;
}
