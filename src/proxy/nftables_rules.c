/*
 * The nftables mode's ruleset, laid out after notes/dataplane-costs.md:
 * maps and sets instead of a chain per Service. A verdict map keyed by
 * address . protocol . port sends a Service's packets to the shared chain
 * pick-N (N: its number of endpoints), which DNATs through the map backends
 * keyed by address . protocol . port . (numgen random mod N); nodePorts go
 * the same way through nodeports / nppick-N / np_backends. Only Services
 * with ClientIP affinity get chains of their own (aff-*), with a dynamic map
 * of client → backend whose entries time out. Filter chains (after the nat
 * chains' DNAT) reject what has no endpoints, anything else sent to a
 * clusterIP, and anything sent to the rest of the Service range (the
 * interval set service_range); TCP with a reset, since the kernel retries a
 * SYN answered with ICMP. A pod sent to itself through a Service is
 * masqueraded (the set hairpin holds endpoint . endpoint for every clusterIP
 * endpoint), else its reply would never leave it. With external_only, clusterIPs (and the Service
 * range) are left out: the ebpf mode serves them at connect().
 */
#include "proxy/nftables_internal.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASQ_MARK "0x4000"
/* The backend maps' types (format: the family twice, then once). */
#define BACKENDS_TYPE                                                                              \
	"typeof %s daddr . meta l4proto . th dport . numgen random mod 1 : %s daddr . th dport;"
#define NP_BACKENDS_TYPE                                                                           \
	"typeof meta l4proto . th dport . numgen random mod 1 : %s daddr . th dport;"

enum {
	S_HAIRPIN,
	S_CLUSTER_IPS,
	S_NOEPS,
	S_NP_NOEPS,
	S_MASQ,
	S_SERVICES,
	S_NODEPORTS,
	S_BACKENDS,
	S_NPB,
	NSETS
};
static const char *const set_names[NSETS] = {
    "hairpin",	"cluster_ips", "no_endpoints", "np_noeps",    "masq_cluster",
    "services", "nodeports",   "backends",     "np_backends",
};

/* Elements to add or delete (keys only), one list per set. */
struct elems {
	struct strbuf s[NSETS];
	bool keys_only;
};

/* Appends an element "KEY[ : VALUE]"; the format makes "KEY\tVALUE". */
static void el(struct elems *e, int set, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void el(struct elems *e, int set, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *tab = strchr(buf, '\t');
	if (tab)
		*tab = 0;
	if (e->s[set].len)
		sb_puts(&e->s[set], ", ");
	sb_puts(&e->s[set], buf);
	if (tab && !e->keys_only)
		sb_printf(&e->s[set], " : %s", tab + 1);
}

/* Appends "<verb> element <fam> svcnet <set> { ... }" for each non-empty set. */
static void flush_elems(struct strbuf *out, struct elems *e, const char *verb, const char *fam)
{
	for (int i = 0; i < NSETS; i++) {
		if (e->s[i].len)
			sb_printf(out, "%s element %s svcnet %s { %s }\n", verb, fam, set_names[i],
				  e->s[i].buf);
		sb_free(&e->s[i]);
	}
}

static const char *fam(enum ip_family f)
{
	return f == IP_V6 ? "ip6" : "ip";
}

static const char *proto(int p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The name of p's affinity objects: changes with its endpoints and timeout. */
static void aff_name(const struct svcmap_port *p, char out[32])
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, p->key, strlen(p->key) + 1);
	uint8_t fp[2] = {(uint8_t)p->family, (uint8_t)p->protocol};
	h = fnv(h, fp, 2);
	h = fnv(h, &p->affinity_timeout_s, sizeof(p->affinity_timeout_s));
	for (size_t i = 0; i < p->n_cluster_eps; i++) {
		h = fnv(h, p->cluster_eps[i].addr.b, 16);
		h = fnv(h, &p->cluster_eps[i].port, 2);
	}
	snprintf(out, 32, "aff-%016llx", (unsigned long long)h);
}

static bool has_external(const struct svcmap_port *p)
{
	return p->n_external_eps && (p->node_port || p->n_external_ips || p->n_lb_ips);
}

static bool has_aff(const struct svcmap_port *p)
{
	return p->affinity_client_ip && p->n_cluster_eps;
}

/* "ADDR . PORT" of an endpoint, as a map value. */
static void ep_value(const struct svcmap_endpoint *e, char *buf, size_t len)
{
	char a[IP_STRLEN];
	snprintf(buf, len, "%s . %u", ip_addr_format(&e->addr, a), e->port);
}

/* The backends of key (with n endpoints) into set. */
static void backend_elems(struct elems *e, int set, const char *key,
			  const struct svcmap_endpoint *eps, size_t n)
{
	char v[80];
	for (size_t i = 0; i < n; i++) {
		ep_value(&eps[i], v, sizeof(v));
		el(e, set, "%s . %zu\t%s", key, i, v);
	}
}

/* Whether p has addresses for traffic from outside the node. */
static bool has_ext_addrs(const struct svcmap_port *p)
{
	return p->node_port || p->n_external_ips || p->n_lb_ips;
}

/* Every element of p (but cluster_ips); with ext_only, of its outside addresses only. */
static void entry_elems(struct elems *e, const struct svcmap_port *p, bool ext_only)
{
	char vip[IP_STRLEN], key[128], aff[32];
	const char *pr = proto(p->protocol);
	snprintf(key, sizeof(key), "%s . %s . %u", ip_addr_format(&p->cluster_ip, vip), pr,
		 p->port);
	if (ext_only) {
		/* the clusterIP is served elsewhere (the ebpf mode) */
	} else if (!p->n_cluster_eps) {
		el(e, S_NOEPS, "%s", key);
	} else if (has_aff(p)) {
		aff_name(p, aff);
		el(e, S_MASQ, "%s", key);
		el(e, S_SERVICES, "%s\tgoto %s", key, aff);
	} else {
		el(e, S_MASQ, "%s", key);
		el(e, S_SERVICES, "%s\tgoto pick-%zu", key, p->n_cluster_eps);
		backend_elems(e, S_BACKENDS, key, p->cluster_eps, p->n_cluster_eps);
	}
	for (size_t i = 0; i < p->n_external_ips + p->n_lb_ips; i++) {
		const struct ip_addr *x =
		    i < p->n_external_ips ? &p->external_ips[i] : &p->lb_ips[i - p->n_external_ips];
		snprintf(key, sizeof(key), "%s . %s . %u", ip_addr_format(x, vip), pr, p->port);
		if (!p->n_external_eps) {
			el(e, S_NOEPS, "%s", key);
			continue;
		}
		el(e, S_SERVICES, "%s\tgoto extpick-%zu", key, p->n_external_eps);
		backend_elems(e, S_BACKENDS, key, p->external_eps, p->n_external_eps);
	}
	if (!p->node_port)
		return;
	snprintf(key, sizeof(key), "%s . %u", pr, p->node_port);
	if (!p->n_external_eps) {
		el(e, S_NP_NOEPS, "%s", key);
		return;
	}
	el(e, S_NODEPORTS, "%s\tgoto nppick-%zu", key, p->n_external_eps);
	backend_elems(e, S_NPB, key, p->external_eps, p->n_external_eps);
}

/*
 * The endpoint reference counts: an open-addressing table of addresses.
 * A count that falls to 0 keeps its slot until the table grows.
 */
struct nft_eprefs {
	struct ip_addr *addr;
	unsigned *count;
	size_t cap, used;
};

static size_t addr_hash(const struct ip_addr *a, size_t cap)
{
	return (size_t)fnv(0xcbf29ce484222325ULL, a->b, 16) & (cap - 1);
}

static unsigned *eprefs_slot(struct nft_eprefs *r, const struct ip_addr *a);

static void eprefs_grow(struct nft_eprefs *r)
{
	struct nft_eprefs old = *r;
	r->cap = old.cap ? old.cap * 2 : 64;
	r->addr = xcalloc(r->cap, sizeof(*r->addr));
	r->count = xcalloc(r->cap, sizeof(*r->count));
	r->used = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.count[i])
			*eprefs_slot(r, &old.addr[i]) = old.count[i];
	free(old.addr);
	free(old.count);
}

/* a's count, its slot made if missing. */
static unsigned *eprefs_slot(struct nft_eprefs *r, const struct ip_addr *a)
{
	if ((r->used + 1) * 4 > r->cap * 3)
		eprefs_grow(r);
	size_t i = addr_hash(a, r->cap);
	while (r->addr[i].family && memcmp(r->addr[i].b, a->b, 16))
		i = (i + 1) & (r->cap - 1);
	if (!r->addr[i].family) {
		r->addr[i] = *a;
		r->used++;
	}
	return &r->count[i];
}

/* p's clusterIP endpoints counted up (up) or down; elements come or go at 0. */
static void hairpin_elems(struct elems *e, struct nft_opts *o, const struct svcmap_port *p, bool up)
{
	char a[IP_STRLEN];
	if (o->external_only)
		return;
	if (!o->eprefs)
		o->eprefs = xcalloc(1, sizeof(*o->eprefs));
	for (size_t i = 0; i < p->n_cluster_eps; i++) {
		const struct ip_addr *x = &p->cluster_eps[i].addr;
		unsigned *c = eprefs_slot(o->eprefs, x);
		if (up ? (*c)++ == 0 : *c && --*c == 0)
			el(e, S_HAIRPIN, "%s . %s", ip_addr_format(x, a), a);
	}
}

void nft_opts_release(struct nft_opts *o)
{
	if (o->eprefs) {
		free(o->eprefs->addr);
		free(o->eprefs->count);
		free(o->eprefs);
	}
	free(o->picks);
	o->eprefs = NULL;
	o->picks = NULL;
	o->n_picks = 0;
}

/* Creates pick-N, extpick-N and nppick-N unless they exist. */
static void need_pick(struct strbuf *out, struct nft_opts *o, size_t n)
{
	if (!n)
		return;
	if (n >= o->n_picks) {
		o->picks = xrealloc(o->picks, (n + 1) * sizeof(bool));
		memset(o->picks + o->n_picks, 0, (n + 1 - o->n_picks) * sizeof(bool));
		o->n_picks = n + 1;
	}
	if (o->picks[n])
		return;
	if (o->partial) {
		o->need_full = true;
		return;
	}
	o->picks[n] = true;
	const char *f = fam(o->family);
	sb_printf(out,
		  "add chain %s svcnet pick-%zu { dnat to %s daddr . meta l4proto . th dport . "
		  "numgen random mod %zu map @backends; }\n"
		  "add chain %s svcnet extpick-%zu { meta mark set meta mark | " MASQ_MARK
		  "; goto pick-%zu; }\n"
		  "add chain %s svcnet nppick-%zu { meta mark set meta mark | " MASQ_MARK
		  "; dnat to meta l4proto . th dport . numgen random mod %zu map @np_backends; }\n",
		  f, n, f, n, f, n, n, f, n, n);
}

/* The affinity objects of p: a dynamic map and a chain per endpoint. */
static void aff_add(struct strbuf *out, const struct svcmap_port *p)
{
	char name[32], a[IP_STRLEN], v[80];
	const char *f = fam(p->family), *ty = p->family == IP_V6 ? "ipv6_addr" : "ipv4_addr";
	aff_name(p, name);
	sb_printf(out,
		  "add map %s svcnet %s { type %s : %s . inet_service; flags dynamic,timeout; "
		  "timeout %us; }\n",
		  f, name, ty, ty, p->affinity_timeout_s ? p->affinity_timeout_s : 1);
	for (size_t i = 0; i < p->n_cluster_eps; i++) {
		ep_value(&p->cluster_eps[i], v, sizeof(v));
		ip_addr_format(&p->cluster_eps[i].addr, a);
		sb_printf(out,
			  "add chain %s svcnet %s-%zu { update @%s { %s saddr : %s }; "
			  "meta l4proto %s dnat to %s%s%s:%u; }\n",
			  f, name, i, name, f, v, proto(p->protocol), p->family == IP_V6 ? "[" : "",
			  a, p->family == IP_V6 ? "]" : "", p->cluster_eps[i].port);
	}
	sb_printf(out, "add chain %s svcnet %s { meta l4proto %s dnat to %s saddr map @%s; ", f,
		  name, proto(p->protocol), f, name);
	sb_printf(out, "numgen random mod %zu vmap { ", p->n_cluster_eps);
	for (size_t i = 0; i < p->n_cluster_eps; i++)
		sb_printf(out, "%s%zu : goto %s-%zu", i ? ", " : "", i, name, i);
	sb_puts(out, " }; }\n");
}

static void aff_del(struct strbuf *out, const struct svcmap_port *p)
{
	char name[32];
	const char *f = fam(p->family);
	aff_name(p, name);
	sb_printf(out, "flush chain %s svcnet %s\ndelete chain %s svcnet %s\n", f, name, f, name);
	for (size_t i = 0; i < p->n_cluster_eps; i++)
		sb_printf(out, "flush chain %s svcnet %s-%zu\ndelete chain %s svcnet %s-%zu\n", f,
			  name, i, f, name, i);
	sb_printf(out, "delete map %s svcnet %s\n", f, name);
}

/* The needs of p: pick chains and affinity objects. */
static void entry_objects(struct strbuf *out, const struct svcmap_port *p, struct nft_opts *o)
{
	if (!o->external_only && p->n_cluster_eps && !has_aff(p))
		need_pick(out, o, p->n_cluster_eps);
	if (has_external(p))
		need_pick(out, o, p->n_external_eps);
	if (!o->external_only && has_aff(p))
		aff_add(out, p);
}

static void skeleton(struct strbuf *out, const struct nft_opts *o)
{
	const char *f = fam(o->family), *ty = o->family == IP_V6 ? "ipv6_addr" : "ipv4_addr";
	char cidr[CIDR_STRLEN];
	sb_printf(out,
		  "add table %s svcnet\ndelete table %s svcnet\ntable %s svcnet {\n"
		  "set hairpin { type %s . %s; }\n"
		  "set cluster_ips { type %s; }\n"
		  "set no_endpoints { type %s . inet_proto . inet_service; }\n"
		  "set np_noeps { type inet_proto . inet_service; }\n"
		  "set masq_cluster { type %s . inet_proto . inet_service; }\n"
		  "map services { type %s . inet_proto . inet_service : verdict; }\n"
		  "map nodeports { type inet_proto . inet_service : verdict; }\n"
		  "map backends { " BACKENDS_TYPE " }\n"
		  "map np_backends { " NP_BACKENDS_TYPE " }\n"
		  "set service_range { type %s; flags interval; ",
		  f, f, f, ty, ty, ty, ty, ty, ty, f, f, f, ty);
	if (o->has_range)
		sb_printf(out, "elements = { %s } ", ip_cidr_format(&o->range, cidr));
	sb_puts(out, "}\n");
	if (o->has_cidr)
		sb_printf(out, "chain dispatch { %s saddr != %s ", f,
			  ip_cidr_format(&o->cidr, cidr));
	else
		sb_puts(out, "chain dispatch { fib saddr type local ");
	sb_printf(
	    out,
	    "%s daddr . meta l4proto . th dport @masq_cluster meta mark set meta mark | " MASQ_MARK
	    "\n%s daddr . meta l4proto . th dport vmap @services\n"
	    "fib daddr type local %s daddr != %s meta l4proto . th dport vmap @nodeports; }\n",
	    f, f, f, o->family == IP_V6 ? "::1" : "127.0.0.0/8");
	sb_printf(
	    out,
	    "chain nat_prerouting { type nat hook prerouting priority -100; policy accept; "
	    "jump dispatch; }\n"
	    "chain nat_output { type nat hook output priority -100; policy accept; "
	    "jump dispatch; }\n"
	    "chain nat_postrouting { type nat hook postrouting priority 100; policy accept; "
	    "ct status dnat %s saddr . %s daddr @hairpin masquerade fully-random\n"
	    "meta mark & " MASQ_MARK " == " MASQ_MARK " meta mark set meta mark ^ " MASQ_MARK
	    " masquerade fully-random; }\n"
	    "chain reject_services { ct state new %s daddr . meta l4proto . th dport "
	    "@no_endpoints meta l4proto tcp reject with tcp reset\n"
	    "ct state new %s daddr . meta l4proto . th dport @no_endpoints reject\n"
	    "ct state new %s daddr @cluster_ips meta l4proto tcp reject with tcp reset\n"
	    "ct state new %s daddr @cluster_ips reject\n"
	    "ct state new %s daddr @service_range meta l4proto tcp reject with tcp reset\n"
	    "ct state new %s daddr @service_range reject; }\n"
	    "chain filter_forward { type filter hook forward priority -10; policy accept; "
	    "jump reject_services; }\n"
	    "chain filter_output { type filter hook output priority -10; policy accept; "
	    "jump reject_services; }\n"
	    "chain filter_input { type filter hook input priority -10; policy accept; "
	    "ct state new fib daddr type local meta l4proto . th dport @np_noeps "
	    "meta l4proto tcp reject with tcp reset\n"
	    "ct state new fib daddr type local meta l4proto . th dport @np_noeps reject; }\n}\n",
	    f, f, f, f, f, f, f, f);
}

char *nft_text_full(const struct svcmap *m, struct nft_opts *o)
{
	struct strbuf out = STRBUF_INIT;
	struct elems add = {0};
	char a[IP_STRLEN];
	skeleton(&out, o);
	if (o->picks)
		memset(o->picks, 0, o->n_picks * sizeof(bool));
	if (o->eprefs)
		memset(o->eprefs->count, 0, o->eprefs->cap * sizeof(unsigned));
	/* Outside addresses alone are few: their full syncs are cheap, no chain ahead. */
	size_t pre = o->external_only ? 0 : NFT_PRE_PICKS;
	for (size_t n = 1; n <= pre; n++)
		need_pick(&out, o, n);
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct svcmap_port *p = &m->ports[i];
		if (p->family != o->family || (o->external_only && !has_ext_addrs(p)))
			continue;
		entry_objects(&out, p, o);
		entry_elems(&add, p, o->external_only);
		hairpin_elems(&add, o, p, true);
		if (!o->external_only)
			el(&add, S_CLUSTER_IPS, "%s", ip_addr_format(&p->cluster_ip, a));
	}
	flush_elems(&out, &add, "add", fam(o->family));
	return sb_steal(&out);
}

static bool vip_in(const struct svcmap *m, const struct ip_addr *a)
{
	for (size_t i = 0; m && i < m->n_ports; i++)
		if (!memcmp(m->ports[i].cluster_ip.b, a->b, 16) && m->ports[i].family == a->family)
			return true;
	return false;
}

/* The changes of one delta: elements into del/add, objects into od/oa. */
static void delta_text(const struct svcmap_delta *d, const struct svcmap *new, struct elems *del,
		       struct elems *add, struct strbuf *od, struct strbuf *oa, struct nft_opts *o)
{
	char a[IP_STRLEN], n1[32] = "", n2[32] = "";
	bool x = o->external_only;
	if (!x && d->old && has_aff(d->old))
		aff_name(d->old, n1);
	if (!x && d->new &&has_aff(d->new))
		aff_name(d->new, n2);
	if (d->old) {
		entry_elems(del, d->old, x);
		if (*n1 && strcmp(n1, n2))
			aff_del(od, d->old);
		/* A clusterIP stays while another entry has it; delete it once. */
		if (!x && !vip_in(new, &d->old->cluster_ip)) {
			ip_addr_format(&d->old->cluster_ip, a);
			if (!strstr(del->s[S_CLUSTER_IPS].buf ? del->s[S_CLUSTER_IPS].buf : "", a))
				el(del, S_CLUSTER_IPS, "%s", a);
		}
	}
	if (d->new) {
		entry_elems(add, d->new, x);
		if (*n2 && !strcmp(n1, n2))
			need_pick(oa, o, has_external(d->new) ? d->new->n_external_eps : 0);
		else
			entry_objects(oa, d->new, o);
		if (!x)
			el(add, S_CLUSTER_IPS, "%s", ip_addr_format(&d->new->cluster_ip, a));
	}
}

char *nft_text_partial(const struct svcmap *old, const struct svcmap *new, struct nft_opts *o)
{
	struct svcmap_delta *d = NULL;
	size_t nd = svcmap_diff(old, new, &d);
	struct elems del = {.keys_only = true}, add = {0};
	struct strbuf od = STRBUF_INIT, oa = STRBUF_INIT, out = STRBUF_INIT;
	bool any = false;
	o->partial = true;
	o->need_full = false;
	for (size_t i = 0; i < nd; i++) {
		const struct svcmap_port *p = d[i].new ? d[i].new : d[i].old;
		if (p->family != o->family)
			continue;
		if (o->external_only && !(d[i].old && has_ext_addrs(d[i].old)) &&
		    !(d[i].new &&has_ext_addrs(d[i].new)))
			continue;
		any = true;
		delta_text(&d[i], new, &del, &add, &od, &oa, o);
	}
	/* Counts down before up: an address that moves between entries stays. */
	for (size_t i = 0; i < nd; i++)
		if (d[i].old && d[i].old->family == o->family)
			hairpin_elems(&del, o, d[i].old, false);
	for (size_t i = 0; i < nd; i++)
		if (d[i].new &&d[i].new->family == o->family)
			hairpin_elems(&add, o, d[i].new, true);
	free(d);
	/*
	 * The backend maps declared again (a no-op in the kernel): nft cannot
	 * rebuild their typeof keys from the kernel for the pick chains' rules.
	 */
	const char *f = fam(o->family);
	sb_printf(&out, "add map %s svcnet backends { " BACKENDS_TYPE " }\n", f, f, f);
	sb_printf(&out, "add map %s svcnet np_backends { " NP_BACKENDS_TYPE " }\n", f, f);
	flush_elems(&out, &del, "delete", f);
	sb_printf(&out, "%s%s", od.buf ? od.buf : "", oa.buf ? oa.buf : "");
	flush_elems(&out, &add, "add", fam(o->family));
	sb_free(&od);
	sb_free(&oa);
	o->partial = false;
	if (o->need_full) {
		sb_free(&out);
		return nft_text_full(new, o);
	}
	if (!any) {
		sb_free(&out);
		return NULL;
	}
	return sb_steal(&out);
}

const char nft_text_cleanup[] = "add table ip svcnet\ndelete table ip svcnet\n"
				"add table ip6 svcnet\ndelete table ip6 svcnet\n";
