/* Byte counts for people: 512 B, 3.8 KiB, 12.0 MiB, 1.20 GiB. */
#ifndef CATTOP_BYTE_SIZE_H
#define CATTOP_BYTE_SIZE_H

#include <stddef.h>
#include <stdint.h>

char *byte_size_format(uint64_t bytes, char *buf, size_t len);

#endif
