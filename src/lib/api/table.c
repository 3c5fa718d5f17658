/* STUB: to be replaced by the table implementation. */
#include "api/table.h"

json_t *api_table(const struct api_resource *r, const json_t *items, const char *include_object,
		  const json_t *list_meta)
{
	return json_pack("{s:s, s:s, s:[], s:[]}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
			 "columnDefinitions", "rows");
}
