/* A task's row in light mode (--light): the task table's columns with what
 * the samples say, since no poll is seen. POLLS and SLOW show "-" (not
 * known, rather than 0); BUSY is the sampled CPU, BUSY% its share of one
 * CPU over the sampling, LONGEST the longest run of samples in one poll
 * and INFLIGHT how long the poll running now has run at least. */
#ifndef CATTOP_LIGHT_ROW_H
#define CATTOP_LIGHT_ROW_H

#include <stdbool.h>

struct tui;
struct task;

/* The task table's column widths, POLLS to SLOW; 0: not shown. */
struct light_row_widths {
	int polls, busy, busy_pct, age, longest, inflight, slow;
};

/* Draws from x on line y (idle: the IDLE cell's text); returns the
 * column where the name goes. */
int light_row_draw(struct tui *ui, int y, int x, const struct task *t, int attr, bool selected,
		   const struct light_row_widths *w, const char *idle);

#endif
