/*
 * API errors: field error lists, as kube-apiserver's field.ErrorList, and the
 * metav1.Status objects the API server answers with.
 */
#ifndef SVCNET_API_ERRORS_H
#define SVCNET_API_ERRORS_H

#include <jansson.h>
#include <stddef.h>

enum field_err_type {
	FE_REQUIRED,	  /* "Required value" */
	FE_INVALID,	  /* "Invalid value: <value>: <detail>" */
	FE_NOT_SUPPORTED, /* "Unsupported value: <value>: supported values: ..." */
	FE_DUPLICATE,	  /* "Duplicate value: <value>" */
	FE_FORBIDDEN,	  /* "Forbidden: <detail>" */
	FE_TOO_LONG,	  /* "Too long: ..." */
	FE_TOO_MANY,	  /* "Too many: ..." */
	FE_NOT_FOUND,	  /* "Not found: <value>" */
	FE_INTERNAL,	  /* "Internal error: <detail>" */
};

struct field_err {
	enum field_err_type type;
	char *field;   /* "spec.ports[0].port" */
	char *message; /* whole message, e.g. "Invalid value: 0: must be between 1 and 65535" */
};

struct field_errs {
	struct field_err *v;
	size_t n, cap;
};

#define FIELD_ERRS_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/*
 * Adds one error. value is the offending value (NULL when the type does not
 * print one); it is printed as kube-apiserver prints it: strings quoted,
 * numbers bare. detail is a printf format (may be NULL). For FE_NOT_SUPPORTED
 * detail is the list of supported values, e.g. "\"TCP\", \"UDP\"".
 */
void field_errs_add(struct field_errs *errs, enum field_err_type type, const char *field,
		    const json_t *value, const char *detail, ...)
    __attribute__((format(printf, 5, 6)));
void field_errs_free(struct field_errs *errs);

/* The reason string of a type ("FieldValueInvalid", ...). */
const char *field_err_reason(enum field_err_type type);

/*
 * A metav1.Status (new reference, caller owns). For code 422 built from
 * field errors use api_status_invalid. kind/name may be NULL.
 */
json_t *api_status(int code, const char *reason, const char *message);
json_t *api_status_details(int code, const char *reason, const char *message, const char *group,
			   const char *kind, const char *name);

/*
 * 422 Invalid: message `Kind "name" is invalid: field: msg` (several in
 * brackets, comma separated), details.causes one per error, as kubectl prints.
 */
json_t *api_status_invalid(const char *group, const char *kind, const char *name,
			   const struct field_errs *errs);

#endif
