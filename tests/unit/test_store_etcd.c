/*
 * The store conformance suite (store_conformance.h) against both backends:
 * SQLite in a temporary folder, and a real single-member etcd that this
 * test starts on free loopback ports with its data in a temporary folder.
 * Then what only the etcd backend has: an unreachable cluster, failover,
 * key prefixes, and a watch stream that breaks and resumes.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "store_conformance.h"

#include "apiserver/svcalloc.h"
#include "store/etcd_internal.h"

static struct {
	char dir[64];
	char url[64];
	pid_t pid;
	int seq;
} etcd;

/* ---- SQLite ---- */

static struct store *sqlite_open(struct conf_fixture *f, size_t wcs)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc = store_open_sqlite(f->dir, wcs, &s, &err);

	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	return s;
}

static void sqlite_sync(struct store *s)
{
	(void)s; /* the committer publishes before the writer returns */
}

static const struct conf_backend sqlite_backend = {"sqlite", sqlite_open, sqlite_sync};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int sqlite_setup(void **state)
{
	struct conf_fixture *f = calloc(1, sizeof(*f));

	f->b = &sqlite_backend;
	snprintf(f->dir, sizeof(f->dir), "/var/tmp/svcnet-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->s = sqlite_open(f, 1000);
	f->base = store_current_rev(f->s);
	*state = f;
	return 0;
}

static int conf_teardown(void **state)
{
	struct conf_fixture *f = *state;

	store_close(f->s);
	if (f->dir[0])
		rm_tree(f->dir);
	free(f);
	return 0;
}

/* ---- etcd ---- */

static int open_etcd_at(const char *servers, const char *prefix, size_t wcs, struct store **s,
			char **err)
{
	struct store_etcd_config cfg = {servers, prefix, NULL, NULL, NULL};

	return store_open_etcd(&cfg, wcs, s, err);
}

static struct store *etcd_open(struct conf_fixture *f, size_t wcs)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc = open_etcd_at(etcd.url, f->prefix, wcs, &s, &err);

	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	return s;
}

static int max_mod_rev(const struct store_kv *kv, void *arg)
{
	int64_t *max = arg;

	if (kv->mod_rev > *max)
		*max = kv->mod_rev;
	return 0;
}

/*
 * Waits for the newest write of the fixture's key space (the revision of
 * etcd may be another prefix's, which this watch never sees).
 */
static void etcd_sync(struct store *s)
{
	int64_t max = 0, rev;
	bool more;

	assert_int_equal(store_range(s, "", NULL, 0, 0, max_mod_rev, &max, &rev, &more), 0);
	assert_int_equal(store_etcd_wait_rev(s, max, 5000), 0);
}

static const struct conf_backend etcd_backend = {"etcd", etcd_open, etcd_sync};

static int etcd_setup(void **state)
{
	struct conf_fixture *f = calloc(1, sizeof(*f));

	f->b = &etcd_backend;
	snprintf(f->prefix, sizeof(f->prefix), "/svcnet-test-%d-%d", (int)getpid(), ++etcd.seq);
	*state = f;
	if (!etcd.pid)
		skip();
	f->s = etcd_open(f, 1000);
	f->base = store_current_rev(f->s);
	return 0;
}

/* A free loopback port (bound then released: another process could take it first). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void exec_etcd(int cport, int pport)
{
	char data[96], curl[64], purl[64], cluster[96], log[96];
	int fd;

	snprintf(data, sizeof(data), "%s/data", etcd.dir);
	snprintf(curl, sizeof(curl), "http://127.0.0.1:%d", cport);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", pport);
	snprintf(cluster, sizeof(cluster), "t=%s", purl);
	snprintf(log, sizeof(log), "%s/etcd.log", etcd.dir);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a test that crashed */
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execlp("etcd", "etcd", "--name", "t", "--data-dir", data, "--listen-client-urls", curl,
	       "--advertise-client-urls", curl, "--listen-peer-urls", purl,
	       "--initial-advertise-peer-urls", purl, "--initial-cluster", cluster, (char *)NULL);
	_exit(127);
}

/* Waits up to 20 s until etcd answers with a leader. */
static bool etcd_ready(void)
{
	for (int i = 0; i < 200; i++) {
		struct store *s = NULL;
		char *err = NULL;
		int status;

		if (open_etcd_at(etcd.url, "/svcnet-ready", 10, &s, &err) == 0) {
			store_close(s);
			return true;
		}
		free(err);
		if (waitpid(etcd.pid, &status, WNOHANG) == etcd.pid)
			return false;
		usleep(100 * 1000);
	}
	return false;
}

static int etcd_group_setup(void **state)
{
	int cport = free_port(), pport = free_port();

	if (system("command -v etcd >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: etcd is not installed (apt-get install etcd-server)\n");
		return 0;
	}
	snprintf(etcd.dir, sizeof(etcd.dir), "/var/tmp/svcnet-etcd.XXXXXX");
	if (!mkdtemp(etcd.dir) || cport < 0 || pport < 0)
		return -1;
	snprintf(etcd.url, sizeof(etcd.url), "http://127.0.0.1:%d", cport);
	etcd.pid = fork();
	if (etcd.pid == 0)
		exec_etcd(cport, pport);
	if (etcd.pid < 0 || !etcd_ready()) {
		fprintf(stderr, "etcd did not start; see %s/etcd.log\n", etcd.dir);
		return -1;
	}
	return 0;
}

static int etcd_group_teardown(void **state)
{
	if (etcd.pid > 0) {
		kill(etcd.pid, SIGTERM);
		waitpid(etcd.pid, NULL, 0);
	}
	if (etcd.dir[0])
		rm_tree(etcd.dir);
	return 0;
}

/* ---- what only the etcd backend has ---- */

static void test_unreachable_says_why(void **state)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc = open_etcd_at("http://127.0.0.1:1,http://127.0.0.1:2", NULL, 10, &s, &err);

	assert_int_equal(rc, -ECONNREFUSED);
	assert_null(s);
	assert_non_null(err);
	assert_non_null(strstr(err, "http://127.0.0.1:1: "));
	assert_non_null(strstr(err, "http://127.0.0.1:2: "));
	free(err);
	rc = open_etcd_at("127.0.0.1:2379", NULL, 10, &s, &err);
	assert_int_equal(rc, -EINVAL);
	free(err);
}

static void test_failover_and_prefix(void **state)
{
	struct conf_fixture *f = *state;
	char servers[128];
	struct store *other = NULL;
	struct store_kv kv;
	int64_t rev, count;
	char *err = NULL;

	/* The first endpoint is down: everything goes to the second. */
	snprintf(servers, sizeof(servers), "http://127.0.0.1:1,%s", etcd.url);
	assert_int_equal(open_etcd_at(servers, f->prefix, 10, &other, &err), 0);
	assert_int_equal(store_create(other, "/registry/pods/ns/a", "a", 1, &rev), 0);
	assert_int_equal(store_get(f->s, "/registry/pods/ns/a", &kv), 0);
	assert_int_equal(kv.mod_rev, rev);
	store_kv_free(&kv);
	store_close(other);
	/* Another prefix is another key space. */
	assert_int_equal(open_etcd_at(etcd.url, "/svcnet-other/", 10, &other, &err), 0);
	assert_int_equal(store_get(other, "/registry/pods/ns/a", &kv), -ENOENT);
	assert_int_equal(store_count(other, "/registry/", &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(store_create(other, "/outside/a", "a", 1, &rev), -EINVAL);
	store_close(other);
	assert_string_equal(store_health(f->s), "");
}

/* Reads n events for keys "/registry/w/<i>" i = first.., in order, once each. */
static void expect_keys(struct watcher *w, int first, int n)
{
	struct watch_event *ev;
	char key[64];

	for (int i = first; i < first + n; i++) {
		snprintf(key, sizeof(key), "/registry/w/%d", i);
		assert_int_equal(watcher_next(w, &ev, 5000), 0);
		assert_string_equal(ev->key, key);
		assert_int_equal(ev->type, WATCH_ADDED);
		watch_event_put(ev);
	}
	assert_int_equal(watcher_next(w, &ev, 100), -ETIMEDOUT);
}

static void put_keys(struct store *s, int first, int n)
{
	char key[64];

	for (int i = first; i < first + n; i++) {
		snprintf(key, sizeof(key), "/registry/w/%d", i);
		conf_put(s, key, "v");
	}
}

static void test_watch_resumes_once(void **state)
{
	struct conf_fixture *f = *state;
	struct watcher *w;

	assert_int_equal(watch_cache_watch(store_watch_cache(f->s), "/registry/w/", R(0), &w), 0);
	put_keys(f->s, 0, 5);
	expect_keys(w, 0, 5);
	/* Cut while writes go on, then let it resume. */
	store_etcd_cut_watch(f->s, true);
	put_keys(f->s, 5, 5);
	store_etcd_cut_watch(f->s, false);
	put_keys(f->s, 10, 5);
	expect_keys(w, 5, 10);
	/* A plain cut: it reconnects by itself. */
	store_etcd_cut_watch(f->s, true);
	store_etcd_cut_watch(f->s, false);
	store_etcd_cut_watch(f->s, true);
	store_etcd_cut_watch(f->s, false);
	put_keys(f->s, 15, 3);
	expect_keys(w, 15, 3);
	watcher_close(w);
}

static void test_compacted_while_cut(void **state)
{
	struct conf_fixture *f = *state;
	struct watch_cache *wc = store_watch_cache(f->s);
	struct watcher *w, *w2;
	struct watch_event *ev;

	assert_int_equal(watch_cache_watch(wc, "/registry/w/", R(0), &w), 0);
	put_keys(f->s, 0, 2);
	expect_keys(w, 0, 2);
	store_etcd_cut_watch(f->s, true);
	put_keys(f->s, 2, 3);
	assert_int_equal(store_compact(f->s, R(5)), 0);
	store_etcd_cut_watch(f->s, false);
	/*
	 * The open watcher missed events: it is told to re-list. (It reads
	 * only once the watch has resumed: see reset_watchers in etcd_watch.c.)
	 */
	assert_int_equal(store_etcd_wait_rev(f->s, R(5), 5000), 0);
	assert_int_equal(watcher_next(w, &ev, 5000), -EOVERFLOW);
	watcher_close(w);
	assert_int_equal(watch_cache_watch(wc, "/registry/w/", R(2), &w2), -ERANGE);
	assert_int_equal(watch_cache_watch(wc, "/registry/w/", R(5), &w2), 0);
	put_keys(f->s, 5, 2);
	expect_keys(w2, 5, 2);
	watcher_close(w2);
}

/* ---- allocations shared by API servers (svcalloc with a store) ---- */

#define NPORTS 40

struct alloc_worker {
	struct svc_alloc *a[2];
	int id, made, full;
	json_t *svcs[NPORTS + 8];
};

static struct svc_alloc *new_alloc(struct store *s)
{
	struct svc_alloc_config cfg = {"10.0.0.0/24", "30000-30039"};
	struct svc_alloc *a = NULL;
	char *err = NULL;

	assert_int_equal(svc_alloc_new(&cfg, &a, &err), 0);
	svc_alloc_set_store(a, s);
	return a;
}

/* A NodePort Service named name in default. */
static json_t *node_port_svc(const char *name)
{
	return json_pack("{s:{s:s, s:s}, s:{s:s, s:[{s:i, s:s}]}}", "metadata", "namespace",
			 "default", "name", name, "spec", "type", "NodePort", "ports", "port", 80,
			 "protocol", "TCP");
}

/* Creates NodePort Services through both allocators in turn until the range is full. */
static void *alloc_until_full(void *arg)
{
	struct alloc_worker *w = arg;

	for (int i = 0; w->made < NPORTS + 8; i++) {
		struct field_errs errs = FIELD_ERRS_INIT;
		char name[32];
		json_t *svc;
		int rc;

		snprintf(name, sizeof(name), "s%d-%d", w->id, i);
		svc = node_port_svc(name);
		rc = svc_alloc_create(w->a[i % 2], svc, &errs);
		field_errs_free(&errs);
		if (rc == -ENOSPC) {
			json_decref(svc);
			if (++w->full == 2)
				break;
			continue;
		}
		assert_int_equal(rc, 0);
		w->svcs[w->made++] = svc;
	}
	return NULL;
}

static int node_port_of(const json_t *svc)
{
	const json_t *p = json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0);

	return (int)json_integer_value(json_object_get(p, "nodePort"));
}

/*
 * Two allocators (two API servers) on stores s1 and s2 that share their
 * data: concurrent creates get distinct NodePorts until the range is full,
 * and a port released through one is allocated through the other.
 */
static void shared_allocations(struct store *s1, struct store *s2)
{
	struct alloc_worker w[4];
	pthread_t t[4];
	int seen[NPORTS] = {0}, total = 0;
	struct svc_alloc *a1 = new_alloc(s1), *a2 = new_alloc(s2);
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *again;
	int freed;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++) {
		w[i].a[0] = i % 2 ? a1 : a2;
		w[i].a[1] = i % 2 ? a2 : a1;
		w[i].id = i;
		pthread_create(&t[i], NULL, alloc_until_full, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < w[i].made; k++) {
			int port = node_port_of(w[i].svcs[k]);

			assert_in_range(port, 30000, 30000 + NPORTS - 1);
			assert_int_equal(seen[port - 30000]++, 0);
			total++;
		}
	}
	assert_int_equal(total, NPORTS);
	/* Released through the first server, allocated again through the second. */
	freed = node_port_of(w[0].svcs[0]);
	svc_alloc_release(a1, w[0].svcs[0]);
	again = node_port_svc("again");
	assert_int_equal(svc_alloc_create(a2, again, &errs), 0);
	assert_int_equal(node_port_of(again), freed);
	json_decref(again);
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < w[i].made; k++)
			json_decref(w[i].svcs[k]);
	svc_alloc_free(a1);
	svc_alloc_free(a2);
}

static void test_alloc_shared_sqlite(void **state)
{
	struct conf_fixture *f = *state;

	/* One SQLite store serves one API server; two allocators still share it. */
	shared_allocations(f->s, f->s);
}

static void test_alloc_shared_etcd(void **state)
{
	struct conf_fixture *f = *state;
	struct store *other = etcd_open(f, 1000);

	shared_allocations(f->s, other);
	store_close(other);
}

/* Start-up repair: a Service stored before records existed gets its records. */
static void test_alloc_repair_writes_records(void **state)
{
	struct conf_fixture *f = *state;
	struct svc_alloc *a = new_alloc(f->s), *b;
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *old = node_port_svc("old"), *svc = node_port_svc("new");
	struct store_kv kv;

	json_object_set_new(json_object_get(old, "spec"), "clusterIP", json_string("10.0.0.7"));
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(old, "spec"), "ports"), 0), "nodePort",
	    json_integer(30007));
	svc_alloc_mark(a, old);
	assert_int_equal(svc_alloc_create(a, svc, &errs), 0);
	assert_int_equal(store_get(f->s, "/registry/ranges/serviceips/10.0.0.7", &kv), 0);
	store_kv_free(&kv);
	assert_int_equal(store_get(f->s, "/registry/ranges/servicenodeports/30007", &kv), 0);
	store_kv_free(&kv);
	/* Another server that never saw the Service still will not hand them out. */
	b = new_alloc(f->s);
	json_decref(svc);
	svc = node_port_svc("clash");
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0), "nodePort",
	    json_integer(30007));
	assert_int_equal(svc_alloc_create(b, svc, &errs), -EINVAL);
	assert_non_null(strstr(errs.v[0].message, "already allocated"));
	field_errs_free(&errs);
	json_decref(svc);
	json_decref(old);
	svc_alloc_free(a);
	svc_alloc_free(b);
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
	    CONF_TESTS(sqlite_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_shared_sqlite, sqlite_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_repair_writes_records, sqlite_setup,
					    conf_teardown),
	};
	const struct CMUnitTest etcd_tests[] = {
	    CONF_TESTS(etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_says_why, etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_failover_and_prefix, etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_resumes_once, etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_compacted_while_cut, etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_shared_etcd, etcd_setup, conf_teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_repair_writes_records, etcd_setup,
					    conf_teardown),
	};
	int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);

	failed +=
	    cmocka_run_group_tests_name("etcd", etcd_tests, etcd_group_setup, etcd_group_teardown);
	return failed;
}
