#include "util/count_format.h"

#include <stdio.h>
#include <string.h>

const char *count_format(uint64_t n, char *buf, size_t len)
{
	char digits[24];
	size_t nd, i, o = 0;

	if (!len)
		return buf;
	nd = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	for (i = 0; i < nd && o + 1 < len; i++) {
		if (i && (nd - i) % 3 == 0) {
			if (o + 2 >= len)
				break;
			buf[o++] = ',';
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}
