#include "util/duration.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
	const char *suffix;
	double ns;
};

static const struct unit units[] = {
    {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
};

static const double max_duration_ns = 86400e9;

int duration_parse(const char *text, uint64_t bare_unit_ns, uint64_t *out_ns)
{
	double value, scale = (double)bare_unit_ns;
	char *end;
	size_t i;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	value = strtod(text, &end);
	if (errno || end == text || !isfinite(value) || value < 0)
		return -EINVAL;
	if (*end) {
		scale = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].suffix) == 0) {
				scale = units[i].ns;
				break;
			}
		}
	}
	if (scale == 0 || value * scale > max_duration_ns)
		return -EINVAL;
	*out_ns = (uint64_t)llround(value * scale);
	return 0;
}

char *duration_format(uint64_t ns, char *buf, size_t len)
{
	static const struct unit steps[] = {{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		double v = ns / steps[i].ns;

		if (v >= 1.0) {
			int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;

			snprintf(buf, len, "%.*f%s", decimals, v, steps[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}
