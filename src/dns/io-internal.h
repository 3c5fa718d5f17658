/*
 * Private to io.c, tcp.c and forward.c: the state of the I/O thread. One
 * epoll loop serves the TCP listener, the TCP client connections, the
 * sockets to the upstream resolvers and the queue of queries the UDP threads
 * hand over; timers (idle connections, upstream time-outs) are checked by
 * scanning a few times a second, as their number is bounded.
 */
#ifndef SVCNET_DNS_IO_INTERNAL_H
#define SVCNET_DNS_IO_INTERNAL_H

#include "dns/server-internal.h"

#include <stdint.h>

#define IO_MAX_CONNS   512
#define IO_MAX_PENDING 4096

/* What an epoll event is about: the kind in the high 32 bits, an index below. */
enum io_kind {
	IO_STOP = 1,
	IO_FWD_QUEUE,
	IO_LISTEN,
	IO_CONN,     /* index: connection slot */
	IO_UPSTREAM, /* index: address family socket (0 v4, 1 v6) */
	IO_UP_TCP,   /* index: pending query id */
};

struct conn;
struct pending;

struct dns_io {
	struct dns_server *srv;
	struct dns_stats *st;
	int epfd;
	struct conn *conns[IO_MAX_CONNS];
	uint32_t gen[IO_MAX_CONNS];
	int nconns;
	int up_fd[2]; /* UDP sockets to the upstreams, by family; -1 if unused */
	struct pending *by_id[65536];
	struct pending *plist; /* every pending query, for time-outs */
	int npending;
	int next_upstream;
	uint64_t rng;
	uint8_t out[2 + DNS_TCP_MAX]; /* a TCP answer: length, then message */
};

static inline uint64_t io_tag(enum io_kind kind, uint32_t index)
{
	return (uint64_t)kind << 32 | index;
}

/* Adds or changes fd's interest in events; the tag says who it is. */
int io_watch(struct dns_io *io, int fd, uint32_t events, uint64_t tag, bool add);

/* tcp.c */
void tcp_accept(struct dns_io *io);
void tcp_event(struct dns_io *io, uint32_t slot, uint32_t events);
/* Queues a forwarded answer on connection slot if it is still generation gen. */
void tcp_reply(struct dns_io *io, uint32_t slot, uint32_t gen, const uint8_t *msg, size_t len);
void tcp_expire(struct dns_io *io, double now);
void tcp_close_all(struct dns_io *io);

/* forward.c */
int forward_init(struct dns_io *io, char **err);
void forward_start(struct dns_io *io, struct dns_fwd_req *req);
void forward_udp_event(struct dns_io *io, int family_index);
void forward_tcp_event(struct dns_io *io, uint16_t id, uint32_t events);
void forward_expire(struct dns_io *io, double now);
void forward_cleanup(struct dns_io *io);

#endif
