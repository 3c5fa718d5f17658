/*
 * The walker that prunes and type-checks decoded objects against the type
 * tables of schema_types*.c, and the OpenAPI v2/v3 documents generated from
 * the same tables.
 *
 * Errors are worded as kube-apiserver's decoder (Go's encoding/json, via
 * sigs.k8s.io/json) words them: "json: cannot unmarshal string into Go
 * struct field ServicePort.spec.ports.port of type int32", where the field
 * path has no list indexes; unknown fields as its strict decoder reports
 * them, with indexes: "spec.ports[0].bar".
 */
#include "api/schema.h"
#include "api/schema-internal.h"
#include "base/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	json_t *unknown;      /* where unknown field paths go; may be NULL */
	struct strbuf path;   /* "spec.ports[0].port" */
	struct strbuf gopath; /* "spec.ports.port", as Go names the field */
	const char *gostruct; /* innermost Go struct: "ServicePort" */
	char *msg;	      /* first type error */
};

static const char quantity_err[] = "quantities must match the regular expression "
				   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

static int check_value(struct walk *w, const struct schema_type *t, json_t *v, const char *gotype);

static void path_cut(struct strbuf *sb, size_t len)
{
	if (sb->buf) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

static void path_push(struct strbuf *sb, const char *name)
{
	if (sb->len)
		sb_puts(sb, ".");
	sb_puts(sb, name);
}

/* Writes a JSON number's literal as Go quotes it ("1.5", "99999999999"). */
static void number_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	/* The shortest form that reads back as the same double. */
	double d = json_real_value(v);
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* What Go's decoder calls the JSON value it could not store. */
static void value_word(const json_t *v, bool with_number, char *buf, size_t size)
{
	const char *w = "object";
	if (json_is_string(v))
		w = "string";
	else if (json_is_boolean(v))
		w = "bool";
	else if (json_is_array(v))
		w = "array";
	else if (json_is_number(v)) {
		if (with_number) {
			char num[64];
			number_text(v, num, sizeof(num));
			snprintf(buf, size, "number %s", num);
			return;
		}
		w = "number";
	}
	snprintf(buf, size, "%s", w);
}

static void go_type_name(const struct schema_type *t, struct strbuf *sb)
{
	if (t->kind == SK_ARRAY) {
		sb_puts(sb, "[]");
		go_type_name(t->elem, sb);
	} else if (t->kind == SK_MAP) {
		sb_puts(sb, "map[string]");
		go_type_name(t->elem, sb);
	} else {
		sb_puts(sb, t->go_name);
	}
}

/* Records "cannot unmarshal X into Go struct field S.path of type T". */
static int type_error(struct walk *w, const json_t *v, const struct schema_type *t,
		      const char *gotype, bool with_number)
{
	struct strbuf tn = STRBUF_INIT;
	char word[96];

	value_word(v, with_number, word, sizeof(word));
	if (gotype)
		sb_puts(&tn, gotype);
	else
		go_type_name(t, &tn);
	w->msg = xasprintf("json: cannot unmarshal %s into Go struct field %s.%s of type %s", word,
			   w->gostruct, w->gopath.buf ? w->gopath.buf : "", tn.buf);
	sb_free(&tn);
	return -EINVAL;
}

/* Errors of types with their own decoder (IntOrString, Time), which Go does not place. */
static int value_error(struct walk *w, const json_t *v, const char *gotype, bool with_number)
{
	char word[96];

	value_word(v, with_number, word, sizeof(word));
	w->msg = xasprintf("json: cannot unmarshal %s into Go value of type %s", word, gotype);
	return -EINVAL;
}

static int check_int(struct walk *w, const struct schema_type *t, json_t *v, const char *gotype,
		     json_int_t min, json_int_t max)
{
	if (!json_is_number(v))
		return type_error(w, v, t, gotype, false);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return type_error(w, v, t, gotype, true);
	return 0;
}

static bool digits(const char **p)
{
	const char *s = *p;
	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p != s;
}

/* resource.ParseQuantity's grammar: signed decimal, then a binary, decimal or exponent suffix. */
static bool quantity_ok(const char *s)
{
	static const char *const suffixes[] = {"",  "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
					       "m", "k",  "M",	"G",  "T",  "P",  "E",	NULL};
	if (*s == '+' || *s == '-')
		s++;
	bool whole = digits(&s);
	if (*s == '.') {
		s++;
		if (!digits(&s) && !whole)
			return false;
	} else if (!whole) {
		return false;
	}
	if (*s == 'e' || *s == 'E') {
		const char *e = s + 1;
		if (*e == '+' || *e == '-')
			e++;
		if (digits(&e) && !*e)
			return true;
	}
	for (size_t i = 0; suffixes[i]; i++)
		if (!strcmp(s, suffixes[i]))
			return true;
	return false;
}

/* The value Go leaves where JSON had null inside a list or map. */
static json_t *zero_value(const struct schema_type *t)
{
	switch (t->kind) {
	case SK_STRUCT:
		return json_object();
	case SK_STRING:
		return json_string("");
	case SK_INT32:
	case SK_INT64:
		return json_integer(0);
	case SK_BOOL:
		return json_false();
	default:
		return json_null();
	}
}

static int walk_array(struct walk *w, const struct schema_type *t, json_t *arr, const char *gotype)
{
	const char *elem_gotype = gotype && !strncmp(gotype, "[]", 2) ? gotype + 2 : NULL;
	size_t i;
	json_t *item;
	int rc = 0;

	json_array_foreach(arr, i, item)
	{
		if (json_is_null(item)) {
			json_array_set_new(arr, i, zero_value(t->elem));
			continue;
		}
		size_t plen = w->path.len;
		sb_printf(&w->path, "[%zu]", i);
		rc = check_value(w, t->elem, item, elem_gotype);
		path_cut(&w->path, plen);
		if (rc)
			break;
	}
	return rc;
}

static int walk_map(struct walk *w, const struct schema_type *t, json_t *obj)
{
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(obj, key, v)
	{
		if (json_is_null(v)) {
			json_object_set_new(obj, key, zero_value(t->elem));
			continue;
		}
		rc = check_value(w, t->elem, v, NULL);
		if (rc)
			break;
	}
	return rc;
}

static const struct schema_field *find_field(const struct schema_type *t, const char *name)
{
	for (const struct schema_field *f = t->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static int walk_struct(struct walk *w, const struct schema_type *t, json_t *obj)
{
	const char *saved = w->gostruct;
	const char *dot = strrchr(t->go_name, '.');
	const char *key;
	json_t *v;
	void *tmp;
	int rc = 0;

	w->gostruct = dot ? dot + 1 : t->go_name;
	json_object_foreach_safe(obj, tmp, key, v)
	{
		const struct schema_field *f = find_field(t, key);
		size_t plen = w->path.len, glen = w->gopath.len;

		if (!f || json_is_null(v)) {
			if (!f && w->unknown) {
				path_push(&w->path, key);
				json_array_append_new(w->unknown, json_string(w->path.buf));
				path_cut(&w->path, plen);
			}
			json_object_del(obj, key);
			continue;
		}
		path_push(&w->path, key);
		path_push(&w->gopath, key);
		rc = check_value(w, f->type, v, f->go_type);
		path_cut(&w->path, plen);
		path_cut(&w->gopath, glen);
		if (rc)
			break;
	}
	w->gostruct = saved;
	return rc;
}

static int check_value(struct walk *w, const struct schema_type *t, json_t *v, const char *gotype)
{
	switch (t->kind) {
	case SK_STRING:
		return json_is_string(v) ? 0 : type_error(w, v, t, gotype, false);
	case SK_INT32:
		return check_int(w, t, v, gotype, INT32_MIN, INT32_MAX);
	case SK_INT64:
		return check_int(w, t, v, gotype, INT64_MIN, INT64_MAX);
	case SK_BOOL:
		return json_is_boolean(v) ? 0 : type_error(w, v, t, gotype, false);
	case SK_DOUBLE:
		return json_is_number(v) ? 0 : type_error(w, v, t, gotype, false);
	case SK_STRUCT:
		return json_is_object(v) ? walk_struct(w, t, v)
					 : type_error(w, v, t, gotype, false);
	case SK_ARRAY:
		return json_is_array(v) ? walk_array(w, t, v, gotype)
					: type_error(w, v, t, gotype, false);
	case SK_MAP:
		return json_is_object(v) ? walk_map(w, t, v) : type_error(w, v, t, gotype, false);
	case SK_INT_OR_STRING:
		if (json_is_string(v) ||
		    (json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
		     json_integer_value(v) <= INT32_MAX))
			return 0;
		return value_error(w, v, "int32", true);
	case SK_QUANTITY:
		if (json_is_number(v) || (json_is_string(v) && quantity_ok(json_string_value(v))))
			return 0;
		w->msg = xstrdup(quantity_err);
		return -EINVAL;
	case SK_TIME:
	case SK_MICROTIME:
		return json_is_string(v) ? 0 : value_error(w, v, "string", false);
	case SK_ANY:
		return 0;
	}
	return 0;
}

/*
 * Prunes obj (see schema.h). *err is the decoder's part of kube-apiserver's
 * 400 ("json: cannot unmarshal ..."); the caller puts `Service in version
 * "v1" cannot be handled as a Service: ` in front, as rest_write.c does.
 */
int api_schema_prune(const struct api_resource *r, json_t *obj, json_t *unknown, char **err)
{
	const struct schema_type *t = r ? schema_type_of_kind(r->kind) : NULL;
	struct walk w = {.unknown = unknown, .path = STRBUF_INIT, .gopath = STRBUF_INIT};
	int rc;

	if (!t) {
		if (err)
			*err = xasprintf("no schema for kind %s", r ? r->kind : "(null)");
		return -ENOENT;
	}
	if (!json_is_object(obj)) {
		char word[96];
		value_word(obj, false, word, sizeof(word));
		w.msg = xasprintf("json: cannot unmarshal %s into Go value of type %s", word,
				  t->go_name);
		rc = -EINVAL;
	} else {
		rc = walk_struct(&w, t, obj);
	}
	if (rc && err) {
		*err = w.msg;
		w.msg = NULL;
	}
	free(w.msg);
	sb_free(&w.path);
	sb_free(&w.gopath);
	return rc;
}

/* ---- OpenAPI ---- */

struct oapi {
	bool v3;
	json_t *defs; /* components.schemas (v3) or definitions (v2) */
};

static json_t *ref_to(const struct oapi *o, const char *name)
{
	char *ref = xasprintf("%s%s", o->v3 ? "#/components/schemas/" : "#/definitions/", name);
	json_t *j = o->v3 ? json_pack("{s:[{s:s}]}", "allOf", "$ref", ref)
			  : json_pack("{s:s}", "$ref", ref);
	free(ref);
	return j;
}

static void add_def(struct oapi *o, const struct schema_type *t);

/* The schema of a value of type t, by reference when t is named. */
static json_t *value_schema(struct oapi *o, const struct schema_type *t)
{
	if (t->name) {
		add_def(o, t);
		return ref_to(o, t->name);
	}
	switch (t->kind) {
	case SK_INT32:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
	case SK_INT64:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
	case SK_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case SK_DOUBLE:
		return json_pack("{s:s, s:s}", "type", "number", "format", "double");
	case SK_ARRAY:
		return json_pack("{s:s, s:o}", "type", "array", "items", value_schema(o, t->elem));
	case SK_MAP:
		return json_pack("{s:s, s:o}", "type", "object", "additionalProperties",
				 value_schema(o, t->elem));
	case SK_ANY:
		return json_pack("{s:s, s:b}", "type", "object",
				 "x-kubernetes-preserve-unknown-fields", 1);
	default:
		return json_pack("{s:s}", "type", "string");
	}
}

static json_t *split_keys(const char *csv)
{
	json_t *arr = json_array();
	char *copy = xstrdup(csv), *save = NULL;

	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(k));
	free(copy);
	return arr;
}

/* The schema of one property: its type plus the field's description and patch metadata. */
static json_t *field_schema(struct oapi *o, const struct schema_field *f)
{
	json_t *s = value_schema(o, f->type);

	if (f->desc)
		json_object_set_new(s, "description", json_string(f->desc));
	if (f->list_keys)
		json_object_set_new(s, "x-kubernetes-list-map-keys", split_keys(f->list_keys));
	if (f->list_type)
		json_object_set_new(s, "x-kubernetes-list-type", json_string(f->list_type));
	if (f->map_type)
		json_object_set_new(s, "x-kubernetes-map-type", json_string(f->map_type));
	if (f->merge_key)
		json_object_set_new(s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
	if (f->strategy)
		json_object_set_new(s, "x-kubernetes-patch-strategy", json_string(f->strategy));
	return s;
}

static json_t *struct_def(struct oapi *o, const struct schema_type *t)
{
	json_t *d = json_pack("{s:s}", "type", "object");
	json_t *props = json_object(), *req = json_array();

	for (const struct schema_field *f = t->fields; f->name; f++) {
		json_object_set_new(props, f->name, field_schema(o, f));
		if (f->flags & SF_REQUIRED)
			json_array_append_new(req, json_string(f->name));
	}
	json_object_set_new(d, "properties", props);
	if (json_array_size(req))
		json_object_set_new(d, "required", req);
	else
		json_decref(req);
	if (t->kind_name)
		json_object_set_new(d, "x-kubernetes-group-version-kind",
				    json_pack("[{s:s, s:s, s:s}]", "group", t->group, "kind",
					      t->kind_name, "version", t->version));
	if (t->map_type)
		json_object_set_new(d, "x-kubernetes-map-type", json_string(t->map_type));
	return d;
}

/* Adds the definition of named type t (and of every type it uses) once. */
static void add_def(struct oapi *o, const struct schema_type *t)
{
	json_t *d;

	if (json_object_get(o->defs, t->name))
		return;
	/* A placeholder first, so that a type reached again while defining t is not redone. */
	json_object_set_new(o->defs, t->name, json_object());
	switch (t->kind) {
	case SK_STRUCT:
		d = struct_def(o, t);
		break;
	case SK_INT_OR_STRING:
		d = json_pack("{s:s, s:s}", "type", "string", "format", "int-or-string");
		break;
	case SK_QUANTITY:
		d = o->v3 ? json_pack("{s:[{s:s},{s:s}]}", "oneOf", "type", "string", "type",
				      "number")
			  : json_pack("{s:s}", "type", "string");
		break;
	case SK_TIME:
	case SK_MICROTIME:
		d = json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
		break;
	default:
		d = json_pack("{s:s, s:b}", "type", "object",
			      "x-kubernetes-preserve-unknown-fields", 1);
		break;
	}
	if (t->desc)
		json_object_set_new(d, "description", json_string(t->desc));
	json_object_set_new(o->defs, t->name, d);
}

/* Query parameters of the operations, as kube-apiserver documents them. */
struct qparam {
	const char *name;
	const char *type;
	const char *desc;
};

static const struct qparam qparams[] = {
    {"allowWatchBookmarks", "boolean",
     "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."},
    {"continue", "string",
     "The continue option should be set when retrieving more results from the server."},
    {"dryRun", "string",
     "When present, indicates that modifications should not be persisted. An invalid or "
     "unrecognized dryRun directive will result in an error response and no further "
     "processing of the request. Valid values are: - All: all dry run stages will be "
     "processed"},
    {"fieldManager", "string",
     "fieldManager is a name associated with the actor or entity that is making these "
     "changes."},
    {"fieldSelector", "string",
     "A selector to restrict the list of returned objects by their fields. Defaults to "
     "everything."},
    {"fieldValidation", "string",
     "fieldValidation instructs the server on how to handle objects in the request "
     "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: "
     "This will ignore any unknown fields that are silently dropped from the object, and will "
     "ignore all but the last duplicate field that the decoder encounters. - Warn: This will "
     "send a warning via the standard warning response header for each unknown field that is "
     "dropped from the object, and for each duplicate field that is encountered. - Strict: "
     "This will fail the request with a BadRequest error if any unknown fields would be "
     "dropped from the object, or if any duplicate fields are present."},
    {"force", "boolean",
     "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting "
     "fields owned by other people."},
    {"gracePeriodSeconds", "integer",
     "The duration in seconds before the object should be deleted."},
    {"ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
     "if set to true, it will trigger an unsafe deletion of the resource in case the normal "
     "deletion flow fails with a corrupt object error."},
    {"labelSelector", "string",
     "A selector to restrict the list of returned objects by their labels. Defaults to "
     "everything."},
    {"limit", "integer", "limit is a maximum number of responses to return for a list call."},
    {"orphanDependents", "boolean",
     "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7."},
    {"pretty", "string", "If 'true', then the output is pretty printed."},
    {"propagationPolicy", "string",
     "Whether and how garbage collection will be performed. Acceptable values are: "
     "'Orphan', 'Background', 'Foreground'."},
    {"resourceVersion", "string",
     "resourceVersion sets a constraint on what resource versions a request may be served "
     "from."},
    {"resourceVersionMatch", "string",
     "resourceVersionMatch determines how resourceVersion is applied to list calls."},
    {"sendInitialEvents", "boolean",
     "`sendInitialEvents=true` may be set together with `watch=true`."},
    {"timeoutSeconds", "integer",
     "Timeout for the list/watch call. This limits the duration of the call, regardless of "
     "any activity or inactivity."},
    {"watch", "boolean",
     "Watch for changes to the described resources and return them as a stream of add, "
     "update, and remove notifications."},
};

enum path_kind { P_COLL, P_ITEM, P_STATUS, P_ALLNS };
enum body_kind { B_NONE, B_OBJECT, B_DELETE, B_PATCH };

struct op_spec {
	enum path_kind path;
	const char *method; /* "get" */
	const char *action; /* x-kubernetes-action */
	const char *verb;   /* operationId: "list" */
	const char *params; /* query parameters, space separated */
	enum body_kind body;
	const char *codes; /* response codes, space separated */
	bool status_reply; /* answers a Status rather than the object */
	bool list_reply;   /* answers the list kind */
};

#define WRITE_P "dryRun fieldManager fieldValidation"
#define LIST_P                                                                                     \
	"allowWatchBookmarks continue fieldSelector labelSelector limit resourceVersion "          \
	"resourceVersionMatch sendInitialEvents timeoutSeconds watch"
#define DEL_P                                                                                      \
	"dryRun gracePeriodSeconds ignoreStoreReadErrorWithClusterBreakingPotential "              \
	"orphanDependents propagationPolicy"

static const struct op_spec ops[] = {
    {P_COLL, "get", "list", "list", LIST_P, B_NONE, "200", false, true},
    {P_COLL, "post", "post", "create", WRITE_P, B_OBJECT, "200 201 202", false, false},
    {P_COLL, "delete", "deletecollection", "deleteCollection",
     "continue " DEL_P " fieldSelector labelSelector limit resourceVersion "
     "resourceVersionMatch sendInitialEvents timeoutSeconds",
     B_DELETE, "200", true, false},
    {P_ITEM, "get", "get", "read", "", B_NONE, "200", false, false},
    {P_ITEM, "put", "put", "replace", WRITE_P, B_OBJECT, "200 201", false, false},
    {P_ITEM, "patch", "patch", "patch", WRITE_P " force", B_PATCH, "200 201", false, false},
    {P_ITEM, "delete", "delete", "delete", DEL_P, B_DELETE, "200 202", true, false},
    {P_STATUS, "get", "get", "read", "", B_NONE, "200", false, false},
    {P_STATUS, "put", "put", "replace", WRITE_P, B_OBJECT, "200 201", false, false},
    {P_STATUS, "patch", "patch", "patch", WRITE_P " force", B_PATCH, "200 201", false, false},
    {P_ALLNS, "get", "list", "list", LIST_P, B_NONE, "200", false, true},
};

static const char *const patch_types[] = {
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", NULL};

/* A parameter; schema-typed in v3, typed in place in v2. */
static json_t *param(const struct oapi *o, const char *name, const char *in, const char *type,
		     const char *desc)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "name", name, "in", in, "description", desc);
	json_t *t = json_pack("{s:s, s:b}", "type", type, "uniqueItems", 1);

	if (!strcmp(in, "path"))
		json_object_set_new(p, "required", json_true());
	if (o->v3) {
		json_object_set_new(p, "schema", t);
	} else {
		json_object_update(p, t);
		json_decref(t);
	}
	return p;
}

static json_t *query_params(const struct oapi *o, const char *names)
{
	json_t *arr = json_array();
	char *copy = xstrdup(names), *save = NULL;

	for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save))
		for (size_t i = 0; i < sizeof(qparams) / sizeof(qparams[0]); i++)
			if (!strcmp(qparams[i].name, n))
				json_array_append_new(
				    arr, param(o, n, "query", qparams[i].type, qparams[i].desc));
	free(copy);
	return arr;
}

static json_t *plain_ref(const struct oapi *o, const char *name)
{
	char *ref = xasprintf("%s%s", o->v3 ? "#/components/schemas/" : "#/definitions/", name);
	json_t *j = json_pack("{s:s}", "$ref", ref);
	free(ref);
	return j;
}

/* v3: {"content": {type: {"schema": ref}, ...}} for each media type. */
static json_t *content(const struct oapi *o, const char *const *types, const char *name)
{
	json_t *c = json_object();
	for (size_t i = 0; types[i]; i++)
		json_object_set_new(c, types[i], json_pack("{s:o}", "schema", plain_ref(o, name)));
	return c;
}

#define META_NAME(n) "io.k8s.apimachinery.pkg.apis.meta.v1." n

/* "CoreV1", "DiscoveryV1": the group-version part of operationIds. */
static char *gv_camel(const struct api_resource *r)
{
	char *g = xstrdup(r->group[0] ? r->group : "core");
	char *dot = strchr(g, '.');
	if (dot)
		*dot = '\0';
	g[0] = (char)(g[0] >= 'a' && g[0] <= 'z' ? g[0] - 'a' + 'A' : g[0]);
	char *s =
	    xasprintf("%s%c%s", g, r->version[0] == 'v' ? 'V' : r->version[0], r->version + 1);
	free(g);
	return s;
}

static char *operation_id(const struct api_resource *r, const struct op_spec *s)
{
	char *gv = gv_camel(r);
	bool coll = !strcmp(s->action, "deletecollection");
	char *id = xasprintf("%s%s%s%s%s%s", s->verb, gv, coll ? "Collection" : "",
			     r->namespaced && s->path != P_ALLNS ? "Namespaced" : "", r->kind,
			     s->path == P_STATUS  ? "Status"
			     : s->path == P_ALLNS ? "ForAllNamespaces"
						  : "");
	free(gv);
	return id;
}

static void add_body(struct oapi *o, json_t *op, const struct op_spec *s, const char *kind_name)
{
	static const char *const obj_types[] = {"application/json", "application/yaml", NULL};
	const char *name = s->body == B_PATCH	 ? META_NAME("Patch")
			   : s->body == B_DELETE ? META_NAME("DeleteOptions")
						 : kind_name;

	if (s->body == B_NONE)
		return;
	if (o->v3) {
		json_t *rb =
		    json_pack("{s:o}", "content",
			      content(o, s->body == B_PATCH ? patch_types : obj_types, name));
		if (s->body != B_DELETE)
			json_object_set_new(rb, "required", json_true());
		json_object_set_new(op, "requestBody", rb);
		return;
	}
	json_array_append_new(json_object_get(op, "parameters"),
			      json_pack("{s:s, s:s, s:b, s:o}", "name", "body", "in", "body",
					"required", s->body != B_DELETE, "schema",
					plain_ref(o, name)));
	if (s->body == B_PATCH) {
		json_t *c = json_array();
		for (size_t i = 0; patch_types[i]; i++)
			json_array_append_new(c, json_string(patch_types[i]));
		json_object_set_new(op, "consumes", c);
	}
}

static json_t *responses(const struct oapi *o, const struct op_spec *s, const char *reply)
{
	static const char *const types[] = {"application/json", "application/yaml", NULL};
	json_t *res = json_pack("{s:{s:s}}", "401", "description", "Unauthorized");
	char *copy = xstrdup(s->codes), *save = NULL;

	for (char *c = strtok_r(copy, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		const char *d = !strcmp(c, "201")   ? "Created"
				: !strcmp(c, "202") ? "Accepted"
						    : "OK";
		json_t *one = json_pack("{s:s}", "description", d);
		if (o->v3)
			json_object_set_new(one, "content", content(o, types, reply));
		else
			json_object_set_new(one, "schema", plain_ref(o, reply));
		json_object_set_new(res, c, one);
	}
	free(copy);
	return res;
}

static json_t *operation(struct oapi *o, const struct api_resource *r, const struct op_spec *s)
{
	const struct schema_type *kt = schema_type_of_kind(r->kind);
	char *list_kind = xasprintf("%sList", r->kind);
	const struct schema_type *lt = schema_type_of_kind(list_kind);
	const char *reply = s->status_reply ? META_NAME("Status")
			    : s->list_reply ? lt->name
					    : kt->name;
	char *id = operation_id(r, s);
	char *tag = xasprintf("%s_%s", r->group[0] ? r->group : "core", r->version);
	char *desc = xasprintf("%s %s", s->action, r->kind);
	json_t *op;

	if (strchr(tag, '.'))
		*strchr(tag, '.') = '\0';
	op = json_pack("{s:s, s:s, s:[s], s:o, s:s, s:{s:s, s:s, s:s}}", "description", desc,
		       "operationId", id, "tags", tag, "parameters", query_params(o, s->params),
		       "x-kubernetes-action", s->action, "x-kubernetes-group-version-kind", "group",
		       r->group, "kind", r->kind, "version", r->version);
	add_body(o, op, s, kt->name);
	json_object_set_new(op, "responses", responses(o, s, reply));
	if (!o->v3) {
		json_object_set_new(op, "produces",
				    json_pack("[s,s]", "application/json", "application/yaml"));
		json_object_set_new(op, "schemes", json_pack("[s]", "https"));
		if (!json_object_get(op, "consumes"))
			json_object_set_new(op, "consumes", json_pack("[s]", "*/*"));
	}
	free(list_kind);
	free(id);
	free(tag);
	free(desc);
	return op;
}

static char *path_of(const struct api_resource *r, enum path_kind pk)
{
	char *prefix = r->group[0] ? xasprintf("/apis/%s/%s", r->group, r->version)
				   : xasprintf("/api/%s", r->version);
	const char *ns = r->namespaced && pk != P_ALLNS ? "/namespaces/{namespace}" : "";
	const char *tail = pk == P_ITEM ? "/{name}" : pk == P_STATUS ? "/{name}/status" : "";
	char *p = xasprintf("%s%s/%s%s", prefix, ns, r->plural, tail);
	free(prefix);
	return p;
}

static json_t *path_item(struct oapi *o, const struct api_resource *r, enum path_kind pk)
{
	json_t *item = json_object(), *params = json_array();

	if (pk == P_ITEM || pk == P_STATUS) {
		char *d = xasprintf("name of the %s", r->kind);
		json_array_append_new(params, param(o, "name", "path", "string", d));
		free(d);
	}
	if (r->namespaced && pk != P_ALLNS)
		json_array_append_new(params,
				      param(o, "namespace", "path", "string",
					    "object name and auth scope, such as for teams and "
					    "projects"));
	json_t *pretty = query_params(o, "pretty");
	json_array_extend(params, pretty);
	json_decref(pretty);
	json_object_set_new(item, "parameters", params);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].path == pk)
			json_object_set_new(item, ops[i].method, operation(o, r, &ops[i]));
	return item;
}

/* "api/v1", "apis/discovery.k8s.io/v1": the key of r's group version in /openapi/v3. */
static char *gv_path_of(const struct api_resource *r)
{
	return r->group[0] ? xasprintf("apis/%s/%s", r->group, r->version)
			   : xasprintf("api/%s", r->version);
}

/* Adds the paths and the types of one resource. */
static void add_resource(struct oapi *o, json_t *paths, const struct api_resource *r)
{
	static const enum path_kind kinds[] = {P_COLL, P_ITEM, P_STATUS, P_ALLNS};
	char *list_kind = xasprintf("%sList", r->kind);

	add_def(o, schema_type_of_kind(r->kind));
	add_def(o, schema_type_of_kind(list_kind));
	free(list_kind);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((kinds[i] == P_STATUS && !r->has_status) ||
		    (kinds[i] == P_ALLNS && !r->namespaced))
			continue;
		char *p = path_of(r, kinds[i]);
		json_object_set_new(paths, p, path_item(o, r, kinds[i]));
		free(p);
	}
}

/* The document of one group version (gv_path), or of all of them (NULL). */
static json_t *build_doc(const char *gv_path, bool v3)
{
	struct oapi o = {.v3 = v3, .defs = json_object()};
	json_t *paths = json_object();
	size_t n = 0;

	for (size_t i = 0; i < api_resource_count; i++) {
		char *gv = gv_path_of(&api_resources[i]);
		if (!gv_path || !strcmp(gv, gv_path)) {
			add_resource(&o, paths, &api_resources[i]);
			n++;
		}
		free(gv);
	}
	if (!n) {
		json_decref(o.defs);
		json_decref(paths);
		return NULL;
	}
	for (size_t i = 0; schema_common_types[i]; i++)
		add_def(&o, schema_common_types[i]);
	json_t *bearer =
	    json_pack("{s:s, s:s, s:s, s:s}", "type", "apiKey", "name", "authorization", "in",
		      "header", "description", "Bearer Token authentication");
	json_t *info = json_pack("{s:s, s:s}", "title", "Kubernetes", "version", "v1.32.0");
	if (v3)
		return json_pack("{s:s, s:o, s:o, s:{s:o, s:{s:o}}, s:[{s:[]}]}", "openapi",
				 "3.0.0", "info", info, "paths", paths, "components", "schemas",
				 o.defs, "securitySchemes", "BearerToken", bearer, "security",
				 "BearerToken");
	return json_pack("{s:s, s:o, s:o, s:o, s:{s:o}, s:[{s:[]}]}", "swagger", "2.0", "info",
			 info, "paths", paths, "definitions", o.defs, "securityDefinitions",
			 "BearerToken", bearer, "security", "BearerToken");
}

/* FNV-1a over the canonical (sorted, compact) text: stable across runs and builds. */
static char *doc_hash(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)text; p && *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	free(text);
	return xasprintf("%016" PRIX64, h);
}

/* The documents never change while the process runs: built once, copied out. */
static struct {
	pthread_once_t once;
	json_t *root;	/* /openapi/v3 */
	json_t *groups; /* "api/v1" -> its v3 document */
	json_t *v2;
} cache = {PTHREAD_ONCE_INIT};

static void build_cache(void)
{
	json_t *paths = json_object();

	cache.groups = json_object();
	for (size_t i = 0; i < api_resource_count; i++) {
		char *gv = gv_path_of(&api_resources[i]);
		if (!json_object_get(cache.groups, gv)) {
			json_t *doc = build_doc(gv, true);
			char *hash = doc_hash(doc);
			char *url = xasprintf("/openapi/v3/%s?hash=%s", gv, hash);
			json_object_set_new(paths, gv,
					    json_pack("{s:s}", "serverRelativeURL", url));
			json_object_set_new(cache.groups, gv, doc);
			free(hash);
			free(url);
		}
		free(gv);
	}
	cache.root = json_pack("{s:o}", "paths", paths);
	cache.v2 = build_doc(NULL, false);
}

/*
 * The /openapi/v3 root: one entry per served group version, pointing at its
 * document with a hash of that document, so clients can cache by URL.
 * Caller owns the result.
 */
json_t *api_openapi_v3_root(void)
{
	pthread_once(&cache.once, build_cache);
	return json_deep_copy(cache.root);
}

/*
 * The OpenAPI 3.0 document of gv_path ("api/v1", "apis/discovery.k8s.io/v1"):
 * components.schemas of every type its kinds use, and paths whose operations
 * carry x-kubernetes-group-version-kind, x-kubernetes-action and, on
 * POST/PUT/PATCH, the fieldValidation parameter kubectl looks for. NULL if the
 * group version is not served. Caller owns the result.
 */
json_t *api_openapi_v3_group(const char *gv_path)
{
	if (!gv_path)
		return NULL;
	if (gv_path[0] == '/')
		gv_path++;
	pthread_once(&cache.once, build_cache);
	json_t *doc = json_object_get(cache.groups, gv_path);
	return doc ? json_deep_copy(doc) : NULL;
}

/* The swagger 2.0 document of every served kind. Caller owns the result. */
json_t *api_openapi_v2(void)
{
	pthread_once(&cache.once, build_cache);
	return json_deep_copy(cache.v2);
}
