/* The summary lines over several processes (-p A,B, --pidof): which
 * processes, then the sums of their tasks, events, losses and cost. */
#ifndef CATTOP_PROCESS_HEADER_H
#define CATTOP_PROCESS_HEADER_H

struct tui;

/* Draws from line 0; returns the first free line. */
int process_header_draw(struct tui *ui);

#endif
