/*
 * The environment of a container, by the kubelet's rules: the container's
 * own env first (values with $(VAR) references expanded against what is
 * defined before them and the service variables), then the service
 * variables it did not define, then PATH and HOSTNAME. command and args are
 * expanded against the result.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"
#include "dns/envvars.h"

#include <stdlib.h>
#include <string.h>

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *s, char *item)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(char *));
	}
	s->v[s->n++] = item;
	s->v[s->n] = NULL;
}

void agent_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The value of name in env's first n entries, or NULL. */
static const char *lookup(char *const *env, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; env && i < n && env[i]; i++)
		if (!strncmp(env[i], name, len) && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

const char *agent_env_get(char *const *env, const char *name)
{
	return lookup(env, SIZE_MAX, name, strlen(name));
}

/* Expands s against two arrays (either may be NULL), a then b. */
static char *expand2(const char *s, char *const *a, char *const *b)
{
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "");
	for (const char *p = s; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			sb_puts(&sb, "$");
			p += 2;
			continue;
		}
		const char *end = p[0] == '$' && p[1] == '(' ? strchr(p + 2, ')') : NULL;
		if (end) {
			size_t len = (size_t)(end - p - 2);
			const char *v = lookup(a, SIZE_MAX, p + 2, len);
			if (!v)
				v = lookup(b, SIZE_MAX, p + 2, len);
			if (v) {
				sb_puts(&sb, v);
				p = end + 1;
				continue;
			}
			sb_append(&sb, p, (size_t)(end + 1 - p));
			p = end + 1;
			continue;
		}
		sb_append(&sb, p, 1);
		p++;
	}
	return sb_steal(&sb);
}

char *agent_expand(const char *s, char *const *env)
{
	return expand2(s, env, NULL);
}

/* The value of a fieldRef, or NULL when unsupported. */
static const char *field_ref(const json_t *pod, const char *path, const char *pod_ip,
			     const char *host_ip)
{
	const json_t *meta = json_object_get(pod, "metadata");
	if (!strcmp(path, "metadata.name") || !strcmp(path, "metadata.namespace") ||
	    !strcmp(path, "metadata.uid"))
		return json_string_value(json_object_get(meta, path + 9));
	if (!strcmp(path, "spec.nodeName"))
		return json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	if (!strcmp(path, "status.podIP"))
		return pod_ip;
	if (!strcmp(path, "status.hostIP"))
		return host_ip;
	return NULL;
}

/* The service variables as a NULL-terminated array. */
static char **service_env(const json_t *services)
{
	struct strbuf sb = STRBUF_INIT;
	struct strv out = {0};
	strv_push(&out, NULL);
	out.n = 0;
	if (services)
		dns_env_vars(services, &sb);
	char *text = sb_steal(&sb), *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		strv_push(&out, xstrdup(l));
	free(text);
	return out.v;
}

/* Appends the container's env entries, expanded, to out. */
static void container_env(struct strv *out, const json_t *pod, const json_t *container,
			  char *const *svc, const char *pod_ip, const char *host_ip)
{
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(container, "env"), i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *value = json_string_value(json_object_get(e, "value"));
		const json_t *ref = json_object_get(json_object_get(e, "valueFrom"), "fieldRef");
		if (!name)
			continue;
		if (ref) {
			const char *v = field_ref(
			    pod, json_string_value(json_object_get(ref, "fieldPath")) ?: "", pod_ip,
			    host_ip);
			strv_push(out, xasprintf("%s=%s", name, v ? v : ""));
			continue;
		}
		char *v = expand2(value ? value : "", out->v, svc);
		strv_push(out, xasprintf("%s=%s", name, v));
		free(v);
	}
}

char **agent_pod_env(const json_t *pod, const json_t *container, const json_t *services,
		     const char *pod_ip, const char *host_ip)
{
	struct strv out = {0};
	strv_push(&out, NULL);
	out.n = 0;
	char **svc = service_env(services);
	container_env(&out, pod, container, svc, pod_ip, host_ip);
	for (size_t i = 0; svc[i]; i++) {
		size_t len = strcspn(svc[i], "=");
		if (!lookup(out.v, out.n, svc[i], len))
			strv_push(&out, xstrdup(svc[i]));
	}
	agent_strv_free(svc);
	if (!agent_env_get(out.v, "PATH"))
		strv_push(&out, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
					"/sbin:/bin"));
	const char *name =
	    json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
	if (!agent_env_get(out.v, "HOSTNAME"))
		strv_push(&out, xasprintf("HOSTNAME=%s", name ? name : ""));
	return out.v;
}

char **agent_container_argv(const json_t *container, char *const *env)
{
	struct strv out = {0};
	static const char *const keys[] = {"command", "args"};
	for (size_t k = 0; k < 2; k++) {
		size_t i;
		const json_t *v;
		json_array_foreach(json_object_get(container, keys[k]), i, v)
		    strv_push(&out, agent_expand(json_string_value(v) ?: "", env));
	}
	return out.v;
}
