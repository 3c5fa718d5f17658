/*
 * pods/NAME/binding: what a scheduler POSTs to put a pod on a node. As in
 * kube-apiserver the pod is written directly, around the pod's update rules
 * (spec.nodeName cannot be changed by an update): the node is set once, the
 * binding's annotations are merged into the pod's and the PodScheduled
 * condition turns True. The answer is a Status Success with code 201.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "api/object.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIND_RETRIES 8

/* What the Binding asks: the node, and preconditions on the pod. */
struct binding {
	json_t *obj; /* owned */
	const char *node;
	const char *uid, *rv; /* preconditions, "" when absent */
};

/* A 409 Conflict, as kube-apiserver words it for resource (pods or pods/binding). */
static void reply_bind_conflict(struct req *r, const char *resource, const char *why)
{
	char *msg =
	    xasprintf("Operation cannot be fulfilled on %s \"%s\": %s", resource, r->name, why);
	reply_json(r, 409, api_status_details(409, "Conflict", msg, "", resource, r->name));
	free(msg);
}

/*
 * Parses and checks the body into b. Replies (400 for a body that is not a
 * Binding of this pod, 422 Invalid for its target) and returns -EINVAL.
 */
static int decode_binding(struct req *r, struct binding *b)
{
	json_error_t e;
	json_t *obj = json_loadb(r->body.buf ? r->body.buf : "", r->body.len, 0, &e);
	if (!obj) {
		reply_status(r, 400, "BadRequest",
			     "couldn't get version/kind; json parse error: %s (line %d, column %d)",
			     e.text, e.line, e.column);
		return -EINVAL;
	}
	b->obj = obj;
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *ns = api_meta_str(obj, "namespace");
	if (!json_is_object(obj) || (kind && *kind && strcmp(kind, "Binding")) ||
	    (av && *av && strcmp(av, "v1"))) {
		reply_status(r, 400, "BadRequest",
			     "the object provided is unrecognized: %s %s, expected v1 Binding",
			     av ? av : "", kind ? kind : "");
		return -EINVAL;
	}
	if (*ns && strcmp(ns, r->ns)) {
		reply_status(r, 400, "BadRequest",
			     "the namespace of the provided object does not match the namespace "
			     "sent on the request");
		return -EINVAL;
	}
	if (strcmp(api_meta_str(obj, "name"), r->name)) {
		reply_status(r, 400, "BadRequest",
			     "name in URL does not match name in Binding object");
		return -EINVAL;
	}
	json_t *target = json_object_get(obj, "target");
	json_t *tkind = json_object_get(target, "kind");
	const char *tk = json_string_value(tkind),
		   *tn = json_string_value(json_object_get(target, "name"));
	struct field_errs errs = FIELD_ERRS_INIT;
	if (tkind && (!tk || (*tk && strcmp(tk, "Node"))))
		field_errs_add(&errs, FE_NOT_SUPPORTED, "target.kind", tkind,
			       "\"Node\", \"<empty>\"");
	if (!tn || !*tn)
		field_errs_add(&errs, FE_REQUIRED, "target.name", NULL, NULL);
	if (errs.n) {
		reply_json(r, 422, api_status_invalid("", "Binding", r->name, &errs));
		field_errs_free(&errs);
		return -EINVAL;
	}
	b->node = tn;
	b->uid = api_meta_str(obj, "uid");
	b->rv = api_meta_str(obj, "resourceVersion");
	return 0;
}

/* Sets the PodScheduled condition True; its transition time moves only when it changes. */
static void set_scheduled(json_t *pod)
{
	json_t *status = json_object_get(pod, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(pod, "status", status);
	}
	json_t *conds = json_object_get(status, "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	char now[40];
	api_format_time(time(NULL), now);
	json_t *c = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(conds, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		if (type && !strcmp(type, "PodScheduled"))
			c = v;
	}
	if (!c) {
		c = json_pack("{s:s,s:n}", "type", "PodScheduled", "lastProbeTime");
		json_array_append_new(conds, c);
	}
	const char *st = json_string_value(json_object_get(c, "status"));
	if (!st || strcmp(st, "True"))
		json_object_set_new(c, "lastTransitionTime", json_string(now));
	json_object_set_new(c, "status", json_string("True"));
	json_object_del(c, "reason");
	json_object_del(c, "message");
}

/*
 * Why pod cannot be bound as b asks, as kube-apiserver says it (caller
 * frees), with *resource the resource its 409 names; NULL when it can.
 */
static char *refusal(const struct binding *b, const json_t *pod, int64_t rev, const char **resource)
{
	const char *name = api_meta_str(pod, "name"), *uid = api_meta_str(pod, "uid");
	const json_t *spec = json_object_get(pod, "spec");
	const char *node = json_string_value(json_object_get(spec, "nodeName"));
	*resource = "pods";
	if (*b->uid && strcmp(b->uid, uid))
		return xasprintf("Precondition failed: UID in precondition: %s, UID in object "
				 "meta: %s",
				 b->uid, uid);
	if (*b->rv && strtoll(b->rv, NULL, 10) != rev)
		return xasprintf("Precondition failed: ResourceVersion in precondition: %s, "
				 "ResourceVersion in object meta: %lld",
				 b->rv, (long long)rev);
	*resource = "pods/binding";
	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
		return xasprintf("pod %s is being deleted, cannot be assigned to a host", name);
	if (node && *node)
		return xasprintf("pod %s is already assigned to node \"%s\"", name, node);
	if (json_array_size(json_object_get(spec, "schedulingGates")))
		return xasprintf("pod %s has non-empty .spec.schedulingGates", name);
	return NULL;
}

/* One attempt: -ECANCELED when another write came first and it may be retried. */
static int bind_once(struct req *r, const struct binding *b)
{
	int64_t rev;
	json_t *pod = load_current(r, &rev);
	if (!pod)
		return -ENOENT;
	const char *resource;
	char *why = refusal(b, pod, rev, &resource);
	int rc = -EINVAL;
	if (why) {
		reply_bind_conflict(r, resource, why);
		free(why);
		goto out;
	}
	json_object_set_new(json_object_get(pod, "spec"), "nodeName", json_string(b->node));
	json_t *ann = json_object_get(json_object_get(b->obj, "metadata"), "annotations");
	if (json_object_size(ann)) {
		json_t *meta = api_meta(pod);
		if (!json_is_object(json_object_get(meta, "annotations")))
			json_object_set_new(meta, "annotations", json_object());
		json_object_update(json_object_get(meta, "annotations"), ann);
	}
	set_scheduled(pod);
	size_t len;
	char *json = api_object_encode(pod, &len), *key = key_for(r->res, r->ns, r->name);
	int64_t new_rev;
	rc = store_update(r->srv->store, key, json, len, rev, NULL, &new_rev);
	if (rc == 0)
		reply_json(r, 201,
			   json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1",
				     "metadata", "status", "Success", "code", 201));
	else if (rc == -ENOENT)
		reply_not_found(r, r->res, r->name);
	else if (rc != -ECANCELED)
		reply_store_error(r, rc);
	free(key);
	free(json);
out:
	json_decref(pod);
	return rc;
}

void rest_bind(struct req *r)
{
	struct binding b = {0};
	if (decode_binding(r, &b) < 0)
		goto out;
	int rc = -ECANCELED;
	for (int i = 0; i < BIND_RETRIES && rc == -ECANCELED; i++)
		rc = bind_once(r, &b);
	if (rc == -ECANCELED)
		reply_bind_conflict(r, "pods",
				    "the object has been modified; please apply your changes to "
				    "the latest version and try again");
out:
	json_decref(b.obj);
}
