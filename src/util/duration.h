/* Parsing and printing of durations such as "100us", "2ms", "1.5s". */
#ifndef CATTOP_DURATION_H
#define CATTOP_DURATION_H

#include <stdint.h>
#include <stddef.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* Parses "<number>[ns|us|ms|s|m]"; a bare number is taken in bare_unit_ns
 * (pass 0 to require a unit). Returns 0, or -EINVAL for malformed, negative
 * or absurdly large (> 1 day) values. */
int duration_parse(const char *text, uint64_t bare_unit_ns, uint64_t *out_ns);

/* Formats with three significant digits and the largest fitting unit, e.g.
 * "950ns", "12.3us", "2.01ms", "6.00s". Returns buf. */
char *duration_format(uint64_t ns, char *buf, size_t len);

#endif
