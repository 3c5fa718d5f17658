/*
 * The informer: one thread that lists a collection, watches it from the
 * list's resourceVersion and keeps a cache keyed "namespace/name", as
 * client-go's reflector + shared informer. Only this thread writes the
 * cache (under the lock, so that other threads may read it) and it reads the
 * cache without the lock. Cached objects are immutable jansson references
 * (or, in keys-only mode, copies of their resourceVersions).
 */
#include "client/informer.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "client/strmap-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define WATCH_TIMEOUT_S 300
#define WATCH_GONE	1 /* the watch callback's value: 410, re-list now */
#define WATCH_FAILED	2 /* another ERROR event: re-list after a backoff */
#define RV_MAX		64

struct informer {
	struct kclient *c;
	char *path, *label_sel, *field_sel;
	struct informer_handlers h;
	int resync_s;
	pthread_t thread;
	bool started;
	volatile int stop;
	pthread_mutex_t lock; /* cache, synced, rv; cond waits on it */
	pthread_cond_t cond;
	struct strmap cache; /* key → json_t * (one reference) */
	bool synced;	     /* the first list is in the cache */
	bool notified;	     /* ... and on_synced has returned */
	char rv[RV_MAX];
	int64_t next_resync_ms;
	int events;			 /* events of the current watch */
	int watch_timeout_s;		 /* 0: random, WATCH_TIMEOUT_S to twice that */
	informer_transform_fn transform; /* NULL: objects are cached whole */
	unsigned seed;
	bool keys_only; /* the cache maps key → resourceVersion (char *) */
	bool paged;	/* lists are applied page by page */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *key_of(const json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));

	if (!name)
		return NULL;
	return ns && *ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);
}

static const char *rv_of(const json_t *obj)
{
	const char *rv =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	return rv ? rv : "";
}

static void set_rv(struct informer *inf, const char *rv)
{
	if (!rv || !*rv)
		return;
	pthread_mutex_lock(&inf->lock);
	snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
	pthread_mutex_unlock(&inf->lock);
}

/* The resourceVersion of a cached value (an object, or a string when keys_only). */
static const char *cached_rv(const struct informer *inf, const void *val)
{
	return inf->keys_only ? (const char *)val : rv_of(val);
}

/* Frees a cached value. */
static void cached_free(const struct informer *inf, void *val)
{
	if (inf->keys_only)
		free(val);
	else
		json_decref(val);
}

/* upsert when keys_only: the cache gets a copy of obj's resourceVersion. */
static void upsert_key(struct informer *inf, const char *key, json_t *obj)
{
	char *rv = xstrdup(rv_of(obj));

	obj = inf->transform ? inf->transform(obj) : json_incref(obj);
	pthread_mutex_lock(&inf->lock);
	char *old = strmap_put(&inf->cache, key, rv);
	pthread_mutex_unlock(&inf->lock);
	if (old && inf->h.on_update)
		inf->h.on_update(inf->h.arg, NULL, obj);
	else if (!old && inf->h.on_add)
		inf->h.on_add(inf->h.arg, obj);
	free(old);
	json_decref(obj);
}

/* An object holding only the metadata of key ("ns/name" or "name") and rv. */
static json_t *stub_of(const char *key, const char *rv)
{
	const char *slash = strchr(key, '/');
	json_t *meta = json_pack("{s:s}", "resourceVersion", rv);

	if (slash) {
		json_object_set_new(meta, "namespace", json_stringn(key, (size_t)(slash - key)));
		json_object_set_new(meta, "name", json_string(slash + 1));
	} else {
		json_object_set_new(meta, "name", json_string(key));
	}
	return json_pack("{s:o}", "metadata", meta);
}

/* remove_key when keys_only: on_delete gets last, or a stub of the key. */
static void remove_key_only(struct informer *inf, const char *key, const json_t *last)
{
	pthread_mutex_lock(&inf->lock);
	char *old = strmap_del(&inf->cache, key);
	pthread_mutex_unlock(&inf->lock);
	if (old && inf->h.on_delete) {
		json_t *stub = last ? NULL : stub_of(key, old);
		inf->h.on_delete(inf->h.arg, last ? last : stub);
		json_decref(stub);
	}
	free(old);
}

/* Stores obj (a new reference is taken) under key and calls on_add/on_update. */
static void upsert(struct informer *inf, const char *key, json_t *obj)
{
	if (inf->keys_only) {
		upsert_key(inf, key, obj);
		return;
	}
	obj = inf->transform ? inf->transform(obj) : json_incref(obj);
	pthread_mutex_lock(&inf->lock);
	json_t *old = strmap_put(&inf->cache, key, obj);
	pthread_mutex_unlock(&inf->lock);
	if (old && inf->h.on_update)
		inf->h.on_update(inf->h.arg, old, obj);
	else if (!old && inf->h.on_add)
		inf->h.on_add(inf->h.arg, obj);
	json_decref(old);
}

/* Removes key and calls on_delete with last (or the cached object when NULL). */
static void remove_key(struct informer *inf, const char *key, const json_t *last)
{
	if (inf->keys_only) {
		remove_key_only(inf, key, last);
		return;
	}
	pthread_mutex_lock(&inf->lock);
	json_t *old = strmap_del(&inf->cache, key);
	pthread_mutex_unlock(&inf->lock);
	if (old && inf->h.on_delete)
		inf->h.on_delete(inf->h.arg, last ? last : old);
	json_decref(old);
}

/* Builds path?query with the selectors; extra is the first parameters or "". */
static char *build_url(struct informer *inf, const char *extra)
{
	struct strbuf sb = STRBUF_INIT;
	char sep = strchr(inf->path, '?') ? '&' : '?';

	sb_puts(&sb, inf->path);
	if (*extra) {
		sb_printf(&sb, "%c%s", sep, extra);
		sep = '&';
	}
	if (inf->label_sel) {
		char *e = kclient_query_escape(inf->label_sel);
		sb_printf(&sb, "%clabelSelector=%s", sep, e);
		sep = '&';
		free(e);
	}
	if (inf->field_sel) {
		char *e = kclient_query_escape(inf->field_sel);
		sb_printf(&sb, "%cfieldSelector=%s", sep, e);
		free(e);
	}
	return sb_steal(&sb);
}

/* Deletes every cached key that the list did not return. */
static void delete_unseen(struct informer *inf, const struct strmap *seen)
{
	char **gone = xcalloc(inf->cache.len + 1, sizeof(*gone));
	size_t pos = 0, n = 0;
	const char *key;

	while (strmap_next(&inf->cache, &pos, &key, NULL))
		if (!strmap_has(seen, key))
			gone[n++] = xstrdup(key);
	for (size_t i = 0; i < n; i++) {
		remove_key(inf, gone[i], NULL);
		free(gone[i]);
	}
	free(gone);
}

/* Upserts the items of a list that changed, noting every key in seen. */
static void apply_items(struct informer *inf, json_t *items, struct strmap *seen)
{
	size_t i;
	json_t *obj;

	json_array_foreach(items, i, obj)
	{
		char *key = key_of(obj);
		if (!key)
			continue;
		strmap_put(seen, key, NULL);
		void *old = strmap_get(&inf->cache, key);
		if (!old || strcmp(cached_rv(inf, old), rv_of(obj)) != 0)
			upsert(inf, key, obj);
		free(key);
	}
}

/* Turns a fresh list into add/update/delete calls against the cache. */
static void replace(struct informer *inf, json_t *items)
{
	struct strmap seen = STRMAP_INIT;

	apply_items(inf, items, &seen);
	delete_unseen(inf, &seen);
	strmap_clear(&seen);
}

/* A paged list in progress: the keys seen so far and their count. */
struct page_ctx {
	struct informer *inf;
	struct strmap seen;
	size_t n;
};

static void apply_page(json_t *items, void *arg)
{
	struct page_ctx *p = arg;

	apply_items(p->inf, items, &p->seen);
	p->n += json_array_size(items);
}

/*
 * Lists url into the cache, page by page or whole. Returns the status as
 * kclient_list_all, *list the list object (caller frees), *n the items.
 */
static int list_into_cache(struct informer *inf, const char *url, json_t **list, size_t *n)
{
	if (!inf->paged) {
		int st = kclient_list_all(inf->c, url, list);
		json_t *items = json_object_get(*list, "items");
		if (st == 200)
			replace(inf, items);
		*n = json_array_size(items);
		return st;
	}
	struct page_ctx p = {inf, STRMAP_INIT, 0};
	int st = kclient_list_pages(inf->c, url, apply_page, &p, list);
	if (st == 200)
		delete_unseen(inf, &p.seen);
	strmap_clear(&p.seen);
	*n = p.n;
	return st;
}

/* Lists the collection and syncs the cache. Returns 0 or a negative errno. */
static int relist(struct informer *inf)
{
	char *url = build_url(inf, "");
	json_t *list = NULL;
	size_t n = 0;
	int ret = 0;

	int st = list_into_cache(inf, url, &list, &n);
	if (st != 200) {
		const char *msg = json_string_value(json_object_get(list, "message"));
		log_warn("informer", "list %s: %s", url,
			 st < 0 ? strerror(-st)
			 : msg	? msg
				: "unexpected status");
		ret = st < 0 ? st : -EIO;
		goto out;
	}
	set_rv(inf, rv_of(list));
	log_info("informer", "listed %s: %zu objects at resourceVersion %s", inf->path, n, inf->rv);
	if (!inf->synced) {
		pthread_mutex_lock(&inf->lock);
		inf->synced = true;
		pthread_mutex_unlock(&inf->lock);
		if (inf->h.on_synced)
			inf->h.on_synced(inf->h.arg);
		/* Waiters return after on_synced, so that its effects are visible. */
		pthread_mutex_lock(&inf->lock);
		inf->notified = true;
		pthread_cond_broadcast(&inf->cond);
		pthread_mutex_unlock(&inf->lock);
	}
out:
	json_decref(list);
	free(url);
	return ret;
}

/* Calls on_update(obj, obj) for every cached object when the resync period is over. */
static void resync_tick(void *arg)
{
	struct informer *inf = arg;

	if (inf->resync_s <= 0 || now_ms() < inf->next_resync_ms || !inf->synced || inf->keys_only)
		return;
	inf->next_resync_ms = now_ms() + (int64_t)inf->resync_s * 1000;
	size_t pos = 0, n = 0;
	json_t **objs = xcalloc(inf->cache.len + 1, sizeof(*objs)), *obj;
	while (strmap_next(&inf->cache, &pos, NULL, (void **)&obj))
		objs[n++] = json_incref(obj);
	for (size_t i = 0; i < n; i++) {
		if (inf->h.on_update && !inf->stop)
			inf->h.on_update(inf->h.arg, objs[i], objs[i]);
		json_decref(objs[i]);
	}
	free(objs);
}

static int on_event(const char *type, json_t *obj, void *arg)
{
	struct informer *inf = arg;

	inf->events++;
	if (strcmp(type, "ERROR") == 0) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));
		const char *msg = json_string_value(json_object_get(obj, "message"));
		log_info("informer", "watch %s: error %lld: %s", inf->path, (long long)code,
			 msg ? msg : "");
		return code == 410 ? WATCH_GONE : WATCH_FAILED;
	}
	if (strcmp(type, "BOOKMARK") != 0) {
		char *key = key_of(obj);
		if (!key) {
			log_warn("informer", "watch %s: %s event without a name", inf->path, type);
			return 0;
		}
		if (strcmp(type, "DELETED") == 0)
			remove_key(inf, key, obj);
		else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
			upsert(inf, key, obj);
		free(key);
	}
	set_rv(inf, rv_of(obj));
	return 0;
}

/* One watch from the last resourceVersion; returns kclient_watch's value. */
static int watch_once(struct informer *inf)
{
	char extra[RV_MAX + 128];

	/* As client-go, spread the watches' ends out: 5 to 10 minutes. */
	int timeout = inf->watch_timeout_s;
	if (timeout <= 0)
		timeout = WATCH_TIMEOUT_S + rand_r(&inf->seed) % WATCH_TIMEOUT_S;
	pthread_mutex_lock(&inf->lock);
	snprintf(extra, sizeof(extra),
		 "watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%d", inf->rv,
		 timeout);
	pthread_mutex_unlock(&inf->lock);
	char *url = build_url(inf, extra);
	inf->events = 0;
	int ret = kclient_watch_tick(inf->c, url, on_event, resync_tick, inf, &inf->stop);
	if (ret < 0)
		log_warn("informer", "watch %s: %s", inf->path, strerror(-ret));
	free(url);
	return ret;
}

/* Sleeps for the next backoff step unless stopped; *ms is 0 after a success. */
static void backoff(struct informer *inf, int *ms)
{
	*ms = *ms ? *ms * 2 : BACKOFF_MIN_MS;
	if (*ms > BACKOFF_MAX_MS)
		*ms = BACKOFF_MAX_MS;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += *ms / 1000;
	until.tv_nsec += (long)(*ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&inf->lock);
	while (!inf->stop && pthread_cond_timedwait(&inf->cond, &inf->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&inf->lock);
}

static void *run(void *arg)
{
	struct informer *inf = arg;
	bool need_list = true;
	int delay = 0;

	while (!inf->stop) {
		if (need_list) {
			if (relist(inf) < 0) {
				backoff(inf, &delay);
				continue;
			}
			need_list = false;
			delay = 0;
		}
		int64_t start = now_ms();
		int r = watch_once(inf);
		if (inf->stop)
			break;
		resync_tick(inf);
		if (r == WATCH_GONE) {
			need_list = true;
		} else if (r == WATCH_FAILED) {
			need_list = true;
			backoff(inf, &delay);
		} else if (r < 0 || (inf->events == 0 && now_ms() - start < 1000)) {
			/* Down, or ending watches at once: do not spin. */
			backoff(inf, &delay);
		} else {
			delay = 0;
		}
	}
	return NULL;
}

/*
 * Creates an informer of the collection path (copied) with copies of the
 * selectors (may be NULL) and handlers. Does not start it. Never NULL.
 */
struct informer *informer_new(struct kclient *c, const char *path, const char *label_selector,
			      const char *field_selector, const struct informer_handlers *h,
			      int resync_s)
{
	struct informer *inf = xcalloc(1, sizeof(*inf));
	pthread_condattr_t ca;

	inf->c = c;
	inf->path = xstrdup(path);
	inf->label_sel = label_selector && *label_selector ? xstrdup(label_selector) : NULL;
	inf->field_sel = field_selector && *field_selector ? xstrdup(field_selector) : NULL;
	if (h)
		inf->h = *h;
	inf->resync_s = resync_s;
	inf->next_resync_ms = now_ms() + (int64_t)resync_s * 1000;
	inf->seed = (unsigned)now_ms() ^ (unsigned)(uintptr_t)inf;
	pthread_mutex_init(&inf->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&inf->cond, &ca);
	pthread_condattr_destroy(&ca);
	return inf;
}

/* Sets the timeoutSeconds of each watch; call before informer_start. */
void informer_set_watch_timeout(struct informer *inf, int seconds)
{
	inf->watch_timeout_s = seconds;
}

/* Starts the informer's thread. Returns 0 or a negative errno. */
int informer_start(struct informer *inf)
{
	if (inf->started)
		return -EALREADY;
	int rc = pthread_create(&inf->thread, NULL, run, inf);
	if (rc != 0)
		return -rc;
	inf->started = true;
	return 0;
}

/* Stops and joins the thread (within about a second), frees inf and its cache. */
void informer_free(struct informer *inf)
{
	if (!inf)
		return;
	if (inf->started) {
		pthread_mutex_lock(&inf->lock);
		inf->stop = 1;
		pthread_cond_broadcast(&inf->cond);
		pthread_mutex_unlock(&inf->lock);
		pthread_join(inf->thread, NULL);
	}
	size_t pos = 0;
	void *val;
	while (strmap_next(&inf->cache, &pos, NULL, &val))
		cached_free(inf, val);
	strmap_clear(&inf->cache);
	pthread_cond_destroy(&inf->cond);
	pthread_mutex_destroy(&inf->lock);
	free(inf->path);
	free(inf->label_sel);
	free(inf->field_sel);
	free(inf);
}

/* Whether the first list has completed. */
bool informer_synced(struct informer *inf)
{
	pthread_mutex_lock(&inf->lock);
	bool s = inf->synced;
	pthread_mutex_unlock(&inf->lock);
	return s;
}

/*
 * Waits up to timeout_ms (-1: forever) for the first list and the return of
 * on_synced; returns whether that happened.
 */
bool informer_wait_synced(struct informer *inf, int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&inf->lock);
	while (!inf->notified) {
		if (timeout_ms < 0)
			pthread_cond_wait(&inf->cond, &inf->lock);
		else if (pthread_cond_timedwait(&inf->cond, &inf->lock, &until) == ETIMEDOUT)
			break;
	}
	bool s = inf->notified;
	pthread_mutex_unlock(&inf->lock);
	return s;
}

/* The cached object ns/name (ns NULL or "" for cluster scope): a new reference or NULL. */
void informer_set_transform(struct informer *inf, informer_transform_fn fn)
{
	inf->transform = fn;
}

/* Keeps only keys and resourceVersions in the cache; call before informer_start. */
void informer_set_keys_only(struct informer *inf)
{
	inf->keys_only = true;
}

/* Applies lists page by page; call before informer_start. */
void informer_set_paged_list(struct informer *inf)
{
	inf->paged = true;
}

json_t *informer_get(struct informer *inf, const char *ns, const char *name)
{
	if (inf->keys_only)
		return NULL;
	char *key = ns && *ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);

	pthread_mutex_lock(&inf->lock);
	json_t *obj = json_incref(strmap_get(&inf->cache, key));
	pthread_mutex_unlock(&inf->lock);
	free(key);
	return obj;
}

/* Calls fn for every cached object under the cache lock. */
void informer_foreach(struct informer *inf, void (*fn)(const json_t *obj, void *arg), void *arg)
{
	size_t pos = 0;
	json_t *obj;

	if (inf->keys_only)
		return;
	pthread_mutex_lock(&inf->lock);
	while (strmap_next(&inf->cache, &pos, NULL, (void **)&obj))
		fn(obj, arg);
	pthread_mutex_unlock(&inf->lock);
}

/* The number of cached objects. */
size_t informer_count(struct informer *inf)
{
	pthread_mutex_lock(&inf->lock);
	size_t n = inf->cache.len;
	pthread_mutex_unlock(&inf->lock);
	return n;
}

/*
 * The resourceVersion the cache reflects ("" before the first list): a
 * copy in a buffer of the calling thread, valid until its next call.
 */
const char *informer_last_rv(struct informer *inf)
{
	static __thread char buf[RV_MAX];

	pthread_mutex_lock(&inf->lock);
	memcpy(buf, inf->rv, sizeof(buf));
	pthread_mutex_unlock(&inf->lock);
	return buf;
}
