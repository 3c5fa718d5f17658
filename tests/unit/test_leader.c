/* Unit tests of the leader election decision (src/controllers/leader.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controllers/leader.h"

#define ME "host_me"

static json_t *spec(const char *holder, int duration_s)
{
	return json_pack("{s:s, s:i, s:i, s:s, s:s}", "holderIdentity", holder,
			 "leaseDurationSeconds", duration_s, "leaseTransitions", 4, "acquireTime",
			 "2024-01-01T00:00:00.000000Z", "renewTime", "2024-01-01T00:00:05.000000Z");
}

static void test_decide_no_lease(void **state)
{
	(void)state;
	assert_int_equal(leader_decide(NULL, ME, 0, 1000), LEADER_CREATE);
}

static void test_decide_ours(void **state)
{
	(void)state;
	json_t *s = spec(ME, 15);
	/* Ours: renew, whether or not it would have expired. */
	assert_int_equal(leader_decide(s, ME, 0, 1000), LEADER_RENEW);
	assert_int_equal(leader_decide(s, ME, 0, 60000), LEADER_RENEW);
	json_decref(s);
}

static void test_decide_other_holder(void **state)
{
	(void)state;
	json_t *s = spec("host_other", 15);
	/* Seen at 10 s on our clock: valid until 25 s, taken over from then on. */
	assert_int_equal(leader_decide(s, ME, 10000, 10000), LEADER_WAIT);
	assert_int_equal(leader_decide(s, ME, 10000, 24999), LEADER_WAIT);
	assert_int_equal(leader_decide(s, ME, 10000, 25000), LEADER_ACQUIRE);
	json_decref(s);
}

static void test_decide_free(void **state)
{
	(void)state;
	json_t *s = spec("", 1);
	/* Released (no holder): take it at once. */
	assert_int_equal(leader_decide(s, ME, 10000, 10000), LEADER_ACQUIRE);
	json_t *empty = json_object();
	assert_int_equal(leader_decide(empty, ME, 10000, 10000), LEADER_ACQUIRE);
	json_decref(empty);
	json_decref(s);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void test_next_spec_renew_keeps_acquire(void **state)
{
	(void)state;
	json_t *s = spec(ME, 15);
	/* 2024-01-01T00:00:10.000042Z */
	json_t *n = leader_next_spec(s, LEADER_RENEW, ME, 15, 1704067210000042LL);
	assert_string_equal(str(n, "holderIdentity"), ME);
	assert_string_equal(str(n, "acquireTime"), "2024-01-01T00:00:00.000000Z");
	assert_string_equal(str(n, "renewTime"), "2024-01-01T00:00:10.000042Z");
	assert_int_equal(num(n, "leaseTransitions"), 4);
	assert_int_equal(num(n, "leaseDurationSeconds"), 15);
	json_decref(n);
	json_decref(s);
}

static void test_next_spec_takeover(void **state)
{
	(void)state;
	json_t *s = spec("host_other", 15);
	json_t *n = leader_next_spec(s, LEADER_ACQUIRE, ME, 3, 1704067210500000LL);
	assert_string_equal(str(n, "holderIdentity"), ME);
	assert_string_equal(str(n, "acquireTime"), "2024-01-01T00:00:10.500000Z");
	assert_string_equal(str(n, "renewTime"), "2024-01-01T00:00:10.500000Z");
	assert_int_equal(num(n, "leaseTransitions"), 5);
	assert_int_equal(num(n, "leaseDurationSeconds"), 3);
	/* The old spec is untouched. */
	assert_string_equal(str(s, "holderIdentity"), "host_other");
	json_decref(n);
	json_decref(s);
}

static void test_next_spec_create(void **state)
{
	(void)state;
	json_t *n = leader_next_spec(NULL, LEADER_CREATE, ME, 15, 0);
	assert_string_equal(str(n, "acquireTime"), "1970-01-01T00:00:00.000000Z");
	assert_int_equal(num(n, "leaseTransitions"), 0);
	json_decref(n);
}

static void test_config_check(void **state)
{
	(void)state;
	struct leader_config c;
	char *err = NULL;
	leader_config_defaults(&c);
	assert_true(c.enabled);
	assert_string_equal(c.name, "svcnet-controllers");
	assert_string_equal(c.namespace, "kube-system");
	assert_int_equal(leader_config_check(&c, &err), 0);
	c.renew_ms = 2400; /* must exceed 1.2 x 2000 */
	assert_int_equal(leader_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err, "renew-deadline"));
	free(err);
	err = NULL;
	leader_config_defaults(&c);
	c.lease_ms = c.renew_ms;
	assert_int_equal(leader_config_check(&c, &err), -EINVAL);
	assert_non_null(strstr(err, "lease-duration"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide_no_lease),
	    cmocka_unit_test(test_decide_ours),
	    cmocka_unit_test(test_decide_other_holder),
	    cmocka_unit_test(test_decide_free),
	    cmocka_unit_test(test_next_spec_renew_keeps_acquire),
	    cmocka_unit_test(test_next_spec_takeover),
	    cmocka_unit_test(test_next_spec_create),
	    cmocka_unit_test(test_config_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
