/* The summary lines at the top of every view. */
#ifndef CATTOP_HEADER_PANEL_H
#define CATTOP_HEADER_PANEL_H

struct tui;

/* Draws from line 0; returns the first free line. */
int header_panel_draw(struct tui *ui);

#endif
