/*
 * Private to the ipvs mode (mode_ipvs.c, ipvs_plan.c, ipvs_nl.c). What the
 * mode programs is computed by pure functions from service maps (the plan:
 * virtual servers with their real servers, the addresses bound on the dummy
 * interface, the masquerade rules), so that unit tests check it without a
 * kernel that has IPVS; ipvs_nl.c turns plan changes into generic-netlink
 * messages.
 */
#ifndef SVCNET_PROXY_IPVS_INTERNAL_H
#define SVCNET_PROXY_IPVS_INTERNAL_H

#include "base/ip.h"
#include "proxy/scheduler.h"
#include "proxy/servicemap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The dummy interface holding every clusterIP, externalIP and LB IP. */
#define IPVS_DUMMY_IF "svcnet-ipvs0"

/* One real server. Weight 0: draining (gone from the map, connections left). */
struct ipvs_dest {
	struct ip_addr addr;
	uint16_t port;
	uint32_t weight;
};

/* One virtual server: address, protocol, port, with its real servers. */
struct ipvs_vs {
	struct ip_addr addr;
	uint16_t port;
	uint8_t protocol;	 /* IPPROTO_TCP, _UDP or _SCTP */
	char sched[8];		 /* "rr", "lc", "dh", "sh", "sed", "nq" */
	uint32_t persistence;	 /* ClientIP affinity timeout in seconds, 0: none */
	bool bound;		 /* its address is on IPVS_DUMMY_IF (not a nodePort) */
	bool masq_all;		 /* masquerade every client (nodePort, external, LB) */
	struct ipvs_dest *dests; /* sorted by address, then port */
	size_t n_dests;
};

/* Every virtual server of a map, sorted by (address, protocol, port). */
struct ipvs_plan {
	struct ipvs_vs *vs;
	size_t n;
};

/*
 * The plan for m: for each entry its clusterIP:port (cluster endpoints),
 * and its externalIPs, LB IPs and nodePort on every node address (external
 * endpoints); weight 1 for each endpoint. sched is the scheduler of every
 * virtual server (random, which IPVS lacks, is rr). Entries of other
 * families than IPv4 and IPv6 are skipped.
 */
void ipvs_plan_build(const struct svcmap *m, enum sched_algo sched, struct ipvs_plan *out);
void ipvs_plan_free(struct ipvs_plan *p);

/* The virtual server of p at (addr, protocol, port), or NULL. */
const struct ipvs_vs *ipvs_plan_find(const struct ipvs_plan *p, const struct ip_addr *addr,
				     uint8_t protocol, uint16_t port);

enum ipvs_op_kind {
	IPVS_OP_ADD_VS,
	IPVS_OP_EDIT_VS, /* scheduler or persistence changed */
	IPVS_OP_DEL_VS,
	IPVS_OP_ADD_DEST,
	IPVS_OP_EDIT_DEST, /* weight changed (0: draining) */
	IPVS_OP_DEL_DEST,
};

/* One change; vs points into the plan it came from (new, or old for deletes). */
struct ipvs_op {
	enum ipvs_op_kind kind;
	const struct ipvs_vs *vs;
	struct ipvs_dest dest; /* for the _DEST kinds */
};

/*
 * Connections a real server still has (active + inactive), as the kernel
 * counts them; decides whether a removed real server is drained (weight 0)
 * or deleted.
 */
typedef unsigned (*ipvs_conns_fn)(void *ctx, const struct ipvs_vs *vs,
				  const struct ipvs_dest *dest);

/*
 * The changes from installed to want, in the order they must be applied:
 * new and changed virtual servers, then their real servers, then deletions.
 * A real server that is in installed but not in want is set to weight 0
 * while conns reports connections on it, deleted when it reports none.
 * *next (caller frees with ipvs_plan_free) is what is installed after the
 * changes: want plus the draining real servers. Returns the number of
 * operations in *ops (caller frees; they point into want and installed).
 */
size_t ipvs_plan_diff(const struct ipvs_plan *installed, const struct ipvs_plan *want,
		      ipvs_conns_fn conns, void *ctx, struct ipvs_op **ops, struct ipvs_plan *next);

/*
 * The addresses of the bound virtual servers of p in family f, sorted and
 * unique, into *out (caller frees). Returns their number.
 */
size_t ipvs_plan_bound_addrs(const struct ipvs_plan *p, enum ip_family f, struct ip_addr **out);

/*
 * The iptables-restore input (nat table, family f) of the masquerade IPVS
 * needs: clients of a clusterIP from outside cidr (or, without one, from
 * this node), and every client of a nodePort, externalIP or LB IP, marked
 * and masqueraded after the IPVS translation. Caller frees.
 */
char *ipvs_masq_rules(const struct ipvs_plan *p, enum ip_family f, const struct ip_cidr *cidr);

/* The generic-netlink side (ipvs_nl.c). */
struct nl_msg;
struct ipvs_nl;

/*
 * The message that carries op for the IPVS family family_id (NAT
 * forwarding; persistence as IP_VS_SVC_F_PERSISTENT with its timeout).
 * Pure: unit tests read it back. Caller frees with nlmsg_free.
 */
struct nl_msg *ipvs_nl_msg(int family_id, const struct ipvs_op *op);

/* Opens a generic-netlink socket to the IPVS family; 0 or -errno with *err. */
int ipvs_nl_open(struct ipvs_nl **out, char **err) __attribute__((warn_unused_result));
void ipvs_nl_close(struct ipvs_nl *nl);

/*
 * Sends ops in order. An add that finds its object present sets it
 * instead, a delete that finds nothing is done (so a restart or a full
 * sync converges). Returns 0 or -EIO with *err naming the first failure.
 */
int ipvs_nl_apply(struct ipvs_nl *nl, const struct ipvs_op *ops, size_t n, char **err);

/* An ipvs_conns_fn: ctx is the struct ipvs_nl; asks the kernel. */
unsigned ipvs_nl_conns(void *ctx, const struct ipvs_vs *vs, const struct ipvs_dest *dest);

/*
 * Deletes every virtual server on an address of IPVS_DUMMY_IF, and every
 * one on another address of this node with a port in 30000-32767 (the
 * default NodePort range). Returns the number deleted, or -errno.
 */
int ipvs_nl_delete_owned(struct ipvs_nl *nl, const struct ip_addr *bound, size_t n_bound,
			 const struct ip_addr *local, size_t n_local);

#endif
