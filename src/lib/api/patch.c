/*
 * JSON merge patch (RFC 7386), and the helpers the other patch files share.
 * JSON patch (RFC 6902) is in patch_json.c, the strategic merge patch in
 * patch_strategic.c.
 *
 * Every function works on a private copy of the document, so a failed patch
 * leaves the caller's document untouched.
 */
#include "api/patch.h"
#include "api/patch-internal.h"

#include <stdbool.h>

/* ---------------------------------------------------------------- helpers */

/* Deep equality where 1 and 1.0 are equal, as they are for Go's float64. */
bool patch_value_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!patch_value_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v)
		{
			const json_t *w = json_object_get(b, k);
			if (!w || !patch_value_equal(v, w))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

/* --------------------------------------------------- RFC 7386 merge patch */

/* Takes ownership of target (may be NULL); returns the merged value, owned. */
static json_t *merge_value(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach((json_t *)patch, k, v)
	{
		if (json_is_null(v)) {
			json_object_del(target, k);
			continue;
		}
		json_t *cur = json_object_get(target, k);
		json_object_set_new(target, k, merge_value(json_incref(cur), v));
	}
	return target;
}

/*
 * RFC 7386 JSON merge patch. doc and patch are borrowed; returns a new
 * document the caller owns. A non-object patch replaces the document.
 */
json_t *api_merge_patch(const json_t *doc, const json_t *patch)
{
	return merge_value(json_deep_copy(doc), patch);
}
