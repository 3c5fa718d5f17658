/* Private to the service map: the parts svcmap_build shares between its files. */
#ifndef SVCNET_PROXY_SERVICEMAP_INTERNAL_H
#define SVCNET_PROXY_SERVICEMAP_INTERNAL_H

#include "proxy/servicemap.h"

/* An endpoint found in an EndpointSlice, before kube-proxy's choice. */
struct svcmap_cand {
	struct svcmap_endpoint ep;
	const json_t *zone_hints; /* hints.forZones (borrowed) or NULL */
};

/*
 * Fills p->cluster_eps, p->external_eps and p->has_any_endpoints from the
 * n candidates (deduplicated, sorted by address and port) as kube-proxy's
 * CategorizeEndpoints does. p's policies must be set; node_zone is this
 * node's topology.kubernetes.io/zone label or NULL. externally_accessible:
 * the port has a nodePort, an externalIP or a LoadBalancer IP.
 */
void svcmap_choose_endpoints(struct svcmap_port *p, const struct svcmap_cand *c, size_t n,
			     const char *node_zone, bool externally_accessible);

/* Frees what p owns, not p itself. */
void svcmap_port_release(struct svcmap_port *p);

/* Orders entries by key, then family. */
int svcmap_port_order(const void *a, const void *b);

/* Orders endpoints by address, then port. */
int svcmap_endpoint_order(const void *a, const void *b);

#endif
