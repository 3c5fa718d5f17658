/*
 * Private to schema_types.c and schema_types_pod.c: the shorthands their type
 * tables are written in, and the types both files use.
 */
#ifndef SVCNET_API_SCHEMA_TYPES_INTERNAL_H
#define SVCNET_API_SCHEMA_TYPES_INTERNAL_H

#include "api/schema-internal.h"

#include <stddef.h>

#define ARR(t)	 (&(const struct schema_type){SK_ARRAY, NULL, NULL, NULL, NULL, (t)})
#define MAP(t)	 (&(const struct schema_type){SK_MAP, NULL, NULL, NULL, NULL, (t)})
#define CORE(n)	 "io.k8s.api.core.v1." n
#define META(n)	 "io.k8s.apimachinery.pkg.apis.meta.v1." n
#define DISC(n)	 "io.k8s.api.discovery.v1." n
#define COORD(n) "io.k8s.api.coordination.v1." n
/* A struct type named var whose fields are F_var. */
#define DEF(var, oname, d)                                                                         \
	static const struct schema_type T_##var = {SK_STRUCT, oname, "v1." #var, d, F_##var}
#define DEF_ATOMIC(var, oname, d)                                                                  \
	static const struct schema_type T_##var = {SK_STRUCT, oname,   "v1." #var,                 \
						   d,	      F_##var, .map_type = "atomic"}
/* The same for the types both files use: schema_T_var, declared below. */
#define DEF_SHARED(var, oname, d)                                                                  \
	const struct schema_type schema_T_##var = {SK_STRUCT, oname, "v1." #var, d, F_##var}
#define DEF_ATOMIC_SHARED(var, oname, d)                                                           \
	const struct schema_type schema_T_##var = {SK_STRUCT, oname,   "v1." #var,                 \
						   d,	      F_##var, .map_type = "atomic"}
#define REQ	   .flags = SF_REQUIRED
#define MERGE(k)   .merge_key = k, .strategy = "merge"
#define LMAP(keys) .list_type = "map", .list_keys = keys
#define ATOMIC	   .list_type = "atomic"
#define SET	   .list_type = "set"
#define GO(t)	   .go_type = t
#define STR	   &schema_T_string
#define I32	   &schema_T_int32
#define I64	   &schema_T_int64
#define BOOL	   &schema_T_bool
#define STRS	   ARR(&schema_T_string)
#define LABELS	   MAP(&schema_T_string)
#define RESLIST	   MAP(&schema_T_Quantity)
#define END                                                                                        \
	{                                                                                          \
		NULL, NULL                                                                         \
	}

/* Top-level kinds and their lists. */
#define KIND_HEAD(metatype)                                                                        \
	{"apiVersion", STR}, {"kind", STR},                                                        \
	{                                                                                          \
		"metadata", &metatype                                                              \
	}
#define KIND(var, oname, grp, d)                                                                   \
	static const struct schema_type T_##var = {                                                \
	    SK_STRUCT,	       oname,	     "v1." #var,     d, F_##var,                           \
	    .kind_name = #var, .group = grp, .version = "v1"}
#define LIST(var, item, oname, grp, d)                                                             \
	static const struct schema_field F_##var[] = {                                             \
	    KIND_HEAD(schema_T_ListMeta), {"items", ARR(&T_##item), REQ}, END};                    \
	KIND(var, oname, grp, d)

/* Defined in schema_types.c. */
extern const struct schema_type schema_T_string, schema_T_int32, schema_T_int64, schema_T_bool;
extern const struct schema_type schema_T_IntOrString, schema_T_Quantity, schema_T_Time;
extern const struct schema_type schema_T_ObjectMeta, schema_T_ListMeta, schema_T_LabelSelector;
extern const struct schema_type schema_T_LocalObjectReference;

/* Defined in schema_types_pod.c: Pod and PodList, NULL-terminated. */
extern const struct schema_type *const schema_pod_kinds[];

#endif
