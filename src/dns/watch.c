/*
 * Services and EndpointSlices into the record database. Two informers feed
 * an index from "namespace/name" to the Service and its slices (by the
 * kubernetes.io/service-name label); every change recomputes the records of
 * that one Service and swaps them in. Until both informers have listed
 * everything, changes only mark keys dirty; the first sync builds them all
 * and then lets cluster names be answered.
 */
#include "dns/server-internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "client/informer.h"
#include "dns/records.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_LABEL "kubernetes.io/service-name"

struct dns_watch {
	struct dns_server *srv;
	struct kclient *client;
	bool own_client;
	struct informer *svcs, *slices;
	pthread_mutex_t lock;
	json_t *index; /* key -> {"svc": Service, "slices": {name: EndpointSlice}} */
	json_t *dirty; /* keys changed before the first sync */
	int synced;    /* informers synced: 2 when both are */
	uint8_t zone[DNS_NAME_MAX];
	size_t zonelen;
};

static const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

/* "ns/name" of a Service, or of the Service a slice belongs to; NULL if none. */
/* Copies the members of src named in keys (NULL-terminated) into a new object. */
static json_t *pick(const json_t *src, const char *const *keys)
{
	json_t *out = json_object();
	for (; *keys; keys++) {
		json_t *v = json_object_get(src, *keys);
		if (v)
			json_object_set_new(out, *keys, json_deep_copy(v));
	}
	return out;
}

static json_t *slim_meta(const json_t *obj)
{
	static const char *const keys[] = {"name", "namespace", "resourceVersion", NULL};
	const json_t *meta = json_object_get(obj, "metadata");
	json_t *m = pick(meta, keys);
	const char *svc =
	    json_string_value(json_object_get(json_object_get(meta, "labels"), SLICE_LABEL));
	if (svc)
		json_object_set_new(m, "labels", json_pack("{s:s}", SLICE_LABEL, svc));
	return m;
}

/* What the cache keeps of a Service: only what the records are built from. */
static json_t *slim_service(const json_t *obj)
{
	static const char *const spec_keys[] = {"type",	 "clusterIP",	 "clusterIPs",
						"ports", "externalName", "publishNotReadyAddresses",
						NULL};
	return json_pack("{s:o, s:o}", "metadata", slim_meta(obj), "spec",
			 pick(json_object_get(obj, "spec"), spec_keys));
}

/* What the cache keeps of an EndpointSlice. */
static json_t *slim_slice(const json_t *obj)
{
	static const char *const top[] = {"addressType", "ports", NULL};
	static const char *const ep_keys[] = {"addresses", "conditions", "hostname", NULL};
	json_t *out = pick(obj, top);
	json_t *eps = json_array();
	size_t i;
	json_t *ep;
	json_array_foreach(json_object_get(obj, "endpoints"), i, ep)
	    json_array_append_new(eps, pick(ep, ep_keys));
	json_object_set_new(out, "endpoints", eps);
	json_object_set_new(out, "metadata", slim_meta(obj));
	return out;
}

static char *key_of(const json_t *obj, bool slice)
{
	const char *ns = meta_str(obj, "namespace");
	const char *name =
	    slice ? json_string_value(json_object_get(
			json_object_get(json_object_get(obj, "metadata"), "labels"), SLICE_LABEL))
		  : meta_str(obj, "name");
	return ns && name ? xasprintf("%s/%s", ns, name) : NULL;
}

static json_t *entry(struct dns_watch *w, const char *key)
{
	json_t *e = json_object_get(w->index, key);
	if (!e) {
		e = json_pack("{s:{}}", "slices");
		json_object_set_new(w->index, key, e);
	}
	return e;
}

/* Recomputes the records of key and swaps them in. Lock held. */
static void rebuild(struct dns_watch *w, const char *key)
{
	json_t *e = json_object_get(w->index, key);
	json_t *svc = json_object_get(e, "svc");
	json_t *slices = json_object_get(e, "slices");
	struct dns_records recs = DNS_RECORDS_INIT;

	if (w->synced < 2) {
		json_object_set_new(w->dirty, key, json_true());
		return;
	}
	if (svc) {
		size_t n = json_object_size(slices), i = 0;
		const json_t **arr = xcalloc(n + 1, sizeof(*arr));
		const char *k;
		json_t *v;
		json_object_foreach(slices, k, v) arr[i++] = v;
		dns_records_build(svc, arr, n, w->zone, w->zonelen, w->srv->ttl, &recs);
		free(arr);
	}
	size_t n = recs.n;
	dns_db_set_service(w->srv->db, key, &recs);
	if (e && !svc && !json_object_size(slices))
		json_object_del(w->index, key);
	if (w->synced == 2)
		log_debug("dns", "%s: %zu records", key, n);
}

static void svc_set(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *key = key_of(obj, false);
	if (!key)
		return;
	pthread_mutex_lock(&w->lock);
	json_object_set(entry(w, key), "svc", (json_t *)obj);
	rebuild(w, key);
	pthread_mutex_unlock(&w->lock);
	free(key);
}

static void svc_update(void *arg, const json_t *old, const json_t *obj)
{
	svc_set(arg, obj);
}

static void svc_delete(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *key = key_of(obj, false);
	if (!key)
		return;
	pthread_mutex_lock(&w->lock);
	json_object_del(entry(w, key), "svc");
	rebuild(w, key);
	pthread_mutex_unlock(&w->lock);
	log_info("dns", "service %s deleted", key);
	free(key);
}

/* Removes (obj NULL) or sets the slice named name under key. Lock held. */
static void slice_put(struct dns_watch *w, const char *key, const char *name, const json_t *obj)
{
	json_t *slices = json_object_get(entry(w, key), "slices");
	if (obj)
		json_object_set(slices, name, (json_t *)obj);
	else
		json_object_del(slices, name);
	rebuild(w, key);
}

static void slice_update(void *arg, const json_t *old, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *okey = old ? key_of(old, true) : NULL, *key = key_of(obj, true);
	const char *name = meta_str(obj, "name");
	pthread_mutex_lock(&w->lock);
	if (okey && name && (!key || strcmp(okey, key)))
		slice_put(w, okey, name, NULL); /* relabelled: leaves its old Service */
	if (key && name)
		slice_put(w, key, name, obj);
	pthread_mutex_unlock(&w->lock);
	free(okey);
	free(key);
}

static void slice_add(void *arg, const json_t *obj)
{
	slice_update(arg, NULL, obj);
}

static void slice_delete(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *key = key_of(obj, true);
	const char *name = meta_str(obj, "name");
	pthread_mutex_lock(&w->lock);
	if (key && name)
		slice_put(w, key, name, NULL);
	pthread_mutex_unlock(&w->lock);
	free(key);
}

static void on_synced(void *arg)
{
	struct dns_watch *w = arg;
	const char *key;
	json_t *v;
	size_t services, names, records;

	pthread_mutex_lock(&w->lock);
	bool both = ++w->synced == 2;
	if (both) {
		json_object_foreach(w->dirty, key, v) rebuild(w, key);
		json_object_clear(w->dirty);
		dns_db_set_synced(w->srv->db, true);
	}
	pthread_mutex_unlock(&w->lock);
	if (both) {
		/* The first list's buffers are garbage now: give them back. */
		malloc_trim(0);
		dns_db_stats(w->srv->db, &services, &names, &records);
		log_info("dns", "synced: %zu services, %zu names, %zu records", services, names,
			 records);
	}
}

static int make_client(struct dns_watch *w, const struct dns_config *cfg, char **err)
{
	struct kclient_config kc = {0};
	if (cfg->client) {
		w->client = cfg->client;
		return 0;
	}
	int rc = kclient_config_load(cfg->server, cfg->kubeconfig, &kc, err);
	if (rc == 0)
		rc = kclient_new(&kc, &w->client, err);
	kclient_config_free(&kc);
	w->own_client = rc == 0;
	return rc;
}

int dns_watch_start(struct dns_server *srv, const struct dns_config *cfg, char **err)
{
	struct dns_watch *w = xcalloc(1, sizeof(*w));
	srv->watch = w;
	w->srv = srv;
	pthread_mutex_init(&w->lock, NULL);
	w->index = json_object();
	w->dirty = json_object();
	w->zonelen = (size_t)dns_name_from_text(srv->domain, w->zone);
	int rc = make_client(w, cfg, err);
	if (rc < 0)
		return rc;
	struct informer_handlers hs = {svc_set, svc_update, svc_delete, on_synced, w};
	struct informer_handlers hl = {slice_add, slice_update, slice_delete, on_synced, w};
	w->svcs = informer_new(w->client, "/api/v1/services", NULL, NULL, &hs, 0);
	w->slices =
	    informer_new(w->client, "/apis/discovery.k8s.io/v1/endpointslices", NULL, NULL, &hl, 0);
	informer_set_transform(w->svcs, slim_service);
	informer_set_transform(w->slices, slim_slice);
	if ((rc = informer_start(w->svcs)) < 0 || (rc = informer_start(w->slices)) < 0) {
		*err = xasprintf("cannot start the informers: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void dns_watch_stop(struct dns_server *srv)
{
	struct dns_watch *w = srv->watch;
	if (!w)
		return;
	if (w->svcs)
		informer_free(w->svcs);
	if (w->slices)
		informer_free(w->slices);
	if (w->own_client)
		kclient_free(w->client);
	json_decref(w->index);
	json_decref(w->dirty);
	pthread_mutex_destroy(&w->lock);
	free(w);
	srv->watch = NULL;
}
