/*
 * Service address allocation, after kube-apiserver's Service REST storage
 * (pkg/registry/core/service/storage/alloc.go), ipallocator and
 * portallocator: one bitmap per service CIDR and one for the node port
 * range. Create and update record what they take in a "taken" list so that
 * a failure gives everything back; update_done compares what the old and new
 * objects hold, so it needs no state between the two calls.
 *
 * The other parts are in svcalloc_service.c, svcalloc_families.c and
 * svcalloc_records.c (see svcalloc-internal.h).
 */
#include "apiserver/svcalloc.h"

#include "apiserver/svcalloc-internal.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
int sa_take_ip(struct svc_alloc *a, const struct ip_addr *ip)
{
	struct iprange *r = &a->ip[fi(ip->family)];
	uint64_t off;
	if (!r->present || !ip_cidr_contains(&r->cidr, ip) || ip_offset(&r->base, ip, &off) < 0 ||
	    off >= r->bm.size)
		return -ERANGE;
	return alloc_bitmap_take(&r->bm, (size_t)off);
}

void sa_release_ip(struct svc_alloc *a, const struct ip_addr *ip)
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

int sa_take_port(struct svc_alloc *a, int port)
{
	if (port < a->port_base)
		return -ERANGE;
	return alloc_bitmap_take(&a->ports, (size_t)(port - a->port_base));
}

void sa_release_port(struct svc_alloc *a, int port)
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

/* Gives back every address and port in h. */
void sa_release_held(struct svc_alloc *a, const struct held *h)
{
	for (int i = 0; i < h->nips; i++)
		sa_release_ip(a, &h->ips[i]);
	for (size_t i = 0; i < h->nports; i++)
		sa_release_port(a, h->ports[i]);
	if (h->hc > 0 && !sa_held_has_port(h, h->hc))
		sa_release_port(a, h->hc);
}

/* ---- what the Service asks for ---- */

static bool should_alloc_node_ports(const json_t *svc)
{
	if (type_is(svc, "NodePort"))
		return true;
	json_t *v = json_object_get(spec_of(svc), "allocateLoadBalancerNodePorts");
	return type_is(svc, "LoadBalancer") && !json_is_false(v);
}

static bool is_headless(const json_t *svc)
{
	const char *ip = sa_cluster_ip_at(svc, 0);
	return ip && strcmp(ip, "None") == 0;
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
	if (rc == 0 && sa_held_has_ip(old, &ip))
		return 0;
	if (rc == 0)
		rc = sa_take_ip(a, &ip);
	if (rc == 0) {
		sa_held_add_ip(taken, &ip);
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
	char *raw = sa_go_string_slice(fs->ips, fs->nips);
	sa_add_invalid_raw(errs, "spec.clusterIPs", raw, detail);
	free(raw);
	return -EINVAL;
}

/* Makes sure a headless Service has clusterIP and clusterIPs both "None". */
static void set_headless(json_t *svc)
{
	json_t *spec = sa_spec_w(svc);
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
	sa_famspec_read(svc, &fs);
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
		sa_held_add_ip(taken, &ip);
		free(fs.ips[i]);
		fs.ips[i] = xmalloc(IP_STRLEN);
		ip_addr_format(&ip, fs.ips[i]);
	}
	if (rc == 0)
		sa_famspec_write(svc, &fs);
	sa_famspec_free(&fs);
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
	int rc = sa_take_port(a, np);
	if (rc == 0) {
		sa_held_add_port(taken, np);
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
	sa_add_invalid_int(errs, field, np, detail);
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
			sa_held_add_port(taken, np);
		} else if (!sa_held_has_port(old, np) && !sa_held_has_port(taken, np)) {
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
		json_object_set_new(sa_spec_w(svc), "healthCheckNodePort", json_integer(hc));
		return 0;
	}
	int rc = sa_take_port(a, hc);
	if (rc == 0) {
		taken->hc = hc;
		return 0;
	}
	char detail[192];
	snprintf(detail, sizeof(detail), "failed to allocate requested HealthCheck NodePort %d: %s",
		 hc,
		 rc == -EEXIST ? "provided port is already allocated"
			       : "provided port is not in the valid range");
	sa_add_invalid_int(errs, "spec.healthCheckNodePort", hc, detail);
	return -EINVAL;
}

/* See svcalloc-internal.h. */
int sa_alloc_all(struct svc_alloc *a, json_t *svc, const json_t *old, struct field_errs *errs,
		 struct held *taken)
{
	struct held oldh;
	memset(taken, 0, sizeof(*taken));
	sa_held_of(old, &oldh);
	int rc = sa_init_families(a, svc, old, errs);
	if (rc == 0)
		rc = alloc_ips(a, svc, &oldh, taken, errs);
	if (rc == 0)
		rc = alloc_node_ports(a, svc, &oldh, taken, errs);
	if (rc == 0)
		rc = alloc_hc(a, svc, old && needs_hc(old) ? oldh.hc : 0, taken, errs);
	if (rc < 0) {
		sa_release_held(a, taken);
		sa_held_free(taken);
	}
	sa_held_free(&oldh);
	return rc;
}

/* Allocates for a new Service; svc is modified in place. */
int svc_alloc_create(struct svc_alloc *a, json_t *svc, struct field_errs *errs)
{
	return sa_alloc_recorded(a, svc, NULL, errs);
}

/* ---- update ---- */

/* Allocates what new_svc needs beyond old_svc; caller finishes with _done. */
int svc_alloc_update(struct svc_alloc *a, const json_t *old_svc, json_t *new_svc,
		     struct field_errs *errs)
{
	svc_alloc_prepare_update(old_svc, new_svc);
	return sa_alloc_recorded(a, new_svc, old_svc, errs);
}

/* Releases what from holds and keep does not. */
static void release_difference(struct svc_alloc *a, const struct held *from,
			       const struct held *keep)
{
	struct held gone;
	memset(&gone, 0, sizeof(gone));
	for (int i = 0; i < from->nips; i++)
		if (!sa_held_has_ip(keep, &from->ips[i]))
			sa_held_add_ip(&gone, &from->ips[i]);
	for (size_t i = 0; i < from->nports; i++)
		if (!sa_held_has_port(keep, from->ports[i]) && from->ports[i] != keep->hc)
			sa_held_add_port(&gone, from->ports[i]);
	if (from->hc > 0 && !sa_held_has_port(from, from->hc) &&
	    !sa_held_has_port(keep, from->hc) && from->hc != keep->hc)
		sa_held_add_port(&gone, from->hc);
	sa_release_recorded(a, &gone);
	sa_held_free(&gone);
}

/* Releases the difference of the two objects, by which side was kept. */
void svc_alloc_update_done(struct svc_alloc *a, const json_t *old_svc, const json_t *new_svc,
			   int committed)
{
	struct held o, n;
	sa_held_of(old_svc, &o);
	sa_held_of(new_svc, &n);
	if (!needs_hc(old_svc))
		o.hc = 0;
	if (!needs_hc(new_svc))
		n.hc = 0;
	if (committed)
		release_difference(a, &o, &n);
	else
		release_difference(a, &n, &o);
	sa_held_free(&o);
	sa_held_free(&n);
}

/* ---- repair, delete, metrics ---- */

/* Takes what a stored Service holds; conflicts are logged and skipped. */
void svc_alloc_mark(struct svc_alloc *a, const json_t *svc)
{
	struct held h;
	char buf[IP_STRLEN];
	sa_held_of(svc, &h);
	if (!needs_hc(svc))
		h.hc = 0;
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < h.nips; i++) {
		int rc = sa_take_ip(a, &h.ips[i]);
		if (rc < 0)
			log_warn(COMPONENT, "service %s/%s: clusterIP %s %s",
				 sa_name_of(svc, "namespace"), sa_name_of(svc, "name"),
				 ip_addr_format(&h.ips[i], buf),
				 rc == -EEXIST ? "is allocated to another service"
					       : "is not in the service range");
	}
	if (h.hc > 0 && !sa_held_has_port(&h, h.hc))
		sa_held_add_port(&h, h.hc);
	for (size_t i = 0; i < h.nports; i++) {
		int rc = sa_take_port(a, h.ports[i]);
		if (rc < 0)
			log_warn(COMPONENT, "service %s/%s: nodePort %d %s",
				 sa_name_of(svc, "namespace"), sa_name_of(svc, "name"), h.ports[i],
				 rc == -EEXIST ? "is allocated to another service"
					       : "is not in the node port range");
	}
	pthread_mutex_unlock(&a->mu);
	sa_held_free(&h);
}

/* Gives back everything svc holds; svc is not modified. */
void svc_alloc_release(struct svc_alloc *a, const json_t *svc)
{
	struct held h;
	sa_held_of(svc, &h);
	if (!needs_hc(svc))
		h.hc = 0;
	sa_release_recorded(a, &h);
	sa_held_free(&h);
}

/* Used and total items of the primary family's range and of the node ports. */
void svc_alloc_stats(struct svc_alloc *a, size_t *ips_used, size_t *ips_total, size_t *ports_used,
		     size_t *ports_total)
{
	pthread_mutex_lock(&a->mu);
	if (a->store && a->synced)
		(void)sa_sync_records(a);
	const struct alloc_bitmap *bm = &a->ip[fi(a->primary)].bm;
	*ips_used = bm->used;
	*ips_total = bm->size;
	*ports_used = a->ports.used;
	*ports_total = a->ports.size;
	pthread_mutex_unlock(&a->mu);
}
