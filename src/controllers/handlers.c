/*
 * The informer handlers of the controllers: they keep the indices the syncs
 * need (pods by namespace and label, slices by Service, node zones), note
 * which changes are this controller's own writes (tracker.c), and queue the
 * keys of the Services a change concerns.
 */
#include "controllers/controllers-internal.h"

#include "api/selector.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "controllers/endpointslice.h"
#include "controllers/podutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *meta_key(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	return xasprintf("%s/%s", podutil_str(meta, "namespace"), podutil_str(meta, "name"));
}

static const char *meta_str(const json_t *obj, const char *k)
{
	return podutil_str(json_object_get(obj, "metadata"), k);
}

static const json_t *labels_of(const json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "labels");
}

/* ---- Pods: an index by namespace and label ---- */

static void pod_index(struct controllers *c, const json_t *pod, bool add)
{
	const char *ns = meta_str(pod, "namespace"), *name = meta_str(pod, "name"), *k;
	json_t *v;
	json_object_foreach((json_t *)labels_of(pod), k, v)
	{
		char *bk = xasprintf("%s\037%s=%s", ns, k,
				     json_string_value(v) ? json_string_value(v) : "");
		json_t *b = json_object_get(c->pods_by_label, bk);
		if (add) {
			if (!b)
				json_object_set_new(c->pods_by_label, bk, b = json_object());
			json_object_set(b, name, (json_t *)pod);
		} else if (b) {
			json_object_del(b, name);
			if (!json_object_size(b))
				json_object_del(c->pods_by_label, bk);
		}
		free(bk);
	}
}

json_t *ctl_select_pods(struct controllers *c, const char *ns, const json_t *selector)
{
	json_t *out = json_array();
	const char *k;
	json_t *v, *best = NULL;
	pthread_mutex_lock(&c->lock);
	/* The smallest bucket of the selector's pairs holds every candidate. */
	json_object_foreach((json_t *)selector, k, v)
	{
		char *bk = xasprintf("%s\037%s=%s", ns, k,
				     json_string_value(v) ? json_string_value(v) : "");
		json_t *b = json_object_get(c->pods_by_label, bk);
		free(bk);
		if (!b) {
			best = NULL;
			break;
		}
		if (!best || json_object_size(b) < json_object_size(best))
			best = b;
	}
	json_object_foreach(best, k, v)
	{
		if (label_map_matches(selector, labels_of(v)))
			json_array_append(out, v);
	}
	pthread_mutex_unlock(&c->lock);
	return out;
}

struct match_ctx {
	const char *ns;
	const json_t *labels[2];
	json_t *keys;
};

static void match_service(const json_t *svc, void *arg)
{
	struct match_ctx *m = arg;
	const json_t *sel = podutil_svc_selector(svc);
	if (!sel || strcmp(meta_str(svc, "namespace"), m->ns))
		return;
	for (int i = 0; i < 2; i++) {
		if (m->labels[i] && label_map_matches(sel, m->labels[i])) {
			json_array_append_new(m->keys,
					      json_sprintf("%s/%s", m->ns, meta_str(svc, "name")));
			return;
		}
	}
}

/* Queues the Services whose selector matches old's or pod's labels. */
static void queue_pod_services(struct controllers *c, const json_t *old, const json_t *pod)
{
	struct match_ctx m = {
	    meta_str(pod, "namespace"), {labels_of(old), labels_of(pod)}, json_array()};
	informer_foreach(c->inf[INF_SVC], match_service, &m);
	size_t i;
	json_t *k;
	json_array_foreach(m.keys, i, k) workqueue_add(c->queue, json_string_value(k));
	json_decref(m.keys);
}

static void pod_add(void *arg, const json_t *pod)
{
	struct controllers *c = arg;
	pthread_mutex_lock(&c->lock);
	pod_index(c, pod, true);
	pthread_mutex_unlock(&c->lock);
	if (c->ready)
		queue_pod_services(c, NULL, pod);
}

static void pod_update(void *arg, const json_t *old, const json_t *pod)
{
	struct controllers *c = arg;
	if (old == pod)
		return; /* a resync: the Services resync themselves */
	pthread_mutex_lock(&c->lock);
	pod_index(c, old, false);
	pod_index(c, pod, true);
	pthread_mutex_unlock(&c->lock);
	if (c->ready)
		queue_pod_services(c, old, pod);
}

static void pod_delete(void *arg, const json_t *pod)
{
	struct controllers *c = arg;
	pthread_mutex_lock(&c->lock);
	pod_index(c, pod, false);
	pthread_mutex_unlock(&c->lock);
	if (c->ready)
		queue_pod_services(c, NULL, pod);
}

/* ---- Services and Endpoints: their key ---- */

/* Service events: the key is queued, unless the event is our own status write. */
static void svc_event(struct controllers *c, const json_t *svc, bool deleted)
{
	char *key = meta_key(svc);
	pthread_mutex_lock(&c->lock);
	bool mine = ctl_observe(c, key, "svc", meta_str(svc, "resourceVersion"), deleted);
	if (deleted)
		json_object_set_new(c->gone, key, json_true());
	pthread_mutex_unlock(&c->lock);
	if (c->ready && !mine)
		workqueue_add(c->queue, key);
	free(key);
}

static void svc_add(void *arg, const json_t *svc)
{
	svc_event(arg, svc, false);
}

static void svc_update(void *arg, const json_t *old, const json_t *svc)
{
	svc_event(arg, svc, false);
}

static void svc_delete(void *arg, const json_t *svc)
{
	svc_event(arg, svc, true);
}

/* Endpoints events: queued unless they are this controller's own write. */
static void ep_event(struct controllers *c, const json_t *ep, bool deleted)
{
	char *key = meta_key(ep);
	pthread_mutex_lock(&c->lock);
	bool mine = ctl_observe(c, key, "ep", meta_str(ep, "resourceVersion"), deleted);
	pthread_mutex_unlock(&c->lock);
	if (c->ready && !mine)
		workqueue_add(c->queue, key);
	free(key);
}

static void ep_add(void *arg, const json_t *ep)
{
	ep_event(arg, ep, false);
}

static void ep_update(void *arg, const json_t *old, const json_t *ep)
{
	if (old != ep)
		ep_event(arg, ep, false);
}

static void ep_delete(void *arg, const json_t *ep)
{
	ep_event(arg, ep, true);
}

/* ---- EndpointSlices: an index by Service ---- */

/* "ns/service" of a slice, or NULL without the service-name label. */
static char *slice_owner_key(const json_t *s)
{
	const char *svc = podutil_str(labels_of(s), EPS_LABEL_SERVICE_NAME);
	return *svc ? xasprintf("%s/%s", meta_str(s, "namespace"), svc) : NULL;
}

/* Updates the index and the tracker; returns whether the Service needs a sync. */
static bool slice_index(struct controllers *c, const json_t *s, const char *key, bool add)
{
	const char *name = meta_str(s, "name");
	char *okey = xasprintf("slice/%s", name);
	json_t *b = json_object_get(c->slices, key);
	if (add) {
		if (!b)
			json_object_set_new(c->slices, key, b = json_object());
		json_object_set(b, name, (json_t *)s);
	} else if (b) {
		json_object_del(b, name);
		if (!json_object_size(b))
			json_object_del(c->slices, key);
	}
	bool mine = ctl_observe(c, key, okey, meta_str(s, "resourceVersion"), !add);
	free(okey);
	return !mine;
}

static void slice_event(struct controllers *c, const json_t *old, const json_t *s, bool deleted)
{
	char *okey = old ? slice_owner_key(old) : NULL;
	char *key = slice_owner_key(s);
	bool sync = false;
	pthread_mutex_lock(&c->lock);
	if (okey && (!key || strcmp(okey, key) || deleted))
		sync |= slice_index(c, old, okey, false);
	if (key)
		sync |= slice_index(c, s, key, !deleted);
	pthread_mutex_unlock(&c->lock);
	if (c->ready && sync) {
		if (okey && (!key || strcmp(okey, key)))
			workqueue_add(c->queue, okey);
		if (key)
			workqueue_add(c->queue, key);
	}
	free(okey);
	free(key);
}

static void slice_add(void *arg, const json_t *s)
{
	slice_event(arg, NULL, s, false);
}

static void slice_update(void *arg, const json_t *old, const json_t *s)
{
	if (old != s)
		slice_event(arg, old, s, false);
}

static void slice_delete(void *arg, const json_t *s)
{
	slice_event(arg, NULL, s, true);
}

json_t *ctl_service_slices(struct controllers *c, const char *key, const char *managed_by)
{
	json_t *out = json_array();
	const char *name;
	json_t *s;
	pthread_mutex_lock(&c->lock);
	json_object_foreach(json_object_get(c->slices, key), name, s)
	{
		if (!strcmp(podutil_str(labels_of(s), EPS_LABEL_MANAGED_BY), managed_by))
			json_array_append(out, s);
	}
	pthread_mutex_unlock(&c->lock);
	return out;
}

/* ---- Nodes: zones ---- */

static void node_zone(struct controllers *c, const json_t *node, bool deleted)
{
	const char *name = meta_str(node, "name");
	const char *zone =
	    deleted ? "" : podutil_str(labels_of(node), "topology.kubernetes.io/zone");
	pthread_mutex_lock(&c->lock);
	bool changed = strcmp(podutil_str(c->zones, name), zone) != 0;
	if (deleted)
		json_object_del(c->zones, name);
	else
		json_object_set_new(c->zones, name, json_string(zone));
	pthread_mutex_unlock(&c->lock);
	if (changed && c->ready) {
		log_info("controllers", "node %s: zone \"%s\"; resyncing every Service", name,
			 zone);
		ctl_queue_all(c);
	}
}

static void node_add(void *arg, const json_t *n)
{
	node_zone(arg, n, false);
}

static void node_update(void *arg, const json_t *old, const json_t *n)
{
	node_zone(arg, n, false);
}

static void node_delete(void *arg, const json_t *n)
{
	node_zone(arg, n, true);
}

json_t *ctl_zones(struct controllers *c)
{
	pthread_mutex_lock(&c->lock);
	json_t *z = json_deep_copy(c->zones);
	pthread_mutex_unlock(&c->lock);
	return z;
}

static void synced(void *arg)
{
	struct controllers *c = arg;
	if (atomic_fetch_add(&c->synced, 1) + 1 != INF_COUNT)
		return;
	ctl_lb_rebuild(c);
	c->ready = true;
	ctl_queue_all(c);
	log_info("controllers",
		 "caches synced: %zu services, %zu pods, %zu endpointslices, %zu "
		 "endpoints, %zu nodes; %d keys queued",
		 informer_count(c->inf[INF_SVC]), informer_count(c->inf[INF_POD]),
		 informer_count(c->inf[INF_SLICE]), informer_count(c->inf[INF_EP]),
		 informer_count(c->inf[INF_NODE]), workqueue_len(c->queue));
}

void ctl_handlers(struct controllers *c, struct informer_handlers h[INF_COUNT])
{
	h[INF_SVC] = (struct informer_handlers){svc_add, svc_update, svc_delete, synced, c};
	h[INF_POD] = (struct informer_handlers){pod_add, pod_update, pod_delete, synced, c};
	h[INF_NODE] = (struct informer_handlers){node_add, node_update, node_delete, synced, c};
	h[INF_SLICE] = (struct informer_handlers){slice_add, slice_update, slice_delete, synced, c};
	h[INF_EP] = (struct informer_handlers){ep_add, ep_update, ep_delete, synced, c};
}

static void collect_key(const json_t *obj, void *arg)
{
	json_array_append_new(
	    arg, json_sprintf("%s/%s", meta_str(obj, "namespace"), meta_str(obj, "name")));
}

/*
 * Every Service; the Services of our slices (slices of deleted Services go);
 * Endpoints without a Service, deleted as kube's checkLeftoverEndpoints does.
 */
void ctl_queue_all(struct controllers *c)
{
	json_t *keys = json_array(), *eps = json_array();
	informer_foreach(c->inf[INF_SVC], collect_key, keys);
	informer_foreach(c->inf[INF_EP], collect_key, eps);
	size_t i;
	json_t *k;
	json_array_foreach(eps, i, k)
	{
		const char *key = json_string_value(k), *slash = strchr(key, '/');
		char *ns = strndup(key, slash ? (size_t)(slash - key) : 0);
		json_t *svc = informer_get(c->inf[INF_SVC], ns, slash ? slash + 1 : key);
		free(ns);
		if (!svc) {
			pthread_mutex_lock(&c->lock);
			json_object_set_new(c->gone, key, json_true());
			pthread_mutex_unlock(&c->lock);
			json_array_append(keys, k);
		}
		json_decref(svc);
	}
	const char *sk;
	json_t *b;
	pthread_mutex_lock(&c->lock);
	json_object_foreach(c->slices, sk, b) json_array_append_new(keys, json_string(sk));
	pthread_mutex_unlock(&c->lock);
	json_array_foreach(keys, i, k) workqueue_add(c->queue, json_string_value(k));
	json_decref(keys);
	json_decref(eps);
}
