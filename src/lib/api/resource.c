#include "api/resource.h"

#include <string.h>

static const char *const svc_short[] = {"svc", NULL};
static const char *const ep_short[] = {"ep", NULL};
static const char *const pod_short[] = {"po", NULL};
static const char *const node_short[] = {"no", NULL};
static const char *const ns_short[] = {"ns", NULL};
static const char *const ev_short[] = {"ev", NULL};
static const char *const all_cat[] = {"all", NULL};
static const char *const pod_fields[] = {"spec.nodeName",
					 "spec.restartPolicy",
					 "spec.schedulerName",
					 "spec.serviceAccountName",
					 "spec.hostNetwork",
					 "status.phase",
					 "status.podIP",
					 "status.nominatedNodeName",
					 NULL};
static const char *const event_fields[] = {"involvedObject.kind",
					   "involvedObject.namespace",
					   "involvedObject.name",
					   "involvedObject.uid",
					   "involvedObject.apiVersion",
					   "involvedObject.resourceVersion",
					   "involvedObject.fieldPath",
					   "reason",
					   "reportingComponent",
					   "source",
					   "type",
					   NULL};
static const char *const ns_fields[] = {"status.phase", NULL};
static const char *const node_fields[] = {"spec.unschedulable", NULL};
static const char *const svc_fields[] = {"spec.clusterIP", "spec.type", NULL};
static const char *const no_fields[] = {NULL};

const struct api_resource api_resources[] = {
    {"namespaces", "namespace", "Namespace", "", "v1", "v1", false, true, ns_short, ns_fields,
     NULL},
    {"services", "service", "Service", "", "v1", "v1", true, true, svc_short, svc_fields, all_cat},
    {"endpoints", "endpoints", "Endpoints", "", "v1", "v1", true, false, ep_short, no_fields, NULL},
    {"pods", "pod", "Pod", "", "v1", "v1", true, true, pod_short, pod_fields, all_cat},
    {"nodes", "node", "Node", "", "v1", "v1", false, true, node_short, node_fields, NULL},
    {"events", "event", "Event", "", "v1", "v1", true, false, ev_short, event_fields, NULL},
    {"endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1",
     "discovery.k8s.io/v1", true, false, NULL, no_fields, NULL},
    {"leases", "lease", "Lease", "coordination.k8s.io", "v1", "coordination.k8s.io/v1", true, false,
     NULL, no_fields, NULL},
};

const size_t api_resource_count = sizeof(api_resources) / sizeof(api_resources[0]);

const struct api_resource *api_resource_find(const char *group, const char *version,
					     const char *plural)
{
	for (size_t i = 0; i < api_resource_count; i++) {
		const struct api_resource *r = &api_resources[i];
		if (!strcmp(r->group, group) && !strcmp(r->version, version) &&
		    !strcmp(r->plural, plural))
			return r;
	}
	return NULL;
}

const struct api_resource *api_resource_by_kind(const char *kind)
{
	for (size_t i = 0; i < api_resource_count; i++)
		if (!strcmp(api_resources[i].kind, kind))
			return &api_resources[i];
	return NULL;
}
