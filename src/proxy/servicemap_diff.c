/* The service map as a value: ordering, lookup, comparison, difference, freeing. */
#include "proxy/servicemap-internal.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

int svcmap_port_order(const void *a, const void *b)
{
	const struct svcmap_port *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return (int)x->family - (int)y->family;
}

int svcmap_endpoint_order(const void *a, const void *b)
{
	const struct svcmap_endpoint *x = a, *y = b;
	int c = ip_cmp(&x->addr, &y->addr);
	if (c)
		return c;
	return (int)x->port - (int)y->port;
}

void svcmap_port_release(struct svcmap_port *p)
{
	free(p->key);
	free(p->ns);
	free(p->name);
	free(p->port_name);
	free(p->node_ips);
	free(p->external_ips);
	free(p->lb_ips);
	free(p->lb_source_ranges);
	free(p->cluster_eps);
	free(p->external_eps);
	memset(p, 0, sizeof(*p));
}

void svcmap_free(struct svcmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_ports; i++)
		svcmap_port_release(&m->ports[i]);
	free(m->ports);
	free(m);
}

const struct svcmap_port *svcmap_find(const struct svcmap *m, const char *key,
				      enum ip_family family)
{
	if (!m)
		return NULL;
	struct svcmap_port probe = {.key = (char *)key, .family = family};
	return bsearch(&probe, m->ports, m->n_ports, sizeof(*m->ports), svcmap_port_order);
}

static bool ips_equal(const struct ip_addr *a, size_t na, const struct ip_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (ip_cmp(&a[i], &b[i]))
			return false;
	return true;
}

static bool cidrs_equal(const struct ip_cidr *a, size_t na, const struct ip_cidr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].prefix != b[i].prefix || ip_cmp(&a[i].addr, &b[i].addr))
			return false;
	return true;
}

static bool eps_equal(const struct svcmap_endpoint *a, size_t na, const struct svcmap_endpoint *b,
		      size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (svcmap_endpoint_order(&a[i], &b[i]) || a[i].ready != b[i].ready ||
		    a[i].serving != b[i].serving || a[i].terminating != b[i].terminating ||
		    a[i].local != b[i].local)
			return false;
	}
	return true;
}

unsigned svcmap_port_compare(const struct svcmap_port *a, const struct svcmap_port *b)
{
	unsigned what = 0;
	if (a->protocol != b->protocol || ip_cmp(&a->cluster_ip, &b->cluster_ip) ||
	    a->port != b->port || a->node_port != b->node_port ||
	    a->health_check_node_port != b->health_check_node_port ||
	    !ips_equal(a->node_ips, a->n_node_ips, b->node_ips, b->n_node_ips) ||
	    !ips_equal(a->external_ips, a->n_external_ips, b->external_ips, b->n_external_ips) ||
	    !ips_equal(a->lb_ips, a->n_lb_ips, b->lb_ips, b->n_lb_ips) ||
	    !cidrs_equal(a->lb_source_ranges, a->n_lb_source_ranges, b->lb_source_ranges,
			 b->n_lb_source_ranges) ||
	    a->affinity_client_ip != b->affinity_client_ip ||
	    a->affinity_timeout_s != b->affinity_timeout_s ||
	    a->internal_local != b->internal_local || a->external_local != b->external_local)
		what |= SVCMAP_SERVICE;
	if (a->has_any_endpoints != b->has_any_endpoints ||
	    !eps_equal(a->cluster_eps, a->n_cluster_eps, b->cluster_eps, b->n_cluster_eps) ||
	    !eps_equal(a->external_eps, a->n_external_eps, b->external_eps, b->n_external_eps))
		what |= SVCMAP_ENDPOINTS;
	return what;
}

static void push(struct svcmap_delta **out, size_t *n, size_t *cap, unsigned what,
		 const struct svcmap_port *old, const struct svcmap_port *new)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = xrealloc(*out, *cap * sizeof(**out));
	}
	(*out)[(*n)++] = (struct svcmap_delta){.what = what, .old = old, .new = new};
}

size_t svcmap_diff(const struct svcmap *old, const struct svcmap *new, struct svcmap_delta **out)
{
	size_t no = old ? old->n_ports : 0, nn = new ? new->n_ports : 0;
	size_t i = 0, j = 0, n = 0, cap = 0;
	*out = NULL;
	while (i < no || j < nn) {
		int c = i == no	  ? 1
			: j == nn ? -1
				  : svcmap_port_order(&old->ports[i], &new->ports[j]);
		if (c < 0) {
			push(out, &n, &cap, SVCMAP_REMOVED, &old->ports[i++], NULL);
		} else if (c > 0) {
			push(out, &n, &cap, SVCMAP_ADDED, NULL, &new->ports[j++]);
		} else {
			unsigned what = svcmap_port_compare(&old->ports[i], &new->ports[j]);
			if (what)
				push(out, &n, &cap, what, &old->ports[i], &new->ports[j]);
			i++;
			j++;
		}
	}
	return n;
}

bool svcmap_has_family(const struct svcmap *m, enum ip_family f)
{
	for (size_t i = 0; m && i < m->n_ports; i++)
		if (m->ports[i].family == f)
			return true;
	return false;
}
