/*
 * The Pod object of `svcnet run NAME ... -- COMMAND ARGS...`, as `kubectl
 * run` builds one: a single container named after the pod, labels run=NAME
 * unless given, the command, a port and a readiness probe.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* "k=v,k2=v2" into a new object; NULL with *err when malformed. */
static json_t *parse_pairs(const char *flag, const char *s, char **err)
{
	json_t *out = json_object();
	char *copy = xstrdup(s), *save = NULL;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			*err = xasprintf("--%s %s: expected KEY=VALUE[,KEY=VALUE...]", flag, s);
			json_decref(out);
			out = NULL;
			break;
		}
		*eq = 0;
		json_object_set_new(out, kv, json_string(eq + 1));
	}
	free(copy);
	return out;
}

/* "[name:]PORT" into a containerPort object; NULL with *err when malformed. */
static json_t *parse_port(const char *s, char **err)
{
	const char *colon = strchr(s, ':'), *num = colon ? colon + 1 : s;
	char *end;
	long port = strtol(num, &end, 10);
	if (!*num || *end || port < 1 || port > 65535 || (colon && colon == s)) {
		*err = xasprintf("--port %s: expected [NAME:]PORT with PORT from 1 to 65535", s);
		return NULL;
	}
	json_t *p = json_pack("{s:I,s:s}", "containerPort", (json_int_t)port, "protocol", "TCP");
	if (colon)
		json_object_set_new(p, "name", json_stringn(s, (size_t)(colon - s)));
	return p;
}

static json_t *container(const struct agent_run_opts *o, char **err)
{
	json_t *c = json_pack("{s:s,s:s,s:[s],s:[]}", "name", o->name, "image", "svcnet/local",
			      "command", o->cmd[0], "args");
	for (size_t i = 1; o->cmd[i]; i++)
		json_array_append_new(json_object_get(c, "args"), json_string(o->cmd[i]));
	json_t *v;
	if (o->port) {
		if (!(v = parse_port(o->port, err)))
			goto fail;
		json_object_set_new(c, "ports", json_pack("[o]", v));
	}
	if (o->readiness) {
		if (!(v = agent_readiness_flag(o->readiness, err)))
			goto fail;
		if (o->period_s > 0)
			json_object_set_new(v, "periodSeconds", json_integer(o->period_s));
		json_object_set_new(c, "readinessProbe", v);
	}
	if (o->env) {
		json_t *pairs = parse_pairs("env", o->env, err), *env = json_array();
		const char *k;
		if (!pairs) {
			json_decref(env);
			goto fail;
		}
		json_object_foreach(pairs, k, v)
		    json_array_append_new(env, json_pack("{s:s,s:O}", "name", k, "value", v));
		json_decref(pairs);
		json_object_set_new(c, "env", env);
	}
	return c;
fail:
	json_decref(c);
	return NULL;
}

json_t *agent_run_pod(const struct agent_run_opts *o, char **err)
{
	if (!o->cmd || !o->cmd[0]) {
		*err = xstrdup("a command is required after --");
		return NULL;
	}
	json_t *labels =
	    o->labels ? parse_pairs("labels", o->labels, err) : json_pack("{s:s}", "run", o->name);
	if (!labels)
		return NULL;
	json_t *c = container(o, err);
	if (!c) {
		json_decref(labels);
		return NULL;
	}
	json_t *pod =
	    json_pack("{s:s,s:s,s:{s:s,s:o},s:{s:[o],s:s}}", "apiVersion", "v1", "kind", "Pod",
		      "metadata", "name", o->name, "labels", labels, "spec", "containers", c,
		      "restartPolicy", o->restart ? o->restart : "Always");
	if (o->ns)
		json_object_set_new(json_object_get(pod, "metadata"), "namespace",
				    json_string(o->ns));
	if (o->node)
		json_object_set_new(json_object_get(pod, "spec"), "nodeName", json_string(o->node));
	return pod;
}
