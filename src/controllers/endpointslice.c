/*
 * The desired state of the EndpointSlice controller (a Service with a
 * selector and its pods) and of the mirroring controller (a selector-less
 * Service's Endpoints), fed to eps_reconcile (slicepack.c).
 */
#include "controllers/endpointslice.h"

#include "base/strbuf.h"
#include "controllers/podutil.h"

#include <string.h>

static bool reserved_label(const char *k)
{
	return !strcmp(k, EPS_LABEL_SERVICE_NAME) || !strcmp(k, EPS_LABEL_MANAGED_BY) ||
	       !strcmp(k, EPS_LABEL_HEADLESS);
}

/* Fills the identity fields of o from obj's metadata. */
static void owner_ids(const json_t *obj, struct eps_owner *o)
{
	const json_t *meta = json_object_get(obj, "metadata");
	o->ns = xstrdup(podutil_str(meta, "namespace"));
	o->name = xstrdup(podutil_str(meta, "name"));
	o->uid = xstrdup(podutil_str(meta, "uid"));
}

void eps_service_owner(const json_t *svc, int max_endpoints, struct eps_owner *o)
{
	memset(o, 0, sizeof(*o));
	owner_ids(svc, o);
	o->kind = "Service";
	o->managed_by = EPS_CONTROLLER_NAME;
	o->max_endpoints = max_endpoints > 0 ? max_endpoints : EPS_DEFAULT_MAX;
	o->labels = json_object();
	const json_t *labels = json_object_get(json_object_get(svc, "metadata"), "labels");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)labels, k, v)
	{
		if (!reserved_label(k) && json_is_string(v))
			json_object_set(o->labels, k, v);
	}
	if (!podutil_svc_ip_set(svc))
		json_object_set_new(o->labels, EPS_LABEL_HEADLESS, json_string(""));
	json_object_set_new(o->labels, EPS_LABEL_SERVICE_NAME, json_string(o->name));
	json_object_set_new(o->labels, EPS_LABEL_MANAGED_BY, json_string(o->managed_by));
}

/* The Service's ports as this pod resolves them (EndpointPorts), a new array. */
static json_t *pod_ports(const json_t *svc, const json_t *pod)
{
	json_t *out = json_array();
	size_t i;
	const json_t *sp;
	json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, sp)
	{
		int port = podutil_find_port(pod, sp);
		if (port < 0)
			continue;
		const char *proto = podutil_str(sp, "protocol");
		json_t *p = json_pack("{s:s, s:i, s:s}", "name", podutil_str(sp, "name"), "port",
				      port, "protocol", *proto ? proto : "TCP");
		const json_t *app = json_object_get(sp, "appProtocol");
		if (json_is_string(app))
			json_object_set(p, "appProtocol", (json_t *)app);
		json_array_append_new(out, p);
	}
	return out;
}

/* podToEndpoint: one Endpoint of a pod for its addresses of one family. */
static json_t *pod_endpoint(const json_t *svc, const json_t *pod, char ips[][IP_STRLEN], size_t n,
			    eps_zone_fn zone_of, void *arg)
{
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *del = json_object_get(meta, "deletionTimestamp");
	bool serving = podutil_pod_ready(pod);
	bool terminating = del && !json_is_null(del);
	bool pnra =
	    json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
	bool ready = pnra || (serving && !terminating);
	json_t *addrs = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(addrs, json_string(ips[i]));
	json_t *ep =
	    json_pack("{s:o, s:{s:b, s:b, s:b}, s:{s:s, s:s, s:s, s:s}}", "addresses", addrs,
		      "conditions", "ready", ready, "serving", serving, "terminating", terminating,
		      "targetRef", "kind", "Pod", "namespace", podutil_str(meta, "namespace"),
		      "name", podutil_str(meta, "name"), "uid", podutil_str(meta, "uid"));
	const char *node = podutil_str(spec, "nodeName");
	if (*node) {
		json_object_set_new(ep, "nodeName", json_string(node));
		const char *zone = zone_of ? zone_of(node, arg) : NULL;
		if (zone && *zone)
			json_object_set_new(ep, "zone", json_string(zone));
	}
	if (podutil_set_hostname(pod, svc))
		json_object_set_new(ep, "hostname", json_string(podutil_str(spec, "hostname")));
	return ep;
}

void eps_service_desired(const json_t *svc, const json_t *pods, eps_zone_fn zone_of, void *arg,
			 struct eps_desired *d)
{
	const char *types[3];
	size_t ntypes = podutil_svc_address_types(svc, types);
	size_t i;
	const json_t *pod;
	json_array_foreach(pods, i, pod)
	{
		if (!podutil_in_endpoints(pod, true))
			continue;
		json_t *ports = pod_ports(svc, pod);
		for (size_t t = 0; t < ntypes; t++) {
			char ips[4][IP_STRLEN];
			size_t n = podutil_pod_ips(pod, podutil_family_of_type(types[t]), ips, 4);
			if (n)
				eps_desired_add(d, types[t], ports,
						pod_endpoint(svc, pod, ips, n, zone_of, arg));
		}
		json_decref(ports);
	}
}

/* ---- Mirroring ---- */

bool eps_mirror_wanted(const json_t *svc, const json_t *ep)
{
	if (!svc || !ep || podutil_svc_selector(svc))
		return false;
	const json_t *meta = json_object_get(ep, "metadata");
	if (!strcmp(podutil_str(json_object_get(meta, "labels"), EPS_LABEL_SKIP_MIRROR), "true"))
		return false;
	/* Leader election records are Endpoints of no Service. */
	return !json_object_get(json_object_get(meta, "annotations"),
				"control-plane.alpha.kubernetes.io/leader");
}

void eps_mirror_owner(const json_t *ep, struct eps_owner *o)
{
	memset(o, 0, sizeof(*o));
	owner_ids(ep, o);
	o->kind = "Endpoints";
	o->managed_by = EPS_MIRROR_NAME;
	o->max_endpoints = EPS_MIRROR_MAX;
	const json_t *meta = json_object_get(ep, "metadata");
	const json_t *labels = json_object_get(meta, "labels");
	o->labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	json_object_set_new(o->labels, EPS_LABEL_SERVICE_NAME, json_string(o->name));
	json_object_set_new(o->labels, EPS_LABEL_MANAGED_BY, json_string(o->managed_by));
	const json_t *ann = json_object_get(meta, "annotations");
	o->annotations = json_is_object(ann) ? json_deep_copy(ann) : json_object();
	json_object_del(o->annotations, "endpoints.kubernetes.io/last-change-trigger-time");
	json_object_del(o->annotations, "kubectl.kubernetes.io/last-applied-configuration");
}

/* addressToEndpoint: one Endpoints address as a slice endpoint; NULL for a bad IP. */
static json_t *mirror_endpoint(const json_t *addr, bool ready, enum ip_family *fam)
{
	struct ip_addr a;
	char buf[IP_STRLEN];
	if (ip_addr_parse(podutil_str(addr, "ip"), &a) < 0 || podutil_special_ip(&a))
		return NULL;
	*fam = a.family;
	json_t *ep = json_pack("{s:[s], s:{s:b}}", "addresses", ip_addr_format(&a, buf),
			       "conditions", "ready", ready);
	const json_t *ref = json_object_get(addr, "targetRef");
	if (json_is_object(ref))
		json_object_set_new(ep, "targetRef", json_deep_copy(ref));
	if (*podutil_str(addr, "nodeName"))
		json_object_set(ep, "nodeName", json_object_get(addr, "nodeName"));
	if (*podutil_str(addr, "hostname"))
		json_object_set(ep, "hostname", json_object_get(addr, "hostname"));
	return ep;
}

size_t eps_mirror_desired(const json_t *ep, size_t max, struct eps_desired *d)
{
	static const char *const lists[] = {"addresses", "notReadyAddresses"};
	size_t skipped = 0, i;
	const json_t *ss;
	json_array_foreach(json_object_get(ep, "subsets"), i, ss)
	{
		const json_t *ports = json_object_get(ss, "ports");
		json_t *empty = json_array();
		size_t added = 0;
		for (int l = 0; l < 2; l++) {
			size_t j;
			const json_t *addr;
			json_array_foreach(json_object_get(ss, lists[l]), j, addr)
			{
				enum ip_family fam;
				json_t *e =
				    added < max ? mirror_endpoint(addr, l == 0, &fam) : NULL;
				if (!e) {
					skipped++;
					continue;
				}
				added++;
				eps_desired_add(d, fam == IP_V6 ? "IPv6" : "IPv4",
						ports ? ports : empty, e);
			}
		}
		json_decref(empty);
	}
	return skipped;
}
