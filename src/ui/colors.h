/* Colours named for what they mean on screen, not for what they look like. */
#ifndef CATTOP_COLORS_H
#define CATTOP_COLORS_H

#include <stdbool.h>

enum color_role {
	ROLE_NORMAL = 0,
	ROLE_HEADER,   /* the summary lines at the top */
	ROLE_COLUMNS,  /* table column titles */
	ROLE_SORTED,   /* the column the table is sorted by */
	ROLE_SELECTED, /* the cursor row */
	ROLE_SLOW,     /* a value over the threshold */
	ROLE_INFLIGHT, /* a poll running now, over the threshold */
	ROLE_DONE,     /* finished tasks */
	ROLE_DIM,      /* secondary text: locations, tree lines */
	ROLE_STATUS,   /* the bottom line */
	ROLE_WARNING,  /* lost events, process exited, errors */
	ROLE_BAR,      /* histogram bars */
	ROLE_COUNT,
};

struct color_spec {
	const char *name; /* config key: color_<name> */
	short fg, bg;	  /* curses colours, -1 = terminal default */
	int attrs;	  /* attributes used with and without colour */
};

/* The role table, adjustable from the config before colors_init(). */
extern struct color_spec color_roles[ROLE_COUNT];

/* Sets up pairs; without colour (TERM, --no-color) roles fall back to
 * attributes only (bold, reverse, dim). */
void colors_init(bool want_color);
int color_attr(enum color_role role);

/* "red", "default", ... -> curses colour; -2 if unknown. */
short color_by_name(const char *name);

/* Sets a role from a config value "fg" or "fg, bg"; 0 or -EINVAL. */
int color_role_set(const char *role, const char *value);

#endif
