/*
 * Deletes stale UDP conntrack entries as kube-proxy does: for an endpoint
 * that left, the entries whose reply comes from it; for a Service that
 * gained its first endpoints or went away, every entry to its addresses.
 * Runs `conntrack -D`, whose exit status is 1 when nothing matched.
 */
#include "proxy/conntrack.h"
#include "proxy/iptables_internal.h"

#include "base/log.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs conntrack -D for a destination (vip or any when NULL) and reply source. */
static void delete_flows(const struct svcmap_port *p, const struct ip_addr *vip, uint16_t port,
			 const struct ip_addr *reply_src)
{
	static bool warned;
	char a[IP_STRLEN], r[IP_STRLEN], ps[8];
	const char *argv[16];
	size_t n = 0;
	snprintf(ps, sizeof(ps), "%u", port);
	argv[n++] = "conntrack";
	argv[n++] = "-D";
	argv[n++] = "-f";
	argv[n++] = p->family == IP_V6 ? "ipv6" : "ipv4";
	argv[n++] = "-p";
	argv[n++] = p->protocol == IPPROTO_SCTP ? "sctp" : "udp";
	if (vip) {
		argv[n++] = "--orig-dst";
		argv[n++] = ip_addr_format(vip, a);
	}
	argv[n++] = "--orig-port-dst";
	argv[n++] = ps;
	if (reply_src) {
		argv[n++] = "--reply-src";
		argv[n++] = ip_addr_format(reply_src, r);
	}
	argv[n] = NULL;
	int rc = ipt_run(argv, NULL, NULL);
	if ((rc < 0 || rc > 1) && !warned) {
		warned = true;
		log_warn("proxy",
			 "conntrack -D failed (status %d): stale UDP flows stay until they "
			 "time out",
			 rc);
	}
}

/* Every address and port of p's flows: clusterIP, externals, nodePort. */
static void delete_all_of(const struct svcmap_port *p, const struct ip_addr *reply_src)
{
	delete_flows(p, &p->cluster_ip, p->port, reply_src);
	for (size_t i = 0; i < p->n_external_ips; i++)
		delete_flows(p, &p->external_ips[i], p->port, reply_src);
	for (size_t i = 0; i < p->n_lb_ips; i++)
		delete_flows(p, &p->lb_ips[i], p->port, reply_src);
	if (p->node_port)
		delete_flows(p, NULL, p->node_port, reply_src);
}

static bool has_ep(const struct svcmap_port *p, const struct svcmap_endpoint *e)
{
	const struct svcmap_endpoint *sets[2] = {p->cluster_eps, p->external_eps};
	size_t ns[2] = {p->n_cluster_eps, p->n_external_eps};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ns[k]; i++)
			if (sets[k][i].port == e->port &&
			    !memcmp(sets[k][i].addr.b, e->addr.b, sizeof(e->addr.b)))
				return true;
	return false;
}

/* The deletions of one changed entry; returns how many. */
static size_t clear_entry(const struct svcmap_port *old, const struct svcmap_port *new)
{
	size_t n = 0;
	if (!new || (!old->n_cluster_eps && new->n_cluster_eps) ||
	    (!old->n_external_eps && new->n_external_eps)) {
		delete_all_of(new ? new : old, NULL);
		return 1;
	}
	const struct svcmap_endpoint *sets[2] = {old->cluster_eps, old->external_eps};
	size_t ns[2] = {old->n_cluster_eps, old->n_external_eps};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ns[k]; i++)
			if (!has_ep(new, &sets[k][i])) {
				delete_all_of(old, &sets[k][i].addr);
				n++;
			}
	return n;
}

size_t proxy_conntrack_clear_stale(const struct svcmap *old, const struct svcmap *new)
{
	struct svcmap_delta *d = NULL;
	size_t nd = svcmap_diff(old, new, &d), n = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct svcmap_port *o = d[i].old;
		if (!o || o->protocol == IPPROTO_TCP)
			continue;
		n += clear_entry(o, d[i].new &&d[i].new->protocol == o->protocol ? d[i].new : NULL);
	}
	free(d);
	return n;
}

static void *dup_array(const void *a, size_t n, size_t size)
{
	if (!a || !n)
		return NULL;
	void *c = xcalloc(n, size);
	memcpy(c, a, n * size);
	return c;
}

struct svcmap *proxy_conntrack_snapshot(const struct svcmap *m)
{
	if (!m)
		return NULL;
	struct svcmap *c = xcalloc(1, sizeof(*c));
	size_t n = 0;
	for (size_t i = 0; i < m->n_ports; i++)
		n += m->ports[i].protocol != IPPROTO_TCP;
	c->ports = n ? xcalloc(n, sizeof(*c->ports)) : NULL;
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct svcmap_port *p = &m->ports[i];
		if (p->protocol == IPPROTO_TCP)
			continue;
		/* Every field, so that svcmap_diff sees an unchanged entry as such. */
		struct svcmap_port *q = &c->ports[c->n_ports++];
		*q = *p;
		q->key = xstrdup(p->key);
		q->ns = p->ns ? xstrdup(p->ns) : NULL;
		q->name = p->name ? xstrdup(p->name) : NULL;
		q->port_name = p->port_name ? xstrdup(p->port_name) : NULL;
		q->node_ips = dup_array(p->node_ips, p->n_node_ips, sizeof(*p->node_ips));
		q->external_ips =
		    dup_array(p->external_ips, p->n_external_ips, sizeof(*p->external_ips));
		q->lb_ips = dup_array(p->lb_ips, p->n_lb_ips, sizeof(*p->lb_ips));
		q->lb_source_ranges = dup_array(p->lb_source_ranges, p->n_lb_source_ranges,
						sizeof(*p->lb_source_ranges));
		q->cluster_eps =
		    dup_array(p->cluster_eps, p->n_cluster_eps, sizeof(*p->cluster_eps));
		q->external_eps =
		    dup_array(p->external_eps, p->n_external_eps, sizeof(*p->external_eps));
	}
	c->n_services = m->n_services;
	c->n_endpoints = m->n_endpoints;
	return c;
}

void proxy_conntrack_synced(struct svcmap **last, const struct svcmap *old,
			    const struct svcmap *new)
{
	if (old || *last)
		proxy_conntrack_clear_stale(old ? old : *last, new);
	svcmap_free(*last);
	*last = proxy_conntrack_snapshot(new);
}
