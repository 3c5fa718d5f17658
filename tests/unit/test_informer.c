/*
 * Tests of the HTTP client and the informer (src/lib/client/) against the
 * real API server, started in-process on a free loopback port.
 */
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

#include "apiserver/apiserver.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "client/informer.h"
#include "store/store.h"

struct env {
	char dir[64];
	struct apiserver *srv;
	int port;
	struct kclient *c;
};

/* What the handlers saw, one line per call: "add NAME", "update NAME RV RV", ... */
struct rec {
	pthread_mutex_t lock;
	struct strbuf log;
	int synced;
};

static void rec_line(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rec_line(struct rec *r, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->lock);
	sb_printf(&r->log, "%s\n", line);
	pthread_mutex_unlock(&r->lock);
}

static const char *name_of(const json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

static const char *rv_of(const json_t *o)
{
	return json_string_value(
	    json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
}

static void h_add(void *arg, const json_t *o)
{
	rec_line(arg, "add %s", name_of(o));
}

static void h_update(void *arg, const json_t *old, const json_t *o)
{
	rec_line(arg, "update %s %s", name_of(o), old == o ? "resync" : "changed");
}

static void h_delete(void *arg, const json_t *o)
{
	rec_line(arg, "delete %s", name_of(o));
}

static void h_synced(void *arg)
{
	struct rec *r = arg;
	pthread_mutex_lock(&r->lock);
	r->synced++;
	pthread_mutex_unlock(&r->lock);
}

static bool rec_has(struct rec *r, const char *line)
{
	char *want = xasprintf("%s\n", line);
	pthread_mutex_lock(&r->lock);
	bool found = r->log.buf && strstr(r->log.buf, want);
	pthread_mutex_unlock(&r->lock);
	free(want);
	return found;
}

/* Waits up to 10 s for the handlers to have logged line. */
static bool wait_line(struct rec *r, const char *line)
{
	for (int i = 0; i < 1000; i++) {
		if (rec_has(r, line))
			return true;
		usleep(10000);
	}
	return false;
}

static int start_server(struct env *e, int port)
{
	struct apiserver_config cfg;
	char listen[64], *err = NULL;

	apiserver_config_defaults(&cfg);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	cfg.data_dir = e->dir;
	cfg.listen = listen;
	int rc = apiserver_start(&cfg, &e->srv, &err);
	if (rc < 0)
		fprintf(stderr, "apiserver_start: %s\n", err);
	free(err);
	if (rc == 0)
		e->port = apiserver_port(e->srv);
	return rc;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct kclient_config cfg = {0};
	char *err = NULL;

	snprintf(e->dir, sizeof(e->dir), "/tmp/svcnet-informer.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	assert_int_equal(start_server(e, 0), 0);
	cfg.server = xasprintf("http://127.0.0.1:%d/", e->port);
	assert_int_equal(kclient_new(&cfg, &e->c, &err), 0);
	free(cfg.server);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char *cmd = xasprintf("rm -rf %s", e->dir);

	kclient_free(e->c);
	apiserver_stop(e->srv);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(e);
	return 0;
}

static json_t *configmap_like_ns(const char *name)
{
	return json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
			 "name", name);
}

static json_t *service(const char *name, const char *label)
{
	return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[{s:i}]}}", "apiVersion", "v1", "kind",
			 "Service", "metadata", "name", name, "labels", "l", label, "spec", "ports",
			 "port", 80);
}

static void create_svc(struct env *e, const char *name, const char *label)
{
	json_t *svc = service(name, label), *out = NULL;
	assert_int_equal(kclient_post(e->c, "/api/v1/namespaces/default/services", svc, &out), 201);
	json_decref(out);
	json_decref(svc);
}

/* Changes the label of a Service with a read-modify-write PUT. */
static void relabel_svc(struct env *e, const char *name, const char *label)
{
	char *path = xasprintf("/api/v1/namespaces/default/services/%s", name);
	json_t *obj = NULL, *out = NULL;

	assert_int_equal(kclient_get(e->c, path, &obj), 200);
	json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"), "l",
			    json_string(label));
	assert_int_equal(kclient_put(e->c, path, obj, &out), 200);
	json_decref(obj);
	json_decref(out);
	free(path);
}

static void delete_svc(struct env *e, const char *name)
{
	char *path = xasprintf("/api/v1/namespaces/default/services/%s", name);
	json_t *out = NULL;
	assert_int_equal(kclient_delete(e->c, path, &out), 200);
	json_decref(out);
	free(path);
}

static void test_request_verbs(void **state)
{
	struct env *e = *state;
	json_t *out = NULL, *patch;

	create_svc(e, "verbs", "a");
	/* A conflict and a missing object come back as statuses with a Status body. */
	json_t *svc = service("verbs", "a");
	assert_int_equal(kclient_post(e->c, "/api/v1/namespaces/default/services", svc, &out), 409);
	assert_string_equal(json_string_value(json_object_get(out, "kind")), "Status");
	json_decref(out);
	json_decref(svc);
	assert_int_equal(kclient_get(e->c, "/api/v1/namespaces/default/services/none", &out), 404);
	assert_int_equal(json_integer_value(json_object_get(out, "code")), 404);
	json_decref(out);
	patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "l", "patched");
	assert_int_equal(
	    kclient_patch(e->c, "/api/v1/namespaces/default/services/verbs", "merge", patch, &out),
	    200);
	json_decref(patch);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(out, "metadata"), "labels"), "l")),
			    "patched");
	json_decref(out);
	delete_svc(e, "verbs");
}

static void test_unreachable(void **state)
{
	struct kclient_config cfg = {.server = "http://127.0.0.1:1"};
	struct kclient *c = NULL;
	json_t *out = (json_t *)1;
	char *err = NULL;

	assert_int_equal(kclient_new(&cfg, &c, &err), 0);
	assert_int_equal(kclient_get(c, "/version", &out), -ECONNREFUSED);
	assert_null(out);
	kclient_free(c);
	cfg.server = "ftp://x";
	assert_int_equal(kclient_new(&cfg, &c, &err), -EINVAL);
	assert_non_null(strstr(err, "ftp://x"));
	free(err);
}

static void test_list_all_pages(void **state)
{
	struct env *e = *state;
	json_t *list = NULL, *out = NULL;
	char name[32];

	/* More than one page of 500. */
	for (int i = 0; i < 510; i++) {
		snprintf(name, sizeof(name), "page-%03d", i);
		json_t *ns = configmap_like_ns(name);
		assert_int_equal(kclient_post(e->c, "/api/v1/namespaces", ns, &out), 201);
		json_decref(out);
		json_decref(ns);
	}
	assert_int_equal(kclient_list_all(e->c, "/api/v1/namespaces", &list), 200);
	json_t *items = json_object_get(list, "items");
	/* Plus default, kube-system, kube-public, kube-node-lease as the server makes them. */
	assert_true(json_array_size(items) >= 510);
	assert_null(json_object_get(json_object_get(list, "metadata"), "continue"));
	assert_non_null(rv_of(list));
	int seen = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		assert_string_equal(json_string_value(json_object_get(it, "kind")), "Namespace");
		seen += strncmp(name_of(it), "page-", 5) == 0;
	}
	assert_int_equal(seen, 510);
	json_decref(list);
	assert_int_equal(kclient_list_all(e->c, "/api/v1/nothings", &list), 404);
	json_decref(list);
}

static int count_cb(const char *type, json_t *obj, void *arg)
{
	int *n = arg;
	if (strcmp(type, "ADDED") == 0)
		(*n)++;
	return 0;
}

static void test_watch_stream_ends(void **state)
{
	struct env *e = *state;
	int n = 0;
	volatile int stop = 0;

	create_svc(e, "w1", "a");
	/* No resourceVersion: the current objects as ADDED, then the stream ends after 1 s. */
	time_t t0 = time(NULL);
	assert_int_equal(
	    kclient_watch(e->c, "/api/v1/namespaces/default/services?watch=1&timeoutSeconds=1",
			  count_cb, &n, &stop),
	    0);
	assert_true(n >= 1);
	assert_true(time(NULL) - t0 < 5);
	delete_svc(e, "w1");
}

struct stopper {
	volatile int *stop;
};

static void *set_stop(void *arg)
{
	struct stopper *s = arg;
	usleep(300000);
	*s->stop = 1;
	return NULL;
}

static void test_watch_stop_flag(void **state)
{
	struct env *e = *state;
	int n = 0;
	volatile int stop = 0;
	struct stopper s = {&stop};
	pthread_t t;

	pthread_create(&t, NULL, set_stop, &s);
	time_t t0 = time(NULL);
	assert_int_equal(
	    kclient_watch(e->c, "/api/v1/namespaces/default/pods?watch=1", count_cb, &n, &stop), 0);
	assert_true(time(NULL) - t0 <= 3);
	pthread_join(t, NULL);
}

static int rv_count(const json_t *obj, void *arg)
{
	(void)obj;
	(*(int *)arg)++;
	return 0;
}

static void count_fn(const json_t *obj, void *arg)
{
	rv_count(obj, arg);
}

static struct informer *start_informer(struct env *e, struct rec *r, const char *sel, int resync)
{
	struct informer_handlers h = {h_add, h_update, h_delete, h_synced, r};
	pthread_mutex_init(&r->lock, NULL);
	struct informer *inf =
	    informer_new(e->c, "/api/v1/namespaces/default/services", sel, NULL, &h, resync);
	assert_int_equal(informer_start(inf), 0);
	assert_true(informer_wait_synced(inf, 10000));
	return inf;
}

static void stop_informer(struct informer *inf, struct rec *r)
{
	informer_free(inf);
	sb_free(&r->log);
	pthread_mutex_destroy(&r->lock);
}

static void test_informer_events(void **state)
{
	struct env *e = *state;
	struct rec r = {.log = STRBUF_INIT};

	create_svc(e, "ev-a", "x");
	create_svc(e, "ev-b", "x");
	struct informer *inf = start_informer(e, &r, NULL, 0);
	assert_true(rec_has(&r, "add ev-a"));
	assert_true(rec_has(&r, "add ev-b"));
	assert_int_equal(r.synced, 1);
	assert_true(informer_synced(inf));
	assert_int_equal(informer_count(inf), 2);
	assert_true(atoll(informer_last_rv(inf)) > 0);

	create_svc(e, "ev-c", "x");
	assert_true(wait_line(&r, "add ev-c"));
	relabel_svc(e, "ev-a", "y");
	assert_true(wait_line(&r, "update ev-a changed"));
	delete_svc(e, "ev-b");
	assert_true(wait_line(&r, "delete ev-b"));

	json_t *a = informer_get(inf, "default", "ev-a");
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(a, "metadata"), "labels"), "l")),
			    "y");
	json_decref(a);
	assert_null(informer_get(inf, "default", "ev-b"));
	assert_null(informer_get(inf, "other", "ev-a"));
	int n = 0;
	informer_foreach(inf, count_fn, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r.synced, 1);
	stop_informer(inf, &r);
	delete_svc(e, "ev-a");
	delete_svc(e, "ev-c");
}

static void test_informer_selector_and_resync(void **state)
{
	struct env *e = *state;
	struct rec r = {.log = STRBUF_INIT};

	create_svc(e, "sel-in", "yes");
	create_svc(e, "sel-out", "no");
	struct informer *inf = start_informer(e, &r, "l=yes", 1);
	assert_int_equal(informer_count(inf), 1);
	assert_true(rec_has(&r, "add sel-in"));
	assert_false(rec_has(&r, "add sel-out"));
	/* The resync period is 1 s: the cached object comes back as update(obj, obj). */
	assert_true(wait_line(&r, "update sel-in resync"));
	stop_informer(inf, &r);
	delete_svc(e, "sel-in");
	delete_svc(e, "sel-out");
}

static void test_informer_rewatch(void **state)
{
	struct env *e = *state;
	struct rec r = {.log = STRBUF_INIT};
	struct informer_handlers h = {h_add, h_update, h_delete, h_synced, &r};
	char name[32];

	pthread_mutex_init(&r.lock, NULL);
	struct informer *inf =
	    informer_new(e->c, "/api/v1/namespaces/default/services", NULL, NULL, &h, 0);
	informer_set_watch_timeout(inf, 1);
	assert_int_equal(informer_start(inf), 0);
	assert_true(informer_wait_synced(inf, 10000));
	/* Changes keep arriving across several watches that the server ends. */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "rw-%d", i);
		usleep(1200000);
		create_svc(e, name, "x");
		snprintf(name, sizeof(name), "add rw-%d", i);
		assert_true(wait_line(&r, name));
	}
	assert_int_equal(informer_count(inf), 3);
	assert_int_equal(r.synced, 1);
	stop_informer(inf, &r);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "rw-%d", i);
		delete_svc(e, name);
	}
}

static void test_informer_relist_after_restart(void **state)
{
	struct env *e = *state;
	struct rec r = {.log = STRBUF_INIT};
	struct env other = *e;

	create_svc(e, "rl-keep", "x");
	create_svc(e, "rl-change", "x");
	create_svc(e, "rl-gone", "x");
	struct informer *inf = start_informer(e, &r, NULL, 0);
	assert_int_equal(informer_count(inf), 3);
	int port = e->port;

	/*
	 * Stop the server and change the objects through another one on the
	 * same store, which the informer cannot reach, then compact the
	 * store's history: the informer's watch from its old resourceVersion
	 * gets 410 Gone and it must re-list and diff.
	 */
	apiserver_stop(e->srv);
	e->srv = NULL;
	assert_int_equal(start_server(&other, 0), 0);
	struct kclient_config cfg = {.server = xasprintf("http://127.0.0.1:%d", other.port)};
	char *err = NULL;
	assert_int_equal(kclient_new(&cfg, &other.c, &err), 0);
	free(cfg.server);
	relabel_svc(&other, "rl-change", "changed");
	delete_svc(&other, "rl-gone");
	create_svc(&other, "rl-new", "x");
	kclient_free(other.c);
	apiserver_stop(other.srv);
	struct store *st = NULL;
	assert_int_equal(store_open_sqlite(e->dir, 100, &st, &err), 0);
	assert_int_equal(store_compact(st, store_current_rev(st)), 0);
	store_close(st);
	assert_int_equal(start_server(e, port), 0);

	assert_true(wait_line(&r, "delete rl-gone"));
	assert_true(wait_line(&r, "add rl-new"));
	assert_true(wait_line(&r, "update rl-change changed"));
	assert_false(rec_has(&r, "update rl-keep changed"));
	assert_int_equal(informer_count(inf), 3);
	assert_int_equal(r.synced, 1);
	json_t *list = NULL;
	assert_int_equal(kclient_list_all(e->c, "/api/v1/namespaces/default/services", &list), 200);
	assert_string_equal(informer_last_rv(inf), rv_of(list));
	json_decref(list);
	stop_informer(inf, &r);
	delete_svc(e, "rl-keep");
	delete_svc(e, "rl-change");
	delete_svc(e, "rl-new");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_verbs),
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_list_all_pages),
	    cmocka_unit_test(test_watch_stream_ends),
	    cmocka_unit_test(test_watch_stop_flag),
	    cmocka_unit_test(test_informer_events),
	    cmocka_unit_test(test_informer_selector_and_resync),
	    cmocka_unit_test(test_informer_rewatch),
	    cmocka_unit_test(test_informer_relist_after_restart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
