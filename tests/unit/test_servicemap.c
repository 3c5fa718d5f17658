/* Unit tests for proxy/servicemap: the service map kube-proxy would compute, and its diff. */
#include "proxy/servicemap.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define MAXOBJ 8

/* Objects of one test, parsed from JSON text. */
struct fixture {
	json_t *svcs[MAXOBJ];
	size_t n_svcs;
	json_t *slices[MAXOBJ];
	size_t n_slices;
	json_t *node;
};

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad JSON in test: %s at %d: %s", e.text, e.position, text);
	return v;
}

static void add_svc(struct fixture *f, const char *text)
{
	f->svcs[f->n_svcs++] = parse(text);
}

static void add_slice(struct fixture *f, const char *text)
{
	f->slices[f->n_slices++] = parse(text);
}

static struct svcmap *build(struct fixture *f, const char *node_name)
{
	struct svcmap_input in = {
	    .services = f->svcs,
	    .n_services = f->n_svcs,
	    .slices = f->slices,
	    .n_slices = f->n_slices,
	    .node_name = node_name,
	    .node = f->node,
	};
	return svcmap_build(&in);
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->n_svcs; i++)
		json_decref(f->svcs[i]);
	for (size_t i = 0; i < f->n_slices; i++)
		json_decref(f->slices[i]);
	json_decref(f->node);
	memset(f, 0, sizeof(*f));
}

static const char *fmt(const struct ip_addr *a)
{
	static char buf[4][IP_STRLEN];
	static int k;
	k = (k + 1) % 4;
	return ip_addr_format(a, buf[k]);
}

/* "addr:port,addr:port" of an endpoint list, for compact assertions. */
static char *eps_str(const struct svcmap_endpoint *e, size_t n)
{
	static char buf[512];
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s%s:%u", i ? "," : "", fmt(&e[i].addr),
			 e[i].port);
	}
	return buf;
}

#define WEB_SVC                                                                                    \
	"{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"                              \
	"\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\","                           \
	"\"clusterIPs\":[\"10.96.0.10\"],\"ports\":[{\"name\":\"http\",\"port\":80,"               \
	"\"protocol\":\"TCP\",\"targetPort\":8080}]}}"

/* A slice of default/web with port http:8080 and the given endpoints array. */
static char *web_slice(const char *name, const char *endpoints)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\","
		 "\"labels\":{\"kubernetes.io/service-name\":\"web\"}},"
		 "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080,"
		 "\"protocol\":\"TCP\"}],\"endpoints\":%s}",
		 name, endpoints);
	return buf;
}

static void test_ready_endpoints(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	add_slice(&f,
		  web_slice("web-1",
			    "[{\"addresses\":[\"10.0.0.3\"]},"
			    "{\"addresses\":[\"10.0.0.1\"],\"conditions\":{\"ready\":true}},"
			    "{\"addresses\":[\"10.0.0.2\"],\"conditions\":{\"ready\":false}}]"));
	struct svcmap *m = build(&f, "node-a");
	assert_int_equal(m->n_ports, 1);
	const struct svcmap_port *p = &m->ports[0];
	assert_string_equal(p->key, "default/web:http");
	assert_string_equal(p->port_name, "http");
	assert_int_equal(p->family, IP_V4);
	assert_int_equal(p->protocol, IPPROTO_TCP);
	assert_string_equal(fmt(&p->cluster_ip), "10.96.0.10");
	assert_int_equal(p->port, 80);
	assert_int_equal(p->node_port, 0);
	assert_false(p->affinity_client_ip);
	assert_true(p->has_any_endpoints);
	/* The not-ready one is left out; a missing condition reads as ready. */
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps),
			    "10.0.0.1:8080,10.0.0.3:8080");
	assert_int_equal(p->n_external_eps, 0);
	assert_int_equal(m->n_services, 1);
	assert_int_equal(m->n_endpoints, 2);
	assert_ptr_equal(svcmap_find(m, "default/web:http", IP_V4), p);
	assert_null(svcmap_find(m, "default/web:http", IP_V6));
	svcmap_free(m);
	fixture_free(&f);
}

static void test_skipped_services(void **state)
{
	struct fixture f = {0};
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"headless\"},"
		    "\"spec\":{\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],"
		    "\"ports\":[{\"port\":80}]}}");
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"ext\"},"
		    "\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"example.com\","
		    "\"ports\":[{\"port\":80}]}}");
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"noip\"},"
		    "\"spec\":{\"ports\":[{\"port\":80}]}}");
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"sctp\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.5\",\"ports\":[{\"port\":80,"
		    "\"protocol\":\"SCTP\"},{\"port\":81,\"protocol\":\"XYZ\"}]}}");
	struct svcmap *m = build(&f, "node-a");
	/* Only the SCTP port of the last one (the bad protocol is skipped). */
	assert_int_equal(m->n_ports, 1);
	assert_string_equal(m->ports[0].key, "default/sctp:");
	assert_int_equal(m->ports[0].protocol, IPPROTO_SCTP);
	assert_false(m->ports[0].has_any_endpoints);
	assert_int_equal(m->ports[0].n_cluster_eps, 0);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_serving_terminating_fallback(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	add_slice(&f,
		  web_slice("web-1", "[{\"addresses\":[\"10.0.0.1\"],\"conditions\":"
				     "{\"ready\":false,\"serving\":true,\"terminating\":true}},"
				     "{\"addresses\":[\"10.0.0.2\"],\"conditions\":"
				     "{\"ready\":false,\"serving\":false,\"terminating\":true}},"
				     "{\"addresses\":[\"10.0.0.3\"],\"conditions\":"
				     "{\"ready\":false,\"serving\":false}}]"));
	struct svcmap *m = build(&f, "node-a");
	const struct svcmap_port *p = &m->ports[0];
	assert_true(p->has_any_endpoints);
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.1:8080");
	assert_true(p->cluster_eps[0].terminating);
	svcmap_free(m);

	/* With one ready endpoint, the terminating ones are not used. */
	json_t *eps = json_object_get(f.slices[0], "endpoints");
	json_array_append_new(eps, parse("{\"addresses\":[\"10.0.0.9\"]}"));
	m = build(&f, "node-a");
	p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.9:8080");
	svcmap_free(m);

	/* Nothing serving: no endpoints at all. */
	json_array_remove(eps, 3);
	json_array_remove(eps, 0);
	m = build(&f, "node-a");
	assert_false(m->ports[0].has_any_endpoints);
	assert_int_equal(m->ports[0].n_cluster_eps, 0);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_internal_traffic_policy_local(void **state)
{
	struct fixture f = {0};
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"internalTrafficPolicy\":\"Local\","
		    "\"ports\":[{\"name\":\"http\",\"port\":80}]}}");
	add_slice(
	    &f,
	    web_slice("web-1",
		      "[{\"addresses\":[\"10.0.0.1\"],\"nodeName\":\"node-a\"},"
		      "{\"addresses\":[\"10.0.0.2\"],\"nodeName\":\"node-b\"},"
		      "{\"addresses\":[\"10.0.0.3\"],\"nodeName\":\"node-a\","
		      "\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true}}]"));
	struct svcmap *m = build(&f, "node-a");
	const struct svcmap_port *p = &m->ports[0];
	assert_true(p->internal_local);
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.1:8080");
	assert_true(p->cluster_eps[0].local);
	svcmap_free(m);

	/* Node b has a ready endpoint of its own. */
	m = build(&f, "node-b");
	p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.2:8080");
	svcmap_free(m);

	/* Node c has none: nothing, though endpoints exist elsewhere. */
	m = build(&f, "node-c");
	p = &m->ports[0];
	assert_int_equal(p->n_cluster_eps, 0);
	assert_true(p->has_any_endpoints);
	svcmap_free(m);

	/* Node a's ready endpoint goes: its serving-terminating one is used. */
	json_array_remove(json_object_get(f.slices[0], "endpoints"), 0);
	m = build(&f, "node-a");
	p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.3:8080");
	svcmap_free(m);
	fixture_free(&f);
}

static void test_external_traffic_policy_local(void **state)
{
	struct fixture f = {0};
	add_svc(&f,
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"
		"\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\","
		"\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":32000,"
		"\"externalIPs\":[\"192.0.2.7\",\"2001:db8::7\"],"
		"\"loadBalancerSourceRanges\":[\"198.51.100.0/24\"],"
		"\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]},"
		"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.100\"},"
		"{\"ip\":\"192.0.2.101\",\"ipMode\":\"Proxy\"},{\"hostname\":\"lb.example\"}]}}}");
	add_slice(&f,
		  web_slice("web-1", "[{\"addresses\":[\"10.0.0.1\"],\"nodeName\":\"node-a\"},"
				     "{\"addresses\":[\"10.0.0.2\"],\"nodeName\":\"node-b\"}]"));
	f.node = parse("{\"metadata\":{\"name\":\"node-a\"},\"status\":{\"addresses\":["
		       "{\"type\":\"InternalIP\",\"address\":\"192.168.1.10\"},"
		       "{\"type\":\"Hostname\",\"address\":\"node-a\"},"
		       "{\"type\":\"InternalIP\",\"address\":\"fd00::10\"}]}}");
	struct svcmap *m = build(&f, "node-a");
	const struct svcmap_port *p = &m->ports[0];
	assert_int_equal(m->n_ports, 1);
	assert_true(p->external_local);
	assert_false(p->internal_local);
	assert_int_equal(p->node_port, 30080);
	assert_int_equal(p->health_check_node_port, 32000);
	assert_int_equal(p->n_node_ips, 1);
	assert_string_equal(fmt(&p->node_ips[0]), "192.168.1.10");
	assert_int_equal(p->n_external_ips, 1);
	assert_string_equal(fmt(&p->external_ips[0]), "192.0.2.7");
	assert_int_equal(p->n_lb_ips, 1); /* ipMode Proxy and hostnames are not ours */
	assert_string_equal(fmt(&p->lb_ips[0]), "192.0.2.100");
	assert_int_equal(p->n_lb_source_ranges, 1);
	assert_int_equal(p->lb_source_ranges[0].prefix, 24);
	/* The clusterIP reaches every endpoint; the external addresses only local ones. */
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps),
			    "10.0.0.1:8080,10.0.0.2:8080");
	assert_string_equal(eps_str(p->external_eps, p->n_external_eps), "10.0.0.1:8080");
	svcmap_free(m);

	/* As a ClusterIP Service the external policy does not apply (but externalIPs do). */
	json_object_set_new(json_object_get(f.svcs[0], "spec"), "type", json_string("ClusterIP"));
	m = build(&f, "node-a");
	p = &m->ports[0];
	assert_false(p->external_local);
	assert_int_equal(p->node_port, 0);
	assert_int_equal(p->health_check_node_port, 0);
	assert_int_equal(p->n_node_ips, 0);
	assert_string_equal(eps_str(p->external_eps, p->n_external_eps),
			    "10.0.0.1:8080,10.0.0.2:8080");
	svcmap_free(m);
	fixture_free(&f);
}

static void test_dual_stack(void **state)
{
	struct fixture f = {0};
	add_svc(&f, "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"dns\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.53\",\"clusterIPs\":[\"10.96.0.53\","
		    "\"fd00:96::35\"],\"ipFamilies\":[\"IPv4\",\"IPv6\"],\"ports\":["
		    "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},"
		    "{\"name\":\"dns-tcp\",\"port\":53,\"protocol\":\"TCP\"}]}}");
	const char *ports = "\"ports\":[{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"},"
			    "{\"name\":\"dns-tcp\",\"port\":5354,\"protocol\":\"TCP\"}]";
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"dns-v4\",\"labels\":"
		 "{\"kubernetes.io/service-name\":\"dns\"}},\"addressType\":\"IPv4\",%s,"
		 "\"endpoints\":[{\"addresses\":[\"10.0.0.5\"]}]}",
		 ports);
	add_slice(&f, buf);
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"dns-v6\",\"labels\":"
		 "{\"kubernetes.io/service-name\":\"dns\"}},\"addressType\":\"IPv6\",%s,"
		 "\"endpoints\":[{\"addresses\":[\"fd00::5\"]},{\"addresses\":[\"fd00::6\"]}]}",
		 ports);
	add_slice(&f, buf);
	struct svcmap *m = build(&f, "n");
	assert_int_equal(m->n_ports, 4);
	assert_int_equal(m->n_services, 1);
	/* Sorted by key ("ns1/dns:dns" < "ns1/dns:dns-tcp"), then IPv4 before IPv6. */
	assert_string_equal(m->ports[0].key, "ns1/dns:dns");
	assert_int_equal(m->ports[0].family, IP_V4);
	assert_int_equal(m->ports[0].protocol, IPPROTO_UDP);
	assert_string_equal(eps_str(m->ports[0].cluster_eps, m->ports[0].n_cluster_eps),
			    "10.0.0.5:5353");
	assert_string_equal(m->ports[1].key, "ns1/dns:dns");
	assert_int_equal(m->ports[1].family, IP_V6);
	assert_string_equal(fmt(&m->ports[1].cluster_ip), "fd00:96::35");
	assert_string_equal(eps_str(m->ports[1].cluster_eps, m->ports[1].n_cluster_eps),
			    "fd00::5:5353,fd00::6:5353");
	assert_string_equal(m->ports[3].key, "ns1/dns:dns-tcp");
	assert_int_equal(m->ports[3].protocol, IPPROTO_TCP);
	assert_string_equal(eps_str(m->ports[3].cluster_eps, m->ports[3].n_cluster_eps),
			    "fd00::5:5354,fd00::6:5354");
	assert_int_equal(m->n_endpoints, 1 + 2 + 1 + 2);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_port_matching_and_dedup(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	/* The same endpoint in two slices (as during a rollover): ready wins. */
	add_slice(&f, web_slice("web-a", "[{\"addresses\":[\"10.0.0.1\"],"
					 "\"conditions\":{\"ready\":false}}]"));
	add_slice(&f, web_slice("web-b", "[{\"addresses\":[\"10.0.0.1\"]},"
					 "{\"addresses\":[\"10.0.0.2\"]}]"));
	/* A slice whose port is named otherwise, one with another protocol, one unlabelled. */
	add_slice(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web-c\",\"labels\":"
		      "{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
		      "\"ports\":[{\"name\":\"metrics\",\"port\":9090}],"
		      "\"endpoints\":[{\"addresses\":[\"10.0.0.7\"]}]}");
	add_slice(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web-d\",\"labels\":"
		      "{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
		      "\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"UDP\"}],"
		      "\"endpoints\":[{\"addresses\":[\"10.0.0.8\"]}]}");
	add_slice(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web-e\"},"
		      "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
		      "\"endpoints\":[{\"addresses\":[\"10.0.0.9\"]}]}");
	/* Another namespace's Service of the same name. */
	add_slice(&f, "{\"metadata\":{\"namespace\":\"other\",\"name\":\"web-x\",\"labels\":"
		      "{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
		      "\"ports\":[{\"name\":\"http\",\"port\":8080}],"
		      "\"endpoints\":[{\"addresses\":[\"10.0.0.10\"]}]}");
	struct svcmap *m = build(&f, "n");
	const struct svcmap_port *p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps),
			    "10.0.0.1:8080,10.0.0.2:8080");
	assert_true(p->cluster_eps[0].ready);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_topology_hints(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	add_slice(&f, web_slice("web-1",
				"[{\"addresses\":[\"10.0.0.1\"],\"zone\":\"a\","
				"\"hints\":{\"forZones\":[{\"name\":\"a\"}]}},"
				"{\"addresses\":[\"10.0.0.2\"],\"zone\":\"b\","
				"\"hints\":{\"forZones\":[{\"name\":\"b\"}]}},"
				"{\"addresses\":[\"10.0.0.3\"],\"zone\":\"b\","
				"\"hints\":{\"forZones\":[{\"name\":\"b\"},{\"name\":\"c\"}]}}]"));
	f.node = parse("{\"metadata\":{\"name\":\"n\",\"labels\":"
		       "{\"topology.kubernetes.io/zone\":\"b\"}}}");
	struct svcmap *m = build(&f, "n");
	const struct svcmap_port *p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps),
			    "10.0.0.2:8080,10.0.0.3:8080");
	svcmap_free(m);

	/* Zone c: only the endpoint hinted for c. */
	json_object_set_new(json_object_get(json_object_get(f.node, "metadata"), "labels"),
			    "topology.kubernetes.io/zone", json_string("c"));
	m = build(&f, "n");
	p = &m->ports[0];
	assert_string_equal(eps_str(p->cluster_eps, p->n_cluster_eps), "10.0.0.3:8080");
	svcmap_free(m);

	/* Zone d, hinted for by nobody: hints are ignored. */
	json_object_set_new(json_object_get(json_object_get(f.node, "metadata"), "labels"),
			    "topology.kubernetes.io/zone", json_string("d"));
	m = build(&f, "n");
	assert_int_equal(m->ports[0].n_cluster_eps, 3);
	svcmap_free(m);

	/* One ready endpoint without hints: hints are ignored. */
	json_object_set_new(json_object_get(json_object_get(f.node, "metadata"), "labels"),
			    "topology.kubernetes.io/zone", json_string("b"));
	json_array_append_new(json_object_get(f.slices[0], "endpoints"),
			      parse("{\"addresses\":[\"10.0.0.4\"]}"));
	m = build(&f, "n");
	assert_int_equal(m->ports[0].n_cluster_eps, 4);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_affinity(void **state)
{
	struct fixture f = {0};
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"a\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.1\",\"sessionAffinity\":\"ClientIP\","
		    "\"ports\":[{\"port\":80}]}}");
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"b\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.2\",\"sessionAffinity\":\"ClientIP\","
		    "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},"
		    "\"ports\":[{\"port\":80}]}}");
	struct svcmap *m = build(&f, "n");
	assert_int_equal(m->n_ports, 2);
	assert_int_equal(m->n_services, 2);
	assert_true(m->ports[0].affinity_client_ip);
	assert_int_equal(m->ports[0].affinity_timeout_s, SVCMAP_DEFAULT_AFFINITY_TIMEOUT);
	assert_int_equal(m->ports[1].affinity_timeout_s, 60);
	svcmap_free(m);
	fixture_free(&f);
}

static void test_diff(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"db\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.20\",\"ports\":[{\"port\":5432}]}}");
	add_slice(&f, web_slice("web-1", "[{\"addresses\":[\"10.0.0.1\"]}]"));
	struct svcmap *a = build(&f, "n");
	struct svcmap *b = build(&f, "n");
	struct svcmap_delta *d;
	assert_int_equal(svcmap_diff(a, b, &d), 0);
	assert_null(d);

	/* From nothing: everything added, in key order. */
	assert_int_equal(svcmap_diff(NULL, a, &d), 2);
	assert_int_equal(d[0].what, SVCMAP_ADDED);
	assert_string_equal(d[0].new->key, "default/db:");
	assert_null(d[0].old);
	free(d);
	assert_int_equal(svcmap_diff(a, NULL, &d), 2);
	assert_int_equal(d[1].what, SVCMAP_REMOVED);
	assert_string_equal(d[1].old->key, "default/web:http");
	free(d);

	/* An endpoint more: only web's endpoints changed. */
	json_array_append_new(json_object_get(f.slices[0], "endpoints"),
			      parse("{\"addresses\":[\"10.0.0.2\"]}"));
	svcmap_free(b);
	b = build(&f, "n");
	assert_int_equal(svcmap_diff(a, b, &d), 1);
	assert_int_equal(d[0].what, SVCMAP_ENDPOINTS);
	assert_string_equal(d[0].new->key, "default/web:http");
	free(d);

	/* db's port changes (service), web becomes sticky (service), a third Service comes. */
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(f.svcs[1], "spec"), "ports"), 0), "port",
	    json_integer(5433));
	json_object_set_new(json_object_get(f.svcs[0], "spec"), "sessionAffinity",
			    json_string("ClientIP"));
	add_svc(&f, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"zz\"},"
		    "\"spec\":{\"clusterIP\":\"10.96.0.30\",\"ports\":[{\"port\":1}]}}");
	struct svcmap *c = build(&f, "n");
	assert_int_equal(svcmap_diff(b, c, &d), 3);
	assert_int_equal(d[0].what, SVCMAP_SERVICE);
	assert_int_equal(d[0].new->port, 5433);
	assert_int_equal(d[0].old->port, 5432);
	assert_int_equal(d[1].what, SVCMAP_SERVICE);
	assert_int_equal(d[2].what, SVCMAP_ADDED);
	free(d);
	/* Both kinds at once. */
	assert_int_equal(svcmap_diff(a, c, &d), 3);
	assert_int_equal(d[1].what, SVCMAP_SERVICE | SVCMAP_ENDPOINTS);
	free(d);
	svcmap_free(a);
	svcmap_free(b);
	svcmap_free(c);
	fixture_free(&f);
}

static void test_trigger_time(void **state)
{
	struct fixture f = {0};
	add_svc(&f, WEB_SVC);
	add_slice(&f, web_slice("web-1", "[{\"addresses\":[\"10.0.0.1\"]}]"));
	json_object_set_new(json_object_get(f.slices[0], "metadata"), "annotations",
			    parse("{\"endpoints.kubernetes.io/last-change-trigger-time\":"
				  "\"2024-01-02T03:04:05Z\"}"));
	struct svcmap *a = build(&f, "n");
	assert_true(a->ports[0].trigger_time == 1704164645.0);
	json_object_set_new(json_object_get(f.slices[0], "metadata"), "annotations",
			    parse("{\"endpoints.kubernetes.io/last-change-trigger-time\":"
				  "\"2024-01-02T03:04:06Z\"}"));
	struct svcmap *b = build(&f, "n");
	struct svcmap_delta *d;
	/* Only the time differs: no change to program. */
	assert_int_equal(svcmap_diff(a, b, &d), 0);
	svcmap_free(a);
	svcmap_free(b);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ready_endpoints),
	    cmocka_unit_test(test_skipped_services),
	    cmocka_unit_test(test_serving_terminating_fallback),
	    cmocka_unit_test(test_internal_traffic_policy_local),
	    cmocka_unit_test(test_external_traffic_policy_local),
	    cmocka_unit_test(test_dual_stack),
	    cmocka_unit_test(test_port_matching_and_dedup),
	    cmocka_unit_test(test_topology_hints),
	    cmocka_unit_test(test_affinity),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_trigger_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
