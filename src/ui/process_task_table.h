/* The tasks view over several processes (-p A,B, --pidof): every task of
 * every process in one order, a PROCESS column first. */
#ifndef CATTOP_PROCESS_TASK_TABLE_H
#define CATTOP_PROCESS_TASK_TABLE_H

#include <stddef.h>

struct session_set;
struct traced_process;
struct tui;

void process_task_table_draw(struct tui *ui, int y);

/* The PROCESS column, shared with the groups' "longest in": its width for
 * the processes traced, and a process's cell ("wl-tokio:8828", or the pid
 * alone on a narrow screen, where the header says which program it is). */
int process_column_width(const struct session_set *set);
const char *process_column_text(const struct traced_process *p, char *buf, size_t len);

#endif
