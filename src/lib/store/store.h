/*
 * The store: a revisioned key/value space with compare-and-swap and watch,
 * with the semantics of etcd v3 (see DESIGN.md, "Store semantics").
 *
 * Every successful write increments the global revision by one. Keys are
 * "/registry/<resource>/<namespace>/<name>" (no namespace part for
 * cluster-scoped resources). Values are opaque bytes (canonical JSON in
 * practice). A key's mod revision is the revision of its last write and is
 * what the API server shows as metadata.resourceVersion.
 *
 * Backends: sqlite (store_sqlite.c) and, later, etcd. All functions are
 * thread safe. Errors are negative errno values:
 *   -EEXIST     create of a key that exists
 *   -ENOENT     update/delete/get of a key that does not exist
 *   -ECANCELED  update/delete whose expected mod revision does not match
 *   -ERANGE     a revision that has been compacted away (HTTP 410 Gone)
 *   -EIO, -ENOSPC, ...  the backend failed; *err (when given) says why
 */
#ifndef SVCNET_STORE_STORE_H
#define SVCNET_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct watch_cache;

struct store_kv {
	char *key;   /* owned */
	char *value; /* owned, NUL-terminated, len bytes before the NUL */
	size_t len;
	int64_t mod_rev;
	int64_t create_rev;
};

void store_kv_free(struct store_kv *kv);

/*
 * Opens (creating when missing) the SQLite store in dir/svcnet.db.
 * watch_cache_size is the number of recent events kept for watchers.
 * On failure returns a negative errno and sets *err (caller frees).
 */
int store_open_sqlite(const char *dir, size_t watch_cache_size, struct store **out, char **err)
    __attribute__((warn_unused_result));

/* Where the etcd backend finds its cluster. */
struct store_etcd_config {
	const char *servers; /* "http://127.0.0.1:2379,http://127.0.0.1:22379" */
	const char *prefix;  /* key prefix, "/registry" by default */
	const char *cafile, *certfile, *keyfile; /* TLS to etcd, or NULL */
};

/*
 * Opens the etcd backend: checks the cluster's health (a clear sentence in
 * *err when it is unreachable) and starts the watch that feeds the watch
 * cache. Same semantics as the SQLite backend; revisions are etcd's.
 */
int store_open_etcd(const struct store_etcd_config *cfg, size_t watch_cache_size,
		    struct store **out, char **err) __attribute__((warn_unused_result));

void store_close(struct store *s);

/* Creates key; fails with -EEXIST when it exists. *rev gets the new revision. */
int store_create(struct store *s, const char *key, const char *value, size_t len, int64_t *rev)
    __attribute__((warn_unused_result));

/*
 * Replaces the value of an existing key. expect_mod_rev 0 means any;
 * otherwise the key's mod revision must equal it (-ECANCELED if not).
 * prev (may be NULL) gets the value replaced (caller frees with
 * store_kv_free; left zeroed on failure). *rev gets the new revision.
 */
int store_update(struct store *s, const char *key, const char *value, size_t len,
		 int64_t expect_mod_rev, struct store_kv *prev, int64_t *rev)
    __attribute__((warn_unused_result));

/* Deletes key (same expect_mod_rev rule); prev (may be NULL) gets the last value. */
int store_delete(struct store *s, const char *key, int64_t expect_mod_rev, struct store_kv *prev,
		 int64_t *rev) __attribute__((warn_unused_result));

/* Reads the current value of key into *out (caller frees with store_kv_free). */
int store_get(struct store *s, const char *key, struct store_kv *out)
    __attribute__((warn_unused_result));

/*
 * Called for each key of a range in key order; return nonzero to stop early.
 * The kv is only valid during the call.
 */
typedef int (*store_range_cb)(const struct store_kv *kv, void *arg);

/*
 * Visits the keys that start with prefix and are > start_after (NULL or ""
 * for the first), in key order, at most limit of them (0 = no limit), as
 * they were at revision at_rev (0 = now). *rev_out gets the revision read
 * (the current one when at_rev is 0); *more is set when keys remain past the
 * limit (not when cb stopped the visit early). An at_rev below the
 * compacted revision fails with -ERANGE (the compacted revision itself is
 * still readable, as in etcd); an at_rev above the current one with -EAGAIN.
 */
int store_range(struct store *s, const char *prefix, const char *start_after, size_t limit,
		int64_t at_rev, store_range_cb cb, void *arg, int64_t *rev_out, bool *more)
    __attribute__((warn_unused_result));

/* Number of keys under prefix now. */
int store_count(struct store *s, const char *prefix, int64_t *count)
    __attribute__((warn_unused_result));

/* The current (latest committed) revision. */
int64_t store_current_rev(struct store *s);

/*
 * Forgets history older than rev; reads at and watches from a revision
 * below it get -ERANGE. A rev at or below the compacted revision is a no-op
 * (0); a rev above the current revision fails with -EINVAL.
 */
int store_compact(struct store *s, int64_t rev) __attribute__((warn_unused_result));

/* The watch cache fed by this store's committed writes (owned by the store). */
struct watch_cache *store_watch_cache(struct store *s);

/* A one-line description of the last backend failure, for /readyz ("" if none). */
const char *store_health(struct store *s);

#endif
