/*
 * Services and EndpointSlices into the record database. Two informers, which
 * keep no objects themselves, hand every object over as it arrives; it is
 * turned at once into a compact copy (compact.h) and the JSON dropped. An
 * index from "namespace/name" holds each Service with its slices (by the
 * kubernetes.io/service-name label); every change recomputes the records of
 * that one Service and swaps them in. Until both informers have listed
 * everything, changes only update the index; the first sync builds every
 * Service's records and then lets cluster names be answered.
 */
#include "dns/server-internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "client/informer.h"
#include "dns/compact.h"
#include "dns/records.h"
#include "dns/table.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/*
 * The inputs of one Service's records: the Service (once seen) and the
 * slices labelled with its name. Slices may arrive before their Service.
 */
struct entry {
	struct dns_svc *svc;		 /* owned; NULL when not (or no longer) seen */
	const struct dns_slice **slices; /* owned array; the slices are the slice table's */
	uint32_t nslices, cap;
	size_t klen;
	char key[]; /* "namespace/name" */
};

struct dns_watch {
	struct dns_server *srv;
	struct kclient *client;
	bool own_client;
	struct informer *svcs, *slices;
	pthread_mutex_t lock;	    /* entries, slice_tab, synced */
	struct dns_table entries;   /* Service key -> struct entry */
	struct dns_table slice_tab; /* slice "namespace/name" -> struct dns_slice (owned) */
	int synced;		    /* informers synced: 2 when both are */
	uint8_t zone[DNS_NAME_MAX];
	size_t zonelen;
};

static struct entry *entry_get(struct dns_watch *w, const char *key, bool create)
{
	size_t klen = strlen(key);
	uint64_t h = dns_table_hash(key, klen);
	struct entry *e = dns_table_get(&w->entries, h, key, klen);
	if (e || !create)
		return e;
	e = xcalloc(1, sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->klen = klen;
	dns_table_put(&w->entries, h, e->key, klen, e);
	return e;
}

static void entry_free(struct entry *e)
{
	free(e->svc);
	free(e->slices);
	free(e);
}

static void entry_add_slice(struct entry *e, const struct dns_slice *sl)
{
	if (e->nslices == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1;
		e->slices = xrealloc(e->slices, e->cap * sizeof(*e->slices));
	}
	e->slices[e->nslices++] = sl;
}

static void entry_remove_slice(struct entry *e, const struct dns_slice *sl)
{
	for (uint32_t i = 0; i < e->nslices; i++) {
		if (e->slices[i] == sl) {
			e->slices[i] = e->slices[--e->nslices];
			return;
		}
	}
}

/*
 * Recomputes the records of e and swaps them in; frees e when it has
 * neither a Service nor slices any more. Lock held. Before the first sync
 * it does nothing: on_synced builds every entry then.
 */
static void rebuild(struct dns_watch *w, struct entry *e)
{
	struct dns_records recs = DNS_RECORDS_INIT;

	if (w->synced < 2)
		return;
	if (e->svc)
		dns_records_build_compact(e->svc, e->slices, e->nslices, w->zone, w->zonelen,
					  w->srv->ttl, &recs);
	size_t n = recs.n;
	dns_db_set_service(w->srv->db, e->key, &recs);
	log_debug("dns", "%s: %zu records", e->key, n);
	if (!e->svc && !e->nslices) {
		dns_table_del(&w->entries, dns_table_hash(e->key, e->klen), e->key, e->klen);
		entry_free(e);
	}
}

static void svc_set(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	struct dns_svc *svc = dns_svc_from_json(obj);
	if (!svc)
		return;
	pthread_mutex_lock(&w->lock);
	struct entry *e = entry_get(w, svc->key, true);
	free(e->svc);
	e->svc = svc;
	rebuild(w, e);
	pthread_mutex_unlock(&w->lock);
}

static void svc_update(void *arg, const json_t *old, const json_t *obj)
{
	svc_set(arg, obj);
}

static void svc_delete(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *key = dns_object_key(obj);
	if (!key)
		return;
	pthread_mutex_lock(&w->lock);
	struct entry *e = entry_get(w, key, false);
	if (e) {
		free(e->svc);
		e->svc = NULL;
		rebuild(w, e);
	}
	pthread_mutex_unlock(&w->lock);
	log_info("dns", "service %s deleted", key);
	free(key);
}

/*
 * Replaces the slice prev (may be NULL) by sl (may be NULL) in the entries
 * of their Services, and rebuilds those. Lock held.
 */
static void slice_move(struct dns_watch *w, const struct dns_slice *prev,
		       const struct dns_slice *sl)
{
	struct entry *olde =
	    prev && prev->service_key ? entry_get(w, prev->service_key, false) : NULL;
	struct entry *newe = sl && sl->service_key ? entry_get(w, sl->service_key, true) : NULL;
	if (olde)
		entry_remove_slice(olde, prev);
	if (newe)
		entry_add_slice(newe, sl);
	if (olde && olde != newe)
		rebuild(w, olde); /* relabelled or deleted: leaves its old Service */
	if (newe)
		rebuild(w, newe);
}

static void slice_set(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	struct dns_slice *sl = dns_slice_from_json(obj);
	if (!sl->key) {
		free(sl);
		return;
	}
	size_t klen = strlen(sl->key);
	uint64_t h = dns_table_hash(sl->key, klen);
	pthread_mutex_lock(&w->lock);
	struct dns_slice *prev = dns_table_del(&w->slice_tab, h, sl->key, klen);
	/* A slice of no Service gives no records: it is not kept. */
	if (!sl->service_key) {
		free(sl);
		sl = NULL;
	} else {
		dns_table_put(&w->slice_tab, h, sl->key, klen, sl);
	}
	slice_move(w, prev, sl);
	pthread_mutex_unlock(&w->lock);
	free(prev);
}

static void slice_update(void *arg, const json_t *old, const json_t *obj)
{
	slice_set(arg, obj);
}

static void slice_delete(void *arg, const json_t *obj)
{
	struct dns_watch *w = arg;
	char *key = dns_object_key(obj);
	if (!key)
		return;
	pthread_mutex_lock(&w->lock);
	struct dns_slice *prev =
	    dns_table_del(&w->slice_tab, dns_table_hash(key, strlen(key)), key, strlen(key));
	slice_move(w, prev, NULL);
	pthread_mutex_unlock(&w->lock);
	free(prev);
	free(key);
}

/* Builds every entry (rebuild may free entries, so they are gathered first). Lock held. */
static void rebuild_all(struct dns_watch *w)
{
	struct entry **all = xcalloc(w->entries.n + 1, sizeof(*all));
	size_t n = 0;
	for (size_t i = 0; i < w->entries.cap; i++)
		if (w->entries.ents[i].key)
			all[n++] = w->entries.ents[i].val;
	for (size_t i = 0; i < n; i++)
		rebuild(w, all[i]);
	free(all);
}

static void on_synced(void *arg)
{
	struct dns_watch *w = arg;
	size_t services, names, records;

	pthread_mutex_lock(&w->lock);
	bool both = ++w->synced == 2;
	if (both) {
		rebuild_all(w);
		dns_db_set_synced(w->srv->db, true);
	}
	pthread_mutex_unlock(&w->lock);
	if (both) {
		/* The lists' pages are freed by now: give their memory back. */
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
	w->zonelen = (size_t)dns_name_from_text(srv->domain, w->zone);
	int rc = make_client(w, cfg, err);
	if (rc < 0)
		return rc;
	struct informer_handlers hs = {svc_set, svc_update, svc_delete, on_synced, w};
	struct informer_handlers hl = {slice_set, slice_update, slice_delete, on_synced, w};
	w->svcs = informer_new(w->client, "/api/v1/services", NULL, NULL, &hs, 0);
	w->slices =
	    informer_new(w->client, "/apis/discovery.k8s.io/v1/endpointslices", NULL, NULL, &hl, 0);
	/* Objects become compact copies on arrival: the informers keep no JSON. */
	informer_set_keys_only(w->svcs);
	informer_set_keys_only(w->slices);
	informer_set_paged_list(w->svcs);
	informer_set_paged_list(w->slices);
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
	for (size_t i = 0; i < w->entries.cap; i++)
		if (w->entries.ents[i].key)
			entry_free(w->entries.ents[i].val);
	for (size_t i = 0; i < w->slice_tab.cap; i++)
		if (w->slice_tab.ents[i].key)
			free(w->slice_tab.ents[i].val);
	dns_table_free(&w->entries);
	dns_table_free(&w->slice_tab);
	pthread_mutex_destroy(&w->lock);
	free(w);
	srv->watch = NULL;
}
