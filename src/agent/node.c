/*
 * This machine's Node object: created or updated at start (the host name
 * and zone labels, the pod CIDR), its status written with the node's
 * address and a Ready condition, and that condition's heartbeat renewed
 * every few seconds, as the kubelet does.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static json_t *node_labels(const struct agent *a)
{
	json_t *l = json_pack("{s:s,s:s,s:s}", "kubernetes.io/hostname", a->node,
			      "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64");
	if (a->zone)
		json_object_set_new(l, "topology.kubernetes.io/zone", json_string(a->zone));
	return l;
}

static char *message(int rc, json_t *resp)
{
	if (rc < 0)
		return xasprintf("cannot reach the API server: %s", strerror(-rc));
	const char *m = json_string_value(json_object_get(resp, "message"));
	return xasprintf("HTTP %d: %s", rc, m ? m : "no message");
}

int agent_node_register(struct agent *a, char **err)
{
	char *path = xasprintf("/api/v1/nodes/%s", a->node);
	char cidr[CIDR_STRLEN];
	ip_cidr_format(&a->ipam.cidr, cidr);
	json_t *resp = NULL;
	int rc = kclient_get(a->kc, path, &resp);
	json_decref(resp);
	resp = NULL;
	if (rc == 404) {
		json_t *node = json_pack("{s:s,s:s,s:{s:s,s:o},s:{s:s,s:[s]}}", "apiVersion", "v1",
					 "kind", "Node", "metadata", "name", a->node, "labels",
					 node_labels(a), "spec", "podCIDR", cidr, "podCIDRs", cidr);
		rc = kclient_post(a->kc, "/api/v1/nodes", node, &resp);
		json_decref(node);
		rc = rc == 201 ? 200 : rc;
	} else if (rc == 200) {
		json_t *patch = json_pack("{s:{s:o}}", "metadata", "labels", node_labels(a));
		rc = kclient_patch(a->kc, path, "merge", patch, &resp);
		json_decref(patch);
	}
	if (rc != 200) {
		char *m = message(rc, resp);
		*err = xasprintf("registering node %s: %s", a->node, m);
		free(m);
	}
	json_decref(resp);
	free(path);
	if (rc != 200)
		return rc < 0 ? rc : -EIO;
	log_info("agent", "node %s registered (address %s, zone %s)", a->node, a->node_ip,
		 a->zone ? a->zone : "none");
	agent_node_heartbeat(a);
	return 0;
}

int agent_node_heartbeat(struct agent *a)
{
	char now[24];
	api_format_time(time(NULL), now);
	if (!a->ready_since[0])
		memcpy(a->ready_since, now, sizeof(now));
	json_t *st = json_pack(
	    "{s:{s:[{s:s,s:s},{s:s,s:s}],s:[{s:s,s:s,s:s,s:s,s:s,s:s}],s:{s:s,s:s,s:s}}}", "status",
	    "addresses", "type", "InternalIP", "address", a->node_ip, "type", "Hostname", "address",
	    a->node, "conditions", "type", "Ready", "status", "True", "reason", "KubeletReady",
	    "message", "svcnet agent is posting ready status", "lastHeartbeatTime", now,
	    "lastTransitionTime", a->ready_since, "nodeInfo", "kubeletVersion", "v1.32.0-svcnet",
	    "operatingSystem", "linux", "architecture", "amd64");
	char *path = xasprintf("/api/v1/nodes/%s/status", a->node);
	json_t *resp = NULL;
	int rc = kclient_patch(a->kc, path, "strategic", st, &resp);
	if (rc != 200) {
		char *m = message(rc, resp);
		log_warn("agent", "node %s: status: %s", a->node, m);
		free(m);
	}
	json_decref(resp);
	json_decref(st);
	free(path);
	return rc == 200 ? 0 : rc < 0 ? rc : -EIO;
}

bool agent_node_alone(struct agent *a)
{
	json_t *list = NULL;
	bool alone = false;
	if (kclient_get(a->kc, "/api/v1/nodes", &list) == 200) {
		json_t *items = json_object_get(list, "items");
		alone = json_array_size(items) == 1 &&
			!strcmp(api_meta_str(json_array_get(items, 0), "name"), a->node);
	}
	json_decref(list);
	return alone;
}
