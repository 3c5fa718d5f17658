/*
 * Defaulting and validation of API objects: dispatch by kind, and the object
 * metadata every kind shares (apimachinery's ValidateObjectMeta and
 * ValidateObjectMetaUpdate, and the generic registry's update rules).
 */
#include "api/validate.h"
#include "api/validate-internal.h"

#include "base/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* apimachinery's TotalAnnotationSizeLimitB. */
#define ANNOTATIONS_MAX_BYTES (256 * 1024)

typedef void name_fn(const char *name, bool prefix, struct vmsgs *m);

/* apimachinery's maskTrailingDash: a generateName prefix may end in '-'. */
static char *mask_prefix(const char *name, bool prefix)
{
	char *s = xstrdup(name);
	size_t n = strlen(s);
	if (prefix && n > 1 && s[n - 1] == '-') {
		s[n - 2] = 'a';
		s[n - 1] = '\0';
	}
	return s;
}

static void name_dns1035(const char *name, bool prefix, struct vmsgs *m)
{
	char *s = mask_prefix(name, prefix);
	is_dns1035_label(s, m);
	free(s);
}

static void name_dns1123_label(const char *name, bool prefix, struct vmsgs *m)
{
	char *s = mask_prefix(name, prefix);
	is_dns1123_label(s, m);
	free(s);
}

static void name_subdomain(const char *name, bool prefix, struct vmsgs *m)
{
	char *s = mask_prefix(name, prefix);
	is_dns1123_subdomain(s, m);
	free(s);
}

/* path.ValidatePathSegmentName: what the generic registry checks for every name. */
static void name_path_segment(const char *name, bool prefix, struct vmsgs *m)
{
	if (!prefix && (!strcmp(name, ".") || !strcmp(name, ".."))) {
		vmsgs_add(m, "may not be '%s'", name);
		return;
	}
	if (strchr(name, '/'))
		vmsgs_add(m, "may not contain '/'");
	if (strchr(name, '%'))
		vmsgs_add(m, "may not contain '%%'");
}

static name_fn *name_fn_for(const char *kind)
{
	if (!strcmp(kind, "Service"))
		return name_dns1035;
	if (!strcmp(kind, "Namespace"))
		return name_dns1123_label;
	if (!strcmp(kind, "Event"))
		return name_path_segment;
	return name_subdomain;
}

static void check_name(struct field_errs *errs, name_fn *fn, const char *path, const char *name,
		       bool prefix)
{
	struct vmsgs m = {0};
	fn(name, prefix, &m);
	add_msgs(errs, path, name, &m);
}

static void check_annotations(struct field_errs *errs, const json_t *ann)
{
	const char *k;
	json_t *v;
	size_t total = 0;
	if (!ann || json_is_null(ann))
		return;
	if (!json_is_object(ann)) {
		field_errs_add(errs, FE_INVALID, "metadata.annotations", ann,
			       "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)ann, k, v)
	{
		/* A qualified name, except that case does not matter. */
		char *lower = xstrdup(k);
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		struct vmsgs m = {0};
		is_qualified_name(lower, &m);
		add_msgs(errs, "metadata.annotations", k, &m);
		free(lower);
		total += strlen(k) + (json_is_string(v) ? json_string_length(v) : 0);
	}
	if (total > ANNOTATIONS_MAX_BYTES)
		field_errs_add(errs, FE_TOO_LONG, "metadata.annotations", NULL,
			       "may not be more than %d bytes", ANNOTATIONS_MAX_BYTES);
}

static void check_owner_refs(struct field_errs *errs, const json_t *refs)
{
	static const char *const keys[] = {"apiVersion", "kind", "name", "uid"};
	for (size_t i = 0; i < jlen(refs); i++) {
		const json_t *ref = json_array_get(refs, i);
		for (size_t k = 0; k < 4; k++) {
			const char *v = jstr(ref, keys[k]);
			if (v && *v)
				continue;
			char path[VPATH];
			snprintf(path, sizeof(path), "metadata.ownerReferences.%s", keys[k]);
			json_t *jv = json_string("");
			field_errs_add(errs, FE_INVALID, path, jv, "%s",
				       k == 0 ? "version must not be empty" : "must not be empty");
			json_decref(jv);
		}
	}
}

static void check_meta_names(const char *kind, bool namespaced, const json_t *meta,
			     struct field_errs *errs)
{
	name_fn *fn = name_fn_for(kind);
	const char *gen = vstr(errs, meta, "generateName", "metadata.generateName", NULL);
	const char *name = vstr(errs, meta, "name", "metadata.name", NULL);
	const char *ns = vstr(errs, meta, "namespace", "metadata.namespace", NULL);
	if (gen && *gen)
		check_name(errs, fn, "metadata.generateName", gen, true);
	if (!name || !*name)
		field_errs_add(errs, FE_REQUIRED, "metadata.name", NULL,
			       "name or generateName is required");
	else
		check_name(errs, fn, "metadata.name", name, false);
	if (namespaced && (!ns || !*ns))
		field_errs_add(errs, FE_REQUIRED, "metadata.namespace", NULL, NULL);
	else if (namespaced)
		check_name(errs, name_dns1123_label, "metadata.namespace", ns, false);
	else if (ns && *ns)
		field_errs_add(errs, FE_FORBIDDEN, "metadata.namespace", NULL,
			       "not allowed on this type");
}

static void check_immutable_meta(const json_t *meta, const json_t *old_meta,
				 struct field_errs *errs)
{
	static const char *const keys[] = {"name", "namespace", "uid", "creationTimestamp"};
	for (size_t i = 0; i < 4; i++) {
		json_t *nv = json_object_get(meta, keys[i]);
		json_t *ov = json_object_get(old_meta, keys[i]);
		const char *ns = json_is_string(nv) ? json_string_value(nv) : "";
		const char *os = json_is_string(ov) ? json_string_value(ov) : "";
		if (!strcmp(ns, os))
			continue;
		char path[VPATH];
		snprintf(path, sizeof(path), "metadata.%s", keys[i]);
		json_t *jv = json_string(ns);
		field_errs_add(errs, FE_INVALID, path, jv, "field is immutable");
		json_decref(jv);
	}
}

void validate_meta(const char *kind, bool namespaced, const json_t *obj, const json_t *old,
		   struct field_errs *errs)
{
	json_t *meta = vobj(errs, obj, "metadata", "metadata");
	json_t *owned = NULL;
	json_int_t gen;
	if (!meta)
		meta = owned = json_object();
	check_meta_names(kind, namespaced, meta, errs);
	if (vint(errs, meta, "generation", "metadata.generation", &gen) && gen < 0) {
		json_t *jv = json_integer(gen);
		field_errs_add(errs, FE_INVALID, "metadata.generation", jv,
			       "must be greater than or equal to 0");
		json_decref(jv);
	}
	check_labels(errs, "metadata.labels", json_object_get(meta, "labels"));
	check_annotations(errs, json_object_get(meta, "annotations"));
	check_owner_refs(errs, varr(errs, meta, "ownerReferences", "metadata.ownerReferences"));
	json_t *fins = varr(errs, meta, "finalizers", "metadata.finalizers");
	for (size_t i = 0; i < jlen(fins); i++) {
		json_t *f = json_array_get(fins, i);
		if (json_is_string(f))
			check_qualified_name(errs, "metadata.finalizers", json_string_value(f));
	}
	if (old && json_is_object(json_object_get(old, "metadata")))
		check_immutable_meta(meta, json_object_get(old, "metadata"), errs);
	json_decref(owned);
}

void api_default(const struct api_resource *r, json_t *obj)
{
	if (!r || !json_is_object(obj))
		return;
	if (!strcmp(r->kind, "Service"))
		default_service(obj);
	else if (!strcmp(r->kind, "Pod"))
		default_pod(obj);
	else if (!strcmp(r->kind, "Endpoints"))
		default_endpoints(obj);
	else if (!strcmp(r->kind, "EndpointSlice"))
		default_endpointslice(obj);
	else if (!strcmp(r->kind, "Namespace"))
		default_namespace(obj);
}

void api_validate(const struct api_resource *r, const json_t *obj, const json_t *old,
		  struct field_errs *errs)
{
	if (!r || !json_is_object(obj))
		return;
	validate_meta(r->kind, r->namespaced, obj, old, errs);
	if (!strcmp(r->kind, "Service"))
		validate_service(obj, old, errs);
	else if (!strcmp(r->kind, "Pod"))
		validate_pod(obj, old, errs);
	else if (!strcmp(r->kind, "Endpoints"))
		validate_endpoints(obj, errs);
	else if (!strcmp(r->kind, "EndpointSlice"))
		validate_endpointslice(obj, old, errs);
	else if (!strcmp(r->kind, "Namespace"))
		validate_namespace(obj, errs);
	else if (!strcmp(r->kind, "Node"))
		validate_node(obj, old, errs);
	else if (!strcmp(r->kind, "Event"))
		validate_event(obj, errs);
	else if (!strcmp(r->kind, "Lease"))
		validate_lease(obj, errs);
}

void api_validate_status(const struct api_resource *r, const json_t *obj, const json_t *old,
			 struct field_errs *errs)
{
	if (!r || !json_is_object(obj))
		return;
	validate_meta(r->kind, r->namespaced, obj, old, errs);
	if (!strcmp(r->kind, "Service"))
		validate_service_status(obj, old, errs);
	else if (!strcmp(r->kind, "Namespace"))
		validate_namespace_status(obj, errs);
}

/* Copies key of old's object at sub (e.g. "metadata") into obj's, or removes it. */
static void keep(json_t *obj, const json_t *old, const char *sub, const char *key)
{
	json_t *dst = sub ? json_object_get(obj, sub) : obj;
	const json_t *src = sub ? json_object_get(old, sub) : old;
	json_t *v = json_is_object(src) ? json_object_get(src, key) : NULL;
	if (!json_is_object(dst))
		return;
	if (v)
		json_object_set_new(dst, key, json_deep_copy(v));
	else
		json_object_del(dst, key);
}

void api_prepare(const struct api_resource *r, json_t *obj, const json_t *old)
{
	if (!r || !json_is_object(obj))
		return;
	if (old) {
		json_t *meta = json_object_get(obj, "metadata");
		const char *uid = jstr(meta, "uid");
		if (!uid || !*uid)
			keep(obj, old, "metadata", "uid");
		if (jstr(json_object_get(old, "metadata"), "creationTimestamp"))
			keep(obj, old, "metadata", "creationTimestamp");
		keep(obj, old, "metadata", "deletionTimestamp");
		keep(obj, old, "metadata", "deletionGracePeriodSeconds");
		if (r->has_status)
			keep(obj, old, NULL, "status");
	}
	if (!strcmp(r->kind, "Service")) {
		if (!old)
			json_object_del(obj, "status");
		prepare_service(obj, old);
	} else if (!strcmp(r->kind, "Pod") && !old) {
		json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
	} else if (!strcmp(r->kind, "Namespace")) {
		if (old)
			keep(obj, old, "spec", "finalizers");
		else
			json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
	}
}

void api_prepare_status(const struct api_resource *r, json_t *obj, const json_t *old)
{
	if (!r || !json_is_object(obj) || !old)
		return;
	keep(obj, old, NULL, "spec");
}
