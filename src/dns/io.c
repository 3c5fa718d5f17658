/*
 * The I/O thread: its epoll loop, the queue through which UDP threads hand
 * over queries to forward, and its start and stop.
 */
#include "dns/io-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

int io_watch(struct dns_io *io, int fd, uint32_t events, uint64_t tag, bool add)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};
	return epoll_ctl(io->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == -1 ? -errno : 0;
}

struct dns_fwd_req *dns_fwd_req_new(const uint8_t *msg, size_t len, const struct dns_query *q,
				    const struct dns_client *client, double start)
{
	struct dns_fwd_req *r = xmalloc(sizeof(*r) + len);
	r->next = NULL;
	r->client = *client;
	r->q = *q;
	r->start = start;
	r->len = len;
	memcpy(r->msg, msg, len);
	return r;
}

void dns_forward_submit(struct dns_server *srv, struct dns_fwd_req *req)
{
	uint64_t one = 1;
	pthread_mutex_lock(&srv->fwd_lock);
	if (srv->fwd_tail)
		srv->fwd_tail->next = req;
	else
		srv->fwd_head = req;
	srv->fwd_tail = req;
	pthread_mutex_unlock(&srv->fwd_lock);
	if (write(srv->fwd_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("dns", "eventfd: %s", strerror(errno));
}

static void drain_queue(struct dns_io *io)
{
	struct dns_server *srv = io->srv;
	uint64_t v;
	if (read(srv->fwd_fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&srv->fwd_lock);
	struct dns_fwd_req *r = srv->fwd_head;
	srv->fwd_head = srv->fwd_tail = NULL;
	pthread_mutex_unlock(&srv->fwd_lock);
	while (r) {
		struct dns_fwd_req *next = r->next;
		forward_start(io, r);
		r = next;
	}
}

static void *io_main(void *arg)
{
	struct dns_io *io = arg;
	struct epoll_event evs[64];
	double last_scan = dns_now();

	for (;;) {
		int n = epoll_wait(io->epfd, evs, 64, 100);
		if (n == -1 && errno != EINTR) {
			log_error("dns", "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			uint32_t idx = (uint32_t)tag;
			switch ((enum io_kind)(tag >> 32)) {
			case IO_STOP:
				goto out;
			case IO_FWD_QUEUE:
				drain_queue(io);
				break;
			case IO_LISTEN:
				tcp_accept(io);
				break;
			case IO_CONN:
				tcp_event(io, idx, evs[i].events);
				break;
			case IO_UPSTREAM:
				forward_udp_event(io, (int)idx);
				break;
			case IO_UP_TCP:
				forward_tcp_event(io, (uint16_t)idx, evs[i].events);
				break;
			}
		}
		double now = dns_now();
		if (now - last_scan >= 0.1) {
			last_scan = now;
			forward_expire(io, now);
			tcp_expire(io, now);
		}
	}
out:
	return NULL;
}

int dns_io_start(struct dns_server *srv, char **err)
{
	struct dns_io *io = xcalloc(1, sizeof(*io));
	io->srv = srv;
	io->st = &srv->stats[srv->nudp];
	io->up_fd[0] = io->up_fd[1] = -1;
	if (getrandom(&io->rng, sizeof(io->rng), 0) != sizeof(io->rng))
		io->rng = (uint64_t)dns_now() * 1000003u;
	io->rng |= 1;
	srv->io = io;
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->fwd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->epfd == -1 || srv->fwd_fd == -1) {
		*err = xasprintf("cannot create the DNS event loop: %s", strerror(errno));
		return -errno;
	}
	int rc = io_watch(io, srv->stop_fd, EPOLLIN, io_tag(IO_STOP, 0), true);
	if (!rc)
		rc = io_watch(io, srv->fwd_fd, EPOLLIN, io_tag(IO_FWD_QUEUE, 0), true);
	if (!rc)
		rc = io_watch(io, srv->tcp_fd, EPOLLIN, io_tag(IO_LISTEN, 0), true);
	if (rc < 0) {
		*err = xasprintf("cannot watch the DNS sockets: %s", strerror(-rc));
		return rc;
	}
	rc = forward_init(io, err);
	if (rc < 0)
		return rc;
	rc = pthread_create(&srv->io_thread, NULL, io_main, io);
	if (rc) {
		*err = xasprintf("cannot start the DNS I/O thread: %s", strerror(rc));
		return -rc;
	}
	srv->io_started = true;
	return 0;
}

void dns_io_stop(struct dns_server *srv)
{
	struct dns_io *io = srv->io;
	if (!io)
		return;
	if (srv->io_started)
		pthread_join(srv->io_thread, NULL);
	tcp_close_all(io);
	forward_cleanup(io);
	struct dns_fwd_req *r = srv->fwd_head;
	while (r) {
		struct dns_fwd_req *next = r->next;
		free(r);
		r = next;
	}
	srv->fwd_head = srv->fwd_tail = NULL;
	if (io->epfd != -1)
		close(io->epfd);
	if (srv->fwd_fd != -1)
		close(srv->fwd_fd);
	srv->fwd_fd = -1;
	free(io);
	srv->io = NULL;
}
