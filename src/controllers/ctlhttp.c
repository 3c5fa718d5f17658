/*
 * The controllers' HTTP endpoints on --metrics-listen: /healthz (alive),
 * /readyz (caches synced) and /metrics (Prometheus text), served by
 * libmicrohttpd from one internal thread.
 */
#include "controllers/controllers-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const ops[] = {"create", "update", "delete"};

static void counter(struct strbuf *sb, const char *name, const char *help, unsigned long v)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name, name, v);
}

static void changes(struct strbuf *sb, const char *name, const char *help, atomic_ulong *v)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 0; i < 3; i++)
		sb_printf(sb, "%s{operation=\"%s\"} %lu\n", name, ops[i], (unsigned long)v[i]);
}

static char *metrics_text(struct controllers *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct ctl_metrics *m = &c->m;
	sb_printf(&sb,
		  "# HELP svcnet_controllers_ready Whether every informer has synced.\n"
		  "# TYPE svcnet_controllers_ready gauge\nsvcnet_controllers_ready %d\n",
		  c->ready ? 1 : 0);
	counter(&sb, "svcnet_controllers_syncs_total", "Service keys synced.", m->syncs);
	counter(&sb, "svcnet_controllers_sync_errors_total", "Syncs that failed and were retried.",
		m->sync_errors);
	counter(&sb, "svcnet_controllers_stale_requeues_total",
		"Syncs put off until the caches showed an earlier write.", m->stale_requeues);
	sb_printf(&sb,
		  "# HELP svcnet_controllers_sync_seconds_total Time spent in syncs.\n"
		  "# TYPE svcnet_controllers_sync_seconds_total counter\n"
		  "svcnet_controllers_sync_seconds_total %.6f\n",
		  (double)m->sync_usec / 1e6);
	changes(&sb, "endpoint_slice_controller_changes", "EndpointSlice writes by operation.",
		m->slice_changes);
	changes(&sb, "endpoint_slice_mirroring_controller_changes",
		"Mirrored EndpointSlice writes by operation.", m->mirror_changes);
	changes(&sb, "endpoints_controller_changes", "Endpoints writes by operation.",
		m->endpoints_changes);
	counter(&sb, "svcnet_controllers_conflicts_total", "Writes answered 409 Conflict.",
		m->conflicts);
	counter(&sb, "svcnet_controllers_lb_status_writes_total",
		"Service status writes for LoadBalancer ingress.", m->lb_status_writes);
	counter(&sb, "svcnet_controllers_events_total", "Events posted.", m->events_posted);
	sb_printf(&sb,
		  "# HELP workqueue_depth Keys waiting in the queue.\n"
		  "# TYPE workqueue_depth gauge\nworkqueue_depth{name=\"services\"} %d\n",
		  workqueue_len(c->queue));
	leader_metrics(c->leader, &sb);
	if (c->pool) {
		size_t used, total;
		pthread_mutex_lock(&c->pool_lock);
		lbpool_stats(c->pool, &used, &total);
		pthread_mutex_unlock(&c->pool_lock);
		sb_printf(&sb,
			  "# HELP svcnet_lb_pool_addresses LoadBalancer pool addresses.\n"
			  "# TYPE svcnet_lb_pool_addresses gauge\n"
			  "svcnet_lb_pool_addresses{state=\"used\"} %zu\n"
			  "svcnet_lb_pool_addresses{state=\"total\"} %zu\n",
			  used, total);
	}
	return sb_steal(&sb);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct controllers *c = cls;
	unsigned code = 200;
	const char *type = "text/plain; charset=utf-8";
	char *body;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		code = 405;
		body = xstrdup("method not allowed\n");
	} else if (!strcmp(url, "/healthz") || !strcmp(url, "/livez")) {
		body = xstrdup("ok");
	} else if (!strcmp(url, "/readyz")) {
		code = c->ready ? 200 : 503;
		body = xstrdup(c->ready ? "ok" : "informers not synced");
	} else if (!strcmp(url, "/metrics")) {
		type = "text/plain; version=0.0.4; charset=utf-8";
		body = metrics_text(c);
	} else {
		code = 404;
		body = xstrdup("404 page not found\n");
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer_with_free_callback(strlen(body), body, free);
	MHD_add_response_header(resp, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Parses "ADDR:PORT" or "[V6]:PORT". */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* The port the daemon listens on. */
static int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int ctl_http_start(struct controllers *c, char **err)
{
	struct sockaddr_storage ss;
	if (parse_addr(c->cfg.metrics_listen, &ss) < 0) {
		*err = xasprintf("--metrics-listen %s: expected ADDR:PORT", c->cfg.metrics_listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	c->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, c, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 64u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!c->mhd) {
		*err = xasprintf("cannot serve metrics on %s (address in use?)",
				 c->cfg.metrics_listen);
		return -EADDRINUSE;
	}
	c->metrics_port = bound_port(c->mhd);
	log_info("controllers", "serving /healthz, /readyz, /metrics on %s (port %d)",
		 c->cfg.metrics_listen, c->metrics_port);
	return 0;
}

void ctl_http_stop(struct controllers *c)
{
	if (c->mhd)
		MHD_stop_daemon(c->mhd);
	c->mhd = NULL;
}
