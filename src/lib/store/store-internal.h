/*
 * Private to the store module: the table of operations a backend provides
 * (sqlite now, etcd later) and the part of struct store every backend
 * shares. A backend embeds struct store as the first member of its own
 * struct and fills ops; store.c dispatches the public functions.
 */
#ifndef SVCNET_STORE_STORE_INTERNAL_H
#define SVCNET_STORE_STORE_INTERNAL_H

#include <pthread.h>

#include "store/store.h"
#include "store/watchcache.h"

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	int (*create)(struct store *s, const char *key, const char *value, size_t len,
		      int64_t *rev);
	int (*update)(struct store *s, const char *key, const char *value, size_t len,
		      int64_t expect_mod_rev, struct store_kv *prev, int64_t *rev);
	int (*delete)(struct store *s, const char *key, int64_t expect_mod_rev,
		      struct store_kv *prev, int64_t *rev);
	int (*get)(struct store *s, const char *key, struct store_kv *out);
	int (*range)(struct store *s, const char *prefix, const char *start_after, size_t limit,
		     int64_t at_rev, store_range_cb cb, void *arg, int64_t *rev_out, bool *more);
	int (*count)(struct store *s, const char *prefix, int64_t *count);
	int64_t (*current_rev)(struct store *s);
	int (*compact)(struct store *s, int64_t rev);
};

struct store {
	const struct store_ops *ops;
	struct watch_cache *wc; /* owned; fed by the backend in revision order */
	pthread_mutex_t health_mu;
	char health[256]; /* last backend failure, "" when healthy */
};

/* Initialises the shared part; the backend sets wc itself. */
void store_base_init(struct store *s, const struct store_ops *ops);
/* Frees the shared part (the watch cache included), not s itself. */
void store_base_destroy(struct store *s);
/* Records the last backend failure for store_health; NULL clears it. */
void store_set_health(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * SQLite backend only: runs sql on the writer connection between batches
 * (tests use it, e.g. "PRAGMA max_page_count" to make the disk look full).
 * Returns 0 or a negative errno.
 */
int store_sqlite_exec(struct store *s, const char *sql);

#endif
