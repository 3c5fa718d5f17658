/* STUB: to be replaced by the schema implementation. */
#include "api/schema.h"

int api_schema_prune(const struct api_resource *r, json_t *obj, json_t *unknown, char **err)
{
	return 0;
}
json_t *api_openapi_v3_root(void)
{
	return json_pack("{s:{}}", "paths");
}
json_t *api_openapi_v3_group(const char *gv_path)
{
	return NULL;
}
json_t *api_openapi_v2(void)
{
	return json_pack("{s:s, s:{}}", "swagger", "2.0", "definitions");
}
