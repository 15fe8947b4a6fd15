/* The text table of batch mode (-b), top -b style: a header, then one line
 * per task sorted by longest poll (or -s KEY). Slow values carry a '!' marker. */
#ifndef CATTOP_BATCH_TABLE_H
#define CATTOP_BATCH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/task_sort.h"

struct session;
struct task;

/* Prints the header and the first max_rows tasks (0: all), names escaped
 * (safe_text.h). Returns 0, or -errno when out could not be written. */
/* One task's line, and the column titles over such lines (light mode's
 * columns, or the probes'): the table of several processes puts a
 * PROCESS column before them. */
void batch_table_row(FILE *out, const struct session *s, const struct task *t, uint64_t now);
void batch_table_titles(FILE *out, bool light);

int batch_table_print(FILE *out, const struct session *s, uint64_t now, size_t max_rows,
		      enum task_sort sort);

#endif
