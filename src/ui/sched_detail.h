/* The task detail's scheduled-time section: wakes, self-wakes, and how
 * long wakes waited for their poll (total, mean, max, log2 histogram). */
#ifndef CATTOP_SCHED_DETAIL_H
#define CATTOP_SCHED_DETAIL_H

struct tui;
struct task;

/* Draws it from line y in at most max_lines lines (under 4: the summary
 * line alone); returns the next free line. Nothing (y) when the runtime
 * profile probes no wakes. */
int sched_detail_draw(struct tui *ui, int y, int max_lines, const struct task *task);

#endif
