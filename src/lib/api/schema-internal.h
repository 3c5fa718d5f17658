/*
 * Private to schema.c, schema_types.c and schema_types_pod.c: the C form of
 * the type definitions (k8s.io/api core/v1, discovery/v1, apimachinery
 * meta/v1) that the pruning walker and the OpenAPI generators read.
 */
#ifndef SVCNET_API_SCHEMA_INTERNAL_H
#define SVCNET_API_SCHEMA_INTERNAL_H

#include <stdbool.h>

enum schema_kind {
	SK_STRING,
	SK_INT32,
	SK_INT64,
	SK_BOOL,
	SK_DOUBLE,
	SK_STRUCT,	  /* a named struct with fields */
	SK_ARRAY,	  /* elem is the item type */
	SK_MAP,		  /* string keys, elem is the value type */
	SK_INT_OR_STRING, /* intstr.IntOrString */
	SK_QUANTITY,	  /* resource.Quantity */
	SK_TIME,	  /* metav1.Time, RFC 3339 string */
	SK_MICROTIME,	  /* metav1.MicroTime */
	SK_ANY,		  /* free-form (FieldsV1, RawExtension): any JSON kept as is */
};

struct schema_field;

struct schema_type {
	enum schema_kind kind;
	/* OpenAPI name ("io.k8s.api.core.v1.Service") of structs and named scalars. */
	const char *name;
	/* Go type ("v1.ServicePort", "int32"), for decode errors as Go prints them. */
	const char *go_name;
	const char *desc;
	const struct schema_field *fields; /* SK_STRUCT: ends with a {NULL} entry */
	const struct schema_type *elem;	   /* SK_ARRAY, SK_MAP */
	const char *map_type;		   /* x-kubernetes-map-type of a struct ("atomic") */
	const char *kind_name;		   /* top-level kinds: x-kubernetes-group-version-kind */
	const char *group;
	const char *version;
};

#define SF_REQUIRED 0x1

struct schema_field {
	const char *name;
	const struct schema_type *type;
	unsigned flags;
	const char *merge_key; /* x-kubernetes-patch-merge-key */
	const char *strategy;  /* x-kubernetes-patch-strategy */
	const char *list_type; /* x-kubernetes-list-type */
	const char *list_keys; /* x-kubernetes-list-map-keys, comma separated */
	const char *map_type;  /* x-kubernetes-map-type */
	const char *go_type;   /* Go type when it is a named type ("v1.Protocol") */
	const char *desc;
};

/* The struct type of a kind or list kind ("Service", "ServiceList"); NULL if unknown. */
const struct schema_type *schema_type_of_kind(const char *kind);

/* Types every group document carries besides its kinds (Status, DeleteOptions, Patch). */
extern const struct schema_type *const schema_common_types[];

#endif
