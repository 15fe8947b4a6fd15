/* Counts as people read them: 9,998 (thousands grouped). */
#ifndef CATTOP_COUNT_FORMAT_H
#define CATTOP_COUNT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Writes n into buf (24 bytes hold any uint64_t) and returns buf. */
const char *count_format(uint64_t n, char *buf, size_t len);

#endif
