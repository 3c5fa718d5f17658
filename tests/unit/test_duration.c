/* Unit tests of the Go duration parser (src/lib/base/duration.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/duration.h"

/* Parses s, expecting rc and, when rc is 0, want_ms. */
static void check(const char *s, int rc, int64_t want_ms)
{
	int64_t ms = -12345;

	print_message("%s\n", s);
	assert_int_equal(duration_parse_ms(s, &ms), rc);
	assert_int_equal(ms, rc == 0 ? want_ms : -12345);
}

static void test_units(void **state)
{
	(void)state;
	check("500ms", 0, 500);
	check("15s", 0, 15000);
	check("2m", 0, 120000);
	check("1h", 0, 3600000);
	check("24h", 0, 86400000);
}

static void test_terms(void **state)
{
	(void)state;
	check("1m30s", 0, 90000);
	check("1h1m1s1ms", 0, 3661001);
	check("1s1s", 0, 2000); /* Go adds repeated units */
}

static void test_fractions(void **state)
{
	(void)state;
	check("1.5s", 0, 1500);
	check("1.005s", 0, 1005); /* 1004 in floating point */
	check(".5s", 0, 500);
	check("1.s", 0, 1000);
	check("0.1h", 0, 360000);
	check("1.5ms", 0, 1); /* below a millisecond: dropped */
	check("0.0000000000001h", 0, 0);
}

static void test_zero_and_sign(void **state)
{
	(void)state;
	check("0", 0, 0);
	check("0s", 0, 0);
	check("-0", 0, 0);
	check("+1s", 0, 1000);
	check("-1s", 0, -1000);
	check("-1.5m", 0, -90000);
}

static void test_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",	     "15",    "00",   "3x",  "s",   ".",  ".s",	  "+",	  "-",	  "1s ",  " 1s",
	    "1e3ms", "0x10s", "infs", "1us", "1ns", "1d", "1ms2", "1,5s", "1:30", "--1s",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(bad[i], -EINVAL, 0);
	check(NULL, -EINVAL, 0);
}

static void test_range(void **state)
{
	(void)state;
	check("2562047788015h", 0, 2562047788015LL * 3600000); /* about INT64_MAX ms */
	check("9223372036854775807ms", 0, INT64_MAX);
	check("9223372036854775.807s", 0, INT64_MAX);
	check("9223372036854775.808s", -ERANGE, 0);
	check("2562047788016h", -ERANGE, 0);
	check("99999999999999999999ms", -ERANGE, 0);
	check("9223372036854775807ms1ms", -ERANGE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_units),     cmocka_unit_test(test_terms),
	    cmocka_unit_test(test_fractions), cmocka_unit_test(test_zero_and_sign),
	    cmocka_unit_test(test_invalid),   cmocka_unit_test(test_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
