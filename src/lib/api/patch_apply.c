/*
 * Server-side apply and metadata.managedFields, as kube-apiserver keeps
 * them (structured-merge-diff), in a subset: every manager's entry holds
 * the set of fields it set (patch_fieldset.c); an apply merges the applied
 * fields, removes those the manager stopped applying, and refuses to change
 * a field another manager owns unless forced; a plain update moves the
 * fields it changed to the updater.
 */
#include "api/patch_apply.h"

#include "api/errors.h"
#include "api/patch-internal.h"
#include "api/schema-internal.h"
#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

/* Metadata the server keeps: never a field a manager owns. */
static const char *const system_meta[] = {"name",
					  "namespace",
					  "uid",
					  "resourceVersion",
					  "generation",
					  "creationTimestamp",
					  "deletionTimestamp",
					  "deletionGracePeriodSeconds",
					  "managedFields",
					  "selfLink",
					  "generateName",
					  NULL};

/* A copy of obj without what no manager owns: type, identity, system metadata, status. */
static json_t *managed_part(const json_t *obj)
{
	json_t *c = json_is_object(obj) ? json_deep_copy(obj) : json_object();
	json_t *meta = json_object_get(c, "metadata");
	json_object_del(c, "apiVersion");
	json_object_del(c, "kind");
	json_object_del(c, "status");
	for (const char *const *k = system_meta; *k; k++)
		json_object_del(meta, *k);
	if (json_is_object(meta) && !json_object_size(meta))
		json_object_del(c, "metadata");
	return c;
}

/* The managed fields obj sets, or NULL when it sets none. */
static json_t *fields_of(const char *kind, const json_t *obj)
{
	json_t *part = managed_part(obj);
	json_t *set = fieldset_of(schema_type_of_kind(kind), NULL, part);
	json_decref(part);
	if (!json_object_size(set)) {
		json_decref(set);
		return NULL;
	}
	return set;
}

/* ------------------------------------------------------------ merging */

static json_t *merge_value(const struct schema_type *t, const struct schema_field *f,
			   const json_t *live, const json_t *applied, int depth);

/* A list merged as f declares it: items by key, set members by value. */
static json_t *merge_list(const struct schema_type *t, const struct schema_field *f,
			  const json_t *live, const json_t *applied, int depth)
{
	json_t *out = json_deep_copy(live), *el;
	size_t i, idx;
	bool set = !strcmp(f->list_type, "set");
	json_array_foreach(applied, i, el)
	{
		char *pe = set ? NULL : fieldset_item_key(f->list_keys, el);
		json_t *cur = NULL;
		if (set) {
			for (idx = 0; idx < json_array_size(out) && !cur; idx++)
				if (patch_value_equal(json_array_get(out, idx), el))
					cur = json_array_get(out, idx);
		} else {
			cur = fieldset_child(out, pe, &idx);
		}
		if (!cur)
			json_array_append_new(out, json_deep_copy(el));
		else if (!set)
			json_array_set_new(out, idx,
					   merge_value(t->elem, NULL, cur, el, depth + 1));
		free(pe);
	}
	return out;
}

/* applied merged into live (both borrowed), of type t as f declares it; returns a new value. */
static json_t *merge_value(const struct schema_type *t, const struct schema_field *f,
			   const json_t *live, const json_t *applied, int depth)
{
	const char *k;
	json_t *v;
	if (depth > MAX_DEPTH)
		return json_deep_copy(applied);
	if (json_is_object(applied) && json_is_object(live) && fieldset_granular(t, f)) {
		json_t *out = json_deep_copy(live);
		json_object_foreach((json_t *)applied, k, v)
		{
			const struct schema_field *cf = patch_schema_field(t, k);
			const struct schema_type *ct = cf ? cf->type : NULL;
			if (t && t->kind == SK_MAP)
				ct = t->elem;
			if (json_is_null(v))
				json_object_del(out, k);
			else
				json_object_set_new(
				    out, k,
				    merge_value(ct, cf, json_object_get(live, k), v, depth + 1));
		}
		return out;
	}
	if (json_is_array(applied) && json_is_array(live) && f && f->list_type &&
	    (!strcmp(f->list_type, "set") || (!strcmp(f->list_type, "map") && f->list_keys)))
		return merge_list(t, f, live, applied, depth);
	return json_deep_copy(applied);
}

/*
 * Removes from v the fields of removed, except where keep (the other
 * managers' fields) has something at or under them: there only what is
 * removed below is.
 */
static void remove_fields(json_t *v, const json_t *removed, const json_t *keep)
{
	const char *k;
	json_t *c;
	json_object_foreach((json_t *)removed, k, c)
	{
		size_t idx;
		json_t *cv = strcmp(k, ".") ? fieldset_child(v, k, &idx) : NULL;
		const json_t *kc = json_object_get(keep, k);
		if (!cv)
			continue;
		if (fieldset_member(c) && !kc) {
			if (json_is_object(v))
				json_object_del(v, k + 2);
			else
				json_array_remove(v, idx);
		} else if (json_object_size(c)) {
			remove_fields(cv, c, kc);
		}
	}
}

/* ------------------------------------------------------- managed fields */

static const char *entry_str(const json_t *e, const char *key)
{
	const char *s = json_string_value(json_object_get(e, key));
	return s ? s : "";
}

/* Whether entry e is manager's entry for operation op on the main resource. */
static bool is_entry(const json_t *e, const char *manager, const char *op)
{
	return !strcmp(entry_str(e, "manager"), manager) &&
	       !strcmp(entry_str(e, "operation"), op) && !*entry_str(e, "subresource");
}

/* A new entry; takes set. */
static json_t *new_entry(const struct api_apply_req *q, const char *op, json_t *set)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "manager", q->manager, "operation", op,
			 "apiVersion", q->api_version, "time", q->now, "fieldsType", "FieldsV1",
			 "fieldsV1", set);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int c = strcmp(entry_str(a, "operation"), entry_str(b, "operation"));
	if (!c)
		c = strcmp(entry_str(a, "time"), entry_str(b, "time"));
	return c ? c : strcmp(entry_str(a, "manager"), entry_str(b, "manager"));
}

/*
 * Sets obj's managedFields to entries (taken), sorted as kube-apiserver
 * sorts them (operation, time, manager), without entries that own nothing.
 */
static void store_entries(json_t *obj, json_t *entries)
{
	size_t n = 0, i;
	json_t **v = xcalloc(json_array_size(entries) + 1, sizeof(*v)), *e;
	json_array_foreach(entries, i, e)
	{
		if (json_object_size(json_object_get(e, "fieldsV1")))
			v[n++] = e;
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	json_t *sorted = json_array(), *meta = json_object_get(obj, "metadata");
	for (i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	if (!json_is_object(meta) && n) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	if (n)
		json_object_set_new(meta, "managedFields", sorted);
	else {
		json_object_del(meta, "managedFields");
		json_decref(sorted);
	}
	free(v);
	json_decref(entries);
}

/* ------------------------------------------------------------ conflicts */

/*
 * Adds to out one conflict per leaf of set (fields entry's manager owns
 * that the apply sets) whose value differs between live and merged, and
 * the same leaves to taken.
 */
static void find_conflicts(const json_t *set, const json_t *live, const json_t *merged,
			   struct strbuf *path, const json_t *entry, json_t *out, json_t *taken)
{
	const char *k;
	json_t *c;
	json_object_foreach((json_t *)set, k, c)
	{
		if (!strcmp(k, "."))
			continue;
		const json_t *lv = fieldset_child(live, k, NULL),
			     *mv = fieldset_child(merged, k, NULL);
		size_t len = path->len;
		fieldset_path_push(path, k);
		if (!json_object_size(c)) {
			if ((lv || mv) && !(lv && mv && patch_value_equal(lv, mv))) {
				json_t *e = json_deep_copy(entry);
				json_object_del(e, "fieldsV1");
				json_object_del(e, "fieldsType");
				json_array_append_new(
				    out, json_pack("{s:o,s:s}", "manager", e, "field", path->buf));
				json_object_set_new(taken, k, json_object());
			}
		} else {
			json_t *sub = json_object();
			find_conflicts(c, lv, mv, path, entry, out, sub);
			if (json_object_size(sub))
				json_object_set_new(taken, k, sub);
			else
				json_decref(sub);
		}
		path->len = len;
		if (path->buf)
			path->buf[len] = '\0';
	}
}

/*
 * Checks the apply against one other entry e: appends its conflicts to
 * found and returns a copy of e, without the conflicting fields when forced.
 */
static json_t *check_other(const struct api_apply_req *q, const json_t *e, const json_t *set,
			   const json_t *live, const json_t *merged, json_t *found)
{
	json_t *copy = json_deep_copy(e), *fields = json_object_get(e, "fieldsV1");
	json_t *shared = fieldset_intersect(set, fields), *taken = json_object();
	struct strbuf path = STRBUF_INIT;
	if (shared)
		find_conflicts(shared, live, merged, &path, e, found, taken);
	if (q->force && json_object_size(taken)) {
		json_t *rest = fieldset_diff(fields, taken);
		json_object_set_new(copy, "fieldsV1", rest ? rest : json_object());
	}
	sb_free(&path);
	json_decref(shared);
	json_decref(taken);
	return copy;
}

/*
 * The apply of set (the applied fields) from applied onto live: the merged
 * object, with entries (appended to) the other managers' entries. NULL with
 * *conflicts when it changes their fields and is not forced.
 */
static json_t *apply_existing(const struct api_apply_req *q, const json_t *live,
			      const json_t *applied, const json_t *set, json_t *entries,
			      json_t **conflicts)
{
	json_t *cfg = managed_part(applied), *others = NULL, *found = json_array(), *e;
	json_t *out = merge_value(schema_type_of_kind(q->kind), NULL, live, cfg, 0);
	const json_t *mine = NULL;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(live, "metadata"), "managedFields"), i,
			   e)
	{
		if (!json_is_object(e))
			continue;
		if (is_entry(e, q->manager, "Apply")) {
			mine = json_object_get(e, "fieldsV1");
			continue;
		}
		json_t *copy = check_other(q, e, set, live, out, found);
		json_t *u = fieldset_union(others, json_object_get(copy, "fieldsV1"));
		json_decref(others);
		others = u;
		json_array_append_new(entries, copy);
	}
	if (json_array_size(found) && !q->force) {
		*conflicts = json_incref(found);
		json_decref(out);
		out = NULL;
	} else {
		json_t *gone = fieldset_diff(mine, set), *removed = fieldset_diff(gone, others);
		if (removed)
			remove_fields(out, removed, others);
		json_decref(gone);
		json_decref(removed);
	}
	json_decref(cfg);
	json_decref(found);
	json_decref(others);
	return out;
}

json_t *api_apply(const struct api_apply_req *q, const json_t *live, const json_t *applied,
		  json_t **conflicts)
{
	json_t *set = fields_of(q->kind, applied), *entries = json_array(), *out;
	*conflicts = NULL;
	if (live)
		out = apply_existing(q, live, applied, set, entries, conflicts);
	else
		out = json_deep_copy(applied);
	if (out) {
		if (set)
			json_array_append_new(entries, new_entry(q, "Apply", json_incref(set)));
		store_entries(out, entries);
	} else {
		json_decref(entries);
	}
	json_decref(set);
	return out;
}

/* The entries a plain update starts from: the request's, or old's. New array. */
static json_t *update_entries(const json_t *old, const json_t *obj)
{
	const json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields");
	const json_t *old_mf = json_object_get(json_object_get(old, "metadata"), "managedFields");
	const json_t *from = json_array_size(mf) && !json_equal(mf, old_mf) ? mf : old_mf;
	json_t *out = json_array(), *e;
	size_t i;
	json_array_foreach(from, i, e)
	{
		if (json_is_string(json_object_get(e, "manager")) &&
		    json_is_string(json_object_get(e, "operation")) &&
		    json_is_object(json_object_get(e, "fieldsV1")))
			json_array_append(out, e);
	}
	return out;
}

void api_managed_fields_update(const struct api_apply_req *q, const json_t *old, json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *mf = json_object_get(meta, "managedFields"), *e;
	size_t i;
	if (json_array_size(mf) == 1 && json_is_object(json_array_get(mf, 0)) &&
	    !json_object_size(json_array_get(mf, 0))) {
		json_object_del(meta, "managedFields"); /* [{}]: strip them all */
		return;
	}
	json_t *entries = update_entries(old, obj), *out = json_array();
	if (!json_array_size(entries)) {
		json_object_del(meta, "managedFields");
		json_decref(entries);
		json_decref(out);
		return;
	}
	json_t *full = fields_of(q->kind, obj);
	json_t *oldpart = managed_part(old), *newpart = managed_part(obj);
	json_t *changed = full ? fieldset_changed(full, oldpart, newpart) : NULL;
	bool have = false;
	json_array_foreach(entries, i, e)
	{
		json_t *c = json_deep_copy(e);
		json_t *kept = fieldset_intersect(json_object_get(e, "fieldsV1"), full), *ns;
		if (is_entry(e, q->manager, "Update")) {
			have = true;
			ns = fieldset_union(kept, changed);
			if (changed) {
				json_object_set_new(c, "time", json_string(q->now));
				json_object_set_new(c, "apiVersion", json_string(q->api_version));
			}
		} else {
			ns = fieldset_diff(kept, changed);
		}
		json_object_set_new(c, "fieldsV1", ns ? ns : json_object());
		json_array_append_new(out, c);
		json_decref(kept);
	}
	if (!have && changed)
		json_array_append_new(out, new_entry(q, "Update", json_incref(changed)));
	store_entries(obj, out);
	json_decref(changed);
	json_decref(oldpart);
	json_decref(newpart);
	json_decref(full);
	json_decref(entries);
}

/* How kube-apiserver names a manager in a conflict: "kubectl", "x" using v1 at T. */
static char *manager_words(const json_t *e)
{
	struct strbuf sb = STRBUF_INIT;
	sb_json_str(&sb, entry_str(e, "manager"));
	if (*entry_str(e, "subresource"))
		sb_printf(&sb, " with subresource \"%s\"", entry_str(e, "subresource"));
	if (!strcmp(entry_str(e, "operation"), "Update")) {
		sb_printf(&sb, " using %s", entry_str(e, "apiVersion"));
		if (*entry_str(e, "time"))
			sb_printf(&sb, " at %s", entry_str(e, "time"));
	}
	return sb_steal(&sb);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *api_apply_conflict_status(const json_t *conflicts)
{
	size_t n = json_array_size(conflicts), i, u = 0;
	char **who = xcalloc(n + 1, sizeof(*who)), **uniq = xcalloc(n + 1, sizeof(*uniq));
	json_t *causes = json_array(), *c;
	struct strbuf sb = STRBUF_INIT;
	json_array_foreach(conflicts, i, c)
	{
		who[i] = manager_words(json_object_get(c, "manager"));
		char *msg = xasprintf("conflict with %s", who[i]);
		json_array_append_new(causes,
				      json_pack("{s:s,s:s,s:s}", "reason", "FieldManagerConflict",
						"message", msg, "field", entry_str(c, "field")));
		free(msg);
		bool seen = false;
		for (size_t j = 0; j < u && !seen; j++)
			seen = !strcmp(uniq[j], who[i]);
		if (!seen)
			uniq[u++] = who[i];
	}
	if (n == 1) {
		sb_printf(&sb, "Apply failed with 1 conflict: conflict with %s: %s", who[0],
			  entry_str(json_array_get(conflicts, 0), "field"));
	} else {
		qsort(uniq, u, sizeof(*uniq), str_cmp);
		sb_printf(&sb, "Apply failed with %zu conflicts: ", n);
		for (size_t j = 0; j < u; j++) {
			sb_printf(&sb, "%sconflicts with %s:", j ? "\n" : "", uniq[j]);
			json_array_foreach(conflicts, i, c)
			{
				if (!strcmp(who[i], uniq[j]))
					sb_printf(&sb, "\n- %s", entry_str(c, "field"));
			}
		}
	}
	json_t *st = api_status_details(409, "Conflict", sb.buf, NULL, NULL, NULL);
	json_object_set_new(json_object_get(st, "details"), "causes", causes);
	for (i = 0; i < n; i++)
		free(who[i]);
	free(who);
	free(uniq);
	sb_free(&sb);
	return st;
}
