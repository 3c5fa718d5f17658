/*
 * Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks
 * for, with the columns kube-apiserver prints for each kind.
 */
#ifndef SVCNET_API_TABLE_H
#define SVCNET_API_TABLE_H

#include "api/resource.h"

#include <jansson.h>

/*
 * Builds a Table of items (a JSON array of objects of r's kind, borrowed).
 * include_object is the includeObject query parameter ("None", "Metadata"
 * (the default), "Object"): what each row's "object" holds. list_meta (may
 * be NULL, borrowed) becomes the Table's metadata (resourceVersion,
 * continue). Returns a new reference.
 */
json_t *api_table(const struct api_resource *r, const json_t *items, const char *include_object,
		  const json_t *list_meta);

#endif
