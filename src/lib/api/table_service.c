/*
 * The Table rows of the Service, Endpoints and EndpointSlice kinds, as
 * kube-apiserver's printers fill them.
 */
#include "api/table-internal.h"

#include <string.h>

#define LIST_MAX 3 /* addresses and ports shown before "+ N more..." */

/* labels.FormatLabels: "a=1,b=2" in key order, "<none>" when empty. */
static char *format_labels(const json_t *map)
{
	struct strlist l = {0};
	struct strbuf sb = STRBUF_INIT;
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)map, key, val)
	{
		char *kv = xasprintf("%s=%s", key, str(val));
		strlist_add(&l, kv);
		free(kv);
	}
	if (!l.n) {
		strlist_free(&l);
		return xstrdup("<none>");
	}
	strlist_sort(&l);
	strlist_join(&l, ",", &sb);
	strlist_free(&l);
	return sb_steal(&sb);
}

/* listWithMoreString: "a,b,c + 2 more...", "<unset>" when the list is empty. */
static char *list_with_more(const struct strlist *l, size_t count, const char *empty)
{
	struct strbuf sb = STRBUF_INIT;

	strlist_join(l, ",", &sb);
	if (count > l->n)
		sb_printf(&sb, " + %zu more...", count - l->n);
	else if (!l->n)
		sb_puts(&sb, empty);
	return sb_steal(&sb);
}

/* ---- columns ---- */

static const struct column service_cols[] = {
    {NAME_FIELDS},
    {"Type", "string", "", 0,
     "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
     "ExternalName, ClusterIP, NodePort, and LoadBalancer."},
    {"Cluster-IP", "string", "", 0,
     "clusterIP is the IP address of the service and is usually assigned randomly."},
    {"External-IP", "string", "", 0,
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service."},
    {"Port(s)", "string", "", 0, "The list of ports that are exposed by this service."},
    {AGE_FIELDS},
    {"Selector", "string", "", 1,
     "Route service traffic to pods with label keys and values matching this selector."},
};

static const struct column endpoints_cols[] = {
    {NAME_FIELDS},
    {"Endpoints", "string", "", 0,
     "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
     "according to the IPs they share."},
    {AGE_FIELDS},
};

static const struct column endpointslice_cols[] = {
    {NAME_FIELDS},
    {"AddressType", "string", "", 0,
     "addressType specifies the type of address carried by this EndpointSlice. All addresses "
     "in this slice must be the same type."},
    {"Ports", "string", "", 0,
     "ports specifies the list of network ports exposed by each endpoint in this slice."},
    {"Endpoints", "string", "", 0,
     "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum "
     "of 1000 endpoints."},
    {AGE_FIELDS},
};

/* ---- Service ---- */

static void join_strings(const json_t *arr, struct strlist *l)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)arr, i, v)
	{
		strlist_add(l, str(v));
	}
}

/*
 * loadBalancerStatusStringer in wide mode: the ingress IPs (else hostnames),
 * without duplicates and sorted, as the set the apiserver builds.
 */
static void lb_ingress(const json_t *svc, struct strlist *l)
{
	size_t i;
	json_t *ing;

	json_array_foreach((json_t *)at(svc, "status", "loadBalancer", "ingress", NULL), i, ing)
	{
		const char *ip = str(json_object_get(ing, "ip"));
		const char *host = str(json_object_get(ing, "hostname"));

		if (*ip)
			strlist_insert(l, ip);
		else if (*host)
			strlist_insert(l, host);
	}
	strlist_sort(l);
}

/* getServiceExternalIP. */
static char *service_external_ip(const json_t *svc)
{
	const char *type = str(at(svc, "spec", "type", NULL));
	const json_t *ext = at(svc, "spec", "externalIPs", NULL);
	struct strlist l = {0};
	struct strbuf sb = STRBUF_INIT;

	if (!strcmp(type, "ExternalName"))
		return xstrdup(str(at(svc, "spec", "externalName", NULL)));
	if (strcmp(type, "ClusterIP") && strcmp(type, "NodePort") && strcmp(type, "LoadBalancer"))
		return xstrdup("<unknown>");
	if (!strcmp(type, "LoadBalancer"))
		lb_ingress(svc, &l);
	join_strings(ext, &l);
	if (!l.n)
		sb_puts(&sb, strcmp(type, "LoadBalancer") ? "<none>" : "<pending>");
	strlist_join(&l, ",", &sb);
	strlist_free(&l);
	return sb_steal(&sb);
}

/* makePortString: "80/TCP,443:30443/TCP", "<none>" without ports. */
static char *service_ports(const json_t *svc)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *p;

	json_array_foreach((json_t *)at(svc, "spec", "ports", NULL), i, p)
	{
		json_int_t node_port = num(json_object_get(p, "nodePort"));
		const char *proto = json_string_value(json_object_get(p, "protocol"));

		/* Stored services are defaulted; TCP is the default protocol. */
		if (!proto || !*proto)
			proto = "TCP";
		if (i)
			sb_puts(&sb, ",");
		sb_printf(&sb, "%lld", (long long)num(json_object_get(p, "port")));
		if (node_port > 0)
			sb_printf(&sb, ":%lld", (long long)node_port);
		sb_printf(&sb, "/%s", proto);
	}
	if (!sb.len)
		sb_puts(&sb, "<none>");
	return sb_steal(&sb);
}

static void service_row(const json_t *svc, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	const json_t *ips = at(svc, "spec", "clusterIPs", NULL);
	const char *cluster_ip = json_string_value(json_array_get(ips, 0));

	/* Objects written before clusterIPs existed carry only clusterIP. */
	if (!json_array_size(ips))
		cluster_ip = json_string_value(at(svc, "spec", "clusterIP", NULL));
	if (!cluster_ip || !*cluster_ip)
		cluster_ip = "<none>";
	add_str(cells, str(at(svc, "metadata", "name", NULL)));
	add_str(cells, str(at(svc, "spec", "type", NULL)));
	add_str(cells, cluster_ip);
	add_own(cells, service_external_ip(svc));
	add_own(cells, service_ports(svc));
	add_own(cells, table_age(svc, now));
	add_own(cells, format_labels(at(svc, "spec", "selector", NULL)));
}

/* ---- Endpoints and EndpointSlice ---- */

/* net.JoinHostPort: brackets around an IPv6 address. */
static char *host_port(const char *ip, json_int_t port)
{
	if (strchr(ip, ':'))
		return xasprintf("[%s]:%lld", ip, (long long)port);
	return xasprintf("%s:%lld", ip, (long long)port);
}

/* Adds one subset's addresses (with each port, or bare without ports) to l. */
static void subset_endpoints(const json_t *ss, struct strlist *l, size_t *count)
{
	const json_t *addrs = json_object_get(ss, "addresses");
	const json_t *ports = json_object_get(ss, "ports");
	size_t i, j, nports = json_array_size(ports);
	json_t *a;

	for (j = 0; j < (nports ? nports : 1); j++) {
		const json_t *port = json_array_get(ports, j);

		*count += json_array_size(addrs);
		json_array_foreach((json_t *)addrs, i, a)
		{
			const char *ip = str(json_object_get(a, "ip"));
			char *s;

			if (l->n == LIST_MAX)
				break;
			s = port ? host_port(ip, num(json_object_get(port, "port"))) : xstrdup(ip);
			strlist_add(l, s);
			free(s);
		}
	}
}

/* formatEndpoints: "10.0.0.1:80,10.0.0.2:80 + 3 more...", "<none>" without subsets. */
static char *format_endpoints(const json_t *ep)
{
	const json_t *subsets = json_object_get(ep, "subsets");
	struct strlist l = {0};
	size_t i, count = 0;
	json_t *ss;
	char *out;

	if (!json_array_size(subsets))
		return xstrdup("<none>");
	json_array_foreach((json_t *)subsets, i, ss)
	{
		subset_endpoints(ss, &l, &count);
	}
	out = list_with_more(&l, count, "");
	strlist_free(&l);
	return out;
}

static void endpoints_row(const json_t *ep, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(ep, "metadata", "name", NULL)));
	add_own(cells, format_endpoints(ep));
	add_own(cells, table_age(ep, now));
}

/* formatDiscoveryPorts: port numbers, else names, else "*". */
static char *slice_ports(const json_t *slice)
{
	struct strlist l = {0};
	size_t i, count = 0;
	json_t *p;
	char *out;

	json_array_foreach(json_object_get(slice, "ports"), i, p)
	{
		const json_t *port = json_object_get(p, "port");
		const json_t *name = json_object_get(p, "name");
		char *s;

		count++;
		if (l.n == LIST_MAX)
			continue;
		if (json_is_integer(port))
			s = xasprintf("%lld", (long long)json_integer_value(port));
		else
			s = xstrdup(json_is_string(name) ? json_string_value(name) : "*");
		strlist_add(&l, s);
		free(s);
	}
	out = list_with_more(&l, count, "<unset>");
	strlist_free(&l);
	return out;
}

/* formatDiscoveryEndpoints: every address of every endpoint, ready or not. */
static char *slice_endpoints(const json_t *slice)
{
	struct strlist l = {0};
	size_t i, j, count = 0;
	json_t *e, *a;
	char *out;

	json_array_foreach(json_object_get(slice, "endpoints"), i, e)
	{
		json_array_foreach(json_object_get(e, "addresses"), j, a)
		{
			count++;
			if (l.n < LIST_MAX)
				strlist_add(&l, str(a));
		}
	}
	out = list_with_more(&l, count, "<unset>");
	strlist_free(&l);
	return out;
}

static void endpointslice_row(const json_t *slice, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(slice, "metadata", "name", NULL)));
	add_str(cells, str(json_object_get(slice, "addressType")));
	add_own(cells, slice_ports(slice));
	add_own(cells, slice_endpoints(slice));
	add_own(cells, table_age(slice, now));
}

const struct table_printer table_service_printer = PRINTER("Service", service_cols, service_row);
const struct table_printer table_endpoints_printer =
    PRINTER("Endpoints", endpoints_cols, endpoints_row);
const struct table_printer table_endpointslice_printer =
    PRINTER("EndpointSlice", endpointslice_cols, endpointslice_row);
