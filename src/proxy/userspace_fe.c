/*
 * Userspace mode's frontends: the proxy socket of one Service port (per IP
 * family, and separately for external traffic when its endpoints differ by
 * policy), with its scheduler and affinity table, kept in a table sorted by
 * id. Runs on the event loop's thread.
 */
#include "proxy/userspace-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

socklen_t us_sockaddr(const struct ip_addr *addr, uint16_t port, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (addr->family == IP_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr->b, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, addr->b, 4);
	return sizeof(*s4);
}

void us_from_sockaddr(const struct sockaddr_storage *sa, struct ip_addr *addr, uint16_t *port)
{
	memset(addr, 0, sizeof(*addr));
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			addr->family = IP_V4;
			memcpy(addr->b, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			addr->family = IP_V6;
			memcpy(addr->b, &s6->sin6_addr, 16);
		}
		*port = ntohs(s6->sin6_port);
		return;
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	addr->family = IP_V4;
	memcpy(addr->b, &s4->sin_addr, 4);
	*port = ntohs(s4->sin_port);
}

int us_pick(struct us_fe *fe, const struct ip_addr *client, const bool *skip, bool reset,
	    struct ip_addr *addr, uint16_t *port)
{
	uint64_t now = evloop_now(fe->mode->loop);
	if (fe->aff && !reset && affinity_lookup(fe->aff, client, now, addr, port)) {
		int k = sched_find(fe->sched, addr, *port);
		if (k >= 0 && !(skip && skip[k]) && sched_dest_at(fe->sched, (size_t)k)->weight > 0)
			return k;
	}
	int k = sched_pick(fe->sched, client, &fe->vip, skip, true);
	if (k < 0)
		return -1;
	const struct sched_dest *d = sched_dest_at(fe->sched, (size_t)k);
	*addr = d->addr;
	*port = d->port;
	if (fe->aff)
		affinity_record(fe->aff, client, addr, *port, now);
	return k;
}

void us_fe_unref(struct us_fe *fe)
{
	if (--fe->refs > 0)
		return;
	sched_free(fe->sched);
	affinity_free(fe->aff);
	free(fe->flows);
	free(fe->vips);
	free(fe->id);
	free(fe->name);
	free(fe);
}

/* Binds the proxy socket on the configured address and a port the kernel picks. */
static int open_socket(struct us_fe *fe, const char *bind_address, char **err)
{
	struct ip_addr a;
	if (!bind_address || ip_addr_parse(bind_address, &a) < 0 || a.family != fe->family) {
		memset(&a, 0, sizeof(a)); /* the unspecified address of the family */
		a.family = fe->family;
	}
	struct sockaddr_storage sa;
	socklen_t len = us_sockaddr(&a, 0, &sa);
	int type = fe->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int one = 1;
	fe->lfd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fe->lfd == -1)
		goto fail;
	setsockopt(fe->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fe->family == IP_V6)
		setsockopt(fe->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fe->lfd, (struct sockaddr *)&sa, len) == -1)
		goto fail;
	if (type == SOCK_STREAM && listen(fe->lfd, 4096) == -1)
		goto fail;
	if (type == SOCK_DGRAM && fe->family == IP_V4)
		setsockopt(fe->lfd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (type == SOCK_DGRAM && fe->family == IP_V6)
		setsockopt(fe->lfd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	len = sizeof(sa);
	if (getsockname(fe->lfd, (struct sockaddr *)&sa, &len) == -1)
		goto fail;
	struct ip_addr ignored;
	us_from_sockaddr(&sa, &ignored, &fe->proxy_port);
	return 0;
fail:;
	int e = errno;
	*err = xasprintf("%s: proxy socket: %s", fe->name, strerror(e));
	if (fe->lfd >= 0)
		close(fe->lfd);
	fe->lfd = -1;
	return -e;
}

struct us_fe *us_fe_open(struct us_mode *m, const struct svcmap_port *p, bool external, char **err)
{
	struct us_fe *fe = xcalloc(1, sizeof(*fe));
	fe->refs = 1;
	fe->mode = m;
	fe->id = us_fe_id(p, external);
	fe->name = xasprintf("%s%s%s", p->key, p->family == IP_V6 ? " (IPv6)" : "",
			     external ? " (external)" : "");
	fe->protocol = p->protocol;
	fe->family = p->family;
	fe->external = external;
	fe->lfd = -1;
	evloop_timer_init(&fe->accept_resume, us_tcp_on_accept_resume, fe);
	if (open_socket(fe, m->cfg.bind_address, err) < 0)
		goto fail;
	ev_io_cb cb = fe->protocol == IPPROTO_UDP ? us_udp_on_readable : us_tcp_on_accept;
	int rc = evloop_io_add(m->loop, &fe->lio, fe->lfd, EPOLLIN, cb, fe);
	if (rc < 0) {
		*err = xasprintf("%s: epoll: %s", fe->name, strerror(-rc));
		close(fe->lfd);
		goto fail;
	}
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)evloop_now(m->loop) ^ (uintptr_t)fe;
	fe->sched = sched_new(m->cfg.scheduler, seed);
	return fe;
fail:
	free(fe->id);
	free(fe->name);
	free(fe);
	return NULL;
}

char *us_fe_id(const struct svcmap_port *p, bool external)
{
	return xasprintf("%s|%d|%c", p->key, (int)p->family, external ? 'e' : 'c');
}

static bool keep_backend(const struct ip_addr *backend, uint16_t port, void *arg)
{
	return sched_find(arg, backend, port) >= 0;
}

static void set_vips(struct us_fe *fe, const struct svcmap_port *p)
{
	free(fe->vips);
	fe->n_vips = 0;
	if (!fe->external) {
		fe->vips = xcalloc(1, sizeof(*fe->vips));
		fe->vips[fe->n_vips++] = p->cluster_ip;
		return;
	}
	fe->vips = xcalloc(p->n_external_ips + p->n_lb_ips + 1, sizeof(*fe->vips));
	for (size_t i = 0; i < p->n_external_ips; i++)
		fe->vips[fe->n_vips++] = p->external_ips[i];
	for (size_t i = 0; i < p->n_lb_ips; i++)
		fe->vips[fe->n_vips++] = p->lb_ips[i];
}

void us_fe_update(struct us_fe *fe, const struct svcmap_port *p)
{
	const struct svcmap_endpoint *eps = fe->external ? p->external_eps : p->cluster_eps;
	size_t n = fe->external ? p->n_external_eps : p->n_cluster_eps;
	struct sched_dest *d = xcalloc(n ? n : 1, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d[i].addr = eps[i].addr;
		d[i].port = eps[i].port;
		d[i].weight = 1;
	}
	uint64_t h = 1469598103934665603ull ^ n;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 16; k++)
			h = (h ^ eps[i].addr.b[k]) * 1099511628211ull;
		h = (h ^ eps[i].port) * 1099511628211ull;
	}
	sched_set_dests(fe->sched, d, n);
	free(d);
	if (p->affinity_client_ip) {
		if (!fe->aff)
			fe->aff = affinity_new(p->affinity_timeout_s);
		affinity_set_timeout(fe->aff, p->affinity_timeout_s);
		affinity_retain(fe->aff, keep_backend, fe->sched);
	} else {
		affinity_free(fe->aff);
		fe->aff = NULL;
	}
	fe->vip = p->cluster_ip;
	fe->port = p->port;
	fe->node_port = fe->external ? p->node_port : 0;
	set_vips(fe, p);
	bool changed = h != fe->eps_hash;
	fe->eps_hash = h;
	if (changed)
		log_info("proxy", "%s: %zu endpoint%s on proxy port %u", fe->name, n,
			 n == 1 ? "" : "s", fe->proxy_port);
}

void us_fe_close(struct us_fe *fe)
{
	if (fe->closed)
		return;
	fe->closed = true;
	evloop_timer_stop(fe->mode->loop, &fe->accept_resume);
	evloop_io_del(fe->mode->loop, &fe->lio, false);
	close(fe->lfd);
	fe->lfd = -1;
	if (fe->protocol == IPPROTO_UDP)
		us_udp_close_all(fe);
	log_info("proxy", "%s: proxy port %u closed", fe->name, fe->proxy_port);
	us_fe_unref(fe);
}
