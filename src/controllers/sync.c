/*
 * One sync of a Service key "ns/name": its EndpointSlices (the Service's
 * selector and pods), its Endpoints, the slices mirrored from a
 * selector-less Service's Endpoints, and its LoadBalancer address. Every
 * write is conditional: a PUT carries the resourceVersion it read, a DELETE
 * has it as a precondition, a POST creates a new object; a 409 sends the key
 * back to the queue.
 */
#include "controllers/controllers-internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "controllers/endpoints.h"
#include "controllers/endpointslice.h"
#include "controllers/podutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SLICES_PATH "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices"

enum { OP_CREATE, OP_UPDATE, OP_DELETE };

static const char *meta_str(const json_t *obj, const char *k)
{
	return podutil_str(json_object_get(obj, "metadata"), k);
}

/* DELETE with a DeleteOptions body (kclient_delete sends none). */
static int delete_with(struct controllers *c, const char *path, const json_t *opts, json_t **out)
{
	char *body = json_dumps(opts, JSON_COMPACT), *resp = NULL;
	size_t len = 0;
	int st = kclient_request(c->client, "DELETE", path, "application/json", body, strlen(body),
				 &resp, &len);
	if (resp)
		*out = json_loadb(resp, len, 0, NULL);
	free(resp);
	free(body);
	return st;
}

/* DeleteOptions that delete obj only in the version this controller read. */
static json_t *delete_options(const json_t *obj)
{
	return json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "DeleteOptions",
			 "preconditions", "resourceVersion", meta_str(obj, "resourceVersion"));
}

int ctl_write(struct controllers *c, const char *method, const char *path, const json_t *obj,
	      json_t **out)
{
	int st;
	*out = NULL;
	if (!strcmp(method, "POST"))
		st = kclient_post(c->client, path, obj, out);
	else if (!strcmp(method, "PUT"))
		st = kclient_put(c->client, path, obj, out);
	else if (obj)
		st = delete_with(c, path, obj, out);
	else
		st = kclient_delete(c->client, path, out);
	if (st == 409)
		c->m.conflicts++;
	if (st < 0)
		log_warn("controllers", "%s %s: %s", method, path, strerror(-st));
	else if (st >= 300 && st != 409 && !(st == 404 && !strcmp(method, "DELETE")))
		log_warn("controllers", "%s %s: %d %.300s", method, path, st,
			 podutil_str(*out, "message"));
	return st;
}

/* A failed write as a negative errno; the key is retried with backoff. */
static int write_error(int st)
{
	if (st == 409)
		return -EBUSY;
	if (st == 404)
		return -ENOENT;
	return st < 0 ? st : -EIO;
}

/* The resourceVersion of slice name in the index, or NULL; under c->lock. */
static const char *indexed_rv(struct controllers *c, const char *key, const char *name)
{
	const json_t *s = json_object_get(json_object_get(c->slices, key), name);
	return s ? meta_str(s, "resourceVersion") : NULL;
}

/* Records a slice write for the tracker. */
static void expect_slice(struct controllers *c, const char *key, const char *name,
			 const char *before, const char *after, bool deleted)
{
	char *okey = xasprintf("slice/%s", name);
	pthread_mutex_lock(&c->lock);
	ctl_expect(c, key, okey, before, after, deleted, indexed_rv(c, key, name));
	pthread_mutex_unlock(&c->lock);
	free(okey);
}

/* One slice write of the plan. Returns 0 or a negative errno. */
static int write_slice(struct controllers *c, const char *key, const char *ns, int op,
		       const json_t *s, atomic_ulong *changes)
{
	static const char *const methods[] = {"POST", "PUT", "DELETE"};
	const char *name = meta_str(s, "name");
	char *path =
	    op == OP_CREATE ? xasprintf(SLICES_PATH, ns) : xasprintf(SLICES_PATH "/%s", ns, name);
	json_t *resp, *opts = op == OP_DELETE ? delete_options(s) : NULL;
	int st = ctl_write(c, methods[op], path, opts ? opts : s, &resp);
	int rc = 0;
	json_decref(opts);
	if (st == 200 || st == 201 || (op == OP_DELETE && st == 202)) {
		changes[op]++;
		expect_slice(c, key, op == OP_CREATE ? meta_str(resp, "name") : name,
			     op == OP_CREATE ? "" : meta_str(s, "resourceVersion"),
			     meta_str(resp, "resourceVersion"), op == OP_DELETE);
	} else if (!(op == OP_DELETE && st == 404)) {
		rc = write_error(st);
	}
	json_decref(resp);
	free(path);
	return rc;
}

/* Writes a plan: creates, then updates, then deletes, as kube's finalize. */
static int apply_plan(struct controllers *c, const char *key, const char *what,
		      const struct eps_plan *p, atomic_ulong *changes)
{
	const char *ns_end = strchr(key, '/');
	char *ns = strndup(key, ns_end ? (size_t)(ns_end - key) : 0);
	const json_t *lists[] = {p->create, p->update, p->remove};
	int rc = 0;
	for (int op = OP_CREATE; op <= OP_DELETE && !rc; op++) {
		size_t i;
		const json_t *s;
		json_array_foreach(lists[op], i, s)
		{
			if ((rc = write_slice(c, key, ns, op, s, changes)) < 0)
				break;
		}
	}
	if (!eps_plan_empty(p))
		log_info("controllers", "%s: %s: %zu created, %zu updated, %zu deleted, %zu kept%s",
			 key, what, json_array_size(p->create), json_array_size(p->update),
			 json_array_size(p->remove), json_array_size(p->keep),
			 rc ? " (not all written; retrying)" : "");
	free(ns);
	return rc;
}

/* A plan that deletes every slice of existing. */
static void delete_all(const json_t *existing, struct eps_plan *p)
{
	p->create = json_array();
	p->update = json_array();
	p->keep = json_array();
	p->remove = json_copy((json_t *)existing);
}

static const char *zone_of(const char *node, void *arg)
{
	const json_t *z = json_object_get(arg, node);
	return json_is_string(z) ? json_string_value(z) : NULL;
}

static bool external_name(const json_t *svc)
{
	return !strcmp(podutil_str(json_object_get(svc, "spec"), "type"), "ExternalName");
}

/* The EndpointSlice controller for one Service (svc NULL: deleted). */
static int sync_slices(struct controllers *c, const char *key, const json_t *svc,
		       const json_t *pods)
{
	json_t *existing = ctl_service_slices(c, key, EPS_CONTROLLER_NAME);
	bool wanted = svc && podutil_svc_selector(svc) && !external_name(svc);
	struct eps_plan plan = {0};
	int rc = 0;
	if (!wanted && !json_array_size(existing))
		goto out;
	if (wanted) {
		struct eps_owner o;
		struct eps_desired d = {0};
		const char *types[3];
		json_t *zones = ctl_zones(c);
		podutil_svc_address_types(svc, types);
		eps_service_owner(svc, c->cfg.max_endpoints_per_slice, &o);
		eps_service_desired(svc, pods, zone_of, zones, &d);
		eps_reconcile(&o, &d, existing, types, &plan);
		eps_desired_free(&d);
		eps_owner_clear(&o);
		json_decref(zones);
	} else {
		delete_all(existing, &plan);
	}
	rc = apply_plan(c, key, "endpointslices", &plan, c->m.slice_changes);
	eps_plan_free(&plan);
out:
	json_decref(existing);
	return rc;
}

/* The mirroring controller for one Service key. */
static int sync_mirror(struct controllers *c, const char *key, const json_t *svc, const json_t *ep)
{
	json_t *existing = ctl_service_slices(c, key, EPS_MIRROR_NAME);
	bool wanted = eps_mirror_wanted(svc, ep);
	struct eps_plan plan = {0};
	int rc = 0;
	if (!wanted && !json_array_size(existing))
		goto out;
	if (wanted) {
		struct eps_owner o;
		struct eps_desired d = {0};
		eps_mirror_owner(ep, &o);
		size_t skipped = eps_mirror_desired(ep, EPS_MIRROR_MAX, &d);
		if (skipped)
			log_warn("controllers",
				 "%s: %zu addresses of the Endpoints not mirrored "
				 "(invalid, or over %d per subset)",
				 key, skipped, EPS_MIRROR_MAX);
		eps_reconcile(&o, &d, existing, NULL, &plan);
		eps_desired_free(&d);
		eps_owner_clear(&o);
	} else {
		delete_all(existing, &plan);
	}
	rc = apply_plan(c, key, "mirrored endpointslices", &plan, c->m.mirror_changes);
	eps_plan_free(&plan);
out:
	json_decref(existing);
	return rc;
}

/* Records an Endpoints write for the tracker. */
static void expect_ep(struct controllers *c, const char *key, const char *ns, const char *name,
		      const char *before, const char *after, bool deleted)
{
	pthread_mutex_lock(&c->lock);
	json_t *cur = informer_get(c->inf[INF_EP], ns, name);
	ctl_expect(c, key, "ep", before, after, deleted,
		   cur ? meta_str(cur, "resourceVersion") : NULL);
	pthread_mutex_unlock(&c->lock);
	json_decref(cur);
}

/* Deletes the Endpoints of a deleted Service (as kube's endpoints controller does). */
static int delete_endpoints(struct controllers *c, const char *key, const char *ns,
			    const char *name, const json_t *ep)
{
	pthread_mutex_lock(&c->lock);
	bool gone = json_object_get(c->gone, key) != NULL;
	json_object_del(c->gone, key);
	pthread_mutex_unlock(&c->lock);
	const json_t *ann = json_object_get(json_object_get(ep, "metadata"), "annotations");
	if (!gone || !ep || json_object_get(ann, "control-plane.alpha.kubernetes.io/leader"))
		return 0;
	char *path = xasprintf("/api/v1/namespaces/%s/endpoints/%s", ns, name);
	json_t *resp, *opts = delete_options(ep);
	int st = ctl_write(c, "DELETE", path, opts, &resp);
	json_decref(opts);
	int rc = 0;
	if (st == 200 || st == 202) {
		c->m.endpoints_changes[OP_DELETE]++;
		expect_ep(c, key, ns, name, meta_str(ep, "resourceVersion"), NULL, true);
		log_info("controllers", "%s: endpoints deleted: the Service is gone", key);
	} else if (st != 404) {
		rc = write_error(st);
	}
	json_decref(resp);
	free(path);
	return rc;
}

/* The Endpoints controller for one Service. */
static int sync_endpoints(struct controllers *c, const char *key, const char *ns, const char *name,
			  const json_t *svc, const json_t *pods, const json_t *ep)
{
	if (!svc)
		return delete_endpoints(c, key, ns, name, ep);
	if (!podutil_svc_selector(svc) || external_name(svc))
		return 0;
	json_t *want = endpoints_reconcile(svc, pods, ep);
	if (!want)
		return 0;
	char *path = ep ? xasprintf("/api/v1/namespaces/%s/endpoints/%s", ns, name)
			: xasprintf("/api/v1/namespaces/%s/endpoints", ns);
	json_t *resp;
	int st = ctl_write(c, ep ? "PUT" : "POST", path, want, &resp);
	int rc = 0, op = ep ? OP_UPDATE : OP_CREATE;
	if (st == 200 || st == 201) {
		c->m.endpoints_changes[op]++;
		expect_ep(c, key, ns, name, ep ? meta_str(ep, "resourceVersion") : "",
			  meta_str(resp, "resourceVersion"), false);
		size_t n = 0, i;
		json_t *ss;
		json_array_foreach(json_object_get(want, "subsets"), i, ss) n +=
		    json_array_size(json_object_get(ss, "addresses")) +
		    json_array_size(json_object_get(ss, "notReadyAddresses"));
		log_info("controllers", "%s: endpoints %s (%zu addresses)", key,
			 ep ? "updated" : "created", n);
	} else {
		rc = write_error(st);
	}
	json_decref(resp);
	json_decref(want);
	free(path);
	return rc;
}

int ctl_sync(struct controllers *c, const char *key)
{
	const char *slash = strchr(key, '/');
	if (!slash)
		return 0;
	if (ctl_stale(c, key))
		return -EAGAIN;
	char *ns = strndup(key, (size_t)(slash - key));
	const char *name = slash + 1;
	json_t *svc = informer_get(c->inf[INF_SVC], ns, name);
	json_t *ep = informer_get(c->inf[INF_EP], ns, name);
	const json_t *sel = svc ? podutil_svc_selector(svc) : NULL;
	json_t *pods = sel ? ctl_select_pods(c, ns, sel) : json_array();
	if (svc) {
		pthread_mutex_lock(&c->lock);
		json_object_del(c->gone, key);
		pthread_mutex_unlock(&c->lock);
	}
	int rc = 0, r;
	if ((r = sync_slices(c, key, svc, pods)) < 0)
		rc = r;
	if ((r = sync_endpoints(c, key, ns, name, svc, pods, ep)) < 0 && !rc)
		rc = r;
	if ((r = sync_mirror(c, key, svc, ep)) < 0 && !rc)
		rc = r;
	if ((r = ctl_lb_sync(c, key, svc)) < 0 && !rc)
		rc = r;
	json_decref(pods);
	json_decref(ep);
	json_decref(svc);
	free(ns);
	return rc;
}
