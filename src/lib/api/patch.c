/* STUB: to be replaced by the patch implementation. */
#include "api/patch.h"

#include "base/strbuf.h"

json_t *api_merge_patch(const json_t *doc, const json_t *patch)
{
	return json_deep_copy(doc);
}
json_t *api_json_patch(const json_t *doc, const json_t *ops, char **err)
{
	*err = xstrdup("not implemented");
	return NULL;
}
json_t *api_strategic_merge_patch(const json_t *doc, const json_t *patch, const char *kind,
				  char **err)
{
	*err = xstrdup("not implemented");
	return NULL;
}
