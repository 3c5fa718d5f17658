/*
 * The strategic merge patch (application/strategic-merge-patch+json) that
 * kubectl apply and kubectl patch send, with the patch metadata (merge keys,
 * merge strategies) of the kinds svcnet serves. It works on a private copy of
 * the document, so a failed patch leaves the caller's document untouched.
 */
#include "api/patch.h"
#include "api/patch-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

/* Nesting beyond which a strategic merge patch is refused. */
#define MAX_DEPTH 1000

#define DIR_PATCH	"$patch"
#define DIR_RETAIN	"$retainKeys"
#define DIR_ORDER	"$setElementOrder"
#define DIR_DELETE_LIST "$deleteFromPrimitiveList"

/* Compact JSON text of v for error messages, cut at 200 bytes; caller frees. */
static char *dump_short(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return xstrdup("?");
	if (strlen(s) > 200)
		strcpy(s + 196, "...");
	return s;
}

/*
 * Patch metadata of one field, from the patchStrategy / patchMergeKey struct
 * tags of k8s.io/api. path is dotted from the object root; "[]" stands for
 * the elements of a list. Lists without an entry are replaced whole, as are
 * lists whose entry lacks F_MERGE.
 */
enum {
	F_MERGE = 1, /* patchStrategy:"merge" */
	F_PROTO = 2, /* "protocol" is part of the key (listMapKeys), missing is TCP */
};

struct field_meta {
	const char *path;
	const char *key; /* patchMergeKey; NULL for a list of primitives */
	unsigned flags;
};

#define CONTAINER_FIELDS(c)                                                                        \
	{"spec." c, "name", F_MERGE}, {"spec." c "[].ports", "containerPort", F_MERGE | F_PROTO},  \
	    {"spec." c "[].env", "name", F_MERGE},                                                 \
	    {"spec." c "[].volumeMounts", "mountPath", F_MERGE},                                   \
	{                                                                                          \
		"spec." c "[].volumeDevices", "devicePath", F_MERGE                                \
	}

static const struct field_meta meta_common[] = {
    {"metadata.finalizers", NULL, F_MERGE},
    {"metadata.ownerReferences", "uid", F_MERGE},
    {NULL, NULL, 0},
};

static const struct field_meta meta_service[] = {
    {"spec.ports", "port", F_MERGE | F_PROTO},
    {"status.conditions", "type", F_MERGE},
    {NULL, NULL, 0},
};

static const struct field_meta meta_pod[] = {
    CONTAINER_FIELDS("containers"),
    CONTAINER_FIELDS("initContainers"),
    CONTAINER_FIELDS("ephemeralContainers"),
    {"spec.volumes", "name", F_MERGE},
    {"spec.imagePullSecrets", "name", F_MERGE},
    {"spec.hostAliases", "ip", F_MERGE},
    {"spec.topologySpreadConstraints", "topologyKey", F_MERGE},
    {"spec.schedulingGates", "name", F_MERGE},
    {"spec.resourceClaims", "name", F_MERGE},
    {"status.conditions", "type", F_MERGE},
    {"status.podIPs", "ip", F_MERGE},
    {"status.hostIPs", "ip", F_MERGE},
    {"status.resourceClaimStatuses", "name", F_MERGE},
    {NULL, NULL, 0},
};

static const struct field_meta meta_node[] = {
    {"spec.podCIDRs", NULL, F_MERGE},
    {"status.conditions", "type", F_MERGE},
    {"status.addresses", "type", F_MERGE},
    {NULL, NULL, 0},
};

static const struct field_meta meta_namespace[] = {
    {"status.conditions", "type", F_MERGE},
    {NULL, NULL, 0},
};

static const struct field_meta meta_none[] = {{NULL, NULL, 0}};

static const struct {
	const char *kind;
	const struct field_meta *fields;
} kind_meta[] = {
    {"Service", meta_service},	   {"Pod", meta_pod},	     {"Node", meta_node},
    {"Namespace", meta_namespace}, {"Endpoints", meta_none}, {"EndpointSlice", meta_none},
    {"Event", meta_none},
};

/* State of one strategic merge patch application. */
struct smp {
	const struct field_meta *fields; /* of the kind */
	int depth;
	char *err; /* first error, owned */
};

static int smp_fail(struct smp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int smp_fail(struct smp *s, const char *fmt, ...)
{
	va_list ap;
	if (!s->err) {
		va_start(ap, fmt);
		if (vasprintf(&s->err, fmt, ap) < 0)
			abort();
		va_end(ap);
	}
	return -EINVAL;
}

/* The metadata of the field at path, or NULL (path may be NULL: too deep). */
static const struct field_meta *lookup(const struct smp *s, const char *path)
{
	const struct field_meta *t[2] = {s->fields, meta_common};
	if (!path)
		return NULL;
	for (int i = 0; i < 2; i++)
		for (const struct field_meta *f = t[i]; f->path; f++)
			if (strcmp(f->path, path) == 0)
				return f;
	return NULL;
}

/* path + "." + key, or NULL once no metadata can match; caller frees. */
static char *child_path(const char *path, const char *key)
{
	if (!path || strlen(path) + strlen(key) > 120)
		return NULL;
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static char *elem_path(const char *path)
{
	return path && strlen(path) < 120 ? xasprintf("%s[]", path) : NULL;
}

static bool is_merge_list(const struct field_meta *m)
{
	return m && (m->flags & F_MERGE);
}

/* The protocol of a port element, "TCP" when absent as the API defaults it. */
static const char *protocol_of(const json_t *el, bool *given)
{
	const char *p = json_string_value(json_object_get(el, "protocol"));
	*given = p != NULL;
	return p ? p : "TCP";
}

/*
 * Whether list elements a and b have the same merge key. loose matches a side
 * without a protocol against any protocol; strict treats it as TCP.
 */
static bool key_match(const struct field_meta *m, const json_t *a, const json_t *b, bool loose)
{
	bool ga, gb;

	if (!m || !m->key)
		return patch_value_equal(a, b);
	const json_t *ka = json_object_get(a, m->key), *kb = json_object_get(b, m->key);
	if (!ka || !kb || !patch_value_equal(ka, kb))
		return false;
	if (!(m->flags & F_PROTO))
		return true;
	const char *pa = protocol_of(a, &ga), *pb = protocol_of(b, &gb);
	return (loose && (!ga || !gb)) || strcmp(pa, pb) == 0;
}

/* Index of the first element of list matching item (loosely), or -1. */
static long list_index(const struct field_meta *m, const json_t *list, const json_t *item)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (key_match(m, json_array_get(list, i), item, true))
			return (long)i;
	return -1;
}

/*
 * The element of list a patch element merges into. The patchMergeKey of a
 * port list is the port alone, so kube-apiserver merges {port: 53, protocol:
 * UDP} into the first entry of port 53, changing its protocol. When the list
 * holds the same port under several protocols, the entry of the patch's
 * protocol is taken first, so that one of them can be edited without
 * touching the other.
 */
static long find_match(const struct field_meta *m, const json_t *list, const json_t *el)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (key_match(m, json_array_get(list, i), el, false))
			return (long)i;
	if (!(m->flags & F_PROTO))
		return -1;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *k = json_object_get(json_array_get(list, i), m->key);
		if (k && patch_value_equal(k, json_object_get(el, m->key)))
			return (long)i;
	}
	return -1;
}

static int no_merge_key(struct smp *s, const json_t *el, const char *key)
{
	char *d = dump_short(el);
	smp_fail(s, "map: %s does not contain declared merge key: %s", d, key);
	free(d);
	return -EINVAL;
}

static json_t *merge_map(struct smp *s, json_t *orig, const json_t *patch, const char *path);
static json_t *merge_list(struct smp *s, const json_t *orig, const json_t *patch,
			  const struct field_meta *m, const char *path);

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A fresh value from the patch, directives applied and nulls dropped. */
static json_t *clean_value(struct smp *s, const json_t *v, const char *path)
{
	const struct field_meta *m;

	if (json_is_object(v))
		return merge_map(s, NULL, v, path);
	m = json_is_array(v) ? lookup(s, path) : NULL;
	if (is_merge_list(m)) {
		json_t *empty = json_array();
		json_t *r = merge_list(s, empty, v, m, path);
		json_decref(empty);
		return r;
	}
	return json_deep_copy(v);
}

/* One element while reordering a list: its index in two reference lists. */
struct ord {
	json_t *v;
	long idx;  /* in the order list that sorts its group */
	long live; /* in the live list */
};

/* Stable insertion sort by idx; the lists are short. */
static void sort_ord(struct ord *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct ord x = a[i];
		size_t j = i;
		for (; j > 0 && a[j - 1].idx > x.idx; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* Every element of list is an object holding the merge key of m. */
static int check_keys(struct smp *s, const struct field_meta *m, const json_t *list)
{
	size_t i;
	json_t *v;

	if (!m || !m->key)
		return 0;
	json_array_foreach(list, i, v)
	{
		if (!json_is_object(v) || !json_object_get(v, m->key))
			return no_merge_key(s, v, m->key);
	}
	return 0;
}

/*
 * The elements of merged in the order apimachinery gives them: those named
 * in order sorted as there, the others ("server-only") in their live order,
 * and the two interleaved so that each keeps its place relative to the live
 * list where both are known. Returns a new array or NULL with s->err.
 */
static json_t *normalize_order(struct smp *s, const struct field_meta *m, const json_t *merged,
			       const json_t *order, const json_t *live)
{
	size_t n = json_array_size(merged), np = 0, ns = 0, i = 0, j = 0;
	struct ord *p = NULL, *so = NULL;
	json_t *out = NULL;

	if (check_keys(s, m, merged) < 0 || check_keys(s, m, order) < 0)
		return NULL;
	p = xcalloc(n + 1, sizeof(*p));
	so = xcalloc(n + 1, sizeof(*so));
	for (size_t k = 0; k < n; k++) {
		json_t *v = json_array_get(merged, k);
		long oi = list_index(m, order, v), li = list_index(m, live, v);
		if (oi >= 0)
			p[np++] = (struct ord){v, oi, li};
		else
			so[ns++] = (struct ord){v, li, li};
	}
	sort_ord(p, np);
	sort_ord(so, ns);
	out = json_array();
	while (i < ns || j < np) {
		if (j >= np ||
		    (i < ns && so[i].live >= 0 && p[j].live >= 0 && so[i].live < p[j].live))
			json_array_append(out, so[i++].v);
		else
			json_array_append(out, p[j++].v);
	}
	free(p);
	free(so);
	return out;
}

/*
 * Classifies the elements of both lists: 0 when both are empty, 1 for
 * primitives, 2 for objects; -EINVAL for mixed types or lists of lists.
 */
static int list_kind(struct smp *s, const json_t *a, const json_t *b)
{
	const json_t *lists[2] = {a, b};
	int first = -1;
	size_t i;
	json_t *v;

	for (int l = 0; l < 2; l++) {
		json_array_foreach(lists[l], i, v)
		{
			int t = json_is_number(v) ? JSON_REAL : (int)json_typeof(v);
			if (t == JSON_TRUE)
				t = JSON_FALSE;
			if (t == JSON_ARRAY)
				return smp_fail(s, "lists of lists are not supported");
			if (first >= 0 && t != first) {
				char *d = dump_short(b);
				smp_fail(s, "list element types are not identical: %s", d);
				free(d);
				return -EINVAL;
			}
			first = t;
		}
	}
	return first < 0 ? 0 : first == JSON_OBJECT ? 2 : 1;
}

/* A merged list of primitives: the union, without duplicates. */
static json_t *merge_scalars(struct smp *s, const json_t *orig, const json_t *patch)
{
	json_t *all = json_array(), *out;
	const json_t *lists[2] = {orig, patch};
	size_t i, k;
	json_t *v;

	for (int l = 0; l < 2; l++) {
		json_array_foreach(lists[l], i, v)
		{
			for (k = 0; k < json_array_size(all); k++)
				if (patch_value_equal(json_array_get(all, k), v))
					break;
			if (k == json_array_size(all))
				json_array_append(all, v);
		}
	}
	out = normalize_order(s, NULL, all, patch, orig);
	json_decref(all);
	return out;
}

/* Removes the elements of list that a "$patch": "delete" element names. */
static void delete_matching(const struct field_meta *m, json_t *list, const json_t *el)
{
	bool given = true;

	if (m->flags & F_PROTO)
		protocol_of(el, &given);
	for (size_t i = json_array_size(list); i-- > 0;)
		if (key_match(m, json_array_get(list, i), el, !given))
			json_array_remove(list, i);
}

/*
 * Splits the patch list into plain elements (returned, new array) and its
 * directive elements, applied to base: deletions, and "replace", which
 * replaces base by the plain elements. NULL with s->err on a bad directive.
 */
static json_t *apply_list_directives(struct smp *s, const struct field_meta *m, json_t *base,
				     const json_t *patch, const char *epath)
{
	json_t *plain = json_array(), *el;
	bool replace = false;
	size_t i;

	json_array_foreach(patch, i, el)
	{
		const json_t *d = json_object_get(el, DIR_PATCH);
		const char *ds = json_string_value(d);
		if (!d) {
			json_array_append(plain, el);
		} else if (ds && !strcmp(ds, "delete")) {
			if (!json_object_get(el, m->key))
				goto fail_key;
			delete_matching(m, base, el);
		} else if (ds && !strcmp(ds, "replace")) {
			replace = true;
		} else if (ds && !strcmp(ds, "merge")) {
			smp_fail(s, "merging lists cannot yet be specified in the patch");
			goto fail;
		} else {
			char *dd = dump_short(d), *de = dump_short(el);
			smp_fail(s, "unknown patch type: %s in map: %s", ds ? ds : dd, de);
			free(dd);
			free(de);
			goto fail;
		}
	}
	if (!replace)
		return plain;
	json_array_clear(base);
	json_array_foreach(plain, i, el)
	{
		json_t *c = clean_value(s, el, epath);
		if (!c)
			goto fail;
		json_array_append_new(base, c);
	}
	json_array_clear(plain);
	return plain;
fail_key:
	no_merge_key(s, el, m->key);
fail:
	json_decref(plain);
	return NULL;
}

/* A merged list of objects, matched by the merge key of m. */
static json_t *merge_objects(struct smp *s, const json_t *orig, const json_t *patch,
			     const struct field_meta *m, const char *path)
{
	json_t *base = json_array(), *plain = NULL, *live = NULL, *out = NULL, *el;
	char *epath = elem_path(path);
	size_t i;

	json_array_extend(base, (json_t *)orig);
	plain = apply_list_directives(s, m, base, patch, epath);
	if (!plain)
		goto out;
	live = json_copy(base);
	json_array_foreach(plain, i, el)
	{
		long idx;
		json_t *v;
		if (!json_object_get(el, m->key)) {
			no_merge_key(s, el, m->key);
			goto out;
		}
		idx = find_match(m, base, el);
		if (idx >= 0)
			v = merge_map(s, json_deep_copy(json_array_get(base, (size_t)idx)), el,
				      epath);
		else
			v = clean_value(s, el, epath);
		if (!v)
			goto out;
		if (idx >= 0)
			json_array_set_new(base, (size_t)idx, v);
		else
			json_array_append_new(base, v);
	}
	out = normalize_order(s, m, base, plain, live);
out:
	json_decref(base);
	json_decref(plain);
	json_decref(live);
	free(epath);
	return out;
}

/*
 * Merges the list patch into orig (both borrowed) for a field with merge
 * strategy m. Returns a new array or NULL with s->err.
 */
static json_t *merge_list(struct smp *s, const json_t *orig, const json_t *patch,
			  const struct field_meta *m, const char *path)
{
	int kind = list_kind(s, orig, patch);

	if (kind < 0)
		return NULL;
	if (kind == 0)
		return json_array();
	if (kind == 1)
		return merge_scalars(s, orig, patch);
	if (!m->key) {
		smp_fail(s, "cannot merge lists without merge key for %s", path ? path : "a list");
		return NULL;
	}
	return merge_objects(s, orig, patch, m, path);
}

/* A map carrying "$patch": replace gives the rest of it, delete an empty map. */
static json_t *map_directive(struct smp *s, const json_t *patch, const char *path)
{
	const json_t *d = json_object_get(patch, DIR_PATCH);
	const char *ds = json_string_value(d);

	if (ds && !strcmp(ds, "delete"))
		return json_object();
	if (ds && !strcmp(ds, "replace")) {
		json_t *rest = json_copy((json_t *)patch), *r;
		json_object_del(rest, DIR_PATCH);
		r = merge_map(s, NULL, rest, path);
		json_decref(rest);
		return r;
	}
	char *dd = dump_short(d), *dp = dump_short(patch);
	smp_fail(s, "unknown patch type: %s in map: %s", ds ? ds : dd, dp);
	free(dd);
	free(dp);
	return NULL;
}

/* Whether the array list holds the string k. */
static bool has_string(const json_t *list, const char *k)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *v = json_string_value(json_array_get(list, i));
		if (v && !strcmp(v, k))
			return true;
	}
	return false;
}

/* "$retainKeys": keys of orig not listed are cleared; the patch must only set listed keys. */
static int retain_keys(struct smp *s, json_t *orig, const json_t *patch)
{
	const json_t *rk = json_object_get(patch, DIR_RETAIN);
	const char *k;
	json_t *v;
	void *tmp;

	if (!rk)
		return 0;
	if (!json_is_array(rk))
		return smp_fail(s, "invalid patch format of retainKeys");
	json_object_foreach((json_t *)patch, k, v)
	{
		if (!strcmp(k, DIR_RETAIN) || json_is_null(v) || has_prefix(k, DIR_DELETE_LIST) ||
		    has_prefix(k, DIR_ORDER))
			continue;
		if (!has_string(rk, k))
			return smp_fail(s, "invalid patch format of retainKeys");
	}
	json_object_foreach_safe(orig, tmp, k, v)
	{
		if (!has_string(rk, k))
			json_object_del(orig, k);
	}
	return 0;
}

static bool is_directive_elem(const json_t *el)
{
	return json_is_object(el) && json_object_get(el, DIR_PATCH);
}

/*
 * The plain elements of the patch list must appear in the $setElementOrder
 * list, in the same relative order.
 */
static int validate_order(struct smp *s, const struct field_meta *m, const json_t *pv,
			  const json_t *order)
{
	size_t i = 0, j = 0, n = json_array_size(pv), no = json_array_size(order);
	bool keyed = m && m->key;

	if (!json_is_array(order))
		return smp_fail(s, "invalid patch format of setElementOrder list");
	while (i < n && j < no) {
		const json_t *el = json_array_get(pv, i), *o = json_array_get(order, j);
		if (is_directive_elem(el)) {
			i++;
			continue;
		}
		if (keyed && (!json_is_object(el) || !json_object_get(el, m->key)))
			return no_merge_key(s, el, m->key);
		if (keyed && (!json_is_object(o) || !json_object_get(o, m->key)))
			return no_merge_key(s, o, m->key);
		if (key_match(m, el, o, true))
			i++;
		j++;
	}
	while (i < n && is_directive_elem(json_array_get(pv, i)))
		i++;
	if (i < n) {
		char *a = dump_short(pv), *b = dump_short(order);
		smp_fail(s, "The order in patch list:\n%s\n doesn't match %s list:\n%s\n", a,
			 DIR_ORDER, b);
		free(a);
		free(b);
		return -EINVAL;
	}
	return 0;
}

/* The metadata to order a merged list with: none for primitives. */
static const struct field_meta *order_meta(const struct field_meta *m, const json_t *list)
{
	return m && m->key && json_is_object(json_array_get(list, 0)) ? m : NULL;
}

/* "$setElementOrder/<name>": merges patch.name into orig.name and orders the result. */
static int set_order(struct smp *s, json_t *orig, const json_t *patch, const char *name,
		     const json_t *order, const char *path)
{
	const json_t *ov = json_object_get(orig, name), *pv = json_object_get(patch, name);
	char *cp = child_path(path, name);
	const struct field_meta *m = lookup(s, cp);
	json_t *merged = NULL, *out;
	int rc = -EINVAL;

	if ((ov && !json_is_array(ov)) || (pv && !json_is_array(pv))) {
		smp_fail(s, "%s/%s applies to a field that is not a list", DIR_ORDER, name);
		goto out;
	}
	if (validate_order(s, m, pv, order) < 0)
		goto out;
	rc = 0;
	if (!ov && !pv)
		goto out;
	if (!pv)
		merged = json_incref((json_t *)ov);
	else if (ov && is_merge_list(m))
		merged = merge_list(s, ov, pv, m, cp);
	else
		merged = clean_value(s, pv, cp);
	out = merged ? normalize_order(s, order_meta(m, merged), merged, order, ov) : NULL;
	if (!out)
		rc = -EINVAL;
	else
		json_object_set_new(orig, name, out);
out:
	json_decref(merged);
	free(cp);
	return rc;
}

/* Applies every "$setElementOrder/<name>" of the patch map. */
static int set_orders(struct smp *s, json_t *orig, const json_t *patch, const char *path)
{
	size_t plen = strlen(DIR_ORDER);
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		if (!has_prefix(k, DIR_ORDER))
			continue;
		if (k[plen] != '/')
			return smp_fail(s, "invalid patch format of setElementOrder list");
		if (set_order(s, orig, patch, k + plen + 1, v, path) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Applies every "$deleteFromPrimitiveList/<name>": removes those values. */
static int delete_from_lists(struct smp *s, json_t *orig, const json_t *patch)
{
	size_t plen = strlen(DIR_DELETE_LIST), i;
	const char *k;
	json_t *v, *e;

	json_object_foreach((json_t *)patch, k, v)
	{
		if (!has_prefix(k, DIR_DELETE_LIST))
			continue;
		if (k[plen] != '/')
			return smp_fail(s, "invalid patch format of primitive list");
		const char *name = k + plen + 1;
		json_t *ov = json_object_get(orig, name);
		if (json_is_null(v)) {
			json_object_del(orig, name);
			continue;
		}
		if (!json_is_array(ov) || !json_is_array(v))
			continue;
		json_t *out = json_array();
		json_array_foreach(ov, i, e)
		{
			if (list_index(NULL, v, e) < 0)
				json_array_append(out, e);
		}
		json_object_set_new(orig, name, out);
	}
	return 0;
}

/* Whether the patch map orders field k with "$setElementOrder/k". */
static bool has_order_for(const json_t *patch, const char *k)
{
	char *key = xasprintf("%s/%s", DIR_ORDER, k);
	bool r = json_object_get(patch, key) != NULL;
	free(key);
	return r;
}

/* Merges one patch field pv into orig[k]. */
static int merge_field(struct smp *s, json_t *orig, const char *k, const json_t *pv,
		       const char *path)
{
	json_t *ov = json_object_get(orig, k), *nv;
	char *cp = child_path(path, k);
	const struct field_meta *m = lookup(s, cp);

	if (json_is_object(ov) && json_is_object(pv))
		nv = merge_map(s, json_incref(ov), pv, cp);
	else if (json_is_array(ov) && json_is_array(pv) && is_merge_list(m))
		nv = merge_list(s, ov, pv, m, cp);
	else
		nv = clean_value(s, pv, cp);
	free(cp);
	if (!nv)
		return -EINVAL;
	json_object_set_new(orig, k, nv);
	return 0;
}

/* The plain fields of the patch map: null deletes, maps and merge lists merge. */
static int merge_fields(struct smp *s, json_t *orig, const json_t *patch, const char *path)
{
	const char *k;
	json_t *pv;

	json_object_foreach((json_t *)patch, k, pv)
	{
		if (!strcmp(k, DIR_RETAIN) || has_prefix(k, DIR_ORDER) ||
		    has_prefix(k, DIR_DELETE_LIST) || has_order_for(patch, k))
			continue;
		if (json_is_null(pv))
			json_object_del(orig, k);
		else if (merge_field(s, orig, k, pv, path) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * Merges the patch map into orig, taking ownership of orig (NULL or not an
 * object counts as empty). Returns the result (owned) or NULL with s->err.
 */
static json_t *merge_map(struct smp *s, json_t *orig, const json_t *patch, const char *path)
{
	json_t *out = NULL;

	if (++s->depth > MAX_DEPTH) {
		smp_fail(s, "the patch is nested too deeply");
		goto out;
	}
	if (json_object_get(patch, DIR_PATCH)) {
		out = map_directive(s, patch, path);
		goto out;
	}
	if (!json_is_object(orig)) {
		json_decref(orig);
		orig = json_object();
	}
	if (retain_keys(s, orig, patch) < 0 || set_orders(s, orig, patch, path) < 0 ||
	    merge_fields(s, orig, patch, path) < 0 || delete_from_lists(s, orig, patch) < 0)
		goto out;
	out = json_incref(orig);
out:
	json_decref(orig);
	s->depth--;
	return out;
}

/*
 * Strategic merge patch with the patch metadata of kind ("Service", "Pod",
 * "Node", "Namespace", "Endpoints", "EndpointSlice", "Event"; any other kind
 * gets the metadata of ObjectMeta only). doc and patch are borrowed. Returns
 * the patched document (caller owns) or NULL and a sentence in *err (caller
 * frees).
 */
json_t *api_strategic_merge_patch(const json_t *doc, const json_t *patch, const char *kind,
				  char **err)
{
	struct smp s = {.fields = meta_none};
	json_t *out;

	*err = NULL;
	for (size_t i = 0; kind && i < sizeof(kind_meta) / sizeof(kind_meta[0]); i++)
		if (strcmp(kind_meta[i].kind, kind) == 0)
			s.fields = kind_meta[i].fields;
	if (!json_is_object(patch)) {
		*err = xstrdup("a strategic merge patch must be a JSON object");
		return NULL;
	}
	out = merge_map(&s, json_deep_copy(doc), patch, "");
	if (!out) {
		*err = s.err ? s.err : xstrdup("the strategic merge patch could not be applied");
		return NULL;
	}
	free(s.err);
	return out;
}
