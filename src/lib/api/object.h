/* Helpers on whole API objects: storage encoding, metadata, time stamps. */
#ifndef SVCNET_API_OBJECT_H
#define SVCNET_API_OBJECT_H

#include "base/strbuf.h"

#include <jansson.h>
#include <stdint.h>
#include <time.h>

/*
 * Encodes obj as stored: canonical JSON (compact, keys sorted, so that
 * "apiVersion", "kind" and "metadata" come first) without
 * metadata.resourceVersion, which is the store's mod revision and is put
 * back on every read. Caller frees the result.
 */
char *api_object_encode(json_t *obj, size_t *len);

/*
 * Appends a stored object to out with "resourceVersion":"rev" inserted as
 * the first member of its top-level metadata. Stored objects always have a
 * metadata object after apiVersion and kind (api_object_encode makes sure).
 */
void api_object_append_with_rv(struct strbuf *out, const char *json, size_t len, int64_t rev);

/* Decodes a stored object and sets its resourceVersion. Caller owns it. */
json_t *api_object_decode(const char *json, size_t len, int64_t rev);

/* Object metadata accessors; return "" when absent. */
const char *api_meta_str(const json_t *obj, const char *field);
json_t *api_meta(json_t *obj); /* the metadata object, created when missing */

/* RFC 3339 UTC time "2026-11-26T10:40:25Z" of t into buf (at least 21 bytes). */
void api_format_time(time_t t, char *buf);
/* Parses RFC 3339 (UTC "Z" or offset); -1 when malformed. */
time_t api_parse_time(const char *s);

/* A random version 4 UUID, as metadata.uid, into buf (at least 37 bytes). */
void api_new_uid(char *buf);
/* n random characters from Kubernetes' generateName alphabet into buf. */
void api_random_suffix(char *buf, size_t n);

#endif
