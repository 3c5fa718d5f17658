/*
 * The Endpoints controller as a pure function, after kube's endpoints
 * controller: the legacy Endpoints object of a Service with a selector,
 * with subsets grouped by the set of ports each pod resolves, addresses and
 * notReadyAddresses sorted, at most 1000 addresses (then annotated
 * endpoints.kubernetes.io/over-capacity: truncated).
 */
#ifndef SVCNET_CONTROLLERS_ENDPOINTS_H
#define SVCNET_CONTROLLERS_ENDPOINTS_H

#include <jansson.h>
#include <stdbool.h>

#define ENDPOINTS_MAX_CAPACITY	1000
#define ENDPOINTS_OVER_CAPACITY "endpoints.kubernetes.io/over-capacity"
#define ENDPOINTS_TRIGGER_TIME	"endpoints.kubernetes.io/last-change-trigger-time"

/*
 * The subsets svc should have for pods (an array of the pods its selector
 * matches), repacked and sorted, truncated to max addresses in all
 * (*truncated says whether it was). Returns a new array.
 */
json_t *endpoints_subsets(const json_t *svc, const json_t *pods, int max, bool *truncated);

/*
 * The Endpoints object to write for svc, or NULL when existing (the current
 * object, or NULL when there is none) already says it all. The result is a
 * new object: a copy of existing (keeping its resourceVersion, for a
 * conditional update) with subsets, labels (the Service's, plus the
 * headless label) and the over-capacity annotation set; or a new object to
 * create.
 */
json_t *endpoints_reconcile(const json_t *svc, const json_t *pods, const json_t *existing);

#endif
