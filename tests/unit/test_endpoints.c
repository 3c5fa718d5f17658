/*
 * Unit tests for the Endpoints controller's object (controllers/endpoints.h):
 * subsets by port set, ready and not-ready addresses, sorting, headless,
 * publishNotReadyAddresses, the 1000 cap and its annotation, labels, and no
 * write when nothing changed.
 */
#include "controllers/endpoints.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *svc_new(void)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:{s:s}, s:s, s:[s], "
			 "s:[{s:s, s:i, s:s, s:s}, {s:s, s:i, s:s, s:i}]}}",
			 "apiVersion", "v1", "kind", "Service", "metadata", "name", "web",
			 "namespace", "default", "uid", "u1", "labels", "team", "a", "spec",
			 "selector", "app", "web", "clusterIP", "10.96.0.10", "ipFamilies", "IPv4",
			 "ports", "name", "http", "port", 80, "protocol", "TCP", "targetPort",
			 "web", "name", "metrics", "port", 9100, "protocol", "TCP", "targetPort",
			 9100);
}

/* Pod i: IP 10.2.x.y, named port "web" = port (0: none), ready or not. */
static json_t *pod_new(int i, bool ready, int port)
{
	char name[32], ip[32], uid[32];
	snprintf(name, sizeof(name), "p%04d", i);
	snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 200, 200 - i % 200);
	snprintf(uid, sizeof(uid), "uid-%d", i);
	json_t *ports =
	    port ? json_pack("[{s:s, s:i}]", "name", "web", "containerPort", port) : json_array();
	return json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:[{s:s, s:o}]}, s:{s:s, s:s, s:[{s:s, "
			 "s:s}]}}",
			 "metadata", "name", name, "namespace", "default", "uid", uid, "spec",
			 "nodeName", "n1", "containers", "name", "c", "ports", ports, "status",
			 "phase", "Running", "podIP", ip, "conditions", "type", "Ready", "status",
			 ready ? "True" : "False");
}

static size_t count(const json_t *subsets, const char *list)
{
	size_t n = 0, i;
	json_t *ss;
	json_array_foreach(subsets, i, ss) n += json_array_size(json_object_get(ss, list));
	return n;
}

static void test_subsets_by_ports(void **state)
{
	json_t *svc = svc_new();
	json_t *pods = json_array();
	json_array_append_new(pods, pod_new(1, true, 8080));
	json_array_append_new(pods, pod_new(2, false, 8080));
	json_array_append_new(pods, pod_new(3, true, 8081));
	json_array_append_new(pods, pod_new(4, true, 0));
	json_t *term = pod_new(5, true, 8080);
	json_object_set_new(json_object_get(term, "metadata"), "deletionTimestamp",
			    json_string("2026-01-01T00:00:00Z"));
	json_array_append_new(pods, term);
	bool truncated;
	json_t *ss = endpoints_subsets(svc, pods, 1000, &truncated);
	assert_false(truncated);
	/* Ports {web:8080, metrics}, {web:8081, metrics} and {metrics}: three subsets. */
	assert_int_equal(json_array_size(ss), 3);
	assert_int_equal(count(ss, "addresses"), 3);
	assert_int_equal(count(ss, "notReadyAddresses"), 1);
	size_t i;
	json_t *s;
	int found = 0;
	json_array_foreach(ss, i, s)
	{
		json_t *ports = json_object_get(s, "ports");
		if (json_array_size(ports) != 2 ||
		    json_integer_value(json_object_get(json_array_get(ports, 0), "port")) != 8080)
			continue;
		found++;
		/* Sorted by name: http before metrics. */
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(ports, 0), "name")), "http");
		json_t *a = json_array_get(json_object_get(s, "addresses"), 0);
		assert_string_equal(json_string_value(json_object_get(a, "ip")), "10.2.0.199");
		assert_string_equal(json_string_value(json_object_get(a, "nodeName")), "n1");
		json_t *ref = json_object_get(a, "targetRef");
		assert_string_equal(json_string_value(json_object_get(ref, "kind")), "Pod");
		assert_string_equal(json_string_value(json_object_get(ref, "name")), "p0001");
		json_t *nr = json_array_get(json_object_get(s, "notReadyAddresses"), 0);
		assert_string_equal(json_string_value(json_object_get(nr, "ip")), "10.2.0.198");
	}
	assert_int_equal(found, 1);
	json_decref(ss);
	/* publishNotReadyAddresses: every pod ready, the terminating one included. */
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	ss = endpoints_subsets(svc, pods, 1000, &truncated);
	assert_int_equal(count(ss, "addresses"), 5);
	assert_int_equal(count(ss, "notReadyAddresses"), 0);
	json_decref(ss);
	json_decref(pods);
	json_decref(svc);
}

static void test_sorted_addresses(void **state)
{
	json_t *svc = svc_new();
	json_t *pods = json_array();
	for (int i = 0; i < 30; i++)
		json_array_append_new(pods, pod_new(i, true, 8080));
	json_t *low = pod_new(999, true, 8080);
	json_object_set_new(json_object_get(low, "status"), "podIP", json_string("10.2.0.9"));
	json_array_append_new(pods, low);
	bool truncated;
	json_t *ss = endpoints_subsets(svc, pods, 1000, &truncated);
	json_t *addrs = json_object_get(json_array_get(ss, 0), "addresses");
	assert_int_equal(json_array_size(addrs), 31);
	/* By address value, not as strings: 10.2.0.9, 10.2.0.171 ... 10.2.0.200. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(addrs, 0), "ip")),
			    "10.2.0.9");
	assert_string_equal(json_string_value(json_object_get(json_array_get(addrs, 1), "ip")),
			    "10.2.0.171");
	assert_string_equal(json_string_value(json_object_get(json_array_get(addrs, 30), "ip")),
			    "10.2.0.200");
	json_decref(ss);
	json_decref(pods);
	json_decref(svc);
}

static void test_headless_without_ports(void **state)
{
	json_t *svc = svc_new();
	json_t *spec = json_object_get(svc, "spec");
	json_object_set_new(spec, "ports", json_array());
	json_t *pods = json_array();
	json_t *p = pod_new(1, true, 0);
	json_object_set_new(json_object_get(p, "spec"), "hostname", json_string("h1"));
	json_object_set_new(json_object_get(p, "spec"), "subdomain", json_string("web"));
	json_array_append_new(pods, p);
	bool truncated;
	/* A Service with an IP and no ports has no endpoints. */
	json_t *ss = endpoints_subsets(svc, pods, 1000, &truncated);
	assert_int_equal(json_array_size(ss), 0);
	json_decref(ss);
	json_object_set_new(spec, "clusterIP", json_string("None"));
	json_t *ep = endpoints_reconcile(svc, pods, NULL);
	assert_non_null(ep);
	ss = json_object_get(ep, "subsets");
	assert_int_equal(json_array_size(ss), 1);
	assert_null(json_object_get(json_array_get(ss, 0), "ports"));
	json_t *a = json_array_get(json_object_get(json_array_get(ss, 0), "addresses"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "hostname")), "h1");
	json_t *labels = json_object_get(json_object_get(ep, "metadata"), "labels");
	assert_string_equal(
	    json_string_value(json_object_get(labels, "service.kubernetes.io/headless")), "");
	assert_string_equal(json_string_value(json_object_get(labels, "team")), "a");
	json_decref(ep);
	json_decref(pods);
	json_decref(svc);
}

static void test_capacity(void **state)
{
	json_t *svc = svc_new();
	json_t *pods = json_array();
	for (int i = 0; i < 1100; i++)
		json_array_append_new(pods, pod_new(i, i % 10 != 0, i % 2 ? 8080 : 8081));
	json_t *ep = endpoints_reconcile(svc, pods, NULL);
	json_t *ss = json_object_get(ep, "subsets");
	/* 990 ready fit; 10 of the 110 not ready are kept. */
	assert_int_equal(count(ss, "addresses"), 990);
	assert_int_equal(count(ss, "notReadyAddresses"), 10);
	json_t *ann = json_object_get(json_object_get(ep, "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, ENDPOINTS_OVER_CAPACITY)),
			    "truncated");
	/* Stored as is, the same input writes nothing. */
	json_object_set_new(json_object_get(ep, "metadata"), "resourceVersion", json_string("5"));
	assert_null(endpoints_reconcile(svc, pods, ep));
	/* Over 1000 ready: only ready ones, 1000 in all. */
	json_array_clear(pods);
	for (int i = 0; i < 1200; i++)
		json_array_append_new(pods, pod_new(i, i < 1150, 8080));
	json_t *ep2 = endpoints_reconcile(svc, pods, ep);
	ss = json_object_get(ep2, "subsets");
	assert_int_equal(count(ss, "addresses"), 1000);
	assert_int_equal(count(ss, "notReadyAddresses"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ep2, "metadata"), "resourceVersion")),
	    "5");
	/* Back under capacity: the annotation goes. */
	while (json_array_size(pods) > 300)
		json_array_remove(pods, json_array_size(pods) - 1);
	json_t *ep3 = endpoints_reconcile(svc, pods, ep2);
	assert_int_equal(count(json_object_get(ep3, "subsets"), "addresses"), 300);
	assert_null(json_object_get(json_object_get(ep3, "metadata"), "annotations"));
	json_decref(ep3);
	json_decref(ep2);
	json_decref(ep);
	json_decref(pods);
	json_decref(svc);
}

static void test_no_change_no_write(void **state)
{
	json_t *svc = svc_new();
	json_t *pods = json_array();
	for (int i = 0; i < 250; i++)
		json_array_append_new(pods, pod_new(i, true, 8080));
	json_t *ep = endpoints_reconcile(svc, pods, NULL);
	assert_non_null(ep);
	assert_int_equal(count(json_object_get(ep, "subsets"), "addresses"), 250);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ep, "metadata"), "name")), "web");
	assert_null(endpoints_reconcile(svc, pods, ep));
	/* A label change on the Service is written. */
	json_object_set_new(json_object_get(json_object_get(svc, "metadata"), "labels"), "x",
			    json_string("y"));
	json_t *ep2 = endpoints_reconcile(svc, pods, ep);
	assert_non_null(ep2);
	assert_null(endpoints_reconcile(svc, pods, ep2));
	/* One pod not ready: written, and it moves to notReadyAddresses. */
	json_array_set_new(pods, 3, pod_new(3, false, 8080));
	json_t *ep3 = endpoints_reconcile(svc, pods, ep2);
	assert_non_null(ep3);
	assert_int_equal(count(json_object_get(ep3, "subsets"), "notReadyAddresses"), 1);
	/* No pods: an Endpoints without subsets. */
	json_array_clear(pods);
	json_t *ep4 = endpoints_reconcile(svc, pods, ep3);
	assert_null(json_object_get(ep4, "subsets"));
	assert_null(endpoints_reconcile(svc, pods, ep4));
	json_decref(ep4);
	json_decref(ep3);
	json_decref(ep2);
	json_decref(ep);
	json_decref(pods);
	json_decref(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subsets_by_ports),	   cmocka_unit_test(test_sorted_addresses),
	    cmocka_unit_test(test_headless_without_ports), cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_no_change_no_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
