/*
 * The watch cache: a ring of the most recent committed events, in revision
 * order, that watchers read from at their own pace. A watcher that falls so
 * far behind that the ring overwrites its next event is told so
 * (-EOVERFLOW) and must be disconnected: nothing is buffered per watcher.
 */
#ifndef SVCNET_STORE_WATCHCACHE_H
#define SVCNET_STORE_WATCHCACHE_H

#include <stddef.h>
#include <stdint.h>

enum watch_event_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED };

/* Immutable once published; reference counted. */
struct watch_event {
	enum watch_event_type type;
	int64_t rev; /* revision of this write */
	char *key;   /* owned */
	char *value; /* new value; for DELETED the last value before deletion */
	size_t len;
	char *prev_value; /* value before this write (NULL for ADDED) */
	size_t prev_len;
	int refs; /* atomic */
};

struct watch_cache;
struct watcher;

/* A cache holding up to capacity events; start_rev is the store's revision now. */
struct watch_cache *watch_cache_new(size_t capacity, int64_t start_rev);
void watch_cache_free(struct watch_cache *wc);

/*
 * Publishes one committed event. Events must come in increasing revision
 * order. Copies key/value/prev. Wakes the watchers.
 */
void watch_cache_publish(struct watch_cache *wc, enum watch_event_type type, int64_t rev,
			 const char *key, const char *value, size_t len, const char *prev,
			 size_t prev_len);

/*
 * Starts a watcher on keys with the given prefix, delivering events with
 * revision > from_rev. Fails with -ERANGE (410 Gone) when from_rev is older
 * than watch_cache_oldest() (an event after from_rev is no longer held),
 * and with -ESHUTDOWN after watch_cache_shutdown. A from_rev at or beyond
 * the newest event is fine: the watcher waits for later events.
 */
int watch_cache_watch(struct watch_cache *wc, const char *prefix, int64_t from_rev,
		      struct watcher **out) __attribute__((warn_unused_result));

/*
 * Waits up to timeout_ms (< 0: no limit) for the next matching event.
 * Returns 0 and a reference in *ev (release with watch_event_put),
 * -ETIMEDOUT, -EOVERFLOW when the watcher fell behind the ring, or
 * -ESHUTDOWN after watch_cache_shutdown.
 */
int watcher_next(struct watcher *w, struct watch_event **ev, int timeout_ms);

/* The highest revision the watcher has been shown or skipped past. */
int64_t watcher_rev(const struct watcher *w);
void watcher_close(struct watcher *w);

void watch_event_put(struct watch_event *ev);

/* Number of open watchers (for /metrics). */
size_t watch_cache_watchers(struct watch_cache *wc);
/* The oldest revision a new watcher may start from. */
int64_t watch_cache_oldest(struct watch_cache *wc);
/*
 * Makes watches from a revision below rev fail with -ERANGE, as if the
 * events up to rev had been dropped (the store calls it when it compacts).
 */
void watch_cache_compact(struct watch_cache *wc, int64_t rev);
/*
 * Waits up to timeout_ms until an event is published after the point the
 * caller last saw (seen, a value this function returned; 0 at first).
 * Returns the new point. For event loops that park many watchers and wake
 * them when something happened.
 */
uint64_t watch_cache_wait(struct watch_cache *wc, uint64_t seen, int timeout_ms);

/*
 * Ends every open watcher (its next read gets -EOVERFLOW, so its client
 * re-lists) and starts the cache over at rev: for a backend whose history
 * was compacted before its watch could read it.
 */
void watch_cache_reset(struct watch_cache *wc, int64_t rev);

/* Wakes all watchers with -ESHUTDOWN; used at exit. */
void watch_cache_shutdown(struct watch_cache *wc);

#endif
