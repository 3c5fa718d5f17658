/*
 * Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks
 * for, with the columns kube-apiserver prints for each kind.
 */
#ifndef SVCNET_API_TABLE_H
#define SVCNET_API_TABLE_H

#include "api/resource.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Builds a Table of items (a JSON array of objects of r's kind, borrowed).
 * include_object is the includeObject query parameter ("None", "Metadata"
 * (the default), "Object"): what each row's "object" holds. list_meta (may
 * be NULL, borrowed) becomes the Table's metadata (resourceVersion,
 * continue). Returns a new reference.
 */
json_t *api_table(const struct api_resource *r, const json_t *items, const char *include_object,
		  const json_t *list_meta);

/*
 * As api_table, with the ages computed against now_ns (nanoseconds since the
 * Unix epoch) instead of the clock: for tests and for callers that print
 * many tables at one instant. Returns a new reference.
 */
json_t *api_table_at(const struct api_resource *r, const json_t *items, const char *include_object,
		     const json_t *list_meta, int64_t now_ns);

/*
 * True when include_object is NULL, "" or one of "None", "Metadata",
 * "Object": kube-apiserver answers 400 Bad Request to any other value.
 */
bool api_table_include_valid(const char *include_object);

/*
 * Writes into buf (size n) the duration d_ns (nanoseconds) as kubectl's
 * AGE column prints it (apimachinery duration.HumanDuration): "5s", "3m20s",
 * "10m", "5h30m", "3d4h", "2y30d", "<invalid>" for less than -1s. Returns buf.
 */
char *api_human_duration(int64_t d_ns, char *buf, size_t n);

/*
 * Parses an RFC 3339 time ("2026-11-26T10:40:25Z", fractional seconds and
 * numeric offsets allowed) into nanoseconds since the Unix epoch. Returns 0,
 * or -EINVAL when s is not such a time.
 */
int api_time_parse(const char *s, int64_t *ns_out);

#endif
