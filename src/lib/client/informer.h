/*
 * An informer: list + watch of one collection, kept as a local cache, with
 * handlers called on every change, as client-go's shared informer. It lists,
 * then watches from the list's resourceVersion (with bookmarks); when the
 * server ends the stream it watches again from the last resourceVersion; on
 * 410 Gone it re-lists and turns the difference into add/update/delete calls
 * (update only when the resourceVersion changed), so handlers never miss a
 * change. Transport errors are retried with a backoff of 100 ms doubling to
 * 5 s. Cached objects are immutable: never modify one you are handed.
 */
#ifndef SVCNET_CLIENT_INFORMER_H
#define SVCNET_CLIENT_INFORMER_H

#include "client/client.h"

#include <jansson.h>
#include <stdbool.h>

struct informer;

/* Handlers run on the informer's own thread, one at a time; objects are borrowed. */
struct informer_handlers {
	void (*on_add)(void *arg, const json_t *obj);
	void (*on_update)(void *arg, const json_t *old, const json_t *obj);
	void (*on_delete)(void *arg, const json_t *obj);
	/* After the first complete list (the cache is then "synced"). */
	void (*on_synced)(void *arg);
	void *arg;
};

/*
 * path is the collection: "/api/v1/services" (all namespaces),
 * "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/namespaces/x/pods".
 * label_selector/field_selector may be NULL. resync_s > 0 makes the informer
 * call on_update(obj, obj) for every cached object that often.
 */
struct informer *informer_new(struct kclient *c, const char *path, const char *label_selector,
			      const char *field_selector, const struct informer_handlers *h,
			      int resync_s);
/*
 * Sets how long each watch asks the server to keep the stream open (a
 * random 300 to 600 seconds by default); call before informer_start.
 * Tests use a short one to exercise the re-watch.
 */
void informer_set_watch_timeout(struct informer *inf, int seconds);
/*
 * A transform returns what the cache keeps of obj (a new reference), as
 * client-go's SetTransform: a component that reads a few fields keeps only
 * those. It must keep metadata.name, namespace and resourceVersion.
 * Handlers and informer_get see transformed objects. Set before start.
 */
typedef json_t *(*informer_transform_fn)(const json_t *obj);
void informer_set_transform(struct informer *inf, informer_transform_fn fn);

/*
 * Makes the cache keep only each object's key and resourceVersion, for a
 * component that turns every object into a compact form of its own as it
 * arrives and keeps no JSON (the DNS server). Handlers still see every
 * object (transformed, when a transform is set), with these differences:
 * on_update's old is NULL; on_delete gets the watch event's object, or, for
 * an object a re-list no longer returns, a stub holding only
 * metadata.namespace, name and resourceVersion; informer_get returns NULL,
 * informer_foreach calls nothing and there is no resync. Set before start.
 */
void informer_set_keys_only(struct informer *inf);
/*
 * Makes each list apply its pages as they arrive (kclient_list_pages), so
 * that no more than one page of JSON is decoded at a time, instead of
 * decoding the whole collection before the first handler runs. Handlers may
 * then see part of a re-list before a later page fails (the informer lists
 * again after its backoff); deletions and on_synced come after the last
 * page. Set before start.
 */
void informer_set_paged_list(struct informer *inf);

/* Starts the informer's thread. Returns 0 or a negative errno. */
int informer_start(struct informer *inf);
/* Stops the thread (waits for it) and frees the informer and its cache. */
void informer_free(struct informer *inf);

bool informer_synced(struct informer *inf);
/* Waits until synced (and on_synced has returned) or timeout_ms passes; returns synced. */
bool informer_wait_synced(struct informer *inf, int timeout_ms);

/* A cached object ("ns" NULL for cluster scope): a new reference, or NULL. */
json_t *informer_get(struct informer *inf, const char *ns, const char *name);
/* Calls fn for every cached object, under the cache lock: fn must not call the informer. */
void informer_foreach(struct informer *inf, void (*fn)(const json_t *obj, void *arg), void *arg);
size_t informer_count(struct informer *inf);
/* The resourceVersion the cache reflects. */
const char *informer_last_rv(struct informer *inf);

#endif
