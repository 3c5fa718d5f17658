/*
 * DNS over TCP (RFC 7766): messages prefixed by their 16-bit length, several
 * queries per connection (answered in order, forwarded ones when they come),
 * idle connections closed after tcp_idle_ms, a bounded number of them, and a
 * client that does not read its answers is cut off.
 */
#include "dns/io-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define WBUF_LIMIT (256 * 1024)
#define RBUF_LIMIT (2 + DNS_TCP_MAX + READ_CHUNK)

struct conn {
	int fd;
	uint32_t slot;
	double last;
	uint8_t *rbuf;
	size_t rlen, rcap;
	struct strbuf wbuf;
	size_t woff;
	bool want_out;
};

static void conn_close(struct dns_io *io, struct conn *c)
{
	io->conns[c->slot] = NULL;
	io->gen[c->slot]++;
	io->nconns--;
	close(c->fd);
	free(c->rbuf);
	sb_free(&c->wbuf);
	free(c);
}

void tcp_accept(struct dns_io *io)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(io->srv->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		if (io->nconns == IO_MAX_CONNS) {
			close(fd);
			STAT_ADD(io->st->dropped, 1);
			continue;
		}
		uint32_t slot = 0;
		while (io->conns[slot])
			slot++;
		struct conn *c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->slot = slot;
		c->last = dns_now();
		io->conns[slot] = c;
		io->nconns++;
		STAT_ADD(io->st->tcp_conns, 1);
		if (io_watch(io, fd, EPOLLIN, io_tag(IO_CONN, slot), true) < 0)
			conn_close(io, c);
	}
}

/* Writes what is queued; returns -1 when the connection had to be closed. */
static int flush(struct dns_io *io, struct conn *c)
{
	while (c->woff < c->wbuf.len) {
		ssize_t n = write(c->fd, c->wbuf.buf + c->woff, c->wbuf.len - c->woff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(io, c);
			return -1;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wbuf.len) {
		c->woff = 0;
		c->wbuf.len = 0;
	}
	bool want = c->wbuf.len > 0;
	if (want != c->want_out) {
		c->want_out = want;
		io_watch(io, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), io_tag(IO_CONN, c->slot),
			 false);
	}
	if (c->wbuf.len - c->woff > WBUF_LIMIT) {
		conn_close(io, c);
		return -1;
	}
	return 0;
}

static void queue(struct conn *c, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2];
	dns_put16(hdr, (uint16_t)len);
	sb_append(&c->wbuf, hdr, 2);
	sb_append(&c->wbuf, msg, len);
}

void tcp_reply(struct dns_io *io, uint32_t slot, uint32_t gen, const uint8_t *msg, size_t len)
{
	struct conn *c = slot < IO_MAX_CONNS ? io->conns[slot] : NULL;
	if (!c || io->gen[slot] != gen)
		return; /* the connection is gone */
	queue(c, msg, len);
	/* Written on the next EPOLLOUT: this may run while c is being read. */
	if (!c->want_out) {
		c->want_out = true;
		io_watch(io, c->fd, EPOLLIN | EPOLLOUT, io_tag(IO_CONN, c->slot), false);
	}
}

/* Answers one message of the connection. */
static void handle(struct dns_io *io, struct conn *c, const uint8_t *msg, size_t len)
{
	struct dns_server *srv = io->srv;
	struct dns_query q;
	size_t outlen;
	int rcode;
	double t0 = dns_now();

	dns_db_rdlock(srv->db);
	enum dns_action a = dns_answer(srv->db, msg, len, true, srv->nupstream > 0, io->out + 2,
				       &outlen, &q, &rcode);
	dns_db_unlock(srv->db);
	if (a == DNS_ACT_REPLY) {
		queue(c, io->out + 2, outlen);
		dns_stats_count(io->st, q.qtype, rcode, dns_now() - t0);
		STAT_ADD(io->st->tcp, 1);
	} else if (a == DNS_ACT_FORWARD) {
		struct dns_client cl = {
		    .udp_fd = -1, .conn = c->slot, .conn_gen = io->gen[c->slot]};
		forward_start(io, dns_fwd_req_new(msg, len, &q, &cl, t0));
	} else {
		STAT_ADD(io->st->dropped, 1);
	}
}

/* Reads what is there and answers every complete message; -1 if closed. */
static int read_some(struct dns_io *io, struct conn *c)
{
	for (;;) {
		if (c->rcap - c->rlen < READ_CHUNK) {
			c->rcap = c->rlen + READ_CHUNK;
			c->rbuf = xrealloc(c->rbuf, c->rcap);
		}
		ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			/* End of stream: send what is ready, then close. */
			flush(io, c);
			if (io->conns[c->slot] == c)
				conn_close(io, c);
			return -1;
		}
		c->rlen += (size_t)n;
		c->last = dns_now();
		size_t off = 0;
		while (c->rlen - off >= 2 && c->rlen - off >= 2u + dns_get16(c->rbuf + off)) {
			size_t len = dns_get16(c->rbuf + off);
			handle(io, c, c->rbuf + off + 2, len);
			off += 2 + len;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
		if (c->rcap > RBUF_LIMIT) {
			c->rcap = c->rlen + READ_CHUNK;
			c->rbuf = xrealloc(c->rbuf, c->rcap);
		}
		if (flush(io, c) < 0)
			return -1;
	}
}

void tcp_event(struct dns_io *io, uint32_t slot, uint32_t events)
{
	struct conn *c = slot < IO_MAX_CONNS ? io->conns[slot] : NULL;
	if (!c)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if (read_some(io, c) < 0)
			return;
	}
	if (events & EPOLLOUT)
		flush(io, c);
}

void tcp_expire(struct dns_io *io, double now)
{
	double idle = io->srv->tcp_idle_ms / 1000.0;
	for (uint32_t i = 0; i < IO_MAX_CONNS && io->nconns; i++) {
		struct conn *c = io->conns[i];
		if (c && now - c->last > idle)
			conn_close(io, c);
	}
}

void tcp_close_all(struct dns_io *io)
{
	for (uint32_t i = 0; i < IO_MAX_CONNS; i++)
		if (io->conns[i])
			conn_close(io, io->conns[i]);
}
