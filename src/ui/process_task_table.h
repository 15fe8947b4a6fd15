/* The tasks view over several processes (-p A,B, --pidof): every task of
 * every process in one order, a PROCESS column first. */
#ifndef CATTOP_PROCESS_TASK_TABLE_H
#define CATTOP_PROCESS_TASK_TABLE_H

struct tui;

void process_task_table_draw(struct tui *ui, int y);

#endif
