/* The grouped view (g) over several processes: a task type's tasks in
 * every process on one row, how many processes run it, and where its
 * longest poll was. */
#ifndef CATTOP_PROCESS_GROUP_TABLE_H
#define CATTOP_PROCESS_GROUP_TABLE_H

struct tui;

void process_group_table_draw(struct tui *ui, int y);

#endif
