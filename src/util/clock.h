/* The clock of the probes' timestamps (bpf_ktime_get_ns is CLOCK_MONOTONIC). */
#ifndef CATTOP_CLOCK_H
#define CATTOP_CLOCK_H

#include <stdint.h>

uint64_t monotonic_now_ns(void);

#endif
