/*
 * Service environment variables, as the kubelet gives them to every
 * container: {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT, {SVC}_SERVICE_PORT_{NAME}
 * and the Docker-links variables {SVC}_PORT, {SVC}_PORT_{P}_{PROTO}[_PROTO,
 * _PORT, _ADDR]. Used by `svcnet env` and for local pods.
 */
#ifndef SVCNET_DNS_ENVVARS_H
#define SVCNET_DNS_ENVVARS_H

#include "base/strbuf.h"

#include <jansson.h>

/*
 * Appends "NAME=value\n" lines for every Service of the array services that
 * has a ClusterIP (not headless, not ExternalName, not without ports), the
 * Services sorted by name, each one's variables in the kubelet's order.
 * Returns the number of lines appended.
 */
size_t dns_env_vars(const json_t *services, struct strbuf *out);

#endif
