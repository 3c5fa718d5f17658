/*
 * Parses arbitrary bytes as a label selector and as a field selector, matches
 * each against fixed objects, and frees everything.
 */
#include "api/selector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {"spec.nodeName", NULL};
	static json_t *obj;
	struct label_selector *ls = NULL;
	struct field_selector *fs = NULL;
	char *s = malloc(size + 1), *err = NULL;

	if (!obj)
		obj = json_pack("{s:{s:s,s:s,s:{s:s,s:s,s:s}},s:{s:s,s:b,s:i}}", "metadata", "name",
				"p1", "namespace", "default", "labels", "app", "web", "n", "5",
				"example.com/x", "", "spec", "nodeName", "n1", "ready", 1,
				"replicas", 3);
	memcpy(s, data, size);
	s[size] = '\0';
	if (label_selector_parse(s, &ls, &err) == 0)
		label_selector_matches(ls,
				       json_object_get(json_object_get(obj, "metadata"), "labels"));
	label_selector_free(ls);
	free(err);
	err = NULL;
	if (field_selector_parse(s, allowed, &fs, &err) == 0)
		field_selector_matches(fs, obj);
	field_selector_free(fs);
	free(err);
	free(s);
	return 0;
}
