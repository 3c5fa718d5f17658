/*
 * What the endpoint controllers read from Pods and Services, with the
 * semantics of k8s.io/kubernetes/pkg/api/v1/pod and the endpointslice
 * utilities: readiness, pod IPs, named port lookup, hostnames. Pure
 * functions over borrowed JSON objects.
 */
#ifndef SVCNET_CONTROLLERS_PODUTIL_H
#define SVCNET_CONTROLLERS_PODUTIL_H

#include "base/ip.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The string at obj.key, or "" when absent or not a string. */
const char *podutil_str(const json_t *obj, const char *key);

/* Whether the pod's Ready condition is "True". */
bool podutil_pod_ready(const json_t *pod);

/*
 * ShouldPodBeInEndpoints: not terminal (phase Succeeded or Failed), has a
 * pod IP, and, unless include_terminating, no deletionTimestamp.
 */
bool podutil_in_endpoints(const json_t *pod, bool include_terminating);

/*
 * Whether an address may not be an endpoint (the API server refuses it):
 * loopback, link-local, unspecified or multicast.
 */
bool podutil_special_ip(const struct ip_addr *a);

/*
 * The pod's IPs of family fam (status.podIPs, else status.podIP), in
 * canonical form, into ips (at most max), leaving out special addresses
 * (podutil_special_ip). Returns how many were written.
 */
size_t podutil_pod_ips(const json_t *pod, enum ip_family fam, char ips[][IP_STRLEN], size_t max);

/*
 * FindPort: the container port a Service port targets on this pod. A
 * numeric targetPort (or none: the port itself) is returned as is; a named
 * one is looked up among the containers' (and sidecar init containers')
 * ports of the same protocol. Returns the port, or -ENOENT.
 */
int podutil_find_port(const json_t *pod, const json_t *svc_port);

/* ShouldSetHostname: pod has spec.hostname and its spec.subdomain is the Service's name. */
bool podutil_set_hostname(const json_t *pod, const json_t *svc);

/*
 * The Service's selector when it selects pods (spec.selector is a non-empty
 * object), else NULL. Borrowed.
 */
const json_t *podutil_svc_selector(const json_t *svc);

/* Whether spec.clusterIP is set and not "None" (isServiceIPSet). */
bool podutil_svc_ip_set(const json_t *svc);

/*
 * The Service's IP families as address types ("IPv4", "IPv6") into types
 * (room for 2, NULL-terminated at types[n]): spec.ipFamilies, else the
 * family of spec.clusterIP, else both for a headless Service. Returns n.
 */
size_t podutil_svc_address_types(const json_t *svc, const char *types[3]);

/* The family an address type names (IP_V6 for "IPv6", else IP_V4). */
enum ip_family podutil_family_of_type(const char *type);

#endif
