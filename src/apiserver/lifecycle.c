/*
 * What the API server does on its own: at start-up, the built-in
 * namespaces and the repair of the allocators from the stored Services;
 * then, in the janitor thread, removal of pods whose grace period is over
 * and compaction of old store history.
 */
#include "apiserver/apiserver-internal.h"

#include "api/object.h"
#include "apiserver/svcalloc.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JANITOR_PERIOD_S 1
#define COMPACT_PERIOD_S 300

static int create_namespace(struct apiserver *srv, const char *name, char **err)
{
	char uid[40], ts[24];
	api_new_uid(uid);
	api_format_time(time(NULL), ts);
	json_t *ns =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:[s]}, s:{s:s}}", "apiVersion",
		      "v1", "kind", "Namespace", "metadata", "name", name, "uid", uid,
		      "creationTimestamp", ts, "labels", "kubernetes.io/metadata.name", name,
		      "spec", "finalizers", "kubernetes", "status", "phase", "Active");
	size_t len;
	char *json = api_object_encode(ns, &len);
	char *key = xasprintf("/registry/namespaces/%s", name);
	int64_t rev;
	int rc = store_create(srv->store, key, json, len, &rev);
	if (rc == 0)
		log_info("apiserver", "created namespace %s", name);
	if (rc == -EEXIST)
		rc = 0;
	if (rc < 0)
		*err = xasprintf("cannot create namespace %s: %s", name, strerror(-rc));
	free(key);
	free(json);
	json_decref(ns);
	return rc;
}

static int mark_service(const struct store_kv *kv, void *arg)
{
	json_t *svc = json_loadb(kv->value, kv->len, 0, NULL);
	if (svc)
		svc_alloc_mark(arg, svc);
	json_decref(svc);
	return 0;
}

int rest_bootstrap(struct apiserver *srv, char **err)
{
	static const char *const names[] = {"default", "kube-system", "kube-public",
					    "kube-node-lease", NULL};
	for (const char *const *n = names; *n; n++) {
		int rc = create_namespace(srv, *n, err);
		if (rc < 0)
			return rc;
	}
	int64_t rev;
	bool more;
	int rc = store_range(srv->store, "/registry/services/", NULL, 0, 0, mark_service,
			     srv->alloc, &rev, &more);
	if (rc < 0) {
		*err = xasprintf("cannot read Services to repair allocations: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static int collect_expired(const struct store_kv *kv, void *arg)
{
	json_t **expired = arg;
	if (!strstr(kv->value, "\"deletionTimestamp\""))
		return 0;
	json_t *pod = json_loadb(kv->value, kv->len, 0, NULL);
	time_t t = api_parse_time(api_meta_str(pod, "deletionTimestamp"));
	if (t >= 0 && t <= time(NULL))
		json_array_append_new(*expired, json_pack("{s:s, s:I}", "key", kv->key, "rev",
							  (json_int_t)kv->mod_rev));
	json_decref(pod);
	return 0;
}

/* Removes pods whose deletionTimestamp (deletion time plus grace) has passed. */
static void reap_pods(struct apiserver *srv)
{
	json_t *expired = json_array();
	int64_t rev;
	bool more;
	if (store_range(srv->store, "/registry/pods/", NULL, 0, 0, collect_expired, &expired, &rev,
			&more) == 0) {
		size_t i;
		json_t *e;
		json_array_foreach(expired, i, e)
		{
			const char *key = json_string_value(json_object_get(e, "key"));
			int64_t want = json_integer_value(json_object_get(e, "rev"));
			if (store_delete(srv->store, key, want, NULL, &rev) == 0)
				log_info("apiserver", "removed %s after its grace period", key);
		}
	}
	json_decref(expired);
}

void *rest_janitor(void *arg)
{
	struct apiserver *srv = arg;
	int64_t revs[COMPACT_PERIOD_S / JANITOR_PERIOD_S] = {0};
	size_t tick = 0;
	pthread_mutex_lock(&srv->janitor_lock);
	while (!srv->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += JANITOR_PERIOD_S;
		pthread_cond_timedwait(&srv->janitor_cond, &srv->janitor_lock, &ts);
		if (srv->stopping)
			break;
		pthread_mutex_unlock(&srv->janitor_lock);
		reap_pods(srv);
		/* Keep the last five minutes of history, as kube-apiserver compacts etcd. */
		size_t slot = tick++ % (sizeof(revs) / sizeof(revs[0]));
		if (revs[slot] > 0 && store_compact(srv->store, revs[slot]) == 0)
			log_debug("apiserver", "compacted history up to revision %lld",
				  (long long)revs[slot]);
		revs[slot] = store_current_rev(srv->store);
		pthread_mutex_lock(&srv->janitor_lock);
	}
	pthread_mutex_unlock(&srv->janitor_lock);
	return NULL;
}
