/* The main view: one row per task, sorted, filtered, slow values marked. */
#ifndef CATTOP_TASK_TABLE_H
#define CATTOP_TASK_TABLE_H

#include <stdbool.h>

#include "model/task_view.h"

struct tui;

void task_table_draw(struct tui *ui, int y);

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
