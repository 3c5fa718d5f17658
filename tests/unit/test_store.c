/* Unit tests of the store with the SQLite backend (src/lib/store/). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store-internal.h"
#include "store/store.h"
#include "store/watchcache.h"

struct fixture {
	char dir[64];
	struct store *s;
};

static struct store *open_store(const char *dir, size_t wcs)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc = store_open_sqlite(dir, wcs, &s, &err);

	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_null(err);
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/var/tmp/svcnet-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->s = open_store(f->dir, 1000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	store_close(f->s);
	for (const char *const *n =
		 (const char *const[]){"svcnet.db", "svcnet.db-wal", "svcnet.db-shm", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, *n);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t put(struct store *s, const char *key, const char *value)
{
	int64_t rev = 0;

	assert_int_equal(store_create(s, key, value, strlen(value), &rev), 0);
	return rev;
}

static void check_value(struct store *s, const char *key, const char *value, int64_t mod_rev)
{
	struct store_kv kv;

	assert_int_equal(store_get(s, key, &kv), 0);
	assert_string_equal(kv.key, key);
	assert_int_equal(kv.len, strlen(value));
	assert_string_equal(kv.value, value);
	assert_int_equal(kv.mod_rev, mod_rev);
	store_kv_free(&kv);
}

static void test_create_get_update_delete(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	struct store_kv kv, prev;
	int64_t rev = 0;

	assert_int_equal(store_current_rev(s), 0);
	assert_int_equal(put(s, "/registry/pods/ns/a", "one"), 1);
	assert_int_equal(store_create(s, "/registry/pods/ns/a", "x", 1, &rev), -EEXIST);
	assert_int_equal(store_get(s, "/registry/pods/ns/b", &kv), -ENOENT);
	check_value(s, "/registry/pods/ns/a", "one", 1);

	assert_int_equal(store_update(s, "/registry/pods/ns/a", "two", 3, 7, &prev, &rev),
			 -ECANCELED);
	assert_null(prev.value);
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "two", 3, 1, &prev, &rev), 0);
	assert_int_equal(rev, 2);
	assert_string_equal(prev.value, "one");
	assert_int_equal(prev.mod_rev, 1);
	store_kv_free(&prev);
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "three", 5, 0, NULL, &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), 0);
	assert_int_equal(kv.create_rev, 1);
	assert_int_equal(kv.mod_rev, 3);
	store_kv_free(&kv);
	assert_int_equal(store_update(s, "/registry/pods/ns/b", "x", 1, 0, NULL, &rev), -ENOENT);

	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 2, NULL, &rev), -ECANCELED);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 3, &prev, &rev), 0);
	assert_int_equal(rev, 4);
	assert_string_equal(prev.value, "three");
	store_kv_free(&prev);
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), -ENOENT);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 0, NULL, &rev), -ENOENT);
	/* Failed writes take no revision; a re-create starts a new life. */
	assert_int_equal(store_current_rev(s), 4);
	assert_int_equal(put(s, "/registry/pods/ns/a", "again"), 5);
	assert_int_equal(store_get(s, "/registry/pods/ns/a", &kv), 0);
	assert_int_equal(kv.create_rev, 5);
	store_kv_free(&kv);
}

static void test_binary_value(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	struct store_kv kv;
	int64_t rev;

	assert_int_equal(store_create(s, "/bin", "a\0b", 3, &rev), 0);
	assert_int_equal(store_get(s, "/bin", &kv), 0);
	assert_int_equal(kv.len, 3);
	assert_memory_equal(kv.value, "a\0b", 3);
	assert_int_equal(kv.value[3], '\0');
	store_kv_free(&kv);
	assert_int_equal(store_create(s, "/empty", NULL, 0, &rev), 0);
	assert_int_equal(store_get(s, "/empty", &kv), 0);
	assert_int_equal(kv.len, 0);
	assert_string_equal(kv.value, "");
	store_kv_free(&kv);
}

struct collect {
	char keys[64][64];
	char values[64][32];
	int64_t mod[64];
	int n;
	int stop_after;
};

static int collect_cb(const struct store_kv *kv, void *arg)
{
	struct collect *c = arg;

	snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s", kv->key);
	snprintf(c->values[c->n], sizeof(c->values[0]), "%s", kv->value);
	c->mod[c->n] = kv->mod_rev;
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static int range(struct store *s, const char *prefix, const char *after, size_t limit, int64_t at,
		 struct collect *c, int64_t *rev, bool *more)
{
	memset(c, 0, sizeof(*c));
	return store_range(s, prefix, after, limit, at, collect_cb, c, rev, more);
}

static void test_range_prefix_limit_more(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	const char *names[] = {"e", "b", "a", "d", "c"};
	struct collect c;
	int64_t rev, count;
	bool more;
	char key[64];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "/registry/pods/ns1/%s", names[i]);
		put(s, key, names[i]);
	}
	put(s, "/registry/pods/ns10/z", "z");
	put(s, "/registry/pods/ns2/x", "x");
	put(s, "/registry/services/specs/ns1/a", "svc");

	assert_int_equal(range(s, "/registry/pods/ns1/", NULL, 2, 0, &c, &rev, &more), 0);
	assert_int_equal(rev, 8);
	assert_int_equal(c.n, 2);
	assert_true(more);
	assert_string_equal(c.keys[0], "/registry/pods/ns1/a");
	assert_string_equal(c.keys[1], "/registry/pods/ns1/b");
	snprintf(key, sizeof(key), "%s", c.keys[1]);
	assert_int_equal(range(s, "/registry/pods/ns1/", key, 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_true(more);
	assert_string_equal(c.keys[0], "/registry/pods/ns1/c");
	assert_int_equal(
	    range(s, "/registry/pods/ns1/", "/registry/pods/ns1/d", 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_false(more);
	assert_string_equal(c.values[0], "e");
	/* Exactly limit keys left: no more. */
	assert_int_equal(
	    range(s, "/registry/pods/ns1/", "/registry/pods/ns1/c", 2, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_false(more);

	assert_int_equal(range(s, "/registry/pods/", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 7);
	assert_string_equal(c.keys[5], "/registry/pods/ns10/z");
	assert_int_equal(range(s, "", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(range(s, "/registry/nodes/", NULL, 0, 0, &c, &rev, &more), 0);
	assert_int_equal(c.n, 0);
	c.stop_after = 3;
	assert_int_equal(store_range(s, "", NULL, 0, 0, collect_cb, &c, &rev, &more), 0);
	assert_int_equal(c.n, 3);

	assert_int_equal(store_count(s, "/registry/pods/ns1/", &count), 0);
	assert_int_equal(count, 5);
	assert_int_equal(store_count(s, "", &count), 0);
	assert_int_equal(count, 8);
}

/* a=v1@1, b@2, a=v2@3, b deleted@4, c@5 */
static void history(struct store *s)
{
	int64_t rev;

	put(s, "/r/a", "v1");
	put(s, "/r/b", "b");
	assert_int_equal(store_update(s, "/r/a", "v2", 2, 0, NULL, &rev), 0);
	assert_int_equal(store_delete(s, "/r/b", 0, NULL, &rev), 0);
	put(s, "/r/c", "c");
	assert_int_equal(rev, 4);
}

static void test_range_at_old_revision(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	struct collect c;
	int64_t rev;
	bool more;

	history(s);
	assert_int_equal(range(s, "/r/", NULL, 0, 2, &c, &rev, &more), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v1");
	assert_int_equal(c.mod[0], 1);
	assert_string_equal(c.keys[1], "/r/b");
	assert_int_equal(range(s, "/r/", NULL, 0, 3, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v2");
	assert_int_equal(c.mod[0], 3);
	assert_int_equal(range(s, "/r/", NULL, 1, 2, &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_true(more);
	assert_string_equal(c.keys[0], "/r/a");
	assert_int_equal(range(s, "/r/", NULL, 1, 4, &c, &rev, &more), 0);
	assert_int_equal(c.n, 1);
	assert_false(more);
	assert_int_equal(range(s, "/r/", "/r/a", 0, 1, &c, &rev, &more), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(range(s, "/r/", NULL, 0, 5, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.keys[1], "/r/c");
	assert_int_equal(range(s, "/r/", NULL, 0, 6, &c, &rev, &more), -EAGAIN);
}

static void test_compaction(void **state)
{
	struct fixture *f = *state;
	struct collect c;
	struct watcher *w;
	struct watch_event *ev;
	int64_t rev;
	bool more;

	history(f->s);
	assert_int_equal(store_compact(f->s, 6), -EINVAL);
	assert_int_equal(store_compact(f->s, 3), 0);
	assert_int_equal(store_compact(f->s, 2), 0);
	assert_int_equal(range(f->s, "/r/", NULL, 0, 2, &c, &rev, &more), -ERANGE);
	/* The compact revision itself stays readable: b's row at 2 was kept. */
	assert_int_equal(range(f->s, "/r/", NULL, 0, 3, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.values[0], "v2");
	assert_string_equal(c.keys[1], "/r/b");
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 2, &w), -ERANGE);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 3, &w), 0);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->rev, 4);
	watch_event_put(ev);
	watcher_close(w);

	/* Compacting at the current revision after a delete drops the tombstone too. */
	assert_int_equal(store_compact(f->s, 5), 0);
	assert_int_equal(range(f->s, "/r/", NULL, 0, 5, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
	store_close(f->s);
	f->s = open_store(f->dir, 1000);
	assert_int_equal(store_current_rev(f->s), 5);
	assert_int_equal(range(f->s, "/r/", NULL, 0, 4, &c, &rev, &more), -ERANGE);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 4, &w), -ERANGE);
	assert_int_equal(watch_cache_oldest(store_watch_cache(f->s)), 5);
	assert_int_equal(put(f->s, "/r/d", "d"), 6);
	assert_int_equal(range(f->s, "/r/", NULL, 0, 5, &c, &rev, &more), 0);
	assert_int_equal(c.n, 2);
}

static void test_watch_from_revision(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	struct watcher *w;
	struct watch_event *ev;
	int64_t rev;

	put(s, "/registry/pods/ns/a", "a1");
	assert_int_equal(watch_cache_watch(store_watch_cache(s), "/registry/pods/", 1, &w), 0);
	put(s, "/registry/services/specs/ns/a", "svc");
	assert_int_equal(store_update(s, "/registry/pods/ns/a", "a2", 2, 1, NULL, &rev), 0);
	assert_int_equal(store_delete(s, "/registry/pods/ns/a", 0, NULL, &rev), 0);

	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->type, WATCH_MODIFIED);
	assert_int_equal(ev->rev, 3);
	assert_string_equal(ev->value, "a2");
	assert_string_equal(ev->prev_value, "a1");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 1000), 0);
	assert_int_equal(ev->type, WATCH_DELETED);
	assert_int_equal(ev->rev, 4);
	assert_string_equal(ev->value, "a2");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 20), -ETIMEDOUT);
	watcher_close(w);
}

static void test_slow_watcher_overflows(void **state)
{
	struct fixture *f = *state;
	struct watcher *w;
	struct watch_event *ev;
	char key[32];

	store_close(f->s);
	f->s = open_store(f->dir, 4);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 0, &w), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/k/%d", i);
		put(f->s, key, "v");
	}
	assert_int_equal(watcher_next(w, &ev, 100), -EOVERFLOW);
	watcher_close(w);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 5, &w), -ERANGE);
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "", 6, &w), 0);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->rev, 7);
	watch_event_put(ev);
	watcher_close(w);
}

static void test_reopen_keeps_data_and_events(void **state)
{
	struct fixture *f = *state;
	struct watcher *w;
	struct watch_event *ev;

	history(f->s);
	store_close(f->s);
	f->s = open_store(f->dir, 1000);
	assert_int_equal(store_current_rev(f->s), 5);
	check_value(f->s, "/r/a", "v2", 3);
	assert_int_equal(put(f->s, "/r/e", "e"), 6);
	/* A watcher resumes across the restart, with previous values. */
	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/r/", 2, &w), 0);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->rev, 3);
	assert_int_equal(ev->type, WATCH_MODIFIED);
	assert_string_equal(ev->prev_value, "v1");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->type, WATCH_DELETED);
	assert_string_equal(ev->value, "b");
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->type, WATCH_ADDED);
	assert_null(ev->prev_value);
	watch_event_put(ev);
	assert_int_equal(watcher_next(w, &ev, 100), 0);
	assert_int_equal(ev->rev, 6);
	watch_event_put(ev);
	watcher_close(w);
	/* A small cache after reopen keeps only the last events. */
	store_close(f->s);
	f->s = open_store(f->dir, 2);
	assert_int_equal(watch_cache_oldest(store_watch_cache(f->s)), 4);
}

static void test_disk_full_leaves_nothing(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	size_t big = 1 << 20;
	char *value = malloc(big);
	struct store_kv kv;
	int64_t rev;

	memset(value, 'x', big);
	put(s, "/a", "a");
	assert_string_equal(store_health(s), "");
	assert_int_equal(store_sqlite_exec(s, "PRAGMA max_page_count = 1"), 0);
	assert_int_equal(store_create(s, "/big", value, big, &rev), -ENOSPC);
	assert_int_not_equal(store_health(s)[0], '\0');
	assert_int_equal(store_current_rev(s), 1);
	assert_int_equal(store_get(s, "/big", &kv), -ENOENT);
	assert_int_equal(store_sqlite_exec(s, "PRAGMA max_page_count = 1000000"), 0);
	assert_int_equal(store_create(s, "/big", value, big, &rev), 0);
	assert_int_equal(rev, 2);
	assert_string_equal(store_health(s), "");
	free(value);
}

#define THREADS	   16
#define PER_THREAD 150

struct writer {
	struct store *s;
	int id;
	int64_t revs[PER_THREAD];
	int failures;
};

static void *create_many(void *arg)
{
	struct writer *w = arg;
	char key[64], value[128];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(key, sizeof(key), "/registry/pods/t%d/p%d", w->id, i);
		snprintf(value, sizeof(value), "{\"kind\":\"Pod\",\"t\":%d,\"i\":%d}", w->id, i);
		if (store_create(w->s, key, value, strlen(value), &w->revs[i]))
			w->failures++;
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_rev(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Runs n writers; returns creates per second. */
static double run_writers(struct store *s, struct writer *ws, int n)
{
	pthread_t t[THREADS];
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		ws[i].s = s;
		ws[i].id = i;
		pthread_create(&t[i], NULL, create_many, &ws[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return n * PER_THREAD / (now_s() - t0);
}

static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	static struct writer ws[THREADS];
	static int64_t all[THREADS * PER_THREAD];
	int64_t count;
	double rate;

	memset(ws, 0, sizeof(ws));
	rate = run_writers(f->s, ws, THREADS);
	printf("# %d threads: %.0f creates/s\n", THREADS, rate);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(ws[i].failures, 0);
		memcpy(&all[i * PER_THREAD], ws[i].revs, sizeof(ws[i].revs));
	}
	qsort(all, THREADS * PER_THREAD, sizeof(all[0]), cmp_rev);
	for (int i = 0; i < THREADS * PER_THREAD; i++)
		assert_int_equal(all[i], i + 1);
	store_close(f->s);
	f->s = open_store(f->dir, 1000);
	assert_int_equal(store_current_rev(f->s), THREADS * PER_THREAD);
	assert_int_equal(store_count(f->s, "/registry/pods/", &count), 0);
	assert_int_equal(count, THREADS * PER_THREAD);
	check_value(f->s, "/registry/pods/t3/p7", "{\"kind\":\"Pod\",\"t\":3,\"i\":7}",
		    ws[3].revs[7]);
}

static void test_single_writer_rate(void **state)
{
	struct fixture *f = *state;
	static struct writer ws[1];

	printf("# 1 thread: %.0f creates/s\n", run_writers(f->s, ws, 1));
	assert_int_equal(ws[0].failures, 0);
	assert_int_equal(store_current_rev(f->s), PER_THREAD);
}

struct racer {
	struct store *s;
	int wins, exists, conflicts;
};

/* Increments a counter with compare-and-swap, retrying on conflict. */
static void *race(void *arg)
{
	struct racer *r = arg;
	int64_t rev;

	if (store_create(r->s, "/race", "0", 1, &rev) == 0)
		r->wins++;
	else
		r->exists++;
	for (int i = 0; i < 20; i++) {
		struct store_kv kv;
		char v[32];
		int rc;

		do {
			assert_int_equal(store_get(r->s, "/race", &kv), 0);
			snprintf(v, sizeof(v), "%d", atoi(kv.value) + 1);
			rc = store_update(r->s, "/race", v, strlen(v), kv.mod_rev, NULL, &rev);
			store_kv_free(&kv);
			if (rc == -ECANCELED)
				r->conflicts++;
		} while (rc == -ECANCELED);
		assert_int_equal(rc, 0);
	}
	return NULL;
}

static void test_concurrent_cas(void **state)
{
	struct store *s = ((struct fixture *)*state)->s;
	struct racer r[8] = {0};
	pthread_t t[8];
	int wins = 0, conflicts = 0;
	struct store_kv kv;

	for (int i = 0; i < 8; i++) {
		r[i].s = s;
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		wins += r[i].wins;
		conflicts += r[i].conflicts;
	}
	assert_int_equal(wins, 1);
	assert_int_equal(store_get(s, "/race", &kv), 0);
	assert_string_equal(kv.value, "160");
	assert_int_equal(kv.mod_rev, 161);
	store_kv_free(&kv);
	printf("# cas: %d conflicts retried\n", conflicts);
}

/* The child writes until killed, reporting each acknowledged revision on fd. */
static void write_until_killed(const char *dir, int fd)
{
	struct store *s = NULL;
	char key[64];
	int64_t rev;

	if (store_open_sqlite(dir, 100, &s, NULL))
		_exit(1);
	for (int i = 0;; i++) {
		snprintf(key, sizeof(key), "/k/%d", i);
		if (store_create(s, key, key, strlen(key), &rev) ||
		    write(fd, &rev, sizeof(rev)) != sizeof(rev))
			_exit(1);
	}
}

static void test_acknowledged_writes_survive_kill(void **state)
{
	struct fixture *f = *state;
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
		write_until_killed(f->dir, fds[1]);
	}
	close(fds[1]);
	while (last < 200 && read(fds[0], &rev, sizeof(rev)) == sizeof(rev))
		last = rev;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	assert_int_equal(last, 200);
	f->s = open_store(f->dir, 100);
	assert_true(store_current_rev(f->s) >= last);
	assert_int_equal(store_count(f->s, "/k/", &count), 0);
	assert_int_equal(count, store_current_rev(f->s));
	snprintf(key, sizeof(key), "/k/%d", 199);
	assert_int_equal(store_get(f->s, key, &kv), 0);
	assert_int_equal(kv.mod_rev, 200);
	store_kv_free(&kv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_get_update_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_binary_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_prefix_limit_more, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_at_old_revision, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_from_revision, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_watcher_overflows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_writer_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_cas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acknowledged_writes_survive_kill, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
