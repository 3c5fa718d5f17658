/*
 * Watch streams: ?watch=1 on a collection. A stream is a chunked HTTP
 * response of newline-separated {"type":..., "object":...} events read
 * from the store's watch cache. A stream with nothing to send is suspended
 * (it holds no worker thread); the hub thread resumes the suspended streams
 * whenever the cache publishes, and once a second for timeouts and
 * bookmarks. Nothing is queued per watcher: one that falls behind the cache
 * is disconnected and re-lists, as kube-apiserver's cacher does.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "api/object.h"
#include "api/selector.h"
#include "api/table.h"
#include "base/log.h"
#include "store/store.h"
#include "store/watchcache.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 1800
#define BOOKMARK_PERIOD_S 10
#define TICK_MS		  1000
#define CHUNK_BYTES	  (64 * 1024)

struct watch_hub {
	pthread_mutex_t mu;
	struct stream *streams; /* every open stream */
	uint64_t seq;		/* the cache's publish point, as last seen */
	bool stopping;
	pthread_t thread;
	struct watch_cache *wc;
};

struct stream {
	struct stream *next, *prev; /* in the hub's list */
	struct watch_hub *hub;
	struct MHD_Connection *conn;
	bool suspended;
	uint64_t seen; /* hub->seq when the stream last looked for events */
	const struct api_resource *res;
	struct watcher *w;
	struct label_selector *ls;
	struct field_selector *fs;
	bool table, bookmarks;
	char include[16];
	double deadline, last_sent;
	int fd;
	struct strbuf out; /* formatted, not yet handed to MHD */
	size_t off;
};

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED"};

static void hub_unlink(struct stream *s)
{
	struct watch_hub *h = s->hub;
	pthread_mutex_lock(&h->mu);
	if (s->prev)
		s->prev->next = s->next;
	else if (h->streams == s)
		h->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&h->mu);
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	if (s->hub)
		hub_unlink(s);
	if (s->w)
		watcher_close(s->w);
	label_selector_free(s->ls);
	field_selector_free(s->fs);
	sb_free(&s->out);
	free(s);
}

static bool matches(struct stream *s, const json_t *obj)
{
	if (!obj)
		return false;
	json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	return (!s->ls || label_selector_matches(s->ls, labels)) &&
	       (!s->fs || field_selector_matches(s->fs, obj));
}

/* Appends one event with the object given as stored JSON at revision rev. */
static void emit(struct stream *s, const char *type, const char *json, size_t len, int64_t rev)
{
	sb_printf(&s->out, "{\"type\":\"%s\",\"object\":", type);
	if (s->table) {
		json_t *items = json_array();
		json_t *obj = api_object_decode(json, len, rev);
		if (obj)
			json_array_append_new(items, obj);
		json_t *t = api_table(s->res, items, s->include, NULL);
		char *text = json_dumps(t, JSON_COMPACT);
		sb_puts(&s->out, text);
		free(text);
		json_decref(t);
		json_decref(items);
	} else {
		api_object_append_with_rv(&s->out, json, len, rev);
	}
	sb_puts(&s->out, "}\n");
	s->last_sent = now_seconds();
}

/* Turns a cache event into a stream event, translating for selectors. */
static void emit_event(struct stream *s, const struct watch_event *ev)
{
	const char *type = type_names[ev->type];
	if (s->ls || s->fs) {
		json_t *cur = json_loadb(ev->value, ev->len, 0, NULL);
		json_t *prev =
		    ev->prev_value ? json_loadb(ev->prev_value, ev->prev_len, 0, NULL) : NULL;
		bool now = matches(s, cur);
		bool before = ev->type == WATCH_MODIFIED && matches(s, prev);
		json_decref(cur);
		json_decref(prev);
		if (ev->type == WATCH_MODIFIED && before != now)
			type = now ? "ADDED" : "DELETED";
		else if (!now)
			return;
	}
	emit(s, type, ev->value, ev->len, ev->rev);
}

static void emit_bookmark(struct stream *s)
{
	sb_printf(&s->out,
		  "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
		  "\"metadata\":{\"resourceVersion\":\"%lld\"}}}\n",
		  s->res->kind, s->res->api_version, (long long)watcher_rev(s->w));
	s->last_sent = now_seconds();
}

static bool client_gone(struct stream *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLRDHUP};
	return s->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Takes what the cache has for the stream now; false when the stream should end. */
static bool fill(struct stream *s)
{
	if (now_seconds() >= s->deadline || client_gone(s))
		return false;
	pthread_mutex_lock(&s->hub->mu);
	s->seen = s->hub->seq;
	bool stopping = s->hub->stopping;
	pthread_mutex_unlock(&s->hub->mu);
	if (stopping)
		return false;
	while (s->out.len < CHUNK_BYTES) {
		struct watch_event *ev;
		int rc = watcher_next(s->w, &ev, 0);
		if (rc == -ETIMEDOUT)
			break;
		if (rc < 0) {
			if (rc == -EOVERFLOW)
				log_warn("apiserver",
					 "watch of %s fell behind the watch cache; "
					 "closing it so the client re-lists",
					 s->res->plural);
			return false;
		}
		emit_event(s, ev);
		watch_event_put(ev);
	}
	if (!s->out.len && s->bookmarks && now_seconds() - s->last_sent >= BOOKMARK_PERIOD_S)
		emit_bookmark(s);
	return true;
}

/* Suspends the connection until the hub sees something new (unless it already has). */
static void park(struct stream *s)
{
	pthread_mutex_lock(&s->hub->mu);
	if (s->hub->seq == s->seen && !s->hub->stopping) {
		s->suspended = true;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&s->hub->mu);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	if (s->off == s->out.len) {
		sb_reset(&s->out);
		s->off = 0;
		if (!fill(s))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!s->out.len) {
			park(s);
			return 0;
		}
	}
	size_t n = s->out.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->out.buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Resumes suspended streams: those behind the cache, or all of them on a tick. */
static void hub_wake(struct watch_hub *h, bool all)
{
	for (struct stream *s = h->streams; s; s = s->next) {
		if (s->suspended && (all || s->seen != h->seq)) {
			s->suspended = false;
			MHD_resume_connection(s->conn);
		}
	}
}

static void *hub_run(void *arg)
{
	struct watch_hub *h = arg;
	uint64_t seen = 0;
	double tick = now_seconds() + TICK_MS / 1000.0;
	for (;;) {
		uint64_t seq = watch_cache_wait(h->wc, seen, TICK_MS);
		pthread_mutex_lock(&h->mu);
		bool all = now_seconds() >= tick || h->stopping;
		h->seq = seen = seq;
		hub_wake(h, all);
		bool stop = h->stopping;
		pthread_mutex_unlock(&h->mu);
		if (stop)
			return NULL;
		if (all)
			tick = now_seconds() + TICK_MS / 1000.0;
	}
}

int watch_hub_start(struct apiserver *srv)
{
	struct watch_hub *h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	h->wc = store_watch_cache(srv->store);
	if (pthread_create(&h->thread, NULL, hub_run, h) != 0) {
		free(h);
		return -EAGAIN;
	}
	srv->hub = h;
	return 0;
}

void watch_hub_stop(struct apiserver *srv)
{
	struct watch_hub *h = srv->hub;
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_mutex_unlock(&h->mu);
	watch_cache_shutdown(h->wc);
	pthread_join(h->thread, NULL);
}

void watch_hub_free(struct apiserver *srv)
{
	free(srv->hub);
	srv->hub = NULL;
}

static int initial_visit(const struct store_kv *kv, void *arg)
{
	struct stream *s = arg;
	if (s->ls || s->fs) {
		json_t *obj = json_loadb(kv->value, kv->len, 0, NULL);
		bool ok = matches(s, obj);
		json_decref(obj);
		if (!ok)
			return 0;
	}
	emit(s, "ADDED", kv->value, kv->len, kv->mod_rev);
	return 0;
}

/* The stream's parameters; replies 400 and returns -EINVAL when malformed. */
static int parse_params(struct req *r, struct stream *s, int64_t *from, bool *initial)
{
	char *err = NULL;
	const char *ls = req_query(r, "labelSelector"), *fs = req_query(r, "fieldSelector");
	const char *rv = req_query(r, "resourceVersion"), *to = req_query(r, "timeoutSeconds");
	const char *bm = req_query(r, "allowWatchBookmarks"), *inc = req_query(r, "includeObject");
	if ((ls && *ls && label_selector_parse(ls, &s->ls, &err) < 0) ||
	    (fs && *fs && field_selector_parse(fs, r->res->field_labels, &s->fs, &err) < 0)) {
		reply_status(r, 400, "BadRequest", "%s", err);
		free(err);
		return -EINVAL;
	}
	char *end = NULL;
	*initial = !rv || !*rv || !strcmp(rv, "0");
	*from = *initial ? 0 : strtoll(rv, &end, 10);
	if (!*initial && (*end || *from < 0)) {
		reply_status(r, 400, "BadRequest", "invalid resourceVersion: %s", rv);
		return -EINVAL;
	}
	long t = to && *to ? strtol(to, NULL, 10) : DEFAULT_TIMEOUT_S;
	s->deadline = now_seconds() + (t > 0 ? t : DEFAULT_TIMEOUT_S);
	s->bookmarks = bm && (!strcmp(bm, "true") || !strcmp(bm, "1"));
	snprintf(s->include, sizeof(s->include), "%s", inc && *inc ? inc : "Metadata");
	s->table = wants_table(r);
	return 0;
}

/* Answers a too-old resourceVersion the way kube-apiserver's cacher does: an ERROR event. */
static void reply_expired(struct req *r, int64_t from)
{
	int64_t oldest = watch_cache_oldest(store_watch_cache(r->srv->store));
	char *msg =
	    xasprintf("too old resource version: %lld (%lld)", (long long)from, (long long)oldest);
	json_t *ev =
	    json_pack("{s:s, s:o}", "type", "ERROR", "object", api_status(410, "Expired", msg));
	char *text = json_dumps(ev, JSON_COMPACT);
	char *line = xasprintf("%s\n", text);
	reply_raw(r, 200, "application/json", line, strlen(line));
	free(text);
	free(msg);
	json_decref(ev);
}

void watch_handle(struct req *r)
{
	r->verb = "watch";
	struct stream *s = xcalloc(1, sizeof(*s));
	s->res = r->res;
	int64_t from = 0;
	bool initial;
	if (parse_params(r, s, &from, &initial) < 0)
		goto fail;
	char *prefix = key_prefix(r->res, r->ns);
	int rc = 0;
	if (initial) {
		bool more;
		rc = store_range(r->srv->store, prefix, NULL, 0, 0, initial_visit, s, &from, &more);
	}
	if (rc == 0)
		rc = watch_cache_watch(store_watch_cache(r->srv->store), prefix, from, &s->w);
	free(prefix);
	if (rc == -ERANGE) {
		reply_expired(r, from);
		goto fail;
	}
	if (rc < 0) {
		reply_store_error(r, rc);
		goto fail;
	}
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	s->fd = ci ? ci->connect_fd : -1;
	s->last_sent = now_seconds();
	s->conn = r->conn;
	s->hub = r->srv->hub;
	pthread_mutex_lock(&s->hub->mu);
	s->next = s->hub->streams;
	if (s->next)
		s->next->prev = s;
	s->hub->streams = s;
	s->seen = s->hub->seq;
	pthread_mutex_unlock(&s->hub->mu);
	r->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CHUNK_BYTES, stream_read, s,
						    stream_free);
	MHD_add_response_header(r->resp, "Content-Type", "application/json");
	r->code = 200;
	return;
fail:
	stream_free(s);
}
