/*
 * Unit tests for proxy/scheduler (IPVS semantics, fixed sequences) and
 * proxy/affinity (ClientIP stickiness and its expiry).
 */
#include "proxy/affinity.h"
#include "proxy/scheduler.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

/* A scheduler over 10.0.0.1..n:80 with the given weights. */
static struct scheduler *with_dests(enum sched_algo algo, const int *weights, size_t n)
{
	struct scheduler *s = sched_new(algo, 42);
	struct sched_dest d[16];
	memset(d, 0, sizeof(d));
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "10.0.0.%zu", i + 1);
		d[i].addr = ip(buf);
		d[i].port = 80;
		d[i].weight = weights[i];
	}
	sched_set_dests(s, d, n);
	return s;
}

/* Picks n times, opening a connection on the pick each time; returns the picks as digits. */
static const char *sequence(struct scheduler *s, const char *src, int n)
{
	static char out[64];
	struct ip_addr a = ip(src), vip = ip("10.96.0.10");
	for (int i = 0; i < n; i++) {
		int k = sched_pick(s, &a, &vip, NULL, false);
		out[i] = k < 0 ? '-' : (char)('0' + k);
		if (k >= 0)
			sched_dest_at(s, (size_t)k)->active++;
	}
	out[n] = 0;
	return out;
}

static void test_names(void **state)
{
	enum sched_algo a;
	const char *all[] = {"rr", "lc", "dh", "sh", "sed", "nq", "random"};
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(sched_algo_parse(all[i], &a), 0);
		assert_string_equal(sched_algo_name(a), all[i]);
	}
	assert_int_equal(sched_algo_parse("wrr", &a), -EINVAL);
}

static void test_rr(void **state)
{
	const int w[] = {1, 1, 1};
	struct scheduler *s = with_dests(SCHED_ALG_RR, w, 3);
	assert_string_equal(sequence(s, "1.1.1.1", 7), "0120120");
	/* A weight-0 destination is passed over. */
	sched_dest_at(s, 2)->weight = 0;
	assert_string_equal(sequence(s, "1.1.1.1", 4), "1010");
	sched_dest_at(s, 2)->weight = 1;
	/* Skipped ones (the retry path) too. */
	bool skip[3] = {false, true, false};
	struct ip_addr c = ip("1.1.1.1");
	assert_int_equal(sched_pick(s, &c, NULL, skip, false), 2);
	assert_int_equal(sched_pick(s, &c, NULL, skip, false), 0);
	skip[0] = skip[2] = true;
	assert_int_equal(sched_pick(s, &c, NULL, skip, false), -1);
	sched_free(s);
}

static void test_rr_keeps_position(void **state)
{
	const int w[] = {1, 1, 1, 1};
	struct scheduler *s = with_dests(SCHED_ALG_RR, w, 4);
	assert_string_equal(sequence(s, "1.1.1.1", 2), "01"); /* last pick: 10.0.0.2 */
	/* 10.0.0.2 leaves: the next pick is the one that followed it, 10.0.0.3. */
	struct sched_dest d[3];
	memset(d, 0, sizeof(d));
	d[0] = *sched_dest_at(s, 0);
	d[1] = *sched_dest_at(s, 2);
	d[2] = *sched_dest_at(s, 3);
	sched_set_dests(s, d, 3);
	assert_int_equal(sched_count(s), 3);
	struct ip_addr c = ip("1.1.1.1");
	int k = sched_pick(s, &c, NULL, NULL, false);
	char buf[IP_STRLEN];
	assert_string_equal(ip_addr_format(&sched_dest_at(s, (size_t)k)->addr, buf), "10.0.0.3");
	/* Counts carried over: 10.0.0.1 had one connection. */
	assert_int_equal(sched_dest_at(s, 0)->active, 1);
	assert_int_equal(sched_dest_at(s, 1)->active, 0);
	sched_free(s);
}

static void test_lc(void **state)
{
	const int w[] = {1, 1, 1};
	struct scheduler *s = with_dests(SCHED_ALG_LC, w, 3);
	/* All idle: the first; then the others fill up one by one. */
	assert_string_equal(sequence(s, "1.1.1.1", 6), "012012");
	/* Overhead = active * 256 + inactive. */
	sched_dest_at(s, 0)->active = 2;
	sched_dest_at(s, 1)->active = 1;
	sched_dest_at(s, 1)->inactive = 5;
	sched_dest_at(s, 2)->active = 1;
	sched_dest_at(s, 2)->inactive = 3;
	struct ip_addr c = ip("1.1.1.1");
	assert_int_equal(sched_pick(s, &c, NULL, NULL, false), 2);
	sched_dest_at(s, 2)->inactive = 300; /* 256 + 300 > 256 + 5 */
	assert_int_equal(sched_pick(s, &c, NULL, NULL, false), 1);
	/* Weight 0 takes nothing; other weights do not count: 512 < 556 despite weight 9. */
	sched_dest_at(s, 1)->weight = 0;
	sched_dest_at(s, 2)->weight = 9;
	assert_int_equal(sched_pick(s, &c, NULL, NULL, false), 0);
	/* Closing connections moves the choice back. */
	struct ip_addr a2 = ip("10.0.0.3");
	sched_count_conn(s, &a2, 80, 0, -299);
	assert_int_equal(sched_dest_at(s, 2)->inactive, 1);
	assert_int_equal(sched_pick(s, &c, NULL, NULL, false), 2);
	sched_count_conn(s, &a2, 80, -5, -5); /* counts stop at 0 */
	assert_int_equal(sched_dest_at(s, 2)->active, 0);
	assert_int_equal(sched_dest_at(s, 2)->inactive, 0);
	sched_free(s);
}

static void test_sed_and_nq(void **state)
{
	const int w[] = {1, 2, 3};
	struct scheduler *s = with_dests(SCHED_ALG_SED, w, 3);
	/* (active + 1) / weight: 1/3 < 1/2 < 1; then 1/2 < 2/3 ... ties go to the first. */
	assert_string_equal(sequence(s, "1.1.1.1", 6), "212012");
	sched_free(s);
	s = with_dests(SCHED_ALG_NQ, w, 3);
	/* An idle destination first, whatever its weight; then as sed. */
	assert_string_equal(sequence(s, "1.1.1.1", 5), "01221");
	sched_free(s);
}

static void test_dh(void **state)
{
	const int w[] = {1, 1, 1};
	struct scheduler *s = with_dests(SCHED_ALG_DH, w, 3);
	struct ip_addr c1 = ip("1.1.1.1"), c2 = ip("2.2.2.2");
	struct ip_addr vip = ip("10.96.0.10"), vip2 = ip("10.96.0.11");
	/* Bucket (0x0a60000a * 2654435761) & 255 = 234, filled with 234 % 3 = 0. */
	assert_int_equal(sched_pick(s, &c1, &vip, NULL, false), 0);
	assert_int_equal(sched_pick(s, &c2, &vip, NULL, false), 0);
	/* 10.96.0.11: bucket (11 * 0xb1) & 255 = 155, 155 % 3 = 2. */
	assert_int_equal(sched_pick(s, &c1, &vip2, NULL, false), 2);
	/* Unavailable: no destination, unless falling back (bucket (234 + 2*234) & 255). */
	bool skip[3] = {true, false, false};
	assert_int_equal(sched_pick(s, &c1, &vip, skip, false), -1);
	assert_int_equal(sched_pick(s, &c1, &vip, skip, true), 2);
	sched_free(s);
}

static void test_sh(void **state)
{
	const int w[] = {1, 1, 1};
	struct scheduler *s = with_dests(SCHED_ALG_SH, w, 3);
	/* Buckets of 10.0.0.1/2/3: 177, 98, 19 -> 0, 2, 1 with one bucket per destination. */
	assert_string_equal(sequence(s, "10.0.0.1", 3), "000");
	assert_string_equal(sequence(s, "10.0.0.2", 3), "222");
	assert_string_equal(sequence(s, "10.0.0.3", 3), "111");
	sched_free(s);
	/* Weights 2,1,1: buckets cycle 0,0,1,2 -> 177 % 4 = 1, 98 % 4 = 2, 19 % 4 = 3. */
	const int w2[] = {2, 1, 1};
	s = with_dests(SCHED_ALG_SH, w2, 3);
	assert_string_equal(sequence(s, "10.0.0.1", 1), "0");
	assert_string_equal(sequence(s, "10.0.0.2", 1), "1");
	assert_string_equal(sequence(s, "10.0.0.3", 1), "2");
	/* IPv6 folds the four words: 2001:db8::1 -> 0x20010db8 ^ 1. */
	struct ip_addr v6 = ip("2001:db8::1");
	unsigned b = ((0x20010db8u ^ 1u) * 2654435761u) & 255;
	int want = (int)(b % 4 < 2 ? 0 : b % 4 - 1);
	assert_int_equal(sched_pick(s, &v6, NULL, NULL, false), want);
	sched_free(s);
}

static void test_random(void **state)
{
	const int w[] = {1, 1, 0, 2};
	struct scheduler *s = with_dests(SCHED_ALG_RANDOM, w, 4);
	int hits[4] = {0};
	struct ip_addr c = ip("1.1.1.1");
	for (int i = 0; i < 4000; i++)
		hits[sched_pick(s, &c, NULL, NULL, false)]++;
	assert_int_equal(hits[2], 0);
	/* By weight: about 1000, 1000, 2000. */
	assert_in_range(hits[0], 850, 1150);
	assert_in_range(hits[1], 850, 1150);
	assert_in_range(hits[3], 1800, 2200);
	/* The same seed, the same sequence. */
	struct scheduler *t = with_dests(SCHED_ALG_RANDOM, w, 4);
	struct scheduler *u = with_dests(SCHED_ALG_RANDOM, w, 4);
	for (int i = 0; i < 50; i++)
		assert_int_equal(sched_pick(t, &c, NULL, NULL, false),
				 sched_pick(u, &c, NULL, NULL, false));
	sched_free(t);
	sched_free(u);
	bool skip[4] = {true, true, false, false};
	for (int i = 0; i < 20; i++)
		assert_int_equal(sched_pick(s, &c, NULL, skip, false), 3);
	sched_free(s);
}

static void test_empty(void **state)
{
	struct ip_addr c = ip("1.1.1.1");
	for (int a = SCHED_ALG_RR; a <= SCHED_ALG_RANDOM; a++) {
		struct scheduler *s = sched_new((enum sched_algo)a, 1);
		assert_int_equal(sched_pick(s, &c, &c, NULL, true), -1);
		sched_free(s);
	}
}

static void test_affinity_sticks_and_expires(void **state)
{
	struct affinity *a = affinity_new(10);
	struct ip_addr c1 = ip("192.168.0.1"), c2 = ip("fd00::1");
	struct ip_addr b1 = ip("10.0.0.1"), b2 = ip("10.0.0.2"), got;
	uint16_t port;
	assert_false(affinity_lookup(a, &c1, 0, &got, &port));
	affinity_record(a, &c1, &b1, 80, 1000);
	affinity_record(a, &c2, &b2, 81, 1000);
	assert_int_equal(affinity_count(a), 2);
	assert_true(affinity_lookup(a, &c1, 10999, &got, &port));
	assert_int_equal(ip_cmp(&got, &b1), 0);
	assert_int_equal(port, 80);
	/* That use moved c1's clock: still sticky 9.9 s later, not 10 s later. */
	assert_true(affinity_lookup(a, &c1, 20900, &got, &port));
	assert_false(affinity_lookup(a, &c1, 30900, &got, &port));
	assert_int_equal(affinity_count(a), 1);
	/* c2 unused since 1000: gone by expiry. */
	assert_int_equal(affinity_expire(a, 10999), 0);
	assert_int_equal(affinity_expire(a, 11000), 1);
	assert_int_equal(affinity_count(a), 0);
	affinity_free(a);
}

static bool keep_not_b1(const struct ip_addr *backend, uint16_t port, void *arg)
{
	return ip_cmp(backend, (const struct ip_addr *)arg) != 0;
}

static void test_affinity_retain_and_grow(void **state)
{
	struct affinity *a = affinity_new(10800);
	struct ip_addr b1 = ip("10.0.0.1"), b2 = ip("10.0.0.2"), got;
	uint16_t port;
	for (int i = 0; i < 1000; i++) {
		struct ip_addr c = ip("172.16.0.0");
		c.b[2] = (uint8_t)(i >> 8);
		c.b[3] = (uint8_t)i;
		affinity_record(a, &c, i % 2 ? &b1 : &b2, 80, 5);
	}
	assert_int_equal(affinity_count(a), 1000);
	affinity_retain(a, keep_not_b1, &b1);
	assert_int_equal(affinity_count(a), 500);
	struct ip_addr c = ip("172.16.0.3");
	assert_false(affinity_lookup(a, &c, 6, &got, &port)); /* was on b1 */
	c = ip("172.16.0.4");
	assert_true(affinity_lookup(a, &c, 6, &got, &port));
	assert_int_equal(ip_cmp(&got, &b2), 0);
	/* Replacing keeps one entry. */
	affinity_record(a, &c, &b1, 90, 7);
	assert_int_equal(affinity_count(a), 500);
	assert_true(affinity_lookup(a, &c, 8, &got, &port));
	assert_int_equal(port, 90);
	affinity_set_timeout(a, 1);
	assert_int_equal(affinity_expire(a, 1008), 500);
	affinity_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_rr),
	    cmocka_unit_test(test_rr_keeps_position),
	    cmocka_unit_test(test_lc),
	    cmocka_unit_test(test_sed_and_nq),
	    cmocka_unit_test(test_dh),
	    cmocka_unit_test(test_sh),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_affinity_sticks_and_expires),
	    cmocka_unit_test(test_affinity_retain_and_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
