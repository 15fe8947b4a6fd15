/* Duration parsing and formatting, including the absurd inputs. */
#include <stdint.h>

#include "check.h"
#include "util/duration.h"

int check_passed, check_failed;

static uint64_t parsed(const char *s, uint64_t bare)
{
	uint64_t ns = 12345;

	return duration_parse(s, bare, &ns) ? UINT64_MAX : ns;
}

int main(void)
{
	char buf[32];

	CHECK(parsed("100us", 0) == 100000);
	CHECK(parsed("2ms", 0) == 2000000);
	CHECK(parsed("1s", 0) == 1000000000);
	CHECK(parsed("1.5s", 0) == 1500000000);
	CHECK(parsed("250ns", 0) == 250);
	CHECK(parsed("3", NSEC_PER_SEC) == 3000000000ULL);
	CHECK(parsed("0.5", NSEC_PER_SEC) == 500000000ULL);
	CHECK(parsed("3", 0) == UINT64_MAX);	/* a unit is required */
	CHECK(parsed("-1ms", 0) == UINT64_MAX); /* negative */
	CHECK(parsed("10parsecs", 0) == UINT64_MAX);
	CHECK(parsed("", 0) == UINT64_MAX);
	CHECK(parsed("1e30s", 0) == UINT64_MAX); /* absurdly large */
	CHECK(parsed("nan", NSEC_PER_SEC) == UINT64_MAX);
	CHECK_STR(duration_format(950, buf, sizeof(buf)), "950ns");
	CHECK_STR(duration_format(12345, buf, sizeof(buf)), "12.3us");
	CHECK_STR(duration_format(2010000, buf, sizeof(buf)), "2.01ms");
	CHECK_STR(duration_format(6000000000ULL, buf, sizeof(buf)), "6.00s");
	CHECK_STR(duration_format(150000000000ULL, buf, sizeof(buf)), "150s");
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
