/* Unit tests of the watch cache (src/lib/store/watchcache.c). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/watchcache.h"

static void pub(struct watch_cache *wc, int64_t rev, const char *key)
{
	char val[32];

	snprintf(val, sizeof(val), "v%lld", (long long)rev);
	watch_cache_publish(wc, WATCH_MODIFIED, rev, key, val, strlen(val), "old", 3);
}

/* Expects the next event to have rev and key. */
static void expect_next(struct watcher *w, int64_t rev, const char *key)
{
	struct watch_event *ev = NULL;

	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_non_null(ev);
	assert_int_equal(ev->rev, rev);
	assert_string_equal(ev->key, key);
	watch_event_put(ev);
}

static void test_from_rev_in_order_with_prefix(void **state)
{
	struct watch_cache *wc = watch_cache_new(100, 0);
	struct watcher *w;
	struct watch_event *ev;

	pub(wc, 1, "/registry/pods/a");
	pub(wc, 2, "/registry/services/specs/a");
	pub(wc, 3, "/registry/pods/b");
	pub(wc, 4, "/registry/pods/c");
	assert_int_equal(watch_cache_watch(wc, "/registry/pods/", 1, &w), 0);
	assert_int_equal(watch_cache_watchers(wc), 1);
	expect_next(w, 3, "/registry/pods/b");
	expect_next(w, 4, "/registry/pods/c");
	assert_int_equal(watcher_next(w, &ev, 20), -ETIMEDOUT);
	assert_null(ev);
	assert_int_equal(watcher_rev(w), 4);
	pub(wc, 5, "/registry/services/specs/b");
	assert_int_equal(watcher_next(w, &ev, 20), -ETIMEDOUT);
	/* Skipped events still move the watcher's revision (for bookmarks). */
	assert_int_equal(watcher_rev(w), 5);
	watcher_close(w);
	assert_int_equal(watch_cache_watchers(wc), 0);
	watch_cache_free(wc);
}

static void test_start_bounds(void **state)
{
	struct watch_cache *wc = watch_cache_new(4, 10);
	struct watcher *w;

	/* Empty ring: the current revision and later are fine, earlier is not. */
	assert_int_equal(watch_cache_oldest(wc), 10);
	assert_int_equal(watch_cache_watch(wc, "", 9, &w), -ERANGE);
	assert_null(w);
	assert_int_equal(watch_cache_watch(wc, "", 10, &w), 0);
	watcher_close(w);
	for (int64_t r = 11; r <= 20; r++)
		pub(wc, r, "/k");
	/* Ring holds 17..20: from 16 all later events are there, from 15 not. */
	assert_int_equal(watch_cache_oldest(wc), 16);
	assert_int_equal(watch_cache_watch(wc, "", 15, &w), -ERANGE);
	assert_int_equal(watch_cache_watch(wc, "", 16, &w), 0);
	expect_next(w, 17, "/k");
	watcher_close(w);
	/* A future revision waits for events after it. */
	assert_int_equal(watch_cache_watch(wc, "", 22, &w), 0);
	pub(wc, 21, "/k");
	pub(wc, 22, "/k");
	pub(wc, 23, "/k");
	expect_next(w, 23, "/k");
	watcher_close(w);
	watch_cache_free(wc);
}

static void test_slow_watcher_overflows(void **state)
{
	struct watch_cache *wc = watch_cache_new(4, 0);
	struct watcher *w;
	struct watch_event *ev;

	assert_int_equal(watch_cache_watch(wc, "", 0, &w), 0);
	pub(wc, 1, "/k");
	pub(wc, 2, "/k");
	expect_next(w, 1, "/k");
	for (int64_t r = 3; r <= 8; r++)
		pub(wc, r, "/k");
	assert_int_equal(watcher_next(w, &ev, 100), -EOVERFLOW);
	assert_null(ev);
	watcher_close(w);
	watch_cache_free(wc);
}

static void test_event_outlives_ring(void **state)
{
	struct watch_cache *wc = watch_cache_new(2, 0);
	struct watcher *w;
	struct watch_event *ev;

	assert_int_equal(watch_cache_watch(wc, "", 0, &w), 0);
	watch_cache_publish(wc, WATCH_DELETED, 1, "/gone", NULL, 0, "last", 4);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	for (int64_t r = 2; r <= 6; r++)
		pub(wc, r, "/k");
	/* Evicted from the ring, still ours. A deletion shows the last value. */
	assert_int_equal(ev->type, WATCH_DELETED);
	assert_string_equal(ev->key, "/gone");
	assert_int_equal(ev->len, 4);
	assert_string_equal(ev->value, "last");
	assert_string_equal(ev->prev_value, "last");
	watch_event_put(ev);
	watcher_close(w);
	watch_cache_free(wc);
}

static void test_compact_refuses_older(void **state)
{
	struct watch_cache *wc = watch_cache_new(100, 0);
	struct watcher *w;

	for (int64_t r = 1; r <= 10; r++)
		pub(wc, r, "/k");
	watch_cache_compact(wc, 7);
	assert_int_equal(watch_cache_oldest(wc), 7);
	assert_int_equal(watch_cache_watch(wc, "", 6, &w), -ERANGE);
	assert_int_equal(watch_cache_watch(wc, "", 7, &w), 0);
	expect_next(w, 8, "/k");
	watcher_close(w);
	watch_cache_free(wc);
}

struct later {
	struct watch_cache *wc;
	bool shutdown;
};

static void *publish_later(void *arg)
{
	struct later *l = arg;

	usleep(50 * 1000);
	if (l->shutdown)
		watch_cache_shutdown(l->wc);
	else
		pub(l->wc, 1, "/late");
	return NULL;
}

static void test_wait_wakes_on_publish_and_shutdown(void **state)
{
	struct watch_cache *wc = watch_cache_new(8, 0);
	struct later l = {wc, false};
	struct watcher *w;
	struct watch_event *ev;
	pthread_t t;

	assert_int_equal(watch_cache_watch(wc, "", 0, &w), 0);
	pthread_create(&t, NULL, publish_later, &l);
	expect_next(w, 1, "/late");
	pthread_join(t, NULL);
	l.shutdown = true;
	pthread_create(&t, NULL, publish_later, &l);
	assert_int_equal(watcher_next(w, &ev, -1), -ESHUTDOWN);
	pthread_join(t, NULL);
	watcher_close(w);
	assert_int_equal(watch_cache_watch(wc, "", 1, &w), -ESHUTDOWN);
	assert_null(w);
	watch_cache_free(wc);
}

struct reader_arg {
	struct watch_cache *wc;
	int64_t last;
	int seen;
	int rc;
	bool ordered;
};

static void *read_all(void *arg)
{
	struct reader_arg *r = arg;
	struct watcher *w;
	struct watch_event *ev;

	r->ordered = true;
	r->rc = watch_cache_watch(r->wc, "/even/", 0, &w);
	if (r->rc)
		return NULL;
	while (r->last < 20000 && (r->rc = watcher_next(w, &ev, 2000)) == 0) {
		if (ev->rev <= r->last || ev->rev % 2 || strncmp(ev->key, "/even/", 6))
			r->ordered = false;
		r->last = ev->rev;
		r->seen++;
		watch_event_put(ev);
	}
	watcher_close(w);
	return NULL;
}

/* Readers racing a publisher see matching events in order, or are told they lost some. */
static void test_concurrent_readers(void **state)
{
	struct watch_cache *wc = watch_cache_new(20000, 0);
	struct reader_arg r[4];
	pthread_t t[4];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		r[i].wc = wc;
		pthread_create(&t[i], NULL, read_all, &r[i]);
	}
	for (int64_t rev = 1; rev <= 20000; rev++)
		pub(wc, rev, rev % 2 ? "/odd/k" : "/even/k");
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(r[i].ordered);
		/* The ring holds everything, so no reader may lose events. */
		assert_int_equal(r[i].rc, 0);
		assert_int_equal(r[i].seen, 10000);
		assert_int_equal(r[i].last, 20000);
	}
	watch_cache_free(wc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_from_rev_in_order_with_prefix),
	    cmocka_unit_test(test_start_bounds),
	    cmocka_unit_test(test_slow_watcher_overflows),
	    cmocka_unit_test(test_event_outlives_ring),
	    cmocka_unit_test(test_compact_refuses_older),
	    cmocka_unit_test(test_wait_wakes_on_publish_and_shutdown),
	    cmocka_unit_test(test_concurrent_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
