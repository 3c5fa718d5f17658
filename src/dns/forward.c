/*
 * The forwarder: queries for names outside our zones go to the upstream
 * resolvers over UDP with a fresh random ID; an answer is accepted only from
 * the address it was sent to, with that ID and the same question. A truncated
 * answer is asked again over TCP. A time-out moves to the next upstream; when
 * every try failed the client gets SERVFAIL.
 */
#include "dns/io-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define UDP_TIMEOUT 1.5
#define TCP_TIMEOUT 3.0

struct pending {
	struct dns_fwd_req *req; /* owned */
	struct pending *prev, *next;
	double deadline;
	uint16_t id;
	int upstream;
	int tries;
	int tcp_fd; /* -1 unless asking over TCP */
	size_t sent;
	uint8_t lenbuf[2];
	size_t lgot;
	uint8_t *rbuf;
	size_t rlen, rgot;
};

static int family_index(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6;
}

int forward_init(struct dns_io *io, char **err)
{
	struct dns_server *srv = io->srv;
	for (int i = 0; i < srv->nupstream; i++) {
		int fi = family_index(&srv->upstream[i]);
		if (io->up_fd[fi] != -1)
			continue;
		int fd = socket(srv->upstream[i].ss_family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			*err =
			    xasprintf("cannot open a socket to the upstream: %s", strerror(errno));
			return -errno;
		}
		io->up_fd[fi] = fd;
		if (io_watch(io, fd, EPOLLIN, io_tag(IO_UPSTREAM, (uint32_t)fi), true) < 0) {
			*err = xasprintf("cannot watch the upstream socket: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void finish(struct dns_io *io, struct pending *p)
{
	io->by_id[p->id] = NULL;
	if (p->prev)
		p->prev->next = p->next;
	else
		io->plist = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->tcp_fd != -1)
		close(p->tcp_fd);
	io->npending--;
	free(p->rbuf);
	free(p->req);
	free(p);
}

/* Sends msg (its ID already the client's) to the client of req. */
static void deliver(struct dns_io *io, struct dns_fwd_req *req, uint8_t *msg, size_t len)
{
	uint8_t small[DNS_UDP_MAX];
	int rcode = msg[3] & 0xF;

	if (req->client.udp_fd == -1) {
		tcp_reply(io, req->client.conn, req->client.conn_gen, msg, len);
	} else {
		if (len > dns_udp_limit(&req->q)) {
			/* Too big for the client: it will ask us again over TCP. */
			len = dns_answer_empty(&req->q, DNS_R_NOERROR, true, true, small);
			msg = small;
			STAT_ADD(io->st->truncated, 1);
		}
		if (sendto(req->client.udp_fd, msg, len, MSG_DONTWAIT,
			   (struct sockaddr *)&req->client.addr, req->client.addrlen) == -1)
			STAT_ADD(io->st->dropped, 1);
	}
	dns_stats_count(io->st, req->q.qtype, rcode, dns_now() - req->start);
}

static void fail(struct dns_io *io, struct dns_fwd_req *req)
{
	uint8_t msg[DNS_UDP_MAX];
	size_t len = dns_answer_empty(&req->q, DNS_R_SERVFAIL, false, true, msg);
	STAT_ADD(io->st->forward_failed, 1);
	deliver(io, req, msg, len);
}

static void send_udp(struct dns_io *io, struct pending *p)
{
	struct dns_server *srv = io->srv;
	const struct sockaddr_storage *to = &srv->upstream[p->upstream];
	dns_put16(p->req->msg, p->id);
	p->deadline = dns_now() + UDP_TIMEOUT;
	if (sendto(io->up_fd[family_index(to)], p->req->msg, p->req->len, 0,
		   (const struct sockaddr *)to, srv->upstream_len[p->upstream]) == -1)
		p->deadline = 0; /* expires at the next scan */
}

/* One try failed: the next upstream, or SERVFAIL when all tries are spent. */
static void retry(struct dns_io *io, struct pending *p)
{
	struct dns_server *srv = io->srv;
	int max = srv->nupstream < 2 ? 2 : srv->nupstream;
	if (p->tcp_fd != -1) {
		close(p->tcp_fd);
		p->tcp_fd = -1;
	}
	free(p->rbuf);
	p->rbuf = NULL;
	if (++p->tries >= max) {
		fail(io, p->req);
		finish(io, p);
		return;
	}
	p->upstream = (p->upstream + 1) % srv->nupstream;
	send_udp(io, p);
}

static uint16_t random_id(struct dns_io *io)
{
	/* xorshift64*: unpredictable enough on loopback, never 0 state. */
	io->rng ^= io->rng >> 12;
	io->rng ^= io->rng << 25;
	io->rng ^= io->rng >> 27;
	return (uint16_t)((io->rng * 2685821657736338717ULL) >> 48);
}

void forward_start(struct dns_io *io, struct dns_fwd_req *req)
{
	if (io->npending >= IO_MAX_PENDING || !io->srv->nupstream) {
		fail(io, req);
		free(req);
		return;
	}
	struct pending *p = xcalloc(1, sizeof(*p));
	do
		p->id = random_id(io);
	while (io->by_id[p->id]);
	p->req = req;
	p->tcp_fd = -1;
	p->upstream = io->next_upstream++ % io->srv->nupstream;
	io->by_id[p->id] = p;
	p->next = io->plist;
	if (io->plist)
		io->plist->prev = p;
	io->plist = p;
	io->npending++;
	STAT_ADD(io->st->forwarded, 1);
	send_udp(io, p);
}

/* Whether resp answers the question of q. */
static bool same_question(const uint8_t *resp, size_t len, const struct dns_query *q)
{
	uint8_t name[DNS_NAME_MAX];
	size_t pos = DNS_HDR_LEN;
	if (len < DNS_HDR_LEN || dns_get16(resp + 4) != 1)
		return false;
	int nl = dns_name_unpack(resp, len, &pos, name);
	if (nl != q->qname_len || pos + 4 > len)
		return false;
	dns_name_lower(name, (size_t)nl);
	return !memcmp(name, q->qname, (size_t)nl) && dns_get16(resp + pos) == q->qtype &&
	       dns_get16(resp + pos + 2) == q->qclass;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void start_tcp(struct dns_io *io, struct pending *p)
{
	const struct sockaddr_storage *to = &io->srv->upstream[p->upstream];
	p->tcp_fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	p->sent = p->lgot = p->rgot = 0;
	p->deadline = dns_now() + TCP_TIMEOUT;
	if (p->tcp_fd == -1 ||
	    (connect(p->tcp_fd, (const struct sockaddr *)to, io->srv->upstream_len[p->upstream]) ==
		 -1 &&
	     errno != EINPROGRESS) ||
	    io_watch(io, p->tcp_fd, EPOLLOUT, io_tag(IO_UP_TCP, p->id), true) < 0)
		p->deadline = 0;
}

/* An answer for p: over TCP when truncated, else to the client. */
static void answered(struct dns_io *io, struct pending *p, uint8_t *msg, size_t len, bool tcp)
{
	if (!tcp && (msg[2] & (DNS_F_TC >> 8))) {
		start_tcp(io, p);
		return;
	}
	dns_put16(msg, p->req->q.id);
	deliver(io, p->req, msg, len);
	finish(io, p);
}

void forward_udp_event(struct dns_io *io, int fi)
{
	uint8_t *buf = io->out;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n =
		    recvfrom(io->up_fd[fi], buf, DNS_TCP_MAX, 0, (struct sockaddr *)&from, &flen);
		if (n == -1)
			return;
		if (n < DNS_HDR_LEN || !(buf[2] & 0x80))
			continue;
		struct pending *p = io->by_id[dns_get16(buf)];
		if (!p || p->tcp_fd != -1 || !same_addr(&from, &io->srv->upstream[p->upstream]) ||
		    !same_question(buf, (size_t)n, &p->req->q))
			continue; /* late, spoofed or unrelated */
		answered(io, p, buf, (size_t)n, false);
	}
}

/* Sends the framed query; returns 1 when it is all written, -1 on error. */
static int tcp_send(struct pending *p)
{
	uint8_t hdr[2];
	dns_put16(hdr, (uint16_t)p->req->len);
	while (p->sent < 2 + p->req->len) {
		struct iovec iov[2] = {{hdr, 2}, {p->req->msg, p->req->len}};
		int k = p->sent < 2 ? 0 : 1;
		size_t off = p->sent < 2 ? p->sent : p->sent - 2;
		iov[k].iov_base = (uint8_t *)iov[k].iov_base + off;
		iov[k].iov_len -= off;
		ssize_t n = writev(p->tcp_fd, iov + k, 2 - k);
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		p->sent += (size_t)n;
	}
	return 1;
}

/* Reads the framed answer; 1 when complete, 0 for more, -1 on error. */
static int tcp_recv(struct pending *p)
{
	while (p->lgot < 2) {
		ssize_t n = read(p->tcp_fd, p->lenbuf + p->lgot, 2 - p->lgot);
		if (n <= 0)
			return n == -1 && errno == EAGAIN ? 0 : -1;
		p->lgot += (size_t)n;
		if (p->lgot == 2) {
			p->rlen = dns_get16(p->lenbuf);
			if (p->rlen < DNS_HDR_LEN)
				return -1;
			p->rbuf = xmalloc(p->rlen);
		}
	}
	while (p->rgot < p->rlen) {
		ssize_t n = read(p->tcp_fd, p->rbuf + p->rgot, p->rlen - p->rgot);
		if (n <= 0)
			return n == -1 && errno == EAGAIN ? 0 : -1;
		p->rgot += (size_t)n;
	}
	return 1;
}

void forward_tcp_event(struct dns_io *io, uint16_t id, uint32_t events)
{
	struct pending *p = io->by_id[id];
	if (!p || p->tcp_fd == -1)
		return;
	if (p->sent < 2 + p->req->len) {
		int r = tcp_send(p);
		if (r < 0) {
			retry(io, p);
			return;
		}
		if (r == 1)
			io_watch(io, p->tcp_fd, EPOLLIN, io_tag(IO_UP_TCP, p->id), false);
		return;
	}
	int r = tcp_recv(p);
	if (r < 0 || (r == 1 && (dns_get16(p->rbuf) != p->id ||
				 !same_question(p->rbuf, p->rlen, &p->req->q)))) {
		retry(io, p);
		return;
	}
	if (r == 1)
		answered(io, p, p->rbuf, p->rlen, true);
}

void forward_expire(struct dns_io *io, double now)
{
	struct pending *next;
	for (struct pending *p = io->plist; p; p = next) {
		next = p->next;
		if (now >= p->deadline) {
			log_debug("dns", "upstream try %d timed out", p->tries + 1);
			retry(io, p);
		}
	}
}

void forward_cleanup(struct dns_io *io)
{
	while (io->plist)
		finish(io, io->plist);
	for (int i = 0; i < 2; i++)
		if (io->up_fd[i] != -1)
			close(io->up_fd[i]);
}
