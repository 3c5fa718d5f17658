/*
 * Session affinity "ClientIP": a client address stays with the backend it
 * was given until it has been idle for timeoutSeconds, then is chosen
 * afresh (kube-proxy's userspace proxier; IPVS persistence alike). An entry
 * whose backend leaves the Service is dropped. One table per Service port;
 * times are caller-supplied milliseconds (a monotonic clock) so that tests
 * drive them. Not thread safe.
 */
#ifndef SVCNET_PROXY_AFFINITY_H
#define SVCNET_PROXY_AFFINITY_H

#include "base/ip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct affinity;

/* An empty table with the given timeout (seconds, > 0). Caller frees with affinity_free. */
struct affinity *affinity_new(unsigned timeout_s);
void affinity_free(struct affinity *a);
/* Changes the timeout; entries keep their last-used times. */
void affinity_set_timeout(struct affinity *a, unsigned timeout_s);

/*
 * The backend of client, if client used it less than the timeout ago: then
 * returns true, fills backend/port and makes now its last use. A stale entry
 * is dropped and false returned.
 */
bool affinity_lookup(struct affinity *a, const struct ip_addr *client, uint64_t now_ms,
		     struct ip_addr *backend, uint16_t *port);

/* Records (or replaces) client's backend, used now. */
void affinity_record(struct affinity *a, const struct ip_addr *client,
		     const struct ip_addr *backend, uint16_t port, uint64_t now_ms);

/* Drops the entries whose backend keep() rejects (a backend that left the Service). */
void affinity_retain(struct affinity *a,
		     bool (*keep)(const struct ip_addr *backend, uint16_t port, void *arg),
		     void *arg);

/* Drops the entries idle for the timeout or longer; returns how many went. */
size_t affinity_expire(struct affinity *a, uint64_t now_ms);

size_t affinity_count(const struct affinity *a);

#endif
