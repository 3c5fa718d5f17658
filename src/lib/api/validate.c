/* STUB: to be replaced by the validation implementation. */
#include "api/validate.h"

void api_default(const struct api_resource *r, json_t *obj)
{
}
void api_validate(const struct api_resource *r, const json_t *obj, const json_t *old,
		  struct field_errs *errs)
{
}
void api_validate_status(const struct api_resource *r, const json_t *obj, const json_t *old,
			 struct field_errs *errs)
{
}
