/* Every key of the monitor, in one table: the help overlay is drawn from it. */
#ifndef CATTOP_KEY_TABLE_H
#define CATTOP_KEY_TABLE_H

#include "ui/tui.h"

#define IN_VIEW(v) (1u << (v))
#define ALL_VIEWS  0u

/* Which sessions a key works in. */
enum key_mode { KEYS_ALWAYS = 0, KEYS_LIVE, KEYS_REPLAY };

struct key_binding {
	int key;
	const char *label; /* for the help overlay; NULL on an alias of the entry above */
	unsigned views;	   /* IN_VIEW() mask, ALL_VIEWS for everywhere */
	enum reaction (*handle)(struct tui *ui);
	const char *help;
	enum key_mode mode;
};

/* Whether b works in this session (live or replay). */
bool key_in_mode(const struct tui *ui, const struct key_binding *b);

extern const struct key_binding key_table[];

/* Runs the first binding of key active in the current view. */
enum reaction key_dispatch(struct tui *ui, int key);
/* Keys typed at the filter/threshold prompt. */
enum reaction key_prompt(struct tui *ui, int key);

#endif
