/*
 * The core of EndpointSlice reconciliation (endpointslice.h): which slices
 * to keep, update, delete and create for a set of desired endpoints. It
 * follows kube's reconciler step by step: (1) every existing slice keeps
 * the endpoints still desired, refreshed, and is updated when one changed,
 * left or its labels differ; (2) slices being updated anyway are filled up,
 * fullest first; (3) what is left goes into the unchanged slice it fits best
 * when it is less than a slice, else into new slices; finally creates are
 * turned into updates of slices that would otherwise be deleted. Desired
 * endpoints are placed in a stable order (by key), so the result does not
 * depend on hash order.
 */
#include "controllers/endpointslice.h"

#include "base/strbuf.h"
#include "controllers/podutil.h"

#include <stdlib.h>
#include <string.h>

void eps_owner_clear(struct eps_owner *o)
{
	free(o->ns);
	free(o->name);
	free(o->uid);
	json_decref(o->labels);
	json_decref(o->annotations);
	memset(o, 0, sizeof(*o));
}

void eps_desired_free(struct eps_desired *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].address_type);
		json_decref(d->v[i].ports);
		json_decref(d->v[i].endpoints);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void eps_plan_free(struct eps_plan *p)
{
	json_decref(p->create);
	json_decref(p->update);
	json_decref(p->remove);
	json_decref(p->keep);
	memset(p, 0, sizeof(*p));
}

bool eps_plan_empty(const struct eps_plan *p)
{
	return !json_array_size(p->create) && !json_array_size(p->update) &&
	       !json_array_size(p->remove);
}

/* One port as the API server stores it: name ("" by default), port, protocol, appProtocol. */
static json_t *canon_port(const json_t *p)
{
	const char *proto = podutil_str(p, "protocol");
	json_t *c = json_pack("{s:s, s:s}", "name", podutil_str(p, "name"), "protocol",
			      *proto ? proto : "TCP");
	const json_t *num = json_object_get(p, "port");
	if (json_is_integer(num))
		json_object_set(c, "port", (json_t *)num);
	const json_t *app = json_object_get(p, "appProtocol");
	if (json_is_string(app))
		json_object_set(c, "appProtocol", (json_t *)app);
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "TYPE|" and the sorted canonical ports: the grouping key of kube's PortMapKey. */
static char *group_key(const char *type, const json_t *ports)
{
	size_t n = json_array_size(ports);
	char **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_t *c = canon_port(json_array_get(ports, i));
		v[i] = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(c);
	}
	qsort(v, n, sizeof(*v), cmp_str);
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s|", type);
	for (size_t i = 0; i < n; i++) {
		sb_printf(&sb, "%s%s", i ? "," : "", v[i]);
		free(v[i]);
	}
	free(v);
	return sb_steal(&sb);
}

char *eps_slice_key(const json_t *slice)
{
	return group_key(podutil_str(slice, "addressType"), json_object_get(slice, "ports"));
}

void eps_desired_add(struct eps_desired *d, const char *address_type, const json_t *ports,
		     json_t *ep)
{
	char *key = group_key(address_type, ports);
	struct eps_group *g = NULL;
	for (size_t i = 0; i < d->n && !g; i++)
		if (!strcmp(d->v[i].key, key))
			g = &d->v[i];
	if (!g) {
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 4;
			d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
		}
		g = &d->v[d->n++];
		g->key = key;
		key = NULL;
		g->address_type = xstrdup(address_type);
		g->ports = json_array();
		for (size_t i = 0; i < json_array_size(ports); i++)
			json_array_append_new(g->ports, canon_port(json_array_get(ports, i)));
		g->endpoints = json_array();
	}
	free(key);
	json_array_append_new(g->endpoints, ep);
}

/*
 * An endpoint's identity, as kube's endpointHash: its addresses (sorted),
 * hostname and the namespace/name of its targetRef. Caller frees.
 */
static char *endpoint_key(const json_t *ep)
{
	const json_t *addrs = json_object_get(ep, "addresses");
	size_t n = json_array_size(addrs);
	const char **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(addrs, i);
		v[i] = json_is_string(a) ? json_string_value(a) : "";
	}
	qsort(v, n, sizeof(*v), cmp_str);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sb_printf(&sb, "%s%s", i ? "," : "", v[i]);
	free(v);
	const json_t *ref = json_object_get(ep, "targetRef");
	sb_printf(&sb, "|%s|%s/%s", podutil_str(ep, "hostname"), podutil_str(ref, "namespace"),
		  podutil_str(ref, "name"));
	return sb_steal(&sb);
}

/* Is the slice owned (controller ownerReference) by o? */
static bool owned(const json_t *slice, const struct eps_owner *o)
{
	const json_t *refs = json_object_get(json_object_get(slice, "metadata"), "ownerReferences");
	size_t i;
	const json_t *r;
	json_array_foreach(refs, i, r)
	{
		if (!strcmp(podutil_str(r, "uid"), o->uid ? o->uid : "") &&
		    !strcmp(podutil_str(r, "kind"), o->kind) &&
		    !strcmp(podutil_str(r, "apiVersion"), "v1"))
			return true;
	}
	return false;
}

/* Compares a metadata map (missing = empty) with the wanted one. */
static bool map_equal(const json_t *have, const json_t *want)
{
	if (!json_is_object(have) || !json_object_size(have))
		return !json_object_size(want);
	return json_equal((json_t *)have, (json_t *)want);
}

/* Does the slice carry exactly the owner's labels (and annotations, when managed)? */
static bool meta_equal(const json_t *slice, const struct eps_owner *o)
{
	const json_t *meta = json_object_get(slice, "metadata");
	if (!map_equal(json_object_get(meta, "labels"), o->labels))
		return false;
	return !o->annotations || map_equal(json_object_get(meta, "annotations"), o->annotations);
}

/* Sets the owner's labels (and annotations) on a metadata object. */
static void set_meta(json_t *meta, const struct eps_owner *o)
{
	json_object_set_new(meta, "labels", json_deep_copy(o->labels));
	if (o->annotations && json_object_size(o->annotations))
		json_object_set_new(meta, "annotations", json_deep_copy(o->annotations));
	else if (o->annotations)
		json_object_del(meta, "annotations");
}

/* A copy of an existing slice with endpoints eps (taken) and the owner's metadata. */
static json_t *copy_with(const json_t *slice, const struct eps_owner *o, json_t *eps)
{
	json_t *c = json_copy((json_t *)slice);
	json_t *meta = json_deep_copy(json_object_get(slice, "metadata"));
	set_meta(meta, o);
	json_object_set_new(c, "metadata", meta);
	json_object_set_new(c, "endpoints", eps);
	return c;
}

/* A new slice of the owner for one address type and port list, without endpoints. */
static json_t *new_slice(const struct eps_owner *o, const char *type, const json_t *ports)
{
	char *prefix = xasprintf("%s-", o->name);
	json_t *ref = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", "v1", "kind",
				o->kind, "name", o->name, "uid", o->uid ? o->uid : "", "controller",
				1, "blockOwnerDeletion", 1);
	json_t *meta = json_pack("{s:s, s:s, s:[o]}", "generateName", prefix, "namespace", o->ns,
				 "ownerReferences", ref);
	set_meta(meta, o);
	json_t *s = json_pack("{s:s, s:s, s:o, s:s, s:[], s:O}", "apiVersion",
			      "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata", meta,
			      "addressType", type, "endpoints", "ports", ports);
	free(prefix);
	return s;
}

/* ---- The desired set: endpoints by key, handed out in key order ---- */

struct dset {
	json_t *map; /* key -> endpoint (borrowed from the group) */
	char **keys; /* sorted */
	size_t n, next;
};

static void dset_init(struct dset *s, const json_t *eps)
{
	s->map = json_object();
	s->n = json_array_size(eps);
	s->keys = xcalloc(s->n + 1, sizeof(*s->keys));
	s->next = 0;
	for (size_t i = 0; i < s->n; i++) {
		json_t *ep = json_array_get(eps, i);
		s->keys[i] = endpoint_key(ep);
		json_object_set(s->map, s->keys[i], ep);
	}
	qsort(s->keys, s->n, sizeof(*s->keys), cmp_str);
}

static void dset_free(struct dset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	json_decref(s->map);
}

static size_t dset_len(const struct dset *s)
{
	return json_object_size(s->map);
}

/* The next desired endpoint in key order (a new reference), or NULL. */
static json_t *dset_pop(struct dset *s)
{
	while (s->next < s->n) {
		const char *k = s->keys[s->next++];
		json_t *ep = json_object_get(s->map, k);
		if (ep) {
			json_incref(ep);
			json_object_del(s->map, k);
			return ep;
		}
	}
	return NULL;
}

/* ---- One group: existing slices of one key against its desired endpoints ---- */

enum wstate { W_KEEP, W_UPDATE, W_DELETE };

struct wslice {
	const json_t *orig; /* the existing slice */
	json_t *obj;	    /* the edited copy when W_UPDATE */
	enum wstate st;
};

static size_t wcount(const struct wslice *w)
{
	const json_t *s = w->obj ? w->obj : w->orig;
	return json_array_size(json_object_get(s, "endpoints"));
}

/* Step 1: keep the still desired endpoints of every slice, refreshed. */
static void scan_existing(const struct eps_owner *o, struct dset *ds, struct wslice *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *eps = json_object_get(ws[i].orig, "endpoints");
		json_t *keep = json_array();
		bool changed = false;
		size_t j;
		const json_t *ep;
		json_array_foreach(eps, j, ep)
		{
			char *k = endpoint_key(ep);
			json_t *want = json_object_get(ds->map, k);
			if (want) {
				json_array_append(keep, want);
				changed |= !json_equal(want, (json_t *)ep);
				json_object_del(ds->map, k);
			}
			free(k);
		}
		if (changed || json_array_size(keep) != json_array_size(eps)) {
			ws[i].st = json_array_size(keep) ? W_UPDATE : W_DELETE;
		} else if (!meta_equal(ws[i].orig, o)) {
			ws[i].st = W_UPDATE;
		} else {
			ws[i].st = W_KEEP;
		}
		if (ws[i].st == W_UPDATE)
			ws[i].obj = copy_with(ws[i].orig, o, json_incref(keep));
		json_decref(keep);
	}
}

/* Appends desired endpoints to slice until it holds max. */
static void fill(json_t *slice, struct dset *ds, size_t max)
{
	json_t *eps = json_object_get(slice, "endpoints");
	json_t *ep;
	while (json_array_size(eps) < max && (ep = dset_pop(ds)))
		json_array_append_new(eps, ep);
}

static int cmp_fullest(const void *a, const void *b)
{
	size_t ca = wcount(*(struct wslice *const *)a), cb = wcount(*(struct wslice *const *)b);
	return ca > cb ? -1 : ca < cb;
}

/* Step 2: fill the slices that are updated anyway, fullest first. */
static void fill_updates(struct dset *ds, struct wslice *ws, size_t n, size_t max)
{
	struct wslice **up = xcalloc(n + 1, sizeof(*up));
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (ws[i].st == W_UPDATE)
			up[m++] = &ws[i];
	qsort(up, m, sizeof(*up), cmp_fullest);
	for (size_t i = 0; i < m && dset_len(ds); i++)
		fill(up[i]->obj, ds, max);
	free(up);
}

/* getSliceToFill: the unchanged slice that comes closest to full with left more. */
static struct wslice *slice_to_fill(struct wslice *ws, size_t n, size_t left, size_t max)
{
	struct wslice *best = NULL;
	size_t best_diff = max;
	for (size_t i = 0; i < n; i++) {
		size_t have = wcount(&ws[i]);
		if (ws[i].st != W_KEEP || have + left > max)
			continue;
		size_t diff = max - (have + left);
		if (diff < best_diff) {
			best_diff = diff;
			best = &ws[i];
		}
	}
	return best;
}

/* Step 3: place what is left in one unchanged slice, or in new slices. */
static void place_rest(const struct eps_owner *o, const struct eps_group *g, struct dset *ds,
		       struct wslice *ws, size_t n, json_t *creates)
{
	size_t max = (size_t)o->max_endpoints;
	while (dset_len(ds)) {
		struct wslice *w =
		    dset_len(ds) < max ? slice_to_fill(ws, n, dset_len(ds), max) : NULL;
		json_t *target;
		if (w) {
			json_t *eps = json_object_get(w->orig, "endpoints");
			w->obj = copy_with(w->orig, o, eps ? json_copy(eps) : json_array());
			w->st = W_UPDATE;
			target = w->obj;
		} else {
			target = new_slice(o, g->address_type, g->ports);
			json_array_append_new(creates, target);
		}
		fill(target, ds, max);
	}
}

static void reconcile_group(const struct eps_owner *o, const struct eps_group *g,
			    const json_t *bucket, struct eps_plan *plan)
{
	struct dset ds;
	size_t n = json_array_size(bucket);
	struct wslice *ws = xcalloc(n + 1, sizeof(*ws));
	dset_init(&ds, g->endpoints);
	for (size_t i = 0; i < n; i++)
		ws[i].orig = json_array_get(bucket, i);
	scan_existing(o, &ds, ws, n);
	if (dset_len(&ds))
		fill_updates(&ds, ws, n, (size_t)o->max_endpoints);
	place_rest(o, g, &ds, ws, n, plan->create);
	for (size_t i = 0; i < n; i++) {
		if (ws[i].st == W_KEEP)
			json_array_append(plan->keep, (json_t *)ws[i].orig);
		else if (ws[i].st == W_DELETE)
			json_array_append(plan->remove, (json_t *)ws[i].orig);
		else
			json_array_append_new(plan->update, ws[i].obj);
	}
	free(ws);
	dset_free(&ds);
}

/* ---- Whole owner: buckets, placeholders, recycling ---- */

static size_t count_type(const json_t *arr, const char *type)
{
	size_t n = 0, i;
	const json_t *s;
	json_array_foreach(arr, i, s) n += !strcmp(podutil_str(s, "addressType"), type);
	return n;
}

/* An existing slice that is exactly the owner's empty placeholder. */
static bool is_placeholder(const json_t *s, const struct eps_owner *o)
{
	return !json_array_size(json_object_get(s, "endpoints")) &&
	       !json_array_size(json_object_get(s, "ports")) && owned(s, o) && meta_equal(s, o);
}

/* Keeps one empty slice for every listed address type that would have none. */
static void placeholders(const struct eps_owner *o, const char *const *types, struct eps_plan *plan)
{
	for (size_t t = 0; types && types[t]; t++) {
		const char *type = types[t];
		if (count_type(plan->keep, type) || count_type(plan->update, type) ||
		    count_type(plan->create, type))
			continue;
		if (count_type(plan->remove, type) == 1) {
			for (size_t i = 0; i < json_array_size(plan->remove); i++) {
				json_t *s = json_array_get(plan->remove, i);
				if (strcmp(podutil_str(s, "addressType"), type) ||
				    !is_placeholder(s, o))
					continue;
				json_array_append(plan->keep, s);
				json_array_remove(plan->remove, i);
				break;
			}
			if (count_type(plan->keep, type))
				continue;
		}
		json_t *empty = json_array();
		json_array_append_new(plan->create, new_slice(o, type, empty));
		json_decref(empty);
	}
}

/* Turns creates into updates of owned slices of the same type that would be deleted. */
static void recycle(const struct eps_owner *o, struct eps_plan *plan)
{
	size_t i = 0;
	while (i < json_array_size(plan->remove) && json_array_size(plan->create)) {
		json_t *del = json_array_get(plan->remove, i);
		size_t last = json_array_size(plan->create) - 1;
		json_t *c = json_array_get(plan->create, last);
		if (strcmp(podutil_str(del, "addressType"), podutil_str(c, "addressType")) ||
		    !owned(del, o)) {
			i++;
			continue;
		}
		const json_t *dmeta = json_object_get(del, "metadata");
		json_t *meta = json_object_get(c, "metadata");
		json_object_del(meta, "generateName");
		json_object_set(meta, "name", json_object_get(dmeta, "name"));
		json_object_set(meta, "resourceVersion", json_object_get(dmeta, "resourceVersion"));
		json_array_append(plan->update, c);
		json_array_remove(plan->create, last);
		json_array_remove(plan->remove, i);
	}
}

void eps_reconcile(const struct eps_owner *o, const struct eps_desired *d, const json_t *existing,
		   const char *const *placeholder_types, struct eps_plan *plan)
{
	plan->create = json_array();
	plan->update = json_array();
	plan->remove = json_array();
	plan->keep = json_array();
	json_t *buckets = json_object();
	size_t i;
	json_t *s;
	json_array_foreach(existing, i, s)
	{
		if (!owned(s, o)) {
			json_array_append(plan->remove, s);
			continue;
		}
		char *key = eps_slice_key(s);
		json_t *b = json_object_get(buckets, key);
		if (!b)
			json_object_set_new(buckets, key, b = json_array());
		json_array_append(b, s);
		free(key);
	}
	for (i = 0; i < d->n; i++) {
		if (!json_array_size(d->v[i].endpoints))
			continue;
		reconcile_group(o, &d->v[i], json_object_get(buckets, d->v[i].key), plan);
		json_object_del(buckets, d->v[i].key);
	}
	const char *key;
	json_t *b;
	json_object_foreach(buckets, key, b) json_array_extend(plan->remove, b);
	json_decref(buckets);
	placeholders(o, placeholder_types, plan);
	recycle(o, plan);
}
