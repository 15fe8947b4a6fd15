/* Batch mode's table over several processes (-p A,B, --pidof): a line per
 * process, every task in one order with a PROCESS column, then the task
 * types across processes. */
#ifndef CATTOP_PROCESSES_TABLE_H
#define CATTOP_PROCESSES_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/task_sort.h"

struct session_set;

/* Returns 0, or -errno when out could not be written. */
int processes_table_print(FILE *out, const struct session_set *set, uint64_t now, size_t max_rows,
			  enum task_sort sort);

#endif
