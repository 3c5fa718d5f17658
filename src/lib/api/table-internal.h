/*
 * Private to table*.c; not a public interface (that is table.h).
 *
 * table.c         the Table itself, the printer of each kind, and the
 *                 Namespace, Node, Event, Lease and generic rows
 * table_time.c    RFC 3339 times and the AGE column's durations
 * table_service.c the Service, Endpoints and EndpointSlice rows
 * table_pod.c     the Pod row, its STATUS column above all
 *
 * A kind's printer is a struct table_printer: its columns as
 * kube-apiserver defines them and the function that fills one row.
 */
#ifndef SVCNET_API_TABLE_INTERNAL_H
#define SVCNET_API_TABLE_INTERNAL_H

#include "base/strbuf.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define TIME_ZERO INT64_MIN /* an absent time: Go's zero time.Time */

#define DESC_NAME                                                                                  \
	"Name must be unique within a namespace. Is required when creating resources, although "   \
	"some resources may allow a client to request the generation of an appropriate name "      \
	"automatically. Name is primarily intended for creation idempotence and configuration "    \
	"definition. Cannot be updated. More info: "                                               \
	"https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define DESC_AGE                                                                                   \
	"CreationTimestamp is a timestamp representing the server time when this object was "      \
	"created. It is not guaranteed to be set in happens-before order across separate "         \
	"operations. Clients may not set this value. It is represented in RFC3339 form and is in " \
	"UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "                  \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/"                        \
	"api-conventions.md#metadata"

/* The fields of the NAME and AGE columns every kind has. */
#define NAME_FIELDS "Name", "string", "name", 0, DESC_NAME
#define AGE_FIELDS  "Age", "string", "", 0, DESC_AGE
#define NCOLS(a)    (sizeof(a) / sizeof((a)[0]))

struct column {
	const char *name;
	const char *type;
	const char *format;
	int priority;
	const char *description;
};

/* Fills row["cells"] (and row["conditions"] when the kind has them). */
typedef void (*row_fn)(const json_t *obj, int64_t now, json_t *row);

struct table_printer {
	const char *kind;
	const struct column *columns;
	size_t ncolumns;
	row_fn row;
};

#define PRINTER(k, cols, fn)                                                                       \
	{                                                                                          \
		k, cols, NCOLS(cols), fn                                                           \
	}

extern const struct table_printer table_service_printer;
extern const struct table_printer table_endpoints_printer;
extern const struct table_printer table_endpointslice_printer;
extern const struct table_printer table_pod_printer;

/* ---- JSON access ---- */

/* Follows a NULL-terminated path of object keys; NULL when any step is missing. */
static inline const json_t *at(const json_t *obj, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, obj);
	while (obj && (key = va_arg(ap, const char *)))
		obj = json_object_get(obj, key);
	va_end(ap);
	return obj;
}

/* The string value of v, or "" when v is absent or not a string. */
static inline const char *str(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static inline json_int_t num(const json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static inline bool truthy(const json_t *v)
{
	return json_is_true(v);
}

static inline void add_str(json_t *cells, const char *s)
{
	json_array_append_new(cells, json_string(s ? s : ""));
}

/* Appends s to cells and frees it. */
static inline void add_own(json_t *cells, char *s)
{
	add_str(cells, s);
	free(s);
}

/* ---- table_time.c ---- */

/* The time in v (an RFC 3339 string), or TIME_ZERO when absent or unparsable. */
int64_t table_time_of(const json_t *v);
/* translateTimestampSince: the age of t at now, "<unknown>" for an absent time. Caller frees. */
char *table_since(int64_t t, int64_t now);
/* The age of obj's creationTimestamp at now. Caller frees. */
char *table_age(const json_t *obj, int64_t now);
/* The clock, in nanoseconds since the Unix epoch. */
int64_t table_now_ns(void);

/* ---- string lists (table.c) ---- */

struct strlist {
	char **v; /* owned, as is each string */
	size_t n;
};

/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);
/* Adds a copy of s unless present: the insert of Go's sets.String. */
void strlist_insert(struct strlist *l, const char *s);
void strlist_sort(struct strlist *l);
/* Appends the strings of l to sb, sep between them. */
void strlist_join(const struct strlist *l, const char *sep, struct strbuf *sb);
/* Frees the strings and empties l. */
void strlist_free(struct strlist *l);

#endif
