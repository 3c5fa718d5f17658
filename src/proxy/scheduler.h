/*
 * Schedulers: which backend a new connection goes to, with the semantics of
 * the Linux IPVS schedulers of the same names (net/netfilter/ipvs/ip_vs_*.c),
 * so that userspace mode and IPVS mode balance alike:
 *   rr      round robin over available destinations, after the last pick
 *   lc      fewest connections: min (active << 8) + inactive, first on ties
 *   dh      256-bucket table filled round robin, indexed by a hash of the
 *           destination (virtual) address
 *   sh      256-bucket table, each destination taking `weight` consecutive
 *           buckets, indexed by a hash of the source (client) address
 *   sed     shortest expected delay: min (active + 1) / weight
 *   nq      never queue: the first idle destination, else as sed
 *   random  uniform over available destinations, by weight (iptables mode's
 *           choice)
 * A destination with weight 0 or the overloaded flag (or marked in a pick's
 * skip array) takes no new connection. One scheduler per Service port; not
 * thread safe.
 */
#ifndef SVCNET_PROXY_SCHEDULER_H
#define SVCNET_PROXY_SCHEDULER_H

#include "base/ip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sched_algo {
	SCHED_ALG_RR,
	SCHED_ALG_LC,
	SCHED_ALG_DH,
	SCHED_ALG_SH,
	SCHED_ALG_SED,
	SCHED_ALG_NQ,
	SCHED_ALG_RANDOM,
};

#define SCHED_TABLE_SIZE 256

/* One backend. The caller keeps active/inactive current (sched_count_conn). */
struct sched_dest {
	struct ip_addr addr;
	uint16_t port;
	int weight;	   /* 0: takes no new connections */
	unsigned active;   /* connections being set up or relaying both ways */
	unsigned inactive; /* half-closed connections and UDP flows, as IPVS counts them */
	bool overloaded;   /* IPVS's OVERLOAD flag */
};

struct scheduler;

/* Parses "rr", "lc", "dh", "sh", "sed", "nq", "random"; 0 or -EINVAL. */
int sched_algo_parse(const char *name, enum sched_algo *out) __attribute__((warn_unused_result));
const char *sched_algo_name(enum sched_algo algo);

/*
 * A scheduler with no destinations. seed drives `random` (any value; tests
 * pass a fixed one). Caller frees with sched_free.
 */
struct scheduler *sched_new(enum sched_algo algo, uint64_t seed);
void sched_free(struct scheduler *s);
enum sched_algo sched_get_algo(const struct scheduler *s);

/*
 * Replaces the destinations with in[0..n) (addr, port, weight, overloaded are
 * read; the order is kept and should be sorted by address then port, as the
 * service map's is). Connection counts of destinations that stay carry over;
 * the hash tables of dh and sh are rebuilt; rr goes on after its last pick,
 * or after where that destination stood when it is gone.
 */
void sched_set_dests(struct scheduler *s, const struct sched_dest *in, size_t n);

size_t sched_count(const struct scheduler *s);
/* The i-th destination (owned by s, valid until the next sched_set_dests). */
struct sched_dest *sched_dest_at(struct scheduler *s, size_t i);
/* The index of addr:port, or -1. */
int sched_find(const struct scheduler *s, const struct ip_addr *addr, uint16_t port);

/*
 * Chooses a destination for a new connection from src (the client) to dst
 * (the address it asked for). skip, when not NULL, has sched_count() flags:
 * a set one is passed over as if overloaded (the retry path marks the
 * backends it tried). fallback: when the bucket of dh or sh is unavailable,
 * walk the table as IPVS's sh-fallback does instead of failing. Returns the
 * index, or -1 when no destination is available.
 */
int sched_pick(struct scheduler *s, const struct ip_addr *src, const struct ip_addr *dst,
	       const bool *skip, bool fallback);

/*
 * Adds d_active and d_inactive (either may be negative; counts stop at 0)
 * to the counts of addr:port, if it is still a destination.
 */
void sched_count_conn(struct scheduler *s, const struct ip_addr *addr, uint16_t port, int d_active,
		      int d_inactive);

#endif
