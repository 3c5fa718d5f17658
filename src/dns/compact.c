/*
 * JSON Services and EndpointSlices to their compact copies; see compact.h.
 * Each conversion runs twice over the object: once to measure the block,
 * once to fill it, through the same code (a pack whose base is NULL only
 * counts), so that the two passes cannot disagree.
 */
#include "dns/compact.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

#define SLICE_LABEL "kubernetes.io/service-name"

/* A bump allocator over one block; base NULL: measuring only. */
struct pack {
	char *base;
	size_t used;
};

/* Reserves n bytes aligned for pointers; NULL while measuring. */
static void *take(struct pack *p, size_t n)
{
	size_t off = (p->used + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	p->used = off + n;
	return p->base ? p->base + off : NULL;
}

/* Copies the n bytes of s and a NUL; NULL while measuring. */
static char *put_strn(struct pack *p, const char *s, size_t n)
{
	char *d = p->base ? p->base + p->used : NULL;
	p->used += n + 1;
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static const char *put_str(struct pack *p, const char *s)
{
	return s ? put_strn(p, s, strlen(s)) : NULL;
}

/* "ns/name" into the block; returns it, NULL while measuring. */
static char *put_key(struct pack *p, const char *ns, const char *name)
{
	size_t nl = strlen(ns), ml = strlen(name);
	char *d = p->base ? p->base + p->used : NULL;
	p->used += nl + 1 + ml + 1;
	if (d) {
		memcpy(d, ns, nl);
		d[nl] = '/';
		memcpy(d + nl + 1, name, ml + 1);
	}
	return d;
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static bool port_usable(const json_t *p)
{
	const char *name = str(p, "name");
	int port = (int)json_integer_value(json_object_get(p, "port"));
	return name && *name && port >= 1 && port <= 65535;
}

/* The named ports of a ports array; *n gets their count. */
static const struct dns_port *put_ports(struct pack *p, const json_t *ports, uint16_t *n)
{
	size_t i, k = 0;
	const json_t *v;

	json_array_foreach(ports, i, v) k += port_usable(v);
	if (k > UINT16_MAX)
		k = UINT16_MAX;
	*n = (uint16_t)k;
	struct dns_port *out = k ? take(p, k * sizeof(*out)) : NULL;
	k = 0;
	json_array_foreach(ports, i, v)
	{
		if (!port_usable(v) || k == *n)
			continue;
		const char *name = put_str(p, str(v, "name"));
		const char *proto = put_str(p, str(v, "protocol"));
		if (out)
			out[k] = (struct dns_port){
			    name, proto, (int)json_integer_value(json_object_get(v, "port"))};
		k++;
	}
	return out;
}

/* The clusterIPs that parse (spec.clusterIP when clusterIPs is empty). */
static const struct ip_addr *put_ips(struct pack *p, const json_t *spec, uint16_t *n)
{
	const json_t *ips = json_object_get(spec, "clusterIPs"), *v;
	const char *one = str(spec, "clusterIP");
	struct ip_addr a, *out;
	size_t i, k = 0;

	if (!json_array_size(ips)) {
		*n = one && !ip_addr_parse(one, &a);
		out = *n ? take(p, sizeof(*out)) : NULL;
		if (out)
			*out = a;
		return out;
	}
	json_array_foreach(ips, i, v) k +=
	    json_is_string(v) && !ip_addr_parse(json_string_value(v), &a);
	*n = (uint16_t)(k > UINT16_MAX ? UINT16_MAX : k);
	out = *n ? take(p, *n * sizeof(*out)) : NULL;
	k = 0;
	json_array_foreach(ips, i, v)
	{
		if (k < *n && json_is_string(v) && !ip_addr_parse(json_string_value(v), &a)) {
			if (out)
				out[k] = a;
			k++;
		}
	}
	return out;
}

/* Fills the Service at the start of p (into scratch while measuring). */
static void fill_svc(struct pack *p, const json_t *obj, const char *ns, const char *name,
		     struct dns_svc *scratch)
{
	const json_t *spec = json_object_get(obj, "spec");
	const char *type = str(spec, "type"), *cip = str(spec, "clusterIP");
	struct dns_svc *s = take(p, sizeof(*s));

	if (!s)
		s = scratch;
	memset(s, 0, sizeof(*s));
	s->ns = put_str(p, ns);
	s->key = put_key(p, ns, name);
	s->name = s->key ? s->key + strlen(ns) + 1 : NULL;
	s->publish_not_ready = json_is_true(json_object_get(spec, "publishNotReadyAddresses"));
	if (type && !strcmp(type, "ExternalName")) {
		s->kind = DNS_SVC_EXTERNAL_NAME;
		s->external_name = put_str(p, str(spec, "externalName"));
	} else if (cip && !strcmp(cip, "None")) {
		s->kind = DNS_SVC_HEADLESS;
	} else {
		s->kind = DNS_SVC_CLUSTER_IP;
		s->ips = put_ips(p, spec, &s->nips);
		s->ports = put_ports(p, json_object_get(spec, "ports"), &s->nports);
	}
}

struct dns_svc *dns_svc_from_json(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = str(meta, "namespace"), *name = str(meta, "name");
	struct dns_svc scratch;
	struct pack p = {NULL, 0};

	if (!ns || !name)
		return NULL;
	fill_svc(&p, obj, ns, name, &scratch);
	p = (struct pack){xmalloc(p.used), 0};
	fill_svc(&p, obj, ns, name, &scratch);
	return (struct dns_svc *)p.base;
}

static bool endpoint_ready(const json_t *ep)
{
	/* A missing or null "ready" means ready (discovery.k8s.io/v1). */
	return !json_is_false(json_object_get(json_object_get(ep, "conditions"), "ready"));
}

/* One entry per address that parses, endpoint by endpoint. */
static const struct dns_endpoint *put_endpoints(struct pack *p, const json_t *eps, uint32_t *n)
{
	size_t i, j, k = 0;
	const json_t *ep, *addr;
	struct ip_addr a;

	json_array_foreach(eps, i, ep)
	{
		json_array_foreach(json_object_get(ep, "addresses"), j, addr) k +=
		    json_is_string(addr) && !ip_addr_parse(json_string_value(addr), &a);
	}
	*n = (uint32_t)k;
	struct dns_endpoint *out = k ? take(p, k * sizeof(*out)) : NULL;
	k = 0;
	json_array_foreach(eps, i, ep)
	{
		const char *hostname = NULL;
		bool first = true;
		json_array_foreach(json_object_get(ep, "addresses"), j, addr)
		{
			if (!json_is_string(addr) || ip_addr_parse(json_string_value(addr), &a) < 0)
				continue;
			/* The endpoint's addresses share one copy of its hostname. */
			if (first)
				hostname = put_str(p, str(ep, "hostname"));
			first = false;
			if (out)
				out[k] = (struct dns_endpoint){a, hostname, endpoint_ready(ep)};
			k++;
		}
	}
	return out;
}

static void fill_slice(struct pack *p, const json_t *obj, const char *ns, const char *name,
		       struct dns_slice *scratch)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *svc = str(json_object_get(meta, "labels"), SLICE_LABEL);
	const char *at = str(obj, "addressType");
	struct dns_slice *s = take(p, sizeof(*s));

	if (!s)
		s = scratch;
	memset(s, 0, sizeof(*s));
	s->key = ns && name ? put_key(p, ns, name) : NULL;
	s->service_key = ns && svc ? put_key(p, ns, svc) : NULL;
	/* Only IPv4 and IPv6 slices give records (not FQDN ones). */
	if (at && (!strcmp(at, "IPv4") || !strcmp(at, "IPv6"))) {
		s->eps = put_endpoints(p, json_object_get(obj, "endpoints"), &s->neps);
		s->ports = put_ports(p, json_object_get(obj, "ports"), &s->nports);
	}
}

struct dns_slice *dns_slice_from_json(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = str(meta, "namespace"), *name = str(meta, "name");
	struct dns_slice scratch;
	struct pack p = {NULL, 0};

	fill_slice(&p, obj, ns, name, &scratch);
	p = (struct pack){xmalloc(p.used), 0};
	fill_slice(&p, obj, ns, name, &scratch);
	return (struct dns_slice *)p.base;
}

char *dns_object_key(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = str(meta, "namespace"), *name = str(meta, "name");
	return ns && name ? xasprintf("%s/%s", ns, name) : NULL;
}
