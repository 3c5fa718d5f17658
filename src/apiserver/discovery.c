/* Discovery (/version, /api, /apis, resource lists) and the OpenAPI documents. */
#include "apiserver/apiserver-internal.h"

#include "api/schema.h"

#include <string.h>

static json_t *string_array(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *resource_list(const char *group, const char *version)
{
	static const char *const verbs[] = {"create", "delete", "deletecollection",
					    "get",    "list",	"patch",
					    "update", "watch",	NULL};
	static const char *const sub_verbs[] = {"get", "patch", "update", NULL};
	json_t *list = json_array();
	for (size_t i = 0; i < api_resource_count; i++) {
		const struct api_resource *r = &api_resources[i];
		if (strcmp(r->group, group) || strcmp(r->version, version))
			continue;
		json_t *e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural,
				      "singularName", r->singular, "namespaced", r->namespaced,
				      "kind", r->kind, "verbs", string_array(verbs));
		if (r->short_names)
			json_object_set_new(e, "shortNames", string_array(r->short_names));
		if (r->categories)
			json_object_set_new(e, "categories", string_array(r->categories));
		json_array_append_new(list, e);
		if (!strcmp(r->kind, "Pod")) /* served by rest_binding.c */
			json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, s:[s]}", "name",
							      "pods/binding", "singularName", "",
							      "namespaced", true, "kind", "Binding",
							      "verbs", "create"));
		if (r->has_status) {
			char *name = xasprintf("%s/status", r->plural);
			json_array_append_new(
			    list, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name,
					    "singularName", "", "namespaced", r->namespaced, "kind",
					    r->kind, "verbs", string_array(sub_verbs)));
			free(name);
		}
	}
	char *gv = *group ? xasprintf("%s/%s", group, version) : xstrdup(version);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion",
				"v1", "groupVersion", gv, "resources", list);
	free(gv);
	return doc;
}

static json_t *api_group(const char *group)
{
	char *gv = xasprintf("%s/v1", group);
	json_t *ver = json_pack("{s:s, s:s}", "groupVersion", gv, "version", "v1");
	json_t *g =
	    json_pack("{s:s, s:[O], s:O}", "name", group, "versions", ver, "preferredVersion", ver);
	json_decref(ver);
	free(gv);
	return g;
}

static json_t *group_list(void)
{
	json_t *groups = json_array();
	for (size_t i = 0; i < api_resource_count; i++) {
		const char *g = api_resources[i].group;
		bool seen = !*g;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(api_resources[j].group, g);
		if (!seen)
			json_array_append_new(groups, api_group(g));
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups",
			 groups);
}

static json_t *version_doc(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1", "minor",
			 "32", "gitVersion", "v1.32.0-svcnet", "gitCommit", "svcnet",
			 "gitTreeState", "clean", "buildDate", "2026-11-26T00:00:00Z", "goVersion",
			 "none (C)", "compiler", "gcc", "platform", "linux/amd64");
}

static bool openapi_handle(struct req *r)
{
	const char *p = r->path;
	if (!strcmp(p, "/openapi/v2")) {
		const char *accept = req_header(r, "Accept");
		if (accept && strstr(accept, "protobuf") && !strstr(accept, "json")) {
			/*
			 * kubectl asks for the v2 document as protobuf only to validate a
			 * kind: List client-side (v3 covers every served kind). A document
			 * with no definitions (field 1, swagger: "2.0") makes it leave the
			 * items to the server, which validates them itself.
			 */
			static const char doc[] = {0x0a, 0x03, '2', '.', '0'};
			char *body = xmalloc(sizeof(doc));
			memcpy(body, doc, sizeof(doc));
			reply_raw(r, 200, "application/octet-stream", body, sizeof(doc));
		} else
			reply_json(r, 200, api_openapi_v2());
		return true;
	}
	if (!strcmp(p, "/openapi/v3") || !strcmp(p, "/openapi/v3/")) {
		reply_json(r, 200, api_openapi_v3_root());
		return true;
	}
	if (!strncmp(p, "/openapi/v3/", 12)) {
		json_t *doc = api_openapi_v3_group(p + 12);
		if (doc)
			reply_json(r, 200, doc);
		else
			reply_status(r, 404, "NotFound", "no OpenAPI document for %s", p + 12);
		return true;
	}
	return false;
}

bool discovery_handle(struct req *r)
{
	const char *p = r->path;
	json_t *doc = NULL;
	if (strcmp(r->method, "GET"))
		return false;
	r->verb = "discovery";
	if (!strcmp(p, "/version") || !strcmp(p, "/version/"))
		doc = version_doc();
	else if (!strcmp(p, "/api") || !strcmp(p, "/api/"))
		doc = json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions",
				"v1", "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
				"serverAddress", r->srv->cfg.listen);
	else if (!strcmp(p, "/api/v1") || !strcmp(p, "/api/v1/"))
		doc = resource_list("", "v1");
	else if (!strcmp(p, "/apis") || !strcmp(p, "/apis/"))
		doc = group_list();
	if (doc) {
		reply_json(r, 200, doc);
		return true;
	}
	if (openapi_handle(r))
		return true;
	for (size_t i = 0; i < api_resource_count; i++) {
		const struct api_resource *res = &api_resources[i];
		if (!*res->group)
			continue;
		char *gpath = xasprintf("/apis/%s", res->group);
		char *gvpath = xasprintf("/apis/%s/%s", res->group, res->version);
		if (!strcmp(p, gpath)) {
			json_t *g = api_group(res->group);
			json_object_set_new(g, "kind", json_string("APIGroup"));
			json_object_set_new(g, "apiVersion", json_string("v1"));
			doc = g;
		} else if (!strcmp(p, gvpath)) {
			doc = resource_list(res->group, res->version);
		}
		free(gpath);
		free(gvpath);
		if (doc) {
			reply_json(r, 200, doc);
			return true;
		}
	}
	r->verb = "other";
	return false;
}
