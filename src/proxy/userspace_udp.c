/*
 * Userspace mode, UDP: a flow per client address and port, each with a
 * connected socket to the backend the scheduler picked; replies go back
 * from the address the client sent to (IP_PKTINFO), so that conntrack
 * turns them back into the Service's address. A flow ends after
 * --udp-timeout without traffic, or when the backend answers with an ICMP
 * error (the next datagram then picks afresh).
 */
#include "proxy/userspace-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DATAGRAMS_PER_EVENT 64
#define MAX_DATAGRAM	    65536

struct us_flow {
	struct us_flow *next; /* hash chain */
	struct us_fe *fe;
	struct sockaddr_storage client;
	socklen_t client_len;
	struct ip_addr client_ip;
	uint16_t client_port;
	struct in_pktinfo local4; /* where the client's datagrams arrived */
	struct in6_pktinfo local6;
	bool have_local;
	int bfd;
	struct ev_io bio;
	struct ip_addr backend;
	uint16_t backend_port;
	uint64_t last_ms;
	struct ev_timer idle;
	bool closed;
};

/* One datagram buffer for the loop's thread. */
static __thread char dgram[MAX_DATAGRAM];

static size_t flow_hash(const struct ip_addr *a, uint16_t port)
{
	uint64_t h = 1469598103934665603ull ^ port;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static struct us_flow **flow_slot(struct us_fe *fe, const struct ip_addr *a, uint16_t port)
{
	if (!fe->n_flow_buckets) {
		fe->n_flow_buckets = 64;
		fe->flows = xcalloc(fe->n_flow_buckets, sizeof(*fe->flows));
	}
	struct us_flow **p = &fe->flows[flow_hash(a, port) & (fe->n_flow_buckets - 1)];
	while (*p && ((*p)->client_port != port || ip_cmp(&(*p)->client_ip, a)))
		p = &(*p)->next;
	return p;
}

static void grow_flows(struct us_fe *fe)
{
	size_t n = fe->n_flow_buckets * 2;
	struct us_flow **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < fe->n_flow_buckets; i++) {
		struct us_flow *f = fe->flows[i];
		while (f) {
			struct us_flow *next = f->next;
			size_t h = flow_hash(&f->client_ip, f->client_port) & (n - 1);
			f->next = b[h];
			b[h] = f;
			f = next;
		}
	}
	free(fe->flows);
	fe->flows = b;
	fe->n_flow_buckets = n;
}

static void free_flow(void *arg)
{
	struct us_flow *f = arg;
	us_fe_unref(f->fe);
	free(f);
}

static void flow_close(struct us_flow *f)
{
	struct us_fe *fe = f->fe;
	struct us_mode *m = fe->mode;
	if (f->closed)
		return;
	f->closed = true;
	struct us_flow **p = flow_slot(fe, &f->client_ip, f->client_port);
	if (*p == f) {
		*p = f->next;
		fe->n_flows--;
	}
	evloop_timer_stop(m->loop, &f->idle);
	evloop_io_del(m->loop, &f->bio, false);
	close(f->bfd);
	sched_count_conn(fe->sched, &f->backend, f->backend_port, 0, -1);
	STAT_SUB(m->stats.udp_flows_active, 1);
	evloop_defer(m->loop, free_flow, f);
}

static void on_idle(struct evloop *l, struct ev_timer *t)
{
	struct us_flow *f = t->arg;
	uint64_t idle = evloop_now(l) - f->last_ms, timeout = f->fe->mode->cfg.udp_timeout_ms;
	if (idle >= timeout)
		flow_close(f);
	else
		evloop_timer_start(l, t, timeout - idle);
}

/* Sends a backend's reply to the client, from the address the client used. */
static void reply(struct us_flow *f, const char *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_name = &f->client, .msg_namelen = f->client_len, .msg_iov = &iov, .msg_iovlen = 1};
	memset(cbuf, 0, sizeof(cbuf));
	if (f->have_local) {
		struct cmsghdr *cm;
		msg.msg_control = cbuf;
		if (f->fe->family == IP_V4) {
			msg.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			struct in_pktinfo pi = {.ipi_spec_dst = f->local4.ipi_addr};
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			msg.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			struct in6_pktinfo pi = {.ipi6_addr = f->local6.ipi6_addr};
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		}
	}
	if (sendmsg(f->fe->lfd, &msg, MSG_DONTWAIT) == -1 && errno != EAGAIN)
		log_debug("proxy", "%s: reply to client: %s", f->fe->name, strerror(errno));
}

static void on_backend(struct evloop *l, struct ev_io *io, uint32_t ev)
{
	struct us_flow *f = io->arg;
	struct us_mode *m = f->fe->mode;
	for (int i = 0; i < DATAGRAMS_PER_EVENT && !f->closed; i++) {
		ssize_t n = recv(f->bfd, dgram, sizeof(dgram), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ICMP port unreachable and the like: the next datagram picks afresh. */
			flow_close(f);
			return;
		}
		f->last_ms = evloop_now(l);
		STAT_ADD(m->stats.bytes, (unsigned long)n);
		reply(f, dgram, (size_t)n);
	}
}

/* A new flow for client to a backend the scheduler picks; NULL when none. */
static struct us_flow *flow_new(struct us_fe *fe, const struct sockaddr_storage *client,
				socklen_t clen)
{
	struct us_mode *m = fe->mode;
	struct us_flow *f = xcalloc(1, sizeof(*f));
	memcpy(&f->client, client, clen);
	f->client_len = clen;
	us_from_sockaddr(client, &f->client_ip, &f->client_port);
	f->fe = fe;
	f->bfd = -1;
	if (us_pick(fe, &f->client_ip, NULL, false, &f->backend, &f->backend_port) < 0)
		goto fail;
	struct sockaddr_storage sa;
	socklen_t len = us_sockaddr(&f->backend, f->backend_port, &sa);
	f->bfd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->bfd == -1 || connect(f->bfd, (struct sockaddr *)&sa, len) == -1)
		goto fail;
	if (evloop_io_add(m->loop, &f->bio, f->bfd, EPOLLIN, on_backend, f) < 0)
		goto fail;
	evloop_timer_init(&f->idle, on_idle, f);
	fe->refs++;
	sched_count_conn(fe->sched, &f->backend, f->backend_port, 0, 1);
	STAT_ADD(m->stats.udp_flows_total, 1);
	STAT_ADD(m->stats.udp_flows_active, 1);
	if (fe->n_flows >= fe->n_flow_buckets)
		grow_flows(fe);
	struct us_flow **p = flow_slot(fe, &f->client_ip, f->client_port);
	*p = f;
	fe->n_flows++;
	return f;
fail:
	if (f->bfd >= 0)
		close(f->bfd);
	free(f);
	return NULL;
}

/* Remembers the local address a datagram came to, from its IP_PKTINFO. */
static void note_local(struct us_flow *f, struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&f->local4, CMSG_DATA(cm), sizeof(f->local4));
			f->have_local = true;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&f->local6, CMSG_DATA(cm), sizeof(f->local6));
			f->have_local = true;
		}
	}
}

/* Handles one datagram from a client; false when there was none. */
static bool one_datagram(struct us_fe *fe)
{
	struct us_mode *m = fe->mode;
	struct sockaddr_storage client;
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	struct iovec iov = {.iov_base = dgram, .iov_len = sizeof(dgram)};
	struct msghdr msg = {.msg_name = &client,
			     .msg_namelen = sizeof(client),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fe->lfd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR;
	if (fe->closed || !sched_count(fe->sched))
		return true;
	struct ip_addr ip;
	uint16_t port;
	us_from_sockaddr(&client, &ip, &port);
	struct us_flow *f = *flow_slot(fe, &ip, port);
	if (!f && !(f = flow_new(fe, &client, msg.msg_namelen)))
		return true;
	note_local(f, &msg);
	f->last_ms = evloop_now(m->loop);
	if (!evloop_timer_armed(&f->idle))
		evloop_timer_start(m->loop, &f->idle, m->cfg.udp_timeout_ms);
	STAT_ADD(m->stats.bytes, (unsigned long)n);
	if (send(f->bfd, dgram, (size_t)n, MSG_DONTWAIT) == -1 && errno != EAGAIN)
		flow_close(f);
	return true;
}

void us_udp_on_readable(struct evloop *l, struct ev_io *io, uint32_t revents)
{
	struct us_fe *fe = io->arg;
	for (int i = 0; i < DATAGRAMS_PER_EVENT; i++)
		if (!one_datagram(fe))
			return;
}

void us_udp_close_all(struct us_fe *fe)
{
	for (size_t i = 0; i < fe->n_flow_buckets; i++)
		while (fe->flows[i])
			flow_close(fe->flows[i]);
}
