/*
 * The read verbs (get, list) and what the verbs share: dispatch, store
 * errors, namespace checks, start-up bootstrap and the janitor thread.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "api/object.h"
#include "api/selector.h"
#include "api/table.h"
#include "apiserver/svcalloc.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void reply_store_error(struct req *r, int rc)
{
	const char *why = store_health(r->srv->store);
	if (rc == -ENOSPC)
		reply_status(r, 507, "InsufficientStorage", "the store is out of space: %s",
			     *why ? why : strerror(-rc));
	else if (rc == -EAGAIN || rc == -ETIMEDOUT || rc == -ECONNREFUSED)
		reply_status(r, 503, "ServiceUnavailable", "the store is unavailable: %s",
			     *why ? why : strerror(-rc));
	else
		reply_status(r, 500, "InternalError", "store error: %s",
			     *why ? why : strerror(-rc));
}

void reply_stored(struct req *r, unsigned code, const char *json, size_t len, int64_t rev)
{
	if (wants_table(r)) {
		json_t *items = json_array();
		json_t *obj = api_object_decode(json, len, rev);
		if (obj)
			json_array_append_new(items, obj);
		const char *inc = req_query(r, "includeObject");
		reply_json(r, code, api_table(r->res, items, inc ? inc : "Metadata", NULL));
		json_decref(items);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	api_object_append_with_rv(&sb, json, len, rev);
	size_t n = sb.len;
	reply_raw(r, code, "application/json", sb_steal(&sb), n);
}

bool namespace_usable(struct req *r, const char *ns)
{
	const struct api_resource *nsr = api_resource_find("", "v1", "namespaces");
	char *key = key_for(nsr, NULL, ns);
	struct store_kv kv = {0};
	int rc = store_get(r->srv->store, key, &kv);
	free(key);
	if (rc == -ENOENT) {
		reply_not_found(r, nsr, ns);
		return false;
	}
	if (rc < 0) {
		reply_store_error(r, rc);
		return false;
	}
	bool terminating = strstr(kv.value, "\"deletionTimestamp\"") != NULL;
	store_kv_free(&kv);
	if (terminating && strcmp(r->method, "DELETE")) {
		char *msg = xasprintf("%s \"%s\" is forbidden: unable to create new content in "
				      "namespace %s because it is being terminated",
				      r->res->plural, "", ns);
		reply_json(
		    r, 403,
		    api_status_details(403, "Forbidden", msg, r->res->group, r->res->plural, NULL));
		free(msg);
		return false;
	}
	return true;
}

/* Reads the routed object into kv; replies 404 or a store error and returns <0 if it cannot. */
static int load_kv(struct req *r, struct store_kv *kv)
{
	char *key = key_for(r->res, r->ns, r->name);
	int rc = store_get(r->srv->store, key, kv);
	free(key);
	if (rc == -ENOENT)
		reply_not_found(r, r->res, r->name);
	else if (rc < 0)
		reply_store_error(r, rc);
	return rc;
}

json_t *load_current(struct req *r, int64_t *rev)
{
	struct store_kv kv = {0};
	if (load_kv(r, &kv) < 0)
		return NULL;
	json_t *obj = api_object_decode(kv.value, kv.len, kv.mod_rev);
	*rev = kv.mod_rev;
	store_kv_free(&kv);
	if (!obj)
		reply_status(r, 500, "InternalError", "stored object is not valid JSON");
	return obj;
}

static void do_get(struct req *r)
{
	struct store_kv kv = {0};
	if (load_kv(r, &kv) == 0)
		reply_stored(r, 200, kv.value, kv.len, kv.mod_rev);
	store_kv_free(&kv);
}

struct list_ctx {
	struct label_selector *ls;
	struct field_selector *fs;
	size_t limit, count;
	bool table, stopped;
	struct strbuf out; /* items as JSON text, comma separated */
	json_t *items;	   /* items as objects, for Table output */
	char *last_key;
};

static int list_visit(const struct store_kv *kv, void *arg)
{
	struct list_ctx *c = arg;
	if (c->limit && c->count == c->limit) {
		c->stopped = true;
		return 1;
	}
	json_t *obj = NULL;
	if (c->ls || c->fs || c->table) {
		obj = api_object_decode(kv->value, kv->len, kv->mod_rev);
		if (!obj)
			return 0;
		json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
		if ((c->ls && !label_selector_matches(c->ls, labels)) ||
		    (c->fs && !field_selector_matches(c->fs, obj))) {
			json_decref(obj);
			return 0;
		}
	}
	if (c->table) {
		json_array_append_new(c->items, obj);
	} else {
		if (c->count)
			sb_append(&c->out, ",", 1);
		api_object_append_with_rv(&c->out, kv->value, kv->len, kv->mod_rev);
		json_decref(obj);
	}
	c->count++;
	free(c->last_key);
	c->last_key = xstrdup(kv->key);
	return 0;
}

/* Continue tokens: "<rev>.<hex of the last key>", opaque to clients. */
static char *continue_encode(int64_t rev, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%lld.", (long long)rev);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		sb_printf(&sb, "%02x", *p);
	return sb_steal(&sb);
}

static int continue_decode(const char *tok, int64_t *rev, char **key)
{
	char *dot;
	long long v = strtoll(tok, &dot, 10);
	if (dot == tok || *dot != '.' || v <= 0 || strlen(dot + 1) % 2)
		return -EINVAL;
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = dot + 1; *p; p += 2) {
		unsigned byte;
		if (sscanf(p, "%2x", &byte) != 1 || byte == 0) {
			sb_free(&sb);
			return -EINVAL;
		}
		char ch = (char)byte;
		sb_append(&sb, &ch, 1);
	}
	*rev = v;
	*key = sb_steal(&sb);
	return 0;
}

static int list_parse_params(struct req *r, struct list_ctx *c, int64_t *rev, char **start)
{
	char *err = NULL;
	const char *ls = req_query(r, "labelSelector");
	const char *fs = req_query(r, "fieldSelector");
	const char *limit = req_query(r, "limit");
	const char *cont = req_query(r, "continue");
	if (ls && *ls && label_selector_parse(ls, &c->ls, &err) < 0)
		goto bad;
	if (fs && *fs && field_selector_parse(fs, r->res->field_labels, &c->fs, &err) < 0)
		goto bad;
	if (limit && *limit) {
		char *end;
		long long v = strtoll(limit, &end, 10);
		if (*end || v < 0) {
			err = xasprintf("invalid limit: %s", limit);
			goto bad;
		}
		c->limit = (size_t)v;
	}
	if (cont && *cont && continue_decode(cont, rev, start) < 0) {
		err = xstrdup("continue key is not valid: invalid continue token");
		goto bad;
	}
	return 0;
bad:
	reply_status(r, 400, "BadRequest", "%s", err);
	free(err);
	return -EINVAL;
}

static void reply_list(struct req *r, struct list_ctx *c, int64_t rev)
{
	json_t *meta = json_object();
	char rv[32];
	snprintf(rv, sizeof(rv), "%lld", (long long)rev);
	json_object_set_new(meta, "resourceVersion", json_string(rv));
	char *cont = c->stopped ? continue_encode(rev, c->last_key) : NULL;
	if (cont)
		json_object_set_new(meta, "continue", json_string(cont));
	if (c->table) {
		const char *inc = req_query(r, "includeObject");
		reply_json(r, 200, api_table(r->res, c->items, inc ? inc : "Metadata", meta));
		json_decref(meta);
		free(cont);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	char *m = json_dumps(meta, JSON_COMPACT);
	sb_printf(&sb, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":%s,\"items\":[",
		  r->res->kind, r->res->api_version, m);
	sb_append(&sb, c->out.buf ? c->out.buf : "", c->out.len);
	sb_puts(&sb, "]}");
	free(m);
	free(cont);
	json_decref(meta);
	size_t n = sb.len;
	reply_raw(r, 200, "application/json", sb_steal(&sb), n);
}

static void do_list(struct req *r)
{
	struct list_ctx c = {.out = STRBUF_INIT, .table = wants_table(r)};
	int64_t at_rev = 0, rev = 0;
	char *start = NULL;
	bool more = false;
	if (list_parse_params(r, &c, &at_rev, &start) < 0)
		goto out;
	if (c.table)
		c.items = json_array();
	char *prefix = key_prefix(r->res, r->ns);
	int rc = store_range(r->srv->store, prefix, start, 0, at_rev, list_visit, &c, &rev, &more);
	free(prefix);
	if (rc == -ERANGE)
		reply_status(r, 410, "Expired",
			     "The provided continue parameter is too old to display a consistent "
			     "list result. You can start a new list without the continue "
			     "parameter.");
	else if (rc < 0)
		reply_store_error(r, rc);
	else
		reply_list(r, &c, rev);
out:
	label_selector_free(c.ls);
	field_selector_free(c.fs);
	json_decref(c.items);
	sb_free(&c.out);
	free(c.last_key);
	free(start);
}

static void reply_not_allowed(struct req *r)
{
	reply_status(r, 405, "MethodNotAllowed",
		     "the server does not allow this method on the requested resource");
}

void rest_handle(struct req *r)
{
	const char *m = r->method;
	const char *inc = req_query(r, "includeObject");
	if (inc && !api_table_include_valid(inc)) {
		reply_status(r, 400, "BadRequest",
			     "includeObject must be one of None, Metadata or Object, not \"%s\"",
			     inc);
		return;
	}
	if (r->res->namespaced && !r->ns && (r->name || strcmp(m, "GET"))) {
		reply_status(r, 404, "NotFound",
			     "the server could not find the requested resource");
		return;
	}
	bool binding = r->sub && !strcmp(r->sub, "binding"); /* serves create only */
	if (binding && !strcmp(m, "POST")) {
		r->verb = "create";
		rest_bind(r);
	} else if (binding) {
		r->verb = "other";
		reply_not_allowed(r);
	} else if (!strcmp(m, "GET")) {
		r->verb = r->name ? "get" : "list";
		r->name ? do_get(r) : do_list(r);
	} else if (!strcmp(m, "POST") && !r->name) {
		r->verb = "create";
		rest_create(r);
	} else if (!strcmp(m, "PUT") && r->name) {
		r->verb = "update";
		rest_update(r);
	} else if (!strcmp(m, "PATCH") && r->name) {
		r->verb = "patch";
		rest_patch(r);
	} else if (!strcmp(m, "DELETE")) {
		r->verb = r->name ? "delete" : "deletecollection";
		r->name ? rest_delete(r) : rest_delete_collection(r);
	} else {
		r->verb = "other";
		reply_not_allowed(r);
	}
}
