/*
 * The HTTP side of the etcd backend: requests to etcd's v3 JSON gateway
 * with libcurl, failover across the configured endpoints, and the mapping
 * of failures to errno values the API server turns into status codes.
 *
 * Easy handles are pooled so that each keeps its connections alive across
 * requests; a request borrows one for its duration.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "store/etcd_internal.h"

#define POOL_MAX	   32
#define CONNECT_TIMEOUT_MS 1000L
#define REQUEST_TIMEOUT_MS 10000L
#define MAX_ANSWER	   ((size_t)512 << 20)

struct etcd_client {
	char **urls; /* owned, without a trailing slash */
	int n;
	int preferred; /* atomic */
	char *cafile, *certfile, *keyfile;
	pthread_mutex_t mu; /* the pool */
	CURL *pool[POOL_MAX];
	int npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* Adds one URL of the list, checking its scheme. */
static int add_url(struct etcd_client *c, const char *u, char **err)
{
	size_t len = strlen(u);

	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) {
		*err = xasprintf("--etcd-servers: \"%s\" is not an http:// or https:// URL", u);
		return -EINVAL;
	}
	while (len > 0 && u[len - 1] == '/')
		len--;
	c->urls = xrealloc(c->urls, (size_t)(c->n + 1) * sizeof(*c->urls));
	c->urls[c->n] = xmalloc(len + 1);
	memcpy(c->urls[c->n], u, len);
	c->urls[c->n][len] = '\0';
	c->n++;
	return 0;
}

/* See etcd_internal.h. */
int etcd_client_new(const struct store_etcd_config *cfg, struct etcd_client **out, char **err)
{
	struct etcd_client *c = xcalloc(1, sizeof(*c));
	char *list = xstrdup(cfg->servers ? cfg->servers : "");
	char *save = NULL;
	int rc = 0;

	pthread_once(&curl_once, curl_init_once);
	pthread_mutex_init(&c->mu, NULL);
	for (char *t = strtok_r(list, ", ", &save); t && rc == 0; t = strtok_r(NULL, ", ", &save))
		rc = add_url(c, t, err);
	if (rc == 0 && c->n == 0) {
		*err = xstrdup("--etcd-servers is empty: give at least one URL of etcd");
		rc = -EINVAL;
	}
	free(list);
	c->cafile = dup_or_null(cfg->cafile);
	c->certfile = dup_or_null(cfg->certfile);
	c->keyfile = dup_or_null(cfg->keyfile);
	if (rc) {
		etcd_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Frees the client and its pooled handles; no request may be running. */
void etcd_client_free(struct etcd_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	for (int i = 0; i < c->n; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->cafile);
	free(c->certfile);
	free(c->keyfile);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* See etcd_internal.h. */
int etcd_client_endpoints(const struct etcd_client *c)
{
	return c->n;
}

/* See etcd_internal.h. */
const char *etcd_client_endpoint(const struct etcd_client *c, int i)
{
	return c->urls[i];
}

/* See etcd_internal.h. */
int etcd_client_preferred(struct etcd_client *c)
{
	return __atomic_load_n(&c->preferred, __ATOMIC_RELAXED);
}

/* See etcd_internal.h. Only moves on when i is still the preferred one. */
void etcd_client_failed(struct etcd_client *c, int i)
{
	int next = (i + 1) % c->n;

	__atomic_compare_exchange_n(&c->preferred, &i, next, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

static CURL *get_handle(struct etcd_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->npool > 0)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->mu);
	return h ? h : curl_easy_init();
}

static void put_handle(struct etcd_client *c, CURL *h)
{
	pthread_mutex_lock(&c->mu);
	if (c->npool < POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	curl_easy_cleanup(h);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct strbuf *sb = arg;

	if (sb->len + n > MAX_ANSWER)
		return 0;
	sb_append(sb, p, size * n);
	return size * n;
}

/* The options every request to endpoint i shares: URL, TLS, no signals. */
static void common_options(struct etcd_client *c, CURL *h, int i, const char *path,
			   const char *body, struct curl_slist *hdrs)
{
	char *url = xasprintf("%s%s", c->urls[i], path);

	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (c->cafile)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cafile);
	if (c->certfile)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->certfile);
	if (c->keyfile)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->keyfile);
}

/* See etcd_internal.h. */
int etcd_grpc_errno(int code, const char *message)
{
	const char *m = message ? message : "";

	switch (code) {
	case 11: /* OutOfRange */
		return strstr(m, "compacted") ? -ERANGE : -EAGAIN;
	case 14: /* Unavailable: no leader, timeouts inside etcd, stopping */
	case 1:	 /* Canceled */
		return -EAGAIN;
	case 4: /* DeadlineExceeded */
		return -ETIMEDOUT;
	case 8: /* ResourceExhausted: the space quota */
		return -ENOSPC;
	case 3: /* InvalidArgument */
		return strstr(m, "too large") ? -EMSGSIZE : -EINVAL;
	default:
		return -EIO;
	}
}

/* Reads an answer that is not 200: etcd's error object, or only the status. */
static int http_error(long status, const struct strbuf *sb, char **msg)
{
	json_t *j = json_loadb(sb->buf ? sb->buf : "", sb->len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));
	int rc;

	if (j && m) {
		rc = etcd_grpc_errno((int)json_integer_value(json_object_get(j, "code")), m);
		*msg = xstrdup(m);
	} else {
		rc = status == 503 ? -EAGAIN : -EIO;
		*msg = xasprintf("HTTP status %ld (is it etcd's v3 gateway?)", status);
	}
	json_decref(j);
	return rc;
}

/* Maps a transfer failure; *sent tells whether the request may have reached etcd. */
static int curl_error(CURL *h, CURLcode cc, bool *sent)
{
	curl_off_t up = 0;

	curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
	*sent = up > 0 && cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST;
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EAGAIN;
	}
}

struct attempt {
	int rc;
	bool sent; /* the request may have been applied */
	char *msg; /* owned */
	json_t *resp;
};

/* One request to endpoint i; fills a. */
static void attempt_one(struct etcd_client *c, int i, const char *path, const char *body,
			struct attempt *a)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	struct strbuf sb = STRBUF_INIT;
	CURL *h = get_handle(c);
	long status = 0;
	CURLcode cc;

	memset(a, 0, sizeof(*a));
	common_options(c, h, i, path, body, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sb);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		a->rc = curl_error(h, cc, &a->sent);
		a->msg = xstrdup(curl_easy_strerror(cc));
		goto out;
	}
	a->sent = true;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		a->rc = http_error(status, &sb, &a->msg);
		goto out;
	}
	a->resp = json_loadb(sb.buf ? sb.buf : "", sb.len, 0, NULL);
	if (!a->resp) {
		a->rc = -EIO;
		a->msg = xstrdup("the answer is not JSON");
	}
out:
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	put_handle(c, h);
	curl_slist_free_all(hdrs);
	sb_free(&sb);
}

/* Whether another endpoint may be tried after this failure. */
static bool may_retry(const struct attempt *a, bool idempotent)
{
	if (a->rc != -ECONNREFUSED && a->rc != -ETIMEDOUT && a->rc != -EAGAIN)
		return false; /* a definite answer from etcd */
	if (idempotent || !a->sent)
		return true;
	/* etcd refuses a write without a leader before proposing it. */
	return a->msg && strstr(a->msg, "no leader");
}

/* See etcd_internal.h. */
int etcd_call(struct etcd_client *c, const char *path, json_t *body, bool idempotent, json_t **resp,
	      char **why)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct strbuf msgs = STRBUF_INIT;
	int first = etcd_client_preferred(c), rc = -EIO;
	struct attempt a;

	*resp = NULL;
	for (int k = 0; k < c->n; k++) {
		int i = (first + k) % c->n;

		attempt_one(c, i, path, text, &a);
		if (a.rc == 0) {
			*resp = a.resp;
			rc = 0;
			break;
		}
		rc = a.rc;
		sb_printf(&msgs, "%s%s: %s", msgs.len ? "; " : "", c->urls[i], a.msg);
		bool retry = may_retry(&a, idempotent);

		free(a.msg);
		if (!retry)
			break;
		etcd_client_failed(c, i);
	}
	free(text);
	if (why)
		*why = rc ? sb_steal(&msgs) : NULL;
	sb_free(&msgs);
	return rc;
}

/* See etcd_internal.h. */
int etcd_call_one(struct etcd_client *c, int i, const char *path, json_t *body, json_t **resp,
		  char **why)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct attempt a;

	attempt_one(c, i, path, text, &a);
	free(text);
	*resp = a.resp;
	if (why)
		*why = a.rc ? xasprintf("%s: %s", c->urls[i], a.msg) : NULL;
	free(a.msg);
	return a.rc;
}

/* See etcd_internal.h. The body must outlive the transfer: the caller keeps it. */
void *etcd_stream_handle(struct etcd_client *c, int i, const char *path, const char *body,
			 void **hdrs)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *e = curl_easy_init();

	common_options(c, e, i, path, body, h);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 2L);
	*hdrs = h;
	return e;
}

/* ---- small helpers ---- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* See etcd_internal.h. */
json_t *etcd_b64(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	json_t *j;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	j = json_string(out);
	free(out);
	return j;
}

static int b64val(char ch)
{
	const char *p = ch ? strchr(b64chars, ch) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

/* See etcd_internal.h. */
char *etcd_unb64(const char *s, size_t *len)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val(s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* See etcd_internal.h. Missing fields are 0, as the gateway omits zero values. */
int64_t etcd_int(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}
