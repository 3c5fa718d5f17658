/*
 * Field selectors, after k8s.io/apimachinery/pkg/fields.ParseSelector:
 * terms split at unescaped commas, sorted, split at the first operator,
 * values unescaped. A parsed selector is never written after parse
 * returns, so any number of threads may match against it at once.
 */
#include "api/selector-internal.h"
#include "api/selector.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field_req {
	char *field;
	char *value; /* unescaped */
	bool negate; /* "!=" */
};

struct field_selector {
	struct field_req *reqs;
	size_t n;
};

/* Splits at commas not escaped by a backslash; returns copies (caller frees). */
static char **split_terms(const char *s, size_t *n)
{
	char **terms = NULL;
	size_t start = 0, i;
	bool in_slash = false;

	*n = 0;
	for (i = 0;; i++) {
		if (s[i] != '\0' && (in_slash || s[i] != ',')) {
			in_slash = !in_slash && s[i] == '\\';
			continue;
		}
		terms = xrealloc(terms, (*n + 1) * sizeof(*terms));
		terms[*n] = strndup(s + start, i - start);
		if (!terms[(*n)++])
			abort();
		if (s[i] == '\0')
			return terms;
		start = i + 1;
	}
}

/* Finds the first "!=", "==" or "=" of term; returns false when there is none. */
static bool split_term(const char *term, size_t *lhs_len, const char **rhs, bool *negate)
{
	for (size_t i = 0; term[i]; i++) {
		if (term[i] == '!' && term[i + 1] == '=') {
			*negate = true;
			*rhs = term + i + 2;
		} else if (term[i] == '=') {
			*negate = false;
			*rhs = term + i + (term[i + 1] == '=' ? 2 : 1);
		} else {
			continue;
		}
		*lhs_len = i;
		return true;
	}
	return false;
}

/* fields.UnescapeValue: "\\", "\," and "\=" are the only escapes. */
static int unescape_value(const char *s, char **out, char **err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;

	for (; *s; s++) {
		if (*s == ',' || *s == '=') {
			selector_set_err(err,
					 xasprintf("invalid field selector: unescaped character in "
						   "value: %d",
						   *s));
			goto fail;
		}
		if (*s != '\\') {
			sb_append(&sb, s, 1);
			continue;
		}
		s++;
		if (*s == '\\' || *s == ',' || *s == '=') {
			sb_append(&sb, s, 1);
			continue;
		}
		/* Go prints the rune after the backslash, U+FFFD for a bad byte. */
		len = *s ? selector_utf8_len((const unsigned char *)s, strlen(s)) : 0;
		selector_set_err(
		    err, xasprintf("invalid field selector: invalid escape sequence: \\%.*s",
				   *s ? (int)(len ? len : 3) : 0, len ? s : "\xef\xbf\xbd"));
		goto fail;
	}
	*out = sb_steal(&sb);
	return 0;
fail:
	sb_free(&sb);
	return -EINVAL;
}

static bool field_allowed(const char *field, const char *const *allowed)
{
	if (!strcmp(field, "metadata.name") || !strcmp(field, "metadata.namespace"))
		return true;
	for (; allowed && *allowed; allowed++)
		if (!strcmp(field, *allowed))
			return true;
	return false;
}

/* Parses one non-empty term into r; sel_str is the whole selector, for the message. */
static int parse_term(const char *term, const char *sel_str, struct field_req *r, char **err)
{
	const char *rhs;
	size_t lhs_len;

	if (!split_term(term, &lhs_len, &rhs, &r->negate)) {
		selector_set_err(
		    err, xasprintf("invalid selector: '%s'; can't understand '%s'", sel_str, term));
		return -EINVAL;
	}
	if (unescape_value(rhs, &r->value, err))
		return -EINVAL;
	r->field = strndup(term, lhs_len);
	if (!r->field)
		abort();
	return 0;
}

static void free_terms(char **terms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(terms[i]);
	free(terms);
}

/*
 * Parses field selector s (see selector.h). On success *out is a new
 * selector the caller frees with field_selector_free; on -EINVAL *err (if
 * err is not NULL) is a sentence the caller frees.
 */
int field_selector_parse(const char *s, const char *const *allowed, struct field_selector **out,
			 char **err)
{
	struct field_selector *sel = xcalloc(1, sizeof(*sel));
	size_t nterms = 0, i;
	char **terms = NULL;
	int rc = 0;

	*out = NULL;
	if (err)
		*err = NULL;
	if (s && *s) {
		terms = split_terms(s, &nterms);
		qsort(terms, nterms, sizeof(*terms), selector_cmp_str);
	}
	sel->reqs = xcalloc(nterms ? nterms : 1, sizeof(*sel->reqs));
	for (i = 0; i < nterms && rc == 0; i++) {
		if (terms[i][0] == '\0')
			continue;
		rc = parse_term(terms[i], s, &sel->reqs[sel->n], err);
		sel->n++; /* also on failure: frees a half-filled entry */
	}
	/* Unknown fields are found after the syntax, as kube-apiserver's Transform does. */
	for (i = 0; i < sel->n && rc == 0; i++) {
		if (!field_allowed(sel->reqs[i].field, allowed)) {
			selector_set_err(
			    err, xasprintf("field label not supported: %s", sel->reqs[i].field));
			rc = -EINVAL;
		}
	}
	free_terms(terms, nterms);
	if (rc) {
		field_selector_free(sel);
		return rc;
	}
	*out = sel;
	return 0;
}

/* Formats a JSON scalar as the string a field selector compares with. */
static char *scalar_string(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v))
		return xstrdup("true");
	if (json_is_false(v))
		return xstrdup("false");
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		if (strtod(buf, NULL) != json_real_value(v))
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return xstrdup(buf);
	}
	return xstrdup("");
}

/* The value at a dotted path from obj, NULL when some step is missing. */
static const json_t *lookup_path(const json_t *obj, const char *path)
{
	const char *dot;

	for (;;) {
		if (!json_is_object(obj))
			return NULL;
		dot = strchr(path, '.');
		if (!dot)
			return json_object_get(obj, path);
		obj = json_object_getn(obj, path, (size_t)(dot - path));
		path = dot + 1;
	}
}

/*
 * The string a field reads as. An Event's "source" is its source.component,
 * or reportingComponent when that is empty, as kube-apiserver selects it.
 */
static char *field_value(const json_t *obj, const char *field)
{
	const json_t *v = lookup_path(obj, field);
	const char *s;

	if (!strcmp(field, "source") && (!v || json_is_object(v))) {
		s = json_string_value(lookup_path(obj, "source.component"));
		if (!s || !*s)
			s = json_string_value(lookup_path(obj, "reportingComponent"));
		return xstrdup(s ? s : "");
	}
	return scalar_string(v);
}

/* True when every term of sel holds for obj; a NULL sel matches all. */
bool field_selector_matches(const struct field_selector *sel, const json_t *obj)
{
	for (size_t i = 0; sel && i < sel->n; i++) {
		char *v = field_value(obj, sel->reqs[i].field);
		bool eq = strcmp(v, sel->reqs[i].value) == 0;

		free(v);
		if (eq == sel->reqs[i].negate)
			return false;
	}
	return true;
}

/* Frees sel and everything it holds; NULL is fine. */
void field_selector_free(struct field_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->reqs[i].field);
		free(sel->reqs[i].value);
	}
	free(sel->reqs);
	free(sel);
}
