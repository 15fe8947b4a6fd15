#include "ui/colors.h"

#include <curses.h>
#include <string.h>

struct color_spec color_roles[ROLE_COUNT] = {
    [ROLE_NORMAL] = {"normal", -1, -1, A_NORMAL},
    [ROLE_HEADER] = {"header", COLOR_CYAN, -1, A_BOLD},
    [ROLE_COLUMNS] = {"columns", COLOR_BLACK, COLOR_GREEN, A_NORMAL},
    [ROLE_SORTED] = {"sorted", COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [ROLE_SELECTED] = {"selected", COLOR_BLACK, COLOR_CYAN, A_REVERSE},
    [ROLE_SLOW] = {"slow", COLOR_RED, -1, A_BOLD},
    [ROLE_INFLIGHT] = {"inflight", COLOR_WHITE, COLOR_RED, A_BOLD | A_REVERSE},
    [ROLE_DONE] = {"done", COLOR_BLUE, -1, A_DIM},
    [ROLE_DIM] = {"dim", COLOR_BLUE, -1, A_DIM},
    [ROLE_STATUS] = {"status", COLOR_BLACK, COLOR_CYAN, A_REVERSE},
    [ROLE_WARNING] = {"warning", COLOR_YELLOW, -1, A_BOLD},
    [ROLE_BAR] = {"bar", COLOR_GREEN, -1, A_NORMAL},
};

static int role_attr[ROLE_COUNT];

void colors_init(bool want_color)
{
	bool color = want_color && has_colors() && start_color() == OK;
	int i;

	if (color)
		use_default_colors();
	for (i = 0; i < ROLE_COUNT; i++) {
		const struct color_spec *c = &color_roles[i];

		if (color && i != ROLE_NORMAL && init_pair(i, c->fg, c->bg) == OK)
			/* With colour, reverse/dim would fight the colours: keep bold only. */
			role_attr[i] = COLOR_PAIR(i) | (c->attrs & A_BOLD);
		else
			role_attr[i] = c->attrs;
	}
}

int color_attr(enum color_role role)
{
	return role_attr[role];
}

short color_by_name(const char *name)
{
	static const char *names[] = {"black", "red",	  "green", "yellow",
				      "blue",  "magenta", "cyan",  "white"};
	short i;

	if (strcmp(name, "default") == 0)
		return -1;
	for (i = 0; i < 8; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -2;
}
