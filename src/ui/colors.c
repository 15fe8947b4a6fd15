#include "ui/colors.h"

#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <stdio.h>
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

static short parse_color(const char *text, size_t len)
{
	char name[16];

	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (len >= sizeof(name))
		return -2;
	snprintf(name, sizeof(name), "%.*s", (int)len, text);
	return color_by_name(name);
}

int color_role_set(const char *role, const char *value)
{
	const char *comma = strchr(value, ',');
	short fg, bg = -1;
	int i;

	fg = parse_color(value, comma ? (size_t)(comma - value) : strlen(value));
	if (comma)
		bg = parse_color(comma + 1, strlen(comma + 1));
	if (fg == -2 || bg == -2)
		return -EINVAL;
	for (i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(color_roles[i].name, role) == 0) {
			color_roles[i].fg = fg;
			color_roles[i].bg = bg;
			return 0;
		}
	}
	return -ENOENT;
}
