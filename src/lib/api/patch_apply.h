/*
 * Server-side apply (PATCH with application/apply-patch+yaml) and the
 * metadata.managedFields it keeps: which field manager set which fields.
 */
#ifndef SVCNET_API_PATCH_APPLY_H
#define SVCNET_API_PATCH_APPLY_H

#include <jansson.h>
#include <stdbool.h>

/* Who writes, and how: the parameters of one apply or update. */
struct api_apply_req {
	const char *kind;	 /* "Service": the schema that keys lists, atomic maps */
	const char *manager;	 /* the fieldManager */
	const char *api_version; /* "v1": recorded in the manager's entry */
	const char *now;	 /* RFC 3339 time recorded in the entry */
	bool force;		 /* take fields other managers own (force=true) */
};

/*
 * Decodes an apply body: JSON, else one YAML document. Returns the value
 * (caller owns), or NULL and a sentence in *err (caller frees).
 */
json_t *api_apply_decode(const char *text, size_t len, char **err);

/*
 * Server-side apply of applied, the whole object as manager intends it
 * (borrowed; decoded, pruned to the schema, without managedFields), onto
 * live (borrowed; NULL when the object does not exist yet):
 *  - applied fields are merged in (lists with x-kubernetes-list-map-keys by
 *    key, sets by value, atomic values and other lists whole);
 *  - fields the manager applied last time and leaves out now are removed,
 *    unless another manager has them too;
 *  - a field another manager owns with a different value is a conflict
 *    unless q->force, which takes it over;
 *  - metadata.managedFields gets the manager's Apply entry with the set of
 *    applied fields; entries are sorted as kube-apiserver sorts them.
 * The identity and system metadata (name, uid, resourceVersion, ...) and
 * status are not applied fields. Returns the new object (caller owns); NULL
 * with *conflicts (caller owns: an array of {"manager": entry, "field":
 * ".spec.x"}) when there are conflicts.
 */
json_t *api_apply(const struct api_apply_req *q, const json_t *live, const json_t *applied,
		  json_t **conflicts);

/*
 * Keeps metadata.managedFields right across a plain update (PUT or a
 * patch) of old into obj by q->manager: an object without entries is left
 * without; obj's entries are old's unless the request replaced them (a list
 * of one empty entry strips them all; an empty list keeps old's); the
 * fields the update changed move to the manager's Update entry, away from
 * the other managers; fields obj no longer has leave every entry.
 * Modifies obj in place.
 */
void api_managed_fields_update(const struct api_apply_req *q, const json_t *old, json_t *obj);

/*
 * The 409 Conflict Status kube-apiserver answers for conflicts (as
 * api_apply returns them): "Apply failed with 1 conflict: conflict with
 * \"mgr\": .spec.x", one cause per field. Caller owns the result.
 */
json_t *api_apply_conflict_status(const json_t *conflicts);

#endif
