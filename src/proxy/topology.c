/*
 * Which endpoints a Service port uses, as kube-proxy's CategorizeEndpoints:
 * ready ones; serving-and-terminating ones when none is ready; the endpoints
 * on this node for a Local traffic policy; topology hints when every ready
 * endpoint carries them and one of them names this node's zone.
 */
#include "proxy/servicemap-internal.h"

#include "base/strbuf.h"

#include <string.h>

static bool hints_have(const json_t *hints, const char *zone)
{
	size_t i;
	json_t *h;
	json_array_foreach(hints, i, h)
	{
		const char *name = json_string_value(json_object_get(h, "name"));
		if (name && !strcmp(name, zone))
			return true;
	}
	return false;
}

/* Whether topology-aware routing applies to these candidates on this node. */
static bool can_use_topology(const struct svcmap_cand *c, size_t n, const char *zone)
{
	bool for_zone = false;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].ep.ready)
			continue;
		if (!json_is_array(c[i].zone_hints) || !json_array_size(c[i].zone_hints))
			return false;
		if (!zone || !*zone)
			return false;
		if (hints_have(c[i].zone_hints, zone))
			for_zone = true;
	}
	return for_zone;
}

enum pick { PICK_READY, PICK_SERVING_TERMINATING };

static bool picked(const struct svcmap_cand *c, enum pick how)
{
	if (how == PICK_READY)
		return c->ep.ready;
	return c->ep.serving && c->ep.terminating;
}

/* Copies the candidates that pass into a new array; *n gets its length. */
static struct svcmap_endpoint *filter(const struct svcmap_cand *c, size_t n, enum pick how,
				      bool local_only, const char *topo_zone, size_t *out_n)
{
	struct svcmap_endpoint *out = xcalloc(n ? n : 1, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!picked(&c[i], how) || (local_only && !c[i].ep.local))
			continue;
		if (topo_zone && !hints_have(c[i].zone_hints, topo_zone))
			continue;
		out[k++] = c[i].ep;
	}
	*out_n = k;
	return out;
}

/* The endpoints of a Cluster policy: ready ones (by topology), else serving-terminating. */
static struct svcmap_endpoint *cluster_endpoints(const struct svcmap_cand *c, size_t n,
						 const char *zone, size_t *out_n)
{
	const char *topo = can_use_topology(c, n, zone) ? zone : NULL;
	struct svcmap_endpoint *eps = filter(c, n, PICK_READY, false, topo, out_n);
	if (*out_n)
		return eps;
	free(eps);
	return filter(c, n, PICK_SERVING_TERMINATING, false, NULL, out_n);
}

/* The endpoints of a Local policy: local ready ones, else local serving-terminating. */
static struct svcmap_endpoint *local_endpoints(const struct svcmap_cand *c, size_t n, size_t *out_n)
{
	struct svcmap_endpoint *eps = filter(c, n, PICK_READY, true, NULL, out_n);
	if (*out_n)
		return eps;
	free(eps);
	return filter(c, n, PICK_SERVING_TERMINATING, true, NULL, out_n);
}

static struct svcmap_endpoint *copy_eps(const struct svcmap_endpoint *e, size_t n)
{
	struct svcmap_endpoint *out = xcalloc(n ? n : 1, sizeof(*out));
	if (n)
		memcpy(out, e, n * sizeof(*out));
	return out;
}

void svcmap_choose_endpoints(struct svcmap_port *p, const struct svcmap_cand *c, size_t n,
			     const char *node_zone, bool externally_accessible)
{
	size_t n_cluster = 0, n_local = 0;
	struct svcmap_endpoint *cluster = cluster_endpoints(c, n, node_zone, &n_cluster);
	struct svcmap_endpoint *local = local_endpoints(c, n, &n_local);

	p->has_any_endpoints = false;
	for (size_t i = 0; i < n; i++)
		if (picked(&c[i], PICK_READY) || picked(&c[i], PICK_SERVING_TERMINATING))
			p->has_any_endpoints = true;

	if (p->internal_local) {
		p->cluster_eps = copy_eps(local, n_local);
		p->n_cluster_eps = n_local;
	} else {
		p->cluster_eps = copy_eps(cluster, n_cluster);
		p->n_cluster_eps = n_cluster;
	}
	if (!externally_accessible) {
		p->external_eps = NULL;
		p->n_external_eps = 0;
	} else if (p->external_local) {
		p->external_eps = copy_eps(local, n_local);
		p->n_external_eps = n_local;
	} else {
		p->external_eps = copy_eps(cluster, n_cluster);
		p->n_external_eps = n_cluster;
	}
	free(cluster);
	free(local);
}
