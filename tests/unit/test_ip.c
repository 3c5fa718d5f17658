/* Unit tests for base/ip: parsing, formatting, CIDR math, address classes. */
#include "base/ip.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static struct ip_cidr cidr(const char *s)
{
	struct ip_cidr c;
	assert_int_equal(ip_cidr_parse(s, false, &c), 0);
	return c;
}

/* Parses s and formats it back; expects want. */
static void round_trip(const char *s, const char *want)
{
	char buf[IP_STRLEN];
	struct ip_addr a = ip(s);
	assert_string_equal(ip_addr_format(&a, buf), want);
}

static void test_parse_format_v4(void **state)
{
	struct ip_addr a = ip("10.96.0.10");
	assert_int_equal(a.family, IP_V4);
	assert_int_equal(a.b[0], 10);
	assert_int_equal(a.b[3], 10);
	round_trip("0.0.0.0", "0.0.0.0");
	round_trip("255.255.255.255", "255.255.255.255");
	const char *bad[] = {"",	  "1.2.3",   "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
			     "1.2.3.4/8", "a.b.c.d", " 1.2.3.4",  "1.2.3.4 ",  "-1.2.3.4"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ip_addr_parse(bad[i], &a), -EINVAL);
}

static void test_parse_format_v6(void **state)
{
	round_trip("fd00:10:96::a", "fd00:10:96::a");
	round_trip("FD00:0010:0096:0000:0000:0000:0000:000A", "fd00:10:96::a");
	round_trip("::", "::");
	round_trip("::1", "::1");
	round_trip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");    /* first longest run */
	round_trip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero: not :: */
	round_trip("fe80::1:2", "fe80::1:2");
	struct ip_addr a = ip("::ffff:10.0.0.1");
	assert_int_equal(a.family, IP_V6);
	const char *bad[] = {":::",	"1::2::3",	     "fe80::1%eth0", "[::1]",
			     "12345::", "1:2:3:4:5:6:7:8:9", "g::1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ip_addr_parse(bad[i], &a), -EINVAL);
}

static void test_cidr_parse(void **state)
{
	char buf[CIDR_STRLEN];
	struct ip_cidr c = cidr("10.96.0.0/12");
	assert_int_equal(c.prefix, 12);
	assert_string_equal(ip_cidr_format(&c, buf), "10.96.0.0/12");
	/* Host bits: cleared when loose, refused when strict. */
	c = cidr("10.96.1.7/12");
	assert_string_equal(ip_cidr_format(&c, buf), "10.96.0.0/12");
	assert_int_equal(ip_cidr_parse("10.96.1.7/12", true, &c), -EINVAL);
	assert_int_equal(ip_cidr_parse("10.96.0.0/12", true, &c), 0);
	c = cidr("FD00:10:96::5/112");
	assert_string_equal(ip_cidr_format(&c, buf), "fd00:10:96::/112");
	c = cidr("0.0.0.0/0");
	assert_int_equal(c.prefix, 0);
	const char *bad[] = {"10.0.0.0",    "10.0.0.0/33",  "10.0.0.0/",
			     "10.0.0.0/-1", "10.0.0.0/08",  "::/129",
			     "x/8",	    "10.0.0.0/8/8", "10.0.0.0/1a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ip_cidr_parse(bad[i], false, &c), -EINVAL);
}

static void test_contains_last_size(void **state)
{
	char buf[IP_STRLEN];
	struct ip_cidr c = cidr("10.96.0.0/12");
	struct ip_addr a = ip("10.111.255.255"), b = ip("10.112.0.0"), six = ip("::a");
	assert_true(ip_cidr_contains(&c, &a));
	assert_false(ip_cidr_contains(&c, &b));
	assert_false(ip_cidr_contains(&c, &six));
	struct ip_addr last;
	ip_cidr_last(&c, &last);
	assert_string_equal(ip_addr_format(&last, buf), "10.111.255.255");
	assert_int_equal(ip_cidr_size(&c), 1 << 20);
	struct ip_cidr c6 = cidr("fd00::/112");
	ip_cidr_last(&c6, &last);
	assert_string_equal(ip_addr_format(&last, buf), "fd00::ffff");
	assert_int_equal(ip_cidr_size(&c6), 65536);
	struct ip_cidr big = cidr("fd00::/48");
	assert_true(ip_cidr_size(&big) == UINT64_MAX);
	struct ip_cidr all = cidr("0.0.0.0/0");
	assert_true(ip_cidr_contains(&all, &b));
	struct ip_addr in6 = ip("fd00::1234");
	assert_true(ip_cidr_contains(&c6, &in6));
	struct ip_addr out6 = ip("fd00::1:0");
	assert_false(ip_cidr_contains(&c6, &out6));
}

static void test_add_offset(void **state)
{
	char buf[IP_STRLEN];
	struct ip_addr a = ip("10.96.0.255"), r;
	assert_int_equal(ip_add(&a, 1, &r), 0);
	assert_string_equal(ip_addr_format(&r, buf), "10.96.1.0");
	uint64_t off;
	assert_int_equal(ip_offset(&a, &r, &off), 0);
	assert_int_equal(off, 1);
	assert_int_equal(ip_offset(&r, &a, &off), -ERANGE);
	struct ip_addr top = ip("255.255.255.254");
	assert_int_equal(ip_add(&top, 1, &r), 0);
	assert_int_equal(ip_add(&top, 2, &r), -ERANGE);
	struct ip_addr v6 = ip("fd00::ffff:ffff:ffff:ffff");
	assert_int_equal(ip_add(&v6, 1, &r), 0);
	assert_string_equal(ip_addr_format(&r, buf), "fd00:0:0:1::");
	assert_int_equal(ip_offset(&v6, &r, &off), 0);
	assert_int_equal(off, 1);
	struct ip_addr lo = ip("fd00::"), hi = ip("fd00:0:0:1::");
	assert_int_equal(ip_offset(&lo, &hi, &off), -ERANGE); /* 2^64 does not fit */
	struct ip_addr v4 = ip("10.0.0.1");
	assert_int_equal(ip_offset(&v4, &lo, &off), -ERANGE);
	struct ip_addr max6 = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(ip_add(&max6, 1, &r), -ERANGE);
	assert_true(ip_cmp(&v4, &lo) < 0);
	assert_true(ip_cmp(&hi, &lo) > 0);
	assert_int_equal(ip_cmp(&lo, &lo), 0);
}

static void test_classes(void **state)
{
	struct ip_addr a;
	a = ip("127.0.0.53");
	assert_true(ip_is_loopback(&a));
	a = ip("::1");
	assert_true(ip_is_loopback(&a));
	a = ip("::2");
	assert_false(ip_is_loopback(&a));
	a = ip("128.0.0.1");
	assert_false(ip_is_loopback(&a));
	a = ip("169.254.1.1");
	assert_true(ip_is_link_local(&a));
	a = ip("169.253.1.1");
	assert_false(ip_is_link_local(&a));
	a = ip("fe80::1");
	assert_true(ip_is_link_local(&a));
	a = ip("febf::1");
	assert_true(ip_is_link_local(&a));
	a = ip("fec0::1");
	assert_false(ip_is_link_local(&a));
	a = ip("0.0.0.0");
	assert_true(ip_is_unspecified(&a));
	a = ip("::");
	assert_true(ip_is_unspecified(&a));
	a = ip("224.0.0.1");
	assert_true(ip_is_multicast(&a));
	a = ip("ff02::1");
	assert_true(ip_is_multicast(&a));
	a = ip("10.0.0.1");
	assert_false(ip_is_multicast(&a));
	assert_string_equal(ip_family_name(IP_V6), "IPv6");
	assert_string_equal(ip_family_name(IP_V4), "IPv4");
	assert_int_equal(ip_bits(IP_V6), 128);
}

static void test_ptr_name(void **state)
{
	char buf[IP_PTR_STRLEN];
	struct ip_addr a = ip("10.96.0.10");
	assert_string_equal(ip_ptr_name(&a, buf), "10.0.96.10.in-addr.arpa");
	a = ip("2001:db8::567:89ab");
	assert_string_equal(
	    ip_ptr_name(&a, buf),
	    "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_format_v4), cmocka_unit_test(test_parse_format_v6),
	    cmocka_unit_test(test_cidr_parse),	    cmocka_unit_test(test_contains_last_size),
	    cmocka_unit_test(test_add_offset),	    cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_ptr_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
