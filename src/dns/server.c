/*
 * dns_start and dns_stop: configuration, sockets (TCP and the UDP sockets
 * on one port, chosen by the kernel when port 0 is asked for), the metrics
 * endpoint, the threads and the informers, in the order that lets each part
 * find what it needs, and the reverse order on the way out.
 */
#include "dns/server-internal.h"

#include "base/ip.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_UDP_THREADS 64

void dns_config_defaults(struct dns_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1:53";
	cfg->domain = "cluster.local";
	cfg->metrics_listen = "127.0.0.1:9153";
	cfg->ttl = 5;
	cfg->tcp_idle_ms = 10000;
}

int dns_parse_hostport(const char *s, bool allow_zero, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[IP_STRLEN + 2];
	const char *colon = strrchr(s, ':'), *h = s;
	struct ip_addr a;
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 2 || s[hl - 1] != ']')
			return -EINVAL;
		h = s + 1;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < (allow_zero ? 0 : 1) || port > 65535 ||
	    ip_addr_parse(host, &a) < 0 || (a.family == IP_V6 && s[0] != '['))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (a.family == IP_V4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a.b, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, a.b, 16);
		*len = sizeof(*in6);
	}
	return 0;
}

static int parse_upstreams(struct dns_server *srv, const char *list, char **err)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (srv->nupstream == DNS_MAX_UPSTREAMS ||
		    dns_parse_hostport(t, false, &srv->upstream[srv->nupstream],
				       &srv->upstream_len[srv->nupstream]) < 0) {
			*err = xasprintf("--upstream %s: expected ADDR:PORT (at most %d, comma "
					 "separated)",
					 t, DNS_MAX_UPSTREAMS);
			rc = -EINVAL;
			break;
		}
		srv->nupstream++;
	}
	free(copy);
	return rc;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int bind_tcp(struct dns_server *srv, struct sockaddr_storage *ss, socklen_t len, char **err)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)ss, len) == -1 || listen(fd, 1024) == -1) {
		int e = errno;
		if (fd != -1)
			close(fd);
		*err = xasprintf("cannot listen on TCP %s: %s", srv->listen, strerror(e));
		return -e;
	}
	srv->tcp_fd = fd;
	return 0;
}

/* TCP and UDP on one port; with port 0, a port free for both. */
static int bind_all(struct dns_server *srv, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (dns_parse_hostport(srv->listen, true, &ss, &len) < 0) {
		*err = xasprintf("--listen %s: expected ADDR:PORT", srv->listen);
		return -EINVAL;
	}
	bool any = ntohs(((struct sockaddr_in *)&ss)->sin_port) == 0;
	for (int attempt = 0;; attempt++) {
		if (any)
			set_port(&ss, 0);
		int rc = bind_tcp(srv, &ss, len, err);
		if (rc < 0)
			return rc;
		srv->port = bound_port(srv->tcp_fd);
		set_port(&ss, srv->port);
		rc = dns_udp_bind(srv, &ss, len, err);
		if (rc == 0)
			return 0;
		close(srv->tcp_fd);
		srv->tcp_fd = -1;
		/* The kernel's free TCP port may be taken for UDP: pick another. */
		if (!any || attempt == 20)
			return rc;
		free(*err);
		*err = NULL;
	}
}

static struct dns_server *server_new(const struct dns_config *cfg)
{
	struct dns_server *srv = xcalloc(1, sizeof(*srv));
	srv->listen = xstrdup(cfg->listen);
	srv->domain = xstrdup(cfg->domain);
	srv->metrics_listen = cfg->metrics_listen ? xstrdup(cfg->metrics_listen) : NULL;
	srv->ttl = cfg->ttl;
	srv->tcp_idle_ms = cfg->tcp_idle_ms > 0 ? cfg->tcp_idle_ms : 10000;
	srv->tcp_fd = srv->stop_fd = srv->fwd_fd = -1;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	srv->nudp = cfg->threads > 0 ? cfg->threads : cores > 0 ? (int)cores : 1;
	if (srv->nudp > MAX_UDP_THREADS)
		srv->nudp = MAX_UDP_THREADS;
	srv->udp_fds = xmalloc((size_t)srv->nudp * sizeof(int));
	for (int i = 0; i < srv->nudp; i++)
		srv->udp_fds[i] = -1;
	srv->udp_threads = xcalloc((size_t)srv->nudp, sizeof(pthread_t));
	srv->stats = xcalloc((size_t)srv->nudp + 1, sizeof(struct dns_stats));
	pthread_mutex_init(&srv->fwd_lock, NULL);
	return srv;
}

static int start_parts(struct dns_server *srv, const struct dns_config *cfg, char **err)
{
	int rc;
	if (cfg->ttl > 3600) {
		*err = xasprintf("--ttl %u: expected 0 to 3600 seconds", cfg->ttl);
		return -EINVAL;
	}
	srv->db = dns_db_new(cfg->domain, cfg->ttl);
	if (!srv->db) {
		*err = xasprintf("--domain %s: not a valid DNS name", cfg->domain);
		return -EINVAL;
	}
	if (cfg->upstreams && *cfg->upstreams &&
	    (rc = parse_upstreams(srv, cfg->upstreams, err)) < 0)
		return rc;
	srv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->stop_fd == -1) {
		*err = xasprintf("eventfd: %s", strerror(errno));
		return -errno;
	}
	if ((rc = bind_all(srv, err)) < 0 || (rc = dns_metrics_start(srv, err)) < 0 ||
	    (rc = dns_io_start(srv, err)) < 0 || (rc = dns_udp_start(srv, err)) < 0)
		return rc;
	if (cfg->server || cfg->kubeconfig || cfg->client)
		return dns_watch_start(srv, cfg, err);
	/* No API server: only the zone's own records (tests, a pure forwarder). */
	dns_db_set_synced(srv->db, true);
	return 0;
}

int dns_start(const struct dns_config *cfg, struct dns_server **out, char **err)
{
	struct dns_server *srv = server_new(cfg);
	int rc = start_parts(srv, cfg, err);
	if (rc < 0) {
		dns_stop(srv);
		return rc;
	}
	log_info("dns",
		 "serving on %s (port %d), zone %s, %d UDP threads, upstream %s, metrics "
		 "port %d",
		 srv->listen, srv->port, srv->domain, srv->nudp,
		 srv->nupstream ? cfg->upstreams : "none (REFUSED outside the zone)",
		 srv->metrics_port);
	*out = srv;
	return 0;
}

int dns_port(const struct dns_server *srv)
{
	return srv->port;
}

int dns_metrics_port(const struct dns_server *srv)
{
	return srv->metrics_port;
}

void dns_stop(struct dns_server *srv)
{
	uint64_t one = 1;
	if (!srv)
		return;
	dns_watch_stop(srv);
	if (srv->stop_fd != -1 && write(srv->stop_fd, &one, sizeof(one)) == -1)
		log_warn("dns", "eventfd: %s", strerror(errno));
	dns_udp_stop(srv);
	dns_io_stop(srv);
	dns_metrics_stop(srv);
	for (int i = 0; i < srv->nudp; i++)
		if (srv->udp_fds[i] != -1)
			close(srv->udp_fds[i]);
	if (srv->tcp_fd != -1)
		close(srv->tcp_fd);
	if (srv->stop_fd != -1)
		close(srv->stop_fd);
	dns_db_free(srv->db);
	pthread_mutex_destroy(&srv->fwd_lock);
	free(srv->udp_fds);
	free(srv->udp_threads);
	free(srv->stats);
	free(srv->listen);
	free(srv->domain);
	free(srv->metrics_listen);
	free(srv);
}
