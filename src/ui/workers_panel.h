/* One line per runtime worker thread: what it is polling now, for how long.
 * A worker stuck in one poll is the first thing to see on a stalled service. */
#ifndef CATTOP_WORKERS_PANEL_H
#define CATTOP_WORKERS_PANEL_H

struct tui;

/* Draws at most max_lines lines from line y; returns the first free line. */
int workers_panel_draw(struct tui *ui, int y, int max_lines);

#endif
