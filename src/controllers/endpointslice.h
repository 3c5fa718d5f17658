/*
 * EndpointSlice reconciliation as pure functions, after kube's
 * endpointslice and endpointslicemirroring reconcilers: the desired
 * endpoints of an owner (a Service with a selector, or a user's Endpoints)
 * are grouped by address type and port list, and compared with the slices
 * that exist, giving the slices to create, update and delete with minimal
 * churn: unchanged slices are kept, slices being updated are filled before
 * new ones are made, and nothing is written when nothing changed.
 */
#ifndef SVCNET_CONTROLLERS_ENDPOINTSLICE_H
#define SVCNET_CONTROLLERS_ENDPOINTSLICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define EPS_LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define EPS_LABEL_MANAGED_BY   "endpointslice.kubernetes.io/managed-by"
#define EPS_LABEL_SKIP_MIRROR  "endpointslice.kubernetes.io/skip-mirror"
#define EPS_LABEL_HEADLESS     "service.kubernetes.io/headless"
#define EPS_CONTROLLER_NAME    "endpointslice-controller.k8s.io"
#define EPS_MIRROR_NAME	       "endpointslicemirroring-controller.k8s.io"
#define EPS_DEFAULT_MAX	       100
#define EPS_MIRROR_MAX	       1000

/* Who the slices belong to, and what every slice of it must carry. */
struct eps_owner {
	char *ns;
	char *name; /* the Service's name: label kubernetes.io/service-name, name prefix */
	char *uid;
	const char *kind;	/* "Service" or "Endpoints": the ownerReference */
	const char *managed_by; /* EPS_CONTROLLER_NAME or EPS_MIRROR_NAME */
	json_t *labels;		/* every label of a slice, exactly */
	json_t *annotations;	/* every annotation of a slice, or NULL: not managed */
	int max_endpoints;	/* per slice */
};

/* Frees what the owner holds (not the struct). */
void eps_owner_clear(struct eps_owner *o);

/* The endpoints wanted for one address type and port list. */
struct eps_group {
	char *key; /* address type and canonical ports */
	char *address_type;
	json_t *ports;	   /* the slice's ports, in order */
	json_t *endpoints; /* array of Endpoint objects */
};

struct eps_desired {
	struct eps_group *v;
	size_t n, cap;
};

void eps_desired_free(struct eps_desired *d);

/*
 * Adds ep (takes ownership) to the group of (address_type, ports), made on
 * first use (ports copied).
 */
void eps_desired_add(struct eps_desired *d, const char *address_type, const json_t *ports,
		     json_t *ep);

/* What to write. Every array holds new references; free with eps_plan_free. */
struct eps_plan {
	json_t *create; /* new slices (metadata.generateName set) */
	json_t *update; /* whole slices with metadata.name and resourceVersion */
	json_t *remove; /* existing slices to delete */
	json_t *keep;	/* existing slices left as they are */
};

void eps_plan_free(struct eps_plan *p);
/* Whether the plan writes nothing. */
bool eps_plan_empty(const struct eps_plan *p);

/*
 * Compares the desired endpoints with existing (an array of the slices with
 * the owner's managed-by and service-name labels; borrowed) and fills plan
 * (initialized here). placeholder_types (NULL-terminated, or NULL) lists the
 * address types that keep one empty slice when they have no endpoints, as
 * kube's EndpointSlice controller does.
 */
void eps_reconcile(const struct eps_owner *o, const struct eps_desired *d, const json_t *existing,
		   const char *const *placeholder_types, struct eps_plan *plan);

/*
 * The key an existing slice is grouped by (address type and canonical
 * ports), as eps_group.key. Caller frees.
 */
char *eps_slice_key(const json_t *slice);

/* ---- The EndpointSlice controller: Service + Pods ---- */

/* Zone of a node name, or NULL (no Node, or no topology.kubernetes.io/zone label). */
typedef const char *(*eps_zone_fn)(const char *node, void *arg);

/*
 * Fills o for a Service (labels: the Service's, minus the reserved ones,
 * plus service-name, managed-by and the headless label).
 */
void eps_service_owner(const json_t *svc, int max_endpoints, struct eps_owner *o);

/*
 * Adds to d one endpoint per address type of svc for every pod of pods
 * (an array, all already selected by the Service) that belongs in
 * endpoints, grouped by the ports the pod resolves.
 */
void eps_service_desired(const json_t *svc, const json_t *pods, eps_zone_fn zone_of, void *arg,
			 struct eps_desired *d);

/* ---- The mirroring controller: a selector-less Service's Endpoints ---- */

/* Whether Endpoints ep should be mirrored for Service svc (NULL when absent). */
bool eps_mirror_wanted(const json_t *svc, const json_t *ep);

/* Fills o for Endpoints ep (labels and annotations cloned as kube does). */
void eps_mirror_owner(const json_t *ep, struct eps_owner *o);

/*
 * Adds the addresses of ep to d, at most max per subset. Returns the number
 * of addresses skipped (invalid IPs or over max).
 */
size_t eps_mirror_desired(const json_t *ep, size_t max, struct eps_desired *d);

#endif
