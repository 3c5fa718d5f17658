/*
 * The store conformance suite: what store.h promises, checked against any
 * backend. A test file includes this header, provides a conf_backend (how
 * to open its store again on the same data, and how to wait for its watch
 * cache) and runs conf_tests with a fixture per test.
 *
 * Revisions are counted from the fixture's base (the store's revision when
 * the test began: 0 for a fresh SQLite store, anything for a shared etcd),
 * and every key is under /registry/, as the API server's are.
 */
#ifndef SVCNET_TESTS_STORE_CONFORMANCE_H
#define SVCNET_TESTS_STORE_CONFORMANCE_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/watchcache.h"

struct conf_fixture;

struct conf_backend {
	const char *name;
	/* Opens the fixture's store (again after a close: the same data). */
	struct store *(*open)(struct conf_fixture *f, size_t watch_cache_size);
	/* Returns once the watch cache holds every write committed so far. */
	void (*sync)(struct store *s);
};

struct conf_fixture {
	const struct conf_backend *b;
	char dir[64];	 /* the backend's data (SQLite) */
	char prefix[64]; /* the backend's key space (etcd) */
	struct store *s;
	int64_t base;
};

#define R(n) (f->base + (n))

static void conf_reopen(struct conf_fixture *f, size_t wcs)
{
	store_close(f->s);
	f->s = f->b->open(f, wcs);
	f->b->sync(f->s);
}

static int64_t conf_put(struct store *s, const char *key, const char *value)
{
	int64_t rev = 0;

	assert_int_equal(store_create(s, key, value, strlen(value), &rev), 0);
	return rev;
}

static void conf_check_value(struct store *s, const char *key, const char *value, int64_t mod_rev)
{
	struct store_kv kv;

	assert_int_equal(store_get(s, key, &kv), 0);
	assert_string_equal(kv.key, key);
	assert_int_equal(kv.len, strlen(value));
	assert_string_equal(kv.value, value);
	assert_int_equal(kv.mod_rev, mod_rev);
	store_kv_free(&kv);
}

static void conf_create_get_update_delete(void **state)
{
	struct conf_fixture *f = *state;
	struct store *s = f->s;
	struct store_kv kv, prev;
	int64_t rev = 0;

	assert_int_equal(store_current_rev(s), R(0));
	assert_int_equal(conf_put(s, "/registry/pods/ns/a", "one"), R(1));
	assert_int_equal(store_create(s, "/registry/pods/ns/a", "x", 1, &rev), -EEXIST);
	assert_int_equal(store_get(s, "/registry/pods/ns/b", &kv), -ENOENT);
	conf_check_value(s, "/registry/pods/ns/a", "one", R(1));

	assert_int_equal(store_update(s, "/registry/pods/ns/a", "two", 3, R(7), &prev, &rev),
			 -ECANCELED);
	assert_null(prev.value);
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "two", 3, R(1), &prev, &rev), 0);
	assert_int_equal(rev, R(2));
	assert_string_equal(prev.value, "one");
	assert_string_equal(prev.key, "/registry/pods/ns/a");
	assert_int_equal(prev.mod_rev, R(1));
	store_kv_free(&prev);
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "three", 5, 0, NULL, &rev), 0);
	assert_int_equal(rev, R(3));
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), 0);
	assert_int_equal(kv.create_rev, R(1));
	assert_int_equal(kv.mod_rev, R(3));
	store_kv_free(&kv);
	assert_int_equal(store_update(s, "/registry/pods/ns/b", "x", 1, 0, NULL, &rev), -ENOENT);
	assert_int_equal(store_update(s, "/registry/pods/ns/b", "x", 1, R(3), NULL, &rev), -ENOENT);

	assert_int_equal(store_delete(s, "/registry/pods/ns/a", R(2), NULL, &rev), -ECANCELED);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", R(3), &prev, &rev), 0);
	assert_int_equal(rev, R(4));
	assert_string_equal(prev.value, "three");
	store_kv_free(&prev);
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), -ENOENT);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 0, NULL, &rev), -ENOENT);
	/* Failed writes take no revision; a re-create starts a new life. */
	assert_int_equal(store_current_rev(s), R(4));
	assert_int_equal(conf_put(s, "/registry/pods/ns/a", "again"), R(5));
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), 0);
	assert_int_equal(kv.create_rev, R(5));
	store_kv_free(&kv);
}

static void conf_binary_value(void **state)
{
	struct conf_fixture *f = *state;
	struct store_kv kv;
	int64_t rev;

	assert_int_equal(store_create(f->s, "/registry/bin", "a\0b", 3, &rev), 0);
	assert_int_equal(store_get(f->s, "/registry/bin", &kv), 0);
	assert_int_equal(kv.len, 3);
	assert_memory_equal(kv.value, "a\0b", 3);
	assert_int_equal(kv.value[3], '\0');
	store_kv_free(&kv);
	assert_int_equal(store_create(f->s, "/registry/empty", NULL, 0, &rev), 0);
	assert_int_equal(store_get(f->s, "/registry/empty", &kv), 0);
	assert_int_equal(kv.len, 0);
	assert_string_equal(kv.value, "");
	store_kv_free(&kv);
}

struct conf_collect {
	char keys[64][64];
	char values[64][32];
	int64_t mod[64];
	int n;
	int stop_after;
};

static int conf_collect_cb(const struct store_kv *kv, void *arg)
{
	struct conf_collect *c = arg;

	snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s", kv->key);
	snprintf(c->values[c->n], sizeof(c->values[0]), "%s", kv->value);
	c->mod[c->n] = kv->mod_rev;
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static int conf_range(struct store *s, const char *prefix, const char *after, size_t limit,
		      int64_t at, struct conf_collect *c, int64_t *rev, bool *more)
{
	memset(c, 0, sizeof(*c));
	return store_range(s, prefix, after, limit, at, conf_collect_cb, c, rev, more);
}

static void conf_range_prefix_limit_more(void **state)
{
	struct conf_fixture *f = *state;
	struct store *s = f->s;
	const char *names[] = {"e", "b", "a", "d", "c"};
	const char *p = "/registry/pods/ns1/";
	struct conf_collect c;
	int64_t rev, count;
	bool more;
	char key[64];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "%s%s", p, names[i]);
		conf_put(s, key, names[i]);
	}
	conf_put(s, "/registry/pods/ns10/z", "z");
	conf_put(s, "/registry/pods/ns2/x", "x");
	conf_put(s, "/registry/services/specs/ns1/a", "svc");

	assert_int_equal(conf_range(s, p, NULL, 2, 0, &c, &rev, &more), 0);
	assert_int_equal(rev, R(8));
	assert_int_equal(c.n, 2);
	assert_true(more);
	assert_string_equal(c.keys[0], "/registry/pods/ns1/a");
	assert_string_equal(c.keys[1], "/registry/pods/ns1/b");
	snprintf(key, sizeof(key), "%s", c.keys[1]);
	assert_int_equal(conf_range(s, p, key, 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_true(more);
	assert_string_equal(c.keys[0], "/registry/pods/ns1/c");
	assert_int_equal(conf_range(s, p, "/registry/pods/ns1/d", 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_false(more);
	assert_string_equal(c.values[0], "e");
	/* Exactly limit keys left: no more. */
	assert_int_equal(conf_range(s, p, "/registry/pods/ns1/c", 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_false(more);

	assert_int_equal(conf_range(s, "/registry/pods/", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 7);
	assert_string_equal(c.keys[5], "/registry/pods/ns10/z");
	assert_int_equal(conf_range(s, "", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(conf_range(s, "/registry/", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(conf_range(s, "/registry/nodes/", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 0);
	c.stop_after = 3;
	assert_int_equal(store_range(s, "", NULL, 0, 0, conf_collect_cb, &c, &rev, &more), 0);
	assert_int_equal(c.n, 3);
	assert_false(more);

	assert_int_equal(store_count(s, p, &count), 0);
	assert_int_equal(count, 5);
	assert_int_equal(store_count(s, "", &count), 0);
	assert_int_equal(count, 8);
	assert_int_equal(store_count(s, "/registry/nodes/", &count), 0);
	assert_int_equal(count, 0);
}

/* a=v1@1, b@2, a=v2@3, b deleted@4, c@5 */
static void conf_history(struct conf_fixture *f)
{
	int64_t rev;

	conf_put(f->s, "/registry/r/a", "v1");
	conf_put(f->s, "/registry/r/b", "b");
	assert_int_equal(store_update(f->s, "/registry/r/a", "v2", 2, 0, NULL, &rev), 0);
	assert_int_equal(store_delete(f->s, "/registry/r/b", 0, NULL, &rev), 0);
	conf_put(f->s, "/registry/r/c", "c");
	assert_int_equal(rev, R(4));
	f->b->sync(f->s);
}

static void conf_range_at_old_revision(void **state)
{
	struct conf_fixture *f = *state;
	struct store *s = f->s;
	const char *p = "/registry/r/";
	struct conf_collect c;
	int64_t rev;
	bool more;

	conf_history(f);
	assert_int_equal(conf_range(s, p, NULL, 0, R(2), &c, &rev, &more), 0);
	assert_int_equal(rev, R(2));
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v1");
	assert_int_equal(c.mod[0], R(1));
	assert_string_equal(c.keys[1], "/registry/r/b");
	assert_int_equal(conf_range(s, p, NULL, 0, R(3), &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v2");
	assert_int_equal(c.mod[0], R(3));
	assert_int_equal(conf_range(s, p, NULL, 1, R(2), &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_true(more);
	assert_string_equal(c.keys[0], "/registry/r/a");
	assert_int_equal(conf_range(s, p, NULL, 1, R(4), &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_false(more);
	assert_int_equal(conf_range(s, p, "/registry/r/a", 0, R(1), &c, &rev, &more), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(conf_range(s, p, NULL, 0, R(5), &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.keys[1], "/registry/r/c");
	assert_int_equal(conf_range(s, p, NULL, 0, R(6), &c, &rev, &more), -EAGAIN);
}

static void conf_compaction(void **state)
{
	struct conf_fixture *f = *state;
	struct watch_cache *wc;
	struct conf_collect c;
	struct watcher *w;
	struct watch_event *ev;
	int64_t rev;
	bool more;

	conf_history(f);
	wc = store_watch_cache(f->s);
	assert_int_equal(store_compact(f->s, R(6)), -EINVAL);
	assert_int_equal(store_compact(f->s, R(3)), 0);
	assert_int_equal(store_compact(f->s, R(2)), 0);
	assert_int_equal(conf_range(f->s, "/registry/r/", NULL, 0, R(2), &c, &rev, &more), -ERANGE);
	/* The compact revision itself stays readable: b's row at 2 was kept. */
	assert_int_equal(conf_range(f->s, "/registry/r/", NULL, 0, R(3), &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v2");
	assert_string_equal(c.keys[1], "/registry/r/b");
	assert_int_equal(watch_cache_watch(wc, "/registry/", R(2), &w), -ERANGE);
	assert_int_equal(watch_cache_watch(wc, "/registry/", R(3), &w), 0);
	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->rev, R(4));
	watch_event_put(ev);
	watcher_close(w);

	/* Compacting at the current revision after a delete drops the tombstone too. */
	assert_int_equal(store_compact(f->s, R(5)), 0);
	assert_int_equal(conf_range(f->s, "/registry/r/", NULL, 0, R(5), &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	conf_reopen(f, 1000);
	wc = store_watch_cache(f->s);
	assert_int_equal(store_current_rev(f->s), R(5));
	assert_int_equal(conf_range(f->s, "/registry/r/", NULL, 0, R(4), &c, &rev, &more), -ERANGE);
	assert_int_equal(watch_cache_watch(wc, "/registry/", R(4), &w), -ERANGE);
	assert_int_equal(watch_cache_oldest(wc), R(5));
	assert_int_equal(conf_put(f->s, "/registry/r/d", "d"), R(6));
	assert_int_equal(conf_range(f->s, "/registry/r/", NULL, 0, R(5), &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
}

static void conf_watch_from_revision(void **state)
{
	struct conf_fixture *f = *state;
	struct store *s = f->s;
	struct watcher *w;
	struct watch_event *ev;
	int64_t rev;

	conf_put(s, "/registry/pods/ns/a", "a1");
	assert_int_equal(watch_cache_watch(store_watch_cache(s), "/registry/pods/", R(1), &w), 0);
	conf_put(s, "/registry/services/specs/ns/a", "svc");
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "a2", 2, R(1), NULL, &rev), 0);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 0, NULL, &rev), 0);

	assert_int_equal(watcher_next(w, &ev, 2000), 0);
	assert_int_equal(ev->type, WATCH_MODIFIED);
	assert_int_equal(ev->rev, R(3));
	assert_string_equal(ev->key, "/registry/pods/ns/a");
	assert_string_equal(ev->value, "a2");
	assert_string_equal(ev->prev_value, "a1");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 2000), 0);
	assert_int_equal(ev->type, WATCH_DELETED);
	assert_int_equal(ev->rev, R(4));
	assert_string_equal(ev->value, "a2");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 50), -ETIMEDOUT);
	watcher_close(w);
}

static void conf_slow_watcher_overflows(void **state)
{
	struct conf_fixture *f = *state;
	struct watcher *w;
	struct watch_event *ev;
	char key[32];

	conf_reopen(f, 4);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/registry/", R(0), &w), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/registry/k/%d", i);
		conf_put(f->s, key, "v");
	}
	f->b->sync(f->s);
	assert_int_equal(watcher_next(w, &ev, 100), -EOVERFLOW);
	watcher_close(w);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/registry/", R(5), &w),
			 -ERANGE);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/registry/", R(6), &w), 0);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->rev, R(7));
	watch_event_put(ev);
	watcher_close(w);
}

static void conf_next_event(struct watcher *w, int64_t rev, enum watch_event_type type)
{
	struct watch_event *ev;

	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->rev, rev);
	assert_int_equal(ev->type, type);
	watch_event_put(ev);
}

static void conf_reopen_keeps_data_and_events(void **state)
{
	struct conf_fixture *f = *state;
	struct watcher *w;
	struct watch_event *ev;

	conf_history(f);
	conf_reopen(f, 1000);
	assert_int_equal(store_current_rev(f->s), R(5));
	conf_check_value(f->s, "/registry/r/a", "v2", R(3));
	assert_int_equal(conf_put(f->s, "/registry/r/e", "e"), R(6));
	/* A watcher resumes across the restart, with previous values. */
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/registry/r/", R(2), &w), 0);
	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->rev, R(3));
	assert_int_equal(ev->type, WATCH_MODIFIED);
	assert_string_equal(ev->prev_value, "v1");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->type, WATCH_DELETED);
	assert_string_equal(ev->value, "b");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->type, WATCH_ADDED);
	assert_null(ev->prev_value);
	watch_event_put(ev);
	conf_next_event(w, R(6), WATCH_ADDED);
	watcher_close(w);
	/* A small cache after reopen keeps only the last events. */
	conf_reopen(f, 2);
	assert_int_equal(watch_cache_oldest(store_watch_cache(f->s)), R(4));
}

#define CONF_THREADS	16
#define CONF_PER_THREAD 150

struct conf_writer {
	struct store *s;
	int id;
	int64_t revs[CONF_PER_THREAD];
	int failures;
};

static void *conf_create_many(void *arg)
{
	struct conf_writer *w = arg;
	char key[64], value[128];

	for (int i = 0; i < CONF_PER_THREAD; i++) {
		snprintf(key, sizeof(key), "/registry/pods/t%d/p%d", w->id, i);
		snprintf(value, sizeof(value), "{\"kind\":\"Pod\",\"t\":%d,\"i\":%d}", w->id, i);
		if (store_create(w->s, key, value, strlen(value), &w->revs[i]))
			w->failures++;
	}
	return NULL;
}

static double conf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conf_cmp_rev(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Runs n writers; returns creates per second. */
static double conf_run_writers(struct store *s, struct conf_writer *ws, int n)
{
	pthread_t t[CONF_THREADS];
	double t0 = conf_now();

	for (int i = 0; i < n; i++) {
		ws[i].s = s;
		ws[i].id = i;
		pthread_create(&t[i], NULL, conf_create_many, &ws[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return n * CONF_PER_THREAD / (conf_now() - t0);
}

static void conf_concurrent_writers(void **state)
{
	struct conf_fixture *f = *state;
	static struct conf_writer ws[CONF_THREADS];
	static int64_t all[CONF_THREADS * CONF_PER_THREAD];
	int64_t count;
	double rate;

	memset(ws, 0, sizeof(ws));
	rate = conf_run_writers(f->s, ws, CONF_THREADS);
	printf("# %s, %d threads: %.0f creates/s\n", f->b->name, CONF_THREADS, rate);
	for (int i = 0; i < CONF_THREADS; i++) {
		assert_int_equal(ws[i].failures, 0);
		memcpy(&all[i * CONF_PER_THREAD], ws[i].revs, sizeof(ws[i].revs));
	}
	qsort(all, CONF_THREADS * CONF_PER_THREAD, sizeof(all[0]), conf_cmp_rev);
	for (int i = 0; i < CONF_THREADS * CONF_PER_THREAD; i++)
		assert_int_equal(all[i], R(i + 1));
	conf_reopen(f, 1000);
	assert_int_equal(store_current_rev(f->s), R(CONF_THREADS * CONF_PER_THREAD));
	assert_int_equal(store_count(f->s, "/registry/pods/", &count), 0);
	assert_int_equal(count, CONF_THREADS * CONF_PER_THREAD);
	conf_check_value(f->s, "/registry/pods/t3/p7", "{\"kind\":\"Pod\",\"t\":3,\"i\":7}",
			 ws[3].revs[7]);
}

static void conf_single_writer_rate(void **state)
{
	struct conf_fixture *f = *state;
	static struct conf_writer ws[1];

	memset(ws, 0, sizeof(ws));
	printf("# %s, 1 thread: %.0f creates/s\n", f->b->name, conf_run_writers(f->s, ws, 1));
	assert_int_equal(ws[0].failures, 0);
	assert_int_equal(store_current_rev(f->s), R(CONF_PER_THREAD));
}

struct conf_racer {
	struct store *s;
	int wins, conflicts;
};

/* Increments a counter with compare-and-swap, retrying on conflict. */
static void *conf_race(void *arg)
{
	struct conf_racer *r = arg;
	int64_t rev;

	if (store_create(r->s, "/registry/race", "0", 1, &rev) == 0)
		r->wins++;
	for (int i = 0; i < 20; i++) {
		struct store_kv kv;
		char v[32];
		int rc;

		do {
			assert_int_equal(store_get(r->s, "/registry/race", &kv), 0);
			snprintf(v, sizeof(v), "%d", atoi(kv.value) + 1);
			rc = store_update(r->s, "/registry/race", v, strlen(v), kv.mod_rev, NULL,
					  &rev);
			store_kv_free(&kv);
			if (rc == -ECANCELED)
				r->conflicts++;
		} while (rc == -ECANCELED);
		assert_int_equal(rc, 0);
	}
	return NULL;
}

static void conf_concurrent_cas(void **state)
{
	struct conf_fixture *f = *state;
	struct conf_racer r[8];
	pthread_t t[8];
	int wins = 0, conflicts = 0;
	struct store_kv kv;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 8; i++) {
		r[i].s = f->s;
		pthread_create(&t[i], NULL, conf_race, &r[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		wins += r[i].wins;
		conflicts += r[i].conflicts;
	}
	assert_int_equal(wins, 1);
	assert_int_equal(store_get(f->s, "/registry/race", &kv), 0);
	assert_string_equal(kv.value, "160");
	assert_int_equal(kv.mod_rev, R(161));
	store_kv_free(&kv);
	printf("# %s cas: %d conflicts retried\n", f->b->name, conflicts);
}

/* The child writes until killed, reporting each acknowledged revision on fd. */
static void conf_write_until_killed(struct conf_fixture *f, int fd)
{
	struct store *s = f->b->open(f, 100);
	char key[64];
	int64_t rev;

	for (int i = 0;; i++) {
		snprintf(key, sizeof(key), "/registry/k/%d", i);
		if (store_create(s, key, key, strlen(key), &rev) ||
		    write(fd, &rev, sizeof(rev)) != sizeof(rev))
			_exit(1);
	}
}

static void conf_acknowledged_writes_survive_kill(void **state)
{
	struct conf_fixture *f = *state;
	int64_t rev, last = 0, count;
	struct store_kv kv;
	char key[64];
	int fds[2];
	pid_t pid;

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		conf_write_until_killed(f, fds[1]);
	}
	close(fds[1]);
	while (last < R(200) && read(fds[0], &rev, sizeof(rev)) == sizeof(rev))
		last = rev;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	assert_int_equal(last, R(200));
	f->s = f->b->open(f, 100);
	assert_true(store_current_rev(f->s) >= last);
	assert_int_equal(store_count(f->s, "/registry/k/", &count), 0);
	assert_int_equal(R(count), store_current_rev(f->s));
	snprintf(key, sizeof(key), "/registry/k/%d", 199);
	assert_int_equal(store_get(f->s, key, &kv), 0);
	assert_int_equal(kv.mod_rev, R(200));
	store_kv_free(&kv);
}

/*
 * The suite, in an order that keeps the big writes last (a backend that
 * shares its revisions across tests keeps its history short for the rest).
 */
#define CONF_TESTS(setup, teardown)                                                                \
	cmocka_unit_test_setup_teardown(conf_create_get_update_delete, setup, teardown),           \
	    cmocka_unit_test_setup_teardown(conf_binary_value, setup, teardown),                   \
	    cmocka_unit_test_setup_teardown(conf_range_prefix_limit_more, setup, teardown),        \
	    cmocka_unit_test_setup_teardown(conf_range_at_old_revision, setup, teardown),          \
	    cmocka_unit_test_setup_teardown(conf_watch_from_revision, setup, teardown),            \
	    cmocka_unit_test_setup_teardown(conf_reopen_keeps_data_and_events, setup, teardown),   \
	    cmocka_unit_test_setup_teardown(conf_slow_watcher_overflows, setup, teardown),         \
	    cmocka_unit_test_setup_teardown(conf_compaction, setup, teardown),                     \
	    cmocka_unit_test_setup_teardown(conf_concurrent_cas, setup, teardown),                 \
	    cmocka_unit_test_setup_teardown(conf_single_writer_rate, setup, teardown),             \
	    cmocka_unit_test_setup_teardown(conf_concurrent_writers, setup, teardown),             \
	    cmocka_unit_test_setup_teardown(conf_acknowledged_writes_survive_kill, setup,          \
					    teardown)

#endif
