/*
 * The write verbs: create, update (PUT), patch (JSON, merge, strategic
 * merge and server-side apply) and their /status forms. Every write runs:
 * decode (with fieldValidation), metadata rules, default, validate,
 * allocate (Services), then a compare-and-swap in the store.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "api/object.h"
#include "api/patch.h"
#include "api/patch_apply.h"
#include "api/protobuf.h"
#include "api/schema.h"
#include "api/validate.h"
#include "apiserver/svcalloc.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PATCH_RETRIES 8

static bool is_service(const struct req *r)
{
	return !strcmp(r->res->kind, "Service");
}

/* Adds "299 - <text>" warnings, comma separated, to the response. */
static void add_warnings(struct req *r, json_t *unknown)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(unknown, i, v)
	{
		char *text = xasprintf("unknown field \"%s\"", json_string_value(v));
		sb_printf(&sb, "%s299 - ", sb.len ? ", " : "");
		sb_json_str(&sb, text);
		free(text);
	}
	free(r->warning);
	r->warning = sb.len ? sb_steal(&sb) : NULL;
	sb_free(&sb);
}

/*
 * Applies the schema to obj: prunes unknown fields and, per the
 * fieldValidation parameter, fails (Strict), warns (Warn, the default) or
 * ignores them. Replies and returns -EINVAL on failure.
 */
static int check_fields(struct req *r, json_t *obj)
{
	const char *fv = req_query(r, "fieldValidation");
	if (!fv || !*fv)
		fv = "Warn";
	if (strcmp(fv, "Strict") && strcmp(fv, "Warn") && strcmp(fv, "Ignore")) {
		reply_status(r, 400, "BadRequest",
			     "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", "
			     "got \"%s\"",
			     fv);
		return -EINVAL;
	}
	json_t *unknown = json_array();
	char *err = NULL;
	int rc = api_schema_prune(r->res, obj, unknown, &err);
	if (rc < 0) {
		reply_status(r, 400, "BadRequest",
			     "%s in version \"%s\" cannot be handled as a %s: %s", r->res->kind,
			     r->res->version, r->res->kind, err);
	} else if (json_array_size(unknown) && !strcmp(fv, "Strict")) {
		struct strbuf sb = STRBUF_INIT;
		size_t i;
		json_t *v;
		sb_puts(&sb, "strict decoding error: ");
		json_array_foreach(unknown, i, v)
		{
			sb_printf(&sb, "%sunknown field \"%s\"", i ? ", " : "",
				  json_string_value(v));
		}
		reply_status(r, 400, "BadRequest", "%s", sb.buf);
		sb_free(&sb);
		rc = -EINVAL;
	} else if (!strcmp(fv, "Warn")) {
		add_warnings(r, unknown);
	}
	free(err);
	json_decref(unknown);
	return rc;
}

/* Parses the request body as an object of r->res. Replies and returns NULL on error. */
static json_t *decode_object(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	json_t *obj;
	if (ct && !strncasecmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		/* kubectl's typed commands (create namespace, create service) send protobuf. */
		char *err = NULL;
		obj = api_protobuf_decode(r->body.buf, r->body.len, &err);
		if (!obj) {
			reply_status(r, 400, "BadRequest", "%s", err);
			free(err);
			return NULL;
		}
	} else {
		json_error_t e;
		obj = json_loadb(r->body.buf ? r->body.buf : "", r->body.len, 0, &e);
		if (!obj) {
			reply_status(r, 400, "BadRequest",
				     "couldn't get version/kind; json parse error: %s (line %d, "
				     "column %d)",
				     e.text, e.line, e.column);
			return NULL;
		}
	}
	if (!json_is_object(obj)) {
		reply_status(r, 400, "BadRequest", "the request body must be a JSON object");
		goto bad;
	}
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	if ((kind && *kind && strcmp(kind, r->res->kind)) ||
	    (av && *av && strcmp(av, r->res->api_version))) {
		reply_status(r, 400, "BadRequest",
			     "the object provided is unrecognized: %s %s, expected %s %s",
			     av ? av : "", kind ? kind : "", r->res->api_version, r->res->kind);
		goto bad;
	}
	json_object_set_new(obj, "kind", json_string(r->res->kind));
	json_object_set_new(obj, "apiVersion", json_string(r->res->api_version));
	if (check_fields(r, obj) < 0)
		goto bad;
	return obj;
bad:
	json_decref(obj);
	return NULL;
}

static void reply_invalid(struct req *r, const json_t *obj, struct field_errs *errs)
{
	reply_json(
	    r, 422,
	    api_status_invalid(r->res->group, r->res->kind, api_meta_str(obj, "name"), errs));
	field_errs_free(errs);
}

/* An allocation failure: a full range is the server's problem (500), the rest are 422. */
static void reply_alloc_error(struct req *r, const json_t *obj, int rc, struct field_errs *errs)
{
	if (rc == -ENOSPC) {
		reply_status(r, 500, "InternalError", "Internal error occurred: %s",
			     errs->n ? errs->v[0].message : "range is full");
		field_errs_free(errs);
		return;
	}
	if (rc != -EINVAL) {
		field_errs_free(errs);
		reply_store_error(r, rc);
		return;
	}
	reply_invalid(r, obj, errs);
}

static void reply_conflict(struct req *r, const char *name)
{
	char *plural = *r->res->group ? xasprintf("%s.%s", r->res->plural, r->res->group)
				      : xstrdup(r->res->plural);
	char *msg = xasprintf("Operation cannot be fulfilled on %s \"%s\": the object has been "
			      "modified; please apply your changes to the latest version and try "
			      "again",
			      plural, name);
	reply_json(r, 409,
		   api_status_details(409, "Conflict", msg, r->res->group, r->res->plural, name));
	free(msg);
	free(plural);
}

/* Checks that the object's namespace and name agree with the URL; fills them in. */
static int check_identity(struct req *r, json_t *obj)
{
	json_t *meta = api_meta(obj);
	const char *ns = api_meta_str(obj, "namespace");
	if (r->res->namespaced) {
		if (*ns && strcmp(ns, r->ns)) {
			reply_status(r, 400, "BadRequest",
				     "the namespace of the provided object does not match the "
				     "namespace sent on the request");
			return -EINVAL;
		}
		json_object_set_new(meta, "namespace", json_string(r->ns));
	} else {
		json_object_del(meta, "namespace");
	}
	const char *name = api_meta_str(obj, "name");
	if (r->name && strcmp(name, r->name)) {
		reply_status(r, 400, "BadRequest",
			     "the name of the object (%s) does not match the name on the URL (%s)",
			     name, r->name);
		return -EINVAL;
	}
	return 0;
}

/* What a create sets itself: name from generateName, uid, creation time, generation. */
static void prepare_create(struct req *r, json_t *obj)
{
	json_t *meta = api_meta(obj);
	char buf[40];
	const char *gen = api_meta_str(obj, "generateName");
	if (!*api_meta_str(obj, "name") && *gen) {
		char suffix[6];
		api_random_suffix(suffix, 5);
		char *name = xasprintf("%s%s", gen, suffix);
		json_object_set_new(meta, "name", json_string(name));
		free(name);
	}
	api_new_uid(buf);
	json_object_set_new(meta, "uid", json_string(buf));
	api_format_time(time(NULL), buf);
	json_object_set_new(meta, "creationTimestamp", json_string(buf));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	json_object_del(meta, "resourceVersion");
	json_object_del(meta, "selfLink");
	if (is_service(r))
		json_object_set_new(meta, "generation", json_integer(1));
}

/* Stores a new object; on success replies 201. Releases allocations on failure. */
static void store_new(struct req *r, json_t *obj)
{
	size_t len;
	char *json = api_object_encode(obj, &len);
	char *key = key_for(r->res, r->ns, api_meta_str(obj, "name"));
	int64_t rev;
	int rc = store_create(r->srv->store, key, json, len, &rev);
	if (rc == 0) {
		reply_stored(r, 201, json, len, rev);
	} else {
		if (is_service(r))
			svc_alloc_release(r->srv->alloc, obj);
		if (rc == -EEXIST) {
			const char *name = api_meta_str(obj, "name");
			char *msg = *r->res->group ? xasprintf("%s.%s \"%s\" already exists",
							       r->res->plural, r->res->group, name)
						   : xasprintf("%s \"%s\" already exists",
							       r->res->plural, name);
			reply_json(r, 409,
				   api_status_details(409, "AlreadyExists", msg, r->res->group,
						      r->res->plural, name));
			free(msg);
		} else {
			reply_store_error(r, rc);
		}
	}
	free(key);
	free(json);
}

/* Creates obj (borrowed; identity checked): create rules, validation, allocation, store. */
static void create_object(struct req *r, json_t *obj)
{
	prepare_create(r, obj);
	api_default(r->res, obj);
	api_prepare(r->res, obj, NULL);
	struct field_errs errs = FIELD_ERRS_INIT;
	api_validate(r->res, obj, NULL, &errs);
	admission_check(r->srv->admission, r->res, obj, &errs);
	if (errs.n) {
		reply_invalid(r, obj, &errs);
		return;
	}
	if (r->res->namespaced && !namespace_usable(r, r->ns))
		return;
	int rc = is_service(r) ? svc_alloc_create(r->srv->alloc, obj, &errs) : 0;
	if (rc < 0) {
		reply_alloc_error(r, obj, rc, &errs);
		return;
	}
	store_new(r, obj);
}

void rest_create(struct req *r)
{
	json_t *obj = decode_object(r);
	if (obj && check_identity(r, obj) == 0)
		create_object(r, obj);
	json_decref(obj);
}

/*
 * What an update carries over from the stored object that api_prepare does
 * not: the generation, and for a status write everything but the status.
 */
static void prepare_update(struct req *r, const json_t *old, json_t *obj)
{
	json_t *meta = api_meta(obj);
	const json_t *old_meta = json_object_get(old, "metadata");
	json_t *gen = json_object_get(old_meta, "generation");
	if (gen)
		json_object_set(meta, "generation", gen);
	else
		json_object_del(meta, "generation");
	if (!r->sub)
		return;
	json_t *status = json_incref(json_object_get(obj, "status"));
	json_t *rv = json_incref(json_object_get(meta, "resourceVersion"));
	json_t *copy = json_deep_copy(old);
	json_object_update(obj, copy);
	json_decref(copy);
	if (rv)
		json_object_set_new(api_meta(obj), "resourceVersion", rv);
	if (status)
		json_object_set_new(obj, "status", status);
	else
		json_object_del(obj, "status");
}

/* kube-apiserver counts spec changes in metadata.generation. */
static void bump_generation(const json_t *old, json_t *obj)
{
	json_t *meta = api_meta(obj);
	json_t *gen = json_object_get(meta, "generation");
	if (gen && !json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")))
		json_object_set_new(meta, "generation", json_integer(json_integer_value(gen) + 1));
}

/* Does the object wait only for its finalizers to be removed? */
static bool finalized(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	return json_object_get(meta, "deletionTimestamp") &&
	       json_array_size(json_object_get(meta, "finalizers")) == 0;
}

/*
 * The field manager of a plain write: the fieldManager parameter, else what
 * kube-apiserver takes, the User-Agent up to its first "/". Caller frees.
 */
static char *update_manager(struct req *r)
{
	const char *m = req_query(r, "fieldManager");
	const char *ua = req_header(r, "User-Agent");
	if (m && *m)
		return xstrdup(m);
	if (!ua || !*ua || *ua == '/')
		return xstrdup("unknown");
	return strndup(ua, strcspn(ua, "/"));
}

/* A plain update keeps metadata.managedFields right; a status write leaves them as they are. */
static void track_update(struct req *r, const json_t *old, json_t *obj)
{
	char now[40], *manager = update_manager(r);
	api_format_time(time(NULL), now);
	struct api_apply_req q = {r->res->kind, manager, r->res->api_version, now, false};
	if (!r->sub)
		api_managed_fields_update(&q, old, obj);
	free(manager);
}

/*
 * Validates and stores obj over old with a compare-and-swap on expect_rev;
 * a plain update (not apply) also records its field manager. Replies on
 * success and on every failure except -ECANCELED (a conflict), which is
 * returned for the caller to retry or report.
 */
static int finish_update(struct req *r, const json_t *old, json_t *obj, int64_t expect_rev,
			 bool apply)
{
	struct field_errs errs = FIELD_ERRS_INIT;
	api_default(r->res, obj);
	if (r->sub) {
		api_prepare_status(r->res, obj, old);
		api_validate_status(r->res, obj, old, &errs);
	} else {
		api_prepare(r->res, obj, old);
		api_validate(r->res, obj, old, &errs);
		admission_check(r->srv->admission, r->res, obj, &errs);
		bump_generation(old, obj);
	}
	if (errs.n) {
		reply_invalid(r, obj, &errs);
		return -EINVAL;
	}
	if (!apply)
		track_update(r, old, obj);
	bool svc = is_service(r) && !r->sub;
	int rc = svc ? svc_alloc_update(r->srv->alloc, old, obj, &errs) : 0;
	if (rc < 0) {
		reply_alloc_error(r, obj, rc, &errs);
		return rc;
	}
	size_t len;
	char *json = api_object_encode(obj, &len);
	char *key = key_for(r->res, r->ns, r->name);
	int64_t rev;
	if (finalized(obj))
		rc = store_delete(r->srv->store, key, expect_rev, NULL, &rev);
	else
		rc = store_update(r->srv->store, key, json, len, expect_rev, NULL, &rev);
	if (svc)
		svc_alloc_update_done(r->srv->alloc, old, obj, rc == 0);
	if (rc == 0)
		reply_stored(r, 200, json, len, rev);
	else if (rc == -ENOENT)
		reply_not_found(r, r->res, r->name);
	else if (rc != -ECANCELED)
		reply_store_error(r, rc);
	free(key);
	free(json);
	return rc;
}

/* The resourceVersion an object carries: 0 when absent, -1 when malformed. */
static int64_t object_rv(const json_t *obj)
{
	const char *s = api_meta_str(obj, "resourceVersion");
	if (!*s)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	return (*end || v <= 0) ? -1 : v;
}

void rest_update(struct req *r)
{
	json_t *obj = decode_object(r), *old = NULL;
	int64_t cur_rev;
	if (!obj || check_identity(r, obj) < 0)
		goto out;
	old = load_current(r, &cur_rev);
	if (!old)
		goto out;
	int64_t want = object_rv(obj);
	if (want < 0) {
		reply_status(r, 400, "BadRequest",
			     "metadata.resourceVersion: Invalid value: \"%s\"",
			     api_meta_str(obj, "resourceVersion"));
		goto out;
	}
	if (want && want != cur_rev) {
		reply_conflict(r, r->name);
		goto out;
	}
	prepare_update(r, old, obj);
	if (finish_update(r, old, obj, cur_rev, false) == -ECANCELED)
		reply_conflict(r, r->name);
out:
	json_decref(obj);
	json_decref(old);
}

static json_t *apply_patch(struct req *r, const json_t *cur, const json_t *patch, char **err)
{
	const char *ct = req_header(r, "Content-Type");
	if (ct && !strncmp(ct, "application/json-patch+json", 27))
		return api_json_patch(cur, patch, err);
	if (ct && !strncmp(ct, "application/merge-patch+json", 28))
		return api_merge_patch(cur, patch);
	return api_strategic_merge_patch(cur, patch, r->res->kind, err);
}

#define APPLY_TYPE "application/apply-patch+yaml"

static bool is_apply(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	return ct && !strncmp(ct, APPLY_TYPE, strlen(APPLY_TYPE));
}

static int check_patch_type(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	static const char *const ok[] = {
	    "application/json-patch+json", "application/merge-patch+json",
	    "application/strategic-merge-patch+json", APPLY_TYPE, NULL};
	for (const char *const *t = ok; ct && *t; t++)
		if (!strncmp(ct, *t, strlen(*t)))
			return 0;
	reply_status(r, 415, "UnsupportedMediaType",
		     "the body of the request was in an unknown format - accepted media types "
		     "include: application/json-patch+json, application/merge-patch+json, "
		     "application/apply-patch+yaml, application/strategic-merge-patch+json");
	return -EINVAL;
}

/* PatchOptions as kube-apiserver validates them: fieldManager for apply, force only there. */
static int check_patch_options(struct req *r)
{
	const char *fm = req_query(r, "fieldManager");
	struct field_errs errs = FIELD_ERRS_INIT;
	if (is_apply(r) && (!fm || !*fm))
		field_errs_add(&errs, FE_REQUIRED, "fieldManager", NULL,
			       "is required for apply patch");
	if (!is_apply(r) && req_query(r, "force"))
		field_errs_add(&errs, FE_FORBIDDEN, "force", NULL,
			       "may not be specified for non-apply patch");
	if (fm && strlen(fm) > 128)
		field_errs_add(&errs, FE_TOO_LONG, "fieldManager", NULL,
			       "may not be more than 128 bytes");
	if (!errs.n)
		return 0;
	json_t *st = api_status_invalid("meta.k8s.io", "PatchOptions.meta.k8s.io", "", &errs);
	json_object_set_new(json_object_get(st, "details"), "kind", json_string("PatchOptions"));
	reply_json(r, 422, st);
	field_errs_free(&errs);
	return -EINVAL;
}

/* One patch attempt: returns -ECANCELED when it lost a race and may be retried. */
static int patch_once(struct req *r, const json_t *patch, bool *precondition)
{
	int64_t cur_rev;
	char *err = NULL;
	json_t *cur = load_current(r, &cur_rev), *obj = NULL;
	int rc = -EINVAL;
	if (!cur)
		return -ENOENT;
	obj = apply_patch(r, cur, patch, &err);
	if (!obj || !json_is_object(obj)) {
		reply_status(r, 422, "Invalid", "the patch could not be applied: %s",
			     err ? err : "the result is not an object");
		goto out;
	}
	json_object_set_new(obj, "kind", json_string(r->res->kind));
	json_object_set_new(obj, "apiVersion", json_string(r->res->api_version));
	if (check_fields(r, obj) < 0 || check_identity(r, obj) < 0)
		goto out;
	int64_t want = object_rv(obj);
	*precondition = want && want != cur_rev;
	if (*precondition) {
		rc = -ECANCELED;
		goto out;
	}
	prepare_update(r, cur, obj);
	rc = finish_update(r, cur, obj, cur_rev, false);
out:
	free(err);
	json_decref(cur);
	json_decref(obj);
	return rc;
}

/*
 * Checks an apply body as kube-apiserver does (its kind and version, no
 * managedFields, the name of the URL) and prunes it to the schema. Replies
 * and returns -EINVAL when it will not do.
 */
static int check_applied(struct req *r, json_t *obj)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	if (!json_is_object(obj)) {
		reply_status(r, 400, "BadRequest",
			     "error decoding YAML: the body is not an object");
	} else if (!kind || !*kind) {
		reply_status(r, 400, "BadRequest", "Object 'Kind' is missing in the apply patch");
	} else if (strcmp(kind, r->res->kind)) {
		reply_status(r, 400, "BadRequest",
			     "the object provided is unrecognized: %s %s, expected %s %s",
			     av ? av : "", kind, r->res->api_version, r->res->kind);
	} else if (!av || strcmp(av, r->res->api_version)) {
		reply_status(r, 400, "BadRequest",
			     "Incorrect version specified in apply patch. Specified patch version: "
			     "%s, expected: %s",
			     av ? av : "", r->res->api_version);
	} else if (json_object_get(json_object_get(obj, "metadata"), "managedFields") &&
		   !json_is_null(
		       json_object_get(json_object_get(obj, "metadata"), "managedFields"))) {
		reply_status(r, 400, "BadRequest", "metadata.managedFields must be nil");
	} else {
		if (!*api_meta_str(obj, "name"))
			json_object_set_new(api_meta(obj), "name", json_string(r->name));
		return check_fields(r, obj) < 0 || check_identity(r, obj) < 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* The routed object and its revision, or NULL: *rc -ENOENT (nothing replied) or replied. */
static json_t *load_if_any(struct req *r, int64_t *rev, int *rc)
{
	struct store_kv kv = {0};
	char *key = key_for(r->res, r->ns, r->name);
	json_t *obj = NULL;
	*rc = store_get(r->srv->store, key, &kv);
	free(key);
	if (*rc == 0) {
		obj = api_object_decode(kv.value, kv.len, kv.mod_rev);
		*rev = kv.mod_rev;
		if (!obj) {
			reply_status(r, 500, "InternalError", "stored object is not valid JSON");
			*rc = -EIO;
		}
	} else if (*rc != -ENOENT) {
		reply_store_error(r, *rc);
	}
	store_kv_free(&kv);
	return obj;
}

/* One apply attempt: creates or merges; -ECANCELED when it lost a race and may be retried. */
static int apply_once(struct req *r, const json_t *applied, bool *precondition)
{
	int64_t rev = 0, want = object_rv(applied);
	int rc;
	json_t *cur = load_if_any(r, &rev, &rc), *conflicts = NULL, *obj;
	if (!cur && rc != -ENOENT)
		return rc;
	*precondition = want && want != rev;
	if (*precondition) {
		json_decref(cur);
		return -ECANCELED;
	}
	const char *force = req_query(r, "force");
	char now[40];
	api_format_time(time(NULL), now);
	struct api_apply_req q = {r->res->kind, req_query(r, "fieldManager"), r->res->api_version,
				  now, force && (!strcmp(force, "true") || !strcmp(force, "1"))};
	obj = api_apply(&q, cur, applied, &conflicts);
	if (!obj) {
		reply_json(r, 409, api_apply_conflict_status(conflicts));
		rc = -EINVAL;
	} else if (!cur) {
		create_object(r, obj);
		rc = 0;
	} else {
		prepare_update(r, cur, obj);
		rc = finish_update(r, cur, obj, rev, true);
	}
	json_decref(conflicts);
	json_decref(obj);
	json_decref(cur);
	return rc;
}

/*
 * Server-side apply: the body is the whole object as the field manager
 * intends it; it is created when missing (201), else merged in (200).
 */
static void rest_apply(struct req *r)
{
	char *err = NULL;
	json_t *applied = api_apply_decode(r->body.buf, r->body.len, &err);
	if (!applied) {
		reply_status(r, 400, "BadRequest", "%s", err);
		free(err);
		return;
	}
	if (r->sub) {
		reply_status(r, 415, "UnsupportedMediaType",
			     "server-side apply of the %s subresource is not supported", r->sub);
	} else if (check_applied(r, applied) == 0) {
		bool precondition = false;
		int rc = -ECANCELED;
		for (int i = 0; i < PATCH_RETRIES && rc == -ECANCELED && !precondition; i++)
			rc = apply_once(r, applied, &precondition);
		if (rc == -ECANCELED)
			reply_conflict(r, r->name);
	}
	json_decref(applied);
}

void rest_patch(struct req *r)
{
	if (check_patch_type(r) < 0 || check_patch_options(r) < 0)
		return;
	if (is_apply(r)) {
		rest_apply(r);
		return;
	}
	json_error_t e;
	json_t *patch = json_loadb(r->body.buf ? r->body.buf : "", r->body.len, 0, &e);
	if (!patch) {
		reply_status(r, 400, "BadRequest", "error decoding patch: %s (line %d, column %d)",
			     e.text, e.line, e.column);
		return;
	}
	bool precondition = false;
	int rc = -ECANCELED;
	for (int i = 0; i < PATCH_RETRIES && rc == -ECANCELED && !precondition; i++) {
		free(r->warning);
		r->warning = NULL;
		rc = patch_once(r, patch, &precondition);
	}
	if (rc == -ECANCELED)
		reply_conflict(r, r->name);
	json_decref(patch);
}
