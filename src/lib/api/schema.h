/*
 * The schema of every kind svcnet serves, defined once in C (schema.c) and
 * used for three things: pruning unknown fields and rejecting wrong types on
 * decode (fieldValidation Strict|Warn|Ignore), and the OpenAPI v2/v3
 * documents that kubectl downloads.
 */
#ifndef SVCNET_API_SCHEMA_H
#define SVCNET_API_SCHEMA_H

#include "api/resource.h"

#include <jansson.h>

/*
 * Walks obj against the schema of r's kind. Removes fields the schema does
 * not know (kube-apiserver's decoder drops them too) and appends each one's
 * path, as kube-apiserver prints it ("spec.foo", "spec.ports[0].bar"), to
 * unknown (a JSON array, may be NULL). Returns 0, or -EINVAL with *err (caller
 * frees) for a value of the wrong type, worded as kube-apiserver's 400 for it.
 */
int api_schema_prune(const struct api_resource *r, json_t *obj, json_t *unknown, char **err)
    __attribute__((warn_unused_result));

/*
 * OpenAPI v3: the root document ({"paths": {"api/v1": {"serverRelativeURL":
 * ...}}}) and one group-version document ("api/v1",
 * "apis/discovery.k8s.io/v1"; NULL if not served). Caller owns the result.
 */
json_t *api_openapi_v3_root(void);
json_t *api_openapi_v3_group(const char *gv_path);

/* OpenAPI v2 (swagger 2.0) document of all served kinds (JSON). Caller owns. */
json_t *api_openapi_v2(void);

#endif
