/*
 * Tests of the DNS server's informers (src/dns/watch.c) against the real
 * API server, started in-process on a free loopback port: a first list of
 * more than one page, watch events for Services and EndpointSlices (a slice
 * moving between Services), and a re-list after 410 Gone whose deletions
 * reach the records although the informers keep no objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiserver/apiserver.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "dns/server-internal.h"
#include "store/store.h"

#define SVCS	"/api/v1/namespaces/default/services"
#define SLICES	"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
#define NSVC	510 /* more than one page of 500 */
#define WAIT_MS 15000

struct env {
	char dir[64];
	struct apiserver *api;
	int port;
	struct kclient *c;
	struct dns_server *dns;
};

static int start_api(struct env *e, const char *dir, int port, struct apiserver **out)
{
	struct apiserver_config cfg;
	char listen[64], *err = NULL;

	apiserver_config_defaults(&cfg);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	cfg.data_dir = dir;
	cfg.listen = listen;
	int rc = apiserver_start(&cfg, out, &err);
	if (rc < 0)
		fprintf(stderr, "apiserver_start: %s\n", err);
	free(err);
	return rc;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct kclient_config cfg = {0};
	char *err = NULL;

	snprintf(e->dir, sizeof(e->dir), "/tmp/svcnet-dnswatch.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	assert_int_equal(start_api(e, e->dir, 0, &e->api), 0);
	e->port = apiserver_port(e->api);
	cfg.server = xasprintf("http://127.0.0.1:%d", e->port);
	assert_int_equal(kclient_new(&cfg, &e->c, &err), 0);
	free(cfg.server);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char *cmd = xasprintf("rm -rf %s", e->dir);

	dns_stop(e->dns);
	kclient_free(e->c);
	apiserver_stop(e->api);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(e);
	return 0;
}

static void post(struct kclient *c, const char *path, const char *body)
{
	json_error_t jerr;
	json_t *obj = json_loads(body, 0, &jerr), *out = NULL;

	if (!obj)
		fail_msg("bad JSON in test: %s: %s", jerr.text, body);
	int st = kclient_post(c, path, obj, &out);
	if (st != 201)
		fail_msg("POST %s: %d: %s", path, st,
			 json_string_value(json_object_get(out, "message")));
	json_decref(out);
	json_decref(obj);
}

static void delete (struct kclient *c, const char *collection, const char *name)
{
	char *path = xasprintf("%s/%s", collection, name);
	json_t *out = NULL;

	assert_int_equal(kclient_delete(c, path, &out), 200);
	json_decref(out);
	free(path);
}

static void create_svc(struct kclient *c, const char *name, bool headless)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"%s\"},"
		 "\"spec\":{%s\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
		 name, headless ? "\"clusterIP\":\"None\"," : "");
	post(c, SVCS, body);
}

static const char slice_fmt[] =
    "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":"
    "{\"name\":\"%s\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
    "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}],"
    "\"endpoints\":[{\"addresses\":[\"%s\"],\"hostname\":\"%s\",\"conditions\":{\"ready\":true}}]}";

static void create_slice(struct kclient *c, const char *name, const char *svc, const char *ip,
			 const char *hostname)
{
	char body[1024];

	snprintf(body, sizeof(body), slice_fmt, name, svc, ip, hostname);
	post(c, SLICES, body);
}

/* Changes the Service a slice belongs to (its label), with a read-modify-write PUT. */
static void relabel_slice(struct kclient *c, const char *name, const char *svc)
{
	char *path = xasprintf("%s/%s", SLICES, name);
	json_t *obj = NULL, *out = NULL;

	assert_int_equal(kclient_get(c, path, &obj), 200);
	json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"),
			    "kubernetes.io/service-name", json_string(svc));
	assert_int_equal(kclient_put(c, path, obj, &out), 200);
	json_decref(obj);
	json_decref(out);
	free(path);
}

static void start_dns(struct env *e)
{
	struct dns_config cfg;
	char *err = NULL;

	dns_config_defaults(&cfg);
	cfg.client = e->c;
	cfg.listen = "127.0.0.1:0";
	cfg.metrics_listen = "none";
	cfg.threads = 1;
	if (dns_start(&cfg, &e->dns, &err) < 0)
		fail_msg("dns_start: %s", err);
	for (int i = 0; i < WAIT_MS / 10 && !dns_db_synced(e->dns->db); i++)
		usleep(10000);
	assert_true(dns_db_synced(e->dns->db));
}

/* The records of type at name (text) in the server's database. */
static int records(struct env *e, const char *name, uint16_t type)
{
	uint8_t w[DNS_NAME_MAX];
	int n = 0, len = dns_name_from_text(name, w);

	assert_true(len > 0);
	dns_db_rdlock(e->dns->db);
	const struct dns_node *node = dns_db_find(e->dns->db, w, (size_t)len);
	for (uint32_t i = 0; node && i < node->nrr; i++)
		n += node->rr[i].type == type;
	dns_db_unlock(e->dns->db);
	return n;
}

/* Waits until name has want records of type; returns whether it came to that. */
static bool wait_records(struct env *e, const char *name, uint16_t type, int want)
{
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (records(e, name, type) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_list_pages_and_events(void **state)
{
	struct env *e = *state;
	char name[32];

	for (int i = 0; i < NSVC; i++) {
		snprintf(name, sizeof(name), "s%03d", i);
		create_svc(e->c, name, false);
	}
	create_svc(e->c, "db", true);
	create_svc(e->c, "db2", true);
	create_slice(e->c, "db-1", "db", "10.1.0.1", "db-0");
	start_dns(e);

	size_t services, names, recs;
	dns_db_stats(e->dns->db, &services, &names, &recs);
	assert_int_equal(services, NSVC + 1); /* db2 has no endpoints, so no records */
	assert_int_equal(records(e, "s000.default.svc.cluster.local", DNS_T_A), 1);
	assert_int_equal(records(e, "_http._tcp.s509.default.svc.cluster.local", DNS_T_SRV), 1);
	assert_int_equal(records(e, "db.default.svc.cluster.local", DNS_T_A), 1);
	assert_int_equal(records(e, "db-0.db.default.svc.cluster.local", DNS_T_A), 1);
	assert_int_equal(records(e, "_pg._tcp.db.default.svc.cluster.local", DNS_T_SRV), 1);

	/* Watch events: a Service deleted and created, a slice moving to another Service. */
	delete (e->c, SVCS, "s000");
	assert_true(wait_records(e, "s000.default.svc.cluster.local", DNS_T_A, 0));
	create_svc(e->c, "late", false);
	assert_true(wait_records(e, "late.default.svc.cluster.local", DNS_T_A, 1));
	relabel_slice(e->c, "db-1", "db2");
	assert_true(wait_records(e, "db-0.db2.default.svc.cluster.local", DNS_T_A, 1));
	assert_int_equal(records(e, "db-0.db.default.svc.cluster.local", DNS_T_A), 0);
	assert_int_equal(records(e, "db.default.svc.cluster.local", DNS_T_A), 0);
	create_slice(e->c, "db-2", "db2", "10.1.0.2", "db-1");
	assert_true(wait_records(e, "db2.default.svc.cluster.local", DNS_T_A, 2));
	delete (e->c, SLICES, "db-1");
	assert_true(wait_records(e, "db2.default.svc.cluster.local", DNS_T_A, 1));
	assert_int_equal(records(e, "db-0.db2.default.svc.cluster.local", DNS_T_A), 0);
	assert_int_equal(records(e, "db-1.db2.default.svc.cluster.local", DNS_T_A), 1);
	delete (e->c, SVCS, "db2");
	assert_true(wait_records(e, "db-1.db2.default.svc.cluster.local", DNS_T_A, 0));
}

/*
 * The DNS server's API server goes away; meanwhile another one on the same
 * store deletes a Service and a slice and creates a Service, and the
 * store's history is compacted. The informers' watches then get 410 Gone
 * and re-list: the deletions they find come without the objects.
 */
static void test_relist_after_gone(void **state)
{
	struct env *e = *state;
	struct apiserver *other = NULL;
	struct kclient *oc = NULL;
	struct kclient_config cfg = {0};
	char *err = NULL;

	create_svc(e->c, "rl-gone", false);
	create_svc(e->c, "rl-db", true);
	create_slice(e->c, "rl-db-1", "rl-db", "10.1.0.3", "rl-0");
	start_dns(e);
	assert_int_equal(records(e, "rl-gone.default.svc.cluster.local", DNS_T_A), 1);
	assert_int_equal(records(e, "rl-0.rl-db.default.svc.cluster.local", DNS_T_A), 1);

	apiserver_stop(e->api);
	e->api = NULL;
	assert_int_equal(start_api(e, e->dir, 0, &other), 0);
	cfg.server = xasprintf("http://127.0.0.1:%d", apiserver_port(other));
	assert_int_equal(kclient_new(&cfg, &oc, &err), 0);
	free(cfg.server);
	delete (oc, SVCS, "rl-gone");
	delete (oc, SLICES, "rl-db-1");
	create_svc(oc, "rl-new", false);
	kclient_free(oc);
	apiserver_stop(other);
	struct store *st = NULL;
	assert_int_equal(store_open_sqlite(e->dir, 100, &st, &err), 0);
	assert_int_equal(store_compact(st, store_current_rev(st)), 0);
	store_close(st);
	assert_int_equal(start_api(e, e->dir, e->port, &e->api), 0);

	assert_true(wait_records(e, "rl-new.default.svc.cluster.local", DNS_T_A, 1));
	assert_true(wait_records(e, "rl-gone.default.svc.cluster.local", DNS_T_A, 0));
	assert_true(wait_records(e, "rl-0.rl-db.default.svc.cluster.local", DNS_T_A, 0));
	assert_int_equal(records(e, "rl-db.default.svc.cluster.local", DNS_T_A), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_list_pages_and_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relist_after_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
