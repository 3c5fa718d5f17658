/*
 * Server-side printing: the meta.k8s.io/v1 Table objects kube-apiserver
 * returns to `kubectl get`. The columns and cell formats follow the
 * apiserver's printers (pkg/printers/internalversion), which it always runs
 * in wide mode: the priority-1 columns carry cells too and kubectl hides
 * them unless asked for -o wide.
 */
#include "api/table.h"

#include "base/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC     1000000000LL
#define TIME_ZERO      INT64_MIN /* an absent time: Go's zero time.Time */
#define LIST_MAX       3	 /* addresses and ports shown before "+ N more..." */
#define DURATION_SZ    32
#define MAX_EPOCH_SECS 4500000000LL

struct column {
	const char *name;
	const char *type;
	const char *format;
	int priority;
	const char *description;
};

/* Fills row["cells"] (and row["conditions"] when the kind has them). */
typedef void (*row_fn)(const json_t *obj, int64_t now, json_t *row);

struct printer {
	const char *kind;
	const struct column *columns;
	size_t ncolumns;
	row_fn row;
};

/* ---- JSON access ---- */

/* Follows a NULL-terminated path of object keys; NULL when any step is missing. */
static const json_t *at(const json_t *obj, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, obj);
	while (obj && (key = va_arg(ap, const char *)))
		obj = json_object_get(obj, key);
	va_end(ap);
	return obj;
}

/* The string value of v, or "" when v is absent or not a string. */
static const char *str(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static json_int_t num(const json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static bool truthy(const json_t *v)
{
	return json_is_true(v);
}

/* The time in v (an RFC 3339 string), or TIME_ZERO when absent or unparsable. */
static int64_t time_of(const json_t *v)
{
	int64_t ns;
	const char *s = json_string_value(v);

	if (!s || !*s || api_time_parse(s, &ns) < 0)
		return TIME_ZERO;
	return ns;
}

static void add_str(json_t *cells, const char *s)
{
	json_array_append_new(cells, json_string(s ? s : ""));
}

static void add_own(json_t *cells, char *s)
{
	add_str(cells, s);
	free(s);
}

/* ---- time ---- */

static int parse_2(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Parses the offset at s ("Z", "+01:00"), in seconds east of UTC; -EINVAL if malformed. */
static int parse_zone(const char *s, long *offset)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*offset = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -EINVAL;
	h = parse_2(s + 1);
	m = parse_2(s + 4);
	if (h < 0 || m < 0 || h > 23 || m > 59)
		return -EINVAL;
	*offset = (h * 3600L + m * 60L) * (s[0] == '-' ? -1 : 1);
	return 0;
}

/* Fills tm from the "2026-11-26T10:40:25" at s; -EINVAL unless exactly that layout. */
static int parse_date_time(const char *s, struct tm *tm)
{
	static const char layout[] = "dddd-dd-ddTdd:dd:dd";
	int year, mon, day, hh, mm, ss;

	for (size_t i = 0; i < sizeof(layout) - 1; i++) {
		bool digit = isdigit((unsigned char)s[i]);

		if (layout[i] == 'd' ? !digit : toupper((unsigned char)s[i]) != layout[i])
			return -EINVAL;
	}
	year = parse_2(s) * 100 + parse_2(s + 2);
	mon = parse_2(s + 5);
	day = parse_2(s + 8);
	hh = parse_2(s + 11);
	mm = parse_2(s + 14);
	ss = parse_2(s + 17);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	*tm = (struct tm){.tm_year = year - 1900,
			  .tm_mon = mon - 1,
			  .tm_mday = day,
			  .tm_hour = hh,
			  .tm_min = mm,
			  .tm_sec = ss};
	return 0;
}

/* RFC 3339 to nanoseconds since the epoch; 0 or -EINVAL. See table.h. */
int api_time_parse(const char *s, int64_t *ns_out)
{
	struct tm tm;
	int64_t frac = 0, scale = NS_PER_SEC, secs;
	long offset;

	if (parse_date_time(s, &tm) < 0)
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return -EINVAL;
		for (s++; isdigit((unsigned char)*s); s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
		}
	}
	if (parse_zone(s, &offset) < 0)
		return -EINVAL;
	secs = (int64_t)timegm(&tm) - offset;
	/* Years 1827 to 2112: ages stay within int64 nanoseconds. */
	if (secs < -MAX_EPOCH_SECS || secs > MAX_EPOCH_SECS)
		return -EINVAL;
	*ns_out = secs * NS_PER_SEC + frac;
	return 0;
}

/* duration.HumanDuration of d_ns into buf (caller's); returns buf. See table.h. */
char *api_human_duration(int64_t d_ns, char *buf, size_t n)
{
	/* Go's int(d.Seconds()) and d/time.Minute both truncate toward zero. */
	int64_t secs = d_ns / NS_PER_SEC, mins = secs / 60, hours = mins / 60, days = hours / 24;

	if (secs < -1)
		snprintf(buf, n, "<invalid>");
	else if (secs < 0)
		snprintf(buf, n, "0s");
	else if (secs < 120)
		snprintf(buf, n, "%llds", (long long)secs);
	else if (mins < 10 && secs % 60)
		snprintf(buf, n, "%lldm%llds", (long long)mins, (long long)(secs % 60));
	else if (mins < 180)
		snprintf(buf, n, "%lldm", (long long)mins);
	else if (hours < 8 && mins % 60)
		snprintf(buf, n, "%lldh%lldm", (long long)hours, (long long)(mins % 60));
	else if (hours < 48)
		snprintf(buf, n, "%lldh", (long long)hours);
	else if (hours < 24 * 8 && hours % 24)
		snprintf(buf, n, "%lldd%lldh", (long long)days, (long long)(hours % 24));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, n, "%lldd", (long long)days);
	else if (hours < 24 * 365 * 8 && days % 365)
		snprintf(buf, n, "%lldy%lldd", (long long)(days / 365), (long long)(days % 365));
	else
		snprintf(buf, n, "%lldy", (long long)(days / 365));
	return buf;
}

/* translateTimestampSince: the age of t at now, "<unknown>" for an absent time. */
static char *since(int64_t t, int64_t now)
{
	char buf[DURATION_SZ];

	if (t == TIME_ZERO)
		return xstrdup("<unknown>");
	return xstrdup(api_human_duration(now - t, buf, sizeof(buf)));
}

static char *age(const json_t *obj, int64_t now)
{
	return since(time_of(at(obj, "metadata", "creationTimestamp", NULL)), now);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* ---- string lists ---- */

struct strlist {
	char **v;
	size_t n;
};

static void sl_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

static bool sl_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* Adds s unless present: the insert of Go's sets.String. */
static void sl_insert(struct strlist *l, const char *s)
{
	if (!sl_has(l, s))
		sl_add(l, s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

static void sl_join(const struct strlist *l, const char *sep, struct strbuf *sb)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_puts(sb, sep);
		sb_puts(sb, l->v[i]);
	}
}

static void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

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
		sl_add(&l, kv);
		free(kv);
	}
	if (!l.n) {
		sl_free(&l);
		return xstrdup("<none>");
	}
	sl_sort(&l);
	sl_join(&l, ",", &sb);
	sl_free(&l);
	return sb_steal(&sb);
}

/* listWithMoreString: "a,b,c + 2 more...", "<unset>" when the list is empty. */
static char *list_with_more(const struct strlist *l, size_t count, const char *empty)
{
	struct strbuf sb = STRBUF_INIT;

	sl_join(l, ",", &sb);
	if (count > l->n)
		sb_printf(&sb, " + %zu more...", count - l->n);
	else if (!l->n)
		sb_puts(&sb, empty);
	return sb_steal(&sb);
}

/* ---- column definitions ---- */

#define DESC_NAME                                                                                  \
	"Name must be unique within a namespace. Is required when creating resources, although "   \
	"some resources may allow a client to request the generation of an appropriate name "      \
	"automatically. Name is primarily intended for creation idempotence and configuration "    \
	"definition. Cannot be updated. More info: "                                               \
	"https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define DESC_AGE                                                                                   \
	"CreationTimestamp is a timestamp representing the server time when this object was "      \
	"created. It is not guaranteed to be set in happens-before order across separate "         \
	"operations. Clients may not set this value. It is represented in RFC3339 form and is in " \
	"UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "                  \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/"                        \
	"api-conventions.md#metadata"

/* The fields of the NAME and AGE columns every kind has. */
#define NAME_FIELDS "Name", "string", "name", 0, DESC_NAME
#define AGE_FIELDS  "Age", "string", "", 0, DESC_AGE
#define NCOLS(a)    (sizeof(a) / sizeof((a)[0]))

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

static const struct column namespace_cols[] = {
    {NAME_FIELDS},
    {"Status", "string", "", 0, "The status of the namespace"},
    {AGE_FIELDS},
};

static const struct column node_cols[] = {
    {NAME_FIELDS},
    {"Status", "string", "", 0, "The status of the node"},
    {"Roles", "string", "", 0, "The roles of the node"},
    {AGE_FIELDS},
    {"Version", "string", "", 0, "Kubelet Version reported by the node."},
    {"Internal-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"External-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"OS-Image", "string", "", 1,
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."},
    {"Kernel-Version", "string", "", 1,
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."},
    {"Container-Runtime", "string", "", 1,
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2)."},
};

static const struct column event_cols[] = {
    {"Last Seen", "string", "", 0,
     "The time at which the most recent occurrence of this event was recorded."},
    {"Type", "string", "", 0,
     "Type of this event (Normal, Warning), new types could be added "
     "in the future"},
    {"Reason", "string", "", 0,
     "This should be a short, machine understandable string that gives the reason for the "
     "transition into the object's current status."},
    {"Object", "string", "", 0, "The object that this event is about."},
    {"Subobject", "string", "", 1,
     "If referring to a piece of an object instead of an entire object, this string should "
     "contain a valid JSON/Go field access statement, such as desiredState.manifest."
     "containers[2]."},
    {"Source", "string", "", 1,
     "The component reporting this event. Should be a short machine understandable string."},
    {"Message", "string", "", 0, "A human-readable description of the status of this operation."},
    {"First Seen", "string", "", 1,
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"},
    {"Count", "string", "", 1, "The number of times this event has occurred."},
    {"Name", "string", "name", 1, DESC_NAME},
};

static const struct column lease_cols[] = {
    {NAME_FIELDS},
    {"Holder", "string", "", 0, "The holder of the lease."},
    {AGE_FIELDS},
};

static const struct column generic_cols[] = {
    {NAME_FIELDS},
    {AGE_FIELDS},
};

/* ---- Service ---- */

static void join_strings(const json_t *arr, struct strlist *l)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)arr, i, v)
	{
		sl_add(l, str(v));
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
			sl_insert(l, ip);
		else if (*host)
			sl_insert(l, host);
	}
	sl_sort(l);
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
	sl_join(&l, ",", &sb);
	sl_free(&l);
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
	add_own(cells, age(svc, now));
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
			sl_add(l, s);
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
	sl_free(&l);
	return out;
}

static void endpoints_row(const json_t *ep, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(ep, "metadata", "name", NULL)));
	add_own(cells, format_endpoints(ep));
	add_own(cells, age(ep, now));
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
		sl_add(&l, s);
		free(s);
	}
	out = list_with_more(&l, count, "<unset>");
	sl_free(&l);
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
				sl_add(&l, str(a));
		}
	}
	out = list_with_more(&l, count, "<unset>");
	sl_free(&l);
	return out;
}

static void endpointslice_row(const json_t *slice, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(slice, "metadata", "name", NULL)));
	add_str(cells, str(json_object_get(slice, "addressType")));
	add_own(cells, slice_ports(slice));
	add_own(cells, slice_endpoints(slice));
	add_own(cells, age(slice, now));
}

/* ---- Namespace and the generic fallback ---- */

static void namespace_row(const json_t *ns, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(ns, "metadata", "name", NULL)));
	add_str(cells, str(at(ns, "status", "phase", NULL)));
	add_own(cells, age(ns, now));
}

static void generic_row(const json_t *obj, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(obj, "metadata", "name", NULL)));
	add_own(cells, age(obj, now));
}

/* The Lease printer of kube-apiserver: name, spec.holderIdentity, age. */
static void lease_row(const json_t *lease, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(lease, "metadata", "name", NULL)));
	add_str(cells, str(at(lease, "spec", "holderIdentity", NULL)));
	add_own(cells, age(lease, now));
}

/* ---- Node ---- */

/* "Ready", "NotReady" or "Unknown" from the Ready condition, then ",SchedulingDisabled". */
static char *node_status(const json_t *node)
{
	struct strbuf sb = STRBUF_INIT;
	const char *ready = NULL;
	size_t i;
	json_t *c;

	/* The apiserver keys conditions by type: the last Ready condition wins. */
	json_array_foreach((json_t *)at(node, "status", "conditions", NULL), i, c)
	{
		if (!strcmp(str(json_object_get(c, "type")), "Ready"))
			ready = str(json_object_get(c, "status"));
	}
	if (!ready)
		sb_puts(&sb, "Unknown");
	else
		sb_puts(&sb, strcmp(ready, "True") ? "NotReady" : "Ready");
	if (truthy(at(node, "spec", "unschedulable", NULL)))
		sb_puts(&sb, ",SchedulingDisabled");
	return sb_steal(&sb);
}

/* findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values. */
static char *node_roles(const json_t *node)
{
	static const char prefix[] = "node-role.kubernetes.io/";
	struct strlist l = {0};
	struct strbuf sb = STRBUF_INIT;
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)at(node, "metadata", "labels", NULL), key, val)
	{
		if (!strncmp(key, prefix, sizeof(prefix) - 1) && key[sizeof(prefix) - 1])
			sl_insert(&l, key + sizeof(prefix) - 1);
		else if (!strcmp(key, "kubernetes.io/role") && *str(val))
			sl_insert(&l, str(val));
	}
	sl_sort(&l);
	sl_join(&l, ",", &sb);
	if (!l.n)
		sb_puts(&sb, "<none>");
	sl_free(&l);
	return sb_steal(&sb);
}

/* The first address of the type, "<none>" when the node has none. */
static const char *node_address(const json_t *node, const char *type)
{
	size_t i;
	json_t *a;

	json_array_foreach((json_t *)at(node, "status", "addresses", NULL), i, a)
	{
		if (!strcmp(str(json_object_get(a, "type")), type))
			return str(json_object_get(a, "address"));
	}
	return "<none>";
}

static const char *or_unknown(const char *s)
{
	return *s ? s : "<unknown>";
}

static void node_row(const json_t *node, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	const json_t *info = at(node, "status", "nodeInfo", NULL);

	add_str(cells, str(at(node, "metadata", "name", NULL)));
	add_own(cells, node_status(node));
	add_own(cells, node_roles(node));
	add_own(cells, age(node, now));
	add_str(cells, str(json_object_get(info, "kubeletVersion")));
	add_str(cells, node_address(node, "InternalIP"));
	add_str(cells, node_address(node, "ExternalIP"));
	add_str(cells, or_unknown(str(json_object_get(info, "osImage"))));
	add_str(cells, or_unknown(str(json_object_get(info, "kernelVersion"))));
	add_str(cells, or_unknown(str(json_object_get(info, "containerRuntimeVersion"))));
}

/* ---- Event ---- */

/* "pod/web-1", or just "node" for an object without a name. */
static char *event_target(const json_t *ev)
{
	const char *kind = str(at(ev, "involvedObject", "kind", NULL));
	const char *name = str(at(ev, "involvedObject", "name", NULL));
	char *s = *name ? xasprintf("%s/%s", kind, name) : xstrdup(kind);

	for (char *p = s; *p && *p != '/'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* formatEventSource: component (else reportingController), then ", host" if any. */
static char *event_source(const json_t *ev)
{
	const char *comp = str(at(ev, "source", "component", NULL));
	const char *host = str(at(ev, "source", "host", NULL));

	if (!*comp)
		comp = str(json_object_get(ev, "reportingController"));
	if (!*host)
		host = str(json_object_get(ev, "reportingInstance"));
	return *host ? xasprintf("%s, %s", comp, host) : xstrdup(comp);
}

/* strings.TrimSpace on an ASCII string. */
static char *trim(const char *s)
{
	size_t n;
	char *out;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void event_row(const json_t *ev, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	const json_t *series = json_object_get(ev, "series");
	int64_t first_t = time_of(json_object_get(ev, "firstTimestamp"));
	int64_t last_t = time_of(json_object_get(ev, "lastTimestamp"));
	json_int_t count = num(json_object_get(ev, "count"));
	char *first, *last;

	first =
	    since(first_t == TIME_ZERO ? time_of(json_object_get(ev, "eventTime")) : first_t, now);
	last = last_t == TIME_ZERO ? xstrdup(first) : since(last_t, now);
	if (json_is_object(series)) {
		free(last);
		last = since(time_of(json_object_get(series, "lastObservedTime")), now);
		count = num(json_object_get(series, "count"));
	} else if (!count) {
		count = 1; /* singleton events of the events.k8s.io API carry no count */
	}
	add_own(cells, last);
	add_str(cells, str(json_object_get(ev, "type")));
	add_str(cells, str(json_object_get(ev, "reason")));
	add_own(cells, event_target(ev));
	add_str(cells, str(at(ev, "involvedObject", "fieldPath", NULL)));
	add_own(cells, event_source(ev));
	add_own(cells, trim(str(json_object_get(ev, "message"))));
	add_own(cells, first);
	json_array_append_new(cells, json_integer(count));
	add_str(cells, str(at(ev, "metadata", "name", NULL)));
}

/* ---- Pod ---- */

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
	int64_t t = time_of(at(cs, "lastState", "terminated", "finishedAt", NULL));

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
		ago = since(st.last_restart, now);
		restarts = xasprintf("%lld (%s ago)", st.restarts, ago);
		free(ago);
	} else {
		restarts = xasprintf("%lld", st.restarts);
	}
	add_str(cells, str(at(pod, "metadata", "name", NULL)));
	add_own(cells, xasprintf("%d/%d", st.ready, st.total));
	add_own(cells, st.reason);
	add_own(cells, restarts);
	add_own(cells, age(pod, now));
	add_str(cells, or_none(ip));
	add_str(cells, or_none(str(at(pod, "spec", "nodeName", NULL))));
	add_str(cells, or_none(str(at(pod, "status", "nominatedNodeName", NULL))));
	add_own(cells, pod_readiness_gates(pod));
	pod_conditions(pod, row);
}

/* ---- the Table ---- */

#define PRINTER(k, cols, fn)                                                                       \
	{                                                                                          \
		k, cols, NCOLS(cols), fn                                                           \
	}

static const struct printer printers[] = {
    PRINTER("Service", service_cols, service_row),
    PRINTER("Pod", pod_cols, pod_row),
    PRINTER("Endpoints", endpoints_cols, endpoints_row),
    PRINTER("EndpointSlice", endpointslice_cols, endpointslice_row),
    PRINTER("Namespace", namespace_cols, namespace_row),
    PRINTER("Node", node_cols, node_row),
    PRINTER("Event", event_cols, event_row),
    PRINTER("Lease", lease_cols, lease_row),
};

static const struct printer generic = PRINTER("", generic_cols, generic_row);

static const struct printer *printer_for(const struct api_resource *r)
{
	for (size_t i = 0; r && i < NCOLS(printers); i++)
		if (!strcmp(printers[i].kind, r->kind))
			return &printers[i];
	return &generic;
}

static json_t *column_definitions(const struct printer *p)
{
	json_t *cols = json_array();

	for (size_t i = 0; i < p->ncolumns; i++) {
		const struct column *c = &p->columns[i];

		json_array_append_new(cols,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
						"type", c->type, "format", c->format, "description",
						c->description, "priority", c->priority));
	}
	return cols;
}

/*
 * The Table's ListMeta: from list_meta, or for a single object (a GET, or
 * one watch event) without one, the object's resourceVersion, as the
 * apiserver does.
 */
static json_t *table_metadata(const json_t *list_meta, const json_t *items)
{
	static const char *const keys[] = {"resourceVersion", "continue", "remainingItemCount"};
	json_t *meta = json_object();
	const json_t *rv;

	if (!list_meta) {
		rv = at(json_array_get(items, 0), "metadata", "resourceVersion", NULL);
		if (json_array_size(items) == 1 && json_is_string(rv) && *json_string_value(rv))
			json_object_set_new(meta, "resourceVersion", json_copy((json_t *)rv));
		return meta;
	}
	for (size_t i = 0; i < NCOLS(keys); i++) {
		const json_t *v = json_object_get(list_meta, keys[i]);

		/* Go omits the empty values of these omitempty fields. */
		if (v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v)))
			json_object_set_new(meta, keys[i], json_deep_copy(v));
	}
	return meta;
}

enum include { INCLUDE_NONE, INCLUDE_METADATA, INCLUDE_OBJECT, INCLUDE_INVALID };

static enum include parse_include(const char *s)
{
	if (!s || !*s || !strcmp(s, "Metadata"))
		return INCLUDE_METADATA;
	if (!strcmp(s, "None"))
		return INCLUDE_NONE;
	if (!strcmp(s, "Object"))
		return INCLUDE_OBJECT;
	return INCLUDE_INVALID;
}

/* Whether include_object is a value the apiserver accepts. See table.h. */
bool api_table_include_valid(const char *include_object)
{
	return parse_include(include_object) != INCLUDE_INVALID;
}

/* The row's "object": a PartialObjectMetadata, the whole object, or nothing. */
static json_t *row_object(const struct api_resource *r, const json_t *obj, enum include inc)
{
	json_t *out, *meta;

	if (inc == INCLUDE_NONE)
		return NULL;
	if (inc == INCLUDE_OBJECT) {
		out = json_deep_copy(obj);
		/* List items may lack their type; the embedded object carries it. */
		if (r && !json_object_get(out, "kind"))
			json_object_set_new(out, "kind", json_string(r->kind));
		if (r && !json_object_get(out, "apiVersion"))
			json_object_set_new(out, "apiVersion", json_string(r->api_version));
		return out;
	}
	meta = json_deep_copy(json_object_get(obj, "metadata"));
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
			 "meta.k8s.io/v1", "metadata", meta);
}

/*
 * The Table of items (borrowed) printed at now_ns; list_meta (borrowed, may
 * be NULL) gives its metadata. Returns a new reference. See table.h.
 */
json_t *api_table_at(const struct api_resource *r, const json_t *items, const char *include_object,
		     const json_t *list_meta, int64_t now_ns)
{
	const struct printer *p = printer_for(r);
	enum include inc = parse_include(include_object);
	json_t *table, *rows = json_array(), *item, *row, *obj;
	size_t i;

	/* An invalid value is the caller's to reject; print as the default. */
	if (inc == INCLUDE_INVALID)
		inc = INCLUDE_METADATA;
	json_array_foreach((json_t *)items, i, item)
	{
		if (!json_is_object(item))
			continue;
		row = json_pack("{s:[]}", "cells");
		p->row(item, now_ns, row);
		obj = row_object(r, item, inc);
		if (obj)
			json_object_set_new(row, "object", obj);
		json_array_append_new(rows, row);
	}
	table = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Table", "apiVersion",
			  "meta.k8s.io/v1", "metadata", table_metadata(list_meta, items),
			  "columnDefinitions", column_definitions(p), "rows", rows);
	return table;
}

/* api_table_at at the current time. Returns a new reference. */
json_t *api_table(const struct api_resource *r, const json_t *items, const char *include_object,
		  const json_t *list_meta)
{
	return api_table_at(r, items, include_object, list_meta, now_ns());
}
