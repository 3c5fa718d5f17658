/*
 * Decoder of Kubernetes protobuf request bodies
 * (Content-Type: application/vnd.kubernetes.protobuf), as typed clients such
 * as `kubectl create namespace` and `kubectl create service` send them.
 */
#ifndef SVCNET_API_PROTOBUF_H
#define SVCNET_API_PROTOBUF_H

#include <jansson.h>
#include <stddef.h>

/*
 * Decodes body (len bytes: the magic "k8s\0" and a runtime.Unknown envelope
 * whose raw bytes are the object) into the JSON object kube-apiserver would
 * have seen: "apiVersion" and "kind" from the envelope, camelCase field
 * names, empty optional fields left out. Supports the kinds Namespace,
 * Service, Pod, Endpoints, Node, Event (v1) and EndpointSlice
 * (discovery.k8s.io/v1); unknown field numbers are skipped.
 *
 * Returns a new object (caller owns it), or NULL with *err set to a
 * sentence (caller frees) for a malformed body or an unsupported kind.
 * Never reads outside body.
 */
json_t *api_protobuf_decode(const void *body, size_t len, char **err)
    __attribute__((warn_unused_result));

#endif
