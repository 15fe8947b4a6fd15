/* The text table of batch mode (-b), top -b style: a header, then one line
 * per task sorted by longest poll. Slow values carry a '!' marker. */
#ifndef CATTOP_BATCH_TABLE_H
#define CATTOP_BATCH_TABLE_H

#include <stdint.h>
#include <stdio.h>

struct session;

void batch_table_print(FILE *out, const struct session *s, uint64_t now);

#endif
