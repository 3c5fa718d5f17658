/*
 * Label and field selectors, with the syntax and semantics of
 * k8s.io/apimachinery/pkg/labels and pkg/fields.
 */
#ifndef SVCNET_API_SELECTOR_H
#define SVCNET_API_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>

struct label_selector;
struct field_selector;

/*
 * Parses a label selector ("a=b,c!=d,e in (f,g),h notin (i),j,!k", also
 * "==", and the set-based forms). "" selects everything. On a syntax error
 * returns -EINVAL and sets *err to a sentence (caller frees) as
 * kube-apiserver words it. *out is owned by the caller.
 */
int label_selector_parse(const char *s, struct label_selector **out, char **err)
    __attribute__((warn_unused_result));
/* Does the labels object (a JSON object of strings, or NULL) match? */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels);
void label_selector_free(struct label_selector *sel);

/*
 * Parses a field selector ("metadata.name=x,spec.nodeName!=y", also "==").
 * Fields other than metadata.name, metadata.namespace and those in allowed
 * (NULL-terminated, may be NULL) fail with -EINVAL and
 * `field label not supported: <field>` in *err.
 */
int field_selector_parse(const char *s, const char *const *allowed, struct field_selector **out,
			 char **err) __attribute__((warn_unused_result));
/*
 * Does obj match? A field is looked up by its dotted path from the object
 * root; a missing field reads as "" and booleans as "true"/"false".
 */
bool field_selector_matches(const struct field_selector *sel, const json_t *obj);
void field_selector_free(struct field_selector *sel);

/*
 * A Service's spec.selector (a map of label to value) against labels: every
 * pair must be present. An empty or missing selector matches nothing.
 */
bool label_map_matches(const json_t *selector, const json_t *labels);

#endif
