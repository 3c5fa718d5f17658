/*
 * svcmap_build: Services, EndpointSlices and this node's Node object in, the
 * service map out. Pure: reads only its input, keeps no state.
 */
#include "proxy/servicemap-internal.h"

#include "api/object.h"
#include "base/strbuf.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_NAME_LABEL "kubernetes.io/service-name"
#define TRIGGER_TIME_ANN   "endpoints.kubernetes.io/last-change-trigger-time"
#define ZONE_LABEL	   "topology.kubernetes.io/zone"

/* An EndpointSlice with the Service it belongs to. */
struct slice_ref {
	const char *ns;
	const char *svc;
	const char *name;
	const json_t *obj;
};

/* The map under construction. */
struct builder {
	const struct svcmap_input *in;
	struct slice_ref *slices;
	size_t n_slices;
	const char *zone;
	struct svcmap_port *ports;
	size_t n_ports, cap_ports;
};

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static const char *label(const json_t *obj, const char *name)
{
	const json_t *meta = json_object_get(obj, "metadata");
	return json_string_value(json_object_get(json_object_get(meta, "labels"), name));
}

static int slice_order(const void *a, const void *b)
{
	const struct slice_ref *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);
	if (!c)
		c = strcmp(x->svc, y->svc);
	return c ? c : strcmp(x->name, y->name);
}

/* Indexes the slices by namespace and Service name; unlabelled ones are dropped. */
static void index_slices(struct builder *b)
{
	const struct svcmap_input *in = b->in;
	b->slices = xcalloc(in->n_slices ? in->n_slices : 1, sizeof(*b->slices));
	for (size_t i = 0; i < in->n_slices; i++) {
		const json_t *s = in->slices[i];
		const char *svc = label(s, SERVICE_NAME_LABEL);
		if (!svc || !*svc)
			continue;
		b->slices[b->n_slices++] = (struct slice_ref){
		    .ns = api_meta_str(s, "namespace"),
		    .svc = svc,
		    .name = api_meta_str(s, "name"),
		    .obj = s,
		};
	}
	qsort(b->slices, b->n_slices, sizeof(*b->slices), slice_order);
}

int svcmap_proto_parse(const char *s)
{
	if (!s || !*s || !strcmp(s, "TCP"))
		return IPPROTO_TCP;
	if (!strcmp(s, "UDP"))
		return IPPROTO_UDP;
	if (!strcmp(s, "SCTP"))
		return IPPROTO_SCTP;
	return -1;
}

const char *svcmap_proto_name(int protocol)
{
	switch (protocol) {
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		return "TCP";
	}
}

static bool parse_ip(const char *s, struct ip_addr *out)
{
	return s && ip_addr_parse(s, out) == 0;
}

/* The addresses of family f among the strings of arr (a new array, *n its length). */
static struct ip_addr *ips_of_family(const json_t *arr, enum ip_family f, size_t *n)
{
	struct ip_addr *out = xcalloc(json_array_size(arr) + 1, sizeof(*out));
	size_t i, k = 0;
	json_t *v;
	*n = 0;
	json_array_foreach(arr, i, v)
	{
		struct ip_addr a;
		if (parse_ip(json_string_value(v), &a) && a.family == f)
			out[k++] = a;
	}
	*n = k;
	return out;
}

/* LoadBalancer ingress IPs of family f, except those with ipMode Proxy. */
static struct ip_addr *lb_ips(const json_t *svc, enum ip_family f, size_t *n)
{
	const json_t *ing = json_object_get(
	    json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
	struct ip_addr *out = xcalloc(json_array_size(ing) + 1, sizeof(*out));
	size_t i, k = 0;
	json_t *v;
	json_array_foreach(ing, i, v)
	{
		struct ip_addr a;
		if (!strcmp(jstr(v, "ipMode"), "Proxy"))
			continue;
		if (parse_ip(json_string_value(json_object_get(v, "ip")), &a) && a.family == f)
			out[k++] = a;
	}
	*n = k;
	return out;
}

static struct ip_cidr *source_ranges(const json_t *spec, enum ip_family f, size_t *n)
{
	const json_t *arr = json_object_get(spec, "loadBalancerSourceRanges");
	struct ip_cidr *out = xcalloc(json_array_size(arr) + 1, sizeof(*out));
	size_t i, k = 0;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		struct ip_cidr c;
		const char *s = json_string_value(v);
		if (s && ip_cidr_parse(s, false, &c) == 0 && c.addr.family == f)
			out[k++] = c;
	}
	*n = k;
	return out;
}

/* nodePort addresses of family f: the input's, else the Node's status.addresses. */
static struct ip_addr *node_ips(const struct svcmap_input *in, enum ip_family f, size_t *n)
{
	const json_t *addrs = json_object_get(json_object_get(in->node, "status"), "addresses");
	size_t cap = (in->node_ips ? in->n_node_ips : json_array_size(addrs)) + 1;
	struct ip_addr *out = xcalloc(cap, sizeof(*out));
	size_t k = 0;
	if (in->node_ips) {
		for (size_t i = 0; i < in->n_node_ips; i++)
			if (in->node_ips[i].family == f)
				out[k++] = in->node_ips[i];
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(addrs, i, v)
		{
			const char *type = jstr(v, "type");
			struct ip_addr a;
			if (strcmp(type, "InternalIP") && strcmp(type, "ExternalIP"))
				continue;
			if (parse_ip(json_string_value(json_object_get(v, "address")), &a) &&
			    a.family == f)
				out[k++] = a;
		}
	}
	*n = k;
	return out;
}

static bool jbool_or(const json_t *obj, const char *key, bool dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static uint16_t jport(const json_t *obj, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(obj, key));
	return v > 0 && v <= 65535 ? (uint16_t)v : 0;
}

/* The slice's port number for a Service port (name and protocol), or 0. */
static uint16_t slice_port(const json_t *slice, const char *port_name, int protocol)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(slice, "ports"), i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		if (strcmp(name ? name : "", port_name))
			continue;
		if (svcmap_proto_parse(json_string_value(json_object_get(p, "protocol"))) !=
		    protocol)
			continue;
		return jport(p, "port");
	}
	return 0;
}

/* Reads one slice endpoint into c; false when it has no usable address. */
static bool read_endpoint(const json_t *e, enum ip_family f, uint16_t port, const char *node,
			  struct svcmap_cand *c)
{
	const json_t *cond = json_object_get(e, "conditions");
	const char *addr = json_string_value(json_array_get(json_object_get(e, "addresses"), 0));
	memset(c, 0, sizeof(*c));
	if (!parse_ip(addr, &c->ep.addr) || c->ep.addr.family != f)
		return false;
	c->ep.port = port;
	c->ep.ready = jbool_or(cond, "ready", true);
	c->ep.serving = jbool_or(cond, "serving", true);
	c->ep.terminating = jbool_or(cond, "terminating", false);
	const char *nn = json_string_value(json_object_get(e, "nodeName"));
	c->ep.local = node && *node && nn && !strcmp(nn, node);
	c->zone_hints = json_object_get(json_object_get(e, "hints"), "forZones");
	return true;
}

/* Appends c to the set, or replaces a same address:port entry when c is ready. */
static void add_cand(struct svcmap_cand **set, size_t *n, size_t *cap, const struct svcmap_cand *c)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*set)[i].ep.port == c->ep.port && !ip_cmp(&(*set)[i].ep.addr, &c->ep.addr)) {
			if (c->ep.ready)
				(*set)[i] = *c;
			return;
		}
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*set = xrealloc(*set, *cap * sizeof(**set));
	}
	(*set)[(*n)++] = *c;
}

static int cand_order(const void *a, const void *b)
{
	return svcmap_endpoint_order(&((const struct svcmap_cand *)a)->ep,
				     &((const struct svcmap_cand *)b)->ep);
}

/* The first slice of ns/svc in the sorted index, and how many follow. */
static const struct slice_ref *slices_of(const struct builder *b, const char *ns, const char *svc,
					 size_t *count)
{
	size_t lo = 0, hi = b->n_slices;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(b->slices[mid].ns, ns);
		if (!c)
			c = strcmp(b->slices[mid].svc, svc);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < b->n_slices && !strcmp(b->slices[end].ns, ns) &&
	       !strcmp(b->slices[end].svc, svc))
		end++;
	*count = end - lo;
	return b->slices + lo;
}

/* The candidates of one Service port in family f, sorted; *trigger the latest change time. */
static struct svcmap_cand *gather(const struct builder *b, const struct svcmap_port *p, size_t *n,
				  double *trigger)
{
	size_t count, cap = 0;
	const struct slice_ref *s = slices_of(b, p->ns, p->name, &count);
	struct svcmap_cand *set = NULL;
	const char *want = p->family == IP_V4 ? "IPv4" : "IPv6";
	*n = 0;
	*trigger = 0;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(jstr(s[i].obj, "addressType"), want))
			continue;
		uint16_t port = slice_port(s[i].obj, p->port_name, p->protocol);
		if (!port)
			continue;
		const json_t *ann =
		    json_object_get(json_object_get(s[i].obj, "metadata"), "annotations");
		time_t t = api_parse_time(jstr(ann, TRIGGER_TIME_ANN));
		if (t > 0 && (double)t > *trigger)
			*trigger = (double)t;
		size_t j;
		json_t *e;
		json_array_foreach(json_object_get(s[i].obj, "endpoints"), j, e)
		{
			struct svcmap_cand c;
			if (read_endpoint(e, p->family, port, b->in->node_name, &c))
				add_cand(&set, n, &cap, &c);
		}
	}
	if (*n)
		qsort(set, *n, sizeof(*set), cand_order);
	return set;
}

static struct svcmap_port *new_port(struct builder *b)
{
	if (b->n_ports == b->cap_ports) {
		b->cap_ports = b->cap_ports ? b->cap_ports * 2 : 64;
		b->ports = xrealloc(b->ports, b->cap_ports * sizeof(*b->ports));
	}
	struct svcmap_port *p = &b->ports[b->n_ports++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* The Service-level fields every entry of svc shares, for family f. */
static void fill_service(struct svcmap_port *p, const struct builder *b, const json_t *svc,
			 enum ip_family f)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *type = jstr(spec, "type");
	bool ext_type = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
	p->ns = xstrdup(api_meta_str(svc, "namespace"));
	p->name = xstrdup(api_meta_str(svc, "name"));
	p->family = f;
	p->affinity_client_ip = !strcmp(jstr(spec, "sessionAffinity"), "ClientIP");
	p->affinity_timeout_s = 0;
	if (p->affinity_client_ip) {
		json_int_t t = json_integer_value(json_object_get(
		    json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"),
		    "timeoutSeconds"));
		p->affinity_timeout_s =
		    t > 0 && t <= 86400 ? (unsigned)t : SVCMAP_DEFAULT_AFFINITY_TIMEOUT;
	}
	p->internal_local = !strcmp(jstr(spec, "internalTrafficPolicy"), "Local");
	p->external_local = ext_type && !strcmp(jstr(spec, "externalTrafficPolicy"), "Local");
	if (!strcmp(type, "LoadBalancer") && p->external_local)
		p->health_check_node_port = jport(spec, "healthCheckNodePort");
	p->external_ips =
	    ips_of_family(json_object_get(spec, "externalIPs"), f, &p->n_external_ips);
	p->lb_ips = lb_ips(svc, f, &p->n_lb_ips);
	p->lb_source_ranges = source_ranges(spec, f, &p->n_lb_source_ranges);
	if (ext_type)
		p->node_ips = node_ips(b->in, f, &p->n_node_ips);
}

/* Adds the entries of one Service port for one clusterIP. */
static void add_port(struct builder *b, const json_t *svc, const json_t *sp,
		     const struct ip_addr *cip)
{
	int proto = svcmap_proto_parse(json_string_value(json_object_get(sp, "protocol")));
	uint16_t port = jport(sp, "port");
	if (proto < 0 || !port)
		return;
	struct svcmap_port *p = new_port(b);
	fill_service(p, b, svc, cip->family);
	p->port_name = xstrdup(jstr(sp, "name"));
	p->key = xasprintf("%s/%s:%s", p->ns, p->name, p->port_name);
	p->protocol = proto;
	p->cluster_ip = *cip;
	p->port = port;
	const char *type = jstr(json_object_get(svc, "spec"), "type");
	if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))
		p->node_port = jport(sp, "nodePort");
	bool ext = p->node_port || p->n_external_ips || p->n_lb_ips;
	size_t n;
	struct svcmap_cand *c = gather(b, p, &n, &p->trigger_time);
	svcmap_choose_endpoints(p, c, n, b->zone, ext);
	free(c);
}

/* The clusterIPs of a proxied Service (none for headless and ExternalName ones). */
static size_t cluster_ips(const json_t *spec, struct ip_addr out[2])
{
	if (!strcmp(jstr(spec, "type"), "ExternalName"))
		return 0;
	const json_t *ips = json_object_get(spec, "clusterIPs");
	json_t *one = NULL;
	if (!json_array_size(ips)) {
		one = json_array();
		json_array_append_new(one, json_string(jstr(spec, "clusterIP")));
		ips = one;
	}
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(ips, i, v)
	{
		struct ip_addr a;
		if (n < 2 && parse_ip(json_string_value(v), &a) && !ip_is_unspecified(&a) &&
		    (n == 0 || out[0].family != a.family))
			out[n++] = a;
	}
	json_decref(one);
	return n;
}

static void add_service(struct builder *b, const json_t *svc)
{
	const json_t *spec = json_object_get(svc, "spec");
	struct ip_addr cips[2];
	size_t n = cluster_ips(spec, cips);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		json_t *sp;
		json_array_foreach(json_object_get(spec, "ports"), j, sp)
		    add_port(b, svc, sp, &cips[i]);
	}
}

static void count(struct svcmap *m)
{
	m->n_services = 0;
	m->n_endpoints = 0;
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct svcmap_port *p = &m->ports[i];
		const struct svcmap_port *prev = i ? &m->ports[i - 1] : NULL;
		m->n_endpoints += p->n_cluster_eps;
		/* Entries of one Service are adjacent: their keys share "ns/name:". */
		if (!prev || strcmp(prev->ns, p->ns) || strcmp(prev->name, p->name))
			m->n_services++;
	}
}

struct svcmap *svcmap_build(const struct svcmap_input *in)
{
	struct builder b = {.in = in};
	index_slices(&b);
	const json_t *labels = json_object_get(json_object_get(in->node, "metadata"), "labels");
	b.zone = json_string_value(json_object_get(labels, ZONE_LABEL));
	for (size_t i = 0; i < in->n_services; i++)
		add_service(&b, in->services[i]);
	free(b.slices);

	struct svcmap *m = xcalloc(1, sizeof(*m));
	m->ports = b.ports;
	m->n_ports = b.n_ports;
	if (m->n_ports)
		qsort(m->ports, m->n_ports, sizeof(*m->ports), svcmap_port_order);
	count(m);
	return m;
}
