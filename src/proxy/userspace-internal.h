/*
 * Private to userspace mode: frontends (one proxy socket per Service port,
 * IP family and kind of traffic), TCP relaying, UDP flows and the iptables
 * capture rules. Everything here runs on the mode's event loop thread,
 * except capture, which runs on the sync thread.
 */
#ifndef SVCNET_PROXY_USERSPACE_INTERNAL_H
#define SVCNET_PROXY_USERSPACE_INTERNAL_H

#include "base/eventloop.h"
#include "proxy/affinity.h"
#include "proxy/mode.h"
#include "proxy/scheduler.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

/* Connect time-outs of successive attempts, as kube-proxy's userspace proxier. */
#define US_MAX_ATTEMPTS 4

/* Counters read by the metrics thread (relaxed atomics). */
struct us_stats {
	unsigned long tcp_accepted;
	unsigned long tcp_active;
	unsigned long tcp_refused; /* no endpoint reachable: the client was reset */
	unsigned long connect_retries;
	unsigned long udp_flows_total;
	unsigned long udp_flows_active;
	unsigned long bytes; /* relayed, both directions */
};

#define STAT_ADD(field, n) __atomic_add_fetch(&(field), (n), __ATOMIC_RELAXED)
#define STAT_SUB(field, n) __atomic_sub_fetch(&(field), (n), __ATOMIC_RELAXED)
#define STAT_GET(field)	   __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct us_flow;
struct us_conn;

/* One proxy socket: where the capture rules of one Service port send traffic. */
struct us_fe {
	int refs; /* the table's, plus one per connection or flow */
	struct us_mode *mode;
	char *id;   /* "ns/name:port|4|c": key, family, cluster or external */
	char *name; /* "ns/name:port" for logs */
	int protocol;
	enum ip_family family;
	bool external;	   /* serves nodePorts, externalIPs, LB IPs */
	bool closed;	   /* gone from the map: no new connections */
	bool seen;	   /* in the map being applied (full syncs) */
	uint64_t eps_hash; /* of the endpoints last set, to log changes once */
	int lfd;
	struct ev_io lio;
	struct ev_timer accept_resume; /* out of descriptors: accepts paused until it fires */
	uint16_t proxy_port;
	struct ip_addr vip; /* the clusterIP (dh hashes it) */
	struct scheduler *sched;
	struct affinity *aff; /* NULL without ClientIP affinity */
	/* UDP: flows by client address. */
	struct us_flow **flows;
	size_t n_flow_buckets, n_flows;
	/* Capture: what the rules match (copied from the map entry). */
	uint16_t port;
	uint16_t node_port;
	struct ip_addr *vips; /* the clusterIP, or externalIPs + LB IPs */
	size_t n_vips;
};

/* What the capture rules of one open frontend match, for the sync thread. */
struct us_rule {
	char comment[128]; /* "ns/name:port" */
	enum ip_family family;
	int protocol;
	struct ip_addr *vips; /* owned by the rule */
	size_t n_vips;
	uint16_t port;	    /* matched on the vips */
	uint16_t node_port; /* matched on local addresses; 0: none */
	uint16_t proxy_port;
	bool reject; /* no endpoints: refuse (filter table) instead of redirecting */
};

/* The mode's state. */
struct us_mode {
	struct proxy_mode_config cfg;
	struct evloop *loop;
	pthread_t thread;
	bool thread_started;
	struct us_fe **fes; /* sorted by id */
	size_t n_fes, cap_fes;
	struct ev_timer gc; /* affinity expiry */
	struct us_stats stats;
	bool capture;	       /* iptables works here */
	struct us_rule *rules; /* installed by the last sync (sync thread only) */
	size_t n_rules;
	int pipe_pool[64][2];
	size_t n_pipes;
	struct us_conn *conns; /* open TCP connections (a list, for stop) */
};

/*
 * Frontends (userspace_fe.c). us_fe_id: the table key of p's frontend
 * (caller frees). us_fe_open: a new frontend with its proxy socket bound
 * and watched, no endpoints yet; NULL with *err. us_fe_update: takes p's
 * endpoints, affinity and addresses. us_fe_close: closes the socket (and
 * UDP flows) and drops the table's reference; TCP connections finish.
 */
char *us_fe_id(const struct svcmap_port *p, bool external);
struct us_fe *us_fe_open(struct us_mode *m, const struct svcmap_port *p, bool external, char **err);
void us_fe_update(struct us_fe *fe, const struct svcmap_port *p);
void us_fe_close(struct us_fe *fe);

/* Drops a reference; frees fe on the last one. */
void us_fe_unref(struct us_fe *fe);

/*
 * The backend for a new connection or flow from client: the affinity
 * entry when fresh (and not skipped), else the scheduler's choice (recorded
 * for affinity). skip: NULL or sched_count() flags. Returns the scheduler
 * index with *addr and *port set, or -1.
 */
int us_pick(struct us_fe *fe, const struct ip_addr *client, const bool *skip, bool reset,
	    struct ip_addr *addr, uint16_t *port);

/* Fills sa from addr:port; returns its length. */
socklen_t us_sockaddr(const struct ip_addr *addr, uint16_t port, struct sockaddr_storage *sa);
/* Reads addr:port from sa. */
void us_from_sockaddr(const struct sockaddr_storage *sa, struct ip_addr *addr, uint16_t *port);

/* TCP: accepts on fe->lfd and relays (userspace_tcp.c). */
void us_tcp_on_accept(struct evloop *l, struct ev_io *io, uint32_t revents);
/* Watches fe's proxy socket again after accepts were paused (out of descriptors). */
void us_tcp_on_accept_resume(struct evloop *l, struct ev_timer *t);
/* Closes every TCP connection (when the mode stops). */
void us_tcp_close_all(struct us_mode *m);
/* A pipe pair from the pool or new; 0 or a negative errno. */
int us_pipe_get(struct us_mode *m, int p[2]);
/* Returns an empty pipe to the pool (or closes it). */
void us_pipe_put(struct us_mode *m, int p[2]);

/* UDP: datagrams on fe->lfd (userspace_udp.c). */
void us_udp_on_readable(struct evloop *l, struct ev_io *io, uint32_t revents);
/* Ends every flow of fe (when fe closes). */
void us_udp_close_all(struct us_fe *fe);

/*
 * Capture rules (userspace_capture.c), in chains svcnet owns, in the network
 * namespace the proxy runs in. us_capture_probe: whether iptables works here
 * (sets *err when not). us_capture_sync rewrites the chains from rules (with
 * full, also makes sure the jumps from the built-in chains exist).
 * us_capture_remove takes everything out. 0 or a negative errno with *err.
 */
bool us_capture_probe(char **err);
int us_capture_sync(const struct us_rule *rules, size_t n, bool full, char **err);
int us_capture_remove(char **err);

#endif
