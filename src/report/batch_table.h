/* The text table of batch mode (-b), top -b style: a header, then one line
 * per task sorted by longest poll (or -s KEY). Slow values carry a '!' marker. */
#ifndef CATTOP_BATCH_TABLE_H
#define CATTOP_BATCH_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/task_sort.h"

struct session;

/* Prints the header and the first max_rows tasks (0: all), names escaped
 * (safe_text.h). Returns 0, or -errno when out could not be written. */
int batch_table_print(FILE *out, const struct session *s, uint64_t now, size_t max_rows,
		      enum task_sort sort);

#endif
