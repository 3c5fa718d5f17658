/*
 * The LoadBalancer address pool (--lb-pool), the role MetalLB plays on bare
 * metal: every LoadBalancer Service (by "namespace/name" key) holds at most
 * one address per IP family; a requested address (spec.loadBalancerIP) is
 * honoured when it is in the pool and free; otherwise the lowest free
 * address is given. Not thread safe: the caller serializes.
 */
#ifndef SVCNET_CONTROLLERS_LBPOOL_H
#define SVCNET_CONTROLLERS_LBPOOL_H

#include "base/ip.h"

#include <stddef.h>

struct lbpool;

/*
 * Parses "CIDR" or "CIDR,CIDR" (at most one per family). IPv4 pools of /30
 * and wider leave out their network and broadcast addresses; IPv6 pools use
 * their first 65536 addresses. Returns 0, or -EINVAL with a sentence in
 * *err (caller frees). *out is owned by the caller (lbpool_free).
 */
int lbpool_new(const char *cidrs, struct lbpool **out, char **err)
    __attribute__((warn_unused_result));
void lbpool_free(struct lbpool *p);

/*
 * Records that key holds ip (rebuilding from Service statuses at start).
 * Returns 0 (also when key already holds it), -ERANGE when ip is not in the
 * pool, -EEXIST when another key holds it, -EINVAL when ip is malformed or
 * key already holds another address of that family.
 */
int lbpool_mark(struct lbpool *p, const char *key, const char *ip);

/*
 * Gives key an address of family fam into out: the one it holds (when it
 * is requested, or nothing is), else the requested one, else the lowest
 * free one. A key that held another address of fam releases it. Returns 0,
 * -EAFNOSUPPORT when the pool has no range of fam, -ERANGE when requested
 * is outside the pool, -EADDRINUSE when another key holds requested,
 * -EINVAL when requested is malformed, -ENOSPC when the pool is exhausted.
 */
int lbpool_alloc(struct lbpool *p, const char *key, enum ip_family fam, const char *requested,
		 char out[IP_STRLEN]) __attribute__((warn_unused_result));

/* The address key holds in family fam into out; returns 0 or -ENOENT. */
int lbpool_lookup(struct lbpool *p, const char *key, enum ip_family fam, char out[IP_STRLEN]);

/* Releases everything key holds. */
void lbpool_release(struct lbpool *p, const char *key);

/* Whether the pool has a range of family fam. */
int lbpool_has_family(const struct lbpool *p, enum ip_family fam);

/* Addresses in use and in all, over every family. */
void lbpool_stats(const struct lbpool *p, size_t *used, size_t *total);

#endif
