/*
 * The agent's life: start (bridge, Node, informers on this node's Pods and
 * on unscheduled ones), one loop thread that owns the local pods (syncing
 * each key the informers queue, ticking processes, writing statuses and the
 * Node heartbeat), and stop.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STOP_GRACE_S 5

void agent_config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pod_cidr = "10.244.0.0/24";
	cfg->data_dir = "./data";
	cfg->bridge = "svcnet0";
	cfg->heartbeat_s = 10;
}

static void queue_obj(void *arg, const json_t *obj)
{
	struct agent *a = arg;
	char *key = xasprintf("%s/%s", api_meta_str(obj, "namespace"), api_meta_str(obj, "name"));
	workqueue_add(a->q, key);
	free(key);
}

static void on_update(void *arg, const json_t *old, const json_t *obj)
{
	queue_obj(arg, obj);
}

static struct agent_pod *find_pod(struct agent *a, const char *key, struct agent_pod ***link)
{
	for (struct agent_pod **pp = &a->list; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->key, key)) {
			if (link)
				*link = pp;
			return *pp;
		}
	return NULL;
}

/* Unlinks and destroys the local pod of key, if any. */
static void drop_pod(struct agent *a, const char *key, bool release_ip)
{
	struct agent_pod **link, *p = find_pod(a, key, &link);
	if (!p)
		return;
	*link = p->next;
	agent_pod_destroy(p, release_ip);
}

/* Removes the Pod object once its processes are gone (kubelet's final delete). */
static void delete_pod(struct agent *a, const char *ns, const char *name)
{
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", ns, name);
	json_t *resp = NULL;
	int rc = kclient_delete(a->kc, path, &resp);
	if (rc == 200 || rc == 404)
		log_info("agent", "pod %s/%s: deleted", ns, name);
	else
		log_warn("agent", "pod %s/%s: final delete: HTTP %d", ns, name, rc);
	json_decref(resp);
	free(path);
}

static bool finished(const json_t *obj)
{
	const char *ph =
	    json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
	return ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"));
}

/* Brings the local pod of obj (a Pod bound to this node) in line with it. */
static void sync_bound(struct agent *a, const char *key, const json_t *obj)
{
	struct agent_pod *p = find_pod(a, key, NULL);
	if (p && strcmp(p->uid, api_meta_str(obj, "uid"))) {
		drop_pod(a, key, true);
		p = NULL;
	}
	json_t *meta = json_object_get(obj, "metadata");
	if (json_object_get(meta, "deletionTimestamp")) {
		json_t *g = json_object_get(meta, "deletionGracePeriodSeconds");
		if (p)
			agent_pod_terminate(p,
					    json_is_integer(g) ? (long)json_integer_value(g) : 30);
		else
			delete_pod(a, api_meta_str(obj, "namespace"), api_meta_str(obj, "name"));
		return;
	}
	if (p || finished(obj))
		return;
	p = agent_pod_start(a, obj);
	if (p) {
		p->next = a->list;
		a->list = p;
		agent_pod_write_status(p);
	} else {
		workqueue_retry(a->q, key);
	}
}

static void sync_key(struct agent *a, const char *key)
{
	char *ns = xstrdup(key), *name = strchr(ns, '/');
	if (!name)
		goto out;
	*name++ = 0;
	json_t *obj = informer_get(a->pods, ns, name);
	if (obj) {
		sync_bound(a, key, obj);
	} else if ((obj = informer_get(a->unscheduled, ns, name))) {
		if (!json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp") &&
		    agent_node_alone(a) && agent_bind(a, obj) < 0)
			workqueue_retry(a->q, key);
	} else if (find_pod(a, key, NULL)) {
		log_info("agent", "pod %s: removed from the API, stopping it", key);
		drop_pod(a, key, true);
	}
	json_decref(obj);
out:
	free(ns);
}

/* One pass over the local pods: processes, finished terminations, statuses. */
static void tick(struct agent *a, time_t now)
{
	for (struct agent_pod **pp = &a->list; *pp;) {
		struct agent_pod *p = *pp;
		agent_pod_tick(p, now);
		if (p->terminating && agent_pod_gone(p)) {
			*pp = p->next;
			char *ns = xstrdup(p->ns), *name = xstrdup(p->name);
			agent_pod_destroy(p, true);
			delete_pod(a, ns, name);
			free(ns);
			free(name);
			continue;
		}
		if (p->status_dirty)
			agent_pod_write_status(p);
		pp = &p->next;
	}
	if (now >= a->next_heartbeat) {
		agent_node_heartbeat(a);
		a->next_heartbeat = now + a->heartbeat_s;
	}
}

/* At stop: SIGTERM to every pod, a few seconds, then SIGKILL and cleanup. */
static void stop_pods(struct agent *a)
{
	for (struct agent_pod *p = a->list; p; p = p->next)
		agent_pod_terminate(p, STOP_GRACE_S);
	for (int i = 0; i < STOP_GRACE_S * 10; i++) {
		bool all = true;
		for (struct agent_pod *p = a->list; p; p = p->next) {
			agent_pod_tick(p, time(NULL));
			all &= agent_pod_gone(p);
		}
		if (all)
			break;
		usleep(100000);
	}
	while (a->list) {
		struct agent_pod *p = a->list;
		a->list = p->next;
		agent_pod_destroy(p, false);
	}
}

static void *loop(void *arg)
{
	struct agent *a = arg;
	while (!a->stop) {
		char *key = NULL;
		int rc = workqueue_get(a->q, &key, 200);
		if (rc == 0) {
			sync_key(a, key);
			workqueue_done(a->q, key);
			free(key);
		} else if (rc == -ESHUTDOWN) {
			break;
		}
		tick(a, time(NULL));
	}
	stop_pods(a);
	return NULL;
}

static int setup(struct agent *a, const struct agent_config *cfg, char **err)
{
	struct kclient_config kc = {0};
	int rc = kclient_config_load(cfg->server, cfg->kubeconfig, &kc, err);
	if (rc == 0)
		rc = kclient_new(&kc, &a->kc, err);
	kclient_config_free(&kc);
	if (rc < 0)
		return rc;
	char *dir = xasprintf("%s/agent", a->data_dir), *logs = xasprintf("%s/logs", dir);
	char *ipam = xasprintf("%s/ipam", dir);
	mkdir(a->data_dir, 0755);
	mkdir(dir, 0755);
	if (mkdir(logs, 0755) == -1 && errno != EEXIST) {
		rc = -errno;
		*err = xasprintf("cannot create %s: %s", logs, strerror(errno));
	}
	if (rc == 0)
		rc = agent_ipam_open(&a->ipam, ipam, cfg->pod_cidr, err);
	free(ipam);
	free(logs);
	free(dir);
	if (rc < 0)
		return rc;
	struct ip_addr gw;
	agent_ipam_gateway(&a->ipam, &gw);
	ip_addr_format(&gw, a->node_ip);
	a->prefix = a->ipam.cidr.prefix;
	a->cluster_dns = xstrdup(cfg->cluster_dns ? cfg->cluster_dns : a->node_ip);
	rc = agent_net_bridge_up(a->bridge, &gw, a->prefix, &a->forward_was, err);
	if (rc == 0)
		rc = agent_node_register(a, err);
	return rc;
}

static int start_informers(struct agent *a)
{
	struct informer_handlers h = {
	    .on_add = queue_obj, .on_update = on_update, .on_delete = queue_obj, .arg = a};
	char *mine = xasprintf("spec.nodeName=%s", a->node);
	a->pods = informer_new(a->kc, "/api/v1/pods", NULL, mine, &h, 0);
	a->unscheduled = informer_new(a->kc, "/api/v1/pods", NULL, "spec.nodeName=", &h, 0);
	free(mine);
	int rc = informer_start(a->pods);
	if (rc == 0)
		rc = informer_start(a->unscheduled);
	return rc;
}

int agent_start(const struct agent_config *cfg, struct agent **out, char **err)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	a->node = xstrdup(cfg->node_name ? cfg->node_name : host);
	a->zone = cfg->zone ? xstrdup(cfg->zone) : NULL;
	a->data_dir = xstrdup(cfg->data_dir ? cfg->data_dir : "./data");
	a->bridge = xstrdup(cfg->bridge ? cfg->bridge : "svcnet0");
	a->heartbeat_s = cfg->heartbeat_s > 0 ? cfg->heartbeat_s : 10;
	a->q = workqueue_new();
	int rc = setup(a, cfg, err);
	if (rc == 0 && (rc = start_informers(a)) < 0)
		*err = xasprintf("starting the pod informers: %s", strerror(-rc));
	if (rc == 0 && (rc = -pthread_create(&a->loop, NULL, loop, a)) < 0)
		*err = xasprintf("starting the agent thread: %s", strerror(-rc));
	a->loop_started = rc == 0;
	if (rc < 0) {
		agent_stop(a);
		return rc;
	}
	log_info("agent", "node %s: pods from %s get addresses in %s/%d, DNS %s", a->node,
		 kclient_server(a->kc), a->node_ip, a->prefix, a->cluster_dns);
	*out = a;
	return 0;
}

void agent_stop(struct agent *a)
{
	if (!a)
		return;
	a->stop = 1;
	workqueue_shutdown(a->q);
	if (a->loop_started)
		pthread_join(a->loop, NULL);
	informer_free(a->pods);
	informer_free(a->unscheduled);
	workqueue_free(a->q);
	if (a->node_ip[0])
		agent_net_bridge_down(a->bridge, a->forward_was);
	if (a->loop_started)
		log_info("agent", "node %s: stopped; pods, namespaces and bridge removed", a->node);
	agent_ipam_close(&a->ipam);
	kclient_free(a->kc);
	free(a->cluster_dns);
	free(a->node);
	free(a->zone);
	free(a->data_dir);
	free(a->bridge);
	free(a);
}
