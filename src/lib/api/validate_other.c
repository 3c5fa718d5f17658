/* Pods, Endpoints, EndpointSlices, Namespaces, Nodes and Events. */
#include "api/validate-internal.h"

void default_pod(json_t *obj)
{
}
void validate_pod(const json_t *obj, const json_t *old, struct field_errs *errs)
{
}
void default_endpoints(json_t *obj)
{
}
void validate_endpoints(const json_t *obj, struct field_errs *errs)
{
}
void default_endpointslice(json_t *obj)
{
}
void validate_endpointslice(const json_t *obj, const json_t *old, struct field_errs *errs)
{
}
void default_namespace(json_t *obj)
{
}
void validate_namespace(const json_t *obj, struct field_errs *errs)
{
}
void validate_namespace_status(const json_t *obj, struct field_errs *errs)
{
}
void validate_node(const json_t *obj, const json_t *old, struct field_errs *errs)
{
}
void validate_event(const json_t *obj, struct field_errs *errs)
{
}
