/*
 * The backend-independent part of the store: the public functions dispatch
 * through the backend's ops table (store-internal.h), and store_kv_free and
 * the health sentence are shared.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

/* Frees what kv owns and clears it; kv itself is the caller's. NULL is fine. */
void store_kv_free(struct store_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

/* See store-internal.h. */
void store_base_init(struct store *s, const struct store_ops *ops)
{
	s->ops = ops;
	s->wc = NULL;
	pthread_mutex_init(&s->health_mu, NULL);
	s->health[0] = '\0';
}

/* See store-internal.h. */
void store_base_destroy(struct store *s)
{
	watch_cache_free(s->wc);
	s->wc = NULL;
	pthread_mutex_destroy(&s->health_mu);
}

/* See store-internal.h. */
void store_set_health(struct store *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->health_mu);
	if (!fmt) {
		s->health[0] = '\0';
	} else {
		va_start(ap, fmt);
		vsnprintf(s->health, sizeof(s->health), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->health_mu);
}

/*
 * Returns a copy private to the calling thread, valid until its next call,
 * so that a concurrent failure cannot change the string under the reader.
 */
const char *store_health(struct store *s)
{
	static __thread char copy[256];

	pthread_mutex_lock(&s->health_mu);
	memcpy(copy, s->health, sizeof(copy));
	pthread_mutex_unlock(&s->health_mu);
	return copy;
}

/* Closes the store and frees everything it owns, the watch cache included. */
void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

/* See store.h. */
int store_create(struct store *s, const char *key, const char *value, size_t len, int64_t *rev)
{
	return s->ops->create(s, key, value, len, rev);
}

/* See store.h. */
int store_update(struct store *s, const char *key, const char *value, size_t len,
		 int64_t expect_mod_rev, struct store_kv *prev, int64_t *rev)
{
	return s->ops->update(s, key, value, len, expect_mod_rev, prev, rev);
}

/* See store.h. */
int store_delete(struct store *s, const char *key, int64_t expect_mod_rev, struct store_kv *prev,
		 int64_t *rev)
{
	return s->ops->delete (s, key, expect_mod_rev, prev, rev);
}

/* See store.h. */
int store_get(struct store *s, const char *key, struct store_kv *out)
{
	return s->ops->get(s, key, out);
}

/* See store.h. */
int store_range(struct store *s, const char *prefix, const char *start_after, size_t limit,
		int64_t at_rev, store_range_cb cb, void *arg, int64_t *rev_out, bool *more)
{
	return s->ops->range(s, prefix, start_after, limit, at_rev, cb, arg, rev_out, more);
}

/* See store.h. */
int store_count(struct store *s, const char *prefix, int64_t *count)
{
	return s->ops->count(s, prefix, count);
}

/* See store.h. */
int64_t store_current_rev(struct store *s)
{
	return s->ops->current_rev(s);
}

/* See store.h. */
int store_compact(struct store *s, int64_t rev)
{
	return s->ops->compact(s, rev);
}

/* See store.h. The cache is owned by the store. */
struct watch_cache *store_watch_cache(struct store *s)
{
	return s->wc;
}
