/*
 * The UDP path: one thread per socket, all sockets bound to the same
 * address with SO_REUSEPORT so the kernel spreads clients over them. Each
 * thread receives a batch with recvmmsg, answers it under one read lock of
 * the database into preallocated buffers, and sends the batch with sendmmsg:
 * no allocation per query and a handful of system calls per batch.
 */
#include "dns/server-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH	  64
#define QUERY_MAX 4096 /* longer UDP queries are dropped (no client sends them) */

struct worker {
	struct dns_server *srv;
	int fd;
	struct dns_stats *st;
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage addr[BATCH];
	uint8_t qbuf[BATCH][QUERY_MAX];
	uint8_t abuf[BATCH][DNS_UDP_MAX];
};

int dns_udp_bind(struct dns_server *srv, const struct sockaddr_storage *ss, socklen_t len,
		 char **err)
{
	int one = 1;
	for (int i = 0; i < srv->nudp; i++) {
		int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1 ||
		    bind(fd, (const struct sockaddr *)ss, len) == -1) {
			int e = errno;
			if (fd != -1)
				close(fd);
			while (i-- > 0) {
				close(srv->udp_fds[i]);
				srv->udp_fds[i] = -1;
			}
			*err = xasprintf("cannot bind UDP %s: %s", srv->listen, strerror(e));
			return -e;
		}
		/* Room for bursts: a full batch per thread many times over. */
		int rcv = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		srv->udp_fds[i] = fd;
	}
	return 0;
}

static void prepare(struct worker *w)
{
	for (int i = 0; i < BATCH; i++) {
		w->in_iov[i] = (struct iovec){w->qbuf[i], QUERY_MAX};
		w->in[i].msg_hdr = (struct msghdr){.msg_name = &w->addr[i],
						   .msg_namelen = sizeof(w->addr[i]),
						   .msg_iov = &w->in_iov[i],
						   .msg_iovlen = 1};
	}
}

/* Answers message i into the next out slot; returns 1 when one was added. */
static int handle(struct worker *w, int i, int slot, bool fwd)
{
	struct dns_query q;
	size_t len = 0;
	int rcode = 0;
	double t0 = dns_now();
	struct msghdr *h = &w->in[i].msg_hdr;

	if (h->msg_flags & MSG_TRUNC) {
		STAT_ADD(w->st->dropped, 1);
		return 0;
	}
	enum dns_action a = dns_answer(w->srv->db, w->qbuf[i], w->in[i].msg_len, false, fwd,
				       w->abuf[slot], &len, &q, &rcode);
	if (a == DNS_ACT_DROP) {
		STAT_ADD(w->st->dropped, 1);
		return 0;
	}
	if (a == DNS_ACT_FORWARD) {
		struct dns_client c = {.addrlen = h->msg_namelen, .udp_fd = w->fd};
		memcpy(&c.addr, &w->addr[i], h->msg_namelen);
		dns_forward_submit(w->srv,
				   dns_fwd_req_new(w->qbuf[i], w->in[i].msg_len, &q, &c, t0));
		return 0;
	}
	if (w->abuf[slot][2] & (DNS_F_TC >> 8))
		STAT_ADD(w->st->truncated, 1);
	w->out_iov[slot] = (struct iovec){w->abuf[slot], len};
	w->out[slot].msg_hdr = (struct msghdr){.msg_name = &w->addr[i],
					       .msg_namelen = h->msg_namelen,
					       .msg_iov = &w->out_iov[slot],
					       .msg_iovlen = 1};
	dns_stats_count(w->st, q.qtype, rcode, dns_now() - t0);
	STAT_ADD(w->st->udp, 1);
	return 1;
}

static void send_all(struct worker *w, int n)
{
	for (int sent = 0; sent < n;) {
		int r = sendmmsg(w->fd, w->out + sent, (unsigned)(n - sent), 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			/* A full send buffer or an unreachable client: drop this one. */
			STAT_ADD(w->st->dropped, 1);
			sent++;
			continue;
		}
		sent += r;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dns_server *srv = w->srv;
	bool fwd = srv->nupstream > 0;
	struct pollfd pfd[2] = {{w->fd, POLLIN, 0}, {srv->stop_fd, POLLIN, 0}};

	prepare(w);
	for (;;) {
		for (int i = 0; i < BATCH; i++)
			w->in[i].msg_hdr.msg_namelen = sizeof(w->addr[i]);
		int n = recvmmsg(w->fd, w->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("dns", "recvmmsg: %s", strerror(errno));
			if (poll(pfd, 2, -1) == -1 && errno != EINTR)
				break;
			if (pfd[1].revents)
				break;
			continue;
		}
		int out = 0;
		dns_db_rdlock(srv->db);
		for (int i = 0; i < n; i++)
			out += handle(w, i, out, fwd);
		dns_db_unlock(srv->db);
		send_all(w, out);
	}
	return w;
}

int dns_udp_start(struct dns_server *srv, char **err)
{
	for (int i = 0; i < srv->nudp; i++) {
		struct worker *w = xcalloc(1, sizeof(*w));
		w->srv = srv;
		w->fd = srv->udp_fds[i];
		w->st = &srv->stats[i];
		int e = pthread_create(&srv->udp_threads[i], NULL, worker_main, w);
		if (e) {
			free(w);
			*err = xasprintf("cannot start a UDP thread: %s", strerror(e));
			return -e;
		}
		srv->nudp_running = i + 1;
	}
	return 0;
}

void dns_udp_stop(struct dns_server *srv)
{
	for (int i = 0; i < srv->nudp_running; i++) {
		void *w = NULL;
		pthread_join(srv->udp_threads[i], &w);
		free(w);
	}
	srv->nudp_running = 0;
}
