/* Unit tests of the work queue (src/lib/client/workqueue.c). */
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
#include <unistd.h>

#include <cmocka.h>

#include "client/workqueue.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void expect_key(struct workqueue *q, const char *want, int timeout_ms)
{
	char *key = NULL;
	assert_int_equal(workqueue_get(q, &key, timeout_ms), 0);
	assert_string_equal(key, want);
	workqueue_done(q, key);
	free(key);
}

static void test_fifo_and_dedup(void **state)
{
	struct workqueue *q = workqueue_new();
	char *key = NULL;

	workqueue_add(q, "ns/a");
	workqueue_add(q, "ns/b");
	workqueue_add(q, "ns/a");
	assert_int_equal(workqueue_len(q), 2);
	expect_key(q, "ns/a", 0);
	expect_key(q, "ns/b", 0);
	assert_int_equal(workqueue_get(q, &key, 0), -ETIMEDOUT);
	assert_null(key);
	int64_t t0 = now_ms();
	assert_int_equal(workqueue_get(q, &key, 50), -ETIMEDOUT);
	assert_true(now_ms() - t0 >= 45);
	workqueue_free(q);
}

static void test_added_while_processing(void **state)
{
	struct workqueue *q = workqueue_new();
	char *key = NULL, *other = NULL;

	workqueue_add(q, "k");
	assert_int_equal(workqueue_get(q, &key, 0), 0);
	/* Added while processed: not handed to a second worker... */
	workqueue_add(q, "k");
	workqueue_add(q, "k");
	assert_int_equal(workqueue_len(q), 0);
	assert_int_equal(workqueue_get(q, &other, 0), -ETIMEDOUT);
	/* ...but queued again, once, when done. */
	workqueue_done(q, key);
	free(key);
	assert_int_equal(workqueue_len(q), 1);
	expect_key(q, "k", 0);
	assert_int_equal(workqueue_len(q), 0);
	workqueue_free(q);
}

static void test_add_after(void **state)
{
	struct workqueue *q = workqueue_new();
	char *key = NULL;

	int64_t t0 = now_ms();
	workqueue_add_after(q, "late", 300);
	workqueue_add_after(q, "soon", 100);
	/* A later time for a waiting key does not postpone it. */
	workqueue_add_after(q, "soon", 5000);
	assert_int_equal(workqueue_len(q), 0);
	assert_int_equal(workqueue_get(q, &key, 20), -ETIMEDOUT);
	expect_key(q, "soon", 2000);
	int64_t dt = now_ms() - t0;
	assert_true(dt >= 95 && dt < 1000);
	expect_key(q, "late", 2000);
	assert_true(now_ms() - t0 >= 295);
	/* The 5 s entry of "soon" was superseded: nothing more comes. */
	assert_int_equal(workqueue_get(q, &key, 200), -ETIMEDOUT);
	workqueue_add_after(q, "now", 0);
	assert_int_equal(workqueue_len(q), 1);
	workqueue_free(q);
}

static void test_retry_backoff_and_forget(void **state)
{
	struct workqueue *q = workqueue_new();
	char *key = NULL;

	/* 5, 10, 20, 40, 80 ms: the sixth retry comes after at least 160 ms. */
	for (int i = 0; i < 5; i++) {
		workqueue_retry(q, "f");
		expect_key(q, "f", 1000);
	}
	int64_t t0 = now_ms();
	workqueue_retry(q, "f");
	assert_int_equal(workqueue_get(q, &key, 100), -ETIMEDOUT);
	expect_key(q, "f", 1000);
	assert_true(now_ms() - t0 >= 155);
	workqueue_forget(q, "f");
	t0 = now_ms();
	workqueue_retry(q, "f");
	expect_key(q, "f", 1000);
	assert_true(now_ms() - t0 < 100);
	workqueue_free(q);
}

struct worker {
	struct workqueue *q;
	int got;
	int rc;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char *key;

	while ((w->rc = workqueue_get(w->q, &key, 5000)) == 0) {
		w->got++;
		workqueue_done(w->q, key);
		free(key);
	}
	return NULL;
}

static void test_shutdown_drains_and_wakes(void **state)
{
	struct workqueue *q = workqueue_new();
	struct worker w[2] = {{q, 0, 0}, {q, 0, 0}};
	pthread_t t[2];
	char name[16];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		workqueue_add(q, name);
	}
	workqueue_add_after(q, "delayed", 60000);
	workqueue_shutdown(q);
	workqueue_add(q, "ignored");
	int64_t t0 = now_ms();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, work, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* Every queued key is handed out once; the delayed one is dropped. */
	assert_int_equal(w[0].got + w[1].got, 100);
	assert_int_equal(w[0].rc, -ESHUTDOWN);
	assert_int_equal(w[1].rc, -ESHUTDOWN);
	assert_true(now_ms() - t0 < 2000);
	workqueue_free(q);
}

static void *late_shutdown(void *arg)
{
	usleep(100000);
	workqueue_shutdown(arg);
	return NULL;
}

static void test_shutdown_wakes_forever_wait(void **state)
{
	struct workqueue *q = workqueue_new();
	pthread_t t;
	char *key = NULL;

	pthread_create(&t, NULL, late_shutdown, q);
	assert_int_equal(workqueue_get(q, &key, -1), -ESHUTDOWN);
	pthread_join(t, NULL);
	workqueue_free(q);
}

static void test_many_keys(void **state)
{
	struct workqueue *q = workqueue_new();
	char name[16], *key;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(name, sizeof(name), "ns/%d", i);
			workqueue_add(q, name);
		}
	assert_int_equal(workqueue_len(q), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "ns/%d", i);
		assert_int_equal(workqueue_get(q, &key, 0), 0);
		assert_string_equal(key, name);
		workqueue_done(q, key);
		free(key);
	}
	assert_int_equal(workqueue_len(q), 0);
	workqueue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_and_dedup),
	    cmocka_unit_test(test_added_while_processing),
	    cmocka_unit_test(test_add_after),
	    cmocka_unit_test(test_retry_backoff_and_forget),
	    cmocka_unit_test(test_shutdown_drains_and_wakes),
	    cmocka_unit_test(test_shutdown_wakes_forever_wait),
	    cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
