/*
 * The body of a server-side apply (application/apply-patch+yaml): YAML, of
 * which JSON is a part, decoded into JSON values as kube-apiserver's
 * sigs.k8s.io/yaml does it (YAML 1.1 scalars: yes/no/on/off are booleans,
 * ~ is null). kubectl sends JSON, which is parsed as JSON first.
 */
#include "api/patch_apply.h"

#include "base/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Bounds on what aliases may expand to, and on nesting. */
#define MAX_NODES 200000
#define MAX_DEPTH 128

struct yconv {
	yaml_document_t doc;
	size_t nodes;
	char *err;
};

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* A plain (unquoted, untagged) scalar resolved as YAML 1.1 does. */
static json_t *plain_scalar(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
					    "on",   "On",   "ON",   "y",   "Y",	  NULL};
	static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO",
					     "off",   "Off",   "OFF",	"n",  "N",  NULL};
	char *end;
	if (one_of(s, nulls))
		return json_null();
	if (one_of(s, trues))
		return json_true();
	if (one_of(s, falses))
		return json_false();
	if (strspn(s, "+-0123456789") == strlen(s) && strpbrk(s, "0123456789")) {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*end && !errno)
			return json_integer(v);
	}
	if (!strncmp(s, "0x", 2) && s[2]) {
		long long v = strtoll(s + 2, &end, 16);
		if (!*end)
			return json_integer(v);
	}
	if (strpbrk(s, "0123456789") && strspn(s, "+-.0123456789eE") == strlen(s)) {
		double d = strtod(s, &end);
		if (!*end && isfinite(d))
			return json_real(d);
	}
	return json_string(s);
}

/*
 * A quoted or block scalar is a string. (libyaml's documents give every
 * untagged scalar the str tag, so an explicit "!!str" cannot be told apart:
 * a plain scalar is resolved whatever its tag.)
 */
static json_t *scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, n->data.scalar.length);
	return plain_scalar(s);
}

static json_t *node_value(struct yconv *c, yaml_node_t *n, int depth)
{
	if (!n || ++c->nodes > MAX_NODES || depth > MAX_DEPTH) {
		if (!c->err)
			c->err = xstrdup(n ? "the document is too large or too deeply nested"
					   : "a node of the document is missing");
		return NULL;
	}
	if (n->type == YAML_SCALAR_NODE)
		return scalar(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			json_t *v = node_value(c, yaml_document_get_node(&c->doc, *i), depth + 1);
			if (!v) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, v);
		}
		return a;
	}
	json_t *o = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		json_t *v = node_value(c, yaml_document_get_node(&c->doc, p->value), depth + 1);
		if (!v || !k || k->type != YAML_SCALAR_NODE) {
			if (!c->err)
				c->err = xstrdup("a mapping key is not a scalar");
			json_decref(v);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, (const char *)k->data.scalar.value, v);
	}
	return o;
}

json_t *api_apply_decode(const char *text, size_t len, char **err)
{
	struct yconv c = {0};
	yaml_parser_t parser;
	json_t *out = NULL;
	*err = NULL;
	out = json_loadb(text ? text : "", len, 0, NULL);
	if (out)
		return out;
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		*err = xasprintf("error decoding YAML: %s at line %zu",
				 parser.problem ? parser.problem : "error",
				 parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&c.doc);
	if (!root)
		*err = xstrdup("error decoding YAML: the body is empty");
	else if (!(out = node_value(&c, root, 0)))
		*err = xasprintf("error decoding YAML: %s", c.err);
	free(c.err);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	return out;
}
