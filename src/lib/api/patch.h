/* The three patch types of the Kubernetes API. */
#ifndef SVCNET_API_PATCH_H
#define SVCNET_API_PATCH_H

#include <jansson.h>

/*
 * RFC 7386 JSON merge patch (application/merge-patch+json). Returns the
 * patched document (new reference, caller owns); doc and patch are borrowed.
 */
json_t *api_merge_patch(const json_t *doc, const json_t *patch);

/*
 * RFC 6902 JSON patch (application/json-patch+json): ops is an array of
 * {op, path, value, from}. Returns the patched document (caller owns), or
 * NULL and a sentence in *err (caller frees) for a malformed op, a missing
 * path or a failed "test".
 */
json_t *api_json_patch(const json_t *doc, const json_t *ops, char **err);

/*
 * Strategic merge patch (application/strategic-merge-patch+json) as kubectl
 * apply sends it: lists merged by their patch merge key for the kind
 * ("Service": spec.ports by port; "Pod": containers by name, ...), the
 * directives $patch (replace, merge, delete), $setElementOrder/<list>,
 * $retainKeys and $deleteFromPrimitiveList/<list>, null deleting a key.
 * Returns the patched document (caller owns) or NULL and *err.
 */
json_t *api_strategic_merge_patch(const json_t *doc, const json_t *patch, const char *kind,
				  char **err);

#endif
