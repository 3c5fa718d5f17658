/*
 * Readiness probe definitions: the readinessProbe object of a container with
 * the kubelet's defaults, and the short form `svcnet run --readiness` takes.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An integer field of probe, def when absent or below min. */
static int int_field(const json_t *probe, const char *key, int def, int min)
{
	const json_t *v = json_object_get(probe, key);
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return def;
	return (int)json_integer_value(v);
}

/* A port: a number, or the name of one of the container's ports. */
static int resolve_port(const json_t *port, const json_t *container, char **err)
{
	if (json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) < 65536)
		return (int)json_integer_value(port);
	const char *name = json_string_value(port);
	if (name) {
		char *end;
		long n = strtol(name, &end, 10);
		if (*name && !*end && n > 0 && n < 65536)
			return (int)n;
		size_t i;
		const json_t *p;
		json_array_foreach(json_object_get(container, "ports"), i, p)
		{
			const char *pn = json_string_value(json_object_get(p, "name"));
			json_t *cp = json_object_get(p, "containerPort");
			if (pn && !strcmp(pn, name) && json_is_integer(cp))
				return (int)json_integer_value(cp);
		}
	}
	*err = xasprintf("readinessProbe: port %s is not a number or a named port of the container",
			 name ? name : "(missing)");
	return -EINVAL;
}

static int parse_exec(const json_t *exec, struct agent_probe *out, char **err)
{
	const json_t *cmd = json_object_get(exec, "command");
	size_t n = json_array_size(cmd);
	if (!n) {
		*err = xstrdup("readinessProbe.exec.command: must not be empty");
		return -EINVAL;
	}
	out->argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out->argv[i] = xstrdup(json_string_value(json_array_get(cmd, i)) ?: "");
	out->kind = AGENT_PROBE_EXEC;
	return 0;
}

static int parse_handler(const json_t *probe, const json_t *container, struct agent_probe *out,
			 char **err)
{
	const json_t *h;
	if ((h = json_object_get(probe, "exec")))
		return parse_exec(h, out, err);
	bool http = (h = json_object_get(probe, "httpGet")) != NULL;
	if (!http && !(h = json_object_get(probe, "tcpSocket"))) {
		*err = xstrdup("readinessProbe: expected exec, httpGet or tcpSocket");
		return -EINVAL;
	}
	int port = resolve_port(json_object_get(h, "port"), container, err);
	if (port < 0)
		return port;
	out->port = port;
	out->kind = http ? AGENT_PROBE_HTTP : AGENT_PROBE_TCP;
	const char *host = json_string_value(json_object_get(h, "host"));
	out->host = host && *host ? xstrdup(host) : NULL;
	if (http) {
		const char *path = json_string_value(json_object_get(h, "path"));
		const char *scheme = json_string_value(json_object_get(h, "scheme"));
		out->path = xasprintf("%s%s", path && *path == '/' ? "" : "/", path ? path : "");
		out->https = scheme && !strcasecmp(scheme, "HTTPS");
	}
	return 0;
}

int agent_probe_parse(const json_t *probe, const json_t *container, struct agent_probe *out,
		      char **err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(probe))
		return 0;
	out->initial_delay_s = int_field(probe, "initialDelaySeconds", 0, 0);
	out->period_s = int_field(probe, "periodSeconds", 10, 1);
	out->timeout_s = int_field(probe, "timeoutSeconds", 1, 1);
	out->success_threshold = int_field(probe, "successThreshold", 1, 1);
	out->failure_threshold = int_field(probe, "failureThreshold", 3, 1);
	int rc = parse_handler(probe, container, out, err);
	if (rc < 0)
		agent_probe_free(out);
	return rc;
}

void agent_probe_free(struct agent_probe *p)
{
	free(p->path);
	free(p->host);
	agent_strv_free(p->argv);
	memset(p, 0, sizeof(*p));
}

/* The port of "PORT..." as a JSON number, or a name as a string; NULL when empty. */
static json_t *port_value(const char *s, size_t len)
{
	if (!len)
		return NULL;
	char *tmp = strndup(s, len), *end;
	long n = strtol(tmp, &end, 10);
	json_t *v = !*end && n > 0 && n < 65536 ? json_integer(n) : json_string(tmp);
	free(tmp);
	return v;
}

json_t *agent_readiness_flag(const char *spec, char **err)
{
	json_t *probe = json_object(), *h = NULL;
	if (!strncmp(spec, "http:", 5)) {
		const char *p = spec + 5, *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		json_t *port = port_value(p, len);
		if (port)
			h = json_pack("{s:o,s:s}", "port", port, "path", slash ? slash : "/");
		json_object_set_new(probe, "httpGet", h ? h : json_null());
	} else if (!strncmp(spec, "tcp:", 4)) {
		json_t *port = port_value(spec + 4, strlen(spec + 4));
		if (port)
			h = json_pack("{s:o}", "port", port);
		json_object_set_new(probe, "tcpSocket", h ? h : json_null());
	} else if (!strncmp(spec, "exec:", 5) && spec[5]) {
		h = json_pack("{s:[s,s,s]}", "command", "sh", "-c", spec + 5);
		json_object_set_new(probe, "exec", h);
	}
	if (!h) {
		*err = xasprintf(
		    "--readiness %s: expected http:PORT/PATH, tcp:PORT or exec:COMMAND", spec);
		json_decref(probe);
		return NULL;
	}
	return probe;
}
