/*
 * The watch cache: a fixed ring of the most recent events. Events are
 * numbered by a sequence (the count of events ever published); event number
 * n lives in slot n % capacity. A watcher keeps the sequence number of the
 * next event it wants, so it costs nothing while it is idle and nothing is
 * ever buffered for it. Revisions need not be contiguous (an etcd backend
 * may skip some), which is why the ring is indexed by sequence, not revision.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "store/watchcache.h"

struct watch_cache {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct watch_event **ring;
	size_t capacity;
	uint64_t first_seq; /* sequence of the oldest event held */
	uint64_t next_seq;  /* sequence the next published event gets */
	/*
	 * Every event with a revision > base_rev is in the ring (or not yet
	 * published): a watcher may start from any revision >= base_rev.
	 */
	int64_t base_rev;
	int64_t head_rev; /* revision of the newest event (or the start revision) */
	size_t watchers;
	bool shutdown;
};

struct watcher {
	struct watch_cache *wc;
	char *prefix;
	size_t prefix_len;
	uint64_t seq;	  /* next sequence to read */
	int64_t from_rev; /* events at or below this are never shown */
	int64_t rev;	  /* highest revision shown or skipped past */
};

/* capacity of at least one keeps the arithmetic free of special cases. */
struct watch_cache *watch_cache_new(size_t capacity, int64_t start_rev)
{
	struct watch_cache *wc = xcalloc(1, sizeof(*wc));
	pthread_condattr_t ca;

	if (capacity == 0)
		capacity = 1;
	pthread_mutex_init(&wc->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wc->cond, &ca);
	pthread_condattr_destroy(&ca);
	wc->ring = xcalloc(capacity, sizeof(*wc->ring));
	wc->capacity = capacity;
	wc->base_rev = start_rev;
	wc->head_rev = start_rev;
	return wc;
}

/* Frees the cache and the events it holds; every watcher must be closed. */
void watch_cache_free(struct watch_cache *wc)
{
	if (!wc)
		return;
	for (uint64_t s = wc->first_seq; s < wc->next_seq; s++)
		watch_event_put(wc->ring[s % wc->capacity]);
	free(wc->ring);
	pthread_cond_destroy(&wc->cond);
	pthread_mutex_destroy(&wc->mu);
	free(wc);
}

static char *dup_bytes(const char *p, size_t len)
{
	char *d;

	if (!p)
		return NULL;
	d = xmalloc(len + 1);
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

/* Drops a reference; the last one frees the event. NULL is fine. */
void watch_event_put(struct watch_event *ev)
{
	if (!ev || __atomic_sub_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(ev->key);
	free(ev->value);
	free(ev->prev_value);
	free(ev);
}

/*
 * Copies the event into the ring, evicting the oldest when full. For a
 * deletion with value NULL, the value shown is prev (the last value).
 */
void watch_cache_publish(struct watch_cache *wc, enum watch_event_type type, int64_t rev,
			 const char *key, const char *value, size_t len, const char *prev,
			 size_t prev_len)
{
	struct watch_event *ev = xcalloc(1, sizeof(*ev));
	size_t slot;

	ev->type = type;
	ev->rev = rev;
	ev->key = xstrdup(key);
	if (!value && type == WATCH_DELETED) {
		value = prev;
		len = prev_len;
	}
	ev->value = dup_bytes(value ? value : "", value ? len : 0);
	ev->len = value ? len : 0;
	ev->prev_value = dup_bytes(prev, prev_len);
	ev->prev_len = prev ? prev_len : 0;
	ev->refs = 1;

	pthread_mutex_lock(&wc->mu);
	slot = wc->next_seq % wc->capacity;
	if (wc->next_seq - wc->first_seq == wc->capacity) {
		struct watch_event *old = wc->ring[slot];

		if (old->rev > wc->base_rev)
			wc->base_rev = old->rev;
		watch_event_put(old);
		wc->first_seq++;
	}
	wc->ring[slot] = ev;
	wc->next_seq++;
	wc->head_rev = rev;
	pthread_cond_broadcast(&wc->cond);
	pthread_mutex_unlock(&wc->mu);
}

/*
 * Raises the revision below which new watchers get -ERANGE to rev (the
 * store calls it when it compacts). Open watchers are not affected.
 */
void watch_cache_compact(struct watch_cache *wc, int64_t rev)
{
	pthread_mutex_lock(&wc->mu);
	if (rev > wc->base_rev)
		wc->base_rev = rev;
	pthread_mutex_unlock(&wc->mu);
}

/* The first sequence whose event has a revision > rev (next_seq if none). */
static uint64_t seq_after(const struct watch_cache *wc, int64_t rev)
{
	uint64_t lo = wc->first_seq, hi = wc->next_seq;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (wc->ring[mid % wc->capacity]->rev > rev)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * A watcher from from_rev needs every event with a revision > from_rev; that
 * holds exactly when from_rev >= base_rev. A from_rev beyond the newest
 * event is accepted: the watcher waits for later events (a list may read a
 * revision the committer has not published yet). The caller owns *out and
 * releases it with watcher_close.
 */
int watch_cache_watch(struct watch_cache *wc, const char *prefix, int64_t from_rev,
		      struct watcher **out)
{
	struct watcher *w;

	*out = NULL;
	pthread_mutex_lock(&wc->mu);
	if (wc->shutdown) {
		pthread_mutex_unlock(&wc->mu);
		return -ESHUTDOWN;
	}
	if (from_rev < wc->base_rev) {
		pthread_mutex_unlock(&wc->mu);
		return -ERANGE;
	}
	w = xcalloc(1, sizeof(*w));
	w->wc = wc;
	w->prefix = xstrdup(prefix ? prefix : "");
	w->prefix_len = strlen(w->prefix);
	w->seq = seq_after(wc, from_rev);
	w->from_rev = from_rev;
	w->rev = from_rev;
	wc->watchers++;
	pthread_mutex_unlock(&wc->mu);
	*out = w;
	return 0;
}

static bool matches(const struct watcher *w, const struct watch_event *ev)
{
	return ev->rev > w->from_rev && strncmp(ev->key, w->prefix, w->prefix_len) == 0;
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Scans forward under the lock; 1 with a reference in *ev, 0 when caught up. */
static int scan(struct watcher *w, struct watch_event **ev)
{
	struct watch_cache *wc = w->wc;

	while (w->seq < wc->next_seq) {
		struct watch_event *e = wc->ring[w->seq % wc->capacity];

		w->seq++;
		if (e->rev > w->rev)
			w->rev = e->rev;
		if (matches(w, e)) {
			__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
			*ev = e;
			return 1;
		}
	}
	if (wc->head_rev > w->rev)
		w->rev = wc->head_rev;
	return 0;
}

/* See watchcache.h. A timeout_ms < 0 waits without limit. */
int watcher_next(struct watcher *w, struct watch_event **ev, int timeout_ms)
{
	struct watch_cache *wc = w->wc;
	struct timespec deadline;
	int rc = 0;

	*ev = NULL;
	if (timeout_ms >= 0)
		deadline_after(&deadline, timeout_ms);
	pthread_mutex_lock(&wc->mu);
	for (;;) {
		if (wc->shutdown) {
			rc = -ESHUTDOWN;
			break;
		}
		if (w->seq < wc->first_seq) {
			rc = -EOVERFLOW;
			break;
		}
		if (scan(w, ev))
			break;
		if (rc == ETIMEDOUT) {
			rc = -ETIMEDOUT;
			break;
		}
		if (timeout_ms < 0)
			pthread_cond_wait(&wc->cond, &wc->mu);
		else
			rc = pthread_cond_timedwait(&wc->cond, &wc->mu, &deadline);
	}
	pthread_mutex_unlock(&wc->mu);
	return *ev ? 0 : rc;
}

/* See watchcache.h. */
int64_t watcher_rev(const struct watcher *w)
{
	return w->rev;
}

/* Closes and frees the watcher; NULL is fine. */
void watcher_close(struct watcher *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->wc->mu);
	w->wc->watchers--;
	pthread_mutex_unlock(&w->wc->mu);
	free(w->prefix);
	free(w);
}

/* See watchcache.h. */
size_t watch_cache_watchers(struct watch_cache *wc)
{
	size_t n;

	pthread_mutex_lock(&wc->mu);
	n = wc->watchers;
	pthread_mutex_unlock(&wc->mu);
	return n;
}

/* See watchcache.h. */
int64_t watch_cache_oldest(struct watch_cache *wc)
{
	int64_t rev;

	pthread_mutex_lock(&wc->mu);
	rev = wc->base_rev;
	pthread_mutex_unlock(&wc->mu);
	return rev;
}

/* See watchcache.h. Idempotent; new watchers are refused afterwards. */
void watch_cache_shutdown(struct watch_cache *wc)
{
	pthread_mutex_lock(&wc->mu);
	wc->shutdown = true;
	pthread_cond_broadcast(&wc->cond);
	pthread_mutex_unlock(&wc->mu);
}

/* See watchcache.h. */
uint64_t watch_cache_wait(struct watch_cache *wc, uint64_t seen, int timeout_ms)
{
	struct timespec deadline;
	deadline_after(&deadline, timeout_ms);
	pthread_mutex_lock(&wc->mu);
	while (wc->next_seq == seen && !wc->shutdown)
		if (pthread_cond_timedwait(&wc->cond, &wc->mu, &deadline) == ETIMEDOUT)
			break;
	uint64_t seq = wc->next_seq;
	pthread_mutex_unlock(&wc->mu);
	return seq;
}

/* See watchcache.h. */
void watch_cache_reset(struct watch_cache *wc, int64_t rev)
{
	pthread_mutex_lock(&wc->mu);
	/* Every held event is dropped, as if overwritten: open watchers see -EOVERFLOW. */
	for (uint64_t s = wc->first_seq; s < wc->next_seq; s++)
		watch_event_put(wc->ring[s % wc->capacity]);
	/* Skipping a sequence number puts even a caught-up watcher behind the ring. */
	wc->next_seq++;
	wc->first_seq = wc->next_seq;
	wc->base_rev = rev;
	wc->head_rev = rev;
	pthread_cond_broadcast(&wc->cond);
	pthread_mutex_unlock(&wc->mu);
}
