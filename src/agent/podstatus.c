/*
 * A pod's status as the kubelet writes it through /status: phase, podIP(s),
 * hostIP(s), startTime, the four conditions and the container's status.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static json_t *condition(const char *type, bool status, const char *since)
{
	return json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status", status ? "True" : "False",
			 "lastProbeTime", "lastTransitionTime", since);
}

/* The container's state object; called with p->lock held. */
static json_t *container_state(const struct agent_pod *p)
{
	if (p->state == AGENT_C_RUNNING)
		return json_pack("{s:{s:s}}", "running", "startedAt", p->started_at);
	if (p->state == AGENT_C_WAITING)
		return json_pack("{s:{s:s}}", "waiting", "reason",
				 p->waiting_reason ? p->waiting_reason : "ContainerCreating");
	return json_pack("{s:{s:i,s:s,s:s,s:s}}", "terminated", "exitCode", p->exit_code, "reason",
			 p->exit_code == 0 ? "Completed" : "Error", "startedAt", p->started_at,
			 "finishedAt", p->finished_at);
}

static const char *phase(const struct agent_pod *p)
{
	if (p->state != AGENT_C_TERMINATED || p->restart_at)
		return "Running";
	return p->exit_code == 0 ? "Succeeded" : "Failed";
}

json_t *agent_pod_status(struct agent_pod *p)
{
	const json_t *c =
	    json_array_get(json_object_get(json_object_get(p->pod, "spec"), "containers"), 0);
	const char *cname = json_string_value(json_object_get(c, "name"));
	const char *image = json_string_value(json_object_get(c, "image"));
	pthread_mutex_lock(&p->lock);
	const char *since = p->ready_since[0] ? p->ready_since : p->start_time;
	json_t *cs = json_pack("{s:s,s:s,s:s,s:b,s:b,s:i,s:o}", "name", cname ? cname : "", "image",
			       image ? image : "svcnet/local", "imageID", "", "ready", p->ready,
			       "started", p->state == AGENT_C_RUNNING, "restartCount", p->restarts,
			       "state", container_state(p));
	json_t *conds = json_pack("[o,o,o,o]", condition("PodScheduled", true, p->start_time),
				  condition("Initialized", true, p->start_time),
				  condition("ContainersReady", p->ready, since),
				  condition("Ready", p->ready, since));
	json_t *st =
	    json_pack("{s:s,s:s,s:[{s:s}],s:s,s:[{s:s}],s:s,s:o,s:[o],s:s}", "phase", phase(p),
		      "podIP", p->ip, "podIPs", "ip", p->ip, "hostIP", p->a->node_ip, "hostIPs",
		      "ip", p->a->node_ip, "startTime", p->start_time, "conditions", conds,
		      "containerStatuses", cs, "qosClass", "BestEffort");
	p->status_dirty = false;
	pthread_mutex_unlock(&p->lock);
	return json_pack("{s:o}", "status", st);
}

int agent_pod_write_status(struct agent_pod *p)
{
	json_t *patch = agent_pod_status(p), *resp = NULL;
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s/status", p->ns, p->name);
	int rc = kclient_patch(p->a->kc, path, "merge", patch, &resp);
	if (rc != 200) {
		log_warn("agent", "pod %s: writing status: %s", p->key,
			 rc < 0 ? strerror(-rc)
				: json_string_value(json_object_get(resp, "message")) ?: "HTTP error");
		pthread_mutex_lock(&p->lock);
		p->status_dirty = rc != 404;
		pthread_mutex_unlock(&p->lock);
	}
	json_decref(resp);
	json_decref(patch);
	free(path);
	return rc == 200 ? 0 : rc < 0 ? rc : -EIO;
}
