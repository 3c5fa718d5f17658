/* The table of API resources svcnet serves: names, kinds, groups, scope. */
#ifndef SVCNET_API_RESOURCE_H
#define SVCNET_API_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct api_resource {
	const char *plural;	 /* "services": the path segment and store prefix */
	const char *singular;	 /* "service" */
	const char *kind;	 /* "Service" */
	const char *group;	 /* "" for the core group */
	const char *version;	 /* "v1" */
	const char *api_version; /* "v1", "discovery.k8s.io/v1" */
	bool namespaced;
	bool has_status; /* serves the /status subresource */
	const char *const *short_names;
	/* Field selector labels besides metadata.name and metadata.namespace. */
	const char *const *field_labels;
	const char *const *categories;
};

extern const struct api_resource api_resources[];
extern const size_t api_resource_count;

/* Looks a resource up by group ("" = core), version and plural; NULL if not served. */
const struct api_resource *api_resource_find(const char *group, const char *version,
					     const char *plural);
/* Looks a resource up by kind ("Service"); NULL if not served. */
const struct api_resource *api_resource_by_kind(const char *kind);

#endif
