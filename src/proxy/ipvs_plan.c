/*
 * The ipvs mode's plan, as kube-proxy's IPVS proxier lays it out: a virtual
 * server per clusterIP:port, externalIP:port, LB IP:port and node
 * address:nodePort, NAT forwarding to one real server per endpoint (weight
 * 1), ClientIP affinity as IPVS persistence; the clusterIPs, externalIPs and
 * LB IPs bound on the dummy interface so that the node accepts them; a real
 * server that goes keeps weight 0 until its connections are gone. Pure
 * functions over service maps.
 */
#include "proxy/ipvs_internal.h"

#include "base/strbuf.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int vs_order(const void *a, const void *b)
{
	const struct ipvs_vs *x = a, *y = b;
	int c = ip_cmp(&x->addr, &y->addr);
	if (c)
		return c;
	if (x->protocol != y->protocol)
		return (int)x->protocol - (int)y->protocol;
	return (int)x->port - (int)y->port;
}

static int dest_order(const void *a, const void *b)
{
	const struct ipvs_dest *x = a, *y = b;
	int c = ip_cmp(&x->addr, &y->addr);
	return c ? c : (int)x->port - (int)y->port;
}

struct vs_list {
	struct ipvs_vs *vs;
	size_t n, cap;
};

static void add_vs(struct vs_list *l, const struct svcmap_port *p, const struct ip_addr *addr,
		   uint16_t port, const char *sched, bool bound, bool masq_all,
		   const struct svcmap_endpoint *eps, size_t n_eps)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->vs = xrealloc(l->vs, l->cap * sizeof(*l->vs));
	}
	struct ipvs_vs *v = &l->vs[l->n++];
	memset(v, 0, sizeof(*v));
	v->addr = *addr;
	v->port = port;
	v->protocol = (uint8_t)p->protocol;
	snprintf(v->sched, sizeof(v->sched), "%s", sched);
	if (p->affinity_client_ip)
		v->persistence =
		    p->affinity_timeout_s ? p->affinity_timeout_s : SVCMAP_DEFAULT_AFFINITY_TIMEOUT;
	v->bound = bound;
	v->masq_all = masq_all;
	v->dests = n_eps ? xcalloc(n_eps, sizeof(*v->dests)) : NULL;
	v->n_dests = n_eps;
	for (size_t i = 0; i < n_eps; i++)
		v->dests[i] =
		    (struct ipvs_dest){.addr = eps[i].addr, .port = eps[i].port, .weight = 1};
	qsort(v->dests, v->n_dests, sizeof(*v->dests), dest_order);
}

static void add_entry(struct vs_list *l, const struct svcmap_port *p, const char *sched)
{
	if (p->cluster_ip.family == IP_V4 || p->cluster_ip.family == IP_V6)
		add_vs(l, p, &p->cluster_ip, p->port, sched, true, false, p->cluster_eps,
		       p->n_cluster_eps);
	for (size_t i = 0; i < p->n_external_ips + p->n_lb_ips; i++) {
		const struct ip_addr *x =
		    i < p->n_external_ips ? &p->external_ips[i] : &p->lb_ips[i - p->n_external_ips];
		add_vs(l, p, x, p->port, sched, true, !p->external_local, p->external_eps,
		       p->n_external_eps);
	}
	for (size_t i = 0; p->node_port && i < p->n_node_ips; i++)
		add_vs(l, p, &p->node_ips[i], p->node_port, sched, false, !p->external_local,
		       p->external_eps, p->n_external_eps);
}

static void vs_release(struct ipvs_vs *v)
{
	free(v->dests);
	v->dests = NULL;
	v->n_dests = 0;
}

void ipvs_plan_build(const struct svcmap *m, enum sched_algo sched, struct ipvs_plan *out)
{
	const char *name = sched == SCHED_ALG_RANDOM ? "rr" : sched_algo_name(sched);
	struct vs_list l = {0};
	for (size_t i = 0; m && i < m->n_ports; i++)
		add_entry(&l, &m->ports[i], name);
	qsort(l.vs, l.n, sizeof(*l.vs), vs_order);
	/* Two entries on one address, protocol and port: the first one holds it. */
	size_t w = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (w && !vs_order(&l.vs[w - 1], &l.vs[i]))
			vs_release(&l.vs[i]);
		else
			l.vs[w++] = l.vs[i];
	}
	out->vs = l.vs;
	out->n = w;
}

void ipvs_plan_free(struct ipvs_plan *p)
{
	for (size_t i = 0; p && i < p->n; i++)
		vs_release(&p->vs[i]);
	if (p)
		free(p->vs);
}

const struct ipvs_vs *ipvs_plan_find(const struct ipvs_plan *p, const struct ip_addr *addr,
				     uint8_t protocol, uint16_t port)
{
	struct ipvs_vs probe = {.addr = *addr, .protocol = protocol, .port = port};
	return bsearch(&probe, p->vs, p->n, sizeof(*p->vs), vs_order);
}

struct op_list {
	struct ipvs_op *ops;
	size_t n, cap;
};

static void push(struct op_list *l, enum ipvs_op_kind kind, const struct ipvs_vs *vs,
		 const struct ipvs_dest *d)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->ops = xrealloc(l->ops, l->cap * sizeof(*l->ops));
	}
	struct ipvs_op *op = &l->ops[l->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->vs = vs;
	if (d)
		op->dest = *d;
}

/* A copy of want's virtual server with room for the draining real servers. */
static struct ipvs_vs copy_vs(const struct ipvs_vs *v, size_t extra)
{
	struct ipvs_vs c = *v;
	c.dests = v->n_dests + extra ? xcalloc(v->n_dests + extra, sizeof(*c.dests)) : NULL;
	if (v->n_dests)
		memcpy(c.dests, v->dests, v->n_dests * sizeof(*c.dests));
	return c;
}

/* The real servers of one virtual server in both plans; next gets want's plus the draining. */
static void diff_dests(const struct ipvs_vs *old, const struct ipvs_vs *want, ipvs_conns_fn conns,
		       void *ctx, struct op_list *ops, struct op_list *dels, struct ipvs_vs *next)
{
	*next = copy_vs(want, old->n_dests);
	size_t i = 0, j = 0;
	while (i < old->n_dests || j < want->n_dests) {
		int c = i == old->n_dests    ? 1
			: j == want->n_dests ? -1
					     : dest_order(&old->dests[i], &want->dests[j]);
		if (c > 0) {
			push(ops, IPVS_OP_ADD_DEST, want, &want->dests[j++]);
		} else if (c == 0) {
			if (old->dests[i].weight != want->dests[j].weight)
				push(ops, IPVS_OP_EDIT_DEST, want, &want->dests[j]);
			i++, j++;
		} else {
			struct ipvs_dest d = old->dests[i++];
			if (conns && conns(ctx, want, &d) > 0) {
				if (d.weight) {
					d.weight = 0;
					push(ops, IPVS_OP_EDIT_DEST, want, &d);
				}
				next->dests[next->n_dests++] = d;
			} else {
				push(dels, IPVS_OP_DEL_DEST, want, &d);
			}
		}
	}
	qsort(next->dests, next->n_dests, sizeof(*next->dests), dest_order);
}

size_t ipvs_plan_diff(const struct ipvs_plan *installed, const struct ipvs_plan *want,
		      ipvs_conns_fn conns, void *ctx, struct ipvs_op **ops, struct ipvs_plan *next)
{
	struct op_list l = {0}, dels = {0};
	next->vs = want->n ? xcalloc(want->n, sizeof(*next->vs)) : NULL;
	next->n = 0;
	size_t i = 0, j = 0;
	while (i < installed->n || j < want->n) {
		int c = i == installed->n ? 1
			: j == want->n	  ? -1
					  : vs_order(&installed->vs[i], &want->vs[j]);
		if (c > 0) {
			const struct ipvs_vs *w = &want->vs[j++];
			push(&l, IPVS_OP_ADD_VS, w, NULL);
			for (size_t k = 0; k < w->n_dests; k++)
				push(&l, IPVS_OP_ADD_DEST, w, &w->dests[k]);
			next->vs[next->n++] = copy_vs(w, 0);
		} else if (c == 0) {
			const struct ipvs_vs *o = &installed->vs[i++], *w = &want->vs[j++];
			if (strcmp(o->sched, w->sched) || o->persistence != w->persistence)
				push(&l, IPVS_OP_EDIT_VS, w, NULL);
			diff_dests(o, w, conns, ctx, &l, &dels, &next->vs[next->n++]);
		} else {
			push(&dels, IPVS_OP_DEL_VS, &installed->vs[i++], NULL);
		}
	}
	for (size_t k = 0; k < dels.n; k++)
		push(&l, dels.ops[k].kind, dels.ops[k].vs, &dels.ops[k].dest);
	free(dels.ops);
	*ops = l.ops;
	return l.n;
}

size_t ipvs_plan_bound_addrs(const struct ipvs_plan *p, enum ip_family f, struct ip_addr **out)
{
	struct ip_addr *a = p->n ? xcalloc(p->n, sizeof(*a)) : NULL;
	size_t n = 0;
	/* The plan is sorted by address first: equal addresses are neighbours. */
	for (size_t i = 0; i < p->n; i++)
		if (p->vs[i].bound && p->vs[i].addr.family == f &&
		    (!n || ip_cmp(&a[n - 1], &p->vs[i].addr)))
			a[n++] = p->vs[i].addr;
	*out = a;
	return n;
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

char *ipvs_masq_rules(const struct ipvs_plan *p, enum ip_family f, const struct ip_cidr *cidr)
{
	struct strbuf sb = STRBUF_INIT;
	char a[IP_STRLEN], c[CIDR_STRLEN];
	int bits = f == IP_V6 ? 128 : 32;
	sb_puts(&sb, "*nat\n:SVCNET-IPVS - [0:0]\n:SVCNET-MARK-MASQ - [0:0]\n"
		     ":SVCNET-POSTROUTING - [0:0]\n"
		     "-A SVCNET-MARK-MASQ -j MARK --or-mark 0x4000\n"
		     "-A SVCNET-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
		     "-A SVCNET-POSTROUTING -j MARK --xor-mark 0x4000\n"
		     "-A SVCNET-POSTROUTING -j MASQUERADE --random-fully\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct ipvs_vs *v = &p->vs[i];
		if (v->addr.family != f)
			continue;
		const char *pr = proto_name(v->protocol);
		sb_printf(&sb, "-A SVCNET-IPVS -d %s/%d -p %s -m %s --dport %u",
			  ip_addr_format(&v->addr, a), bits, pr, pr, v->port);
		if (!v->masq_all && cidr && cidr->addr.family == f)
			sb_printf(&sb, " ! -s %s", ip_cidr_format(cidr, c));
		else if (!v->masq_all)
			sb_puts(&sb, " -m addrtype --src-type LOCAL");
		sb_puts(&sb, " -j SVCNET-MARK-MASQ\n");
	}
	sb_puts(&sb, "COMMIT\n");
	return sb_steal(&sb);
}
