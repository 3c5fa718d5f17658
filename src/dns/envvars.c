/*
 * The kubelet's service environment variables (pkg/kubelet/envvars): the
 * name upper-cased with dashes turned into underscores; the first port is
 * {SVC}_SERVICE_PORT and {SVC}_PORT; every named port adds
 * {SVC}_SERVICE_PORT_{NAME}; every port adds four Docker-links variables.
 */
#include "dns/envvars.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The variable form of a name: upper case, '-' as '_' (caller frees). */
static char *env_name(const char *s)
{
	char *out = xstrdup(s);
	for (char *p = out; *p; p++)
		*p = *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
	return out;
}

static int by_name(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	const char *n = str(json_object_get(x, "metadata"), "name");
	const char *m = str(json_object_get(y, "metadata"), "name");
	return strcmp(n ? n : "", m ? m : "");
}

static bool has_cluster_ip(const json_t *svc)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *ip = str(spec, "clusterIP"), *type = str(spec, "type");
	return ip && *ip && strcmp(ip, "None") && !(type && !strcmp(type, "ExternalName")) &&
	       json_array_size(json_object_get(spec, "ports")) > 0 &&
	       str(json_object_get(svc, "metadata"), "name");
}

/* Lower and upper case of a protocol, TCP when unset. */
static void protocol(const json_t *port, char lower[16], char upper[16])
{
	const char *p = str(port, "protocol");
	if (!p || !*p || strlen(p) > 15)
		p = "TCP";
	for (size_t i = 0; i <= strlen(p); i++) {
		char c = p[i];
		upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
		lower[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
}

static void service_vars(const json_t *svc, struct strbuf *out)
{
	const json_t *spec = json_object_get(svc, "spec"), *ports = json_object_get(spec, "ports");
	const char *ip = str(spec, "clusterIP");
	char *prefix = env_name(str(json_object_get(svc, "metadata"), "name"));
	/* net.JoinHostPort: IPv6 addresses in brackets. */
	char *host = strchr(ip, ':') ? xasprintf("[%s]", ip) : xstrdup(ip);
	char lower[16], upper[16];
	size_t i;
	const json_t *p;

	sb_printf(out, "%s_SERVICE_HOST=%s\n", prefix, ip);
	sb_printf(out, "%s_SERVICE_PORT=%lld\n", prefix,
		  json_integer_value(json_object_get(json_array_get(ports, 0), "port")));
	json_array_foreach(ports, i, p)
	{
		const char *name = str(p, "name");
		if (name && *name) {
			char *pn = env_name(name);
			sb_printf(out, "%s_SERVICE_PORT_%s=%lld\n", prefix, pn,
				  json_integer_value(json_object_get(p, "port")));
			free(pn);
		}
	}
	json_array_foreach(ports, i, p)
	{
		long long port = json_integer_value(json_object_get(p, "port"));
		protocol(p, lower, upper);
		if (i == 0)
			sb_printf(out, "%s_PORT=%s://%s:%lld\n", prefix, lower, host, port);
		sb_printf(out,
			  "%s_PORT_%lld_%s=%s://%s:%lld\n%s_PORT_%lld_%s_PROTO=%s\n"
			  "%s_PORT_%lld_%s_PORT=%lld\n%s_PORT_%lld_%s_ADDR=%s\n",
			  prefix, port, upper, lower, host, port, prefix, port, upper, lower,
			  prefix, port, upper, port, prefix, port, upper, ip);
	}
	free(host);
	free(prefix);
}

size_t dns_env_vars(const json_t *services, struct strbuf *out)
{
	size_t n = json_array_size(services), k = 0, lines = 0;
	const json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (has_cluster_ip(json_array_get(services, i)))
			v[k++] = json_array_get(services, i);
	qsort(v, k, sizeof(*v), by_name);
	for (size_t i = 0; i < k; i++) {
		size_t before = out->len;
		service_vars(v[i], out);
		for (size_t j = before; j < out->len; j++)
			lines += out->buf[j] == '\n';
	}
	free(v);
	return lines;
}
