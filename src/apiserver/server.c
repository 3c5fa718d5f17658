/*
 * The HTTP side of the API server: libmicrohttpd with one thread per
 * connection (a watch blocks its own thread, never another request), body
 * accumulation with the 3 MiB limit, dispatch, responses, metrics.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "apiserver/auth.h"
#include "apiserver/svcalloc.h"
#include "base/log.h"
#include "store/store.h"
#include "store/watchcache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define WORKERS		 16
#define MAX_CONNECTIONS	 4000
#define MAX_HEADER_BYTES (128 * 1024)

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void reply_raw(struct req *r, unsigned code, const char *content_type, char *body, size_t len)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	MHD_add_response_header(r->resp, "Content-Type", content_type);
	r->code = code;
}

void reply_json(struct req *r, unsigned code, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s)
		abort();
	reply_raw(r, code, "application/json", s, strlen(s));
}

void reply_status(struct req *r, unsigned code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	reply_json(r, code, api_status((int)code, reason, msg));
	free(msg);
}

void reply_not_found(struct req *r, const struct api_resource *res, const char *name)
{
	char *msg = *res->group ? xasprintf("%s.%s \"%s\" not found", res->plural, res->group, name)
				: xasprintf("%s \"%s\" not found", res->plural, name);
	reply_json(r, 404, api_status_details(404, "NotFound", msg, res->group, res->plural, name));
	free(msg);
}

static void reply_metrics(struct req *r)
{
	struct strbuf sb = STRBUF_INIT;
	struct apiserver *srv = r->srv;
	metrics_render(&srv->metrics, &sb);
	size_t used, total, pused, ptotal;
	svc_alloc_stats(srv->alloc, &used, &total, &pused, &ptotal);
	sb_printf(&sb,
		  "# TYPE apiserver_registered_watchers gauge\napiserver_registered_watchers %zu\n"
		  "# TYPE apiserver_storage_revision gauge\napiserver_storage_revision %lld\n"
		  "# TYPE svcnet_clusterip_allocated gauge\nsvcnet_clusterip_allocated %zu\n"
		  "# TYPE svcnet_clusterip_total gauge\nsvcnet_clusterip_total %zu\n"
		  "# TYPE svcnet_nodeport_allocated gauge\nsvcnet_nodeport_allocated %zu\n"
		  "# TYPE svcnet_nodeport_total gauge\nsvcnet_nodeport_total %zu\n"
		  "# TYPE apiserver_current_inflight_requests gauge\n"
		  "apiserver_current_inflight_requests{request_kind=\"readOnly\"} %d\n"
		  "apiserver_current_inflight_requests{request_kind=\"mutating\"} %d\n"
		  "# TYPE apiserver_dropped_requests_total "
		  "counter\napiserver_dropped_requests_total %lu\n",
		  watch_cache_watchers(store_watch_cache(srv->store)),
		  (long long)store_current_rev(srv->store), used, total, pused, ptotal,
		  __atomic_load_n(&srv->inflight, __ATOMIC_RELAXED),
		  __atomic_load_n(&srv->inflight_mutating, __ATOMIC_RELAXED),
		  __atomic_load_n(&srv->throttled, __ATOMIC_RELAXED));
	reply_raw(r, 200, "text/plain; version=0.0.4", sb_steal(&sb), sb.len);
}

static bool health_handle(struct req *r)
{
	const char *p = r->path;
	if (!strcmp(p, "/healthz") || !strcmp(p, "/livez") || !strncmp(p, "/healthz/", 9) ||
	    !strncmp(p, "/livez/", 7)) {
		r->verb = "health";
		reply_raw(r, 200, "text/plain", xstrdup("ok"), 2);
		return true;
	}
	if (!strcmp(p, "/readyz") || !strncmp(p, "/readyz/", 8)) {
		r->verb = "health";
		const char *h = store_health(r->srv->store);
		if (*h) {
			char *msg = xasprintf("[-]store failed: %s\nreadyz check failed", h);
			reply_raw(r, 500, "text/plain", msg, strlen(msg));
		} else {
			reply_raw(r, 200, "text/plain", xstrdup("ok"), 2);
		}
		return true;
	}
	return false;
}

/* The Kubernetes verb of a routed request, for authorization. */
static const char *authz_verb(struct req *r, bool watch)
{
	const char *m = r->method;
	if (!strcmp(m, "GET"))
		return r->name ? "get" : watch ? "watch" : "list";
	if (!strcmp(m, "POST"))
		return "create";
	if (!strcmp(m, "PUT"))
		return "update";
	if (!strcmp(m, "PATCH"))
		return "patch";
	if (!strcmp(m, "DELETE"))
		return r->name ? "delete" : "deletecollection";
	return m;
}

/*
 * With --token-file: 401 without a valid bearer token, 403 when the user's
 * role does not allow verb on the routed resource (NULL: a non-resource
 * path). Returns true when the request may go on.
 */
static bool authorize(struct req *r, const char *verb)
{
	if (!r->srv->tokens)
		return true;
	if (!r->user) {
		r->verb = "unauthorized";
		reply_status(r, 401, "Unauthorized", "Unauthorized");
		return false;
	}
	if (auth_allowed(r->user, verb, r->res, r->sub))
		return true;
	r->verb = "forbidden";
	char *what = r->sub ? xasprintf("%s/%s", r->res->plural, r->sub) : xstrdup(r->res->plural);
	char *where = r->ns ? xasprintf(" in the namespace \"%s\"", r->ns) : xstrdup("");
	char *msg = xasprintf("%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API "
			      "group \"%s\"%s",
			      r->res->plural, r->user->name, verb, what, r->res->group, where);
	reply_json(
	    r, 403,
	    api_status_details(403, "Forbidden", msg, r->res->group, r->res->plural, r->name));
	free(msg);
	free(where);
	free(what);
	return false;
}

static bool is_mutating(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

/*
 * Admission by count, as kube-apiserver's --max-requests-inflight and
 * --max-mutating-requests-inflight: over the limit → 429 with Retry-After.
 * Returns true when admitted (the caller must call inflight_leave).
 */
static bool inflight_enter(struct req *r)
{
	struct apiserver *srv = r->srv;
	bool mut = is_mutating(r->method);
	int *counter = mut ? &srv->inflight_mutating : &srv->inflight;
	int limit = mut ? srv->cfg.max_mutating_inflight : srv->cfg.max_inflight;
	if (__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST) <= limit)
		return true;
	__atomic_sub_fetch(counter, 1, __ATOMIC_SEQ_CST);
	r->verb = "throttled";
	reply_status(r, 429, "TooManyRequests", "Too many requests, please try again later.");
	MHD_add_response_header(r->resp, "Retry-After", "1");
	__atomic_add_fetch(&srv->throttled, 1, __ATOMIC_RELAXED);
	return false;
}

static void inflight_leave(struct req *r)
{
	int *counter = is_mutating(r->method) ? &r->srv->inflight_mutating : &r->srv->inflight;
	__atomic_sub_fetch(counter, 1, __ATOMIC_SEQ_CST);
}

static void dispatch(struct req *r)
{
	if (r->smuggled) {
		/* Both framings at once is how requests are smuggled: refuse and close. */
		r->verb = "badrequest";
		reply_status(r, 400, "BadRequest",
			     "a request may not carry both Content-Length and Transfer-Encoding");
		MHD_add_response_header(r->resp, "Connection", "close");
		return;
	}
	if (r->body_too_large) {
		r->verb = "toolarge";
		reply_status(r, 413, "RequestEntityTooLarge",
			     "the request body is larger than the limit of %d bytes", MAX_BODY);
		return;
	}
	if (health_handle(r))
		return;
	if (r->srv->tokens)
		r->user = auth_authenticate(r->srv->tokens, req_header(r, "Authorization"));
	int routed = route_parse(r);
	const char *w = req_query(r, "watch");
	bool watch =
	    !r->name && !strcmp(r->method, "GET") && w && (!strcmp(w, "1") || !strcmp(w, "true"));
	if (!authorize(r, routed == 0 ? authz_verb(r, watch) : "get"))
		return;
	if (routed < 0) {
		if (!strcmp(r->path, "/metrics")) {
			r->verb = "metrics";
			reply_metrics(r);
		} else if (!discovery_handle(r)) {
			r->verb = "notfound";
			reply_status(r, 404, "NotFound",
				     "the server could not find the requested resource");
		}
	} else if (watch) {
		watch_handle(r); /* long-running: not counted in flight, as in kube-apiserver */
	} else if (inflight_enter(r)) {
		rest_handle(r);
		inflight_leave(r);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->srv = cls;
		r->conn = conn;
		r->method = method;
		r->path = xstrdup(url);
		r->start = now_seconds();
		r->verb = "other";
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > MAX_BODY)
			r->body_too_large = true;
		if (cl && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_TRANSFER_ENCODING))
			r->smuggled = true;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > MAX_BODY)
			r->body_too_large = true;
		else if (!r->body_too_large)
			sb_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	dispatch(r);
	if (!r->resp)
		reply_status(r, 500, "InternalError", "no response");
	if (r->warning)
		MHD_add_response_header(r->resp, "Warning", r->warning);
	MHD_add_response_header(r->resp, "Cache-Control", "no-cache, private");
	enum MHD_Result ret = MHD_queue_response(conn, r->code, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	if (!r)
		return;
	struct apiserver *srv = cls;
	const char *resource = r->res ? r->res->plural : "";
	metrics_observe(&srv->metrics, r->verb, resource, r->code, now_seconds() - r->start);
	if (r->res && strcmp(r->verb, "get") && strcmp(r->verb, "list") && strcmp(r->verb, "watch"))
		log_info("apiserver", "%s %s %u %.1fms", r->method, r->path, r->code,
			 (now_seconds() - r->start) * 1000);
	sb_free(&r->body);
	free(r->path);
	free(r->ns);
	free(r->name);
	free(r->sub);
	free(r->warning);
	free(r);
	*con_cls = NULL;
}

/*
 * Parses "ADDR:PORT" or "[V6]:PORT" into ss. A non-loopback address is
 * refused unless secure (TLS and token authentication both configured).
 */
static int parse_listen(const char *listen, bool secure, struct sockaddr_storage *ss, char **err)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		goto bad;
	memcpy(host, listen, colon - listen);
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		goto bad;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			goto bad;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) && !secure)
			goto nonlocal;
		return 0;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		goto bad;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127 && !secure)
		goto nonlocal;
	return 0;
bad:
	*err = xasprintf("--listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:8080", listen);
	return -EINVAL;
nonlocal:
	*err = xasprintf("--listen %s: a non-loopback address needs TLS and token authentication "
			 "(--tls-cert, --tls-key and --token-file); give them, or listen on "
			 "127.0.0.1",
			 listen);
	return -EPERM;
}

static int start_http(struct apiserver *srv, char **err)
{
	struct sockaddr_storage ss;
	int rc = parse_listen(srv->cfg.listen, srv->tls_cert && srv->tokens, &ss, err);
	if (rc < 0)
		return rc;
	/*
	 * A pool of event-loop threads (epoll): an idle or slow client costs a
	 * socket, never a thread; watches suspend while they have nothing to say.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
	    {MHD_OPTION_END, 0, NULL},
	};
	if (srv->tls_cert)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	srv->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)WORKERS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.idle_timeout_s,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)MAX_HEADER_BYTES, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!srv->mhd) {
		*err = xasprintf("cannot listen on %s: %s", srv->cfg.listen, strerror(errno));
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	socklen_t len = sizeof(ss);
	if (info && getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) == 0)
		srv->port =
		    ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static char *read_file(const char *flag, const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		*err = xasprintf("--%s %s: %s", flag, path, strerror(errno));
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	return sb_steal(&sb);
}

/* Loads --token-file, --tls-cert and --tls-key. */
static int load_security(struct apiserver *srv, char **err)
{
	const struct apiserver_config *cfg = &srv->cfg;
	if (admission_new(cfg, &srv->admission, err) < 0)
		return -EINVAL;
	if (cfg->token_file && auth_tokens_load(cfg->token_file, &srv->tokens, err) < 0)
		return -EINVAL;
	if (!cfg->tls_cert != !cfg->tls_key) {
		*err = xstrdup("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (!cfg->tls_cert)
		return 0;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		*err = xstrdup("this libmicrohttpd was built without TLS");
		return -ENOTSUP;
	}
	srv->tls_cert = read_file("tls-cert", cfg->tls_cert, err);
	if (srv->tls_cert)
		srv->tls_key = read_file("tls-key", cfg->tls_key, err);
	return srv->tls_key ? 0 : -EINVAL;
}

static void free_security(struct apiserver *srv)
{
	auth_tokens_free(srv->tokens);
	admission_free(srv->admission);
	free(srv->tls_cert);
	free(srv->tls_key);
}

void apiserver_config_defaults(struct apiserver_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->data_dir = "./data";
	cfg->listen = "127.0.0.1:8080";
	cfg->service_cidrs = "10.96.0.0/12";
	cfg->node_port_range = "30000-32767";
	cfg->watch_cache_size = 20000;
	cfg->max_inflight = 400;
	cfg->idle_timeout_s = 60;
	cfg->max_mutating_inflight = 200;
	cfg->store = "sqlite";
	cfg->etcd_servers = "http://127.0.0.1:2379";
	cfg->etcd_prefix = "/registry";
}

int apiserver_start(const struct apiserver_config *cfg, struct apiserver **out, char **err)
{
	struct apiserver *srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	metrics_init(&srv->metrics);
	pthread_mutex_init(&srv->janitor_lock, NULL);
	pthread_cond_init(&srv->janitor_cond, NULL);
	struct svc_alloc_config ac = {cfg->service_cidrs, cfg->node_port_range};
	int rc = load_security(srv, err);
	if (rc < 0)
		goto fail;
	rc = svc_alloc_new(&ac, &srv->alloc, err);
	if (rc < 0)
		goto fail;
	if (!strcmp(cfg->store, "etcd")) {
		struct store_etcd_config ec = {cfg->etcd_servers, cfg->etcd_prefix,
					       cfg->etcd_cafile, cfg->etcd_certfile,
					       cfg->etcd_keyfile};
		rc = store_open_etcd(&ec, cfg->watch_cache_size, &srv->store, err);
	} else {
		rc = store_open_sqlite(cfg->data_dir, cfg->watch_cache_size, &srv->store, err);
	}
	if (rc < 0)
		goto fail;
	/* Several API servers share one etcd: allocations become records in the store. */
	if (!strcmp(cfg->store, "etcd"))
		svc_alloc_set_store(srv->alloc, srv->store);
	rc = rest_bootstrap(srv, err);
	if (rc < 0)
		goto fail;
	rc = watch_hub_start(srv);
	if (rc < 0) {
		*err = xstrdup("cannot start the watch thread");
		goto fail;
	}
	rc = start_http(srv, err);
	if (rc < 0)
		goto fail;
	pthread_create(&srv->janitor, NULL, rest_janitor, srv);
	log_info("apiserver", "serving on %s (port %d), store %s at revision %lld", cfg->listen,
		 srv->port, strcmp(cfg->store, "etcd") ? cfg->data_dir : cfg->etcd_servers,
		 (long long)store_current_rev(srv->store));
	*out = srv;
	return 0;
fail:
	if (srv->hub) {
		watch_hub_stop(srv);
		watch_hub_free(srv);
	}
	if (srv->store)
		store_close(srv->store);
	if (srv->alloc)
		svc_alloc_free(srv->alloc);
	free_security(srv);
	free(srv);
	return rc;
}

int apiserver_port(const struct apiserver *srv)
{
	return srv->port;
}

void apiserver_stop(struct apiserver *srv)
{
	srv->stopping = 1;
	pthread_mutex_lock(&srv->janitor_lock);
	pthread_cond_broadcast(&srv->janitor_cond);
	pthread_mutex_unlock(&srv->janitor_lock);
	pthread_join(srv->janitor, NULL);
	watch_hub_stop(srv);
	MHD_stop_daemon(srv->mhd);
	watch_hub_free(srv);
	store_close(srv->store);
	svc_alloc_free(srv->alloc);
	free_security(srv);
	free(srv);
}
