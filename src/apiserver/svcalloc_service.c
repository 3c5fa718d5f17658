/*
 * What a Service object holds and asks for, read and written as JSON for
 * the allocator (svcalloc.c), and the fields an update carries over from
 * the stored object or drops with a type change (svc_alloc_prepare_update,
 * after kube-apiserver's patchAllocatedValues and dropTypeDependentFields).
 * Nothing here touches the allocator's state.
 */
#include "apiserver/svcalloc-internal.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* ---- held sets ---- */

bool sa_held_has_port(const struct held *h, int port)
{
	for (size_t i = 0; i < h->nports; i++)
		if (h->ports[i] == port)
			return true;
	return false;
}

void sa_held_add_port(struct held *h, int port)
{
	if (sa_held_has_port(h, port))
		return;
	if (h->nports == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->ports = xrealloc(h->ports, h->cap * sizeof(*h->ports));
	}
	h->ports[h->nports++] = port;
}

bool sa_held_has_ip(const struct held *h, const struct ip_addr *ip)
{
	for (int i = 0; i < h->nips; i++)
		if (ip_cmp(&h->ips[i], ip) == 0)
			return true;
	return false;
}

void sa_held_add_ip(struct held *h, const struct ip_addr *ip)
{
	if (h->nips < 2 && !sa_held_has_ip(h, ip))
		h->ips[h->nips++] = *ip;
}

void sa_held_free(struct held *h)
{
	free(h->ports);
	memset(h, 0, sizeof(*h));
}

/* ---- reading and writing the Service ---- */

/* spec, created when absent (for writes). */
json_t *sa_spec_w(json_t *svc)
{
	json_t *spec = spec_of(svc);
	if (!spec) {
		spec = json_object();
		json_object_set_new(svc, "spec", spec);
	}
	return spec;
}

/* spec.clusterIPs, or [spec.clusterIP] when only that is set; NULL when neither. */
const char *sa_cluster_ip_at(const json_t *svc, size_t i)
{
	json_t *ips = json_object_get(spec_of(svc), "clusterIPs");
	if (json_is_array(ips) && json_array_size(ips) > 0)
		return json_string_value(json_array_get(ips, i));
	const char *ip = spec_str(svc, "clusterIP");
	return i == 0 && ip && *ip ? ip : NULL;
}

/* Fills h with what svc holds: its IPs, node ports and health check port. */
void sa_held_of(const json_t *svc, struct held *h)
{
	memset(h, 0, sizeof(*h));
	if (!svc)
		return;
	if (needs_cluster_ip(svc)) {
		const char *s;
		struct ip_addr ip;
		for (size_t i = 0; i < 2 && (s = sa_cluster_ip_at(svc, i)); i++)
			if (ip_addr_parse(s, &ip) == 0)
				sa_held_add_ip(h, &ip);
	}
	size_t i;
	json_t *p;
	json_array_foreach(ports_of(svc), i, p)
	{
		int np = int_of(p, "nodePort");
		if (np > 0)
			sa_held_add_port(h, np);
	}
	h->hc = int_of(spec_of(svc), "healthCheckNodePort");
}

const char *sa_name_of(const json_t *svc, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(svc, "metadata"), key));
	return s ? s : "";
}

/* ---- update: fields carried over and dropped ---- */

static bool json_same(const json_t *x, const json_t *y)
{
	if (!x || !y)
		return !x && !y;
	return json_equal(x, y);
}

static bool same_spec_field(const json_t *old, const json_t *svc, const char *key)
{
	return json_same(json_object_get(spec_of(old), key), json_object_get(spec_of(svc), key));
}

static bool same_node_ports(const json_t *old, const json_t *svc)
{
	json_t *op = ports_of(old), *np = ports_of(svc);
	if (json_array_size(op) != json_array_size(np))
		return false;
	for (size_t i = 0; i < json_array_size(op); i++)
		if (int_of(json_array_get(op, i), "nodePort") !=
		    int_of(json_array_get(np, i), "nodePort"))
			return false;
	return true;
}

/*
 * Clears what a type change makes moot, when the client sent it back
 * unchanged (as kubectl apply does): dropTypeDependentFields.
 */
static void drop_type_dependent(const json_t *old, json_t *svc)
{
	json_t *spec = sa_spec_w(svc);
	if (needs_cluster_ip(old) && !needs_cluster_ip(svc)) {
		if (same_spec_field(old, svc, "clusterIPs")) {
			json_object_del(spec, "clusterIP");
			json_object_del(spec, "clusterIPs");
		}
		if (same_spec_field(old, svc, "ipFamilies"))
			json_object_del(spec, "ipFamilies");
		if (same_spec_field(old, svc, "ipFamilyPolicy"))
			json_object_del(spec, "ipFamilyPolicy");
	}
	if (needs_node_port(old) && !needs_node_port(svc) && same_node_ports(old, svc)) {
		size_t i;
		json_t *p;
		json_array_foreach(ports_of(svc), i, p) json_object_del(p, "nodePort");
	}
	if (needs_hc(old) && !needs_hc(svc) && same_spec_field(old, svc, "healthCheckNodePort"))
		json_object_del(spec, "healthCheckNodePort");
	if (type_is(old, "LoadBalancer") && !type_is(svc, "LoadBalancer") &&
	    json_object_get(spec, "allocateLoadBalancerNodePorts") &&
	    same_spec_field(old, svc, "allocateLoadBalancerNodePorts"))
		json_object_del(spec, "allocateLoadBalancerNodePorts");
}

static const char *port_name(const json_t *p)
{
	const char *n = json_string_value(json_object_get(p, "name"));
	return n ? n : "";
}

/* Fills in node ports the client left out, by port name (patchAllocatedValues). */
static void patch_node_ports(const json_t *old, json_t *svc)
{
	struct held used, oldp, newp;
	sa_held_of(old, &oldp);
	sa_held_of(svc, &newp);
	memset(&used, 0, sizeof(used));
	for (size_t i = 0; i < oldp.nports; i++)
		if (sa_held_has_port(&newp, oldp.ports[i]))
			sa_held_add_port(&used, oldp.ports[i]);
	size_t i, j;
	json_t *p, *q;
	json_array_foreach(ports_of(svc), i, p)
	{
		if (int_of(p, "nodePort") != 0)
			continue;
		json_array_foreach(ports_of(old), j, q)
		{
			int np = int_of(q, "nodePort");
			if (np > 0 && strcmp(port_name(p), port_name(q)) == 0 &&
			    !sa_held_has_port(&used, np))
				json_object_set_new(p, "nodePort", json_integer(np));
		}
	}
	sa_held_free(&used);
	sa_held_free(&oldp);
	sa_held_free(&newp);
}

/* Carries allocated values the client did not send back. */
static void patch_allocated(const json_t *old, json_t *svc)
{
	json_t *spec = sa_spec_w(svc), *ospec = spec_of(old);
	if (needs_cluster_ip(old) && needs_cluster_ip(svc)) {
		const char *ip = spec_str(svc, "clusterIP");
		json_t *oip = json_object_get(ospec, "clusterIP");
		if ((!ip || !*ip) && json_is_string(oip))
			json_object_set(spec, "clusterIP", oip);
		json_t *ips = json_object_get(spec, "clusterIPs");
		json_t *oips = json_object_get(ospec, "clusterIPs");
		if (json_array_size(ips) == 0 && json_array_size(oips) > 0)
			json_object_set_new(spec, "clusterIPs", json_deep_copy(oips));
	}
	if (needs_node_port(old) && needs_node_port(svc))
		patch_node_ports(old, svc);
	if (needs_hc(old) && needs_hc(svc) && int_of(spec, "healthCheckNodePort") == 0 &&
	    int_of(ospec, "healthCheckNodePort") > 0)
		json_object_set(spec, "healthCheckNodePort",
				json_object_get(ospec, "healthCheckNodePort"));
}

/* Carries and drops fields of new_svc against old_svc; no allocator state. */
void svc_alloc_prepare_update(const json_t *old_svc, json_t *new_svc)
{
	patch_allocated(old_svc, new_svc);
	drop_type_dependent(old_svc, new_svc);
}
