/* The main view: one row per task, sorted, filtered, slow values marked. */
#ifndef CATTOP_TASK_TABLE_H
#define CATTOP_TASK_TABLE_H

#include <stdbool.h>

#include "model/task_view.h"

struct tui;

void task_table_draw(struct tui *ui, int y);

/* The pieces the table over several processes (process_task_table) shares:
 * the titles and a row from column x on (after its PROCESS column), with
 * ui->s the row's process; gone: the process exited (row dimmed, STATE
 * "exited"). */
void task_table_draw_titles(struct tui *ui, int y, int x);
/* What an empty task list says at line y: filtered out, or nothing yet. */
void task_table_draw_empty(const struct tui *ui, int y);
void task_table_draw_row(struct tui *ui, int y, int x, const struct task *t, bool selected,
			 bool gone);
/* Whether t passes the / filter, or the group it was reached from. */
bool task_table_passes(const struct tui *ui, const struct task *t, const struct site_table *sites);

/* The / filter: a glob (* ? [) matched against the whole name, else a
 * word found anywhere in it; both ignore case. Empty matches all. */
bool task_table_name_matches(const char *filter, const char *name);

/* The sortable columns in screen order, for < and >. */
enum task_sort task_table_next_sort(enum task_sort current, int direction);
const char *task_sort_name(enum task_sort sort);
/* A config word (longest, busy, polls, slow, inflight, name, id) -> sort. */
enum task_sort task_sort_by_name(const char *word);

/* The sort of the column whose title is at column x (as last drawn), -1
 * if none. */
int task_table_sort_at(int x);

#endif
