/*
 * Unit tests for EndpointSlice reconciliation (controllers/endpointslice.h):
 * packing, minimal churn, conditions, named ports, placeholders, dual
 * stack, ownership, mirroring. A tiny fake API server (apply_plan) stores
 * the plans so that reconciling twice shows what a restart would write.
 */
#include "controllers/endpointslice.h"

#include "base/strbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *svc_new(const char *name, const char *target_port)
{
	json_t *tp = target_port[0] >= '0' && target_port[0] <= '9'
			 ? json_integer(atoi(target_port))
			 : json_string(target_port);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:{s:s}, s:s, s:[s], "
			 "s:[{s:s, s:i, s:s, s:o}]}}",
			 "apiVersion", "v1", "kind", "Service", "metadata", "name", name,
			 "namespace", "default", "uid", "svc-uid-1", "labels", "team", "a", "spec",
			 "selector", "app", "web", "clusterIP", "10.96.0.10", "ipFamilies", "IPv4",
			 "ports", "name", "http", "port", 80, "protocol", "TCP", "targetPort", tp);
}

/* A running pod with IP 10.1.x.y, ready or not, with container port "web" = port. */
static json_t *pod_new(int i, bool ready, int port)
{
	char name[32], ip[32], uid[32];
	snprintf(name, sizeof(name), "pod-%03d", i);
	snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
	snprintf(uid, sizeof(uid), "uid-%d", i);
	return json_pack("{s:{s:s, s:s, s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:[{s:s, s:i}]}]}, "
			 "s:{s:s, s:s, s:[{s:s, s:s}]}}",
			 "metadata", "name", name, "namespace", "default", "uid", uid, "labels",
			 "app", "web", "spec", "nodeName", "node-1", "containers", "name", "c",
			 "ports", "name", "web", "containerPort", port, "status", "phase",
			 "Running", "podIP", ip, "conditions", "type", "Ready", "status",
			 ready ? "True" : "False");
}

static json_t *pods_new(int n)
{
	json_t *pods = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(pods, pod_new(i, true, 8080));
	return pods;
}

static const char *zone_of(const char *node, void *arg)
{
	return !strcmp(node, "node-1") ? "zone-a" : NULL;
}

struct fake {
	json_t *slices; /* stored slices */
	int rv, names, writes;
};

/* Stores a plan as the API server would: names, resourceVersions, deletes. */
static void apply_plan(struct fake *f, const struct eps_plan *p)
{
	size_t i, j;
	json_t *s, *e;
	json_array_foreach(p->remove, i, s)
	{
		const char *name =
		    json_string_value(json_object_get(json_object_get(s, "metadata"), "name"));
		json_array_foreach(f->slices, j, e)
		{
			if (!strcmp(name, json_string_value(json_object_get(
					      json_object_get(e, "metadata"), "name")))) {
				json_array_remove(f->slices, j);
				break;
			}
		}
		f->writes++;
	}
	json_array_foreach(p->update, i, s)
	{
		json_t *meta = json_object_get(s, "metadata");
		const char *name = json_string_value(json_object_get(meta, "name"));
		json_t *c = json_deep_copy(s);
		json_object_set_new(json_object_get(c, "metadata"), "resourceVersion",
				    json_sprintf("%d", ++f->rv));
		bool found = false;
		json_array_foreach(f->slices, j, e)
		{
			if (!strcmp(name, json_string_value(json_object_get(
					      json_object_get(e, "metadata"), "name")))) {
				json_array_set(f->slices, j, c);
				found = true;
				break;
			}
		}
		assert_true(found);
		json_decref(c);
		f->writes++;
	}
	json_array_foreach(p->create, i, s)
	{
		json_t *c = json_deep_copy(s);
		json_t *meta = json_object_get(c, "metadata");
		json_object_set_new(
		    meta, "name",
		    json_sprintf("%s%d", json_string_value(json_object_get(meta, "generateName")),
				 ++f->names));
		json_object_set_new(meta, "resourceVersion", json_sprintf("%d", ++f->rv));
		json_array_append_new(f->slices, c);
		f->writes++;
	}
}

/* Reconciles svc + pods against the fake's slices, applies, returns the plan. */
static void sync_svc(struct fake *f, const json_t *svc, const json_t *pods, int max,
		     struct eps_plan *plan)
{
	struct eps_owner o;
	struct eps_desired d = {0};
	const char *types[] = {"IPv4", NULL};
	const json_t *fams = json_object_get(json_object_get(svc, "spec"), "ipFamilies");
	const char *dual[] = {"IPv4", "IPv6", NULL};
	eps_service_owner(svc, max, &o);
	eps_service_desired(svc, pods, zone_of, NULL, &d);
	eps_reconcile(&o, &d, f->slices, json_array_size(fams) == 2 ? dual : types, plan);
	apply_plan(f, plan);
	eps_desired_free(&d);
	eps_owner_clear(&o);
}

static size_t total_endpoints(const json_t *slices)
{
	size_t n = 0, i;
	json_t *s;
	json_array_foreach(slices, i, s) n += json_array_size(json_object_get(s, "endpoints"));
	return n;
}

/* The endpoint of slices whose address is ip, or NULL. */
static json_t *find_ep(const json_t *slices, const char *ip)
{
	size_t i, j;
	json_t *s, *ep;
	json_array_foreach(slices, i, s)
	{
		json_array_foreach(json_object_get(s, "endpoints"), j, ep)
		{
			if (!strcmp(json_string_value(
					json_array_get(json_object_get(ep, "addresses"), 0)),
				    ip))
				return ep;
		}
	}
	return NULL;
}

static bool cond(const json_t *ep, const char *name)
{
	return json_is_true(json_object_get(json_object_get(ep, "conditions"), name));
}

static void test_pack_250(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(250);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 3);
	assert_int_equal(json_array_size(p.update) + json_array_size(p.remove), 0);
	assert_int_equal(total_endpoints(f.slices), 250);
	size_t i;
	json_t *s;
	json_array_foreach(f.slices, i, s)
	{
		assert_true(json_array_size(json_object_get(s, "endpoints")) <= 100);
		json_t *meta = json_object_get(s, "metadata");
		json_t *labels = json_object_get(meta, "labels");
		assert_string_equal(
		    json_string_value(json_object_get(labels, EPS_LABEL_SERVICE_NAME)), "web");
		assert_string_equal(
		    json_string_value(json_object_get(labels, EPS_LABEL_MANAGED_BY)),
		    EPS_CONTROLLER_NAME);
		assert_string_equal(json_string_value(json_object_get(labels, "team")), "a");
		assert_null(json_object_get(labels, EPS_LABEL_HEADLESS));
		assert_string_equal(json_string_value(json_object_get(meta, "generateName")),
				    "web-");
		json_t *ref = json_array_get(json_object_get(meta, "ownerReferences"), 0);
		assert_string_equal(json_string_value(json_object_get(ref, "kind")), "Service");
		assert_string_equal(json_string_value(json_object_get(ref, "uid")), "svc-uid-1");
		assert_true(json_is_true(json_object_get(ref, "controller")));
		assert_true(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
		assert_string_equal(json_string_value(json_object_get(s, "addressType")), "IPv4");
		json_t *port = json_array_get(json_object_get(s, "ports"), 0);
		assert_int_equal(json_integer_value(json_object_get(port, "port")), 8080);
		assert_string_equal(json_string_value(json_object_get(port, "name")), "http");
	}
	json_t *ep = find_ep(f.slices, "10.1.0.1");
	assert_non_null(ep);
	assert_true(cond(ep, "ready") && cond(ep, "serving") && !cond(ep, "terminating"));
	assert_string_equal(json_string_value(json_object_get(ep, "nodeName")), "node-1");
	assert_string_equal(json_string_value(json_object_get(ep, "zone")), "zone-a");
	json_t *ref = json_object_get(ep, "targetRef");
	assert_string_equal(json_string_value(json_object_get(ref, "name")), "pod-000");
	assert_string_equal(json_string_value(json_object_get(ref, "kind")), "Pod");
	eps_plan_free(&p);

	/* Nothing changed (as after a restart): nothing is written. */
	int before = f.writes;
	sync_svc(&f, svc, pods, 100, &p);
	assert_true(eps_plan_empty(&p));
	assert_int_equal(json_array_size(p.keep), 3);
	assert_int_equal(f.writes, before);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_readiness_flip_one_update(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(250);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	eps_plan_free(&p);
	json_array_set_new(pods, 7, pod_new(7, false, 8080));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.remove), 0);
	assert_int_equal(json_array_size(p.keep), 2);
	json_t *ep = find_ep(f.slices, "10.1.0.8");
	assert_false(cond(ep, "ready"));
	assert_false(cond(ep, "serving"));
	assert_int_equal(total_endpoints(f.slices), 250);
	eps_plan_free(&p);

	/* A deleted pod leaves its slice: one more update. */
	json_array_remove(pods, 7);
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.remove), 0);
	assert_null(find_ep(f.slices, "10.1.0.8"));
	assert_int_equal(total_endpoints(f.slices), 249);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_fill_existing_before_new(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(250);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	eps_plan_free(&p);
	/* 40 more fit into the slice of 50: one update, no new slice. */
	for (int i = 250; i < 290; i++)
		json_array_append_new(pods, pod_new(i, true, 8080));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 0);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(p.update, 0), "endpoints")),
			 90);
	assert_int_equal(json_array_size(f.slices), 3);
	eps_plan_free(&p);
	/* 30 more do not fit in 10 free places: a new slice, the others untouched. */
	for (int i = 290; i < 320; i++)
		json_array_append_new(pods, pod_new(i, true, 8080));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 1);
	assert_int_equal(json_array_size(p.update), 0);
	assert_int_equal(total_endpoints(f.slices), 320);
	eps_plan_free(&p);
	/* A pod leaving a slice while another arrives: the updated slice takes it. */
	json_array_remove(pods, 0);
	json_array_append_new(pods, pod_new(320, true, 8080));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 0);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(total_endpoints(f.slices), 320);
	size_t i;
	json_t *s;
	json_array_foreach(f.slices, i, s)
	    assert_true(json_array_size(json_object_get(s, "endpoints")) <= 100);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_named_port_groups(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = json_array();
	for (int i = 0; i < 4; i++)
		json_array_append_new(pods, pod_new(i, true, i < 2 ? 8080 : 9090));
	/* A pod without the named port is grouped with no ports at all. */
	json_t *bare = pod_new(9, true, 1);
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(bare, "spec"), "containers"), 0),
	    "ports", json_array());
	json_array_append_new(pods, bare);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 3);
	int seen8080 = 0, seen9090 = 0, seen_none = 0;
	size_t i;
	json_t *s;
	json_array_foreach(f.slices, i, s)
	{
		json_t *ports = json_object_get(s, "ports");
		size_t n = json_array_size(json_object_get(s, "endpoints"));
		if (!json_array_size(ports)) {
			seen_none += n == 1;
			continue;
		}
		json_int_t port =
		    json_integer_value(json_object_get(json_array_get(ports, 0), "port"));
		seen8080 += port == 8080 && n == 2;
		seen9090 += port == 9090 && n == 2;
	}
	assert_int_equal(seen8080, 1);
	assert_int_equal(seen9090, 1);
	assert_int_equal(seen_none, 1);
	eps_plan_free(&p);
	/* Numeric targetPort: one group. */
	json_t *svc2 = svc_new("num", "7000");
	struct fake f2 = {json_array(), 0, 0, 0};
	sync_svc(&f2, svc2, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(json_array_get(f2.slices, 0), "ports"), 0), "port")),
	    7000);
	eps_plan_free(&p);
	json_decref(svc2);
	json_decref(f2.slices);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_terminating_and_publish_not_ready(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = json_array();
	json_t *term = pod_new(0, true, 8080);
	json_object_set_new(json_object_get(term, "metadata"), "deletionTimestamp",
			    json_string("2026-01-01T00:00:00Z"));
	json_array_append_new(pods, term);
	json_array_append_new(pods, pod_new(1, false, 8080));
	json_t *done = pod_new(2, true, 8080);
	json_object_set_new(json_object_get(done, "status"), "phase", json_string("Succeeded"));
	json_array_append_new(pods, done);
	json_t *noip = pod_new(3, true, 8080);
	json_object_del(json_object_get(noip, "status"), "podIP");
	json_array_append_new(pods, noip);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(total_endpoints(f.slices), 2);
	json_t *ep = find_ep(f.slices, "10.1.0.1");
	assert_false(cond(ep, "ready"));
	assert_true(cond(ep, "serving"));
	assert_true(cond(ep, "terminating"));
	ep = find_ep(f.slices, "10.1.0.2");
	assert_false(cond(ep, "ready"));
	eps_plan_free(&p);
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_true(cond(find_ep(f.slices, "10.1.0.1"), "ready"));
	assert_true(cond(find_ep(f.slices, "10.1.0.2"), "ready"));
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_special_ips_skipped(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(3);
	json_object_set_new(json_object_get(json_array_get(pods, 0), "status"), "podIP",
			    json_string("127.0.0.1"));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "status"), "podIP",
			    json_string("169.254.0.9"));
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	/* The API server refuses loopback and link-local endpoints: they are left out. */
	assert_int_equal(total_endpoints(f.slices), 1);
	assert_non_null(find_ep(f.slices, "10.1.0.3"));
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_headless_hostname(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("db", "web");
	json_t *spec = json_object_get(svc, "spec");
	json_object_set_new(spec, "clusterIP", json_string("None"));
	json_object_set_new(spec, "ports", json_array());
	json_t *pods = pods_new(2);
	json_t *ps = json_object_get(json_array_get(pods, 0), "spec");
	json_object_set_new(ps, "hostname", json_string("db-0"));
	json_object_set_new(ps, "subdomain", json_string("db"));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "spec"), "hostname",
			    json_string("other"));
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(f.slices), 1);
	json_t *s = json_array_get(f.slices, 0);
	assert_int_equal(json_array_size(json_object_get(s, "ports")), 0);
	json_t *labels = json_object_get(json_object_get(s, "metadata"), "labels");
	assert_string_equal(json_string_value(json_object_get(labels, EPS_LABEL_HEADLESS)), "");
	assert_string_equal(
	    json_string_value(json_object_get(find_ep(f.slices, "10.1.0.1"), "hostname")), "db-0");
	assert_null(json_object_get(find_ep(f.slices, "10.1.0.2"), "hostname"));
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_placeholder(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = json_array();
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.create), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(f.slices, 0), "endpoints")),
			 0);
	eps_plan_free(&p);
	sync_svc(&f, svc, pods, 100, &p);
	assert_true(eps_plan_empty(&p));
	eps_plan_free(&p);
	/* The first pod reuses the placeholder: an update, not create + delete. */
	json_array_append_new(pods, pod_new(0, true, 8080));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.remove), 0);
	assert_int_equal(json_array_size(f.slices), 1);
	assert_int_equal(total_endpoints(f.slices), 1);
	eps_plan_free(&p);
	/* The last pod gone: back to the placeholder, again by an update. */
	json_array_clear(pods);
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 1);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.remove), 0);
	assert_int_equal(total_endpoints(f.slices), 0);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_dual_stack(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_object_set_new(json_object_get(svc, "spec"), "ipFamilies",
			    json_pack("[s,s]", "IPv4", "IPv6"));
	json_t *pods = pods_new(2);
	json_object_set_new(json_object_get(json_array_get(pods, 0), "status"), "podIPs",
			    json_pack("[{s:s},{s:s}]", "ip", "10.1.0.1", "ip", "fd00::0001"));
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(f.slices), 2);
	json_t *v6 = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(
	    f.slices, i,
	    s) if (!strcmp(json_string_value(json_object_get(s, "addressType")), "IPv6")) v6 = s;
	assert_non_null(v6);
	assert_int_equal(json_array_size(json_object_get(v6, "endpoints")), 1);
	assert_non_null(find_ep(f.slices, "fd00::1"));
	eps_plan_free(&p);
	/* Back to single stack: the IPv6 slice goes. */
	json_object_set_new(json_object_get(svc, "spec"), "ipFamilies", json_pack("[s]", "IPv4"));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.remove), 1);
	assert_int_equal(json_array_size(f.slices), 1);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_owner_and_labels(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(150);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 100, &p);
	eps_plan_free(&p);
	/* New labels on the Service: every slice is rewritten, nothing else. */
	json_object_set_new(json_object_get(json_object_get(svc, "metadata"), "labels"), "tier",
			    json_string("front"));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.update), 2);
	assert_int_equal(json_array_size(p.create) + json_array_size(p.remove), 0);
	eps_plan_free(&p);
	/* A recreated Service (new uid): the old slices go, new ones come. */
	json_object_set_new(json_object_get(svc, "metadata"), "uid", json_string("svc-uid-2"));
	sync_svc(&f, svc, pods, 100, &p);
	assert_int_equal(json_array_size(p.remove), 2);
	assert_int_equal(json_array_size(p.create), 2);
	assert_int_equal(total_endpoints(f.slices), 150);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static void test_duplicates_and_max(void **state)
{
	struct fake f = {json_array(), 0, 0, 0};
	json_t *svc = svc_new("web", "web");
	json_t *pods = pods_new(10);
	struct eps_plan p;
	sync_svc(&f, svc, pods, 3, &p);
	assert_int_equal(json_array_size(f.slices), 4);
	eps_plan_free(&p);
	/* A stale duplicate of an endpoint in a second slice is removed from it. */
	json_t *dup = json_deep_copy(json_array_get(f.slices, 0));
	json_object_set_new(json_object_get(dup, "metadata"), "name", json_string("web-dup"));
	json_array_append_new(f.slices, dup);
	sync_svc(&f, svc, pods, 3, &p);
	assert_int_equal(json_array_size(p.remove), 1);
	assert_int_equal(json_array_size(p.update) + json_array_size(p.create), 0);
	assert_int_equal(total_endpoints(f.slices), 10);
	eps_plan_free(&p);
	json_decref(pods);
	json_decref(svc);
	json_decref(f.slices);
}

static json_t *user_endpoints(void)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s}}, s:["
			 "{s:[{s:s}, {s:s, s:{s:s, s:s}}], s:[{s:s}], s:[{s:s, s:i, s:s}]},"
			 "{s:[{s:s}, {s:s}], s:[{s:i}]}]}",
			 "apiVersion", "v1", "kind", "Endpoints", "metadata", "name", "ext",
			 "namespace", "default", "uid", "ep-uid", "labels", "l", "v", "annotations",
			 "a", "b", "kubectl.kubernetes.io/last-applied-configuration", "{}",
			 "subsets", "addresses", "ip", "192.0.2.1", "ip", "192.0.2.2", "targetRef",
			 "kind", "Pod", "name", "x", "notReadyAddresses", "ip", "192.0.2.3",
			 "ports", "name", "db", "port", 5432, "protocol", "TCP", "addresses", "ip",
			 "2001:db8::1", "ip", "not-an-ip", "ports", "port", 53);
}

static void sync_mirror(struct fake *f, const json_t *ep, struct eps_plan *p)
{
	struct eps_owner o;
	struct eps_desired d = {0};
	eps_mirror_owner(ep, &o);
	assert_int_equal(eps_mirror_desired(ep, 1000, &d), 1);
	eps_reconcile(&o, &d, f->slices, NULL, p);
	apply_plan(f, p);
	eps_desired_free(&d);
	eps_owner_clear(&o);
}

static void test_mirroring(void **state)
{
	json_t *svc = svc_new("ext", "web");
	json_t *ep = user_endpoints();
	assert_false(eps_mirror_wanted(svc, ep));
	json_object_del(json_object_get(svc, "spec"), "selector");
	assert_true(eps_mirror_wanted(svc, ep));
	assert_false(eps_mirror_wanted(NULL, ep));
	struct fake f = {json_array(), 0, 0, 0};
	struct eps_plan p;
	sync_mirror(&f, ep, &p);
	assert_int_equal(json_array_size(p.create), 2);
	eps_plan_free(&p);
	json_t *v4 = NULL, *v6 = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(f.slices, i, s)
	{
		if (!strcmp(json_string_value(json_object_get(s, "addressType")), "IPv4"))
			v4 = s;
		else
			v6 = s;
	}
	assert_non_null(v4);
	assert_non_null(v6);
	assert_int_equal(json_array_size(json_object_get(v4, "endpoints")), 3);
	assert_int_equal(json_array_size(json_object_get(v6, "endpoints")), 1);
	json_t *meta = json_object_get(v4, "metadata");
	json_t *labels = json_object_get(meta, "labels");
	assert_string_equal(json_string_value(json_object_get(labels, EPS_LABEL_MANAGED_BY)),
			    EPS_MIRROR_NAME);
	assert_string_equal(json_string_value(json_object_get(labels, EPS_LABEL_SERVICE_NAME)),
			    "ext");
	assert_string_equal(json_string_value(json_object_get(labels, "l")), "v");
	json_t *ann = json_object_get(meta, "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "a")), "b");
	assert_null(json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration"));
	json_t *ref = json_array_get(json_object_get(meta, "ownerReferences"), 0);
	assert_string_equal(json_string_value(json_object_get(ref, "kind")), "Endpoints");
	assert_true(cond(find_ep(f.slices, "192.0.2.1"), "ready"));
	assert_false(cond(find_ep(f.slices, "192.0.2.3"), "ready"));
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(find_ep(f.slices, "192.0.2.2"), "targetRef"), "name")),
	    "x");
	/* Nothing changed: nothing written. */
	sync_mirror(&f, ep, &p);
	assert_true(eps_plan_empty(&p));
	eps_plan_free(&p);
	json_object_set_new(json_object_get(json_object_get(ep, "metadata"), "labels"),
			    EPS_LABEL_SKIP_MIRROR, json_string("true"));
	assert_false(eps_mirror_wanted(svc, ep));
	json_decref(ep);
	json_decref(svc);
	json_decref(f.slices);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pack_250),
	    cmocka_unit_test(test_readiness_flip_one_update),
	    cmocka_unit_test(test_fill_existing_before_new),
	    cmocka_unit_test(test_named_port_groups),
	    cmocka_unit_test(test_terminating_and_publish_not_ready),
	    cmocka_unit_test(test_special_ips_skipped),
	    cmocka_unit_test(test_headless_hostname),
	    cmocka_unit_test(test_placeholder),
	    cmocka_unit_test(test_dual_stack),
	    cmocka_unit_test(test_owner_and_labels),
	    cmocka_unit_test(test_duplicates_and_max),
	    cmocka_unit_test(test_mirroring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
