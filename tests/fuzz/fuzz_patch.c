/*
 * libFuzzer target for the three patch types (src/lib/api/patch.c,
 * patch_json.c, patch_strategic.c).
 * Input: byte 0 selects the type (0 merge, 1 JSON patch, 2 strategic),
 * byte 1 the kind for a strategic patch, then the document JSON, a NUL byte
 * and the patch JSON. Every call must return a document or an error, never
 * both, never crash, never leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/patch.h"

static const char *const kinds[] = {"Service",	     "Pod",   "Node",	   "Namespace",
				    "EndpointSlice", "Event", "Endpoints", "Other"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep;
	json_t *doc, *patch, *out = NULL;
	char *err = NULL;

	if (size < 3)
		return 0;
	sep = memchr(data + 2, '\0', size - 2);
	if (!sep)
		return 0;
	doc = json_loadb((const char *)data + 2, (size_t)(sep - data - 2), JSON_DECODE_ANY, NULL);
	patch = json_loadb((const char *)sep + 1, size - (size_t)(sep + 1 - data), JSON_DECODE_ANY,
			   NULL);
	if (doc && patch) {
		switch (data[0] % 3) {
		case 0:
			out = api_merge_patch(doc, patch);
			break;
		case 1:
			out = api_json_patch(doc, patch, &err);
			break;
		default:
			out = api_strategic_merge_patch(doc, patch, kinds[data[1] % 8], &err);
			break;
		}
		if ((data[0] % 3) != 0 && !out == !err)
			abort();
	}
	free(err);
	json_decref(out);
	json_decref(doc);
	json_decref(patch);
	return 0;
}
