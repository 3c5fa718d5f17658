/*
 * Decodes arbitrary bytes as a Kubernetes protobuf request body, serialises
 * any result and frees everything.
 */
#include "api/protobuf.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	json_t *obj = api_protobuf_decode(data, size, &err);

	if (obj) {
		free(json_dumps(obj, JSON_COMPACT));
		json_decref(obj);
	}
	free(err);
	return 0;
}
