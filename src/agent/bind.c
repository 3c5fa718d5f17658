/*
 * Binding an unscheduled pod to this node when it is the only one, as a
 * trivial scheduler would: POST pods/NAME/binding, which kube-apiserver
 * serves; when this API server does not, the pod is re-created with
 * spec.nodeName set, since an update may not change spec.nodeName.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int post_binding(struct agent *a, const char *ns, const char *name)
{
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s/binding", ns, name);
	json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s}}", "apiVersion", "v1", "kind",
			      "Binding", "metadata", "name", name, "namespace", ns, "target",
			      "apiVersion", "v1", "kind", "Node", "name", a->node);
	json_t *resp = NULL;
	int rc = kclient_post(a->kc, path, b, &resp);
	json_decref(resp);
	json_decref(b);
	free(path);
	return rc;
}

/* A copy of obj fit to create again: user metadata and spec, spec.nodeName set. */
static json_t *recreated(const struct agent *a, const json_t *obj)
{
	json_t *p = json_deep_copy(obj);
	json_t *meta = json_object_get(p, "metadata");
	static const char *const drop[] = {"uid",	 "resourceVersion", "creationTimestamp",
					   "generation", "managedFields",   "selfLink"};
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(meta, drop[i]);
	json_object_del(p, "status");
	json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(a->node));
	return p;
}

int agent_bind(struct agent *a, const json_t *obj)
{
	const char *ns = api_meta_str(obj, "namespace"), *name = api_meta_str(obj, "name");
	int rc = post_binding(a, ns, name);
	if (rc == 200 || rc == 201) {
		log_info("agent", "pod %s/%s: bound to node %s", ns, name, a->node);
		return 0;
	}
	json_t *copy = recreated(a, obj), *resp = NULL;
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", ns, name);
	char *coll = xasprintf("/api/v1/namespaces/%s/pods", ns);
	rc = kclient_delete(a->kc, path, &resp);
	json_decref(resp);
	resp = NULL;
	if (rc == 200)
		rc = kclient_post(a->kc, coll, copy, &resp);
	if (rc == 201 || rc == 200)
		log_info("agent", "pod %s/%s: bound to node %s by re-creating it (no pods/binding)",
			 ns, name, a->node);
	else
		log_warn("agent", "pod %s/%s: binding to node %s failed: HTTP %d", ns, name,
			 a->node, rc);
	json_decref(resp);
	json_decref(copy);
	free(coll);
	free(path);
	return rc == 201 || rc == 200 ? 0 : -EIO;
}
