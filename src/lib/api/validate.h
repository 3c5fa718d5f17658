/*
 * Defaulting and validation of API objects, as kube-apiserver does them,
 * with the same field paths and messages.
 */
#ifndef SVCNET_API_VALIDATE_H
#define SVCNET_API_VALIDATE_H

#include "api/errors.h"
#include "api/resource.h"

#include <jansson.h>

/*
 * Sets the defaults the API server applies to an object of r's kind on
 * create and update (Service: type ClusterIP, sessionAffinity None, port
 * protocol TCP, targetPort = port, internalTrafficPolicy Cluster, ClientIP
 * timeout 10800, ...). Allocation of addresses is not done here.
 */
void api_default(const struct api_resource *r, json_t *obj);

/*
 * Validates obj (already defaulted). old is the stored object on update and
 * NULL on create; immutable fields are checked against it. Appends one
 * error per problem to errs, with kube-apiserver's field path and message.
 * Covers metadata (name format for the kind, labels, annotations,
 * generateName) and the spec/status rules of the kind.
 */
void api_validate(const struct api_resource *r, const json_t *obj, const json_t *old,
		  struct field_errs *errs);

/* Validates a write to the /status subresource (old is the stored object). */
void api_validate_status(const struct api_resource *r, const json_t *obj, const json_t *old,
			 struct field_errs *errs);

/*
 * The preparation kube-apiserver's strategies and registry do before
 * validation, for obj (modified in place) on create (old NULL) and on update
 * (old is the stored object, not modified). Every kind on update: uid (when
 * missing), creationTimestamp, deletionTimestamp and status are kept from old.
 * Service: status dropped on create; on update, values allocated before are
 * carried over when missing (clusterIP(s), nodePorts, healthCheckNodePort),
 * clusterIP and clusterIPs are kept in step, and fields the new type does not
 * use are dropped when unchanged (e.g. clusterIPs when changing to
 * ExternalName, nodePorts when changing to ClusterIP). Pod: status.phase
 * Pending on create. Namespace: status.phase Active on create, spec.finalizers
 * kept on update. Call after api_default and before api_validate.
 */
void api_prepare(const struct api_resource *r, json_t *obj, const json_t *old);

/*
 * For a write to the /status subresource: a status write may not change the
 * spec, so obj's spec is replaced by old's. Call before api_validate_status.
 */
void api_prepare_status(const struct api_resource *r, json_t *obj, const json_t *old);

#endif
