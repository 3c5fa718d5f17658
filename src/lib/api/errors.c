#include "api/errors.h"

#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reasons[] = {
    [FE_REQUIRED] = "FieldValueRequired",
    [FE_INVALID] = "FieldValueInvalid",
    [FE_NOT_SUPPORTED] = "FieldValueNotSupported",
    [FE_DUPLICATE] = "FieldValueDuplicate",
    [FE_FORBIDDEN] = "FieldValueForbidden",
    [FE_TOO_LONG] = "FieldValueTooLong",
    [FE_TOO_MANY] = "FieldValueTooMany",
    [FE_NOT_FOUND] = "FieldValueNotFound",
    [FE_INTERNAL] = "InternalError",
};

const char *field_err_reason(enum field_err_type type)
{
	return reasons[type];
}

/* Prints a value the way Go's %v / %q of field.Error does. */
static void print_value(struct strbuf *sb, const json_t *v)
{
	if (!v || json_is_null(v)) {
		sb_puts(sb, "null");
	} else if (json_is_string(v)) {
		sb_json_str(sb, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		sb_puts(sb, s ? s : "?");
		free(s);
	}
}

void field_errs_add(struct field_errs *errs, enum field_err_type type, const char *field,
		    const json_t *value, const char *detail, ...)
{
	static const char *const heads[] = {
	    [FE_REQUIRED] = "Required value",
	    [FE_INVALID] = "Invalid value",
	    [FE_NOT_SUPPORTED] = "Unsupported value",
	    [FE_DUPLICATE] = "Duplicate value",
	    [FE_FORBIDDEN] = "Forbidden",
	    [FE_TOO_LONG] = "Too long",
	    [FE_TOO_MANY] = "Too many",
	    [FE_NOT_FOUND] = "Not found",
	    [FE_INTERNAL] = "Internal error",
	};
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, heads[type]);
	if (type == FE_INVALID || type == FE_NOT_SUPPORTED || type == FE_DUPLICATE ||
	    type == FE_NOT_FOUND) {
		sb_puts(&sb, ": ");
		print_value(&sb, value);
	}
	if (detail) {
		va_list ap;
		va_start(ap, detail);
		char *d;
		if (vasprintf(&d, detail, ap) >= 0) {
			if (type == FE_NOT_SUPPORTED)
				sb_puts(&sb, ": supported values: ");
			else
				sb_puts(&sb, ": ");
			sb_puts(&sb, d);
			free(d);
		}
		va_end(ap);
	}
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 4;
		errs->v = xrealloc(errs->v, errs->cap * sizeof(*errs->v));
	}
	errs->v[errs->n++] = (struct field_err){type, xstrdup(field), sb_steal(&sb)};
}

void field_errs_free(struct field_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].field);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}

json_t *api_status(int code, const char *reason, const char *message)
{
	return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion",
			 "v1", "metadata", "status", "Failure", "message", message, "reason",
			 reason, "code", code);
}

json_t *api_status_details(int code, const char *reason, const char *message, const char *group,
			   const char *kind, const char *name)
{
	json_t *st = api_status(code, reason, message);
	json_t *d = json_object();
	if (name)
		json_object_set_new(d, "name", json_string(name));
	if (group && *group)
		json_object_set_new(d, "group", json_string(group));
	if (kind)
		json_object_set_new(d, "kind", json_string(kind));
	json_object_set_new(st, "details", d);
	return st;
}

json_t *api_status_invalid(const char *group, const char *kind, const char *name,
			   const struct field_errs *errs)
{
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s \"%s\" is invalid: ", kind, name ? name : "");
	if (errs->n > 1)
		sb_puts(&sb, "[");
	json_t *causes = json_array();
	for (size_t i = 0; i < errs->n; i++) {
		sb_printf(&sb, "%s%s: %s", i ? ", " : "", errs->v[i].field, errs->v[i].message);
		json_array_append_new(
		    causes, json_pack("{s:s, s:s, s:s}", "reason", reasons[errs->v[i].type],
				      "message", errs->v[i].message, "field", errs->v[i].field));
	}
	if (errs->n > 1)
		sb_puts(&sb, "]");
	json_t *st = api_status_details(422, "Invalid", sb.buf, group, kind, name);
	json_object_set_new(json_object_get(st, "details"), "causes", causes);
	sb_free(&sb);
	return st;
}
