/* The Endpoints controller's desired object (endpoints.h). */
#include "controllers/endpoints.h"

#include "base/strbuf.h"
#include "controllers/endpointslice.h"
#include "controllers/podutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An EndpointPort of a Service port resolved to num (name omitted when empty, as kube's omitempty).
 */
static json_t *endpoint_port(const json_t *sp, int num)
{
	const char *proto = podutil_str(sp, "protocol");
	json_t *p = json_pack("{s:i, s:s}", "port", num, "protocol", *proto ? proto : "TCP");
	if (*podutil_str(sp, "name"))
		json_object_set(p, "name", json_object_get(sp, "name"));
	const json_t *app = json_object_get(sp, "appProtocol");
	if (json_is_string(app))
		json_object_set(p, "appProtocol", (json_t *)app);
	return p;
}

static int cmp_port(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(podutil_str(x, "name"), podutil_str(y, "name"));
	if (c)
		return c;
	json_int_t px = json_integer_value(json_object_get(x, "port"));
	json_int_t py = json_integer_value(json_object_get(y, "port"));
	if (px != py)
		return px < py ? -1 : 1;
	return strcmp(podutil_str(x, "protocol"), podutil_str(y, "protocol"));
}

static int cmp_addr(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	struct ip_addr ix, iy;
	if (ip_addr_parse(podutil_str(x, "ip"), &ix) == 0 &&
	    ip_addr_parse(podutil_str(y, "ip"), &iy) == 0) {
		int c = ip_cmp(&ix, &iy);
		if (c)
			return c;
	}
	return strcmp(podutil_str(json_object_get(x, "targetRef"), "uid"),
		      podutil_str(json_object_get(y, "targetRef"), "uid"));
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts a JSON array in place with cmp. */
static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* The ports pod resolves (sorted), or NULL when the pod has no place in Endpoints. */
static json_t *resolved_ports(const json_t *svc, const json_t *pod)
{
	const json_t *sports = json_object_get(json_object_get(svc, "spec"), "ports");
	json_t *ports = json_array();
	if (!json_array_size(sports))
		return podutil_svc_ip_set(svc) ? (json_decref(ports), NULL) : ports;
	size_t i;
	const json_t *sp;
	json_array_foreach(sports, i, sp)
	{
		int num = podutil_find_port(pod, sp);
		if (num > 0)
			json_array_append_new(ports, endpoint_port(sp, num));
	}
	if (!json_array_size(ports)) {
		json_decref(ports);
		return NULL;
	}
	sort_array(ports, cmp_port);
	return ports;
}

/* The EndpointAddress of a pod, or NULL when it has no IP of the Service's family. */
static json_t *pod_address(const json_t *svc, const json_t *pod)
{
	const char *types[3];
	char ip[1][IP_STRLEN];
	podutil_svc_address_types(svc, types);
	if (!podutil_pod_ips(pod, podutil_family_of_type(types[0]), ip, 1))
		return NULL;
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec");
	json_t *a = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "ip", ip[0], "targetRef", "kind",
			      "Pod", "namespace", podutil_str(meta, "namespace"), "name",
			      podutil_str(meta, "name"), "uid", podutil_str(meta, "uid"));
	if (*podutil_str(spec, "nodeName"))
		json_object_set(a, "nodeName", json_object_get(spec, "nodeName"));
	if (podutil_set_hostname(pod, svc))
		json_object_set(a, "hostname", json_object_get(spec, "hostname"));
	return a;
}

/* Adds one pod to the subsets keyed by their port set. */
static void add_pod(json_t *by_ports, const json_t *svc, const json_t *pod, bool pnra)
{
	if (!podutil_in_endpoints(pod, pnra))
		return;
	json_t *ports = resolved_ports(svc, pod);
	json_t *addr = ports ? pod_address(svc, pod) : NULL;
	if (!addr) {
		json_decref(ports);
		return;
	}
	char *key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *ss = json_object_get(by_ports, key);
	if (!ss) {
		ss = json_pack("{s:O, s:[], s:[]}", "ports", ports, "addresses",
			       "notReadyAddresses");
		json_object_set_new(by_ports, key, ss);
	}
	const char *list = pnra || podutil_pod_ready(pod) ? "addresses" : "notReadyAddresses";
	json_array_append_new(json_object_get(ss, list), addr);
	free(key);
	json_decref(ports);
}

/* Keeps the first n of a subset's list. */
static void keep_first(json_t *ss, const char *list, size_t n)
{
	json_t *arr = json_object_get(ss, list);
	while (json_array_size(arr) > n)
		json_array_remove(arr, json_array_size(arr) - 1);
}

/* kube's truncateEndpoints: proportional per subset, ready addresses first. */
static bool truncate_subsets(json_t *subsets, size_t max)
{
	size_t ready = 0, not_ready = 0, i;
	json_t *ss;
	json_array_foreach(subsets, i, ss)
	{
		ready += json_array_size(json_object_get(ss, "addresses"));
		not_ready += json_array_size(json_object_get(ss, "notReadyAddresses"));
	}
	if (ready + not_ready <= max)
		return false;
	bool cut_ready = ready > max;
	size_t room = cut_ready ? max : max - ready, total = cut_ready ? ready : not_ready;
	size_t left = room;
	const char *list = cut_ready ? "addresses" : "notReadyAddresses";
	json_array_foreach(subsets, i, ss)
	{
		size_t in = json_array_size(json_object_get(ss, list));
		size_t take = (size_t)ceil((double)in / (double)total * (double)room);
		if (take > left)
			take = left;
		keep_first(ss, list, take);
		if (cut_ready)
			keep_first(ss, "notReadyAddresses", 0);
		left -= json_array_size(json_object_get(ss, list));
	}
	return true;
}

json_t *endpoints_subsets(const json_t *svc, const json_t *pods, int max, bool *truncated)
{
	bool pnra =
	    json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
	json_t *by_ports = json_object();
	size_t i;
	const json_t *pod;
	json_array_foreach(pods, i, pod) add_pod(by_ports, svc, pod, pnra);
	/* Subsets in key order: jansson iterates in insertion order, so sort keys. */
	size_t n = json_object_size(by_ports), k = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *key;
	json_t *ss;
	json_object_foreach(by_ports, key, ss) keys[k++] = key;
	qsort(keys, n, sizeof(*keys), cmp_key);
	json_t *subsets = json_array();
	for (k = 0; k < n; k++) {
		ss = json_object_get(by_ports, keys[k]);
		sort_array(json_object_get(ss, "addresses"), cmp_addr);
		sort_array(json_object_get(ss, "notReadyAddresses"), cmp_addr);
		json_array_append(subsets, ss);
	}
	free(keys);
	json_decref(by_ports);
	*truncated = truncate_subsets(subsets, max > 0 ? (size_t)max : ENDPOINTS_MAX_CAPACITY);
	/* Drop empty lists and ports, as kube's omitempty does, and emptied subsets. */
	for (i = json_array_size(subsets); i-- > 0;) {
		static const char *const f[] = {"addresses", "notReadyAddresses", "ports"};
		ss = json_array_get(subsets, i);
		for (int j = 0; j < 3; j++)
			if (!json_array_size(json_object_get(ss, f[j])))
				json_object_del(ss, f[j]);
		if (!json_object_get(ss, "addresses") && !json_object_get(ss, "notReadyAddresses"))
			json_array_remove(subsets, i);
	}
	return subsets;
}

/* The Service's labels plus the headless label when it has no cluster IP. */
static json_t *wanted_labels(const json_t *svc)
{
	const json_t *labels = json_object_get(json_object_get(svc, "metadata"), "labels");
	json_t *out = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	if (!podutil_svc_ip_set(svc))
		json_object_set_new(out, EPS_LABEL_HEADLESS, json_string(""));
	else
		json_object_del(out, EPS_LABEL_HEADLESS);
	return out;
}

/* Is a metadata map (missing = empty) equal to want? */
static bool map_equal(const json_t *have, const json_t *want)
{
	if (!json_is_object(have) || !json_object_size(have))
		return !json_object_size(want);
	return json_equal((json_t *)have, (json_t *)want);
}

/* The object to write: existing with the new content, or a new one. */
static json_t *build(const json_t *svc, const json_t *existing, json_t *subsets, json_t *labels,
		     bool truncated)
{
	const json_t *smeta = json_object_get(svc, "metadata");
	json_t *ep = existing
			 ? json_deep_copy(existing)
			 : json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind",
				     "Endpoints", "metadata", "name", podutil_str(smeta, "name"),
				     "namespace", podutil_str(smeta, "namespace"));
	json_t *meta = json_object_get(ep, "metadata");
	if (json_array_size(subsets))
		json_object_set(ep, "subsets", subsets);
	else
		json_object_del(ep, "subsets");
	if (json_object_size(labels))
		json_object_set(meta, "labels", labels);
	else
		json_object_del(meta, "labels");
	json_t *ann = json_object_get(meta, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(meta, "annotations", ann);
	}
	if (truncated)
		json_object_set_new(ann, ENDPOINTS_OVER_CAPACITY, json_string("truncated"));
	else
		json_object_del(ann, ENDPOINTS_OVER_CAPACITY);
	json_object_del(ann, ENDPOINTS_TRIGGER_TIME);
	if (!json_object_size(ann))
		json_object_del(meta, "annotations");
	return ep;
}

json_t *endpoints_reconcile(const json_t *svc, const json_t *pods, const json_t *existing)
{
	bool truncated;
	json_t *subsets = endpoints_subsets(svc, pods, ENDPOINTS_MAX_CAPACITY, &truncated);
	json_t *labels = wanted_labels(svc);
	json_t *out = NULL;
	if (existing) {
		const json_t *meta = json_object_get(existing, "metadata");
		const json_t *have = json_object_get(existing, "subsets");
		const json_t *ann = json_object_get(meta, "annotations");
		bool same = (json_array_size(have) || json_array_size(subsets))
				? json_equal((json_t *)have, subsets)
				: true;
		same = same && map_equal(json_object_get(meta, "labels"), labels);
		same = same && (json_object_get(ann, ENDPOINTS_OVER_CAPACITY) != NULL) == truncated;
		if (same)
			goto out;
	}
	out = build(svc, existing, subsets, labels, truncated);
out:
	json_decref(subsets);
	json_decref(labels);
	return out;
}
