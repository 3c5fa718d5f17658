/*
 * Shared between the files of the patch code (patch.c, patch_json.c,
 * patch_strategic.c, patch_fieldset.c, patch_apply.c, patch_yaml.c); not a
 * public interface.
 */
#ifndef SVCNET_API_PATCH_INTERNAL_H
#define SVCNET_API_PATCH_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

struct schema_type;
struct schema_field;
struct strbuf;

/* Deep equality where 1 and 1.0 are equal, as they are for Go's float64. */
bool patch_value_equal(const json_t *a, const json_t *b);

/*
 * Field sets in the fieldsV1 form of metadata.managedFields: a tree of JSON
 * objects keyed by path elements ("f:name" a field, "k:{...}" the list item
 * with those key fields, "v:<json>" a set member); "." in a node, or a node
 * that is an empty object, makes the path itself a member. NULL is the
 * empty set. Every function borrows its arguments and returns a new
 * reference (or NULL).
 */

/*
 * The set of fields v sets, v being of type t (NULL: unknown, its maps are
 * granular and its lists atomic) as the field f (NULL for list items and
 * the root) declares it.
 */
json_t *fieldset_of(const struct schema_type *t, const struct schema_field *f, const json_t *v);
/* Whether a value of type t, as field f declares it, is owned field by field (not atomic). */
bool fieldset_granular(const struct schema_type *t, const struct schema_field *f);
/* a ∪ b, a − b and a ∩ b. */
json_t *fieldset_union(const json_t *a, const json_t *b);
json_t *fieldset_diff(const json_t *a, const json_t *b);
json_t *fieldset_intersect(const json_t *a, const json_t *b);
/* Whether the path of node n is itself in the set. */
bool fieldset_member(const json_t *n);
/* The leaf paths of set where old and new (values at set's root) differ. */
json_t *fieldset_changed(const json_t *set, const json_t *old, const json_t *new);
/*
 * The child of v that the path element pe names (borrowed), or NULL; *idx
 * gets its index when v is a list.
 */
json_t *fieldset_child(const json_t *v, const char *pe, size_t *idx);
/*
 * The path element of list item el of a list whose items are keyed by keys
 * (comma separated): "k:{\"port\":80,\"protocol\":\"TCP\"}", key names
 * sorted, a missing protocol being TCP as the API defaults it. Caller frees.
 */
char *fieldset_item_key(const char *keys, const json_t *el);
/* Appends the element pe as Kubernetes prints a field path: ".f", "[k=v]", "[=v]". */
void fieldset_path_push(struct strbuf *sb, const char *pe);

/* The schema of a kind's field: struct field f of struct t, NULL when unknown. */
const struct schema_field *patch_schema_field(const struct schema_type *t, const char *name);

#endif
