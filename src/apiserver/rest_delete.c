/*
 * Deletion: single objects (with finalizers and graceful pod deletion),
 * collections, namespaces with everything in them; plus start-up bootstrap
 * and the janitor thread (expired pods, store compaction).
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "api/object.h"
#include "api/selector.h"
#include "apiserver/svcalloc.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const protected_ns[] = {"default", "kube-system", "kube-public", NULL};

static bool is_protected_ns(const char *name)
{
	for (const char *const *p = protected_ns; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

/* Deletes key outright; releases what a Service held. */
static int delete_now(struct apiserver *srv, const struct api_resource *res, const char *key,
		      int64_t expect, int64_t *rev)
{
	struct store_kv prev = {0};
	int rc = store_delete(srv->store, key, expect, &prev, rev);
	if (rc == 0 && !strcmp(res->kind, "Service")) {
		json_t *svc = json_loadb(prev.value, prev.len, 0, NULL);
		svc_alloc_release(srv->alloc, svc);
		json_decref(svc);
	}
	store_kv_free(&prev);
	return rc;
}

/* Seconds of grace for a pod delete: the query, the body, or the pod's own. */
static long grace_period(struct req *r, const json_t *obj, const json_t *opts)
{
	const char *q = req_query(r, "gracePeriodSeconds");
	if (q && *q)
		return strtol(q, NULL, 10);
	json_t *b = json_object_get(opts, "gracePeriodSeconds");
	if (json_is_integer(b))
		return (long)json_integer_value(b);
	json_t *spec =
	    json_object_get(json_object_get(obj, "spec"), "terminationGracePeriodSeconds");
	return json_is_integer(spec) ? (long)json_integer_value(spec) : 30;
}

static bool scheduled_pod(const struct req *r, const json_t *obj)
{
	const char *node =
	    json_string_value(json_object_get(json_object_get(obj, "spec"), "nodeName"));
	return !strcmp(r->res->kind, "Pod") && node && *node;
}

/*
 * Marks obj as being deleted (deletionTimestamp) instead of removing it:
 * for objects with finalizers, and for scheduled pods given a grace period
 * (the agent or the janitor removes them). Returns 1 when marked (the stored
 * JSON in *json_out, caller frees), 0 when the object should go now, <0 on a
 * store error.
 */
static int mark_deleting(struct req *r, json_t *obj, const char *key, int64_t rev,
			 const json_t *opts, char **json_out, size_t *len, int64_t *new_rev)
{
	json_t *meta = api_meta(obj);
	bool has_finalizers = json_array_size(json_object_get(meta, "finalizers")) > 0;
	long grace = scheduled_pod(r, obj) ? grace_period(r, obj, opts) : 0;
	bool terminating = json_object_get(meta, "deletionTimestamp") != NULL;
	if (!has_finalizers && (grace <= 0 || terminating))
		return 0;
	if (has_finalizers && terminating) {
		*json_out = api_object_encode(obj, len);
		*new_rev = rev;
		return 1;
	}
	char ts[24];
	api_format_time(time(NULL) + (grace > 0 ? grace : 0), ts);
	json_object_set_new(meta, "deletionTimestamp", json_string(ts));
	json_object_set_new(meta, "deletionGracePeriodSeconds",
			    json_integer(grace > 0 ? grace : 0));
	*json_out = api_object_encode(obj, len);
	int rc = store_update(r->srv->store, key, *json_out, *len, rev, NULL, new_rev);
	if (rc < 0) {
		free(*json_out);
		*json_out = NULL;
	}
	return rc < 0 ? rc : 1;
}

/* Deletes or marks one object; replies unless the result is a conflict to retry. */
static int delete_one(struct req *r, json_t *obj, int64_t rev, const json_t *opts)
{
	char *key = key_for(r->res, r->ns, r->name);
	char *json = NULL;
	size_t len;
	int64_t new_rev;
	int rc = mark_deleting(r, obj, key, rev, opts, &json, &len, &new_rev);
	if (rc == 1) {
		reply_stored(r, 200, json, len, new_rev);
		rc = 0;
	} else if (rc == 0) {
		rc = delete_now(r->srv, r->res, key, rev, &new_rev);
		if (rc == 0) {
			json = api_object_encode(obj, &len);
			reply_stored(r, 200, json, len, rev);
		}
	}
	if (rc == -ENOENT)
		reply_not_found(r, r->res, r->name);
	else if (rc < 0 && rc != -ECANCELED)
		reply_store_error(r, rc);
	free(json);
	free(key);
	return rc;
}

struct collect_ctx {
	char **keys;
	size_t n, cap;
};

static int collect_key(const struct store_kv *kv, void *arg)
{
	struct collect_ctx *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->keys = xrealloc(c->keys, c->cap * sizeof(*c->keys));
	}
	c->keys[c->n++] = xstrdup(kv->key);
	return 0;
}

/* Deletes every object of every namespaced resource in ns. */
static int delete_contents(struct apiserver *srv, const char *ns)
{
	for (size_t i = 0; i < api_resource_count; i++) {
		const struct api_resource *res = &api_resources[i];
		if (!res->namespaced)
			continue;
		struct collect_ctx c = {0};
		char *prefix = key_prefix(res, ns);
		int64_t rev;
		bool more;
		int rc = store_range(srv->store, prefix, NULL, 0, 0, collect_key, &c, &rev, &more);
		free(prefix);
		for (size_t k = 0; k < c.n; k++) {
			if (rc == 0) {
				int d = delete_now(srv, res, c.keys[k], 0, &rev);
				rc = d == -ENOENT ? 0 : d;
			}
			free(c.keys[k]);
		}
		free(c.keys);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Namespaces: refuse the built-in ones; mark Terminating, empty, then remove. */
static void delete_namespace(struct req *r, json_t *obj, int64_t rev)
{
	if (is_protected_ns(r->name)) {
		char *msg = xasprintf("namespaces \"%s\" is forbidden: this namespace may not be "
				      "deleted",
				      r->name);
		reply_json(r, 403,
			   api_status_details(403, "Forbidden", msg, "", "namespaces", r->name));
		free(msg);
		return;
	}
	char ts[24], *key = key_for(r->res, NULL, r->name);
	api_format_time(time(NULL), ts);
	json_object_set_new(api_meta(obj), "deletionTimestamp", json_string(ts));
	json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Terminating"));
	size_t len;
	char *json = api_object_encode(obj, &len);
	int64_t new_rev;
	int rc = store_update(r->srv->store, key, json, len, rev, NULL, &new_rev);
	if (rc == 0)
		rc = delete_contents(r->srv, r->name);
	if (rc == 0)
		rc = delete_now(r->srv, r->res, key, 0, &rev);
	if (rc == 0) {
		log_info("apiserver", "namespace %s deleted with its contents", r->name);
		reply_stored(r, 200, json, len, new_rev);
	} else if (rc == -ECANCELED) {
		reply_status(r, 409, "Conflict", "namespace %s changed during deletion; retry",
			     r->name);
	} else {
		reply_store_error(r, rc);
	}
	free(json);
	free(key);
}

/* DeleteOptions from the body (may be empty). Replies 400 and returns -EINVAL if malformed. */
static int delete_options(struct req *r, json_t **opts)
{
	*opts = NULL;
	if (!r->body.len)
		return 0;
	*opts = json_loadb(r->body.buf, r->body.len, 0, NULL);
	if (!json_is_object(*opts)) {
		json_decref(*opts);
		*opts = NULL;
		reply_status(r, 400, "BadRequest", "the body of a delete must be DeleteOptions");
		return -EINVAL;
	}
	return 0;
}

/* Checks DeleteOptions.preconditions against the object; replies 409 on mismatch. */
static int check_preconditions(struct req *r, const json_t *obj, const json_t *opts)
{
	json_t *pre = json_object_get(opts, "preconditions");
	const char *uid = json_string_value(json_object_get(pre, "uid"));
	const char *rv = json_string_value(json_object_get(pre, "resourceVersion"));
	const char *have_uid = api_meta_str(obj, "uid");
	const char *have_rv = api_meta_str(obj, "resourceVersion");
	if (uid && strcmp(uid, have_uid)) {
		reply_status(r, 409, "Conflict",
			     "Precondition failed: UID in precondition: %s, UID in object meta: %s",
			     uid, have_uid);
		return -ECANCELED;
	}
	if (rv && strcmp(rv, have_rv)) {
		reply_status(r, 409, "Conflict",
			     "Precondition failed: ResourceVersion in precondition: %s, "
			     "ResourceVersion in object meta: %s",
			     rv, have_rv);
		return -ECANCELED;
	}
	return 0;
}

void rest_delete(struct req *r)
{
	json_t *opts;
	if (delete_options(r, &opts) < 0)
		return;
	int rc = -ECANCELED;
	for (int i = 0; i < 8 && rc == -ECANCELED; i++) {
		int64_t rev;
		json_t *obj = load_current(r, &rev);
		if (!obj)
			break;
		if (check_preconditions(r, obj, opts) < 0) {
			json_decref(obj);
			break;
		}
		if (!strcmp(r->res->kind, "Namespace")) {
			delete_namespace(r, obj, rev);
			rc = 0;
		} else {
			rc = delete_one(r, obj, rev, opts);
		}
		json_decref(obj);
	}
	if (rc == -ECANCELED && !r->resp)
		reply_status(r, 409, "Conflict", "the object kept changing during deletion; retry");
	json_decref(opts);
}

struct dc_ctx {
	struct label_selector *ls;
	struct field_selector *fs;
	struct collect_ctx keys;
};

static int dc_visit(const struct store_kv *kv, void *arg)
{
	struct dc_ctx *c = arg;
	json_t *obj = api_object_decode(kv->value, kv->len, kv->mod_rev);
	json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	if (obj && (!c->ls || label_selector_matches(c->ls, labels)) &&
	    (!c->fs || field_selector_matches(c->fs, obj)))
		collect_key(kv, &c->keys);
	json_decref(obj);
	return 0;
}

void rest_delete_collection(struct req *r)
{
	struct dc_ctx c = {0};
	char *err = NULL;
	const char *ls = req_query(r, "labelSelector"), *fs = req_query(r, "fieldSelector");
	if ((ls && *ls && label_selector_parse(ls, &c.ls, &err) < 0) ||
	    (fs && *fs && field_selector_parse(fs, r->res->field_labels, &c.fs, &err) < 0)) {
		reply_status(r, 400, "BadRequest", "%s", err);
		goto out;
	}
	char *prefix = key_prefix(r->res, r->ns);
	int64_t rev;
	bool more;
	int rc = store_range(r->srv->store, prefix, NULL, 0, 0, dc_visit, &c, &rev, &more);
	free(prefix);
	for (size_t i = 0; rc == 0 && i < c.keys.n; i++) {
		int d = delete_now(r->srv, r->res, c.keys.keys[i], 0, &rev);
		rc = d == -ENOENT ? 0 : d;
	}
	if (rc < 0)
		reply_store_error(r, rc);
	else
		reply_json(r, 200,
			   json_pack("{s:s, s:s, s:{}, s:s, s:{s:i}}", "kind", "Status",
				     "apiVersion", "v1", "metadata", "status", "Success", "details",
				     "deleted", (int)c.keys.n));
out:
	for (size_t i = 0; i < c.keys.n; i++)
		free(c.keys.keys[i]);
	free(c.keys.keys);
	label_selector_free(c.ls);
	field_selector_free(c.fs);
	free(err);
}
