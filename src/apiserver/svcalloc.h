/*
 * Service address allocation in the API server: ClusterIPs from the service
 * CIDR(s) and NodePorts from the node port range, kept consistent with the
 * stored Services (rebuilt from them at start-up). Thread safe.
 */
#ifndef SVCNET_APISERVER_SVCALLOC_H
#define SVCNET_APISERVER_SVCALLOC_H

#include "api/errors.h"

#include <jansson.h>
#include <stdint.h>

struct svc_alloc;
struct store;

struct svc_alloc_config {
	const char *service_cidrs;   /* "10.96.0.0/12" or "10.96.0.0/12,fd00:10:96::/112" */
	const char *node_port_range; /* "30000-32767" */
};

/* Parses the configuration; on error returns -EINVAL and *err (caller frees). */
int svc_alloc_new(const struct svc_alloc_config *cfg, struct svc_alloc **out, char **err)
    __attribute__((warn_unused_result));
void svc_alloc_free(struct svc_alloc *a);

/*
 * Makes every allocation also a record in s (NULL: memory only), so that
 * API servers sharing a store never hand out one ClusterIP or NodePort
 * twice: each item is a key under /registry/ranges/ whose create is the
 * compare-and-swap that takes it. Call it right after opening the store,
 * before start-up repair (svc_alloc_mark); the records are merged with what
 * the Services hold at the first allocation. s is borrowed and must outlive
 * a, or be detached with NULL first. With a store, create and update may
 * also fail with a store errno (-EAGAIN, -ECONNREFUSED...; an FE_INTERNAL
 * error in errs says so), which the API server answers with 503.
 */
void svc_alloc_set_store(struct svc_alloc *a, struct store *s);

/*
 * Reseeds the random choice of free IPs and ports, so that tests see the
 * same sequence every run. Allocation never depends on it for correctness.
 */
void svc_alloc_seed(struct svc_alloc *a, uint64_t seed);

/*
 * Marks what a stored Service holds as used (start-up repair). Conflicts
 * (two Services with one IP) are logged, not fatal.
 */
void svc_alloc_mark(struct svc_alloc *a, const json_t *svc);

/*
 * On create, for a validated and defaulted Service: defaults ipFamilies and
 * ipFamilyPolicy for this cluster, allocates clusterIP/clusterIPs (a chosen
 * one kept when free and in range) unless headless or ExternalName, and
 * nodePorts (and healthCheckNodePort) for NodePort and LoadBalancer. Writes
 * them into svc. Returns 0, or -EINVAL with errors in errs (nothing kept);
 * -ENOSPC (an FE_INTERNAL error in errs) when a range is full, which
 * kube-apiserver answers with 500 InternalError.
 */
int svc_alloc_create(struct svc_alloc *a, json_t *svc, struct field_errs *errs)
    __attribute__((warn_unused_result));

/*
 * On update: allocates what new_svc needs that old_svc did not hold (a type
 * change to NodePort, a new port...), carrying over what it keeps. Returns 0
 * or -EINVAL with errs. After the store write, call svc_alloc_update_done.
 */
int svc_alloc_update(struct svc_alloc *a, const json_t *old_svc, json_t *new_svc,
		     struct field_errs *errs) __attribute__((warn_unused_result));

/*
 * The part of svc_alloc_update that touches no allocator, for callers that
 * validate the update first: fills in clusterIP(s), nodePorts (matched by
 * port name) and healthCheckNodePort that new_svc omits but old_svc holds
 * (kubectl apply does not send them), and clears what a type change makes
 * moot when the client sent it back unchanged (nodePorts on NodePort ->
 * ClusterIP, clusterIPs on -> ExternalName). Idempotent; svc_alloc_update
 * calls it too.
 */
void svc_alloc_prepare_update(const json_t *old_svc, json_t *new_svc);

/*
 * Finishes an update: when committed, releases what old_svc held and
 * new_svc does not; when not, releases what new_svc got and old_svc did not.
 */
void svc_alloc_update_done(struct svc_alloc *a, const json_t *old_svc, const json_t *new_svc,
			   int committed);

/* Releases everything svc holds (after a delete, or a failed create). */
void svc_alloc_release(struct svc_alloc *a, const json_t *svc);

/* Numbers for /metrics: used and total ClusterIPs (first family) and NodePorts. */
void svc_alloc_stats(struct svc_alloc *a, size_t *ips_used, size_t *ips_total, size_t *ports_used,
		     size_t *ports_total);

#endif
