/* Pod and Service helpers of the endpoint controllers (see podutil.h). */
#include "controllers/podutil.h"

#include <errno.h>
#include <string.h>

const char *podutil_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

bool podutil_pod_ready(const json_t *pod)
{
	const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
	size_t i;
	const json_t *c;
	json_array_foreach(conds, i, c)
	{
		if (!strcmp(podutil_str(c, "type"), "Ready"))
			return !strcmp(podutil_str(c, "status"), "True");
	}
	return false;
}

bool podutil_in_endpoints(const json_t *pod, bool include_terminating)
{
	const json_t *status = json_object_get(pod, "status");
	const char *phase = podutil_str(status, "phase");
	if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))
		return false;
	if (!*podutil_str(status, "podIP") && !json_array_size(json_object_get(status, "podIPs")))
		return false;
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *del = json_object_get(meta, "deletionTimestamp");
	if (!include_terminating && del && !json_is_null(del))
		return false;
	return true;
}

bool podutil_special_ip(const struct ip_addr *a)
{
	return ip_is_loopback(a) || ip_is_link_local(a) || ip_is_unspecified(a) ||
	       ip_is_multicast(a);
}

/* Appends ip (any spelling) in canonical form when it is of family fam. */
static size_t add_ip(const char *s, enum ip_family fam, char ips[][IP_STRLEN], size_t n, size_t max)
{
	struct ip_addr a;
	if (n >= max || ip_addr_parse(s, &a) < 0 || a.family != fam || podutil_special_ip(&a))
		return n;
	ip_addr_format(&a, ips[n]);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ips[i], ips[n]))
			return n;
	return n + 1;
}

size_t podutil_pod_ips(const json_t *pod, enum ip_family fam, char ips[][IP_STRLEN], size_t max)
{
	const json_t *status = json_object_get(pod, "status");
	const json_t *list = json_object_get(status, "podIPs");
	size_t n = 0, i;
	const json_t *p;
	json_array_foreach(list, i, p) n = add_ip(podutil_str(p, "ip"), fam, ips, n, max);
	if (!json_array_size(list))
		n = add_ip(podutil_str(status, "podIP"), fam, ips, n, max);
	return n;
}

/* A container port named name with protocol proto in containers, or -ENOENT. */
static int port_in(const json_t *containers, const char *name, const char *proto, bool sidecars)
{
	size_t i, j;
	const json_t *c, *p;
	json_array_foreach(containers, i, c)
	{
		if (sidecars && strcmp(podutil_str(c, "restartPolicy"), "Always"))
			continue;
		json_array_foreach(json_object_get(c, "ports"), j, p)
		{
			const char *pp = podutil_str(p, "protocol");
			if (!*pp)
				pp = "TCP";
			const json_t *num = json_object_get(p, "containerPort");
			if (!strcmp(podutil_str(p, "name"), name) && !strcmp(pp, proto) &&
			    json_is_integer(num))
				return (int)json_integer_value(num);
		}
	}
	return -ENOENT;
}

int podutil_find_port(const json_t *pod, const json_t *svc_port)
{
	const json_t *tp = json_object_get(svc_port, "targetPort");
	if (!tp || json_is_null(tp))
		tp = json_object_get(svc_port, "port");
	if (json_is_integer(tp))
		return json_integer_value(tp) > 0 ? (int)json_integer_value(tp) : -ENOENT;
	if (!json_is_string(tp))
		return -ENOENT;
	const char *proto = podutil_str(svc_port, "protocol");
	if (!*proto)
		proto = "TCP";
	const json_t *spec = json_object_get(pod, "spec");
	int port =
	    port_in(json_object_get(spec, "containers"), json_string_value(tp), proto, false);
	if (port < 0)
		port = port_in(json_object_get(spec, "initContainers"), json_string_value(tp),
			       proto, true);
	return port;
}

bool podutil_set_hostname(const json_t *pod, const json_t *svc)
{
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *pm = json_object_get(pod, "metadata");
	const json_t *sm = json_object_get(svc, "metadata");
	return *podutil_str(spec, "hostname") &&
	       !strcmp(podutil_str(spec, "subdomain"), podutil_str(sm, "name")) &&
	       !strcmp(podutil_str(pm, "namespace"), podutil_str(sm, "namespace"));
}

const json_t *podutil_svc_selector(const json_t *svc)
{
	const json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector");
	return json_is_object(sel) && json_object_size(sel) ? sel : NULL;
}

bool podutil_svc_ip_set(const json_t *svc)
{
	const char *ip = podutil_str(json_object_get(svc, "spec"), "clusterIP");
	return *ip && strcmp(ip, "None");
}

size_t podutil_svc_address_types(const json_t *svc, const char *types[3])
{
	const json_t *spec = json_object_get(svc, "spec");
	size_t n = 0, i;
	const json_t *f;
	json_array_foreach(json_object_get(spec, "ipFamilies"), i, f)
	{
		const char *s = json_is_string(f) ? json_string_value(f) : "";
		if (n < 2 && (!strcmp(s, "IPv4") || !strcmp(s, "IPv6")) &&
		    (n == 0 || strcmp(types[0], s)))
			types[n++] = !strcmp(s, "IPv4") ? "IPv4" : "IPv6";
	}
	if (n == 0 && podutil_svc_ip_set(svc)) {
		struct ip_addr a;
		bool v6 =
		    ip_addr_parse(podutil_str(spec, "clusterIP"), &a) == 0 && a.family == IP_V6;
		types[n++] = v6 ? "IPv6" : "IPv4";
	} else if (n == 0) {
		types[n++] = "IPv4";
		types[n++] = "IPv6";
	}
	types[n] = NULL;
	return n;
}

enum ip_family podutil_family_of_type(const char *type)
{
	return !strcmp(type, "IPv6") ? IP_V6 : IP_V4;
}
