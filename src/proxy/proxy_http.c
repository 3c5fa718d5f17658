/*
 * The proxy's HTTP endpoints, on --metrics-listen: /healthz (200 unless
 * changes have waited for longer than twice the sync period, as
 * kube-proxy's healthz), /readyz (200 once a sync succeeded) and /metrics.
 */
#include "proxy/proxy-internal.h"

#include "base/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type,
			       char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(strlen(body), body, free);
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static bool healthy(struct proxy *p, char **why)
{
	pthread_mutex_lock(&p->lock);
	double waiting = p->pending_since ? proxy_wall() - p->pending_since : 0;
	pthread_mutex_unlock(&p->lock);
	double limit = 2.0 * p->sync_ms / 1000.0;
	if (limit < 60)
		limit = 60;
	if (waiting > limit) {
		*why = xasprintf("changes have waited %.0f s to be synced\n", waiting);
		return false;
	}
	*why = xstrdup("ok\n");
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	struct proxy *p = cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return respond(conn, 405, "text/plain", xstrdup("method not allowed\n"));
	if (!strcmp(url, "/healthz") || !strcmp(url, "/livez")) {
		char *why;
		bool ok = healthy(p, &why);
		return respond(conn, ok ? 200 : 503, "text/plain", why);
	}
	if (!strcmp(url, "/readyz")) {
		bool ok = proxy_ready(p);
		return respond(conn, ok ? 200 : 503, "text/plain",
			       xstrdup(ok ? "ok\n" : "not synced yet\n"));
	}
	if (!strcmp(url, "/metrics")) {
		struct strbuf sb = STRBUF_INIT;
		proxy_metrics_render(&p->metrics, &sb);
		if (p->ops->metrics)
			p->ops->metrics(p->mode, &sb);
		return respond(conn, 200, "text/plain; version=0.0.4", sb_steal(&sb));
	}
	return respond(conn, 404, "text/plain", xstrdup("not found\n"));
}

/* Parses "ADDR:PORT" or "[ADDR6]:PORT". */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	char host[64];
	size_t hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = 0;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -EINVAL;
}

int proxy_http_start(struct proxy *p, char **err)
{
	struct sockaddr_storage ss;
	if (!p->metrics_listen || !strcmp(p->metrics_listen, "none"))
		return 0;
	if (parse_addr(p->metrics_listen, &ss) < 0) {
		*err = xasprintf("--metrics-listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:10249",
				 p->metrics_listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	p->http = MHD_start_daemon(flags, 0, NULL, NULL, on_request, p, MHD_OPTION_SOCK_ADDR,
				   (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				   MHD_OPTION_END);
	if (!p->http) {
		*err =
		    xasprintf("cannot serve metrics on %s: %s", p->metrics_listen, strerror(errno));
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->http, MHD_DAEMON_INFO_LISTEN_FD);
	socklen_t len = sizeof(ss);
	if (info && getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) == 0)
		p->metrics_port =
		    ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void proxy_http_stop(struct proxy *p)
{
	if (p->http)
		MHD_stop_daemon(p->http);
	p->http = NULL;
}
