/*
 * The format checks shared by every kind, as apimachinery's util/validation
 * has them (DNS labels, qualified names, label values, port names, IPs), and
 * helpers to read JSON fields that may hold the wrong type.
 */
#include "api/validate.h"
#include "api/validate-internal.h"

#include "base/strbuf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_LABEL_MSG                                                                          \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "   \
	"and must start and end with an alphanumeric character"
#define DNS1123_SUB_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_SUB_MSG                                                                            \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character"
#define DNS1035_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define DNS1035_MSG                                                                                \
	"a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', "   \
	"start with an alphabetic character, and end with an alphanumeric character"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "   \
	"an alphanumeric character"
#define LABEL_VALUE_MSG                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character"

char *vpath(char *dst, const char *base, const char *field)
{
	snprintf(dst, VPATH, "%s.%s", base, field);
	return dst;
}

char *vindex(char *dst, const char *base, const char *field, size_t i)
{
	snprintf(dst, VPATH, "%s.%s[%zu]", base, field, i);
	return dst;
}

void vmsgs_add(struct vmsgs *m, const char *fmt, ...)
{
	if (m->n == (int)(sizeof(m->v) / sizeof(m->v[0])))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	m->v[m->n++] = s;
}

void vmsgs_free(struct vmsgs *m)
{
	for (int i = 0; i < m->n; i++) {
		free(m->v[i]);
		m->v[i] = NULL;
	}
	m->n = 0;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n), first char alphabetic if alpha_first. */
static bool match_label(const char *s, size_t n, bool alpha_first)
{
	if (n == 0)
		return false;
	if (alpha_first ? !(s[0] >= 'a' && s[0] <= 'z')
			: !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return s[n - 1] != '-';
}

static bool match_subdomain(const char *s)
{
	const char *p = s;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!match_label(p, n, false))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

void is_dns1123_label(const char *v, struct vmsgs *m)
{
	if (strlen(v) > 63)
		vmsgs_add(m, "must be no more than 63 characters");
	if (!match_label(v, strlen(v), false)) {
		if (match_subdomain(v))
			vmsgs_add(m, "must not contain dots");
		else
			vmsgs_add(
			    m,
			    "%s (e.g. 'my-name',  or '123-abc', regex used for validation is '%s')",
			    DNS1123_LABEL_MSG, DNS1123_LABEL_FMT);
	}
}

void is_dns1123_subdomain(const char *v, struct vmsgs *m)
{
	if (strlen(v) > 253)
		vmsgs_add(m, "must be no more than 253 characters");
	if (!match_subdomain(v))
		vmsgs_add(m, "%s (e.g. 'example.com', regex used for validation is '%s')",
			  DNS1123_SUB_MSG, DNS1123_SUB_FMT);
}

void is_dns1035_label(const char *v, struct vmsgs *m)
{
	if (strlen(v) > 63)
		vmsgs_add(m, "must be no more than 63 characters");
	if (!match_label(v, strlen(v), true))
		vmsgs_add(m,
			  "%s (e.g. 'my-name',  or 'abc-123', regex used for validation is '%s')",
			  DNS1035_MSG, DNS1035_FMT);
}

void is_qualified_name(const char *v, struct vmsgs *m)
{
	static const char qn_regex[] =
	    QNAME_MSG " (e.g. 'MyName',  or 'my.name',  or "
		      "'123-abc', regex used for validation is '" QNAME_FMT "')";
	const char *slash = strchr(v, '/');
	const char *name = v;
	if (slash && strchr(slash + 1, '/')) {
		vmsgs_add(m,
			  "a qualified name %s with an optional DNS subdomain prefix and '/' "
			  "(e.g. 'example.com/MyName')",
			  qn_regex);
		return;
	}
	if (slash) {
		char *prefix = strndup(v, (size_t)(slash - v));
		if (!prefix)
			abort();
		name = slash + 1;
		if (!*prefix) {
			vmsgs_add(m, "prefix part must be non-empty");
		} else {
			struct vmsgs pm = {0};
			is_dns1123_subdomain(prefix, &pm);
			for (int i = 0; i < pm.n; i++)
				vmsgs_add(m, "prefix part %s", pm.v[i]);
			vmsgs_free(&pm);
		}
		free(prefix);
	}
	if (!*name)
		vmsgs_add(m, "name part must be non-empty");
	else if (strlen(name) > 63)
		vmsgs_add(m, "name part must be no more than 63 characters");
	if (!match_qname(name))
		vmsgs_add(m, "name part %s", qn_regex);
}

void is_label_value(const char *v, struct vmsgs *m)
{
	if (strlen(v) > 63)
		vmsgs_add(m, "must be no more than 63 characters");
	if (*v && !match_qname(v))
		vmsgs_add(m,
			  "%s (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
			  "validation is '(%s)?')",
			  LABEL_VALUE_MSG, QNAME_FMT);
}

void is_port_name(const char *v, struct vmsgs *m)
{
	size_t n = strlen(v);
	bool charset = n > 0, letter = false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] >= 'a' && v[i] <= 'z')
			letter = true;
		else if (!(v[i] >= '0' && v[i] <= '9') && v[i] != '-')
			charset = false;
	}
	if (n > 15)
		vmsgs_add(m, "must be no more than 15 characters");
	if (!charset)
		vmsgs_add(m,
			  "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!letter)
		vmsgs_add(m, "must contain at least one letter (a-z)");
	if (strstr(v, "--"))
		vmsgs_add(m, "must not contain consecutive hyphens");
	if (n > 0 && (v[0] == '-' || v[n - 1] == '-'))
		vmsgs_add(m, "must not begin or end with a hyphen");
}

void add_msgs(struct field_errs *errs, const char *path, const char *value, struct vmsgs *m)
{
	json_t *jv = json_string(value);
	for (int i = 0; i < m->n; i++)
		field_errs_add(errs, FE_INVALID, path, jv, "%s", m->v[i]);
	json_decref(jv);
	vmsgs_free(m);
}

void check_dns1123_label(struct field_errs *errs, const char *path, const char *value)
{
	struct vmsgs m = {0};
	is_dns1123_label(value, &m);
	add_msgs(errs, path, value, &m);
}

void check_dns1123_subdomain(struct field_errs *errs, const char *path, const char *value)
{
	struct vmsgs m = {0};
	is_dns1123_subdomain(value, &m);
	add_msgs(errs, path, value, &m);
}

void check_qualified_name(struct field_errs *errs, const char *path, const char *value)
{
	struct vmsgs m = {0};
	is_qualified_name(value, &m);
	add_msgs(errs, path, value, &m);
}

void check_labels(struct field_errs *errs, const char *path, const json_t *labels)
{
	const char *k;
	json_t *v;
	if (!labels || json_is_null(labels))
		return;
	if (!json_is_object(labels)) {
		field_errs_add(errs, FE_INVALID, path, labels, "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)labels, k, v)
	{
		check_qualified_name(errs, path, k);
		if (!json_is_string(v)) {
			field_errs_add(errs, FE_INVALID, path, v, "must be a string");
			continue;
		}
		struct vmsgs m = {0};
		is_label_value(json_string_value(v), &m);
		add_msgs(errs, path, json_string_value(v), &m);
	}
}

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

void add_raw(struct field_errs *errs, enum field_err_type type, const char *path, const char *raw,
	     const char *detail)
{
	/* field_errs_add quotes strings; build the entry ourselves for Go-printed values. */
	char *msg = detail ? xasprintf("%s: %s: %s", heads[type], raw, detail)
			   : xasprintf("%s: %s", heads[type], raw);
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 4;
		errs->v = xrealloc(errs->v, errs->cap * sizeof(*errs->v));
	}
	errs->v[errs->n++] = (struct field_err){type, xstrdup(path), msg};
}

char *go_slice(const char *type, const json_t *arr)
{
	struct strbuf sb = STRBUF_INIT;
	if (!arr || !json_is_array(arr)) {
		sb_printf(&sb, "[]%s(nil)", type);
		return sb_steal(&sb);
	}
	sb_printf(&sb, "[]%s{", type);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *e = json_array_get(arr, i);
		if (i)
			sb_puts(&sb, ", ");
		sb_json_str(&sb, json_is_string(e) ? json_string_value(e) : "");
	}
	sb_puts(&sb, "}");
	return sb_steal(&sb);
}

/* Go's dtoi: decimal digits at s, at least one; false on none or overflow. */
static bool dtoi(const char **s, unsigned long *out)
{
	unsigned long n = 0;
	const char *p = *s;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n >= 0xFFFFFF)
			return false;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = n;
	return true;
}

static bool parse_ipv4(const char *s, unsigned char out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned long n;
		if (i > 0 && *s++ != '.')
			return false;
		if (!dtoi(&s, &n) || n > 255)
			return false;
		out[i] = (unsigned char)n;
	}
	return *s == '\0';
}

int ip_parse(const char *s, unsigned char out[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!s || !*s)
		return 0;
	if (!strchr(s, ':')) {
		memcpy(out, mapped, 12);
		return parse_ipv4(s, out + 12) ? 4 : 0;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		return 0;
	return memcmp(out, mapped, 12) ? 6 : 4;
}

int cidr_parse(const char *s)
{
	unsigned char ip[16];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash)
		return 0;
	char *addr = strndup(s, (size_t)(slash - s));
	if (!addr)
		abort();
	int fam = strchr(addr, ':') ? 6 : 4;
	bool ok = ip_parse(addr, ip) != 0;
	free(addr);
	const char *m = slash + 1;
	unsigned long bits;
	if (!ok || !dtoi(&m, &bits) || *m || bits > (fam == 4 ? 32u : 128u))
		return 0;
	return fam;
}

bool check_ip(struct field_errs *errs, const char *path, const char *value)
{
	unsigned char ip[16];
	if (ip_parse(value, ip))
		return true;
	json_t *v = json_string(value ? value : "");
	field_errs_add(errs, FE_INVALID, path, v,
		       "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
	json_decref(v);
	return false;
}

void check_non_special_ip(struct field_errs *errs, const char *path, const char *value)
{
	unsigned char ip[16];
	json_t *v = json_string(value ? value : "");
	int fam = ip_parse(value, ip);
	if (!fam) {
		field_errs_add(errs, FE_INVALID, path, v, "must be a valid IP address");
		goto out;
	}
	const unsigned char *a = ip + 12;
	static const unsigned char zero[16], loop6[16] = {[15] = 1};
	if (fam == 4 ? !memcmp(a, zero, 4) : !memcmp(ip, zero, 16))
		field_errs_add(errs, FE_INVALID, path, v, "may not be unspecified (%s)", value);
	if (fam == 4 ? a[0] == 127 : !memcmp(ip, loop6, 16))
		field_errs_add(errs, FE_INVALID, path, v,
			       "may not be in the loopback range (127.0.0.0/8, ::1/128)");
	if (fam == 4 ? (a[0] == 169 && a[1] == 254) : (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80))
		field_errs_add(errs, FE_INVALID, path, v,
			       "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
	if (fam == 4 ? (a[0] == 224 && a[1] == 0 && a[2] == 0)
		     : (ip[0] == 0xff && (ip[1] & 0x0f) == 0x02))
		field_errs_add(errs, FE_INVALID, path, v,
			       "may not be in the link-local multicast range (224.0.0.0/24, "
			       "ff02::/10)");
out:
	json_decref(v);
}

void check_port_num(struct field_errs *errs, const char *path, json_int_t v)
{
	if (v >= 1 && v <= 65535)
		return;
	json_t *jv = json_integer(v);
	field_errs_add(errs, FE_INVALID, path, jv, "must be between %d and %d, inclusive", 1,
		       65535);
	json_decref(jv);
}

const char *vstr(struct field_errs *errs, const json_t *obj, const char *key, const char *path,
		 bool *bad)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	field_errs_add(errs, FE_INVALID, path, v, "must be a string");
	if (bad)
		*bad = true;
	return NULL;
}

bool vint(struct field_errs *errs, const json_t *obj, const char *key, const char *path,
	  json_int_t *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	*out = 0;
	if (!v || json_is_null(v))
		return false;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	field_errs_add(errs, FE_INVALID, path, v, "must be an integer");
	return false;
}

json_t *varr(struct field_errs *errs, const json_t *obj, const char *key, const char *path)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_array(v))
		return v;
	field_errs_add(errs, FE_INVALID, path, v, "must be a list");
	return NULL;
}

json_t *vobj(struct field_errs *errs, const json_t *obj, const char *key, const char *path)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_object(v))
		return v;
	field_errs_add(errs, FE_INVALID, path, v, "must be an object");
	return NULL;
}

const char *jstr(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool jequal(const json_t *a, const json_t *b)
{
	if (a && json_is_null(a))
		a = NULL;
	if (b && json_is_null(b))
		b = NULL;
	if (!a || !b)
		return a == b;
	return json_equal((json_t *)a, (json_t *)b);
}

size_t jlen(const json_t *arr)
{
	return json_is_array(arr) ? json_array_size(arr) : 0;
}
