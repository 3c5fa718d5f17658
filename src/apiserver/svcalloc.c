/*
 * Service address allocation, after kube-apiserver's Service REST storage
 * (pkg/registry/core/service/storage/alloc.go), ipallocator and
 * portallocator: one bitmap per service CIDR and one for the node port
 * range. Create and update record what they take in a "taken" list so that
 * a failure gives everything back; update_done compares what the old and new
 * objects hold, so it needs no state between the two calls.
 */
#include "apiserver/svcalloc.h"

#include "apiserver/alloc_bitmap.h"
#include "base/ip.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "store/watchcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMPONENT "svcalloc"

struct iprange {
	bool present;
	struct ip_cidr cidr;
	struct ip_addr base; /* first address the bitmap covers (network + 1) */
	char spec[CIDR_STRLEN];
	struct alloc_bitmap bm;
};

struct svc_alloc {
	pthread_mutex_t mu;
	struct iprange ip[2]; /* [0] IPv4, [1] IPv6 */
	enum ip_family primary;
	int nfamilies;
	int port_base;
	struct alloc_bitmap ports;
	char port_spec[32];
	struct store *store; /* NULL: allocations live in memory only */
	bool synced;	     /* the records were merged in since svc_alloc_set_store */
	int64_t seen_rev;    /* the records' changes are applied up to here */
};

/* What one Service holds, or what one request took. */
struct held {
	struct ip_addr ips[2];
	int nips;
	int *ports; /* owned; node ports, each once */
	size_t nports, cap;
	int hc; /* healthCheckNodePort, 0 when none */
};

static int fi(enum ip_family f)
{
	return f == IP_V6;
}

static enum ip_family other_family(enum ip_family f)
{
	return f == IP_V6 ? IP_V4 : IP_V6;
}

/* ---- configuration ---- */

static int add_range(struct svc_alloc *a, const char *s, int idx, char **err)
{
	struct ip_cidr c;
	if (ip_cidr_parse(s, false, &c) < 0) {
		*err = xasprintf("invalid --service-cidr \"%s\": not a CIDR", s);
		return -EINVAL;
	}
	int host = ip_bits(c.addr.family) - c.prefix;
	if (host > 20) {
		*err = xasprintf("specified --service-cidr is too large; for %d-bit addresses, the "
				 "mask must be >= %d",
				 ip_bits(c.addr.family), ip_bits(c.addr.family) - 20);
		return -EINVAL;
	}
	struct iprange *r = &a->ip[fi(c.addr.family)];
	if (r->present) {
		*err = xasprintf("--service-cidr[0] and --service-cidr[1] must be of different IP "
				 "family");
		return -EINVAL;
	}
	if (idx == 0)
		a->primary = c.addr.family;
	uint64_t size = ip_cidr_size(&c);
	uint64_t max = size;
	if (c.addr.family == IP_V6 && max > 65536)
		max = 65536; /* the bitmap's size, as Kubernetes caps it */
	/* Never the network address, nor the IPv4 broadcast address. */
	max = max > (c.addr.family == IP_V4 ? 2u : 1u) ? max - (c.addr.family == IP_V4 ? 2 : 1) : 0;
	r->present = true;
	r->cidr = c;
	if (ip_add(&c.addr, 1, &r->base) < 0)
		r->base = c.addr;
	ip_cidr_format(&c, r->spec);
	alloc_bitmap_init(&r->bm, (size_t)max, alloc_bitmap_band(size, 16, 256, 16),
			  (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)a);
	a->nfamilies++;
	return 0;
}

static int parse_cidrs(struct svc_alloc *a, const char *spec, char **err)
{
	char *copy = xstrdup(spec && *spec ? spec : "10.96.0.0/12");
	char *save = NULL;
	int idx = 0, rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (idx == 2) {
			*err = xasprintf("--service-cidr must not contain more than two entries");
			rc = -EINVAL;
			goto out;
		}
		rc = add_range(a, tok, idx++, err);
		if (rc < 0)
			goto out;
	}
	if (idx == 0) {
		*err = xasprintf("--service-cidr must have at least one CIDR");
		rc = -EINVAL;
	}
out:
	free(copy);
	return rc;
}

static int parse_int(const char *s, char **end)
{
	if (*s < '0' || *s > '9')
		return -1;
	long v = strtol(s, end, 10);
	return v > 65535 ? -1 : (int)v;
}

/* "30000-32767", "30000+2767" or a single port, as Kubernetes' PortRange. */
static int parse_port_range(struct svc_alloc *a, const char *spec, char **err)
{
	const char *s = spec && *spec ? spec : "30000-32767";
	char *end;
	int lo = parse_int(s, &end), hi = lo;
	if (lo >= 0 && *end == '-')
		hi = parse_int(end + 1, &end);
	else if (lo >= 0 && *end == '+')
		hi = lo + parse_int(end + 1, &end);
	if (lo < 0 || hi < lo || hi > 65535 || *end) {
		*err = xasprintf("invalid --node-port-range \"%s\": want BASE-MAX", s);
		return -EINVAL;
	}
	size_t size = (size_t)(hi - lo + 1);
	a->port_base = lo;
	snprintf(a->port_spec, sizeof(a->port_spec), "%d-%d", lo, hi);
	alloc_bitmap_init(&a->ports, size, alloc_bitmap_band(size, 16, 128, 32),
			  (uint64_t)time(NULL) * 2654435761u);
	return 0;
}

/* Builds the allocator from the flags; *out is the caller's (svc_alloc_free). */
int svc_alloc_new(const struct svc_alloc_config *cfg, struct svc_alloc **out, char **err)
{
	struct svc_alloc *a = xcalloc(1, sizeof(*a));
	int rc;
	*out = NULL;
	*err = NULL;
	pthread_mutex_init(&a->mu, NULL);
	rc = parse_cidrs(a, cfg->service_cidrs, err);
	if (rc < 0)
		goto out;
	rc = parse_port_range(a, cfg->node_port_range, err);
out:
	if (rc < 0)
		svc_alloc_free(a);
	else
		*out = a;
	return rc;
}

/* Frees a and its bitmaps; a may be NULL. */
void svc_alloc_free(struct svc_alloc *a)
{
	if (!a)
		return;
	for (int i = 0; i < 2; i++)
		alloc_bitmap_free(&a->ip[i].bm);
	alloc_bitmap_free(&a->ports);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* Reseeds every bitmap's random start (tests). */
void svc_alloc_seed(struct svc_alloc *a, uint64_t seed)
{
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < 2; i++)
		alloc_bitmap_seed(&a->ip[i].bm, seed + (uint64_t)i);
	alloc_bitmap_seed(&a->ports, seed + 2);
	pthread_mutex_unlock(&a->mu);
}

/* ---- the two bitmaps ---- */

/* Takes one IP: 0, -ERANGE (family absent or not in the range), -EEXIST. */
static int take_ip(struct svc_alloc *a, const struct ip_addr *ip)
{
	struct iprange *r = &a->ip[fi(ip->family)];
	uint64_t off;
	if (!r->present || !ip_cidr_contains(&r->cidr, ip) || ip_offset(&r->base, ip, &off) < 0 ||
	    off >= r->bm.size)
		return -ERANGE;
	return alloc_bitmap_take(&r->bm, (size_t)off);
}

static void release_ip(struct svc_alloc *a, const struct ip_addr *ip)
{
	struct iprange *r = &a->ip[fi(ip->family)];
	uint64_t off;
	if (r->present && ip_cidr_contains(&r->cidr, ip) && ip_offset(&r->base, ip, &off) == 0)
		alloc_bitmap_release(&r->bm, (size_t)off);
}

static int next_ip(struct svc_alloc *a, enum ip_family f, struct ip_addr *out)
{
	struct iprange *r = &a->ip[fi(f)];
	size_t off;
	if (!r->present || alloc_bitmap_next(&r->bm, &off) < 0)
		return -ENOSPC;
	if (ip_add(&r->base, off, out) < 0) {
		alloc_bitmap_release(&r->bm, off);
		return -ENOSPC;
	}
	return 0;
}

static int take_port(struct svc_alloc *a, int port)
{
	if (port < a->port_base)
		return -ERANGE;
	return alloc_bitmap_take(&a->ports, (size_t)(port - a->port_base));
}

static void release_port(struct svc_alloc *a, int port)
{
	if (port >= a->port_base)
		alloc_bitmap_release(&a->ports, (size_t)(port - a->port_base));
}

static int next_port(struct svc_alloc *a, int *out)
{
	size_t off;
	if (alloc_bitmap_next(&a->ports, &off) < 0)
		return -ENOSPC;
	*out = a->port_base + (int)off;
	return 0;
}

/* ---- held sets ---- */

static bool held_has_port(const struct held *h, int port)
{
	for (size_t i = 0; i < h->nports; i++)
		if (h->ports[i] == port)
			return true;
	return false;
}

static void held_add_port(struct held *h, int port)
{
	if (held_has_port(h, port))
		return;
	if (h->nports == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->ports = xrealloc(h->ports, h->cap * sizeof(*h->ports));
	}
	h->ports[h->nports++] = port;
}

static bool held_has_ip(const struct held *h, const struct ip_addr *ip)
{
	for (int i = 0; i < h->nips; i++)
		if (ip_cmp(&h->ips[i], ip) == 0)
			return true;
	return false;
}

static void held_add_ip(struct held *h, const struct ip_addr *ip)
{
	if (h->nips < 2 && !held_has_ip(h, ip))
		h->ips[h->nips++] = *ip;
}

static void held_free(struct held *h)
{
	free(h->ports);
	memset(h, 0, sizeof(*h));
}

/* ---- reading and writing the Service ---- */

static json_t *spec_of(const json_t *svc)
{
	json_t *spec = json_object_get(svc, "spec");
	return json_is_object(spec) ? spec : NULL;
}

/* spec, created when absent (for writes). */
static json_t *spec_w(json_t *svc)
{
	json_t *spec = spec_of(svc);
	if (!spec) {
		spec = json_object();
		json_object_set_new(svc, "spec", spec);
	}
	return spec;
}

static const char *spec_str(const json_t *svc, const char *key)
{
	return json_string_value(json_object_get(spec_of(svc), key));
}

static int int_of(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static bool type_is(const json_t *svc, const char *type)
{
	const char *t = spec_str(svc, "type");
	return strcmp(t ? t : "ClusterIP", type) == 0;
}

static bool needs_cluster_ip(const json_t *svc)
{
	return !type_is(svc, "ExternalName");
}

static bool needs_node_port(const json_t *svc)
{
	return type_is(svc, "NodePort") || type_is(svc, "LoadBalancer");
}

/* Only LoadBalancer Services get a health check port, as apiservice.NeedsHealthCheck. */
static bool needs_hc(const json_t *svc)
{
	const char *etp = spec_str(svc, "externalTrafficPolicy");
	return type_is(svc, "LoadBalancer") && etp && strcmp(etp, "Local") == 0;
}

static bool should_alloc_node_ports(const json_t *svc)
{
	if (type_is(svc, "NodePort"))
		return true;
	json_t *v = json_object_get(spec_of(svc), "allocateLoadBalancerNodePorts");
	return type_is(svc, "LoadBalancer") && !json_is_false(v);
}

static json_t *ports_of(const json_t *svc)
{
	json_t *p = json_object_get(spec_of(svc), "ports");
	return json_is_array(p) ? p : NULL;
}

/* spec.clusterIPs, or [spec.clusterIP] when only that is set; NULL when neither. */
static const char *cluster_ip_at(const json_t *svc, size_t i)
{
	json_t *ips = json_object_get(spec_of(svc), "clusterIPs");
	if (json_is_array(ips) && json_array_size(ips) > 0)
		return json_string_value(json_array_get(ips, i));
	const char *ip = spec_str(svc, "clusterIP");
	return i == 0 && ip && *ip ? ip : NULL;
}

static bool is_headless(const json_t *svc)
{
	const char *ip = cluster_ip_at(svc, 0);
	return ip && strcmp(ip, "None") == 0;
}

/* Fills h with what svc holds: its IPs, node ports and health check port. */
static void held_of(const struct svc_alloc *a, const json_t *svc, struct held *h)
{
	memset(h, 0, sizeof(*h));
	if (!svc)
		return;
	if (needs_cluster_ip(svc)) {
		const char *s;
		struct ip_addr ip;
		for (size_t i = 0; i < 2 && (s = cluster_ip_at(svc, i)); i++)
			if (ip_addr_parse(s, &ip) == 0)
				held_add_ip(h, &ip);
	}
	size_t i;
	json_t *p;
	json_array_foreach(ports_of(svc), i, p)
	{
		int np = int_of(p, "nodePort");
		if (np > 0)
			held_add_port(h, np);
	}
	h->hc = int_of(spec_of(svc), "healthCheckNodePort");
	(void)a;
}

/* Gives back every address and port in h. */
static void release_held(struct svc_alloc *a, const struct held *h)
{
	for (int i = 0; i < h->nips; i++)
		release_ip(a, &h->ips[i]);
	for (size_t i = 0; i < h->nports; i++)
		release_port(a, h->ports[i]);
	if (h->hc > 0 && !held_has_port(h, h->hc))
		release_port(a, h->hc);
}

/* ---- error messages as kube-apiserver prints them ---- */

/* Go's %#v of a []string: []string{"a", "b"}. Caller frees. */
static char *go_string_slice(char *const *v, int n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "[]string{");
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&sb, ", ");
		sb_json_str(&sb, v[i]);
	}
	sb_puts(&sb, "}");
	return sb_steal(&sb);
}

/*
 * Adds "Invalid value: <raw>: <detail>" where raw is already formatted
 * (field_errs_add prints JSON, and a Go slice is not JSON).
 */
static void add_invalid_raw(struct field_errs *errs, const char *field, const char *raw,
			    const char *detail)
{
	field_errs_add(errs, FE_INVALID, field, NULL, NULL);
	struct field_err *e = &errs->v[errs->n - 1];
	free(e->message);
	e->message = xasprintf("Invalid value: %s: %s", raw, detail);
}

static void add_invalid_int(struct field_errs *errs, const char *field, int v, const char *detail)
{
	json_t *jv = json_integer(v);
	field_errs_add(errs, FE_INVALID, field, jv, "%s", detail);
	json_decref(jv);
}

static void add_invalid_str(struct field_errs *errs, const char *field, const char *v,
			    const char *detail)
{
	json_t *jv = json_string(v);
	field_errs_add(errs, FE_INVALID, field, jv, "%s", detail);
	json_decref(jv);
}

/* ---- ipFamilies and ipFamilyPolicy (initIPFamilyFields) ---- */

enum policy { POL_UNSET, POL_SINGLE, POL_PREFER, POL_REQUIRE };
static const char *const policy_names[] = {NULL, "SingleStack", "PreferDualStack",
					   "RequireDualStack"};

struct famspec {
	enum policy policy;
	enum ip_family fams[2];
	int nfams;
	char *ips[2]; /* owned copies of clusterIPs */
	int nips;
};

static enum policy policy_of(const json_t *svc)
{
	const char *p = spec_str(svc, "ipFamilyPolicy");
	for (int i = POL_SINGLE; p && i <= POL_REQUIRE; i++)
		if (strcmp(p, policy_names[i]) == 0)
			return (enum policy)i;
	return POL_UNSET;
}

static void famspec_read(const json_t *svc, struct famspec *fs)
{
	memset(fs, 0, sizeof(*fs));
	if (!svc)
		return;
	fs->policy = policy_of(svc);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(spec_of(svc), "ipFamilies"), i, v)
	{
		const char *s = json_string_value(v);
		if (fs->nfams < 2 && s)
			fs->fams[fs->nfams++] = strcmp(s, "IPv6") == 0 ? IP_V6 : IP_V4;
	}
	const char *ip;
	for (i = 0; i < 2 && (ip = cluster_ip_at(svc, i)); i++)
		fs->ips[fs->nips++] = xstrdup(ip);
}

static void famspec_free(struct famspec *fs)
{
	for (int i = 0; i < 2; i++)
		free(fs->ips[i]);
	memset(fs, 0, sizeof(*fs));
}

/* Writes policy, ipFamilies, clusterIPs and clusterIP back into svc. */
static void famspec_write(json_t *svc, const struct famspec *fs)
{
	json_t *spec = spec_w(svc);
	if (fs->policy != POL_UNSET)
		json_object_set_new(spec, "ipFamilyPolicy", json_string(policy_names[fs->policy]));
	json_t *fams = json_array();
	for (int i = 0; i < fs->nfams; i++)
		json_array_append_new(fams, json_string(ip_family_name(fs->fams[i])));
	json_object_set_new(spec, "ipFamilies", fams);
	if (fs->nips == 0)
		return;
	json_t *ips = json_array();
	for (int i = 0; i < fs->nips; i++)
		json_array_append_new(ips, json_string(fs->ips[i]));
	json_object_set_new(spec, "clusterIPs", ips);
	json_object_set_new(spec, "clusterIP", json_string(fs->ips[0]));
}

static bool same_ips(const struct famspec *x, const struct famspec *y)
{
	if (x->nips != y->nips)
		return false;
	for (int i = 0; i < x->nips; i++)
		if (strcmp(x->ips[i], y->ips[i]) != 0)
			return false;
	return true;
}

static bool same_fams(const struct famspec *x, const struct famspec *y)
{
	return x->nfams == y->nfams && memcmp(x->fams, y->fams, sizeof(x->fams[0]) * x->nfams) == 0;
}

/*
 * A PreferDualStack Service is neither upgraded nor downgraded when the
 * cluster changes: only an explicit change of policy, IPs or families does.
 */
static bool matching_prefer_dual(const json_t *old, const json_t *svc, const struct famspec *o,
				 const struct famspec *n)
{
	if (!old || policy_of(svc) == POL_UNSET)
		return false;
	const char *ot = spec_str(old, "type"), *nt = spec_str(svc, "type");
	if (strcmp(ot ? ot : "ClusterIP", nt ? nt : "ClusterIP") != 0 || !needs_cluster_ip(svc))
		return false;
	return o->policy == POL_PREFER && n->policy == POL_PREFER && same_ips(o, n) &&
	       same_fams(o, n);
}

static bool has_selector(const json_t *svc)
{
	json_t *sel = json_object_get(spec_of(svc), "selector");
	return json_is_object(sel) && json_object_size(sel) > 0;
}

/* Checks an update that keeps or drops the secondary family. */
static void check_update_policy(const struct famspec *o, struct famspec *n, struct field_errs *errs)
{
	const char *pol = policy_names[n->policy];
	if (n->policy == POL_SINGLE) {
		/* Setting SingleStack with the fields unchanged is clear intent. */
		if (same_ips(o, n) && n->nips > 1) {
			free(n->ips[1]);
			n->ips[1] = NULL;
			n->nips = 1;
		}
		if (same_fams(o, n) && n->nfams > 1)
			n->nfams = 1;
		return;
	}
	if (n->nips > 0 && n->nips < o->nips)
		add_invalid_str(errs, "spec.ipFamilyPolicy", pol,
				"must be 'SingleStack' to release the secondary cluster IP");
	if (n->nfams > 0 && n->nfams < o->nfams)
		add_invalid_str(errs, "spec.ipFamilyPolicy", pol,
				"must be 'SingleStack' to release the secondary IP family");
}

static bool configured(const struct svc_alloc *a, enum ip_family f)
{
	return a->ip[fi(f)].present;
}

/* Checks the policy against the counts, and infers families from chosen IPs. */
static void infer_from_ips(const struct svc_alloc *a, struct famspec *fs, struct field_errs *errs)
{
	if (fs->policy == POL_SINGLE && fs->nips == 2)
		add_invalid_str(errs, "spec.ipFamilyPolicy", "SingleStack",
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple "
				"cluster IPs are specified");
	if (fs->policy == POL_SINGLE && fs->nfams == 2)
		add_invalid_str(errs, "spec.ipFamilyPolicy", "SingleStack",
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple IP "
				"families are specified");
	for (int i = 0; i < fs->nips; i++) {
		struct ip_addr ip;
		if (strcmp(fs->ips[i], "None") == 0)
			break;
		if (ip_addr_parse(fs->ips[i], &ip) < 0 || i < fs->nfams)
			continue; /* validation has checked the IP matches ipFamilies[i] */
		if (configured(a, ip.family)) {
			fs->fams[fs->nfams++] = ip.family;
			continue;
		}
		char field[32], detail[64];
		char *raw = go_string_slice(fs->ips, fs->nips);
		snprintf(field, sizeof(field), "spec.clusterIPs[%d]", i);
		snprintf(detail, sizeof(detail), "%s is not configured on this cluster",
			 ip_family_name(ip.family));
		add_invalid_raw(errs, field, raw, detail);
		free(raw);
	}
}

/* The checks and defaults after the headless special case. */
static void default_families(const struct svc_alloc *a, struct famspec *fs, struct field_errs *errs)
{
	if (fs->policy == POL_REQUIRE && a->nfamilies < 2)
		add_invalid_str(errs, "spec.ipFamilyPolicy", "RequireDualStack",
				"this cluster is not configured for dual-stack services");
	for (int i = 0; i < fs->nfams; i++) {
		if (configured(a, fs->fams[i]))
			continue;
		char field[32];
		snprintf(field, sizeof(field), "spec.ipFamilies[%d]", i);
		add_invalid_str(errs, field, ip_family_name(fs->fams[i]),
				"not configured on this cluster");
	}
	if (fs->nfams == 0)
		fs->fams[fs->nfams++] = a->primary;
	if (fs->policy != POL_SINGLE && fs->nfams == 1 && a->nfamilies == 2)
		fs->fams[fs->nfams++] = other_family(fs->fams[0]);
}

/*
 * Defaults ipFamilyPolicy and ipFamilies of svc for this cluster (old is
 * the stored object on update, else NULL). Returns 0 or -EINVAL with errs.
 */
static int init_families(const struct svc_alloc *a, json_t *svc, const json_t *old,
			 struct field_errs *errs)
{
	struct famspec n, o;
	size_t nerr = errs->n;
	int rc = 0;
	if (!needs_cluster_ip(svc))
		return 0;
	famspec_read(svc, &n);
	famspec_read(old, &o);
	if (matching_prefer_dual(old, svc, &o, &n))
		goto out;
	bool headless = n.nips > 0 && strcmp(n.ips[0], "None") == 0;
	if (n.policy == POL_UNSET)
		n.policy = o.policy != POL_UNSET	    ? o.policy
			   : headless && !has_selector(svc) ? POL_REQUIRE
							    : POL_SINGLE;
	if (old)
		check_update_policy(&o, &n, errs);
	infer_from_ips(a, &n, errs);
	if (errs->n > nerr)
		goto out;
	if (headless && !has_selector(svc)) {
		/* Headless without selector may hold both families on any cluster. */
		if (n.nfams == 0)
			n.fams[n.nfams++] = a->primary;
		if (n.nfams < 2 && n.policy != POL_SINGLE)
			n.fams[n.nfams++] = other_family(n.fams[0]);
	} else {
		default_families(a, &n, errs);
	}
	if (errs->n == nerr)
		famspec_write(svc, &n);
out:
	rc = errs->n > nerr ? -EINVAL : 0;
	famspec_free(&n);
	famspec_free(&o);
	return rc;
}

/* ---- allocation ---- */

static void internal_err(struct field_errs *errs, const char *field, const char *what)
{
	field_errs_add(errs, FE_INTERNAL, field, NULL, "failed to allocate a %s: range is full",
		       what);
}

/* Takes the chosen IP fs->ips[i] unless old already holds it. */
static int take_chosen_ip(struct svc_alloc *a, struct famspec *fs, int i, const struct held *old,
			  struct held *taken, struct field_errs *errs)
{
	struct ip_addr ip;
	char detail[256];
	int rc = ip_addr_parse(fs->ips[i], &ip) < 0 ? -EINVAL : 0;
	if (rc == 0 && held_has_ip(old, &ip))
		return 0;
	if (rc == 0)
		rc = take_ip(a, &ip);
	if (rc == 0) {
		held_add_ip(taken, &ip);
		return 0;
	}
	if (rc == -EEXIST)
		snprintf(detail, sizeof(detail),
			 "failed to allocate IP %s: provided IP is already allocated", fs->ips[i]);
	else if (rc == -ERANGE)
		snprintf(
		    detail, sizeof(detail),
		    "failed to allocate IP %s: the provided IP (%s) is not in the valid range. "
		    "The range of valid IPs is %s",
		    fs->ips[i], fs->ips[i], a->ip[fi(ip.family)].spec);
	else
		snprintf(detail, sizeof(detail), "failed to parse service IP '%s'", fs->ips[i]);
	char *raw = go_string_slice(fs->ips, fs->nips);
	add_invalid_raw(errs, "spec.clusterIPs", raw, detail);
	free(raw);
	return -EINVAL;
}

/* Makes sure a headless Service has clusterIP and clusterIPs both "None". */
static void set_headless(json_t *svc)
{
	json_t *spec = spec_w(svc);
	json_object_set_new(spec, "clusterIP", json_string("None"));
	json_t *ips = json_object_get(spec, "clusterIPs");
	if (!json_is_array(ips) || json_array_size(ips) == 0)
		json_object_set_new(spec, "clusterIPs", json_pack("[s]", "None"));
}

/* Allocates every clusterIP svc needs that old does not hold. */
static int alloc_ips(struct svc_alloc *a, json_t *svc, const struct held *old, struct held *taken,
		     struct field_errs *errs)
{
	struct famspec fs;
	int rc = 0;
	if (!needs_cluster_ip(svc))
		return 0;
	if (is_headless(svc)) {
		set_headless(svc);
		return 0;
	}
	famspec_read(svc, &fs);
	for (int i = 0; i < fs.nfams && rc == 0; i++) {
		if (i >= fs.nips)
			fs.ips[fs.nips++] = xstrdup("");
		if (fs.ips[i][0]) {
			rc = take_chosen_ip(a, &fs, i, old, taken, errs);
			continue;
		}
		struct ip_addr ip;
		if (next_ip(a, fs.fams[i], &ip) < 0) {
			internal_err(errs, "spec.clusterIPs", "serviceIP");
			rc = -ENOSPC;
			break;
		}
		held_add_ip(taken, &ip);
		free(fs.ips[i]);
		fs.ips[i] = xmalloc(IP_STRLEN);
		ip_addr_format(&ip, fs.ips[i]);
	}
	if (rc == 0)
		famspec_write(svc, &fs);
	famspec_free(&fs);
	return rc;
}

/* The nodePort another port of svc with the same port number has (or asks for). */
static int shared_node_port(json_t *ports, size_t self)
{
	int port = int_of(json_array_get(ports, self), "port");
	size_t j;
	json_t *p;
	json_array_foreach(ports, j, p)
	{
		if (j != self && int_of(p, "port") == port && int_of(p, "nodePort") > 0)
			return int_of(p, "nodePort");
	}
	return 0;
}

/* Takes a requested node port; on failure adds the field error. */
static int take_chosen_port(struct svc_alloc *a, int np, size_t i, struct held *taken,
			    struct field_errs *errs)
{
	int rc = take_port(a, np);
	if (rc == 0) {
		held_add_port(taken, np);
		return 0;
	}
	char field[48], detail[128];
	snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
	if (rc == -EEXIST)
		snprintf(detail, sizeof(detail), "provided port is already allocated");
	else
		snprintf(detail, sizeof(detail),
			 "provided port is not in the valid range. The range of valid ports is %s",
			 a->port_spec);
	add_invalid_int(errs, field, np, detail);
	return -EINVAL;
}

/*
 * Gives each port of a NodePort or LoadBalancer Service a node port. Ports
 * with the same number (TCP and UDP of one port) share one, as Kubernetes
 * does; ports old holds are kept without taking them again.
 */
static int alloc_node_ports(struct svc_alloc *a, json_t *svc, const struct held *old,
			    struct held *taken, struct field_errs *errs)
{
	if (!needs_node_port(svc))
		return 0;
	bool should = should_alloc_node_ports(svc);
	json_t *ports = ports_of(svc);
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p)
	{
		int np = int_of(p, "nodePort");
		if (np == 0 && !should)
			continue; /* respect requested ports, allocate none */
		if (np == 0)
			np = shared_node_port(ports, i);
		if (np == 0) {
			if (next_port(a, &np) < 0) {
				internal_err(errs, "spec.ports", "nodePort");
				return -ENOSPC;
			}
			held_add_port(taken, np);
		} else if (!held_has_port(old, np) && !held_has_port(taken, np)) {
			if (take_chosen_port(a, np, i, taken, errs) < 0)
				return -EINVAL;
		}
		json_object_set_new(p, "nodePort", json_integer(np));
	}
	return 0;
}

/* healthCheckNodePort for LoadBalancer with externalTrafficPolicy Local. */
static int alloc_hc(struct svc_alloc *a, json_t *svc, int old_hc, struct held *taken,
		    struct field_errs *errs)
{
	if (!needs_hc(svc))
		return 0;
	int hc = int_of(spec_of(svc), "healthCheckNodePort");
	if (hc > 0 && hc == old_hc)
		return 0;
	if (hc == 0) {
		if (next_port(a, &hc) < 0) {
			internal_err(errs, "spec.healthCheckNodePort", "HealthCheck NodePort");
			return -ENOSPC;
		}
		taken->hc = hc;
		json_object_set_new(spec_w(svc), "healthCheckNodePort", json_integer(hc));
		return 0;
	}
	int rc = take_port(a, hc);
	if (rc == 0) {
		taken->hc = hc;
		return 0;
	}
	char detail[192];
	snprintf(detail, sizeof(detail), "failed to allocate requested HealthCheck NodePort %d: %s",
		 hc,
		 rc == -EEXIST ? "provided port is already allocated"
			       : "provided port is not in the valid range");
	add_invalid_int(errs, "spec.healthCheckNodePort", hc, detail);
	return -EINVAL;
}

/*
 * Runs the allocation steps in memory; on success *taken (caller frees)
 * holds what they took, on failure they have given it back.
 */
static int alloc_all(struct svc_alloc *a, json_t *svc, const json_t *old, struct field_errs *errs,
		     struct held *taken)
{
	struct held oldh;
	memset(taken, 0, sizeof(*taken));
	held_of(a, old, &oldh);
	int rc = init_families(a, svc, old, errs);
	if (rc == 0)
		rc = alloc_ips(a, svc, &oldh, taken, errs);
	if (rc == 0)
		rc = alloc_node_ports(a, svc, &oldh, taken, errs);
	if (rc == 0)
		rc = alloc_hc(a, svc, old && needs_hc(old) ? oldh.hc : 0, taken, errs);
	if (rc < 0) {
		release_held(a, taken);
		held_free(taken);
	}
	held_free(&oldh);
	return rc;
}

static int alloc_recorded(struct svc_alloc *a, json_t *svc, const json_t *old,
			  struct field_errs *errs);
static int sync_records(struct svc_alloc *a);

/* Allocates for a new Service; svc is modified in place. */
int svc_alloc_create(struct svc_alloc *a, json_t *svc, struct field_errs *errs)
{
	return alloc_recorded(a, svc, NULL, errs);
}

/* ---- update ---- */

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
	json_t *spec = spec_w(svc);
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
	held_of(NULL, old, &oldp);
	held_of(NULL, svc, &newp);
	memset(&used, 0, sizeof(used));
	for (size_t i = 0; i < oldp.nports; i++)
		if (held_has_port(&newp, oldp.ports[i]))
			held_add_port(&used, oldp.ports[i]);
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
			    !held_has_port(&used, np))
				json_object_set_new(p, "nodePort", json_integer(np));
		}
	}
	held_free(&used);
	held_free(&oldp);
	held_free(&newp);
}

/* Carries allocated values the client did not send back. */
static void patch_allocated(const json_t *old, json_t *svc)
{
	json_t *spec = spec_w(svc), *ospec = spec_of(old);
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

/* Allocates what new_svc needs beyond old_svc; caller finishes with _done. */
int svc_alloc_update(struct svc_alloc *a, const json_t *old_svc, json_t *new_svc,
		     struct field_errs *errs)
{
	svc_alloc_prepare_update(old_svc, new_svc);
	return alloc_recorded(a, new_svc, old_svc, errs);
}

static void release_recorded(struct svc_alloc *a, const struct held *h);

/* Releases what from holds and keep does not. */
static void release_difference(struct svc_alloc *a, const struct held *from,
			       const struct held *keep)
{
	struct held gone;
	memset(&gone, 0, sizeof(gone));
	for (int i = 0; i < from->nips; i++)
		if (!held_has_ip(keep, &from->ips[i]))
			held_add_ip(&gone, &from->ips[i]);
	for (size_t i = 0; i < from->nports; i++)
		if (!held_has_port(keep, from->ports[i]) && from->ports[i] != keep->hc)
			held_add_port(&gone, from->ports[i]);
	if (from->hc > 0 && !held_has_port(from, from->hc) && !held_has_port(keep, from->hc) &&
	    from->hc != keep->hc)
		held_add_port(&gone, from->hc);
	release_recorded(a, &gone);
	held_free(&gone);
}

/* Releases the difference of the two objects, by which side was kept. */
void svc_alloc_update_done(struct svc_alloc *a, const json_t *old_svc, const json_t *new_svc,
			   int committed)
{
	struct held o, n;
	held_of(a, old_svc, &o);
	held_of(a, new_svc, &n);
	if (!needs_hc(old_svc))
		o.hc = 0;
	if (!needs_hc(new_svc))
		n.hc = 0;
	if (committed)
		release_difference(a, &o, &n);
	else
		release_difference(a, &n, &o);
	held_free(&o);
	held_free(&n);
}

/* ---- repair, delete, metrics ---- */

static const char *name_of(const json_t *svc, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(svc, "metadata"), key));
	return s ? s : "";
}

/* Takes what a stored Service holds; conflicts are logged and skipped. */
void svc_alloc_mark(struct svc_alloc *a, const json_t *svc)
{
	struct held h;
	char buf[IP_STRLEN];
	held_of(a, svc, &h);
	if (!needs_hc(svc))
		h.hc = 0;
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < h.nips; i++) {
		int rc = take_ip(a, &h.ips[i]);
		if (rc < 0)
			log_warn(COMPONENT, "service %s/%s: clusterIP %s %s",
				 name_of(svc, "namespace"), name_of(svc, "name"),
				 ip_addr_format(&h.ips[i], buf),
				 rc == -EEXIST ? "is allocated to another service"
					       : "is not in the service range");
	}
	if (h.hc > 0 && !held_has_port(&h, h.hc))
		held_add_port(&h, h.hc);
	for (size_t i = 0; i < h.nports; i++) {
		int rc = take_port(a, h.ports[i]);
		if (rc < 0)
			log_warn(COMPONENT, "service %s/%s: nodePort %d %s",
				 name_of(svc, "namespace"), name_of(svc, "name"), h.ports[i],
				 rc == -EEXIST ? "is allocated to another service"
					       : "is not in the node port range");
	}
	pthread_mutex_unlock(&a->mu);
	held_free(&h);
}

/* Gives back everything svc holds; svc is not modified. */
void svc_alloc_release(struct svc_alloc *a, const json_t *svc)
{
	struct held h;
	held_of(a, svc, &h);
	if (!needs_hc(svc))
		h.hc = 0;
	release_recorded(a, &h);
	held_free(&h);
}

/* Used and total items of the primary family's range and of the node ports. */
void svc_alloc_stats(struct svc_alloc *a, size_t *ips_used, size_t *ips_total, size_t *ports_used,
		     size_t *ports_total)
{
	pthread_mutex_lock(&a->mu);
	if (a->store && a->synced)
		(void)sync_records(a);
	const struct alloc_bitmap *bm = &a->ip[fi(a->primary)].bm;
	*ips_used = bm->used;
	*ips_total = bm->size;
	*ports_used = a->ports.used;
	*ports_total = a->ports.size;
	pthread_mutex_unlock(&a->mu);
}

/* ---- allocation records in the store ---- */

/*
 * With a store (svc_alloc_set_store), every allocated item is also a record
 * of its own: /registry/ranges/serviceips/<ip> and
 * /registry/ranges/servicenodeports/<port>. Creating the record is the
 * compare-and-swap that makes the item ours (a create fails when the key
 * exists), so API servers sharing the store never hand out one item twice;
 * deleting it gives the item back. The bitmaps are this server's view: the
 * records' changes, from the watch cache, are applied before each use, and
 * when another server took an item first it is marked and allocation runs
 * again. One record per item rather than kube-apiserver's one bitmap record
 * per range: a write costs the same with 10 or 10,000 Services, and two
 * servers conflict only when they pick the same item.
 */

#define RANGES	     "/registry/ranges/"
#define IPS_PREFIX   RANGES "serviceips/"
#define PORTS_PREFIX RANGES "servicenodeports/"
#define MAX_TRIES    16

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

static void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static char *ip_record(const struct ip_addr *ip)
{
	char buf[IP_STRLEN];
	return xasprintf(IPS_PREFIX "%s", ip_addr_format(ip, buf));
}

static char *port_record(int port)
{
	return xasprintf(PORTS_PREFIX "%d", port);
}

/* The records of everything h holds. */
static void held_records(const struct held *h, struct strv *out)
{
	for (int i = 0; i < h->nips; i++)
		strv_push(out, ip_record(&h->ips[i]));
	for (size_t i = 0; i < h->nports; i++)
		strv_push(out, port_record(h->ports[i]));
	if (h->hc > 0 && !held_has_port(h, h->hc))
		strv_push(out, port_record(h->hc));
}

/* Applies one record to the bitmaps: taken when present, free when not. */
static void apply_record(struct svc_alloc *a, const char *key, bool present)
{
	struct ip_addr ip;
	if (!strncmp(key, IPS_PREFIX, strlen(IPS_PREFIX))) {
		if (ip_addr_parse(key + strlen(IPS_PREFIX), &ip) < 0)
			return;
		if (!present)
			release_ip(a, &ip);
		else if (take_ip(a, &ip) == -ERANGE)
			log_debug(COMPONENT, "record %s is outside the service range", key);
	} else if (!strncmp(key, PORTS_PREFIX, strlen(PORTS_PREFIX))) {
		int port = atoi(key + strlen(PORTS_PREFIX));
		if (port > 0 && present)
			(void)take_port(a, port);
		else if (port > 0)
			release_port(a, port);
	}
}

/* Whether the bitmaps hold the item of record key. */
static bool record_taken(const struct svc_alloc *a, const char *key)
{
	struct ip_addr ip;
	uint64_t off;
	if (!strncmp(key, IPS_PREFIX, strlen(IPS_PREFIX))) {
		if (ip_addr_parse(key + strlen(IPS_PREFIX), &ip) < 0)
			return false;
		const struct iprange *r = &a->ip[fi(ip.family)];
		return r->present && ip_offset(&r->base, &ip, &off) == 0 &&
		       alloc_bitmap_has(&r->bm, (size_t)off);
	}
	int port = atoi(key + strlen(PORTS_PREFIX));
	return port >= a->port_base && alloc_bitmap_has(&a->ports, (size_t)(port - a->port_base));
}

/* The records of every item the bitmaps hold. */
static void bitmap_records(const struct svc_alloc *a, struct strv *out)
{
	size_t off;
	for (int f = 0; f < 2; f++) {
		const struct iprange *r = &a->ip[f];
		struct ip_addr ip;
		for (size_t i = 0; r->present && alloc_bitmap_next_taken(&r->bm, i, &off) == 0;
		     i = off + 1)
			if (ip_add(&r->base, off, &ip) == 0)
				strv_push(out, ip_record(&ip));
	}
	for (size_t i = 0; alloc_bitmap_next_taken(&a->ports, i, &off) == 0; i = off + 1)
		strv_push(out, port_record(a->port_base + (int)off));
}

static int load_record(const struct store_kv *kv, void *arg)
{
	apply_record(arg, kv->key, true);
	return 0;
}

/* Makes the bitmaps exactly what the records say; under the lock. */
static int load_records(struct svc_alloc *a)
{
	bool more;
	for (int f = 0; f < 2; f++)
		alloc_bitmap_reset(&a->ip[f].bm);
	alloc_bitmap_reset(&a->ports);
	int rc = store_range(a->store, RANGES, NULL, 0, 0, load_record, a, &a->seen_rev, &more);
	if (rc < 0)
		log_warn(COMPONENT, "cannot read the allocation records: %s", strerror(-rc));
	return rc;
}

/*
 * The first sync after start-up repair: the bitmaps hold what the stored
 * Services hold (svc_alloc_mark); they become that and what the records
 * hold, and an item of a Service without a record (a store written before
 * records existed) gets one.
 */
static int first_sync(struct svc_alloc *a)
{
	struct strv mine = {0}, missing = {0};
	bitmap_records(a, &mine);
	int rc = load_records(a);
	for (size_t i = 0; i < mine.n; i++) {
		if (rc == 0 && !record_taken(a, mine.v[i]))
			strv_push(&missing, xstrdup(mine.v[i]));
		apply_record(a, mine.v[i], true); /* also when the read failed: keep them */
	}
	for (size_t i = 0; i < missing.n && rc == 0; i++) {
		int64_t rev;
		rc = store_create(a->store, missing.v[i], "{\"repaired\":true}", 17, &rev);
		rc = rc == -EEXIST ? 0 : rc;
	}
	if (rc == 0 && missing.n)
		log_info(COMPONENT, "wrote %zu allocation records for existing Services",
			 missing.n);
	a->synced = rc == 0;
	strv_free(&mine);
	strv_free(&missing);
	return rc;
}

/*
 * Brings the bitmaps up to date with the records, under the lock: applies
 * their changes since the last sync from the watch cache, or reads them all
 * when the cache no longer has those changes.
 */
static int sync_records(struct svc_alloc *a)
{
	struct watcher *w;
	struct watch_event *ev;
	if (!a->store)
		return 0;
	if (!a->synced)
		return first_sync(a);
	int rc = watch_cache_watch(store_watch_cache(a->store), RANGES, a->seen_rev, &w);
	if (rc == -ERANGE)
		return load_records(a);
	if (rc < 0)
		return 0; /* shutting down: the view stays as it is */
	while ((rc = watcher_next(w, &ev, 0)) == 0) {
		apply_record(a, ev->key, ev->type != WATCH_DELETED);
		watch_event_put(ev);
	}
	a->seen_rev = watcher_rev(w);
	watcher_close(w);
	return rc == -EOVERFLOW ? load_records(a) : 0;
}

/*
 * Creates the records of what taken holds. On failure deletes those it
 * created and returns -EEXIST with *conflict (caller frees) naming the
 * record another server holds, or the store's error.
 */
static int record_all(struct svc_alloc *a, const struct held *taken, const char *value,
		      char **conflict)
{
	struct strv keys = {0};
	int64_t *revs;
	size_t n = 0;
	int rc = 0;
	held_records(taken, &keys);
	revs = xcalloc(keys.n + 1, sizeof(*revs));
	for (; n < keys.n && rc == 0; n++)
		rc = store_create(a->store, keys.v[n], value, strlen(value), &revs[n]);
	if (rc == -EEXIST)
		*conflict = xstrdup(keys.v[n - 1]);
	for (size_t i = 0; rc < 0 && i + 1 < n; i++)
		if (store_delete(a->store, keys.v[i], revs[i], NULL, &revs[i]) < 0)
			log_warn(COMPONENT, "cannot delete allocation record %s", keys.v[i]);
	free(revs);
	strv_free(&keys);
	return rc;
}

/* Moves the errors of src to the end of dst. */
static void move_errs(struct field_errs *dst, struct field_errs *src)
{
	if (src->n == 0)
		return;
	if (dst->n + src->n > dst->cap) {
		dst->cap = dst->n + src->n;
		dst->v = xrealloc(dst->v, dst->cap * sizeof(*dst->v));
	}
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	free(src->v);
	memset(src, 0, sizeof(*src));
}

/* One try: allocates in memory, then records; the result is in work. */
static int alloc_try(struct svc_alloc *a, json_t *work, const json_t *old, struct field_errs *e,
		     const char *value, bool *refreshed, char **conflict)
{
	struct held taken;
	memset(&taken, 0, sizeof(taken));
	pthread_mutex_lock(&a->mu);
	int rc = sync_records(a);
	if (rc == 0)
		rc = alloc_all(a, work, old, e, &taken);
	if (rc == -ENOSPC && a->store && !*refreshed) {
		/* Other servers may have freed items this view still holds. */
		*refreshed = true;
		rc = load_records(a);
		pthread_mutex_unlock(&a->mu);
		return rc == 0 ? -EAGAIN : rc;
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == 0 && a->store)
		rc = record_all(a, &taken, value, conflict);
	if (rc < 0 && rc != -EINVAL && rc != -ENOSPC) {
		pthread_mutex_lock(&a->mu);
		release_held(a, &taken);
		if (*conflict)
			apply_record(a, *conflict, true);
		pthread_mutex_unlock(&a->mu);
	}
	held_free(&taken);
	return rc;
}

/*
 * Allocates for svc (old: the stored object on update) and records the
 * allocation, trying again when another API server took an item first.
 */
static int alloc_recorded(struct svc_alloc *a, json_t *svc, const json_t *old,
			  struct field_errs *errs)
{
	char *value =
	    xasprintf("{\"service\":\"%s/%s\"}", name_of(svc, "namespace"), name_of(svc, "name"));
	bool refreshed = false;
	int rc = -EAGAIN;
	for (int i = 0; i < MAX_TRIES && rc == -EAGAIN; i++) {
		struct field_errs e = FIELD_ERRS_INIT;
		json_t *work = json_deep_copy(svc);
		char *conflict = NULL;
		rc = alloc_try(a, work, old, &e, value, &refreshed, &conflict);
		if (rc == -EEXIST) {
			log_debug(COMPONENT, "%s was taken by another API server; again", conflict);
			rc = -EAGAIN;
		} else if (rc == 0) {
			json_object_clear(svc);
			json_object_update(svc, work);
		}
		if (rc != -EAGAIN || i + 1 == MAX_TRIES)
			move_errs(errs, &e);
		field_errs_free(&e);
		free(conflict);
		json_decref(work);
	}
	if (rc < 0 && rc != -EINVAL && rc != -ENOSPC)
		field_errs_add(errs, FE_INTERNAL, "spec", NULL,
			       "cannot record the allocation in the store: %s", strerror(-rc));
	free(value);
	return rc;
}

/* Deletes the records of what h holds, then frees the items in the bitmaps. */
static void release_recorded(struct svc_alloc *a, const struct held *h)
{
	struct strv keys = {0};
	int64_t rev;
	if (a->store)
		held_records(h, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		int rc = store_delete(a->store, keys.v[i], 0, NULL, &rev);
		if (rc < 0 && rc != -ENOENT)
			log_warn(COMPONENT, "cannot delete allocation record %s: %s", keys.v[i],
				 strerror(-rc));
	}
	strv_free(&keys);
	pthread_mutex_lock(&a->mu);
	release_held(a, h);
	pthread_mutex_unlock(&a->mu);
}

/* See svcalloc.h. */
void svc_alloc_set_store(struct svc_alloc *a, struct store *s)
{
	pthread_mutex_lock(&a->mu);
	a->store = s;
	a->synced = false;
	a->seen_rev = 0;
	pthread_mutex_unlock(&a->mu);
}
