/*
 * The HTTP client of the Kubernetes API over libcurl. Easy handles are kept
 * in a small pool per client so that connections (and TLS sessions) are
 * reused between requests of any thread; a handle is used by one thread at
 * a time. The watch stream is split into one JSON event per line, as
 * kube-apiserver sends it.
 */
#include "client/client.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX	   8
#define CONNECT_TIMEOUT_MS 5000
#define REQUEST_TIMEOUT_MS 30000
#define LIST_PAGE	   500
#define LIST_MAX_PAGES	   100000

struct kclient {
	struct kclient_config cfg;
	pthread_mutex_t lock;
	CURL *idle[POOL_MAX];
	int nidle;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Frees every string of cfg and zeroes it. */
void kclient_config_free(struct kclient_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->token);
	free(cfg->ca_file);
	free(cfg->ca_data);
	free(cfg->cert_file);
	free(cfg->key_file);
	free(cfg->namespace);
	free(cfg->cert_data);
	free(cfg->key_data);
	memset(cfg, 0, sizeof(*cfg));
}

static void config_copy(struct kclient_config *dst, const struct kclient_config *src)
{
	dst->server = dup_or_null(src->server);
	dst->token = dup_or_null(src->token);
	dst->ca_file = dup_or_null(src->ca_file);
	dst->ca_data = dup_or_null(src->ca_data);
	dst->cert_file = dup_or_null(src->cert_file);
	dst->key_file = dup_or_null(src->key_file);
	dst->namespace = dup_or_null(src->namespace);
	dst->cert_data = dup_or_null(src->cert_data);
	dst->key_data = dup_or_null(src->key_data);
	dst->insecure = src->insecure;
}

/*
 * Creates a client from a copy of cfg. Returns 0 with *out (free with
 * kclient_free), or -EINVAL with a sentence in *err (caller frees).
 */
int kclient_new(const struct kclient_config *cfg, struct kclient **out, char **err)
{
	*out = NULL;
	if (!cfg->server || !*cfg->server) {
		*err = xstrdup("no API server given: use --server URL or --kubeconfig FILE");
		return -EINVAL;
	}
	if (strncmp(cfg->server, "http://", 7) && strncmp(cfg->server, "https://", 8)) {
		*err = xasprintf("server URL %s must start with http:// or https://", cfg->server);
		return -EINVAL;
	}
	pthread_once(&curl_once, curl_init_once);
	struct kclient *c = xcalloc(1, sizeof(*c));
	config_copy(&c->cfg, cfg);
	/* Paths are absolute, so a trailing slash would double. */
	size_t n = strlen(c->cfg.server);
	while (n > 0 && c->cfg.server[n - 1] == '/')
		c->cfg.server[--n] = '\0';
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

/* Frees the client and its pooled handles; no request may be running. */
void kclient_free(struct kclient *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	pthread_mutex_destroy(&c->lock);
	kclient_config_free(&c->cfg);
	free(c);
}

/* The server URL (borrowed). */
const char *kclient_server(const struct kclient *c)
{
	return c->cfg.server;
}

/* The configured namespace (borrowed) or NULL. */
const char *kclient_namespace(const struct kclient *c)
{
	return c->cfg.namespace;
}

static CURL *handle_get(struct kclient *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->nidle > 0)
		h = c->idle[--c->nidle];
	pthread_mutex_unlock(&c->lock);
	if (!h)
		h = curl_easy_init();
	if (!h)
		abort(); /* out of memory, as xmalloc */
	return h;
}

static void handle_put(struct kclient *c, CURL *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->nidle < POOL_MAX) {
		c->idle[c->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

static void set_tls(struct kclient *c, CURL *h)
{
	const struct kclient_config *cfg = &c->cfg;

	if (cfg->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->ca_data) {
		struct curl_blob b = {cfg->ca_data, strlen(cfg->ca_data), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
	if (cfg->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
	if (cfg->cert_data) {
		struct curl_blob b = {cfg->cert_data, strlen(cfg->cert_data), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
	}
	if (cfg->key_data) {
		struct curl_blob b = {cfg->key_data, strlen(cfg->key_data), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
	}
}

/*
 * Resets h (keeping its connections) and sets it up for one request.
 * Returns the header list, which must outlive the transfer.
 */
static struct curl_slist *setup(struct kclient *c, CURL *h, const char *method, const char *path,
				const char *ctype, const char *body, size_t len, bool stream)
{
	struct curl_slist *hdr = NULL;
	char *url = xasprintf("%s%s", c->cfg.server, path);

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, stream ? 0L : (long)REQUEST_TIMEOUT_MS);
	/* A watch may be silent for minutes; keepalive notices a vanished peer. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "svcnet/0.1");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0 || !body)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (ctype) {
		char *line = xasprintf("Content-Type: %s", ctype);
		hdr = curl_slist_append(hdr, line);
		free(line);
	}
	if (c->cfg.token) {
		char *line = xasprintf("Authorization: Bearer %s", c->cfg.token);
		hdr = curl_slist_append(hdr, line);
		free(line);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	set_tls(c, h);
	return hdr;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	sb_append(arg, p, size * n);
	return size * n;
}

/*
 * One request: returns the HTTP status with the body in *resp (caller
 * frees), or a negative errno when the server could not be reached.
 */
int kclient_request(struct kclient *c, const char *method, const char *path,
		    const char *content_type, const char *body, size_t len, char **resp,
		    size_t *resp_len)
{
	struct strbuf sb = STRBUF_INIT;
	CURL *h = handle_get(c);
	struct curl_slist *hdr = setup(c, h, method, path, content_type, body, len, false);
	long status = 0;
	int ret;

	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sb);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ret = curl_errno(rc);
		log_debug("client", "%s %s%s: %s", method, c->cfg.server, path,
			  curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	ret = (int)status;
	if (resp_len)
		*resp_len = sb.len;
	if (resp)
		*resp = sb_steal(&sb);
out:
	if (ret < 0 && resp)
		*resp = NULL;
	if (ret < 0 && resp_len)
		*resp_len = 0;
	curl_slist_free_all(hdr);
	handle_put(c, h);
	sb_free(&sb);
	return ret;
}

/* Sends obj (may be NULL) as JSON and decodes the answer into *out. */
static int json_call(struct kclient *c, const char *method, const char *path, const char *ctype,
		     const json_t *obj, json_t **out)
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	char *resp = NULL;
	size_t rlen = 0;

	if (out)
		*out = NULL;
	if (obj && !body)
		return -ENOMEM;
	int st = kclient_request(c, method, path, body ? ctype : NULL, body,
				 body ? strlen(body) : 0, &resp, &rlen);
	if (st > 0 && out && rlen > 0)
		*out = json_loadb(resp, rlen, 0, NULL);
	free(body);
	free(resp);
	return st;
}

/* GET path; returns the HTTP status or a negative errno, *out the decoded body. */
int kclient_get(struct kclient *c, const char *path, json_t **out)
{
	return json_call(c, "GET", path, NULL, NULL, out);
}

/* POST obj to path (a collection); as kclient_get. */
int kclient_post(struct kclient *c, const char *path, const json_t *obj, json_t **out)
{
	return json_call(c, "POST", path, "application/json", obj, out);
}

/* PUT obj at path; as kclient_get. */
int kclient_put(struct kclient *c, const char *path, const json_t *obj, json_t **out)
{
	return json_call(c, "PUT", path, "application/json", obj, out);
}

/* PATCH path with patch of patch_type "merge", "strategic" or "json"; as kclient_get. */
int kclient_patch(struct kclient *c, const char *path, const char *patch_type, const json_t *patch,
		  json_t **out)
{
	const char *ct = "application/merge-patch+json";

	if (patch_type && strcmp(patch_type, "strategic") == 0)
		ct = "application/strategic-merge-patch+json";
	else if (patch_type && strcmp(patch_type, "json") == 0)
		ct = "application/json-patch+json";
	return json_call(c, "PATCH", path, ct, patch, out);
}

/* DELETE path; as kclient_get. */
int kclient_delete(struct kclient *c, const char *path, json_t **out)
{
	return json_call(c, "DELETE", path, NULL, NULL, out);
}

/* Percent-escapes s for a query value. Caller frees. */
char *kclient_query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = STRBUF_INIT;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			sb_append(&sb, p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			sb_append(&sb, e, 3);
		}
	}
	return sb_steal(&sb);
}

/* Sets kind and apiVersion of list items that lack them, from the list's. */
static void fill_kinds(json_t *list, json_t *items)
{
	const char *lk = json_string_value(json_object_get(list, "kind"));
	const char *av = json_string_value(json_object_get(list, "apiVersion"));
	size_t n = lk ? strlen(lk) : 0;
	char *kind = NULL;
	size_t i;
	json_t *it;

	if (n > 4 && strcmp(lk + n - 4, "List") == 0)
		kind = strndup(lk, n - 4);
	json_array_foreach(items, i, it)
	{
		if (kind && !json_object_get(it, "kind"))
			json_object_set_new(it, "kind", json_string(kind));
		if (av && !json_object_get(it, "apiVersion"))
			json_object_set_new(it, "apiVersion", json_string(av));
	}
	free(kind);
}

/* GETs one page; returns the status, *cont the continue token (or NULL). */
static int list_page(struct kclient *c, const char *path, const char *cont, json_t **page,
		     char **next)
{
	char sep = strchr(path, '?') ? '&' : '?';
	char *esc = cont ? kclient_query_escape(cont) : NULL;
	char *url = esc ? xasprintf("%s%climit=%d&continue=%s", path, sep, LIST_PAGE, esc)
			: xasprintf("%s%climit=%d", path, sep, LIST_PAGE);
	int st = kclient_get(c, url, page);

	*next = NULL;
	free(esc);
	free(url);
	if (st != 200)
		return st;
	if (!json_is_array(json_object_get(*page, "items")))
		return -EBADMSG;
	json_t *meta = json_object_get(*page, "metadata");
	const char *tok = json_string_value(json_object_get(meta, "continue"));
	if (tok && *tok)
		*next = xstrdup(tok);
	json_object_del(meta, "continue");
	return st;
}

/*
 * Lists every page of path. Returns 200 with *out the whole list, else the
 * status with *out the Status body, or a negative errno. Caller owns *out.
 */
int kclient_list_all(struct kclient *c, const char *path, json_t **out)
{
	json_t *first = NULL, *page = NULL;
	char *cont = NULL, *next = NULL;
	int st = -EIO;

	*out = NULL;
	for (int n = 0; n < LIST_MAX_PAGES; n++) {
		st = list_page(c, path, cont, &page, &next);
		free(cont);
		cont = next;
		if (st != 200) {
			json_decref(first);
			first = NULL;
			*out = st > 0 ? page : NULL;
			if (st < 0)
				json_decref(page);
			goto out;
		}
		if (!first)
			first = page;
		else
			json_array_extend(json_object_get(first, "items"),
					  json_object_get(page, "items"));
		if (page != first)
			json_decref(page);
		page = NULL;
		if (!cont)
			break;
	}
	fill_kinds(first, json_object_get(first, "items"));
	*out = first;
out:
	free(cont);
	return st;
}

/*
 * Lists every page of path, handing each page's items to page and freeing
 * them before the next page. Returns as kclient_list_all; *out is the first
 * page without its items. Caller owns *out.
 */
int kclient_list_pages(struct kclient *c, const char *path, kclient_page_cb page, void *arg,
		       json_t **out)
{
	json_t *first = NULL, *cur = NULL;
	char *cont = NULL, *next = NULL;
	int st = -EIO;

	*out = NULL;
	for (int n = 0; n < LIST_MAX_PAGES; n++) {
		st = list_page(c, path, cont, &cur, &next);
		free(cont);
		cont = next;
		if (st != 200) {
			json_decref(first);
			*out = st > 0 ? cur : NULL;
			if (st < 0)
				json_decref(cur);
			goto out;
		}
		json_t *items = json_object_get(cur, "items");
		fill_kinds(cur, items);
		page(items, arg);
		json_array_clear(items);
		if (!first)
			first = cur;
		else
			json_decref(cur);
		cur = NULL;
		if (!cont)
			break;
	}
	*out = first;
out:
	free(cont);
	return st;
}

struct watch_ctx {
	CURL *h;
	long status;
	struct strbuf buf; /* a partial line, or the whole body of a failure */
	kclient_watch_cb cb;
	void (*tick)(void *arg);
	void *arg;
	volatile int *stop;
	struct timespec last_tick;
	int cb_ret; /* nonzero: the callback's value, ends the watch */
	int proto_err;
};

/* Decodes one event line and hands it to the callback. */
static void dispatch_line(struct watch_ctx *w, const char *line, size_t len)
{
	json_error_t jerr;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return;
	json_t *ev = json_loadb(line, len, 0, &jerr);
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	if (!type || !json_is_object(obj)) {
		log_warn("client", "malformed watch event: %s",
			 ev ? "no type or object" : jerr.text);
		w->proto_err = -EBADMSG;
	} else {
		w->cb_ret = w->cb(type, obj, w->arg);
	}
	json_decref(ev);
}

static bool watch_done(struct watch_ctx *w)
{
	return w->cb_ret || w->proto_err || (w->stop && *w->stop);
}

static size_t watch_write(char *p, size_t size, size_t n, void *arg)
{
	struct watch_ctx *w = arg;
	size_t len = size * n, start = 0;

	if (!w->status)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->status);
	sb_append(&w->buf, p, len);
	if (w->status != 200)
		return len;
	for (size_t i = 0; i < w->buf.len && !watch_done(w); i++) {
		if (w->buf.buf[i] != '\n')
			continue;
		dispatch_line(w, w->buf.buf + start, i - start);
		start = i + 1;
	}
	if (start > 0) {
		memmove(w->buf.buf, w->buf.buf + start, w->buf.len - start);
		w->buf.len -= start;
		w->buf.buf[w->buf.len] = '\0';
	}
	return watch_done(w) ? 0 : len;
}

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Called by curl at least once a second, also while the stream is idle. */
static int watch_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch_ctx *w = arg;

	if (w->stop && *w->stop)
		return 1;
	if (w->tick && ms_since(&w->last_tick) >= 1000) {
		clock_gettime(CLOCK_MONOTONIC, &w->last_tick);
		w->tick(w->arg);
	}
	return 0;
}

/*
 * A watch the server refused before streaming (403, 404, 410, 500...) is
 * handed to the callback as an ERROR event, as kube-apiserver sends a too
 * old resourceVersion in the stream, so that callers handle both alike.
 */
static int refused(struct watch_ctx *w)
{
	json_t *st = json_loadb(w->buf.buf ? w->buf.buf : "", w->buf.len, 0, NULL);

	if (!json_is_object(st) || !json_integer_value(json_object_get(st, "code"))) {
		json_decref(st);
		st = json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", "Status", "apiVersion", "v1",
			       "status", "Failure", "message", w->buf.buf ? w->buf.buf : "", "code",
			       (json_int_t)w->status);
	}
	int ret = w->cb("ERROR", st, w->arg);
	json_decref(st);
	return ret;
}

/*
 * Streams a watch of path, calling cb per event and tick (may be NULL) about
 * once a second. Returns 0 when the stream ends or *stop is set, cb's
 * nonzero value, or a negative errno on a transport or framing error.
 */
int kclient_watch_tick(struct kclient *c, const char *path, kclient_watch_cb cb,
		       void (*tick)(void *arg), void *arg, volatile int *stop)
{
	struct watch_ctx w = {.cb = cb, .tick = tick, .arg = arg, .stop = stop};
	CURL *h = handle_get(c);
	struct curl_slist *hdr = setup(c, h, "GET", path, NULL, NULL, 0, true);
	int ret = 0;

	w.h = h;
	clock_gettime(CLOCK_MONOTONIC, &w.last_tick);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &w);
	CURLcode rc = curl_easy_perform(h);
	if (!w.status)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &w.status);
	if (w.cb_ret)
		ret = w.cb_ret;
	else if (w.proto_err)
		ret = w.proto_err;
	else if (stop && *stop)
		ret = 0;
	else if (rc != CURLE_OK)
		ret = curl_errno(rc);
	else if (w.status != 200)
		ret = refused(&w);
	else if (w.buf.len > 0)
		dispatch_line(&w, w.buf.buf, w.buf.len); /* a last line without '\n' */
	if (!ret && w.cb_ret)
		ret = w.cb_ret;
	if (ret < 0)
		log_debug("client", "watch %s: %s", path, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	handle_put(c, h);
	sb_free(&w.buf);
	return ret;
}

/* Streams a watch of path; see client.h. */
int kclient_watch(struct kclient *c, const char *path, kclient_watch_cb cb, void *arg,
		  volatile int *stop)
{
	return kclient_watch_tick(c, path, cb, NULL, arg, stop);
}
