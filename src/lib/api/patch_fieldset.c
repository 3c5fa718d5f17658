/*
 * Field sets, the fieldsV1 of metadata.managedFields: built from an object
 * and the schema of its kind (granular structs and maps, lists keyed by
 * their x-kubernetes-list-map-keys, sets by value, atomic values whole),
 * combined, compared between two versions of an object, and resolved back
 * into the object's values.
 */
#include "api/patch-internal.h"
#include "api/schema-internal.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Deeper values are owned whole: no schema goes this deep. */
#define MAX_DEPTH 64

enum fs_op { OP_UNION, OP_DIFF, OP_INTERSECT };

static bool is_atomic(const char *map_or_list_type)
{
	return map_or_list_type && !strcmp(map_or_list_type, "atomic");
}

const struct schema_field *patch_schema_field(const struct schema_type *t, const char *name)
{
	if (!t || t->kind != SK_STRUCT)
		return NULL;
	for (const struct schema_field *f = t->fields; f && f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

char *fieldset_item_key(const char *keys, const json_t *el)
{
	json_t *k = json_object();
	char *copy = xstrdup(keys), *save = NULL;
	for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		json_t *v = json_object_get(el, n);
		if (v)
			json_object_set(k, n, v);
		else if (!strcmp(n, "protocol"))
			json_object_set_new(k, n, json_string("TCP"));
	}
	char *j = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
	char *pe = xasprintf("k:%s", j ? j : "{}");
	free(j);
	free(copy);
	json_decref(k);
	return pe;
}

static json_t *fs_value(const struct schema_type *t, const struct schema_field *f, const json_t *v,
			int depth);

static json_t *fs_object(const struct schema_type *t, const json_t *v, int depth)
{
	json_t *out = json_object(), *c;
	const char *k;
	json_object_foreach((json_t *)v, k, c)
	{
		const struct schema_field *cf = patch_schema_field(t, k);
		const struct schema_type *ct = cf ? cf->type : NULL;
		if (t && t->kind == SK_MAP)
			ct = t->elem;
		char *pe = xasprintf("f:%s", k);
		json_object_set_new(out, pe, fs_value(ct, cf, c, depth + 1));
		free(pe);
	}
	return out;
}

static json_t *fs_list(const struct schema_type *t, const struct schema_field *f, const json_t *v,
		       int depth)
{
	const char *lt = f ? f->list_type : NULL;
	json_t *out = json_object(), *el;
	size_t i;
	if (!lt || is_atomic(lt))
		return out;
	json_array_foreach(v, i, el)
	{
		if (!strcmp(lt, "set")) {
			char *j = json_dumps(el, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			char *pe = xasprintf("v:%s", j ? j : "null");
			json_object_set_new(out, pe, json_object());
			free(pe);
			free(j);
		} else if (!strcmp(lt, "map") && f->list_keys && json_is_object(el)) {
			char *pe = fieldset_item_key(f->list_keys, el);
			json_t *n = fs_value(t ? t->elem : NULL, NULL, el, depth + 1);
			json_object_set_new(n, ".", json_object());
			json_object_set_new(out, pe, n);
			free(pe);
		}
	}
	return out;
}

bool fieldset_granular(const struct schema_type *t, const struct schema_field *f)
{
	if (t && t->kind != SK_STRUCT && t->kind != SK_MAP)
		return false;
	return !(f && is_atomic(f->map_type)) && !(t && is_atomic(t->map_type));
}

static json_t *fs_value(const struct schema_type *t, const struct schema_field *f, const json_t *v,
			int depth)
{
	if (depth > MAX_DEPTH)
		return json_object();
	if (json_is_object(v))
		return fieldset_granular(t, f) ? fs_object(t, v, depth) : json_object();
	if (json_is_array(v))
		return fs_list(t, f, v, depth);
	return json_object();
}

json_t *fieldset_of(const struct schema_type *t, const struct schema_field *f, const json_t *v)
{
	return fs_value(t, f, v, 0);
}

bool fieldset_member(const json_t *n)
{
	return json_is_object(n) && (json_object_size(n) == 0 || json_object_get(n, "."));
}

static json_t *fs_combine(const json_t *a, const json_t *b, enum fs_op op, int depth)
{
	bool ma = fieldset_member(a), mb = fieldset_member(b);
	bool m = op == OP_UNION ? ma || mb : op == OP_DIFF ? ma && !mb : ma && mb;
	json_t *out = json_object(), *c;
	const char *k;
	if (depth > MAX_DEPTH)
		goto done;
	json_object_foreach((json_t *)a, k, c)
	{
		const json_t *bc = json_object_get(b, k);
		json_t *r;
		if (!strcmp(k, "."))
			continue;
		if (bc)
			r = fs_combine(c, bc, op, depth + 1);
		else
			r = op == OP_INTERSECT ? NULL : json_deep_copy(c);
		if (r)
			json_object_set_new(out, k, r);
	}
	if (op == OP_UNION) {
		json_object_foreach((json_t *)b, k, c)
		{
			if (strcmp(k, ".") && !json_object_get(a, k))
				json_object_set_new(out, k, json_deep_copy(c));
		}
	}
done:
	if (json_object_size(out)) {
		if (m)
			json_object_set_new(out, ".", json_object());
		return out;
	}
	json_decref(out);
	return m ? json_object() : NULL;
}

json_t *fieldset_union(const json_t *a, const json_t *b)
{
	return fs_combine(a, b, OP_UNION, 0);
}

json_t *fieldset_diff(const json_t *a, const json_t *b)
{
	return fs_combine(a, b, OP_DIFF, 0);
}

json_t *fieldset_intersect(const json_t *a, const json_t *b)
{
	return a && b ? fs_combine(a, b, OP_INTERSECT, 0) : NULL;
}

/* Whether list item el has every key field of key; a missing protocol is TCP. */
static bool key_matches(const json_t *el, const json_t *key)
{
	const char *k;
	json_t *kv;
	if (!json_is_object(el))
		return false;
	json_object_foreach((json_t *)key, k, kv)
	{
		const json_t *ev = json_object_get(el, k);
		const char *s = json_string_value(kv);
		if (!ev && !strcmp(k, "protocol") && s && !strcmp(s, "TCP"))
			continue;
		if (!ev || !patch_value_equal(ev, kv))
			return false;
	}
	return true;
}

json_t *fieldset_child(const json_t *v, const char *pe, size_t *idx)
{
	size_t i, dummy;
	json_t *el, *found = NULL;
	if (!idx)
		idx = &dummy;
	if (!strncmp(pe, "f:", 2))
		return json_is_object(v) ? json_object_get(v, pe + 2) : NULL;
	if (!json_is_array(v) || strlen(pe) < 2 || pe[1] != ':')
		return NULL;
	if (pe[0] == 'i') {
		char *end;
		long n = strtol(pe + 2, &end, 10);
		if (*end || n < 0 || (size_t)n >= json_array_size(v))
			return NULL;
		*idx = (size_t)n;
		return json_array_get(v, *idx);
	}
	json_t *want = json_loads(pe + 2, JSON_DECODE_ANY, NULL);
	if (!want)
		return NULL;
	json_array_foreach(v, i, el)
	{
		if ((pe[0] == 'v' && patch_value_equal(el, want)) ||
		    (pe[0] == 'k' && key_matches(el, want))) {
			*idx = i;
			found = el;
			break;
		}
	}
	json_decref(want);
	return found;
}

json_t *fieldset_changed(const json_t *set, const json_t *old, const json_t *new)
{
	json_t *out = json_object(), *c;
	const char *k;
	json_object_foreach((json_t *)set, k, c)
	{
		if (!strcmp(k, "."))
			continue;
		const json_t *ov = fieldset_child(old, k, NULL), *nv = fieldset_child(new, k, NULL);
		json_t *r = NULL;
		if (json_object_size(c) == 0) {
			if ((ov || nv) && !(ov && nv && patch_value_equal(ov, nv)))
				r = json_object();
		} else {
			r = fieldset_changed(c, ov, nv);
			if (fieldset_member(c) && !ov && nv) {
				if (!r)
					r = json_object();
				json_object_set_new(r, ".", json_object());
			}
		}
		if (r)
			json_object_set_new(out, k, r);
	}
	if (json_object_size(out))
		return out;
	json_decref(out);
	return NULL;
}

void fieldset_path_push(struct strbuf *sb, const char *pe)
{
	if (!strncmp(pe, "f:", 2)) {
		sb_printf(sb, ".%s", pe + 2);
	} else if (!strncmp(pe, "k:", 2)) {
		json_t *key = json_loads(pe + 2, 0, NULL), *v;
		const char *k;
		bool first = true;
		sb_puts(sb, "[");
		json_object_foreach(key, k, v)
		{
			char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			sb_printf(sb, "%s%s=%s", first ? "" : ",", k, j ? j : "");
			free(j);
			first = false;
		}
		sb_puts(sb, "]");
		json_decref(key);
	} else if (!strncmp(pe, "v:", 2)) {
		sb_printf(sb, "[=%s]", pe + 2);
	} else if (!strncmp(pe, "i:", 2)) {
		sb_printf(sb, "[%s]", pe + 2);
	}
}
