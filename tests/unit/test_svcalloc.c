/* Unit tests for the API server's ClusterIP and NodePort allocation. */
#include "apiserver/svcalloc.h"

#include "base/ip.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct svc_alloc *mk(const char *cidrs, const char *ports)
{
	struct svc_alloc_config cfg = {cidrs, ports};
	struct svc_alloc *a = NULL;
	char *err = NULL;
	assert_int_equal(svc_alloc_new(&cfg, &a, &err), 0);
	assert_null(err);
	svc_alloc_seed(a, 42);
	return a;
}

static json_t *js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

static const char *sget(const json_t *svc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(svc, "spec"), key));
}

static json_t *sarr(const json_t *svc, const char *key)
{
	return json_object_get(json_object_get(svc, "spec"), key);
}

static const char *sarr_at(const json_t *svc, const char *key, size_t i)
{
	return json_string_value(json_array_get(sarr(svc, key), i));
}

static int nport(const json_t *svc, size_t i)
{
	json_t *p = json_array_get(sarr(svc, "ports"), i);
	return (int)json_integer_value(json_object_get(p, "nodePort"));
}

static int hcport(const json_t *svc)
{
	return (int)json_integer_value(sarr(svc, "healthCheckNodePort"));
}

static void used(struct svc_alloc *a, size_t want_ips, size_t want_ports)
{
	size_t iu, it, pu, pt;
	svc_alloc_stats(a, &iu, &it, &pu, &pt);
	assert_int_equal(iu, want_ips);
	assert_int_equal(pu, want_ports);
}

/* Creates svc expecting success; returns it (caller decrefs). */
static json_t *create_ok(struct svc_alloc *a, const char *text)
{
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *s = js(text);
	int rc = svc_alloc_create(a, s, &errs);
	if (rc != 0)
		fail_msg("create failed: %s: %s", errs.n ? errs.v[0].field : "",
			 errs.n ? errs.v[0].message : "");
	assert_int_equal(errs.n, 0);
	return s;
}

/* Creates svc expecting rc with exactly one error field: message. */
static void create_err(struct svc_alloc *a, const char *text, int want_rc, const char *field,
		       const char *message)
{
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *s = js(text);
	assert_int_equal(svc_alloc_create(a, s, &errs), want_rc);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].field, field);
	assert_string_equal(errs.v[0].message, message);
	field_errs_free(&errs);
	json_decref(s);
}

#define CIP(ip)                                                                                    \
	"{\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"" ip "\",\"ports\":[{\"port\":80}]}}"
#define PLAIN "{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}}"

static void test_config_errors(void **state)
{
	const char *bad[][2] = {
	    {"10.96.0.0", NULL},
	    {"10.96.0.0/12,10.97.0.0/16", NULL},
	    {"10.96.0.0/12,fd00::/112,fd01::/112", NULL},
	    {"10.0.0.0/8", NULL},
	    {"fd00::/64", NULL},
	    {"10.96.0.0/12", "32767-30000"},
	    {"10.96.0.0/12", "30000-70000"},
	    {"10.96.0.0/12", "abc"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct svc_alloc_config cfg = {bad[i][0], bad[i][1]};
		struct svc_alloc *a = (void *)1;
		char *err = NULL;
		assert_int_equal(svc_alloc_new(&cfg, &a, &err), -EINVAL);
		assert_null(a);
		assert_non_null(err);
		free(err);
	}
	struct svc_alloc_config cfg = {"10.0.0.0/8", NULL};
	struct svc_alloc *a;
	char *err = NULL;
	assert_int_equal(svc_alloc_new(&cfg, &a, &err), -EINVAL);
	assert_string_equal(err, "specified --service-cidr is too large; for 32-bit addresses, "
				 "the mask must be >= 12");
	free(err);
	/* Defaults: 10.96.0.0/12 (less network and broadcast), 30000-32767. */
	struct svc_alloc_config def = {NULL, NULL};
	assert_int_equal(svc_alloc_new(&def, &a, &err), 0);
	size_t iu, it, pu, pt;
	svc_alloc_stats(a, &iu, &it, &pu, &pt);
	assert_int_equal(it, (1 << 20) - 2);
	assert_int_equal(pt, 2768);
	svc_alloc_free(a);
}

static void test_exhaust_small_range(void **state)
{
	struct svc_alloc *a = mk("10.0.0.0/29", NULL);
	json_t *svcs[6];
	char seen[8] = {0};
	for (int i = 0; i < 6; i++) {
		svcs[i] = create_ok(a, PLAIN);
		struct ip_addr ip;
		assert_int_equal(ip_addr_parse(sget(svcs[i], "clusterIP"), &ip), 0);
		/* Never the network .0 nor the broadcast .7, never twice. */
		assert_true(ip.b[3] >= 1 && ip.b[3] <= 6);
		assert_int_equal(seen[ip.b[3]], 0);
		seen[ip.b[3]] = 1;
		assert_string_equal(sarr_at(svcs[i], "clusterIPs", 0), sget(svcs[i], "clusterIP"));
		assert_string_equal(sarr_at(svcs[i], "ipFamilies", 0), "IPv4");
		assert_string_equal(sget(svcs[i], "ipFamilyPolicy"), "SingleStack");
	}
	used(a, 6, 0);
	create_err(a, PLAIN, -ENOSPC, "spec.clusterIPs",
		   "Internal error: failed to allocate a serviceIP: range is full");
	/* Release one: the next Service gets exactly that address. */
	char freed[IP_STRLEN];
	strcpy(freed, sget(svcs[3], "clusterIP"));
	svc_alloc_release(a, svcs[3]);
	used(a, 5, 0);
	json_t *again = create_ok(a, PLAIN);
	assert_string_equal(sget(again, "clusterIP"), freed);
	json_decref(again);
	for (int i = 0; i < 6; i++)
		json_decref(svcs[i]);
	svc_alloc_free(a);
}

static void test_static_band(void **state)
{
	/* /24: 254 usable, the lowest 16 (.1-.16) kept for chosen IPs. */
	struct svc_alloc *a = mk("10.0.0.0/24", NULL);
	for (int i = 0; i < 238; i++) {
		json_t *s = create_ok(a, PLAIN);
		struct ip_addr ip;
		assert_int_equal(ip_addr_parse(sget(s, "clusterIP"), &ip), 0);
		assert_true(ip.b[3] >= 17 && ip.b[3] <= 254);
		json_decref(s);
	}
	/* Upper band full: now the static band is used. */
	json_t *s = create_ok(a, PLAIN);
	struct ip_addr ip;
	assert_int_equal(ip_addr_parse(sget(s, "clusterIP"), &ip), 0);
	assert_true(ip.b[3] >= 1 && ip.b[3] <= 16);
	json_decref(s);
	used(a, 239, 0);
	svc_alloc_free(a);
}

static void test_chosen_ip(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	json_t *s = create_ok(a, CIP("10.96.0.10"));
	assert_string_equal(sget(s, "clusterIP"), "10.96.0.10");
	assert_string_equal(sarr_at(s, "clusterIPs", 0), "10.96.0.10");
	assert_int_equal(json_array_size(sarr(s, "clusterIPs")), 1);
	used(a, 1, 0);
	create_err(a, CIP("10.96.0.10"), -EINVAL, "spec.clusterIPs",
		   "Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: "
		   "provided IP is already allocated");
	create_err(a, CIP("10.0.0.1"), -EINVAL, "spec.clusterIPs",
		   "Invalid value: []string{\"10.0.0.1\"}: failed to allocate IP 10.0.0.1: the "
		   "provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is "
		   "10.96.0.0/12");
	create_err(a, CIP("10.96.0.0"), -EINVAL, "spec.clusterIPs",
		   "Invalid value: []string{\"10.96.0.0\"}: failed to allocate IP 10.96.0.0: the "
		   "provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is "
		   "10.96.0.0/12");
	create_err(a, CIP("10.111.255.255"), -EINVAL, "spec.clusterIPs",
		   "Invalid value: []string{\"10.111.255.255\"}: failed to allocate IP "
		   "10.111.255.255: the provided IP (10.111.255.255) is not in the valid range. "
		   "The range of valid IPs is 10.96.0.0/12");
	json_t *last = create_ok(a, CIP("10.111.255.254"));
	used(a, 2, 0);
	/* Released, the address can be chosen again. */
	svc_alloc_release(a, s);
	json_t *s2 = create_ok(a, CIP("10.96.0.10"));
	json_decref(s);
	json_decref(s2);
	json_decref(last);
	svc_alloc_free(a);
}

static void test_families_single_stack(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	create_err(a,
		   "{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\",\"ports\":[{\"port\":80}]}}",
		   -EINVAL, "spec.ipFamilyPolicy",
		   "Invalid value: \"RequireDualStack\": this cluster is not configured for "
		   "dual-stack services");
	create_err(a, "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"ports\":[{\"port\":80}]}}", -EINVAL,
		   "spec.ipFamilies[0]", "Invalid value: \"IPv6\": not configured on this cluster");
	create_err(a, CIP("fd00::10"), -EINVAL, "spec.clusterIPs[0]",
		   "Invalid value: []string{\"fd00::10\"}: IPv6 is not configured on this cluster");
	/* PreferDualStack on a single-stack cluster: one family, no error. */
	json_t *s = create_ok(
	    a, "{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ports\":[{\"port\":80}]}}");
	assert_int_equal(json_array_size(sarr(s, "ipFamilies")), 1);
	assert_int_equal(json_array_size(sarr(s, "clusterIPs")), 1);
	assert_string_equal(sget(s, "ipFamilyPolicy"), "PreferDualStack");
	used(a, 1, 0);
	json_decref(s);
	svc_alloc_free(a);
}

static void test_dual_stack(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12,fd00:10:96::/112", NULL);
	json_t *s = create_ok(
	    a, "{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ports\":[{\"port\":80}]}}");
	assert_string_equal(sarr_at(s, "ipFamilies", 0), "IPv4");
	assert_string_equal(sarr_at(s, "ipFamilies", 1), "IPv6");
	struct ip_addr ip4, ip6;
	assert_int_equal(ip_addr_parse(sarr_at(s, "clusterIPs", 0), &ip4), 0);
	assert_int_equal(ip_addr_parse(sarr_at(s, "clusterIPs", 1), &ip6), 0);
	assert_int_equal(ip4.family, IP_V4);
	assert_int_equal(ip6.family, IP_V6);
	struct ip_cidr c6;
	assert_int_equal(ip_cidr_parse("fd00:10:96::/112", true, &c6), 0);
	assert_true(ip_cidr_contains(&c6, &ip6));
	assert_string_equal(sget(s, "clusterIP"), sarr_at(s, "clusterIPs", 0));
	/* An IPv6-first request gets IPv6 then IPv4; a chosen v6 IP is kept. */
	json_t *t = create_ok(a, "{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\","
				 "\"clusterIPs\":[\"fd00:10:96::a\"],\"ports\":[{\"port\":80}]}}");
	assert_string_equal(sarr_at(t, "ipFamilies", 0), "IPv6");
	assert_string_equal(sarr_at(t, "ipFamilies", 1), "IPv4");
	assert_string_equal(sarr_at(t, "clusterIPs", 0), "fd00:10:96::a");
	assert_string_equal(sget(t, "clusterIP"), "fd00:10:96::a");
	/* Default SingleStack: the primary family only. */
	json_t *u = create_ok(a, PLAIN);
	assert_int_equal(json_array_size(sarr(u, "clusterIPs")), 1);
	assert_string_equal(sarr_at(u, "ipFamilies", 0), "IPv4");
	used(a, 3, 0); /* first family */
	svc_alloc_release(a, s);
	svc_alloc_release(a, t);
	svc_alloc_release(a, u);
	used(a, 0, 0);
	json_decref(s);
	json_decref(t);
	json_decref(u);
	svc_alloc_free(a);
	/* IPv6 primary. */
	a = mk("fd00::/108,10.0.0.0/16", NULL);
	size_t iu, it, pu, pt;
	svc_alloc_stats(a, &iu, &it, &pu, &pt);
	assert_int_equal(it, 65535); /* capped at 65536, less the network address */
	s = create_ok(a, PLAIN);
	assert_string_equal(sarr_at(s, "ipFamilies", 0), "IPv6");
	json_decref(s);
	svc_alloc_free(a);
}

static void test_headless_and_external_name(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12,fd00:10:96::/112", NULL);
	json_t *h = create_ok(a, "{\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"x\"},"
				 "\"ports\":[{\"port\":80}]}}");
	assert_string_equal(sget(h, "clusterIP"), "None");
	assert_string_equal(sarr_at(h, "clusterIPs", 0), "None");
	assert_int_equal(json_array_size(sarr(h, "clusterIPs")), 1);
	assert_string_equal(sget(h, "ipFamilyPolicy"), "SingleStack");
	assert_int_equal(json_array_size(sarr(h, "ipFamilies")), 1);
	/* Headless without selector defaults to RequireDualStack. */
	json_t *h2 = create_ok(a, "{\"spec\":{\"clusterIP\":\"None\"}}");
	assert_string_equal(sget(h2, "ipFamilyPolicy"), "RequireDualStack");
	assert_string_equal(sarr_at(h2, "ipFamilies", 0), "IPv4");
	assert_string_equal(sarr_at(h2, "ipFamilies", 1), "IPv6");
	assert_string_equal(sarr_at(h2, "clusterIPs", 0), "None");
	json_t *e = create_ok(a, "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"a.b\"}}");
	assert_null(sarr(e, "clusterIP"));
	assert_null(sarr(e, "clusterIPs"));
	assert_null(sarr(e, "ipFamilies"));
	used(a, 0, 0);
	svc_alloc_release(a, h);
	svc_alloc_release(a, e);
	used(a, 0, 0);
	json_decref(h);
	json_decref(h2);
	json_decref(e);
	svc_alloc_free(a);
	/* Single-stack cluster: headless selectorless still gets both families. */
	a = mk("10.96.0.0/12", NULL);
	h = create_ok(a, "{\"spec\":{\"clusterIP\":\"None\"}}");
	assert_int_equal(json_array_size(sarr(h, "ipFamilies")), 2);
	json_decref(h);
	svc_alloc_free(a);
}

#define NP2                                                                                        \
	"{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http\",\"port\":80,"              \
	"\"protocol\":\"TCP\"},{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\"}]}}"
#define NPGIVEN(np)                                                                                \
	"{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":" np "}]}}"

static void test_node_ports_create(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", "30000-32767");
	json_t *s = create_ok(a, NP2);
	int p0 = nport(s, 0), p1 = nport(s, 1);
	assert_true(p0 >= 30000 && p0 <= 32767);
	assert_true(p1 >= 30000 && p1 <= 32767);
	assert_int_not_equal(p0, p1);
	used(a, 1, 2);
	json_t *g = create_ok(a, NPGIVEN("30080"));
	assert_int_equal(nport(g, 0), 30080);
	create_err(a, NPGIVEN("30080"), -EINVAL, "spec.ports[0].nodePort",
		   "Invalid value: 30080: provided port is already allocated");
	create_err(a, NPGIVEN("8080"), -EINVAL, "spec.ports[0].nodePort",
		   "Invalid value: 8080: provided port is not in the valid range. The range of "
		   "valid ports is 30000-32767");
	used(a, 2, 3); /* failed creates gave their clusterIPs back */
	/* TCP and UDP of one port share a node port. */
	json_t *dns = create_ok(a, "{\"spec\":{\"type\":\"NodePort\",\"ports\":["
				   "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},"
				   "{\"name\":\"dns-tcp\",\"port\":53,\"protocol\":\"TCP\"}]}}");
	assert_int_equal(nport(dns, 0), nport(dns, 1));
	used(a, 3, 4);
	/* Failure on the second port gives back the first and the IP. */
	create_err(a,
		   "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"a\",\"port\":1,"
		   "\"nodePort\":30100},{\"name\":\"b\",\"port\":2,\"nodePort\":30080}]}}",
		   -EINVAL, "spec.ports[1].nodePort",
		   "Invalid value: 30080: provided port is already allocated");
	used(a, 3, 4);
	json_t *again = create_ok(a, NPGIVEN("30100"));
	svc_alloc_release(a, s);
	svc_alloc_release(a, g);
	svc_alloc_release(a, dns);
	svc_alloc_release(a, again);
	used(a, 0, 0);
	json_decref(s);
	json_decref(g);
	json_decref(dns);
	json_decref(again);
	svc_alloc_free(a);
}

static void test_node_ports_lb(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", "30000-30009");
	json_t *n = create_ok(a, "{\"spec\":{\"type\":\"LoadBalancer\",\"allocateLoadBalancerNode"
				 "Ports\":false,\"ports\":[{\"port\":80}]}}");
	assert_int_equal(nport(n, 0), 0);
	used(a, 1, 0);
	json_t *l = create_ok(a, "{\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":"
				 "\"Local\",\"ports\":[{\"port\":80}]}}");
	int hc = hcport(l);
	assert_true(hc >= 30000 && hc <= 30009);
	assert_int_not_equal(hc, nport(l, 0));
	used(a, 2, 2);
	/* NodePort with Local: no health check port (LoadBalancer only). */
	json_t *np = create_ok(a, "{\"spec\":{\"type\":\"NodePort\",\"externalTrafficPolicy\":"
				  "\"Local\",\"ports\":[{\"port\":80}]}}");
	assert_int_equal(hcport(np), 0);
	used(a, 3, 3);
	/* Exhaust the 10-port range. */
	json_t *more[7];
	for (int i = 0; i < 7; i++)
		more[i] = create_ok(a, NPGIVEN("0"));
	used(a, 10, 10);
	create_err(a, NPGIVEN("0"), -ENOSPC, "spec.ports",
		   "Internal error: failed to allocate a nodePort: range is full");
	used(a, 10, 10);
	svc_alloc_release(a, l);
	used(a, 9, 8);
	for (int i = 0; i < 7; i++)
		json_decref(more[i]);
	json_decref(n);
	json_decref(l);
	json_decref(np);
	svc_alloc_free(a);
}

/* Runs an update and its commit; returns the update's rc. */
static int update(struct svc_alloc *a, const json_t *old, json_t *new, int commit)
{
	struct field_errs errs = FIELD_ERRS_INIT;
	int rc = svc_alloc_update(a, old, new, &errs);
	if (rc == 0)
		svc_alloc_update_done(a, old, new, commit);
	field_errs_free(&errs);
	return rc;
}

static void test_update_type_changes(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	json_t *v1 = create_ok(a, PLAIN);
	/* kubectl apply: same manifest, no clusterIP: carried over. */
	json_t *v2 = js(PLAIN);
	assert_int_equal(update(a, v1, v2, 1), 0);
	assert_string_equal(sget(v2, "clusterIP"), sget(v1, "clusterIP"));
	assert_string_equal(sarr_at(v2, "clusterIPs", 0), sget(v1, "clusterIP"));
	used(a, 1, 0);
	/* ClusterIP -> NodePort allocates. */
	json_t *v3 = js(NP2);
	assert_int_equal(update(a, v2, v3, 1), 0);
	assert_string_equal(sget(v3, "clusterIP"), sget(v1, "clusterIP"));
	int p0 = nport(v3, 0), p1 = nport(v3, 1);
	assert_true(p0 >= 30000 && p1 >= 30000);
	used(a, 1, 2);
	/* Same NodePort manifest again: node ports carried by port name. */
	json_t *v4 = js(NP2);
	assert_int_equal(update(a, v3, v4, 1), 0);
	assert_int_equal(nport(v4, 0), p0);
	assert_int_equal(nport(v4, 1), p1);
	used(a, 1, 2);
	/* NodePort -> ClusterIP with the node ports sent back: cleared, released. */
	json_t *v5 = json_deep_copy(v4);
	json_object_set_new(json_object_get(v5, "spec"), "type", json_string("ClusterIP"));
	assert_int_equal(update(a, v4, v5, 1), 0);
	assert_int_equal(nport(v5, 0), 0);
	assert_null(json_object_get(json_array_get(sarr(v5, "ports"), 0), "nodePort"));
	used(a, 1, 0);
	/* -> ExternalName releases the IP; fields sent back unchanged are dropped. */
	json_t *v6 = json_deep_copy(v5);
	json_object_set_new(json_object_get(v6, "spec"), "type", json_string("ExternalName"));
	json_object_set_new(json_object_get(v6, "spec"), "externalName", json_string("a.b"));
	assert_int_equal(update(a, v5, v6, 1), 0);
	assert_null(sarr(v6, "clusterIP"));
	assert_null(sarr(v6, "clusterIPs"));
	used(a, 0, 0);
	/* ExternalName -> ClusterIP allocates again. */
	json_t *v7 = js(CIP("10.96.0.77"));
	assert_int_equal(update(a, v6, v7, 1), 0);
	assert_string_equal(sget(v7, "clusterIP"), "10.96.0.77");
	used(a, 1, 0);
	json_t *vs[] = {v1, v2, v3, v4, v5, v6, v7};
	for (size_t i = 0; i < 7; i++)
		json_decref(vs[i]);
	svc_alloc_free(a);
}

static void test_update_rollback_and_errors(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	json_t *other = create_ok(a, NPGIVEN("30080"));
	json_t *v1 = create_ok(a, PLAIN);
	/* Not committed: what the update took is given back. */
	json_t *v2 = js(NP2);
	assert_int_equal(update(a, v1, v2, 0), 0);
	assert_true(nport(v2, 0) > 0);
	used(a, 2, 1);
	/* A taken port in an update is a field error; nothing is kept. */
	json_t *v3 = js("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"a\",\"port\":1},"
			"{\"name\":\"b\",\"port\":2,\"nodePort\":30080}]}}");
	struct field_errs errs = FIELD_ERRS_INIT;
	assert_int_equal(svc_alloc_update(a, v1, v3, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].field, "spec.ports[1].nodePort");
	assert_string_equal(errs.v[0].message,
			    "Invalid value: 30080: provided port is already allocated");
	field_errs_free(&errs);
	used(a, 2, 1);
	/* The owner itself may keep its port through an update. */
	json_t *o2 = js(NPGIVEN("30080"));
	assert_int_equal(update(a, other, o2, 1), 0);
	used(a, 2, 1);
	json_decref(other);
	json_decref(o2);
	json_decref(v1);
	json_decref(v2);
	json_decref(v3);
	svc_alloc_free(a);
}

static void test_update_dual_stack(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12,fd00:10:96::/112", NULL);
	json_t *v1 = create_ok(a, PLAIN);
	assert_int_equal(json_array_size(sarr(v1, "clusterIPs")), 1);
	/* Upgrade: SingleStack -> PreferDualStack adds an IPv6 address. */
	json_t *v2 = json_deep_copy(v1);
	json_object_set_new(json_object_get(v2, "spec"), "ipFamilyPolicy",
			    json_string("PreferDualStack"));
	assert_int_equal(update(a, v1, v2, 1), 0);
	assert_int_equal(json_array_size(sarr(v2, "clusterIPs")), 2);
	assert_string_equal(sarr_at(v2, "clusterIPs", 0), sget(v1, "clusterIP"));
	assert_string_equal(sarr_at(v2, "ipFamilies", 1), "IPv6");
	struct ip_addr ip6;
	assert_int_equal(ip_addr_parse(sarr_at(v2, "clusterIPs", 1), &ip6), 0);
	assert_int_equal(ip6.family, IP_V6);
	/* Reducing without SingleStack is refused. */
	json_t *bad = json_deep_copy(v2);
	json_array_remove(sarr(bad, "clusterIPs"), 1);
	struct field_errs errs = FIELD_ERRS_INIT;
	assert_int_equal(svc_alloc_update(a, v2, bad, &errs), -EINVAL);
	assert_string_equal(errs.v[0].field, "spec.ipFamilyPolicy");
	assert_string_equal(errs.v[0].message,
			    "Invalid value: \"PreferDualStack\": must be 'SingleStack' to release "
			    "the secondary cluster IP");
	field_errs_free(&errs);
	/* Downgrade: SingleStack with both sent back releases the IPv6 address. */
	json_t *v3 = json_deep_copy(v2);
	json_object_set_new(json_object_get(v3, "spec"), "ipFamilyPolicy",
			    json_string("SingleStack"));
	assert_int_equal(update(a, v2, v3, 1), 0);
	assert_int_equal(json_array_size(sarr(v3, "clusterIPs")), 1);
	assert_int_equal(json_array_size(sarr(v3, "ipFamilies")), 1);
	/* The IPv6 address is free again: it can be chosen. */
	char want[80];
	snprintf(want, sizeof(want),
		 "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"clusterIPs\":[\"%s\"],\"ports\":[]}}",
		 sarr_at(v2, "clusterIPs", 1));
	json_t *w = create_ok(a, want);
	json_decref(w);
	json_decref(v1);
	json_decref(v2);
	json_decref(v3);
	json_decref(bad);
	svc_alloc_free(a);
}

static void test_node_port_band(void **state)
{
	/* 30000-32767: the lowest 86 ports (2768/32) are kept for chosen ones. */
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	for (int i = 0; i < 300; i++) {
		json_t *s = create_ok(a, NPGIVEN("0"));
		assert_true(nport(s, 0) >= 30086 && nport(s, 0) <= 32767);
		json_decref(s);
	}
	used(a, 300, 300);
	svc_alloc_free(a);
}

static void test_prepare_update(void **state)
{
	json_t *old = js("{\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":"
			 "\"Local\",\"healthCheckNodePort\":31000,\"clusterIP\":\"10.96.0.5\","
			 "\"clusterIPs\":[\"10.96.0.5\"],\"ports\":[{\"name\":\"dns\",\"port\":"
			 "53,\"protocol\":\"UDP\",\"nodePort\":30053},{\"name\":\"dns-tcp\","
			 "\"port\":53,\"protocol\":\"TCP\",\"nodePort\":30053},{\"name\":\"x\","
			 "\"port\":9,\"nodePort\":30009}]}}");
	/* Ports in another order, one renamed, one given the other's node port. */
	json_t *new = js("{\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":"
			 "\"Local\",\"ports\":[{\"name\":\"dns-tcp\",\"port\":53,"
			 "\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,\"protocol\":"
			 "\"UDP\"},{\"name\":\"y\",\"port\":9},{\"name\":\"z\",\"port\":10,"
			 "\"nodePort\":30009}]}}");
	svc_alloc_prepare_update(old, new);
	assert_string_equal(sget(new, "clusterIP"), "10.96.0.5");
	assert_string_equal(sarr_at(new, "clusterIPs", 0), "10.96.0.5");
	assert_int_equal(nport(new, 0), 30053);
	assert_int_equal(nport(new, 1), 30053);
	assert_int_equal(nport(new, 2), 0); /* renamed: not carried */
	assert_int_equal(nport(new, 3), 30009);
	assert_int_equal(hcport(new), 31000);
	/* Cluster -> externalTrafficPolicy: the health check port is dropped. */
	json_t *cl = json_deep_copy(old);
	json_object_set_new(json_object_get(cl, "spec"), "externalTrafficPolicy",
			    json_string("Cluster"));
	svc_alloc_prepare_update(old, cl);
	assert_null(sarr(cl, "healthCheckNodePort"));
	assert_int_equal(nport(cl, 0), 30053);
	json_decref(old);
	json_decref(new);
	json_decref(cl);
}

static void test_mark_repair(void **state)
{
	struct svc_alloc *a = mk("10.96.0.0/12", NULL);
	json_t *s1 = js("{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\"},\"spec\":{"
			"\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":["
			"\"10.96.0.10\"],\"ports\":[{\"port\":80,\"nodePort\":30080}]}}");
	json_t *s2 =
	    js("{\"metadata\":{\"name\":\"b\",\"namespace\":\"default\"},\"spec\":{"
	       "\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\","
	       "\"healthCheckNodePort\":31000,\"clusterIP\":\"10.96.0.11\",\"clusterIPs\":["
	       "\"10.96.0.11\"],\"ports\":[{\"port\":80,\"nodePort\":30081}]}}");
	json_t *ext = js("{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x\"}}");
	json_t *outside = js("{\"spec\":{\"clusterIP\":\"192.168.0.1\"}}");
	svc_alloc_mark(a, s1);
	svc_alloc_mark(a, s2);
	svc_alloc_mark(a, ext);
	svc_alloc_mark(a, outside); /* logged, not fatal */
	svc_alloc_mark(a, s1);	    /* conflict: logged, not fatal */
	used(a, 2, 3);
	create_err(a, CIP("10.96.0.10"), -EINVAL, "spec.clusterIPs",
		   "Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: "
		   "provided IP is already allocated");
	create_err(a, NPGIVEN("31000"), -EINVAL, "spec.ports[0].nodePort",
		   "Invalid value: 31000: provided port is already allocated");
	svc_alloc_release(a, s2);
	used(a, 1, 1);
	json_t *n = create_ok(a, NPGIVEN("31000"));
	json_decref(n);
	json_decref(s1);
	json_decref(s2);
	json_decref(ext);
	json_decref(outside);
	svc_alloc_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_exhaust_small_range),
	    cmocka_unit_test(test_static_band),
	    cmocka_unit_test(test_chosen_ip),
	    cmocka_unit_test(test_families_single_stack),
	    cmocka_unit_test(test_dual_stack),
	    cmocka_unit_test(test_headless_and_external_name),
	    cmocka_unit_test(test_node_ports_create),
	    cmocka_unit_test(test_node_ports_lb),
	    cmocka_unit_test(test_update_type_changes),
	    cmocka_unit_test(test_update_rollback_and_errors),
	    cmocka_unit_test(test_update_dual_stack),
	    cmocka_unit_test(test_node_port_band),
	    cmocka_unit_test(test_prepare_update),
	    cmocka_unit_test(test_mark_repair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
