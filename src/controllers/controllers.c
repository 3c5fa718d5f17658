/*
 * The controllers' lifecycle: client, informers on Services, Pods, Nodes,
 * EndpointSlices and Endpoints, a work queue of Service keys and the
 * workers that sync them, and the metrics server. With leader election the
 * informers start at once (a warm cache makes a takeover quick) and the
 * workers only once this instance holds the Lease; losing the Lease ends
 * the process at once, so no write of a deposed leader is ever started, and
 * a supervisor starts it again as a candidate.
 */
#include "controllers/controllers-internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "controllers/endpointslice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STALE_RETRY_MS 20

void controllers_config_defaults(struct controllers_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_endpoints_per_slice = EPS_DEFAULT_MAX;
	cfg->metrics_listen = "127.0.0.1:10257";
	cfg->workers = 4;
	cfg->resync_s = 300;
	leader_config_defaults(&cfg->leader);
	cfg->leader.enabled = false;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *worker(void *arg)
{
	struct controllers *c = arg;
	for (;;) {
		char *key;
		int rc = workqueue_get(c->queue, &key, 1000);
		if (rc == -ESHUTDOWN)
			break;
		if (rc < 0)
			continue;
		if (c->leader && !leader_is_leading(c->leader)) {
			/* Not renewed within the deadline: no write until it is, or we exit. */
			workqueue_add_after(c->queue, key, STALE_RETRY_MS * 50);
		} else if (!c->stopping) {
			uint64_t t0 = now_us();
			rc = ctl_sync(c, key);
			c->m.sync_usec += now_us() - t0;
			c->m.syncs++;
			if (rc == -EAGAIN) {
				c->m.stale_requeues++;
				workqueue_add_after(c->queue, key, STALE_RETRY_MS);
			} else if (rc < 0) {
				c->m.sync_errors++;
				workqueue_retry(c->queue, key);
			} else {
				workqueue_forget(c->queue, key);
			}
		}
		workqueue_done(c->queue, key);
		free(key);
	}
	return NULL;
}

/* The client, from --server or --kubeconfig. */
static int connect_api(struct controllers *c, char **err)
{
	struct kclient_config kc;
	int rc = kclient_config_load(c->cfg.server, c->cfg.kubeconfig, &kc, err);
	if (rc < 0)
		return rc;
	rc = kclient_new(&kc, &c->client, err);
	kclient_config_free(&kc);
	return rc;
}

static const char *const inf_paths[INF_COUNT] = {
    [INF_SVC] = "/api/v1/services", [INF_POD] = "/api/v1/pods",
    [INF_NODE] = "/api/v1/nodes",   [INF_SLICE] = "/apis/discovery.k8s.io/v1/endpointslices",
    [INF_EP] = "/api/v1/endpoints",
};

/* Only the slices of the two controllers here are watched; a user's are left alone. */
#define SLICE_SELECTOR EPS_LABEL_MANAGED_BY " in (" EPS_CONTROLLER_NAME "," EPS_MIRROR_NAME ")"

static int start_informers(struct controllers *c)
{
	struct informer_handlers h[INF_COUNT];
	ctl_handlers(c, h);
	for (int i = 0; i < INF_COUNT; i++)
		c->inf[i] =
		    informer_new(c->client, inf_paths[i], i == INF_SLICE ? SLICE_SELECTOR : NULL,
				 NULL, &h[i], i == INF_SVC ? c->cfg.resync_s : 0);
	for (int i = 0; i < INF_COUNT; i++) {
		int rc = informer_start(c->inf[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int start_workers(struct controllers *c)
{
	c->nworkers = c->cfg.workers > 0 ? c->cfg.workers : 1;
	c->workers = xcalloc((size_t)c->nworkers, sizeof(*c->workers));
	for (int i = 0; i < c->nworkers; i++) {
		int rc = pthread_create(&c->workers[i], NULL, worker, c);
		if (rc) {
			c->nworkers = i;
			return -rc;
		}
	}
	return 0;
}

/* On the election thread, once we hold the Lease. */
static void on_started_leading(void *arg)
{
	struct controllers *c = arg;
	int rc = start_workers(c);
	if (rc < 0) {
		log_error("controllers", "cannot start workers: %s; exiting", strerror(-rc));
		_exit(1);
	}
	log_info("controllers", "leading: %d workers started", c->nworkers);
}

/* On the election thread: a deposed leader must not write, so the process ends now. */
static void on_stopped_leading(void *arg)
{
	(void)arg;
	log_error("controllers", "leader election lost; exiting so that a supervisor restarts us");
	_exit(1);
}

/* The workers now, or through leader election once we lead. */
static int start_or_elect(struct controllers *c, char **err)
{
	if (!c->cfg.leader.enabled) {
		int rc = start_workers(c);
		if (rc < 0)
			*err = xasprintf("cannot start workers: %s", strerror(-rc));
		return rc;
	}
	struct leader_callbacks cb = {on_started_leading, on_stopped_leading, c};
	return leader_start(c->client, &c->cfg.leader, &cb, &c->leader, err);
}

/* Copies cfg and makes the parts that cannot fail late: pool, maps, queue. */
static int setup(struct controllers *c, const struct controllers_config *cfg, char **err)
{
	c->cfg = *cfg;
	c->cfg.server = dup_or_null(cfg->server);
	c->cfg.kubeconfig = dup_or_null(cfg->kubeconfig);
	c->cfg.lb_pool = dup_or_null(cfg->lb_pool);
	c->cfg.metrics_listen = dup_or_null(cfg->metrics_listen);
	if (c->cfg.max_endpoints_per_slice < 1 || c->cfg.max_endpoints_per_slice > 1000) {
		*err = xasprintf("--max-endpoints-per-slice %d: must be from 1 to 1000",
				 c->cfg.max_endpoints_per_slice);
		return -EINVAL;
	}
	if (c->cfg.leader.enabled && leader_config_check(&c->cfg.leader, err) < 0)
		return -EINVAL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->pool_lock, NULL);
	c->pods_by_label = json_object();
	c->slices = json_object();
	c->zones = json_object();
	c->expect = json_object();
	c->gone = json_object();
	c->lb_failed = json_object();
	c->queue = workqueue_new();
	if (c->cfg.lb_pool && *c->cfg.lb_pool)
		return lbpool_new(c->cfg.lb_pool, &c->pool, err);
	return 0;
}

int controllers_start(const struct controllers_config *cfg, struct controllers **out, char **err)
{
	struct controllers *c = xcalloc(1, sizeof(*c));
	int rc = setup(c, cfg, err);
	if (rc == 0)
		rc = connect_api(c, err);
	if (rc == 0 && c->cfg.metrics_listen && *c->cfg.metrics_listen &&
	    strcmp(c->cfg.metrics_listen, "none"))
		rc = ctl_http_start(c, err);
	if (rc == 0 && (rc = start_informers(c)) < 0)
		*err = xasprintf("cannot start informers: %s", strerror(-rc));
	if (rc == 0)
		rc = start_or_elect(c, err);
	if (rc < 0) {
		controllers_stop(c);
		return rc;
	}
	log_info("controllers",
		 "started against %s: %d workers, at most %d endpoints per slice, LoadBalancer "
		 "pool %s, leader election %s",
		 kclient_server(c->client), c->cfg.workers > 0 ? c->cfg.workers : 1,
		 c->cfg.max_endpoints_per_slice, c->pool ? c->cfg.lb_pool : "none",
		 c->leader ? leader_identity(c->leader) : "off");
	*out = c;
	return 0;
}

bool controllers_ready(struct controllers *c)
{
	return c->ready;
}

int controllers_metrics_port(const struct controllers *c)
{
	return c->metrics_port;
}

static void *free_informer(void *arg)
{
	informer_free(arg);
	return NULL;
}

/* Frees the informers in parallel: each waits up to a second for its watch to notice. */
static void stop_informers(struct controllers *c)
{
	pthread_t t[INF_COUNT];
	bool started[INF_COUNT] = {false};
	for (int i = 0; i < INF_COUNT; i++)
		if (c->inf[i])
			started[i] = pthread_create(&t[i], NULL, free_informer, c->inf[i]) == 0;
	for (int i = 0; i < INF_COUNT; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else if (c->inf[i])
			informer_free(c->inf[i]);
		c->inf[i] = NULL;
	}
}

void controllers_stop(struct controllers *c)
{
	if (!c)
		return;
	c->stopping = 1;
	/* No worker starts after this; the Lease is released once the workers are done. */
	leader_stop(c->leader);
	if (c->queue)
		workqueue_shutdown(c->queue);
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	free(c->workers);
	leader_free(c->leader);
	c->leader = NULL;
	stop_informers(c);
	ctl_http_stop(c);
	if (c->queue)
		workqueue_free(c->queue);
	kclient_free(c->client);
	lbpool_free(c->pool);
	json_decref(c->pods_by_label);
	json_decref(c->slices);
	json_decref(c->zones);
	json_decref(c->expect);
	json_decref(c->gone);
	json_decref(c->lb_failed);
	if (c->pods_by_label) {
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->pool_lock);
	}
	free((char *)c->cfg.server);
	free((char *)c->cfg.kubeconfig);
	free((char *)c->cfg.lb_pool);
	free((char *)c->cfg.metrics_listen);
	free(c);
	log_info("controllers", "stopped");
}
