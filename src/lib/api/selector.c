/*
 * Label selectors, and the matching of a Service's selector map. Field
 * selectors are in selector_field.c.
 *
 * The label parser keeps the shape of k8s.io/apimachinery/pkg/labels: the
 * whole string is lexed into tokens first, then a recursive descent with one
 * token of lookahead builds the requirements, so that the same inputs fail at
 * the same place with the same sentence kubectl users know.
 *
 * A parsed selector is never written after parse returns, so any number of
 * threads may match against it at once.
 */
#include "api/selector.h"

#include "api/selector-internal.h"
#include "base/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages of k8s.io/apimachinery/pkg/util/validation, word for word. */
#define QNAME_MSG                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "   \
	"an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "  \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define DNS1123_SUBDOMAIN_MSG                                                                      \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is "                                                            \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_VALUE_MSG                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define BINARY_OPERATORS "in, notin, =, ==, !=, gt, lt"

enum op { OP_NONE, OP_IN, OP_NOTIN, OP_EQ, OP_DEQ, OP_NEQ, OP_GT, OP_LT, OP_EXISTS, OP_NOTEXISTS };

struct requirement {
	char *key;
	enum op op;
	char **vals; /* sorted and unique, as apimachinery's sets.String.List() */
	size_t nvals;
	long long num; /* OP_GT, OP_LT: vals[0] as a number */
};

struct label_selector {
	struct requirement *reqs;
	size_t n;
};

/* ---- shared helpers ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* See selector-internal.h. */
size_t selector_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Appends s as Go's %q prints it (the form field errors quote values in). */
static void sb_goquote(struct strbuf *sb, const char *s, size_t n)
{
	static const char named[] = "\a\b\f\n\r\t\v";
	static const char letter[] = "abfnrtv";
	size_t i = 0, len;

	sb_puts(sb, "\"");
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c ? strchr(named, c) : NULL;

		if (c == '"' || c == '\\') {
			sb_printf(sb, "\\%c", c);
		} else if (e) {
			sb_printf(sb, "\\%c", letter[e - named]);
		} else if (c < 0x20 || c == 0x7f) {
			sb_printf(sb, "\\x%02x", c);
		} else if (c >= 0x80) {
			len = selector_utf8_len((const unsigned char *)s + i, n - i);
			if (len == 0) {
				sb_printf(sb, "\\x%02x", c);
				i++;
				continue;
			}
			sb_append(sb, s + i, len);
			i += len;
			continue;
		} else {
			sb_append(sb, s + i, 1);
		}
		i++;
	}
	sb_puts(sb, "\"");
}

/* Appends msg to a "; "-joined list, as apimachinery joins validation messages. */
static void add_msg(struct strbuf *sb, int *count, const char *prefix, const char *msg)
{
	if ((*count)++)
		sb_puts(sb, "; ");
	sb_puts(sb, prefix);
	sb_puts(sb, msg);
}

/* Matches ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] on the whole of s. */
static bool is_qname_part(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* Matches the lowercase RFC 1123 subdomain pattern on the whole of s. */
static bool is_dns1123_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return false;
			continue;
		}
		/* One label: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

/*
 * validation.IsQualifiedName: appends its messages ("; "-joined) to sb and
 * returns how many there are.
 */
static int qualified_name_errors(const char *s, size_t n, struct strbuf *sb)
{
	const char *slash = memchr(s, '/', n);
	const char *name = s;
	size_t nlen = n;
	int count = 0;

	if (slash && memchr(slash + 1, '/', n - (size_t)(slash + 1 - s))) {
		add_msg(
		    sb, &count, "a qualified name " QNAME_MSG,
		    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
		return count;
	}
	if (slash) {
		size_t plen = (size_t)(slash - s);
		if (plen == 0)
			add_msg(sb, &count, "prefix part ", "must be non-empty");
		if (plen > 253)
			add_msg(sb, &count, "prefix part ", "must be no more than 253 characters");
		if (plen > 0 && !is_dns1123_subdomain(s, plen))
			add_msg(sb, &count, "prefix part ", DNS1123_SUBDOMAIN_MSG);
		name = slash + 1;
		nlen = n - plen - 1;
	}
	if (nlen == 0)
		add_msg(sb, &count, "name part ", "must be non-empty");
	else if (nlen > 63)
		add_msg(sb, &count, "name part ", "must be no more than 63 characters");
	if (!is_qname_part(name, nlen))
		add_msg(sb, &count, "name part ", QNAME_MSG);
	return count;
}

/* validation.IsValidLabelValue, reporting as qualified_name_errors does. */
static int label_value_errors(const char *s, size_t n, struct strbuf *sb)
{
	int count = 0;

	if (n > 63)
		add_msg(sb, &count, "", "must be no more than 63 characters");
	if (n > 0 && !is_qname_part(s, n))
		add_msg(sb, &count, "", LABEL_VALUE_MSG);
	return count;
}

/* strconv.ParseInt(s, 10, 64): optional sign, one or more digits, in range. */
static bool parse_int64(const char *s, long long *out)
{
	bool neg = false;
	unsigned long long v = 0, limit;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return false;
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (limit - (unsigned long long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return true;
}

/* See selector-internal.h. */
void selector_set_err(char **err, char *msg)
{
	if (err)
		*err = msg;
	else
		free(msg);
}

/* ---- label selector: lexer ---- */

enum tok {
	T_EOS = 1,
	T_CPAR,
	T_COMMA,
	T_NOT,
	T_DEQ,
	T_EQ,
	T_GT,
	T_ID,
	T_IN,
	T_LT,
	T_NEQ,
	T_NOTIN,
	T_OPAR,
};

struct token {
	enum tok tok;
	const char *lit; /* points into the selector string */
	size_t len;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return c != '\0' && strchr("=!(),><", c) != NULL;
}

/* The token of a special symbol: the longest of "==", "!=" or one character. */
static enum tok special_token(const char *p, size_t *len)
{
	static const char chars[] = "),!=><(";
	static const enum tok toks[] = {T_CPAR, T_COMMA, T_NOT, T_EQ, T_GT, T_LT, T_OPAR};

	*len = 1;
	if ((p[0] == '=' || p[0] == '!') && p[1] == '=') {
		*len = 2;
		return p[0] == '=' ? T_DEQ : T_NEQ;
	}
	return toks[strchr(chars, p[0]) - chars];
}

/* Scans the token at *pp and advances *pp past it. */
static struct token lex_one(const char **pp)
{
	const char *p = *pp;
	struct token t;

	while (is_space(*p))
		p++;
	t.lit = p;
	t.len = 0;
	if (*p == '\0') {
		t.tok = T_EOS;
	} else if (is_special(*p)) {
		t.tok = special_token(p, &t.len);
	} else {
		while (p[t.len] && !is_special(p[t.len]) && !is_space(p[t.len]))
			t.len++;
		t.tok = T_ID;
		if (t.len == 2 && !memcmp(p, "in", 2))
			t.tok = T_IN;
		else if (t.len == 5 && !memcmp(p, "notin", 5))
			t.tok = T_NOTIN;
	}
	*pp = p + t.len;
	return t;
}

/* Lexes all of s; the last token is T_EOS. Caller frees the array. */
static struct token *lex_all(const char *s)
{
	size_t n = 0, cap = 8;
	struct token *toks = xmalloc(cap * sizeof(*toks));

	for (;;) {
		if (n == cap) {
			cap *= 2;
			toks = xrealloc(toks, cap * sizeof(*toks));
		}
		toks[n] = lex_one(&s);
		if (toks[n++].tok == T_EOS)
			return toks;
	}
}

/* ---- label selector: parser ---- */

struct parser {
	const struct token *toks;
	size_t pos;
	struct strbuf msg; /* the error sentence, once one happened */
};

/* In a values context the keywords "in" and "notin" are plain identifiers. */
static enum tok kind(const struct token *t, bool values)
{
	if (values && (t->tok == T_IN || t->tok == T_NOTIN))
		return T_ID;
	return t->tok;
}

static const struct token *peek(const struct parser *p)
{
	return &p->toks[p->pos];
}

/* Returns the current token and moves on; never moves past the end. */
static const struct token *take(struct parser *p)
{
	const struct token *t = &p->toks[p->pos];

	if (t->tok != T_EOS)
		p->pos++;
	return t;
}

static int fail(struct parser *p, const char *fmt, const struct token *t)
{
	sb_printf(&p->msg, fmt, (int)t->len, t->lit);
	return -EINVAL;
}

/* Parses "[!]key" and infers exists / does-not-exist from the next token. */
static int parse_key(struct parser *p, struct requirement *r)
{
	const struct token *t = take(p);
	struct strbuf why = STRBUF_INIT;
	enum tok next;
	bool negate = false;

	if (t->tok == T_NOT) {
		negate = true;
		t = take(p);
	}
	if (kind(t, true) != T_ID)
		return fail(p, "found '%.*s', expected: identifier", t);
	if (qualified_name_errors(t->lit, t->len, &why)) {
		sb_puts(&p->msg, "<nil>: Invalid value: ");
		sb_goquote(&p->msg, t->lit, t->len);
		sb_printf(&p->msg, ": %s", why.buf);
		sb_free(&why);
		return -EINVAL;
	}
	r->key = strndup(t->lit, t->len);
	if (!r->key)
		abort();
	next = kind(peek(p), true);
	if (negate)
		r->op = OP_NOTEXISTS;
	else if (next == T_EOS || next == T_COMMA)
		r->op = OP_EXISTS;
	return 0;
}

static int parse_operator(struct parser *p, struct requirement *r)
{
	const struct token *t = take(p);

	switch (t->tok) {
	case T_IN:
		r->op = OP_IN;
		return 0;
	case T_NOTIN:
		r->op = OP_NOTIN;
		return 0;
	case T_EQ:
		r->op = OP_EQ;
		return 0;
	case T_DEQ:
		r->op = OP_DEQ;
		return 0;
	case T_NEQ:
		r->op = OP_NEQ;
		return 0;
	case T_GT:
		r->op = OP_GT;
		return 0;
	case T_LT:
		r->op = OP_LT;
		return 0;
	default:
		return fail(p, "found '%.*s', expected: " BINARY_OPERATORS, t);
	}
}

static void add_value(struct requirement *r, const char *s, size_t n)
{
	r->vals = xrealloc(r->vals, (r->nvals + 1) * sizeof(*r->vals));
	r->vals[r->nvals] = strndup(s, n);
	if (!r->vals[r->nvals])
		abort();
	r->nvals++;
}

/* The list inside "( ... )", after the first token was checked; "(,", ",,", ",)" add "". */
static int parse_identifiers(struct parser *p, struct requirement *r)
{
	for (;;) {
		const struct token *t = take(p);
		enum tok next;

		switch (kind(t, true)) {
		case T_ID:
			add_value(r, t->lit, t->len);
			next = kind(peek(p), true);
			if (next == T_CPAR)
				return 0;
			if (next != T_COMMA)
				return fail(p, "found '%.*s', expected: ',' or ')'", peek(p));
			break;
		case T_COMMA:
			if (r->nvals == 0)
				add_value(r, "", 0);
			next = kind(peek(p), true);
			if (next == T_CPAR) {
				add_value(r, "", 0);
				return 0;
			}
			if (next == T_COMMA) {
				take(p);
				add_value(r, "", 0);
			}
			break;
		default:
			return fail(p, "found '%.*s', expected: ',', or identifier", t);
		}
	}
}

/* "( values )" of in / notin; "()" is the set holding "". */
static int parse_values(struct parser *p, struct requirement *r)
{
	const struct token *t = take(p), *first;
	int rc;

	if (kind(t, true) != T_OPAR)
		return fail(p, "found '%.*s' expected: '('", t);
	first = peek(p);
	switch (kind(first, true)) {
	case T_ID:
	case T_COMMA:
		rc = parse_identifiers(p, r);
		if (rc)
			return rc;
		if (kind(take(p), true) != T_CPAR)
			return fail(p, "found '%.*s', expected: ')'", first);
		return 0;
	case T_CPAR:
		take(p);
		add_value(r, "", 0);
		return 0;
	default:
		return fail(p, "found '%.*s', expected: ',', ')' or identifier", first);
	}
}

/* The one value after =, ==, !=, >, <; none at all reads as "". */
static int parse_exact_value(struct parser *p, struct requirement *r)
{
	const struct token *t = peek(p);

	if (t->tok == T_EOS || t->tok == T_COMMA) {
		add_value(r, "", 0);
		return 0;
	}
	t = take(p);
	if (kind(t, true) != T_ID)
		return fail(p, "found '%.*s', expected: identifier", t);
	add_value(r, t->lit, t->len);
	return 0;
}

/* See selector-internal.h. */
int selector_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(struct requirement *r)
{
	size_t i, n = 0;

	qsort(r->vals, r->nvals, sizeof(*r->vals), selector_cmp_str);
	for (i = 0; i < r->nvals; i++) {
		if (n > 0 && strcmp(r->vals[n - 1], r->vals[i]) == 0)
			free(r->vals[i]);
		else
			r->vals[n++] = r->vals[i];
	}
	r->nvals = n;
}

struct errlist {
	char **v;
	size_t n;
};

static void errlist_add(struct errlist *l, char *msg)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], msg) == 0) { /* an aggregate prints each message once */
			free(msg);
			return;
		}
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = msg;
}

/* One field.Invalid error: "PATH: Invalid value: "VALUE": DETAIL". */
static char *invalid_value(const char *path, const char *value, const char *detail)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "%s: Invalid value: ", path);
	sb_goquote(&sb, value, strlen(value));
	sb_printf(&sb, ": %s", detail);
	return sb_steal(&sb);
}

/* The value checks of labels.NewRequirement, worded as its aggregate error. */
static int check_values(struct parser *p, struct requirement *r)
{
	struct errlist errs = {NULL, 0};
	struct strbuf why = STRBUF_INIT;
	char path[64];
	size_t i;

	for (i = 0; (r->op == OP_GT || r->op == OP_LT) && i < r->nvals; i++) {
		snprintf(path, sizeof(path), "values[%zu]", i);
		if (!parse_int64(r->vals[i], &r->num))
			errlist_add(&errs, invalid_value(path, r->vals[i],
							 "for 'Gt', 'Lt' operators, the value "
							 "must be an integer"));
	}
	for (i = 0; i < r->nvals; i++) {
		if (label_value_errors(r->vals[i], strlen(r->vals[i]), &why) == 0)
			continue;
		char *vpath = xasprintf("values[%zu][%s]", i, r->key);
		errlist_add(&errs, invalid_value(vpath, r->vals[i], why.buf));
		free(vpath);
		sb_reset(&why);
	}
	sb_free(&why);
	if (errs.n == 1)
		sb_puts(&p->msg, errs.v[0]);
	for (i = 0; errs.n > 1 && i < errs.n; i++)
		sb_printf(&p->msg, "%s%s%s", i ? ", " : "[", errs.v[i], i + 1 == errs.n ? "]" : "");
	for (i = 0; i < errs.n; i++)
		free(errs.v[i]);
	free(errs.v);
	return errs.n ? -EINVAL : 0;
}

static int parse_requirement(struct parser *p, struct requirement *r)
{
	int rc = parse_key(p, r);

	if (rc || r->op == OP_EXISTS || r->op == OP_NOTEXISTS)
		return rc;
	rc = parse_operator(p, r);
	if (rc)
		return rc;
	if (r->op == OP_IN || r->op == OP_NOTIN)
		rc = parse_values(p, r);
	else
		rc = parse_exact_value(p, r);
	if (rc)
		return rc;
	sort_unique(r);
	return check_values(p, r);
}

static void requirement_clear(struct requirement *r)
{
	for (size_t i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
	free(r->key);
}

/* requirement ( "," requirement )* end; appends parsed requirements to sel. */
static int parse_selector(struct parser *p, struct label_selector *sel)
{
	for (;;) {
		const struct token *t = peek(p);
		struct requirement r = {0};

		if (t->tok == T_EOS)
			return 0;
		if (kind(t, true) != T_ID && t->tok != T_NOT)
			return fail(p, "found '%.*s', expected: !, identifier, or 'end of string'",
				    t);
		if (parse_requirement(p, &r)) {
			char *why = sb_steal(&p->msg);
			sb_printf(&p->msg, "unable to parse requirement: %s", why);
			free(why);
			requirement_clear(&r);
			return -EINVAL;
		}
		sel->reqs = xrealloc(sel->reqs, (sel->n + 1) * sizeof(*sel->reqs));
		sel->reqs[sel->n++] = r;
		t = take(p);
		if (t->tok == T_EOS)
			return 0;
		if (t->tok != T_COMMA)
			return fail(p, "found '%.*s', expected: ',' or 'end of string'", t);
		t = peek(p);
		if (kind(t, true) != T_ID && t->tok != T_NOT)
			return fail(p, "found '%.*s', expected: identifier after ','", t);
	}
}

/*
 * Parses label selector s (see selector.h). On success *out is a new
 * selector the caller frees with label_selector_free; on -EINVAL *err (if
 * err is not NULL) is a sentence the caller frees.
 */
int label_selector_parse(const char *s, struct label_selector **out, char **err)
{
	struct label_selector *sel = xcalloc(1, sizeof(*sel));
	struct parser p = {NULL, 0, STRBUF_INIT};
	int rc;

	*out = NULL;
	if (err)
		*err = NULL;
	p.toks = lex_all(s ? s : "");
	rc = parse_selector(&p, sel);
	free((void *)p.toks);
	if (rc) {
		selector_set_err(err, sb_steal(&p.msg));
		label_selector_free(sel);
		goto out;
	}
	*out = sel;
out:
	sb_free(&p.msg);
	return rc;
}

static bool requirement_matches(const struct requirement *r, const json_t *labels)
{
	const json_t *v = labels ? json_object_get(labels, r->key) : NULL;
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	bool found = false;
	long long n;

	for (size_t i = 0; v && i < r->nvals && !found; i++)
		found = strcmp(r->vals[i], s) == 0;
	switch (r->op) {
	case OP_IN:
	case OP_EQ:
	case OP_DEQ:
		return found;
	case OP_NOTIN:
	case OP_NEQ:
		return !found;
	case OP_EXISTS:
		return v != NULL;
	case OP_NOTEXISTS:
		return v == NULL;
	case OP_GT:
		return v && parse_int64(s, &n) && n > r->num;
	case OP_LT:
		return v && parse_int64(s, &n) && n < r->num;
	default:
		return false;
	}
}

/*
 * True when every requirement of sel holds for labels (a JSON object of
 * strings; NULL or a non-object has no labels). A NULL sel matches all.
 */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels)
{
	if (!json_is_object(labels))
		labels = NULL;
	for (size_t i = 0; sel && i < sel->n; i++)
		if (!requirement_matches(&sel->reqs[i], labels))
			return false;
	return true;
}

/* Frees sel and everything it holds; NULL is fine. */
void label_selector_free(struct label_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		requirement_clear(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}

/*
 * A Service's spec.selector against an object's labels: every pair of the
 * selector must be in labels with the same string value. NULL, a
 * non-object or an empty selector matches nothing.
 */
bool label_map_matches(const json_t *selector, const json_t *labels)
{
	const char *key;
	json_t *want;

	if (!json_is_object(selector) || json_object_size(selector) == 0)
		return false;
	json_object_foreach((json_t *)selector, key, want)
	{
		const json_t *have = json_is_object(labels) ? json_object_get(labels, key) : NULL;

		if (!json_is_string(want) || !json_is_string(have) ||
		    strcmp(json_string_value(want), json_string_value(have)) != 0)
			return false;
	}
	return true;
}
