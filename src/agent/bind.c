/*
 * Binding an unscheduled pod to this node when it is the only one, as a
 * trivial scheduler would: POST pods/NAME/binding, as kube-scheduler does,
 * with the pod's uid as a precondition so that a pod re-created under the
 * same name is not bound by a decision about the old one.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int agent_bind(struct agent *a, const json_t *obj)
{
	const char *ns = api_meta_str(obj, "namespace"), *name = api_meta_str(obj, "name");
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s/binding", ns, name);
	json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}", "apiVersion", "v1",
			      "kind", "Binding", "metadata", "name", name, "namespace", ns, "uid",
			      api_meta_str(obj, "uid"), "target", "apiVersion", "v1", "kind",
			      "Node", "name", a->node);
	json_t *resp = NULL;
	int rc = kclient_post(a->kc, path, b, &resp);
	const char *why = json_string_value(json_object_get(resp, "message"));
	if (rc == 200 || rc == 201)
		log_info("agent", "pod %s/%s: bound to node %s", ns, name, a->node);
	else if (rc == 404 || rc == 409)
		/* Gone, bound by someone else, or re-created: the informers bring what is next. */
		log_info("agent", "pod %s/%s: not bound: %s", ns, name, why ? why : "conflict");
	else
		log_warn("agent", "pod %s/%s: binding to node %s failed: HTTP %d%s%s", ns, name,
			 a->node, rc, why ? ": " : "", why ? why : "");
	json_decref(resp);
	json_decref(b);
	free(path);
	return rc == 200 || rc == 201 || rc == 404 || rc == 409 ? 0 : -EIO;
}
