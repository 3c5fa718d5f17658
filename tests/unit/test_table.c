/* Tests for the server-side Table printing (src/lib/api/table.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "api/resource.h"
#include "api/table.h"

#define NS     1000000000LL
#define MIN    (60 * NS)
#define HOUR   (60 * MIN)
#define DAY    (24 * HOUR)
#define NOW_TS "2026-11-26T12:00:00Z"

static int64_t now_fixed(void)
{
	int64_t ns;

	assert_int_equal(api_time_parse(NOW_TS, &ns), 0);
	return ns;
}

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (!v)
		fail_msg("bad test JSON at %d: %s", err.position, err.text);
	return v;
}

/* The table of one object of the kind, printed at NOW_TS; caller owns it. */
static json_t *table_of(const char *kind, const char *obj_json, const char *include)
{
	const struct api_resource *r = api_resource_by_kind(kind);
	json_t *items = json_array();
	json_t *t;

	json_array_append_new(items, load(obj_json));
	t = api_table_at(r, items, include, NULL, now_fixed());
	json_decref(items);
	assert_non_null(t);
	return t;
}

/* Asserts every cell of the single row of the table of obj_json, as strings ("#n" for an integer).
 */
static void check_row(const char *kind, const char *obj_json, const char *const *want, size_t n)
{
	json_t *t = table_of(kind, obj_json, "None");
	json_t *rows = json_object_get(t, "rows");
	json_t *cells = json_object_get(json_array_get(rows, 0), "cells");

	assert_int_equal(json_array_size(rows), 1);
	assert_int_equal(json_array_size(cells), n);
	assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), n);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(cells, i);
		char got[256];

		if (json_is_integer(c))
			snprintf(got, sizeof(got), "#%lld", (long long)json_integer_value(c));
		else
			snprintf(got, sizeof(got), "%s", json_string_value(c));
		if (strcmp(got, want[i]))
			fail_msg("%s cell %zu: got \"%s\", want \"%s\"", kind, i, got, want[i]);
	}
	json_decref(t);
}

#define CHECK_ROW(kind, json, ...)                                                                 \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__};                                  \
		check_row(kind, json, want_, sizeof(want_) / sizeof(want_[0]));                    \
	} while (0)

/* Asserts the column names, priorities and which is the "name" column. */
static void check_columns(const char *kind, const char *const *names, const int *prio, size_t n)
{
	json_t *t = table_of(kind, "{\"metadata\":{\"name\":\"x\"}}", NULL);
	json_t *cols = json_object_get(t, "columnDefinitions");

	assert_int_equal(json_array_size(cols), n);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(cols, i);
		const char *name = json_string_value(json_object_get(c, "name"));

		assert_string_equal(name, names[i]);
		assert_int_equal(json_integer_value(json_object_get(c, "priority")), prio[i]);
		assert_string_equal(json_string_value(json_object_get(c, "type")), "string");
		assert_string_equal(json_string_value(json_object_get(c, "format")),
				    strcmp(name, "Name") ? "" : "name");
		assert_true(strlen(json_string_value(json_object_get(c, "description"))) > 10);
	}
	json_decref(t);
}

static void test_human_duration(void **state)
{
	static const struct {
		int64_t d;
		const char *want;
	} cases[] = {
	    {-2 * NS, "<invalid>"},
	    {-NS - NS / 2, "0s"},
	    {-NS, "0s"},
	    {0, "0s"},
	    {NS - 1, "0s"},
	    {5 * NS, "5s"},
	    {119 * NS + NS / 2, "119s"},
	    {120 * NS, "2m"},
	    {200 * NS, "3m20s"},
	    {599 * NS, "9m59s"},
	    {600 * NS, "10m"},
	    {659 * NS, "10m"},
	    {179 * MIN + 59 * NS, "179m"},
	    {180 * MIN, "3h"},
	    {3 * HOUR + 30 * MIN, "3h30m"},
	    {7 * HOUR + 59 * MIN, "7h59m"},
	    {8 * HOUR, "8h"},
	    {8 * HOUR + 30 * MIN, "8h"},
	    {47 * HOUR + 59 * MIN, "47h"},
	    {48 * HOUR, "2d"},
	    {49 * HOUR, "2d1h"},
	    {7 * DAY + 23 * HOUR, "7d23h"},
	    {8 * DAY + 5 * HOUR, "8d"},
	    {729 * DAY, "729d"},
	    {730 * DAY, "2y"},
	    {731 * DAY, "2y1d"},
	    {8 * 365 * DAY + 3 * DAY, "8y"},
	    {12 * 365 * DAY, "12y"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		api_human_duration(cases[i].d, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want))
			fail_msg("duration %lld ns: got %s, want %s", (long long)cases[i].d, buf,
				 cases[i].want);
	}
}

static void test_time_parse(void **state)
{
	int64_t ns;

	assert_int_equal(api_time_parse("2026-11-26T10:40:25Z", &ns), 0);
	assert_int_equal(ns, 1795689625LL * NS);
	assert_int_equal(api_time_parse("1970-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(api_time_parse("2026-11-26T10:40:25.123456Z", &ns), 0);
	assert_int_equal(ns, 1795689625LL * NS + 123456000);
	assert_int_equal(api_time_parse("2026-11-26T11:40:25+01:00", &ns), 0);
	assert_int_equal(ns, 1795689625LL * NS);
	assert_int_equal(api_time_parse("2026-11-26T05:10:25-05:30", &ns), 0);
	assert_int_equal(ns, 1795689625LL * NS);
	assert_int_equal(api_time_parse("2026-11-26 10:40:25Z", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-11-26T10:40:25", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-13-26T10:40:25Z", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-11-26T10:40:25.Z", &ns), -EINVAL);
	assert_int_equal(api_time_parse("yesterday", &ns), -EINVAL);
	assert_int_equal(api_time_parse("", &ns), -EINVAL);
	assert_int_equal(api_time_parse("+026-11-26T10:40:25Z", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-11-26T10:40:25+0100", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-11-26T10:40:25Zjunk", &ns), -EINVAL);
	assert_int_equal(api_time_parse("9999-12-31T23:59:59Z", &ns), -EINVAL);
	assert_int_equal(api_time_parse("2026-11-26t10:40:25z", &ns), 0);
	assert_int_equal(ns, 1795689625LL * NS);
}

static void test_service_columns(void **state)
{
	static const char *const names[] = {"Name",    "Type", "Cluster-IP", "External-IP",
					    "Port(s)", "Age",  "Selector"};
	static const int prio[] = {0, 0, 0, 0, 0, 0, 1};

	check_columns("Service", names, prio, 7);
}

static void test_service_cluster_ip(void **state)
{
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-26T11:56:40Z\"},"
		  "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\","
		  "\"clusterIPs\":[\"10.96.0.10\",\"fd00::a\"],\"selector\":{\"tier\":\"web\","
		  "\"app\":\"shop\"},\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},"
		  "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}",
		  "web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "3m20s",
		  "app=shop,tier=web");
	/* externalIPs on a ClusterIP service, clusterIP only (no clusterIPs). */
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"ext\",\"creationTimestamp\":\"2026-11-21T12:00:00Z\"},"
		  "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.11\","
		  "\"externalIPs\":[\"192.0.2.1\",\"192.0.2.2\"],\"ports\":[{\"port\":443}]}}",
		  "ext", "ClusterIP", "10.96.0.11", "192.0.2.1,192.0.2.2", "443/TCP", "5d",
		  "<none>");
}

static void test_service_node_port(void **state)
{
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"np\",\"creationTimestamp\":\"2026-11-26T07:00:00Z\"},"
		  "\"spec\":{\"type\":\"NodePort\",\"clusterIPs\":[\"10.96.1.1\"],"
		  "\"selector\":{\"app\":\"np\"},\"ports\":[{\"port\":80,\"nodePort\":30080,"
		  "\"protocol\":\"TCP\"},{\"port\":443,\"nodePort\":30443,\"protocol\":\"TCP\"}]}}",
		  "np", "NodePort", "10.96.1.1", "<none>", "80:30080/TCP,443:30443/TCP", "5h",
		  "app=np");
}

static void test_service_load_balancer(void **state)
{
	/* No ingress yet. */
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"lb\",\"creationTimestamp\":\"2026-11-26T11:59:55Z\"},"
		  "\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.2.2\"],"
		  "\"ports\":[{\"port\":80,\"nodePort\":31000,\"protocol\":\"TCP\"}]},"
		  "\"status\":{\"loadBalancer\":{}}}",
		  "lb", "LoadBalancer", "10.96.2.2", "<pending>", "80:31000/TCP", "5s", "<none>");
	/* Ingress IPs sorted and without duplicates, hostnames when no IP. */
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"lb\",\"creationTimestamp\":\"2026-11-26T11:50:00Z\"},"
		  "\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.2.2\"],"
		  "\"ports\":[{\"port\":80,\"nodePort\":31000,\"protocol\":\"TCP\"}]},"
		  "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.9\"},"
		  "{\"ip\":\"203.0.113.10\"},{\"ip\":\"203.0.113.9\"},"
		  "{\"hostname\":\"lb.example.com\"}]}}}",
		  "lb", "LoadBalancer", "10.96.2.2", "203.0.113.10,203.0.113.9,lb.example.com",
		  "80:31000/TCP", "10m", "<none>");
	/* Ingress first, then spec.externalIPs. */
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"lb2\",\"creationTimestamp\":\"2026-11-26T11:50:00Z\"},"
		  "\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.2.3\"],"
		  "\"externalIPs\":[\"192.0.2.7\"],\"ports\":[{\"port\":53,\"nodePort\":31053,"
		  "\"protocol\":\"UDP\"}]},\"status\":{\"loadBalancer\":{\"ingress\":"
		  "[{\"ip\":\"203.0.113.5\"}]}}}",
		  "lb2", "LoadBalancer", "10.96.2.3", "203.0.113.5,192.0.2.7", "53:31053/UDP",
		  "10m", "<none>");
}

static void test_service_external_name_and_headless(void **state)
{
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"db\",\"creationTimestamp\":\"2026-11-24T12:00:00Z\"},"
		  "\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}}",
		  "db", "ExternalName", "<none>", "db.example.com", "<none>", "2d", "<none>");
	CHECK_ROW(
	    "Service",
	    "{\"metadata\":{\"name\":\"hl\",\"creationTimestamp\":\"2026-11-26T09:30:00Z\"},"
	    "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],"
	    "\"selector\":{\"app\":\"db\"}}}",
	    "hl", "ClusterIP", "None", "<none>", "<none>", "150m", "app=db");
	/* Without a creation time the age is unknown. */
	CHECK_ROW("Service",
		  "{\"metadata\":{\"name\":\"odd\"},\"spec\":{\"type\":\"Weird\","
		  "\"clusterIPs\":[\"10.0.0.1\"],\"ports\":[{\"port\":1,\"protocol\":\"SCTP\"}]}}",
		  "odd", "Weird", "10.0.0.1", "<unknown>", "1/SCTP", "<unknown>", "<none>");
}

static void test_pod(void **state)
{
	static const char *const names[] = {
	    "Name", "Ready", "Status",	       "Restarts",	 "Age",
	    "IP",   "Node",  "Nominated Node", "Readiness Gates"};
	static const int prio[] = {0, 0, 0, 0, 0, 1, 1, 1, 1};

	check_columns("Pod", names, prio, 9);
	CHECK_ROW(
	    "Pod",
	    "{\"metadata\":{\"name\":\"web-1\",\"creationTimestamp\":\"2026-11-26T11:00:00Z\"},"
	    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
	    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.5\",\"podIPs\":"
	    "[{\"ip\":\"10.244.0.5\"},{\"ip\":\"fd00::5\"}],\"conditions\":[{\"type\":"
	    "\"Ready\",\"status\":\"True\"}],\"containerStatuses\":["
	    "{\"name\":\"a\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}},"
	    "{\"name\":\"b\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}}",
	    "web-1", "2/2", "Running", "0", "60m", "10.244.0.5", "n1", "<none>", "<none>");
	/* Crash looping: waiting reason wins, restarts with the age of the last one. */
	CHECK_ROW(
	    "Pod",
	    "{\"metadata\":{\"name\":\"bad\",\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},"
	    "\"spec\":{\"containers\":[{\"name\":\"a\"}],\"readinessGates\":[{\"conditionType\":"
	    "\"x/ok\"},{\"conditionType\":\"x/lb\"}]},"
	    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"x/ok\",\"status\":"
	    "\"True\"},{\"type\":\"x/lb\",\"status\":\"False\"}],\"containerStatuses\":[{\"name\":"
	    "\"a\",\"ready\":false,\"restartCount\":5,\"state\":{\"waiting\":{\"reason\":"
	    "\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{\"exitCode\":1,"
	    "\"finishedAt\":\"2026-11-26T11:57:00Z\"}}}]}}",
	    "bad", "0/1", "CrashLoopBackOff", "5 (3m ago)", "120m", "<none>", "<none>", "<none>",
	    "1/2");
}

static void test_pod_init_and_terminal(void **state)
{
	/* Second of two init containers running. */
	CHECK_ROW(
	    "Pod",
	    "{\"metadata\":{\"name\":\"i\",\"creationTimestamp\":\"2026-11-26T11:59:30Z\"},"
	    "\"spec\":{\"initContainers\":[{\"name\":\"i1\"},{\"name\":\"i2\"}],\"containers\":"
	    "[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
	    "{\"name\":\"i1\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":"
	    "\"Completed\"}}},{\"name\":\"i2\",\"state\":{\"running\":{}}}],"
	    "\"containerStatuses\":[{\"name\":\"a\",\"state\":{\"waiting\":{\"reason\":"
	    "\"PodInitializing\"}}}]}}",
	    "i", "0/1", "Init:1/2", "0", "30s", "<none>", "<none>", "<none>", "<none>");
	/* A failed init container without a reason. */
	CHECK_ROW(
	    "Pod",
	    "{\"metadata\":{\"name\":\"f\",\"creationTimestamp\":\"2026-11-26T11:59:30Z\"},"
	    "\"spec\":{\"initContainers\":[{\"name\":\"i1\"}],\"containers\":[{\"name\":\"a\"}]},"
	    "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i1\","
	    "\"restartCount\":2,\"state\":{\"terminated\":{\"exitCode\":3}}}]}}",
	    "f", "0/1", "Init:ExitCode:3", "2", "30s", "<none>", "<none>", "<none>", "<none>");
	/* A sidecar (restartable init container) counts as a container. */
	CHECK_ROW(
	    "Pod",
	    "{\"metadata\":{\"name\":\"s\",\"creationTimestamp\":\"2026-11-26T11:59:30Z\"},"
	    "\"spec\":{\"initContainers\":[{\"name\":\"proxy\",\"restartPolicy\":\"Always\"}],"
	    "\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\","
	    "\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\"}],"
	    "\"initContainerStatuses\":[{\"name\":\"proxy\",\"started\":true,\"ready\":true,"
	    "\"state\":{\"running\":{}}}],\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,"
	    "\"state\":{\"running\":{}}}]}}",
	    "s", "2/2", "Running", "0", "30s", "<none>", "<none>", "<none>", "<none>");
	/* Being deleted. */
	CHECK_ROW("Pod",
		  "{\"metadata\":{\"name\":\"t\",\"creationTimestamp\":\"2026-11-26T11:59:30Z\","
		  "\"deletionTimestamp\":\"2026-11-26T12:00:30Z\"},\"spec\":{\"containers\":"
		  "[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":"
		  "[{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}}]}}",
		  "t", "1/1", "Terminating", "0", "30s", "<none>", "<none>", "<none>", "<none>");
}

static void test_pod_completed_condition(void **state)
{
	json_t *t =
	    table_of("Pod",
		     "{\"metadata\":{\"name\":\"job\",\"creationTimestamp\":"
		     "\"2026-11-26T11:00:00Z\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
		     "\"status\":{\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":"
		     "\"a\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":"
		     "\"Completed\"}}}]}}",
		     "None");
	json_t *row = json_array_get(json_object_get(t, "rows"), 0);
	json_t *cond = json_array_get(json_object_get(row, "conditions"), 0);

	assert_string_equal(json_string_value(json_array_get(json_object_get(row, "cells"), 2)),
			    "Completed");
	assert_string_equal(json_string_value(json_object_get(cond, "type")), "Completed");
	assert_string_equal(json_string_value(json_object_get(cond, "status")), "True");
	assert_string_equal(json_string_value(json_object_get(cond, "reason")), "Succeeded");
	json_decref(t);
}

static void test_endpoints(void **state)
{
	CHECK_ROW("Endpoints",
		  "{\"metadata\":{\"name\":\"e\",\"creationTimestamp\":\"2026-11-26T11:59:00Z\"}}",
		  "e", "<none>", "60s");
	CHECK_ROW(
	    "Endpoints",
	    "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},"
	    "{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]}",
	    "e", "10.0.0.1:80,10.0.0.2:80", "<unknown>");
	/* Five addresses over two subsets: three shown. */
	CHECK_ROW(
	    "Endpoints",
	    "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},"
	    "{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"port\":80}]},{\"addresses\":[{\"ip\":"
	    "\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"},{\"ip\":\"10.0.0.5\"}],\"notReadyAddresses\":"
	    "[{\"ip\":\"10.0.0.9\"}],\"ports\":[{\"port\":80}]}]}",
	    "e", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...", "<unknown>");
	/* Two ports: each address once per port; IPv6 in brackets. */
	CHECK_ROW(
	    "Endpoints",
	    "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::1\"},"
	    "{\"ip\":\"fd00::2\"}],\"ports\":[{\"name\":\"http\",\"port\":80},"
	    "{\"name\":\"https\",\"port\":443}]}]}",
	    "e", "[fd00::1]:80,[fd00::2]:80,[fd00::1]:443 + 1 more...", "<unknown>");
	/* Headless without ports: bare addresses. Only not-ready: empty. */
	CHECK_ROW(
	    "Endpoints",
	    "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"}]}]}",
	    "e", "10.0.0.1", "<unknown>");
	CHECK_ROW("Endpoints",
		  "{\"metadata\":{\"name\":\"e\"},\"subsets\":[{\"notReadyAddresses\":[{\"ip\":"
		  "\"10.0.0.1\"}],\"ports\":[{\"port\":80}]}]}",
		  "e", "", "<unknown>");
}

static void test_endpointslice(void **state)
{
	static const char *const names[] = {"Name", "AddressType", "Ports", "Endpoints", "Age"};
	static const int prio[] = {0, 0, 0, 0, 0};

	check_columns("EndpointSlice", names, prio, 5);
	CHECK_ROW(
	    "EndpointSlice",
	    "{\"metadata\":{\"name\":\"web-abc12\",\"creationTimestamp\":"
	    "\"2026-11-26T11:58:00Z\"},\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\","
	    "\"port\":8080,\"protocol\":\"TCP\"}],\"endpoints\":[{\"addresses\":[\"10.244.0.5\"],"
	    "\"conditions\":{\"ready\":true}},{\"addresses\":[\"10.244.0.6\"],\"conditions\":"
	    "{\"ready\":false}}]}",
	    "web-abc12", "IPv4", "8080", "10.244.0.5,10.244.0.6", "2m");
	CHECK_ROW(
	    "EndpointSlice",
	    "{\"metadata\":{\"name\":\"s\"},\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"a\"},"
	    "{},{\"port\":1},{\"port\":2},{\"port\":3}],\"endpoints\":[{\"addresses\":[\"fd00::1\","
	    "\"fd00::2\"]},{\"addresses\":[\"fd00::3\"]},{\"addresses\":[\"fd00::4\"]}]}",
	    "s", "IPv6", "a,*,1 + 2 more...", "fd00::1,fd00::2,fd00::3 + 1 more...", "<unknown>");
	CHECK_ROW("EndpointSlice", "{\"metadata\":{\"name\":\"s\"},\"addressType\":\"FQDN\"}", "s",
		  "FQDN", "<unset>", "<unset>", "<unknown>");
}

static void test_namespace_and_node(void **state)
{
	static const char *const names[] = {
	    "Name",	      "Status",		  "Roles",	 "Age",
	    "Version",	      "Internal-IP",	  "External-IP", "OS-Image",
	    "Kernel-Version", "Container-Runtime"};
	static const int prio[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};

	CHECK_ROW("Namespace",
		  "{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":"
		  "\"2026-11-16T12:00:00Z\"},\"status\":{\"phase\":\"Active\"}}",
		  "default", "Active", "10d");
	check_columns("Node", names, prio, 10);
	CHECK_ROW(
	    "Node",
	    "{\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":\"2026-11-23T08:00:00Z\","
	    "\"labels\":{\"node-role.kubernetes.io/worker\":\"\",\"node-role.kubernetes.io/"
	    "control-plane\":\"\",\"kubernetes.io/role\":\"worker\",\"node-role.kubernetes.io/"
	    "\":\"x\"}},\"spec\":{\"unschedulable\":true},\"status\":{\"conditions\":["
	    "{\"type\":\"MemoryPressure\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":"
	    "\"True\"}],\"addresses\":[{\"type\":\"Hostname\",\"address\":\"n1\"},{\"type\":"
	    "\"InternalIP\",\"address\":\"192.168.1.10\"}],\"nodeInfo\":{\"kubeletVersion\":"
	    "\"v1.32.0\",\"osImage\":\"Debian GNU/Linux 12 (bookworm)\",\"kernelVersion\":"
	    "\"6.1.0-18-amd64\"}}}",
	    "n1", "Ready,SchedulingDisabled", "control-plane,worker", "3d4h", "v1.32.0",
	    "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64",
	    "<unknown>");
	CHECK_ROW("Node",
		  "{\"metadata\":{\"name\":\"n2\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
		  "\"status\":\"Unknown\"}]}}",
		  "n2", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>",
		  "<unknown>", "<unknown>");
	CHECK_ROW("Node", "{\"metadata\":{\"name\":\"n3\"}}", "n3", "Unknown", "<none>",
		  "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>");
}

static void test_event(void **state)
{
	static const char *const names[] = {"Last Seen", "Type",   "Reason",  "Object",
					    "Subobject", "Source", "Message", "First Seen",
					    "Count",	 "Name"};
	static const int prio[] = {0, 0, 0, 0, 1, 1, 0, 1, 1, 1};

	check_columns("Event", names, prio, 10);
	CHECK_ROW("Event",
		  "{\"metadata\":{\"name\":\"web-1.17a\"},\"involvedObject\":{\"kind\":\"Pod\","
		  "\"name\":\"Web-1\",\"fieldPath\":\"spec.containers{a}\"},\"reason\":\"BackOff\","
		  "\"message\":\"  Back-off restarting failed container\\n\",\"type\":\"Warning\","
		  "\"source\":{\"component\":\"kubelet\",\"host\":\"n1\"},\"count\":7,"
		  "\"firstTimestamp\":\"2026-11-26T11:00:00Z\",\"lastTimestamp\":"
		  "\"2026-11-26T11:59:10Z\"}",
		  "50s", "Warning", "BackOff", "pod/Web-1", "spec.containers{a}", "kubelet, n1",
		  "Back-off restarting failed container", "60m", "#7", "web-1.17a");
	/* events.k8s.io style: eventTime only, reporting controller, no count. */
	CHECK_ROW("Event",
		  "{\"metadata\":{\"name\":\"n.1\"},\"involvedObject\":{\"kind\":\"Node\"},"
		  "\"reason\":\"Starting\",\"type\":\"Normal\",\"eventTime\":"
		  "\"2026-11-26T11:59:58.500000Z\",\"reportingController\":\"svcnet-agent\"}",
		  "1s", "Normal", "Starting", "node", "", "svcnet-agent", "", "1s", "#1", "n.1");
	/* A series: its last observation and count. */
	CHECK_ROW("Event",
		  "{\"metadata\":{\"name\":\"s.1\"},\"involvedObject\":{\"kind\":\"Service\","
		  "\"name\":\"web\"},\"reason\":\"Sync\",\"type\":\"Normal\",\"eventTime\":"
		  "\"2026-11-26T11:00:00.000000Z\",\"series\":{\"count\":4,\"lastObservedTime\":"
		  "\"2026-11-26T11:55:00.000000Z\"},\"reportingController\":\"c\","
		  "\"reportingInstance\":\"c-1\",\"message\":\"ok\"}",
		  "5m", "Normal", "Sync", "service/web", "", "c, c-1", "ok", "60m", "#4", "s.1");
}

static void test_generic_fallback(void **state)
{
	static const struct api_resource widget = {
	    .plural = "widgets", .kind = "Widget", .api_version = "example.com/v1"};
	json_t *items = load("[{\"metadata\":{\"name\":\"w\",\"creationTimestamp\":"
			     "\"2026-11-26T11:59:00Z\"}}]");
	json_t *t = api_table_at(&widget, items, "Object", NULL, now_fixed());
	json_t *cols = json_object_get(t, "columnDefinitions");
	json_t *row = json_array_get(json_object_get(t, "rows"), 0);
	json_t *obj = json_object_get(row, "object");

	assert_int_equal(json_array_size(cols), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 0), "name")),
			    "Name");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 1), "name")),
			    "Age");
	assert_string_equal(json_string_value(json_array_get(json_object_get(row, "cells"), 0)),
			    "w");
	assert_string_equal(json_string_value(json_array_get(json_object_get(row, "cells"), 1)),
			    "60s");
	assert_string_equal(json_string_value(json_object_get(obj, "kind")), "Widget");
	assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")),
			    "example.com/v1");
	json_decref(t);
	t = api_table_at(NULL, items, NULL, NULL, now_fixed());
	assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 2);
	json_decref(t);
	json_decref(items);
}

static const char *const svc_json =
    "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web\","
    "\"namespace\":\"default\",\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"labels\":"
    "{\"app\":\"web\"},\"creationTimestamp\":\"2026-11-26T11:00:00Z\"},\"spec\":{\"type\":"
    "\"ClusterIP\",\"clusterIPs\":[\"10.96.0.1\"],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}}";

static void test_include_object(void **state)
{
	json_t *orig = load(svc_json);
	json_t *t, *obj;

	/* None: no object. */
	t = table_of("Service", svc_json, "None");
	assert_null(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object"));
	json_decref(t);

	/* Metadata (also the default): a PartialObjectMetadata with the whole metadata. */
	for (int i = 0; i < 3; i++) {
		t = table_of("Service", svc_json, (const char *[]){NULL, "", "Metadata"}[i]);
		obj = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object");
		assert_string_equal(json_string_value(json_object_get(obj, "kind")),
				    "PartialObjectMetadata");
		assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")),
				    "meta.k8s.io/v1");
		assert_true(json_equal(json_object_get(obj, "metadata"),
				       json_object_get(orig, "metadata")));
		assert_null(json_object_get(obj, "spec"));
		json_decref(t);
	}

	/* Object: the whole object, a copy. */
	t = table_of("Service", svc_json, "Object");
	obj = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object");
	assert_true(json_equal(obj, orig));
	json_decref(t);
	json_decref(orig);

	assert_true(api_table_include_valid(NULL));
	assert_true(api_table_include_valid(""));
	assert_true(api_table_include_valid("None"));
	assert_true(api_table_include_valid("Metadata"));
	assert_true(api_table_include_valid("Object"));
	assert_false(api_table_include_valid("object"));
	assert_false(api_table_include_valid("All"));
}

static void test_object_is_a_copy(void **state)
{
	const struct api_resource *r = api_resource_by_kind("Service");
	json_t *items = json_array();
	json_t *item = load(svc_json);
	json_t *t, *obj;

	/* A list item without its type gets one; the input stays untouched. */
	json_object_del(item, "kind");
	json_object_del(item, "apiVersion");
	json_array_append_new(items, item);
	t = api_table_at(r, items, "Object", NULL, now_fixed());
	obj = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object");
	assert_string_equal(json_string_value(json_object_get(obj, "kind")), "Service");
	assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")), "v1");
	assert_null(json_object_get(item, "kind"));
	json_object_set_new(json_object_get(item, "metadata"), "name", json_string("changed"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")), "web");
	json_decref(t);
	json_decref(items);
}

static void test_table_envelope(void **state)
{
	const struct api_resource *r = api_resource_by_kind("Service");
	json_t *items = load("[]");
	json_t *lm = load("{\"resourceVersion\":\"77\",\"continue\":\"abc\",\"selfLink\":\"x\"}");
	json_t *t, *meta, *empty;

	json_array_append_new(items, load(svc_json));
	json_array_append_new(items, load(svc_json));
	t = api_table_at(r, items, NULL, lm, now_fixed());
	assert_string_equal(json_string_value(json_object_get(t, "kind")), "Table");
	assert_string_equal(json_string_value(json_object_get(t, "apiVersion")), "meta.k8s.io/v1");
	meta = json_object_get(t, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "resourceVersion")), "77");
	assert_string_equal(json_string_value(json_object_get(meta, "continue")), "abc");
	assert_null(json_object_get(meta, "selfLink"));
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 2);
	json_decref(t);

	/* An empty list still has its columns and an empty rows array. */
	empty = json_array();
	t = api_table_at(r, empty, NULL, NULL, now_fixed());
	json_decref(empty);
	assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 7);
	assert_true(json_is_array(json_object_get(t, "rows")));
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 0);
	assert_int_equal(json_object_size(json_object_get(t, "metadata")), 0);
	json_decref(t);

	/* One object (a GET or a watch event) without list metadata: its resourceVersion. */
	json_array_remove(items, 1);
	t = api_table_at(r, items, NULL, NULL, now_fixed());
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(t, "metadata"), "resourceVersion")),
	    "42");
	assert_int_equal(json_array_size(json_object_get(t, "columnDefinitions")), 7);
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 1);
	json_decref(t);
	json_decref(lm);
	json_decref(items);
}

static void test_real_clock(void **state)
{
	const struct api_resource *r = api_resource_by_kind("Namespace");
	char ts[32], obj[128];
	time_t then = time(NULL) - 300;
	json_t *items, *t;
	const char *cell;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&then));
	snprintf(obj, sizeof(obj), "[{\"metadata\":{\"name\":\"n\",\"creationTimestamp\":\"%s\"}}]",
		 ts);
	items = load(obj);
	t = api_table(r, items, "None", NULL);
	cell = json_string_value(json_array_get(
	    json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells"), 2));
	/* Five minutes ago, give or take a slow second. */
	if (strcmp(cell, "5m") && strcmp(cell, "5m1s"))
		fail_msg("age of a 5 minute old object: %s", cell);
	json_decref(t);
	json_decref(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_human_duration),
	    cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_service_columns),
	    cmocka_unit_test(test_service_cluster_ip),
	    cmocka_unit_test(test_service_node_port),
	    cmocka_unit_test(test_service_load_balancer),
	    cmocka_unit_test(test_service_external_name_and_headless),
	    cmocka_unit_test(test_pod),
	    cmocka_unit_test(test_pod_init_and_terminal),
	    cmocka_unit_test(test_pod_completed_condition),
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_endpointslice),
	    cmocka_unit_test(test_namespace_and_node),
	    cmocka_unit_test(test_event),
	    cmocka_unit_test(test_generic_fallback),
	    cmocka_unit_test(test_include_object),
	    cmocka_unit_test(test_object_is_a_copy),
	    cmocka_unit_test(test_table_envelope),
	    cmocka_unit_test(test_real_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
