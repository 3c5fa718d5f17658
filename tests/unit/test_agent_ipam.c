/*
 * Unit tests of the agent's pure parts: IPAM (src/agent/ipam.c), probe
 * definitions (probe.c), the container environment (podenv.c) and the Pod
 * of `svcnet run` (runspec.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent-internal.h"
#include "base/strbuf.h"

static char *tmpfile_path(void)
{
	char tmpl[] = "/tmp/svcnet-ipam.XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	unlink(tmpl);
	return xstrdup(tmpl);
}

static void expect_ip(struct agent_ipam *ipam, const char *owner, const char *want)
{
	struct ip_addr a;
	char buf[IP_STRLEN];
	assert_int_equal(agent_ipam_alloc(ipam, owner, &a), 0);
	assert_string_equal(ip_addr_format(&a, buf), want);
}

static void test_ipam_alloc_persist(void **state)
{
	char *path = tmpfile_path(), *err = NULL;
	struct agent_ipam ipam;
	assert_int_equal(agent_ipam_open(&ipam, path, "10.244.0.0/24", &err), 0);
	struct ip_addr gw;
	char buf[IP_STRLEN];
	agent_ipam_gateway(&ipam, &gw);
	assert_string_equal(ip_addr_format(&gw, buf), "10.244.0.1");
	expect_ip(&ipam, "default/a", "10.244.0.2");
	expect_ip(&ipam, "default/b", "10.244.0.3");
	expect_ip(&ipam, "default/a", "10.244.0.2"); /* the same owner keeps its address */
	assert_int_equal(agent_ipam_release(&ipam, "default/a"), 0);
	expect_ip(&ipam, "default/c", "10.244.0.2"); /* the lowest free one */
	agent_ipam_close(&ipam);

	/* A restart reads the file back. */
	assert_int_equal(agent_ipam_open(&ipam, path, "10.244.0.0/24", &err), 0);
	expect_ip(&ipam, "default/b", "10.244.0.3");
	expect_ip(&ipam, "default/c", "10.244.0.2");
	expect_ip(&ipam, "default/d", "10.244.0.4");
	agent_ipam_close(&ipam);
	unlink(path);
	free(path);
}

static void test_ipam_full_and_bad(void **state)
{
	char *path = tmpfile_path(), *err = NULL;
	struct agent_ipam ipam;
	struct ip_addr a;
	/* A /30 has .0 network, .1 node, .2 the only pod, .3 broadcast. */
	assert_int_equal(agent_ipam_open(&ipam, path, "10.1.0.0/30", &err), 0);
	expect_ip(&ipam, "ns/one", "10.1.0.2");
	assert_int_equal(agent_ipam_alloc(&ipam, "ns/two", &a), -ENOSPC);
	agent_ipam_close(&ipam);
	assert_int_equal(agent_ipam_open(&ipam, path, "fd00::/64", &err), -EINVAL);
	assert_non_null(strstr(err, "IPv4"));
	free(err);
	unlink(path);
	free(path);
}

static json_t *container_with(const char *probe_json)
{
	json_t *c = json_pack("{s:s,s:[{s:s,s:i}]}", "name", "web", "ports", "name", "http",
			      "containerPort", 8080);
	json_object_set_new(c, "readinessProbe", json_loads(probe_json, 0, NULL));
	return c;
}

static void test_probe_parse(void **state)
{
	struct agent_probe p;
	char *err = NULL;
	json_t *c = container_with("{\"httpGet\":{\"port\":\"http\",\"path\":\"healthz\"}}");
	assert_int_equal(agent_probe_parse(json_object_get(c, "readinessProbe"), c, &p, &err), 0);
	assert_int_equal(p.kind, AGENT_PROBE_HTTP);
	assert_int_equal(p.port, 8080);
	assert_string_equal(p.path, "/healthz");
	assert_int_equal(p.period_s, 10);
	assert_int_equal(p.timeout_s, 1);
	assert_int_equal(p.success_threshold, 1);
	assert_int_equal(p.failure_threshold, 3);
	agent_probe_free(&p);
	json_decref(c);

	c = container_with("{\"tcpSocket\":{\"port\":9000},\"periodSeconds\":2,"
			   "\"initialDelaySeconds\":5,\"failureThreshold\":1}");
	assert_int_equal(agent_probe_parse(json_object_get(c, "readinessProbe"), c, &p, &err), 0);
	assert_int_equal(p.kind, AGENT_PROBE_TCP);
	assert_int_equal(p.port, 9000);
	assert_int_equal(p.period_s, 2);
	assert_int_equal(p.initial_delay_s, 5);
	assert_int_equal(p.failure_threshold, 1);
	agent_probe_free(&p);
	json_decref(c);

	c = container_with("{\"exec\":{\"command\":[\"test\",\"-f\",\"/tmp/ready\"]}}");
	assert_int_equal(agent_probe_parse(json_object_get(c, "readinessProbe"), c, &p, &err), 0);
	assert_int_equal(p.kind, AGENT_PROBE_EXEC);
	assert_string_equal(p.argv[2], "/tmp/ready");
	assert_null(p.argv[3]);
	agent_probe_free(&p);
	json_decref(c);

	c = container_with("{\"tcpSocket\":{\"port\":\"nope\"}}");
	assert_int_equal(agent_probe_parse(json_object_get(c, "readinessProbe"), c, &p, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "nope"));
	free(err);
	json_decref(c);

	assert_int_equal(agent_probe_parse(NULL, NULL, &p, &err), 0);
	assert_int_equal(p.kind, AGENT_PROBE_NONE);
}

static void expect_flag(const char *spec, const char *want)
{
	char *err = NULL;
	json_t *p = agent_readiness_flag(spec, &err);
	assert_non_null(p);
	char *s = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, want);
	free(s);
	json_decref(p);
}

static void test_readiness_flag(void **state)
{
	expect_flag("http:8080/healthz", "{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080}}");
	expect_flag("http:web", "{\"httpGet\":{\"path\":\"/\",\"port\":\"web\"}}");
	expect_flag("tcp:53", "{\"tcpSocket\":{\"port\":53}}");
	expect_flag("exec:test -f /ok", "{\"exec\":{\"command\":[\"sh\",\"-c\",\"test -f /ok\"]}}");
	const char *bad[] = {"http:", "tcp:", "exec:", "grpc:80", "8080"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		assert_null(agent_readiness_flag(bad[i], &err));
		assert_non_null(strstr(err, "--readiness"));
		free(err);
	}
}

static void test_expand(void **state)
{
	char *env[] = {"A=1", "B=two", NULL};
	const char *cases[][2] = {
	    {"$(A)-$(B)", "1-two"}, {"$$(A)", "$(A)"}, {"$(C)", "$(C)"},
	    {"x$(A", "x$(A"},	    {"$A", "$A"},      {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = agent_expand(cases[i][0], env);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

static void test_pod_env(void **state)
{
	json_t *pod = json_loads(
	    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u1\"},"
	    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\","
	    "\"command\":[\"echo\",\"$(GREETING)\"],\"args\":[\"$(REDIS_MASTER_SERVICE_HOST)\"],"
	    "\"env\":[{\"name\":\"GREETING\",\"value\":\"hi $(POD_NAME)\"},"
	    "{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}"
	    ","
	    "{\"name\":\"IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}},"
	    "{\"name\":\"REDIS_MASTER_SERVICE_PORT\",\"value\":\"1\"}]}]}}",
	    0, NULL);
	json_t *svcs = json_loads("[{\"metadata\":{\"name\":\"redis-master\",\"namespace\":\"ns\"},"
				  "\"spec\":{\"clusterIP\":\"10.0.0.11\",\"ports\":[{\"port\":6379,"
				  "\"protocol\":\"TCP\"}]}}]",
				  0, NULL);
	json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
	char **env = agent_pod_env(pod, c, svcs, "10.244.0.9", "10.244.0.1");
	/* POD_NAME is defined after GREETING, so the reference stays (kubelet's order). */
	assert_string_equal(agent_env_get(env, "GREETING"), "hi $(POD_NAME)");
	assert_string_equal(agent_env_get(env, "POD_NAME"), "p");
	assert_string_equal(agent_env_get(env, "IP"), "10.244.0.9");
	assert_string_equal(agent_env_get(env, "REDIS_MASTER_SERVICE_HOST"), "10.0.0.11");
	/* The container's own value wins over the service variable. */
	assert_string_equal(agent_env_get(env, "REDIS_MASTER_SERVICE_PORT"), "1");
	assert_string_equal(agent_env_get(env, "REDIS_MASTER_PORT"), "tcp://10.0.0.11:6379");
	assert_string_equal(agent_env_get(env, "HOSTNAME"), "p");
	assert_non_null(agent_env_get(env, "PATH"));
	assert_string_equal(env[0], "GREETING=hi $(POD_NAME)");
	char **argv = agent_container_argv(c, env);
	assert_string_equal(argv[0], "echo");
	assert_string_equal(argv[1], "hi $(POD_NAME)");
	assert_string_equal(argv[2], "10.0.0.11");
	assert_null(argv[3]);
	agent_strv_free(argv);
	agent_strv_free(env);
	json_decref(svcs);
	json_decref(pod);
}

static void test_resolv_conf(void **state)
{
	char *r = agent_resolv_conf("10.96.0.10", "my-ns");
	assert_string_equal(r, "nameserver 10.96.0.10\n"
			       "search my-ns.svc.cluster.local svc.cluster.local cluster.local\n"
			       "options ndots:5\n");
	free(r);
	char *n = agent_netns_name("default", "web-1");
	assert_string_equal(n, "svcnet-default-web-1");
	free(n);
}

static void test_run_pod(void **state)
{
	char *cmd[] = {"socat", "TCP-LISTEN:8080,fork", "SYSTEM:echo hi", NULL};
	struct agent_run_opts o = {.name = "web",
				   .ns = "my-ns",
				   .port = "http:8080",
				   .readiness = "http:http/",
				   .period_s = 2,
				   .env = "A=1,B=2",
				   .cmd = cmd};
	char *err = NULL;
	json_t *pod = agent_run_pod(&o, &err);
	assert_non_null(pod);
	json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "image")), "svcnet/local");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "command"), 0)),
			    "socat");
	assert_int_equal(json_array_size(json_object_get(c, "args")), 2);
	json_t *port = json_array_get(json_object_get(c, "ports"), 0);
	assert_int_equal(json_integer_value(json_object_get(port, "containerPort")), 8080);
	assert_string_equal(json_string_value(json_object_get(port, "name")), "http");
	json_t *probe = json_object_get(c, "readinessProbe");
	assert_int_equal(json_integer_value(json_object_get(probe, "periodSeconds")), 2);
	assert_int_equal(json_array_size(json_object_get(c, "env")), 2);
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	assert_string_equal(json_string_value(json_object_get(labels, "run")), "web");
	json_decref(pod);

	o.labels = "app=web,tier=fe";
	o.port = "http:99999";
	assert_null(agent_run_pod(&o, &err));
	assert_non_null(strstr(err, "--port"));
	free(err);
	o.port = NULL;
	o.labels = "novalue";
	assert_null(agent_run_pod(&o, &err));
	assert_non_null(strstr(err, "--labels"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipam_alloc_persist),
	    cmocka_unit_test(test_ipam_full_and_bad),
	    cmocka_unit_test(test_probe_parse),
	    cmocka_unit_test(test_readiness_flag),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_pod_env),
	    cmocka_unit_test(test_resolv_conf),
	    cmocka_unit_test(test_run_pod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
