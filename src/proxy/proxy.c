/* The node proxy's life cycle: configuration, informers, mode, threads. */
#include "proxy/proxy-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* As kube-proxy: Services labelled for another proxy are not ours; nor headless slices. */
#define SERVICE_SELECTOR "!service.kubernetes.io/service-proxy-name"
#define SLICE_SELECTOR	 "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"

void proxy_config_defaults(struct proxy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = "userspace";
	cfg->scheduler = "rr";
	cfg->metrics_listen = "127.0.0.1:10249";
	cfg->bind_address = "0.0.0.0";
	cfg->service_cidr = "10.96.0.0/12";
	cfg->min_sync_period_ms = 1000;
	cfg->sync_period_ms = 30000;
	cfg->udp_timeout_ms = 250;
	cfg->capture = true;
}

static void on_add(void *arg, const json_t *obj)
{
	proxy_mark_dirty(arg);
}

static void on_update(void *arg, const json_t *old, const json_t *obj)
{
	const char *a = api_meta_str(old, "resourceVersion");
	if (*a && !strcmp(a, api_meta_str(obj, "resourceVersion")))
		return; /* a resync of an unchanged object */
	proxy_mark_dirty(arg);
}

static void on_delete(void *arg, const json_t *obj)
{
	proxy_mark_dirty(arg);
}

/* This machine's name in lower case, as kube-proxy's default --hostname-override. */
static char *host_name(void)
{
	char buf[256] = "localhost";
	if (gethostname(buf, sizeof(buf) - 1) == -1)
		strcpy(buf, "localhost");
	buf[sizeof(buf) - 1] = 0;
	for (char *c = buf; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return xstrdup(buf);
}

static int make_client(const struct proxy_config *cfg, struct kclient **out, char **err)
{
	struct kclient_config kc = {0};
	int rc;
	if (cfg->kubeconfig) {
		rc = kclient_config_from_kubeconfig(cfg->kubeconfig, &kc, err);
		if (rc < 0)
			return rc;
		if (cfg->server) {
			free(kc.server);
			kc.server = xstrdup(cfg->server);
		}
	} else if (cfg->server) {
		kc.server = xstrdup(cfg->server);
	} else {
		*err = xstrdup("no API server: give --server URL or --kubeconfig FILE");
		return -EINVAL;
	}
	rc = kclient_new(&kc, out, err);
	kclient_config_free(&kc);
	return rc;
}

static int start_informers(struct proxy *p, char **err)
{
	struct informer_handlers h = {
	    .on_add = on_add, .on_update = on_update, .on_delete = on_delete, .arg = p};
	char *node_sel = xasprintf("metadata.name=%s", p->node_name);
	p->svcs = informer_new(p->kc, "/api/v1/services", SERVICE_SELECTOR, NULL, &h, 0);
	p->slices = informer_new(p->kc, "/apis/discovery.k8s.io/v1/endpointslices", SLICE_SELECTOR,
				 NULL, &h, 0);
	p->nodes = informer_new(p->kc, "/api/v1/nodes", NULL, node_sel, &h, 0);
	free(node_sel);
	struct informer *all[] = {p->svcs, p->slices, p->nodes};
	for (size_t i = 0; i < 3; i++) {
		int rc = informer_start(all[i]);
		if (rc < 0) {
			*err = xasprintf("informer: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int proxy_service_cidrs_parse(const char *s, struct ip_cidr out[2], bool has[2], char **err)
{
	char one[CIDR_STRLEN + 1];
	has[0] = has[1] = false;
	for (const char *c = s; c && *c;) {
		size_t len = strcspn(c, ",");
		struct ip_cidr x;
		snprintf(one, sizeof(one), "%.*s", (int)len, c);
		if (len >= sizeof(one) || ip_cidr_parse(one, false, &x) < 0 ||
		    has[x.addr.family == IP_V6]) {
			if (err)
				*err =
				    xasprintf("--service-cidr %s: expected a CIDR, or one IPv4 and "
					      "one IPv6 CIDR separated by a comma",
					      s);
			return -EINVAL;
		}
		int i = x.addr.family == IP_V6;
		has[i] = true;
		out[i] = x;
		c += len + (c[len] == ',');
	}
	if (!has[0] && !has[1]) {
		if (err)
			*err = xasprintf("--service-cidr: empty");
		return -EINVAL;
	}
	return 0;
}

/* Copies cfg into p and finds the mode and scheduler. */
static int configure(struct proxy *p, const struct proxy_config *cfg, char **err)
{
	p->node_name = cfg->node_name && *cfg->node_name ? xstrdup(cfg->node_name) : host_name();
	p->metrics_listen = cfg->metrics_listen ? xstrdup(cfg->metrics_listen) : NULL;
	p->cluster_cidr = cfg->cluster_cidr ? xstrdup(cfg->cluster_cidr) : NULL;
	p->bind_address = xstrdup(cfg->bind_address ? cfg->bind_address : "0.0.0.0");
	p->min_sync_ms = cfg->min_sync_period_ms;
	p->sync_ms = cfg->sync_period_ms ? cfg->sync_period_ms : 30000;
	p->ops = proxy_mode_find(cfg->mode ? cfg->mode : "userspace");
	if (!p->ops) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; proxy_modes[i]; i++)
			sb_printf(&sb, "%s%s", i ? ", " : "", proxy_modes[i]->name);
		*err = xasprintf("--mode %s: not built; modes: %s", cfg->mode, sb.buf);
		sb_free(&sb);
		return -EINVAL;
	}
	struct proxy_mode_config *mc = &p->mode_cfg;
	struct ip_cidr sc[2];
	bool has_sc[2];
	const char *service_cidr = cfg->service_cidr ? cfg->service_cidr : "10.96.0.0/12";
	if (proxy_service_cidrs_parse(service_cidr, sc, has_sc, err) < 0)
		return -EINVAL;
	mc->service_cidr = xstrdup(service_cidr); /* owned: freed by proxy_stop */
	const char *sched = cfg->scheduler ? cfg->scheduler : "rr";
	mc->maglev = !strcmp(sched, "maglev");
	if (mc->maglev && strcmp(p->ops->name, "ebpf")) {
		*err = xstrdup("--scheduler maglev: only the ebpf mode balances with Maglev");
		return -EINVAL;
	}
	if (mc->maglev)
		sched = "random";
	if (sched_algo_parse(sched, &mc->scheduler) < 0) {
		*err = xasprintf("--scheduler %s: expected rr, lc, dh, sh, sed, nq, random or "
				 "maglev (ebpf)",
				 cfg->scheduler);
		return -EINVAL;
	}
	if (cfg->cgroup_path)
		mc->cgroup_path = p->cgroup_path = xstrdup(cfg->cgroup_path);
	mc->node_name = p->node_name;
	mc->cluster_cidr = p->cluster_cidr;
	mc->udp_timeout_ms = cfg->udp_timeout_ms ? cfg->udp_timeout_ms : 250;
	mc->bind_address = p->bind_address;
	mc->capture = cfg->capture;
	return 0;
}

int proxy_start(const struct proxy_config *cfg, struct proxy **out, char **err)
{
	struct proxy *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	proxy_metrics_init(&p->metrics);
	*out = NULL;
	int rc = configure(p, cfg, err);
	if (rc == 0)
		rc = make_client(cfg, &p->kc, err);
	if (rc == 0)
		rc = p->ops->init(&p->mode_cfg, &p->mode, err);
	if (rc == 0)
		rc = proxy_http_start(p, err);
	if (rc == 0)
		rc = start_informers(p, err);
	if (rc == 0) {
		rc = -pthread_create(&p->thread, NULL, proxy_sync_main, p);
		p->thread_started = rc == 0;
		if (rc < 0)
			*err = xasprintf("sync thread: %s", strerror(-rc));
	}
	if (rc < 0) {
		proxy_stop(p);
		return rc;
	}
	log_info("proxy", "started: mode %s, node %s, scheduler %s, metrics on %s", p->ops->name,
		 p->node_name, sched_algo_name(p->mode_cfg.scheduler),
		 p->metrics_listen ? p->metrics_listen : "none");
	*out = p;
	return 0;
}

void proxy_stop(struct proxy *p)
{
	if (!p)
		return;
	/*
	 * The sync thread first: it reads the informers' caches, and a last sync
	 * over caches being torn down would install an empty data plane.
	 */
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->thread_started)
		pthread_join(p->thread, NULL);
	informer_free(p->svcs);
	informer_free(p->slices);
	informer_free(p->nodes);
	proxy_http_stop(p);
	if (p->mode)
		p->ops->stop(p->mode);
	svcmap_free(p->current);
	kclient_free(p->kc);
	proxy_metrics_destroy(&p->metrics);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->node_name);
	free(p->metrics_listen);
	free(p->cluster_cidr);
	free((char *)p->mode_cfg.service_cidr);
	free(p->bind_address);
	free(p->cgroup_path);
	free(p);
}

int proxy_metrics_port(const struct proxy *p)
{
	return p->metrics_port;
}

bool proxy_ready(struct proxy *p)
{
	pthread_mutex_lock(&p->lock);
	bool ready = p->ready;
	pthread_mutex_unlock(&p->lock);
	return ready;
}

int proxy_cleanup(const char *mode, char **err)
{
	int rc = 0;
	for (size_t i = 0; proxy_modes[i]; i++) {
		if (mode && strcmp(mode, proxy_modes[i]->name))
			continue;
		char *e = NULL;
		int r = proxy_modes[i]->cleanup(&e);
		if (r < 0 && rc == 0) {
			rc = r;
			*err = xasprintf("%s mode: %s", proxy_modes[i]->name, e ? e : "failed");
		}
		free(e);
		if (r == 0)
			log_info("proxy", "%s mode: cleaned up", proxy_modes[i]->name);
	}
	if (mode && !proxy_mode_find(mode)) {
		*err = xasprintf("--mode %s: not built", mode);
		return -EINVAL;
	}
	return rc;
}

bool proxy_mode_exists(const char *name)
{
	return proxy_mode_find(name) != NULL;
}
