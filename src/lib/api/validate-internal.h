/*
 * Shared between validate*.c; not a public interface. The format checks of
 * apimachinery (DNS labels, qualified names, ports, IPs) and small helpers to
 * read JSON fields that may hold the wrong type.
 */
#ifndef SVCNET_API_VALIDATE_INTERNAL_H
#define SVCNET_API_VALIDATE_INTERNAL_H

#include "api/errors.h"

#include <jansson.h>
#include <stdbool.h>

/* Longest field path we build; longer ones are cut (only for absurd input). */
#define VPATH 512

/* Writes base + "." + field into dst (VPATH bytes), cut when too long; returns dst. */
char *vpath(char *dst, const char *base, const char *field);
/* Writes base + "." + field + "[i]" into dst (VPATH bytes); returns dst. */
char *vindex(char *dst, const char *base, const char *field, size_t i);

/* Messages of one format check, as apimachinery's []string. */
struct vmsgs {
	char *v[8];
	int n;
};

void vmsgs_add(struct vmsgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vmsgs_free(struct vmsgs *m);

/* The checks of k8s.io/apimachinery/pkg/util/validation; append to m. */
void is_dns1123_label(const char *v, struct vmsgs *m);
void is_dns1123_subdomain(const char *v, struct vmsgs *m);
void is_dns1035_label(const char *v, struct vmsgs *m);
void is_qualified_name(const char *v, struct vmsgs *m);
void is_label_value(const char *v, struct vmsgs *m);
void is_port_name(const char *v, struct vmsgs *m);

/* One FE_INVALID per message of m at path, the value printed as a string; frees m. */
void add_msgs(struct field_errs *errs, const char *path, const char *value, struct vmsgs *m);

/* Invalid errors at path for value unless it is a DNS-1123 label / subdomain / qualified name. */
void check_dns1123_label(struct field_errs *errs, const char *path, const char *value);
void check_dns1123_subdomain(struct field_errs *errs, const char *path, const char *value);
void check_qualified_name(struct field_errs *errs, const char *path, const char *value);
/* Label map (keys qualified names, values label values), errors at path itself. */
void check_labels(struct field_errs *errs, const char *path, const json_t *labels);

/*
 * Adds an error whose value is already formatted (Go's %#v of a struct or a
 * slice): "<head>: <raw>: <detail>". detail may be NULL.
 */
void add_raw(struct field_errs *errs, enum field_err_type type, const char *path, const char *raw,
	     const char *detail);
/* Go's %#v of a []T of strings: `[]T{"a", "b"}`, `[]T{}` or `[]T(nil)` when arr is NULL. */
char *go_slice(const char *type, const json_t *arr);

/*
 * Parses an IP address as Go's net.ParseIP with the sloppy IPv4 of
 * k8s.io/utils/net (leading zeros allowed). Returns 4 (IPv4, also an
 * IPv4-mapped IPv6 address, as Go counts it) or 6, and the 16 bytes of the
 * address in out (IPv4 as ::ffff:a.b.c.d); 0 when s is not an IP.
 */
int ip_parse(const char *s, unsigned char out[16]);
/* Parses "addr/len" as Go's net.ParseCIDR (sloppy IPv4); family or 0. */
int cidr_parse(const char *s);
/* "must be a valid IP address, (e.g. ...)" errors at path unless value is an IP. True if valid. */
bool check_ip(struct field_errs *errs, const char *path, const char *value);
/* apimachinery ValidateNonSpecialIP: not unspecified, loopback, link-local. */
void check_non_special_ip(struct field_errs *errs, const char *path, const char *value);

/* "must be between 1 and 65535, inclusive" unless 1 <= v <= 65535. */
void check_port_num(struct field_errs *errs, const char *path, json_int_t v);

/* The string at key; NULL when absent or null. Present with another type: Invalid error, *bad. */
const char *vstr(struct field_errs *errs, const json_t *obj, const char *key, const char *path,
		 bool *bad);
/* The integer at key into *out (0 if absent); false when absent or of another type (error). */
bool vint(struct field_errs *errs, const json_t *obj, const char *key, const char *path,
	  json_int_t *out);
/* The array at key; NULL when absent; wrong type: Invalid error and NULL. */
json_t *varr(struct field_errs *errs, const json_t *obj, const char *key, const char *path);
/* The object at key; NULL when absent; wrong type: Invalid error and NULL. */
json_t *vobj(struct field_errs *errs, const json_t *obj, const char *key, const char *path);
/* A string value of a JSON object (NULL if absent or not a string). */
const char *jstr(const json_t *obj, const char *key);
/* True if two JSON values are equal, NULL counting as equal to NULL. */
bool jequal(const json_t *a, const json_t *b);
/* Number of elements of an array (0 if not an array). */
size_t jlen(const json_t *arr);

/* Metadata of every kind; name_fn by kind. old NULL on create. */
void validate_meta(const char *kind, bool namespaced, const json_t *obj, const json_t *old,
		   struct field_errs *errs);

/* Per kind (validate_service.c / validate_other.c). */
void default_service(json_t *obj);
void validate_service(const json_t *obj, const json_t *old, struct field_errs *errs);
void validate_service_status(const json_t *obj, const json_t *old, struct field_errs *errs);
void prepare_service(json_t *obj, const json_t *old);

void default_pod(json_t *obj);
void validate_pod(const json_t *obj, const json_t *old, struct field_errs *errs);
void default_endpoints(json_t *obj);
void validate_endpoints(const json_t *obj, struct field_errs *errs);
void default_endpointslice(json_t *obj);
void validate_endpointslice(const json_t *obj, const json_t *old, struct field_errs *errs);
void default_namespace(json_t *obj);
void validate_namespace(const json_t *obj, struct field_errs *errs);
void validate_namespace_status(const json_t *obj, struct field_errs *errs);
void validate_node(const json_t *obj, const json_t *old, struct field_errs *errs);
void validate_event(const json_t *obj, struct field_errs *errs);
void validate_lease(const json_t *obj, struct field_errs *errs);

#endif
