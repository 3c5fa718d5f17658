/*
 * libFuzzer target for server-side apply (src/lib/api/patch_apply.c,
 * patch_fieldset.c, patch_yaml.c). Input: byte 0 selects the kind and
 * force, then the live object as JSON (empty: none), a NUL byte, and the
 * apply body (JSON or YAML). The body must decode or fail with an error;
 * an apply must give an object or conflicts, never both; a plain update
 * from the live object to the result must not crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/patch_apply.h"

static const char *const kinds[] = {"Service", "Pod", "Node", "Other"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = size > 1 ? memchr(data + 1, '\0', size - 1) : NULL;
	char *err = NULL;
	if (!sep)
		return 0;
	struct api_apply_req q = {kinds[data[0] % 4], "fuzz", "v1", "2026-01-01T00:00:00Z",
				  data[0] & 4};
	json_t *live = json_loadb((const char *)data + 1, (size_t)(sep - data - 1), 0, NULL);
	json_t *body =
	    api_apply_decode((const char *)sep + 1, size - (size_t)(sep + 1 - data), &err);
	if (!body == !err)
		abort();
	if (body && json_is_object(body) && (!live || json_is_object(live))) {
		json_t *conflicts = NULL, *out = api_apply(&q, live, body, &conflicts);
		if (!out == !conflicts)
			abort();
		if (conflicts)
			json_decref(api_apply_conflict_status(conflicts));
		if (out && live) {
			q.manager = "other";
			api_managed_fields_update(&q, live, out);
		}
		json_decref(out);
		json_decref(conflicts);
	}
	free(err);
	json_decref(body);
	json_decref(live);
	return 0;
}
