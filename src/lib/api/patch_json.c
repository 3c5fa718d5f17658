/*
 * JSON patch (RFC 6902, application/json-patch+json): operations on JSON
 * pointers (RFC 6901), applied to a private copy of the document, so a failed
 * patch leaves the caller's document untouched.
 */
#include "api/patch.h"
#include "api/patch-internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

/* kube-apiserver refuses JSON patches with more operations than this. */
#define MAX_JSON_PATCH_OPS 10000
/* Values a JSON patch may duplicate with "copy", counted in JSON nodes. */
#define MAX_COPY_NODES 500000

/* A parsed JSON pointer (RFC 6901): unescaped reference tokens. */
struct jptr {
	char **seg;
	size_t n;
};

static void jptr_free(struct jptr *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seg[i]);
	free(p->seg);
	p->seg = NULL;
	p->n = 0;
}

/* Unescapes one token of len bytes (~1 is '/', ~0 is '~'); NULL if invalid. */
static char *unescape_token(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '~') {
			*o++ = s[i];
			continue;
		}
		if (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1')) {
			free(out);
			return NULL;
		}
		*o++ = s[i + 1] == '0' ? '~' : '/';
		i++;
	}
	*o = '\0';
	return out;
}

/* Parses s into p; -EINVAL when s is neither empty nor starts with '/'. */
static int jptr_parse(const char *s, struct jptr *p)
{
	p->seg = NULL;
	p->n = 0;
	if (*s == '\0')
		return 0;
	if (*s != '/')
		return -EINVAL;
	while (*s == '/') {
		const char *start = s + 1, *end = strchr(start, '/');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		char *tok = unescape_token(start, len);
		if (!tok) {
			jptr_free(p);
			return -EINVAL;
		}
		p->seg = xrealloc(p->seg, (p->n + 1) * sizeof(*p->seg));
		p->seg[p->n++] = tok;
		s = start + len;
	}
	return 0;
}

/*
 * An array index token: decimal digits without leading zeros, below limit
 * (size, or size + 1 where "-" and the end are allowed for add).
 */
static int parse_index(const char *tok, size_t size, bool append, size_t *out)
{
	size_t v = 0;

	if (append && strcmp(tok, "-") == 0) {
		*out = size;
		return 0;
	}
	if (!*tok || (tok[0] == '0' && tok[1]) || strlen(tok) > 9)
		return -EINVAL;
	for (const char *c = tok; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (size_t)(*c - '0');
	}
	if (v > size || (v == size && !append))
		return -ERANGE;
	*out = v;
	return 0;
}

/* The value at the first n tokens of p, borrowed, or NULL when absent. */
static json_t *jptr_get(json_t *root, const struct jptr *p, size_t n)
{
	json_t *cur = root;
	for (size_t i = 0; i < n && cur; i++) {
		size_t idx;
		if (json_is_object(cur))
			cur = json_object_get(cur, p->seg[i]);
		else if (json_is_array(cur) &&
			 parse_index(p->seg[i], json_array_size(cur), false, &idx) == 0)
			cur = json_array_get(cur, idx);
		else
			cur = NULL;
	}
	return cur;
}

/* State of one JSON patch application. */
struct jpatch {
	json_t *root;	  /* owned */
	const char *op;	  /* name of the current operation */
	const char *path; /* its "path" as sent */
	size_t copied;	  /* nodes duplicated by "copy" so far */
	char *err;	  /* first error, owned */
};

static int jp_fail(struct jpatch *j, const char *what)
{
	if (!j->err)
		j->err = xasprintf("%s operation does not apply: %s", j->op, what);
	return -EINVAL;
}

static int jp_missing(struct jpatch *j, const char *path)
{
	char *m = xasprintf("doc is missing path: \"%s\"", path);
	jp_fail(j, m);
	free(m);
	return -ENOENT;
}

/* Adds value (stolen) at p. Used by add, move and copy. */
static int jp_add(struct jpatch *j, const struct jptr *p, const char *path, json_t *value)
{
	json_t *parent;
	size_t idx;
	int rc;

	if (p->n == 0) {
		json_decref(j->root);
		j->root = value;
		return 0;
	}
	parent = jptr_get(j->root, p, p->n - 1);
	if (json_is_object(parent)) {
		json_object_set_new(parent, p->seg[p->n - 1], value);
		return 0;
	}
	if (!json_is_array(parent)) {
		json_decref(value);
		return jp_missing(j, path);
	}
	rc = parse_index(p->seg[p->n - 1], json_array_size(parent), true, &idx);
	if (rc < 0) {
		json_decref(value);
		char *m = xasprintf("invalid array index in \"%s\" (the array has %zu items)", path,
				    json_array_size(parent));
		jp_fail(j, m);
		free(m);
		return rc;
	}
	json_array_insert_new(parent, idx, value);
	return 0;
}

/* Removes the value at p; returns it (caller owns) or NULL with j->err. */
static json_t *jp_remove(struct jpatch *j, const struct jptr *p, const char *path)
{
	json_t *parent, *v = NULL;
	size_t idx;

	if (p->n == 0) {
		jp_fail(j, "the whole document cannot be removed");
		return NULL;
	}
	parent = jptr_get(j->root, p, p->n - 1);
	if (json_is_object(parent)) {
		v = json_incref(json_object_get(parent, p->seg[p->n - 1]));
		if (v)
			json_object_del(parent, p->seg[p->n - 1]);
	} else if (json_is_array(parent) &&
		   parse_index(p->seg[p->n - 1], json_array_size(parent), false, &idx) == 0) {
		v = json_incref(json_array_get(parent, idx));
		json_array_remove(parent, idx);
	}
	if (!v)
		jp_missing(j, path);
	return v;
}

/* Replaces the existing value at p with value (stolen). */
static int jp_replace(struct jpatch *j, const struct jptr *p, const char *path, json_t *value)
{
	json_t *old = p->n ? jp_remove(j, p, path) : json_incref(j->root);
	if (!old) {
		json_decref(value);
		return -ENOENT;
	}
	json_decref(old);
	return jp_add(j, p, path, value);
}

/* Counts the nodes of v, to bound what "copy" may duplicate. */
static size_t count_nodes(const json_t *v)
{
	size_t n = 1;
	const char *k;
	json_t *c;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c)
		{
			n += count_nodes(c);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
		{
			n += count_nodes(c);
		}
	}
	return n;
}

/* True when pointer a is a proper prefix of pointer b. */
static bool jptr_is_prefix(const struct jptr *a, const struct jptr *b)
{
	if (a->n >= b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->seg[i], b->seg[i]) != 0)
			return false;
	return true;
}

/* "move" and "copy": the value at "from" goes to path. */
static int jp_move_copy(struct jpatch *j, const json_t *op, const struct jptr *p, const char *path)
{
	const char *from_s = json_string_value(json_object_get(op, "from"));
	struct jptr from;
	json_t *v;
	int rc = -EINVAL;

	if (!from_s)
		return jp_fail(j, "missing \"from\"");
	if (jptr_parse(from_s, &from) < 0)
		return jp_fail(j, "\"from\" is not a valid JSON pointer");
	if (strcmp(j->op, "move") == 0) {
		if (jptr_is_prefix(&from, p)) {
			rc = jp_fail(j, "a value cannot be moved into one of its children");
			goto out;
		}
		v = jp_remove(j, &from, from_s);
	} else {
		v = jptr_get(j->root, &from, from.n);
		if (v)
			j->copied += count_nodes(v);
		if (!v)
			jp_missing(j, from_s);
		else if (j->copied > MAX_COPY_NODES)
			jp_fail(j, "the copied values exceed the size limit");
		v = v && j->copied <= MAX_COPY_NODES ? json_deep_copy(v) : NULL;
	}
	rc = v ? jp_add(j, p, path, v) : -EINVAL;
out:
	jptr_free(&from);
	return rc;
}

/* Applies one operation object to j->root. */
static int jp_apply_one(struct jpatch *j, const json_t *op)
{
	const json_t *value = json_object_get(op, "value");
	struct jptr p;
	int rc;

	if (jptr_parse(j->path, &p) < 0)
		return jp_fail(j, "\"path\" is not a valid JSON pointer");
	if (!value &&
	    (!strcmp(j->op, "add") || !strcmp(j->op, "replace") || !strcmp(j->op, "test"))) {
		rc = jp_fail(j, "missing \"value\"");
	} else if (!strcmp(j->op, "add")) {
		rc = jp_add(j, &p, j->path, json_deep_copy(value));
	} else if (!strcmp(j->op, "remove")) {
		json_t *old = jp_remove(j, &p, j->path);
		rc = old ? 0 : -ENOENT;
		json_decref(old);
	} else if (!strcmp(j->op, "replace")) {
		rc = jp_replace(j, &p, j->path, json_deep_copy(value));
	} else if (!strcmp(j->op, "move") || !strcmp(j->op, "copy")) {
		rc = jp_move_copy(j, op, &p, j->path);
	} else {
		json_t *cur = jptr_get(j->root, &p, p.n);
		rc = cur && patch_value_equal(cur, value) ? 0 : -EINVAL;
		if (rc < 0)
			j->err = xasprintf("testing value \"%s\" failed: %s", j->path,
					   cur ? "the value differs" : "the path does not exist");
	}
	jptr_free(&p);
	return rc;
}

/*
 * RFC 6902 JSON patch. doc and ops are borrowed. Returns the patched document
 * (caller owns), or NULL and a sentence naming the failed operation and path
 * in *err (caller frees).
 */
json_t *api_json_patch(const json_t *doc, const json_t *ops, char **err)
{
	struct jpatch j = {.root = json_deep_copy(doc)};
	static const char *const known[] = {"add", "remove", "replace", "move", "copy", "test"};
	size_t i, k;

	*err = NULL;
	if (!json_is_array(ops)) {
		j.err = xstrdup("a JSON patch must be a JSON array of operations");
		goto out;
	}
	if (json_array_size(ops) > MAX_JSON_PATCH_OPS) {
		j.err = xasprintf("The allowed maximum operations in a JSON patch is %d, got %zu",
				  MAX_JSON_PATCH_OPS, json_array_size(ops));
		goto out;
	}
	for (i = 0; i < json_array_size(ops) && !j.err; i++) {
		const json_t *op = json_array_get(ops, i);
		j.op = json_string_value(json_object_get(op, "op"));
		j.path = json_string_value(json_object_get(op, "path"));
		for (k = 0; j.op && k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(j.op, known[k]) == 0)
				break;
		if (!json_is_object(op))
			j.err = xasprintf("JSON patch operation %zu is not an object", i);
		else if (!j.op || k == sizeof(known) / sizeof(known[0]))
			j.err = xasprintf("JSON patch operation %zu: unexpected kind of operation "
					  "\"%s\"",
					  i, j.op ? j.op : "");
		else if (!j.path)
			j.err = xasprintf("%s operation %zu has no \"path\"", j.op, i);
		else
			jp_apply_one(&j, op);
	}
out:
	if (j.err) {
		json_decref(j.root);
		*err = j.err;
		return NULL;
	}
	return j.root;
}
