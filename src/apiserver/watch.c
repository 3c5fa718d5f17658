/*
 * Watch streams: ?watch=1 on a collection. A stream is a chunked HTTP
 * response of newline-separated {"type":..., "object":...} events, read
 * from the store's watch cache by the connection's own thread. Nothing is
 * queued per watcher: one that falls behind the cache is disconnected and
 * re-lists, as kube-apiserver's cacher does.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 1800
#define BOOKMARK_PERIOD_S 10
#define POLL_PERIOD_MS	  1000

struct stream {
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

static void stream_free(void *cls)
{
	struct stream *s = cls;
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

/* Waits for the next output; false when the stream should end. */
static bool fill(struct stream *s)
{
	while (!s->out.len) {
		double left = s->deadline - now_seconds();
		if (left <= 0 || client_gone(s))
			return false;
		struct watch_event *ev;
		int ms = left * 1000 < POLL_PERIOD_MS ? (int)(left * 1000) + 1 : POLL_PERIOD_MS;
		int rc = watcher_next(s->w, &ev, ms);
		if (rc == 0) {
			emit_event(s, ev);
			watch_event_put(ev);
		} else if (rc == -ETIMEDOUT) {
			if (s->bookmarks && now_seconds() - s->last_sent >= BOOKMARK_PERIOD_S)
				emit_bookmark(s);
		} else {
			if (rc == -EOVERFLOW)
				log_warn("apiserver",
					 "watch of %s fell behind the watch cache; "
					 "closing it so the client re-lists",
					 s->res->plural);
			return false;
		}
	}
	return true;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	if (s->off == s->out.len) {
		sb_reset(&s->out);
		s->off = 0;
		if (!fill(s))
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t n = s->out.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->out.buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
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
	r->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
						    stream_free);
	MHD_add_response_header(r->resp, "Content-Type", "application/json");
	r->code = 200;
	return;
fail:
	stream_free(s);
}
