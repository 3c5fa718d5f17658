/*
 * Private to the DNS server's files: the server struct, per-thread
 * statistics, the I/O thread (TCP connections and forwarding, one epoll loop)
 * and the hand-off of forwarded queries from the UDP threads to it.
 */
#ifndef SVCNET_DNS_SERVER_INTERNAL_H
#define SVCNET_DNS_SERVER_INTERNAL_H

#include "dns/answer.h"
#include "dns/db.h"
#include "dns/dns.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_MAX_UPSTREAMS 8
#define DNS_STAT_TYPES	  10
#define DNS_STAT_RCODES	  7
#define DNS_STAT_BUCKETS  14

/* Counters of one thread, written by that thread alone, read by /metrics. */
struct dns_stats {
	uint64_t queries[DNS_STAT_TYPES][DNS_STAT_RCODES];
	uint64_t latency[DNS_STAT_BUCKETS + 1]; /* per bucket, not cumulative */
	uint64_t latency_ns;
	uint64_t udp, tcp, tcp_conns, forwarded, forward_failed, dropped, truncated;
	char pad[64]; /* keeps threads' counters on separate cache lines */
};

/* Where the answer to a forwarded query goes. */
struct dns_client {
	struct sockaddr_storage addr; /* UDP: the client's address */
	socklen_t addrlen;
	int udp_fd;	   /* UDP: the socket it came in on; -1 for TCP */
	uint32_t conn;	   /* TCP: slot of the connection */
	uint32_t conn_gen; /* TCP: generation of the slot, to ignore stale answers */
};

/* A query on its way to the I/O thread; owns itself. */
struct dns_fwd_req {
	struct dns_fwd_req *next;
	struct dns_client client;
	struct dns_query q;
	double start;
	size_t len;
	uint8_t msg[]; /* the query as the client sent it */
};

struct dns_io; /* the I/O thread's state: tcp.c, forward.c, io.c */

struct dns_server {
	struct dns_db *db;
	char *listen, *domain, *metrics_listen; /* owned copies */
	uint32_t ttl;
	int tcp_idle_ms;
	int port;
	int metrics_port;

	int nudp;
	int nudp_running; /* threads started, to be joined */
	int *udp_fds;
	pthread_t *udp_threads;
	struct dns_stats *stats; /* nudp + 1: the last one is the I/O thread's */
	int stop_fd;		 /* eventfd: readable once stopping */

	int tcp_fd;
	struct dns_io *io;
	pthread_t io_thread;
	bool io_started;

	struct sockaddr_storage upstream[DNS_MAX_UPSTREAMS];
	socklen_t upstream_len[DNS_MAX_UPSTREAMS];
	int nupstream;

	pthread_mutex_t fwd_lock; /* guards fwd_head/fwd_tail */
	struct dns_fwd_req *fwd_head, *fwd_tail;
	int fwd_fd; /* eventfd: queries waiting in the list */

	void *mhd; /* struct MHD_Daemon */
	struct dns_watch *watch;
};

/* Adds to a counter of this thread: one writer, so a relaxed load and store. */
#define STAT_ADD(x, v)                                                                             \
	__atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + (v), __ATOMIC_RELAXED)
#define STAT_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Monotonic seconds. */
double dns_now(void);

/*
 * Parses "ADDR:PORT" or "[V6]:PORT" (the port may be 0 when allow_zero).
 * Returns 0 or -EINVAL.
 */
int dns_parse_hostport(const char *s, bool allow_zero, struct sockaddr_storage *ss, socklen_t *len);

/* Counts one answered query of qtype with rcode, and its latency. */
void dns_stats_count(struct dns_stats *st, uint16_t qtype, int rcode, double seconds);

/* Starts the /healthz, /readyz, /metrics endpoint; 0 or -errno with *err. */
int dns_metrics_start(struct dns_server *srv, char **err);
void dns_metrics_stop(struct dns_server *srv);

/* UDP threads (udp.c): bind, start, and the socket count. */
int dns_udp_bind(struct dns_server *srv, const struct sockaddr_storage *ss, socklen_t len,
		 char **err);
int dns_udp_start(struct dns_server *srv, char **err);
void dns_udp_stop(struct dns_server *srv);

/* Hands a query to the I/O thread for forwarding; takes ownership of req. */
void dns_forward_submit(struct dns_server *srv, struct dns_fwd_req *req);

/* Builds a forward request (copies msg); never fails. */
struct dns_fwd_req *dns_fwd_req_new(const uint8_t *msg, size_t len, const struct dns_query *q,
				    const struct dns_client *client, double start);

/* The I/O thread (io.c): TCP listener and connections, forwarder. */
int dns_io_start(struct dns_server *srv, char **err);
void dns_io_stop(struct dns_server *srv);

/* Informers (watch.c). */
int dns_watch_start(struct dns_server *srv, const struct dns_config *cfg, char **err);
void dns_watch_stop(struct dns_server *srv);

#endif
