/*
 * The Table row of a Pod, as kube-apiserver's printPod fills it: above all
 * the STATUS column, from the phase, the init and app container statuses
 * and the deletion timestamp, and the RESTARTS column.
 */
#include "api/table-internal.h"

#include <string.h>

static const struct column pod_cols[] = {
    {NAME_FIELDS},
    {"Ready", "string", "", 0, "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", "string", "", 0, "The aggregate status of the containers in this pod."},
    {"Restarts", "string", "", 0,
     "The number of times the containers in this pod have been restarted and when the last "
     "container in this pod has restarted."},
    {AGE_FIELDS},
    {"IP", "string", "", 1,
     "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
     "yet allocated."},
    {"Node", "string", "", 1,
     "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
     "candidate for scheduling by the scheduler defined in schedulerName."},
    {"Nominated Node", "string", "", 1,
     "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
     "cannot be scheduled right away as preemption victims receive their graceful termination "
     "periods."},
    {"Readiness Gates", "string", "", 1,
     "If specified, all readiness gates will be evaluated for pod readiness."},
};

struct pod_state {
	char *reason; /* owned */
	long long restarts;
	int ready;
	int total;
	int64_t last_restart;
	long long sidecar_restarts; /* restartable init containers only */
	int64_t sidecar_last_restart;
};

static void set_reason(struct pod_state *st, char *reason)
{
	free(st->reason);
	st->reason = reason;
}

static bool has_condition(const json_t *pod, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach((json_t *)at(pod, "status", "conditions", NULL), i, c)
	{
		if (!strcmp(str(json_object_get(c, "type")), type))
			return !strcmp(str(json_object_get(c, "status")), "True");
	}
	return false;
}

/* An init container with restartPolicy Always: a sidecar that keeps running. */
static bool is_sidecar(const json_t *pod, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach((json_t *)at(pod, "spec", "initContainers", NULL), i, c)
	{
		if (!strcmp(str(json_object_get(c, "name")), name))
			return !strcmp(str(json_object_get(c, "restartPolicy")), "Always");
	}
	return false;
}

/* Counts a status's restarts and keeps the latest finishedAt of its last termination. */
static void count_restarts(const json_t *cs, long long *restarts, int64_t *last)
{
	int64_t t = table_time_of(at(cs, "lastState", "terminated", "finishedAt", NULL));

	*restarts += num(json_object_get(cs, "restartCount"));
	if (t != TIME_ZERO && (*last == TIME_ZERO || t > *last))
		*last = t;
}

/* "Signal:9" or "ExitCode:1" (with prefix "Init:" for init containers). */
static char *exit_reason(const char *prefix, const json_t *term)
{
	json_int_t sig = num(json_object_get(term, "signal"));

	if (sig)
		return xasprintf("%sSignal:%lld", prefix, (long long)sig);
	return xasprintf("%sExitCode:%lld", prefix,
			 (long long)num(json_object_get(term, "exitCode")));
}

/*
 * Walks the init container statuses; returns true while the pod is still
 * initializing, with st->reason saying at which step ("Init:0/2",
 * "Init:CrashLoopBackOff", "Init:ExitCode:1").
 */
static bool pod_init_status(const json_t *pod, struct pod_state *st)
{
	size_t i, ninit = json_array_size(at(pod, "spec", "initContainers", NULL));
	json_t *cs;

	json_array_foreach((json_t *)at(pod, "status", "initContainerStatuses", NULL), i, cs)
	{
		const json_t *term = at(cs, "state", "terminated", NULL);
		const char *waiting = str(at(cs, "state", "waiting", "reason", NULL));
		bool sidecar = is_sidecar(pod, str(json_object_get(cs, "name")));

		count_restarts(cs, &st->restarts, &st->last_restart);
		if (sidecar)
			count_restarts(cs, &st->sidecar_restarts, &st->sidecar_last_restart);
		if (term && !num(json_object_get(term, "exitCode")))
			continue;
		if (sidecar && truthy(json_object_get(cs, "started"))) {
			st->ready += truthy(json_object_get(cs, "ready"));
			continue;
		}
		if (term && *str(json_object_get(term, "reason")))
			set_reason(st, xasprintf("Init:%s", str(json_object_get(term, "reason"))));
		else if (term)
			set_reason(st, exit_reason("Init:", term));
		else if (*waiting && strcmp(waiting, "PodInitializing"))
			set_reason(st, xasprintf("Init:%s", waiting));
		else
			set_reason(st, xasprintf("Init:%zu/%zu", i, ninit));
		return true;
	}
	return false;
}

/* Walks the app container statuses, last to first, as the apiserver does. */
static void pod_main_status(const json_t *pod, struct pod_state *st)
{
	const json_t *statuses = at(pod, "status", "containerStatuses", NULL);
	bool running = false;

	st->restarts = st->sidecar_restarts;
	st->last_restart = st->sidecar_last_restart;
	for (size_t i = json_array_size(statuses); i-- > 0;) {
		const json_t *cs = json_array_get(statuses, i);
		const json_t *term = at(cs, "state", "terminated", NULL);
		const char *waiting = str(at(cs, "state", "waiting", "reason", NULL));

		count_restarts(cs, &st->restarts, &st->last_restart);
		if (*waiting)
			set_reason(st, xstrdup(waiting));
		else if (term && *str(json_object_get(term, "reason")))
			set_reason(st, xstrdup(str(json_object_get(term, "reason"))));
		else if (term)
			set_reason(st, exit_reason("", term));
		else if (truthy(json_object_get(cs, "ready")) && at(cs, "state", "running", NULL)) {
			running = true;
			st->ready++;
		}
	}
	if (!strcmp(st->reason, "Completed") && running)
		set_reason(st, xstrdup(has_condition(pod, "Ready") ? "Running" : "NotReady"));
}

/* The STATUS column: phase, overridden by what the containers say. */
static void pod_status(const json_t *pod, struct pod_state *st)
{
	const char *phase = str(at(pod, "status", "phase", NULL));
	const char *reason = str(at(pod, "status", "reason", NULL));
	size_t i;
	json_t *c;

	st->reason = xstrdup(*reason ? reason : phase);
	json_array_foreach((json_t *)at(pod, "status", "conditions", NULL), i, c)
	{
		if (!strcmp(str(json_object_get(c, "type")), "PodScheduled") &&
		    !strcmp(str(json_object_get(c, "reason")), "SchedulingGated"))
			set_reason(st, xstrdup("SchedulingGated"));
	}
	st->total = (int)json_array_size(at(pod, "spec", "containers", NULL));
	json_array_foreach((json_t *)at(pod, "spec", "initContainers", NULL), i, c)
	{
		st->total += !strcmp(str(json_object_get(c, "restartPolicy")), "Always");
	}
	if (!pod_init_status(pod, st) || has_condition(pod, "Initialized"))
		pod_main_status(pod, st);
	if (json_string_value(at(pod, "metadata", "deletionTimestamp", NULL))) {
		if (!strcmp(reason, "NodeLost"))
			set_reason(st, xstrdup("Unknown"));
		else if (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"))
			set_reason(st, xstrdup("Terminating"));
	}
}

/* "2/3" readiness gates whose condition is True, "<none>" without gates. */
static char *pod_readiness_gates(const json_t *pod)
{
	const json_t *gates = at(pod, "spec", "readinessGates", NULL);
	const json_t *conds = at(pod, "status", "conditions", NULL);
	size_t i, j, ok = 0;
	json_t *g, *c;

	if (!json_array_size(gates))
		return xstrdup("<none>");
	json_array_foreach((json_t *)gates, i, g)
	{
		const char *type = str(json_object_get(g, "conditionType"));

		json_array_foreach((json_t *)conds, j, c)
		{
			if (strcmp(str(json_object_get(c, "type")), type))
				continue;
			ok += !strcmp(str(json_object_get(c, "status")), "True");
			break;
		}
	}
	return xasprintf("%zu/%zu", ok, json_array_size(gates));
}

static const char *or_none(const char *s)
{
	return *s ? s : "<none>";
}

/* Succeeded and Failed pods carry a Completed row condition. */
static void pod_conditions(const json_t *pod, json_t *row)
{
	const char *phase = str(at(pod, "status", "phase", NULL));
	const char *msg = NULL;

	if (!strcmp(phase, "Succeeded"))
		msg = "The pod has completed successfully.";
	else if (!strcmp(phase, "Failed"))
		msg = "The pod failed.";
	if (msg)
		json_object_set_new(row, "conditions",
				    json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed",
					      "status", "True", "reason", phase, "message", msg));
}

static void pod_row(const json_t *pod, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	struct pod_state st = {.last_restart = TIME_ZERO, .sidecar_last_restart = TIME_ZERO};
	const json_t *ips = at(pod, "status", "podIPs", NULL);
	const char *ip = str(at(json_array_get(ips, 0), "ip", NULL));
	char *restarts, *ago;

	pod_status(pod, &st);
	if (!json_array_size(ips))
		ip = str(at(pod, "status", "podIP", NULL));
	if (st.restarts && st.last_restart != TIME_ZERO) {
		ago = table_since(st.last_restart, now);
		restarts = xasprintf("%lld (%s ago)", st.restarts, ago);
		free(ago);
	} else {
		restarts = xasprintf("%lld", st.restarts);
	}
	add_str(cells, str(at(pod, "metadata", "name", NULL)));
	add_own(cells, xasprintf("%d/%d", st.ready, st.total));
	add_own(cells, st.reason);
	add_own(cells, restarts);
	add_own(cells, table_age(pod, now));
	add_str(cells, or_none(ip));
	add_str(cells, or_none(str(at(pod, "spec", "nodeName", NULL))));
	add_str(cells, or_none(str(at(pod, "status", "nominatedNodeName", NULL))));
	add_own(cells, pod_readiness_gates(pod));
	pod_conditions(pod, row);
}

const struct table_printer table_pod_printer = PRINTER("Pod", pod_cols, pod_row);
