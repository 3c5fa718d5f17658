/* Unit tests for the LoadBalancer address pool (controllers/lbpool.h). */
#include "controllers/lbpool.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct lbpool *pool(const char *cidrs)
{
	struct lbpool *p = NULL;
	char *err = NULL;
	assert_int_equal(lbpool_new(cidrs, &p, &err), 0);
	assert_null(err);
	return p;
}

static void test_parse(void **state)
{
	struct lbpool *p;
	char *err = NULL;
	assert_int_equal(lbpool_new("nonsense", &p, &err), -EINVAL);
	assert_non_null(strstr(err, "nonsense"));
	free(err);
	err = NULL;
	assert_int_equal(lbpool_new("10.0.0.0/24,10.1.0.0/24", &p, &err), -EINVAL);
	assert_non_null(strstr(err, "more than one IPv4"));
	free(err);
	err = NULL;
	assert_int_equal(lbpool_new("", &p, &err), -EINVAL);
	free(err);
	p = pool("192.168.10.0/24,fd00:1b::/120");
	size_t used, total;
	lbpool_stats(p, &used, &total);
	assert_int_equal(used, 0);
	assert_int_equal(total, 254 + 256);
	assert_true(lbpool_has_family(p, IP_V4));
	assert_true(lbpool_has_family(p, IP_V6));
	lbpool_free(p);
}

static void test_lowest_free_and_sticky(void **state)
{
	struct lbpool *p = pool("192.168.10.0/29");
	char ip[IP_STRLEN];
	assert_int_equal(lbpool_alloc(p, "default/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.1");
	assert_int_equal(lbpool_alloc(p, "default/b", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.2");
	/* Asking again gives the same address. */
	assert_int_equal(lbpool_alloc(p, "default/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.1");
	assert_int_equal(lbpool_lookup(p, "default/b", IP_V4, ip), 0);
	assert_string_equal(ip, "192.168.10.2");
	assert_int_equal(lbpool_lookup(p, "default/b", IP_V6, ip), -ENOENT);
	/* A released address is the lowest free one again. */
	lbpool_release(p, "default/a");
	assert_int_equal(lbpool_lookup(p, "default/a", IP_V4, ip), -ENOENT);
	assert_int_equal(lbpool_alloc(p, "default/c", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.1");
	assert_int_equal(lbpool_alloc(p, "default/x", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.3");
	lbpool_free(p);
}

static void test_exhaustion(void **state)
{
	/* A /30 holds two addresses: network and broadcast are left out. */
	struct lbpool *p = pool("10.20.0.0/30");
	char ip[IP_STRLEN];
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "10.20.0.1");
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "10.20.0.2");
	assert_int_equal(lbpool_alloc(p, "ns/c", IP_V4, NULL, ip), -ENOSPC);
	size_t used, total;
	lbpool_stats(p, &used, &total);
	assert_int_equal(used, 2);
	assert_int_equal(total, 2);
	lbpool_release(p, "ns/a");
	assert_int_equal(lbpool_alloc(p, "ns/c", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "10.20.0.1");
	assert_int_equal(lbpool_alloc(p, "ns/c", IP_V6, NULL, ip), -EAFNOSUPPORT);
	lbpool_free(p);
	/* A /32 is one address. */
	p = pool("10.30.0.7/32");
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "10.30.0.7");
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, NULL, ip), -ENOSPC);
	lbpool_free(p);
}

static void test_requested(void **state)
{
	struct lbpool *p = pool("192.168.10.0/24");
	char ip[IP_STRLEN];
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, "192.168.10.50", ip), 0);
	assert_string_equal(ip, "192.168.10.50");
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, "192.168.10.50", ip), -EADDRINUSE);
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, "10.0.0.1", ip), -ERANGE);
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, "192.168.10.255", ip), -ERANGE);
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, "not-an-ip", ip), -EINVAL);
	/* Changing the request moves the Service to the new address and frees the old. */
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, "192.168.10.60", ip), 0);
	assert_string_equal(ip, "192.168.10.60");
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, "192.168.10.50", ip), 0);
	size_t used, total;
	lbpool_stats(p, &used, &total);
	assert_int_equal(used, 2);
	/* Without a request the held address stays. */
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.60");
	lbpool_free(p);
}

static void test_mark_rebuild(void **state)
{
	struct lbpool *p = pool("192.168.10.0/28,fd00::/120");
	char ip[IP_STRLEN];
	assert_int_equal(lbpool_mark(p, "ns/a", "192.168.10.1"), 0);
	assert_int_equal(lbpool_mark(p, "ns/a", "192.168.10.1"), 0);
	assert_int_equal(lbpool_mark(p, "ns/b", "192.168.10.1"), -EEXIST);
	assert_int_equal(lbpool_mark(p, "ns/a", "192.168.10.2"), -EINVAL);
	assert_int_equal(lbpool_mark(p, "ns/c", "172.16.0.1"), -ERANGE);
	assert_int_equal(lbpool_mark(p, "ns/c", "garbage"), -EINVAL);
	assert_int_equal(lbpool_mark(p, "ns/a", "fd00::0005"), 0);
	/* After the rebuild, new Services get other addresses; ns/a keeps its own. */
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.2");
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V4, NULL, ip), 0);
	assert_string_equal(ip, "192.168.10.1");
	assert_int_equal(lbpool_alloc(p, "ns/a", IP_V6, NULL, ip), 0);
	assert_string_equal(ip, "fd00::5");
	assert_int_equal(lbpool_alloc(p, "ns/b", IP_V6, NULL, ip), 0);
	assert_string_equal(ip, "fd00::");
	lbpool_release(p, "ns/a");
	size_t used, total;
	lbpool_stats(p, &used, &total);
	assert_int_equal(used, 2);
	lbpool_free(p);
}

static void test_large_v6(void **state)
{
	struct lbpool *p = pool("fd00:1::/64");
	size_t used, total;
	lbpool_stats(p, &used, &total);
	assert_int_equal(total, 65536);
	char ip[IP_STRLEN], key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "ns/s%d", i);
		assert_int_equal(lbpool_alloc(p, key, IP_V6, NULL, ip), 0);
	}
	assert_string_equal(ip, "fd00:1::3e7");
	lbpool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),	 cmocka_unit_test(test_lowest_free_and_sticky),
	    cmocka_unit_test(test_exhaustion),	 cmocka_unit_test(test_requested),
	    cmocka_unit_test(test_mark_rebuild), cmocka_unit_test(test_large_v6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
