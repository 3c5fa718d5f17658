/*
 * The allocation records of svcalloc.c in the store (svc_alloc_set_store).
 *
 * With a store (svc_alloc_set_store), every allocated item is also a record
 * of its own: /registry/ranges/serviceips/<ip> and
 * /registry/ranges/servicenodeports/<port>. Creating the record is the
 * compare-and-swap that makes the item ours (a create fails when the key
 * exists), so API servers sharing the store never hand out one item twice;
 * deleting it gives the item back. The bitmaps are this server's view: the
 * records' changes, from the watch cache, are applied before each use, and
 * when another server took an item first it is marked and allocation runs
 * again. One record per item rather than kube-apiserver's one bitmap record
 * per range: a write costs the same with 10 or 10,000 Services, and two
 * servers conflict only when they pick the same item.
 */
#include "apiserver/svcalloc-internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "store/watchcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RANGES	     "/registry/ranges/"
#define IPS_PREFIX   RANGES "serviceips/"
#define PORTS_PREFIX RANGES "servicenodeports/"
#define MAX_TRIES    16

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

static void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static char *ip_record(const struct ip_addr *ip)
{
	char buf[IP_STRLEN];
	return xasprintf(IPS_PREFIX "%s", ip_addr_format(ip, buf));
}

static char *port_record(int port)
{
	return xasprintf(PORTS_PREFIX "%d", port);
}

/* The records of everything h holds. */
static void held_records(const struct held *h, struct strv *out)
{
	for (int i = 0; i < h->nips; i++)
		strv_push(out, ip_record(&h->ips[i]));
	for (size_t i = 0; i < h->nports; i++)
		strv_push(out, port_record(h->ports[i]));
	if (h->hc > 0 && !sa_held_has_port(h, h->hc))
		strv_push(out, port_record(h->hc));
}

/* Applies one record to the bitmaps: taken when present, free when not. */
static void apply_record(struct svc_alloc *a, const char *key, bool present)
{
	struct ip_addr ip;
	if (!strncmp(key, IPS_PREFIX, strlen(IPS_PREFIX))) {
		if (ip_addr_parse(key + strlen(IPS_PREFIX), &ip) < 0)
			return;
		if (!present)
			sa_release_ip(a, &ip);
		else if (sa_take_ip(a, &ip) == -ERANGE)
			log_debug(COMPONENT, "record %s is outside the service range", key);
	} else if (!strncmp(key, PORTS_PREFIX, strlen(PORTS_PREFIX))) {
		int port = atoi(key + strlen(PORTS_PREFIX));
		if (port > 0 && present)
			(void)sa_take_port(a, port);
		else if (port > 0)
			sa_release_port(a, port);
	}
}

/* Whether the bitmaps hold the item of record key. */
static bool record_taken(const struct svc_alloc *a, const char *key)
{
	struct ip_addr ip;
	uint64_t off;
	if (!strncmp(key, IPS_PREFIX, strlen(IPS_PREFIX))) {
		if (ip_addr_parse(key + strlen(IPS_PREFIX), &ip) < 0)
			return false;
		const struct iprange *r = &a->ip[fi(ip.family)];
		return r->present && ip_offset(&r->base, &ip, &off) == 0 &&
		       alloc_bitmap_has(&r->bm, (size_t)off);
	}
	int port = atoi(key + strlen(PORTS_PREFIX));
	return port >= a->port_base && alloc_bitmap_has(&a->ports, (size_t)(port - a->port_base));
}

/* The records of every item the bitmaps hold. */
static void bitmap_records(const struct svc_alloc *a, struct strv *out)
{
	size_t off;
	for (int f = 0; f < 2; f++) {
		const struct iprange *r = &a->ip[f];
		struct ip_addr ip;
		for (size_t i = 0; r->present && alloc_bitmap_next_taken(&r->bm, i, &off) == 0;
		     i = off + 1)
			if (ip_add(&r->base, off, &ip) == 0)
				strv_push(out, ip_record(&ip));
	}
	for (size_t i = 0; alloc_bitmap_next_taken(&a->ports, i, &off) == 0; i = off + 1)
		strv_push(out, port_record(a->port_base + (int)off));
}

static int load_record(const struct store_kv *kv, void *arg)
{
	apply_record(arg, kv->key, true);
	return 0;
}

/* Makes the bitmaps exactly what the records say; under the lock. */
static int load_records(struct svc_alloc *a)
{
	bool more;
	for (int f = 0; f < 2; f++)
		alloc_bitmap_reset(&a->ip[f].bm);
	alloc_bitmap_reset(&a->ports);
	int rc = store_range(a->store, RANGES, NULL, 0, 0, load_record, a, &a->seen_rev, &more);
	if (rc < 0)
		log_warn(COMPONENT, "cannot read the allocation records: %s", strerror(-rc));
	return rc;
}

/*
 * The first sync after start-up repair: the bitmaps hold what the stored
 * Services hold (svc_alloc_mark); they become that and what the records
 * hold, and an item of a Service without a record (a store written before
 * records existed) gets one.
 */
static int first_sync(struct svc_alloc *a)
{
	struct strv mine = {0}, missing = {0};
	bitmap_records(a, &mine);
	int rc = load_records(a);
	for (size_t i = 0; i < mine.n; i++) {
		if (rc == 0 && !record_taken(a, mine.v[i]))
			strv_push(&missing, xstrdup(mine.v[i]));
		apply_record(a, mine.v[i], true); /* also when the read failed: keep them */
	}
	for (size_t i = 0; i < missing.n && rc == 0; i++) {
		int64_t rev;
		rc = store_create(a->store, missing.v[i], "{\"repaired\":true}", 17, &rev);
		rc = rc == -EEXIST ? 0 : rc;
	}
	if (rc == 0 && missing.n)
		log_info(COMPONENT, "wrote %zu allocation records for existing Services",
			 missing.n);
	a->synced = rc == 0;
	strv_free(&mine);
	strv_free(&missing);
	return rc;
}

/*
 * Brings the bitmaps up to date with the records, under the lock: applies
 * their changes since the last sync from the watch cache, or reads them all
 * when the cache no longer has those changes.
 */
int sa_sync_records(struct svc_alloc *a)
{
	struct watcher *w;
	struct watch_event *ev;
	if (!a->store)
		return 0;
	if (!a->synced)
		return first_sync(a);
	int rc = watch_cache_watch(store_watch_cache(a->store), RANGES, a->seen_rev, &w);
	if (rc == -ERANGE)
		return load_records(a);
	if (rc < 0)
		return 0; /* shutting down: the view stays as it is */
	while ((rc = watcher_next(w, &ev, 0)) == 0) {
		apply_record(a, ev->key, ev->type != WATCH_DELETED);
		watch_event_put(ev);
	}
	a->seen_rev = watcher_rev(w);
	watcher_close(w);
	return rc == -EOVERFLOW ? load_records(a) : 0;
}

/*
 * Creates the records of what taken holds. On failure deletes those it
 * created and returns -EEXIST with *conflict (caller frees) naming the
 * record another server holds, or the store's error.
 */
static int record_all(struct svc_alloc *a, const struct held *taken, const char *value,
		      char **conflict)
{
	struct strv keys = {0};
	int64_t *revs;
	size_t n = 0;
	int rc = 0;
	held_records(taken, &keys);
	revs = xcalloc(keys.n + 1, sizeof(*revs));
	for (; n < keys.n && rc == 0; n++)
		rc = store_create(a->store, keys.v[n], value, strlen(value), &revs[n]);
	if (rc == -EEXIST)
		*conflict = xstrdup(keys.v[n - 1]);
	for (size_t i = 0; rc < 0 && i + 1 < n; i++)
		if (store_delete(a->store, keys.v[i], revs[i], NULL, &revs[i]) < 0)
			log_warn(COMPONENT, "cannot delete allocation record %s", keys.v[i]);
	free(revs);
	strv_free(&keys);
	return rc;
}

/* Moves the errors of src to the end of dst. */
static void move_errs(struct field_errs *dst, struct field_errs *src)
{
	if (src->n == 0)
		return;
	if (dst->n + src->n > dst->cap) {
		dst->cap = dst->n + src->n;
		dst->v = xrealloc(dst->v, dst->cap * sizeof(*dst->v));
	}
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	free(src->v);
	memset(src, 0, sizeof(*src));
}

/* One try: allocates in memory, then records; the result is in work. */
static int alloc_try(struct svc_alloc *a, json_t *work, const json_t *old, struct field_errs *e,
		     const char *value, bool *refreshed, char **conflict)
{
	struct held taken;
	memset(&taken, 0, sizeof(taken));
	pthread_mutex_lock(&a->mu);
	int rc = sa_sync_records(a);
	if (rc == 0)
		rc = sa_alloc_all(a, work, old, e, &taken);
	if (rc == -ENOSPC && a->store && !*refreshed) {
		/* Other servers may have freed items this view still holds. */
		*refreshed = true;
		rc = load_records(a);
		pthread_mutex_unlock(&a->mu);
		return rc == 0 ? -EAGAIN : rc;
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == 0 && a->store)
		rc = record_all(a, &taken, value, conflict);
	if (rc < 0 && rc != -EINVAL && rc != -ENOSPC) {
		pthread_mutex_lock(&a->mu);
		sa_release_held(a, &taken);
		if (*conflict)
			apply_record(a, *conflict, true);
		pthread_mutex_unlock(&a->mu);
	}
	sa_held_free(&taken);
	return rc;
}

/*
 * Allocates for svc (old: the stored object on update) and records the
 * allocation, trying again when another API server took an item first.
 */
int sa_alloc_recorded(struct svc_alloc *a, json_t *svc, const json_t *old, struct field_errs *errs)
{
	char *value = xasprintf("{\"service\":\"%s/%s\"}", sa_name_of(svc, "namespace"),
				sa_name_of(svc, "name"));
	bool refreshed = false;
	int rc = -EAGAIN;
	for (int i = 0; i < MAX_TRIES && rc == -EAGAIN; i++) {
		struct field_errs e = FIELD_ERRS_INIT;
		json_t *work = json_deep_copy(svc);
		char *conflict = NULL;
		rc = alloc_try(a, work, old, &e, value, &refreshed, &conflict);
		if (rc == -EEXIST) {
			log_debug(COMPONENT, "%s was taken by another API server; again", conflict);
			rc = -EAGAIN;
		} else if (rc == 0) {
			json_object_clear(svc);
			json_object_update(svc, work);
		}
		if (rc != -EAGAIN || i + 1 == MAX_TRIES)
			move_errs(errs, &e);
		field_errs_free(&e);
		free(conflict);
		json_decref(work);
	}
	if (rc < 0 && rc != -EINVAL && rc != -ENOSPC)
		field_errs_add(errs, FE_INTERNAL, "spec", NULL,
			       "cannot record the allocation in the store: %s", strerror(-rc));
	free(value);
	return rc;
}

/* Deletes the records of what h holds, then frees the items in the bitmaps. */
void sa_release_recorded(struct svc_alloc *a, const struct held *h)
{
	struct strv keys = {0};
	int64_t rev;
	if (a->store)
		held_records(h, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		int rc = store_delete(a->store, keys.v[i], 0, NULL, &rev);
		if (rc < 0 && rc != -ENOENT)
			log_warn(COMPONENT, "cannot delete allocation record %s: %s", keys.v[i],
				 strerror(-rc));
	}
	strv_free(&keys);
	pthread_mutex_lock(&a->mu);
	sa_release_held(a, h);
	pthread_mutex_unlock(&a->mu);
}

/* See svcalloc.h. */
void svc_alloc_set_store(struct svc_alloc *a, struct store *s)
{
	pthread_mutex_lock(&a->mu);
	a->store = s;
	a->synced = false;
	a->seen_rev = 0;
	pthread_mutex_unlock(&a->mu);
}
