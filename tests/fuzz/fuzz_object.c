/*
 * Fuzz target for the decode path of every write: bytes -> JSON -> prune and
 * type check against the kind's schema -> defaults -> validation.
 */
#include "api/errors.h"
#include "api/resource.h"
#include "api/schema.h"
#include "api/validate.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* jansson bounds nesting itself (JSON_PARSER_MAX_DEPTH), so deep input cannot overflow. */
	json_t *obj =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!obj)
		return 0;
	if (json_is_object(obj)) {
		const char *kind = json_string_value(json_object_get(obj, "kind"));
		const struct api_resource *r = kind ? api_resource_by_kind(kind) : NULL;
		json_t *unknown = json_array();
		char *err = NULL;

		if (!r)
			r = api_resource_by_kind("Service");
		/* Like the API server: only an object of the right types is defaulted and
		 * validated. */
		if (api_schema_prune(r, obj, unknown, &err) == 0) {
			struct field_errs errs = FIELD_ERRS_INIT;
			api_default(r, obj);
			api_validate(r, obj, NULL, &errs);
			field_errs_free(&errs);
		}
		free(err);
		json_decref(unknown);
	}
	json_decref(obj);
	return 0;
}
