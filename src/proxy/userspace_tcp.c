/*
 * Userspace mode, TCP: accept on a proxy port, connect to a backend the
 * scheduler picks (another one when it refuses or does not answer, with
 * connect time-outs of 250 ms, 500 ms, 1 s, 2 s as kube-proxy's userspace
 * proxier), then relay both ways on the event loop, passing half-closes on.
 * Each direction starts with a 16 KiB buffer (recv/send: two system calls
 * per message, right for request/response traffic) and moves to splice
 * through a pipe once a read fills the buffer (bulk transfer: no copy), as
 * HAProxy's splice-auto.
 */
#include "proxy/userspace-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE	   16384
#define PIPE_BYTES	   65536
#define ACCEPTS_PER_EVENT  64
#define CONNECT_TIMEOUT_MS 250
#define ACCEPT_PAUSE_MS	   100

/* One side of a connection, with what epoll last told of it (edge-triggered). */
struct end {
	int fd;
	struct ev_io io;
	bool rd, wr, rdhup;
};

/* One direction of the relay. */
struct dir {
	char *buf; /* buffered mode: bytes [off, len) wait to be sent */
	size_t off, len;
	int pipe[2]; /* spliced mode: in_pipe bytes wait in the pipe */
	size_t in_pipe;
	bool spliced, want_splice;
	bool eof;  /* the source sent FIN */
	bool shut; /* FIN passed on to the destination */
};

struct us_conn {
	struct us_conn *prev, *next; /* in us_mode.conns */
	struct us_fe *fe;
	struct end c, b; /* client, backend */
	struct dir up, down;
	struct ev_timer timer; /* connect time-out */
	struct ip_addr client;
	uint16_t client_port;
	struct ip_addr backend;
	uint16_t backend_port;
	struct ip_addr tried[US_MAX_ATTEMPTS];
	uint16_t tried_port[US_MAX_ATTEMPTS];
	int attempts;
	bool connected, inactive, closed;
};

static void connect_next(struct us_conn *c);

int us_pipe_get(struct us_mode *m, int p[2])
{
	if (m->n_pipes) {
		m->n_pipes--;
		p[0] = m->pipe_pool[m->n_pipes][0];
		p[1] = m->pipe_pool[m->n_pipes][1];
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		return -errno;
	/* Bigger than the default 64 KiB: fewer splices per megabyte. Best effort. */
	fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
	return 0;
}

void us_pipe_put(struct us_mode *m, int p[2])
{
	if (m->n_pipes < sizeof(m->pipe_pool) / sizeof(m->pipe_pool[0])) {
		m->pipe_pool[m->n_pipes][0] = p[0];
		m->pipe_pool[m->n_pipes][1] = p[1];
		m->n_pipes++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

/* Closes with RST, so that the client learns at once that nobody is there. */
static void reset_close(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void free_conn(void *arg)
{
	struct us_conn *c = arg;
	us_fe_unref(c->fe);
	free(c);
}

static void release_dir(struct us_mode *m, struct dir *d)
{
	free(d->buf);
	d->buf = NULL;
	if (!d->spliced)
		return;
	if (d->in_pipe) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	} else {
		us_pipe_put(m, d->pipe);
	}
	d->spliced = false;
}

/* Ends the connection (with RST to the client when reset); frees it after the batch. */
static void conn_close(struct us_conn *c, bool reset)
{
	struct us_mode *m = c->fe->mode;
	if (c->closed)
		return;
	c->closed = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	evloop_timer_stop(m->loop, &c->timer);
	evloop_io_del(m->loop, &c->c.io, false);
	evloop_io_del(m->loop, &c->b.io, false);
	if (reset)
		reset_close(c->c.fd);
	else
		close(c->c.fd);
	if (c->b.fd >= 0) {
		close(c->b.fd);
		sched_count_conn(c->fe->sched, &c->backend, c->backend_port, c->inactive ? 0 : -1,
				 c->inactive ? -1 : 0);
	}
	release_dir(m, &c->up);
	release_dir(m, &c->down);
	STAT_SUB(m->stats.tcp_active, 1);
	evloop_defer(m->loop, free_conn, c);
}

static bool pending(const struct dir *d)
{
	return d->spliced ? d->in_pipe > 0 : d->off < d->len;
}

/* Sends what waits in d to dst until done or dst is full. */
static int flush(struct us_mode *m, struct dir *d, struct end *dst)
{
	while (pending(d) && dst->wr) {
		ssize_t n;
		if (d->spliced)
			n = splice(d->pipe[0], NULL, dst->fd, NULL, d->in_pipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			n = send(dst->fd, d->buf + d->off, d->len - d->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN) {
				dst->wr = false;
				break;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (d->spliced)
			d->in_pipe -= (size_t)n;
		else
			d->off += (size_t)n;
		STAT_ADD(m->stats.bytes, (unsigned long)n);
	}
	if (!d->spliced && d->off == d->len)
		d->off = d->len = 0;
	return 0;
}

/*
 * Splices from src into the pipe while it has room. Returns 1 to stop
 * reading for now: an EAGAIN with bytes in the pipe may mean the pipe is
 * full rather than the socket empty, so src stays marked readable and is
 * tried again once the destination has taken some.
 */
static int fill_pipe(struct dir *d, struct end *src)
{
	ssize_t n = splice(src->fd, NULL, d->pipe[1], NULL, PIPE_BYTES - d->in_pipe,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		d->in_pipe += (size_t)n;
		return 0;
	}
	if (n == 0) {
		d->eof = true;
		return 0;
	}
	if (errno == EAGAIN) {
		if (!d->in_pipe)
			src->rd = false;
		return 1;
	}
	return errno == EINTR ? 0 : -errno;
}

/* Reads from src into d's buffer (which is empty). */
static int fill_buffer(struct dir *d, struct end *src)
{
	if (!d->buf)
		d->buf = xmalloc(BUF_SIZE);
	ssize_t n = recv(src->fd, d->buf, BUF_SIZE, MSG_DONTWAIT);
	if (n > 0) {
		d->off = 0;
		d->len = (size_t)n;
		/* A short read emptied the socket; epoll says when more comes. */
		if ((size_t)n < BUF_SIZE && !src->rdhup)
			src->rd = false;
		if ((size_t)n == BUF_SIZE)
			d->want_splice = true;
		return 0;
	}
	if (n == 0) {
		d->eof = true;
		return 0;
	}
	if (errno == EAGAIN) {
		src->rd = false;
		return 0;
	}
	return errno == EINTR ? 0 : -errno;
}

/*
 * Moves bytes from src to dst until one of them blocks; passes FIN on. A
 * buffer is refilled once sent whole; a pipe is refilled while it is less
 * than half full, so that reading and writing overlap in bulk transfers.
 */
static int pump_dir(struct us_mode *m, struct dir *d, struct end *src, struct end *dst)
{
	for (;;) {
		int rc = flush(m, d, dst);
		if (rc < 0)
			return rc;
		if (d->spliced ? d->in_pipe >= PIPE_BYTES / 2 : pending(d))
			break;
		if (d->want_splice && !d->spliced && us_pipe_get(m, d->pipe) == 0) {
			d->spliced = true;
			d->in_pipe = 0;
		}
		if (d->eof || !src->rd)
			break;
		rc = d->spliced ? fill_pipe(d, src) : fill_buffer(d, src);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
	}
	if (d->eof && !pending(d) && !d->shut) {
		shutdown(dst->fd, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

static void pump(struct us_conn *c)
{
	struct us_mode *m = c->fe->mode;
	if (pump_dir(m, &c->up, &c->c, &c->b) < 0 || pump_dir(m, &c->down, &c->b, &c->c) < 0) {
		conn_close(c, true);
		return;
	}
	if ((c->up.shut || c->down.shut) && !c->inactive) {
		/* Half-closed: IPVS counts such a connection as inactive. */
		c->inactive = true;
		sched_count_conn(c->fe->sched, &c->backend, c->backend_port, -1, 1);
	}
	if (c->up.shut && c->down.shut)
		conn_close(c, false);
}

static void note_events(struct end *e, uint32_t ev)
{
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		e->rd = true;
	if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		e->wr = true;
	if (ev & (EPOLLRDHUP | EPOLLHUP))
		e->rdhup = true;
}

static void on_client(struct evloop *l, struct ev_io *io, uint32_t ev)
{
	struct us_conn *c = io->arg;
	note_events(&c->c, ev);
	pump(c);
}

/* The backend refused or did not answer: try the next one, or give up. */
static void connect_failed(struct us_conn *c, int err)
{
	struct us_mode *m = c->fe->mode;
	char b[IP_STRLEN];
	evloop_timer_stop(m->loop, &c->timer);
	evloop_io_del(m->loop, &c->b.io, false);
	close(c->b.fd);
	c->b.fd = -1;
	sched_count_conn(c->fe->sched, &c->backend, c->backend_port, -1, 0);
	/* Out of descriptors, another backend would fail alike: reset the client now. */
	bool last = c->attempts >= US_MAX_ATTEMPTS || err == EMFILE || err == ENFILE;
	log_info("proxy", "%s: backend %s:%u: %s%s", c->fe->name, ip_addr_format(&c->backend, b),
		 c->backend_port, err ? strerror(err) : "no answer",
		 last ? "" : ", trying another");
	if (last) {
		STAT_ADD(m->stats.tcp_refused, 1);
		conn_close(c, true);
		return;
	}
	STAT_ADD(m->stats.connect_retries, 1);
	connect_next(c);
}

static void on_connect_timeout(struct evloop *l, struct ev_timer *t)
{
	connect_failed(t->arg, 0);
}

static void established(struct us_conn *c)
{
	struct us_mode *m = c->fe->mode;
	evloop_timer_stop(m->loop, &c->timer);
	c->connected = true;
	/* Registering reports what is already there (data, even a FIN) at once. */
	if (evloop_io_add(m->loop, &c->c.io, c->c.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			  on_client, c) < 0)
		conn_close(c, true);
}

static void on_backend(struct evloop *l, struct ev_io *io, uint32_t ev)
{
	struct us_conn *c = io->arg;
	if (!c->connected) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->b.fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err) {
			connect_failed(c, err);
			return;
		}
		established(c);
		if (c->closed)
			return;
	}
	note_events(&c->b, ev);
	pump(c);
}

/* The skip flags of the scheduler's destinations already tried (caller frees). */
static bool *tried_flags(struct us_conn *c)
{
	size_t n = sched_count(c->fe->sched);
	bool *skip = xcalloc(n ? n : 1, sizeof(*skip));
	for (int i = 0; i < c->attempts; i++) {
		int k = sched_find(c->fe->sched, &c->tried[i], c->tried_port[i]);
		if (k >= 0)
			skip[k] = true;
	}
	return skip;
}

/* Picks a backend (not one tried before, while others remain) and starts connecting. */
static int start_connect(struct us_conn *c)
{
	struct us_fe *fe = c->fe;
	bool *skip = c->attempts ? tried_flags(c) : NULL;
	int k = us_pick(fe, &c->client, skip, c->attempts > 0, &c->backend, &c->backend_port);
	if (k < 0 && skip) /* every backend tried: go round again */
		k = us_pick(fe, &c->client, NULL, true, &c->backend, &c->backend_port);
	free(skip);
	if (k < 0)
		return -EHOSTUNREACH;
	c->tried[c->attempts] = c->backend;
	c->tried_port[c->attempts] = c->backend_port;
	c->attempts++;
	sched_count_conn(fe->sched, &c->backend, c->backend_port, 1, 0);

	struct sockaddr_storage sa;
	socklen_t len = us_sockaddr(&c->backend, c->backend_port, &sa);
	c->b.fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->b.fd == -1)
		return -errno;
	int one = 1;
	setsockopt(c->b.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->b.fd, (struct sockaddr *)&sa, len) == -1 && errno != EINPROGRESS)
		return -errno;
	int rc = evloop_io_add(fe->mode->loop, &c->b.io, c->b.fd,
			       EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, on_backend, c);
	if (rc < 0)
		return rc;
	evloop_timer_start(fe->mode->loop, &c->timer,
			   (uint64_t)CONNECT_TIMEOUT_MS << (c->attempts - 1));
	return 0;
}

static void connect_next(struct us_conn *c)
{
	int rc = start_connect(c);
	if (rc == -EHOSTUNREACH) {
		STAT_ADD(c->fe->mode->stats.tcp_refused, 1);
		conn_close(c, true);
	} else if (rc < 0) {
		/* Failed before the network said anything (no route, no socket). */
		connect_failed(c, -rc);
	}
}

static void accept_one(struct us_fe *fe, int fd, const struct sockaddr_storage *peer)
{
	struct us_mode *m = fe->mode;
	STAT_ADD(m->stats.tcp_accepted, 1);
	if (fe->closed || !sched_count(fe->sched)) {
		STAT_ADD(m->stats.tcp_refused, 1);
		reset_close(fd);
		return;
	}
	struct us_conn *c = xcalloc(1, sizeof(*c));
	c->next = m->conns;
	if (c->next)
		c->next->prev = c;
	m->conns = c;
	c->fe = fe;
	fe->refs++;
	c->c.fd = fd;
	c->c.io.fd = -1;
	c->b.fd = -1;
	c->b.io.fd = -1;
	c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
	us_from_sockaddr(peer, &c->client, &c->client_port);
	evloop_timer_init(&c->timer, on_connect_timeout, c);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	STAT_ADD(m->stats.tcp_active, 1);
	connect_next(c);
}

void us_tcp_close_all(struct us_mode *m)
{
	while (m->conns)
		conn_close(m->conns, false);
}

/*
 * Out of descriptors (or memory) the pending connection stays queued and
 * the level-triggered proxy socket would be reported again at once: the
 * loop would spin, logging each time. Accepts rest instead until
 * connections have had time to close, as nginx and HAProxy do.
 */
static void pause_accepts(struct evloop *l, struct us_fe *fe, int err)
{
	log_warn("proxy", "%s: accept: %s; pausing accepts for %d ms", fe->name, strerror(err),
		 ACCEPT_PAUSE_MS);
	evloop_io_mod(l, &fe->lio, 0);
	evloop_timer_start(l, &fe->accept_resume, ACCEPT_PAUSE_MS);
}

void us_tcp_on_accept_resume(struct evloop *l, struct ev_timer *t)
{
	struct us_fe *fe = t->arg;
	if (!fe->closed)
		evloop_io_mod(l, &fe->lio, EPOLLIN);
}

void us_tcp_on_accept(struct evloop *l, struct ev_io *io, uint32_t revents)
{
	struct us_fe *fe = io->arg;
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd =
		    accept4(fe->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				pause_accepts(l, fe, errno);
				return;
			}
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("proxy", "%s: accept: %s", fe->name, strerror(errno));
			if (errno != EINTR && errno != ECONNABORTED)
				return;
			continue;
		}
		accept_one(fe, fd, &peer);
	}
}
