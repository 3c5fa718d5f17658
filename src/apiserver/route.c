/*
 * Maps a URL path to (resource, namespace, name, subresource):
 *   /api/v1/RESOURCE[/NAME[/SUB]]                     cluster scope or all namespaces
 *   /api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]]
 *   /apis/GROUP/VERSION/... likewise
 * SUB is "status" where the kind has one, "finalize" for a namespace and
 * "binding" for a pod.
 */
#include "apiserver/apiserver-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 8

static int split(char *path, char **segs)
{
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS)
			return -1;
		segs[n++] = tok;
	}
	return n;
}

static int route_rest(struct req *r, char **s, int n, const char *group, const char *version)
{
	const struct api_resource *ns_res = api_resource_find("", "v1", "namespaces");
	/* namespaces/NS/RESOURCE... unless it is the namespace's own subresource. */
	if (n >= 3 && !strcmp(s[0], "namespaces") &&
	    !(n == 3 && !*group && (!strcmp(s[2], "status") || !strcmp(s[2], "finalize")))) {
		r->ns = strdup(s[1]);
		s += 2;
		n -= 2;
	} else if (n >= 1 && !strcmp(s[0], "namespaces") && *group) {
		return -ENOENT;
	}
	if (n < 1 || n > 3)
		return -ENOENT;
	r->res = api_resource_find(group, version, s[0]);
	if (!r->res)
		return -ENOENT;
	if (r->ns && !r->res->namespaced)
		return -ENOENT;
	if (n >= 2)
		r->name = strdup(s[1]);
	if (n == 3) {
		bool ok = (!strcmp(s[2], "status") && r->res->has_status) ||
			  (r->res == ns_res && !strcmp(s[2], "finalize")) ||
			  (!strcmp(s[2], "binding") && !strcmp(r->res->kind, "Pod"));
		if (!ok)
			return -ENOENT;
		r->sub = strdup(s[2]);
	}
	return 0;
}

int route_parse(struct req *r)
{
	char *copy = strdup(r->path);
	char *s[MAX_SEGS];
	int n = split(copy, s);
	int rc = -ENOENT;
	if (n >= 3 && !strcmp(s[0], "api") && !strcmp(s[1], "v1"))
		rc = route_rest(r, s + 2, n - 2, "", "v1");
	else if (n >= 4 && !strcmp(s[0], "apis"))
		rc = route_rest(r, s + 3, n - 3, s[1], s[2]);
	free(copy);
	return rc;
}

char *key_for(const struct api_resource *res, const char *ns, const char *name)
{
	if (res->namespaced)
		return xasprintf("/registry/%s/%s/%s", res->plural, ns, name);
	return xasprintf("/registry/%s/%s", res->plural, name);
}

char *key_prefix(const struct api_resource *res, const char *ns)
{
	if (res->namespaced && ns)
		return xasprintf("/registry/%s/%s/", res->plural, ns);
	return xasprintf("/registry/%s/", res->plural);
}

bool wants_table(struct req *r)
{
	const char *accept = req_header(r, "Accept");
	return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io");
}
