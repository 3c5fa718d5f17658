/*
 * The rules of one service map entry, as kube-proxy's iptables proxier
 * writes them: SVCNET-SERVICES jumps to a chain per Service port
 * (SVCNET-SVC-*), which picks an endpoint chain (SVCNET-SEP-*) at random with
 * probabilities 1/n, 1/(n-1), ..., 1 (or the one a client's `recent` entry
 * names, for ClientIP affinity); the endpoint chain DNATs. Traffic from
 * outside (nodePorts, externalIPs, LB IPs) goes through SVCNET-EXT-*, which
 * marks it for masquerade first. Pure functions over the map.
 */
#include "proxy/iptables_internal.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits: stable across runs, so chain names are too. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t entry_hash(const struct svcmap_port *p)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, p->key, strlen(p->key) + 1);
	uint8_t fp[2] = {(uint8_t)p->family, (uint8_t)p->protocol};
	return fnv(h, fp, sizeof(fp));
}

void ipt_chain_name(const struct svcmap_port *p, const char *kind, char out[IPT_CHAIN_LEN])
{
	snprintf(out, IPT_CHAIN_LEN, "SVCNET-%s-%016llX", kind, (unsigned long long)entry_hash(p));
}

void ipt_sep_name(const struct svcmap_port *p, const struct svcmap_endpoint *e,
		  char out[IPT_CHAIN_LEN])
{
	uint64_t h = fnv(entry_hash(p), e->addr.b, sizeof(e->addr.b));
	h = fnv(h, &e->port, sizeof(e->port));
	snprintf(out, IPT_CHAIN_LEN, "SVCNET-SEP-%016llX", (unsigned long long)h);
}

bool ipt_has_external(const struct svcmap_port *p)
{
	return p->node_port || p->n_external_ips || p->n_lb_ips;
}

static const char *proto(int protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_SCTP ? "sctp" : "tcp";
}

static int host_bits(enum ip_family f)
{
	return f == IP_V6 ? 128 : 32;
}

/* The endpoint chain: hairpin masquerade, affinity note, DNAT. */
static void sep_rules(struct strbuf *sb, const struct svcmap_port *p,
		      const struct svcmap_endpoint *e)
{
	char name[IPT_CHAIN_LEN], a[IP_STRLEN];
	ipt_sep_name(p, e, name);
	ip_addr_format(&e->addr, a);
	sb_printf(sb, "-A %s -s %s/%d -j SVCNET-MARK-MASQ\n", name, a, host_bits(p->family));
	sb_printf(sb, "-A %s -p %s -m %s", name, proto(p->protocol), proto(p->protocol));
	if (p->affinity_client_ip)
		sb_printf(sb, " -m recent --set --name %s --rsource", name);
	if (p->family == IP_V6)
		sb_printf(sb, " -j DNAT --to-destination [%s]:%u\n", a, e->port);
	else
		sb_printf(sb, " -j DNAT --to-destination %s:%u\n", a, e->port);
}

/* The affinity checks and the random choice among eps, in chain. */
static void pick_rules(struct strbuf *sb, const char *chain, const struct svcmap_port *p,
		       const struct svcmap_endpoint *eps, size_t n)
{
	char sep[IPT_CHAIN_LEN];
	for (size_t i = 0; p->affinity_client_ip && i < n; i++) {
		ipt_sep_name(p, &eps[i], sep);
		sb_printf(sb,
			  "-A %s -m recent --name %s --rcheck --seconds %u --reap --rsource -j "
			  "%s\n",
			  chain, sep, p->affinity_timeout_s, sep);
	}
	for (size_t i = 0; i < n; i++) {
		ipt_sep_name(p, &eps[i], sep);
		if (i + 1 < n)
			sb_printf(sb,
				  "-A %s -m statistic --mode random --probability %.10f -j %s\n",
				  chain, 1.0 / (double)(n - i), sep);
		else
			sb_printf(sb, "-A %s -j %s\n", chain, sep);
	}
}

/* The SVC chain: masquerade from outside the pods' range, then the choice. */
static void svc_rules(struct strbuf *sb, const struct svcmap_port *p, const struct ipt_opts *o)
{
	char chain[IPT_CHAIN_LEN], vip[IP_STRLEN], cidr[CIDR_STRLEN];
	ipt_chain_name(p, "SVC", chain);
	if (!p->n_cluster_eps)
		return;
	ip_addr_format(&p->cluster_ip, vip);
	const char *pr = proto(p->protocol);
	if (o->has_cidr)
		sb_printf(sb, "-A %s ! -s %s -d %s/%d -p %s -m %s --dport %u -j SVCNET-MARK-MASQ\n",
			  chain, ip_cidr_format(&o->cidr, cidr), vip, host_bits(p->family), pr, pr,
			  p->port);
	else
		sb_printf(sb, "-A %s -m addrtype --src-type LOCAL -j SVCNET-MARK-MASQ\n", chain);
	pick_rules(sb, chain, p, p->cluster_eps, p->n_cluster_eps);
}

/* The EXT chain: masquerade (unless the policy is Local), then the choice. */
static void ext_rules(struct strbuf *sb, const struct svcmap_port *p)
{
	char chain[IPT_CHAIN_LEN];
	ipt_chain_name(p, "EXT", chain);
	if (!p->n_external_eps)
		return;
	if (!p->external_local)
		sb_printf(sb, "-A %s -j SVCNET-MARK-MASQ\n", chain);
	else
		sb_printf(sb, "-A %s -m addrtype --src-type LOCAL -j SVCNET-MARK-MASQ\n", chain);
	pick_rules(sb, chain, p, p->external_eps, p->n_external_eps);
}

/* Whether e is among eps (by address and port). */
static bool has_ep(const struct svcmap_endpoint *eps, size_t n, const struct svcmap_endpoint *e)
{
	for (size_t i = 0; i < n; i++)
		if (eps[i].port == e->port && !memcmp(eps[i].addr.b, e->addr.b, sizeof(e->addr.b)))
			return true;
	return false;
}

size_t ipt_entry_chains(const struct svcmap_port *p, char (*names)[IPT_CHAIN_LEN], size_t max)
{
	size_t n = 0;
	if (n < max)
		ipt_chain_name(p, "SVC", names[n++]);
	if (ipt_has_external(p) && n < max)
		ipt_chain_name(p, "EXT", names[n++]);
	for (size_t i = 0; i < p->n_cluster_eps && n < max; i++)
		ipt_sep_name(p, &p->cluster_eps[i], names[n++]);
	for (size_t i = 0; i < p->n_external_eps && n < max; i++)
		if (!has_ep(p->cluster_eps, p->n_cluster_eps, &p->external_eps[i]))
			ipt_sep_name(p, &p->external_eps[i], names[n++]);
	return n;
}

size_t ipt_entry_max_chains(const struct svcmap_port *p)
{
	return 2 + p->n_cluster_eps + p->n_external_eps;
}

void ipt_entry_rules(struct strbuf *decl, struct strbuf *rules, const struct svcmap_port *p,
		     const struct ipt_opts *o)
{
	size_t max = ipt_entry_max_chains(p);
	char(*names)[IPT_CHAIN_LEN] = xcalloc(max, IPT_CHAIN_LEN);
	size_t n = ipt_entry_chains(p, names, max);
	for (size_t i = 0; i < n; i++)
		sb_printf(decl, ":%s - [0:0]\n", names[i]);
	free(names);
	svc_rules(rules, p, o);
	if (ipt_has_external(p))
		ext_rules(rules, p);
	for (size_t i = 0; i < p->n_cluster_eps; i++)
		sep_rules(rules, p, &p->cluster_eps[i]);
	for (size_t i = 0; i < p->n_external_eps; i++)
		if (!has_ep(p->cluster_eps, p->n_cluster_eps, &p->external_eps[i]))
			sep_rules(rules, p, &p->external_eps[i]);
}

/* The jumps of p in nat SVCNET-SERVICES (clusterIP, externalIPs, LB IPs). */
static void services_jumps(struct strbuf *sb, const struct svcmap_port *p)
{
	char chain[IPT_CHAIN_LEN], a[IP_STRLEN];
	const char *pr = proto(p->protocol);
	int bits = host_bits(p->family);
	ipt_chain_name(p, "SVC", chain);
	if (p->n_cluster_eps)
		sb_printf(sb,
			  "-A SVCNET-SERVICES -d %s/%d -p %s -m %s --dport %u -m comment "
			  "--comment \"%s cluster IP\" -j %s\n",
			  ip_addr_format(&p->cluster_ip, a), bits, pr, pr, p->port, p->key, chain);
	if (!p->n_external_eps)
		return;
	ipt_chain_name(p, "EXT", chain);
	for (size_t i = 0; i < p->n_external_ips + p->n_lb_ips; i++) {
		const struct ip_addr *x =
		    i < p->n_external_ips ? &p->external_ips[i] : &p->lb_ips[i - p->n_external_ips];
		sb_printf(sb, "-A SVCNET-SERVICES -d %s/%d -p %s -m %s --dport %u -j %s\n",
			  ip_addr_format(x, a), bits, pr, pr, p->port, chain);
	}
}

/*
 * The rejects of p in the filter table: clusterIP without endpoints (filter
 * SVCNET-SERVICES), nodePort and external addresses without (EXTERNAL).
 * TCP gets a reset: the kernel retries a SYN answered with ICMP.
 */
static void reject_rules(struct strbuf *svc, struct strbuf *ext, const struct svcmap_port *p)
{
	char a[IP_STRLEN];
	const char *pr = proto(p->protocol);
	const char *with = p->protocol == IPPROTO_TCP ? " --reject-with tcp-reset" : "";
	int bits = host_bits(p->family);
	if (!p->n_cluster_eps)
		sb_printf(svc,
			  "-A SVCNET-SERVICES -d %s/%d -p %s -m %s --dport %u -m comment "
			  "--comment \"%s has no endpoints\" -j REJECT%s\n",
			  ip_addr_format(&p->cluster_ip, a), bits, pr, pr, p->port, p->key, with);
	if (p->n_external_eps)
		return;
	if (p->node_port)
		sb_printf(ext,
			  "-A SVCNET-EXTERNAL -m addrtype --dst-type LOCAL -p %s -m %s --dport %u "
			  "-j REJECT%s\n",
			  pr, pr, p->node_port, with);
	for (size_t i = 0; i < p->n_external_ips + p->n_lb_ips; i++) {
		const struct ip_addr *x =
		    i < p->n_external_ips ? &p->external_ips[i] : &p->lb_ips[i - p->n_external_ips];
		sb_printf(ext, "-A SVCNET-EXTERNAL -d %s/%d -p %s -m %s --dport %u -j REJECT%s\n",
			  ip_addr_format(x, a), bits, pr, pr, p->port, with);
	}
}

void ipt_top_rules(struct strbuf *nat, struct strbuf *filter, const struct svcmap *m,
		   const struct ipt_opts *o)
{
	enum ip_family f = o->family;
	struct strbuf fsvc = STRBUF_INIT, fext = STRBUF_INIT, np = STRBUF_INIT;
	sb_puts(nat, ":SVCNET-SERVICES - [0:0]\n:SVCNET-NODEPORTS - [0:0]\n");
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct svcmap_port *p = &m->ports[i];
		if (p->family != f)
			continue;
		services_jumps(nat, p);
		reject_rules(&fsvc, &fext, p);
		if (p->node_port && p->n_external_eps) {
			char chain[IPT_CHAIN_LEN];
			ipt_chain_name(p, "EXT", chain);
			sb_printf(&np, "-A SVCNET-NODEPORTS -p %s -m %s --dport %u -j %s\n",
				  proto(p->protocol), proto(p->protocol), p->node_port, chain);
		}
	}
	/* nodePorts on the node's own addresses, never on loopback. */
	sb_printf(nat,
		  "-A SVCNET-SERVICES -m addrtype --dst-type LOCAL ! -d %s -j SVCNET-NODEPORTS\n%s",
		  f == IP_V6 ? "::1/128" : "127.0.0.0/8", np.buf ? np.buf : "");
	/*
	 * Last in filter SVCNET-SERVICES (FORWARD and OUTPUT, after the nat
	 * PREROUTING and OUTPUT DNAT): the rest of the Service range, so that
	 * it never leaves by the default route. REJECT is not allowed in nat.
	 * TCP gets a reset, as above; the rest ICMP port unreachable.
	 */
	if (o->has_range) {
		char r[CIDR_STRLEN];
		ip_cidr_format(&o->range, r);
		sb_printf(
		    &fsvc,
		    "-A SVCNET-SERVICES -d %s -p tcp -m comment --comment \"" IPT_RANGE_COMMENT
		    "\" -j REJECT --reject-with tcp-reset\n"
		    "-A SVCNET-SERVICES -d %s -m comment --comment \"" IPT_RANGE_COMMENT
		    "\" -j REJECT\n",
		    r, r);
	}
	sb_printf(filter, ":SVCNET-SERVICES - [0:0]\n:SVCNET-EXTERNAL - [0:0]\n%s%s",
		  fsvc.buf ? fsvc.buf : "", fext.buf ? fext.buf : "");
	sb_free(&fsvc);
	sb_free(&fext);
	sb_free(&np);
}
