/*
 * Defaulting and validation of the kinds other than Service: Endpoints,
 * EndpointSlice, Namespace, Node, Event and Lease, with kube-apiserver's paths and
 * messages. Pods are in validate_pod.c.
 */
#include "api/validate-internal.h"

#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTOCOLS "\"SCTP\", \"TCP\", \"UDP\""

static bool is_protocol(const char *p)
{
	return !strcmp(p, "TCP") || !strcmp(p, "UDP") || !strcmp(p, "SCTP");
}

/* Sets obj[key] = value (a string) when absent, null or "". */
static void default_str(json_t *obj, const char *key, const char *value)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_object(obj) &&
	    (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))))
		json_object_set_new(obj, key, json_string(value));
}

/* The string at key, "" when absent or not a string. */
static const char *str_of(const json_t *obj, const char *key)
{
	const char *s = jstr(obj, key);
	return s ? s : "";
}

/* protocol required and one of TCP, UDP, SCTP, at base.protocol. */
static void check_protocol(struct field_errs *errs, const json_t *port, const char *base)
{
	char f[VPATH];
	const char *proto = vstr(errs, port, "protocol", vpath(f, base, "protocol"), NULL);
	if (!proto || !*proto)
		field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
	else if (!is_protocol(proto)) {
		json_t *v = json_string(proto);
		field_errs_add(errs, FE_NOT_SUPPORTED, f, v, PROTOCOLS);
		json_decref(v);
	}
}

/* ---- Endpoints ---- */

void default_endpoints(json_t *obj)
{
	json_t *subsets = json_object_get(obj, "subsets");
	for (size_t i = 0; i < jlen(subsets); i++) {
		json_t *ports = json_object_get(json_array_get(subsets, i), "ports");
		for (size_t j = 0; j < jlen(ports); j++)
			default_str(json_array_get(ports, j), "protocol", "TCP");
	}
}

static void validate_ep_address(const json_t *a, const char *base, struct field_errs *errs)
{
	char f[VPATH];
	const char *ip = vstr(errs, a, "ip", vpath(f, base, "ip"), NULL);
	check_ip(errs, f, ip ? ip : "");
	const char *host = vstr(errs, a, "hostname", vpath(f, base, "hostname"), NULL);
	if (host && *host)
		check_dns1123_label(errs, f, host);
	const char *node = vstr(errs, a, "nodeName", vpath(f, base, "nodeName"), NULL);
	if (node)
		check_dns1123_subdomain(errs, f, node);
	check_non_special_ip(errs, vpath(f, base, "ip"), ip ? ip : "");
}

static void validate_ep_port(const json_t *p, bool require_name, const char *base,
			     struct field_errs *errs)
{
	char f[VPATH];
	json_int_t port;
	const char *name = vstr(errs, p, "name", vpath(f, base, "name"), NULL);
	if (require_name && (!name || !*name))
		field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
	else if (name && *name)
		check_dns1123_label(errs, f, name);
	vint(errs, p, "port", vpath(f, base, "port"), &port);
	check_port_num(errs, f, port);
	check_protocol(errs, p, base);
	const char *app = vstr(errs, p, "appProtocol", vpath(f, base, "appProtocol"), NULL);
	if (app)
		check_qualified_name(errs, f, app);
}

void validate_endpoints(const json_t *obj, struct field_errs *errs)
{
	const json_t *subsets = varr(errs, obj, "subsets", "subsets");
	char base[VPATH], f[VPATH];
	for (size_t i = 0; i < jlen(subsets); i++) {
		const json_t *ss = json_array_get(subsets, i);
		snprintf(base, sizeof(base), "subsets[%zu]", i);
		const json_t *addrs = varr(errs, ss, "addresses", vpath(f, base, "addresses"));
		const json_t *nr =
		    varr(errs, ss, "notReadyAddresses", vpath(f, base, "notReadyAddresses"));
		const json_t *ports = varr(errs, ss, "ports", vpath(f, base, "ports"));
		if (!jlen(addrs) && !jlen(nr))
			field_errs_add(errs, FE_REQUIRED, base, NULL,
				       "must specify `addresses` or `notReadyAddresses`");
		for (size_t j = 0; j < jlen(addrs); j++) {
			snprintf(f, sizeof(f), "subsets[%zu].addresses[%zu]", i, j);
			validate_ep_address(json_array_get(addrs, j), f, errs);
		}
		for (size_t j = 0; j < jlen(nr); j++) {
			snprintf(f, sizeof(f), "subsets[%zu].notReadyAddresses[%zu]", i, j);
			validate_ep_address(json_array_get(nr, j), f, errs);
		}
		for (size_t j = 0; j < jlen(ports); j++) {
			snprintf(f, sizeof(f), "subsets[%zu].ports[%zu]", i, j);
			validate_ep_port(json_array_get(ports, j), jlen(ports) > 1, f, errs);
		}
	}
}

/* ---- EndpointSlice ---- */

#define MAX_ENDPOINTS 1000
#define MAX_ADDRESSES 100
#define MAX_PORTS     20000

void default_endpointslice(json_t *obj)
{
	json_t *ports = json_object_get(obj, "ports");
	for (size_t i = 0; i < jlen(ports); i++) {
		json_t *p = json_array_get(ports, i);
		const json_t *name = json_object_get(p, "name");
		if (json_is_object(p) && (!name || json_is_null(name)))
			json_object_set_new(p, "name", json_string(""));
		default_str(p, "protocol", "TCP");
	}
}

static void too_many(struct field_errs *errs, const char *path, size_t n, size_t max)
{
	field_errs_add(errs, FE_TOO_MANY, path, NULL, "%zu: must have at most %zu items", n, max);
}

/* IsFullyQualifiedDomainName of apimachinery. */
static void check_fqdn(struct field_errs *errs, const char *path, const char *name)
{
	struct vmsgs m = {0};
	char *s = xstrdup(name);
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		s[n - 1] = '\0';
	is_dns1123_subdomain(s, &m);
	if (m.n) {
		struct strbuf sb = STRBUF_INIT;
		for (int i = 0; i < m.n; i++)
			sb_printf(&sb, "%s%s", i ? "," : "", m.v[i]);
		json_t *v = json_string(s);
		field_errs_add(errs, FE_INVALID, path, v, "%s", sb.buf);
		json_decref(v);
		sb_free(&sb);
	} else if (!strchr(s, '.')) {
		json_t *v = json_string(s);
		field_errs_add(errs, FE_INVALID, path, v,
			       "should be a domain with at least two segments separated by dots");
		json_decref(v);
	}
	vmsgs_free(&m);
	free(s);
}

static void validate_slice_address(const char *type, const char *addr, const char *path,
				   struct field_errs *errs)
{
	unsigned char ip[16];
	int fam = ip_parse(addr, ip);
	json_t *v = json_string(addr);
	if (!strcmp(type, "IPv4") || !strcmp(type, "IPv6")) {
		/* IPv4 means a dotted quad, not an IPv4-mapped IPv6 address. */
		bool v4 = !strcmp(type, "IPv4");
		bool ok = v4 ? fam == 4 && !strchr(addr, ':') : fam == 6;
		if (!ok)
			field_errs_add(errs, FE_INVALID, path, v, "must be a valid %s address",
				       type);
		else
			check_non_special_ip(errs, path, addr);
	} else if (!strcmp(type, "FQDN")) {
		if (!*addr)
			field_errs_add(errs, FE_REQUIRED, path, NULL, NULL);
		else
			check_fqdn(errs, path, addr);
	}
	json_decref(v);
}

static void validate_slice_endpoint(const json_t *ep, size_t i, const char *type,
				    struct field_errs *errs)
{
	char base[VPATH], f[VPATH], ap[VPATH];
	snprintf(base, sizeof(base), "endpoints[%zu]", i);
	const json_t *addrs = varr(errs, ep, "addresses", vpath(ap, base, "addresses"));
	if (!jlen(addrs))
		field_errs_add(errs, FE_REQUIRED, ap, NULL, "must contain at least 1 address");
	else if (jlen(addrs) > MAX_ADDRESSES)
		too_many(errs, ap, jlen(addrs), MAX_ADDRESSES);
	for (size_t j = 0; j < jlen(addrs); j++) {
		const json_t *a = json_array_get(addrs, j);
		snprintf(f, sizeof(f), "endpoints[%zu].addresses[%zu]", i, j);
		validate_slice_address(type, json_is_string(a) ? json_string_value(a) : "", f,
				       errs);
	}
	const char *node = vstr(errs, ep, "nodeName", vpath(f, base, "nodeName"), NULL);
	if (node)
		check_dns1123_subdomain(errs, f, node);
	const char *host = vstr(errs, ep, "hostname", vpath(f, base, "hostname"), NULL);
	if (host)
		check_dns1123_label(errs, f, host);
	const json_t *topo = json_object_get(ep, "deprecatedTopology");
	if (json_object_size(topo) > 16)
		too_many(errs, vpath(f, base, "deprecatedTopology"), json_object_size(topo), 16);
	check_labels(errs, vpath(f, base, "deprecatedTopology"), topo);
	const json_t *cond = vobj(errs, ep, "conditions", vpath(f, base, "conditions"));
	static const char *const conds[] = {"ready", "serving", "terminating"};
	for (size_t k = 0; cond && k < 3; k++) {
		const json_t *c = json_object_get(cond, conds[k]);
		char cp[VPATH];
		vpath(cp, vpath(f, base, "conditions"), conds[k]);
		if (c && !json_is_null(c) && !json_is_boolean(c))
			field_errs_add(errs, FE_INVALID, cp, c, "must be a boolean");
	}
}

static void validate_slice_ports(const json_t *ports, struct field_errs *errs)
{
	char base[VPATH], f[VPATH];
	if (jlen(ports) > MAX_PORTS) {
		too_many(errs, "ports", jlen(ports), MAX_PORTS);
		return;
	}
	json_t *names = json_object();
	for (size_t i = 0; i < jlen(ports); i++) {
		const json_t *p = json_array_get(ports, i);
		json_int_t port;
		snprintf(base, sizeof(base), "ports[%zu]", i);
		const char *name = vstr(errs, p, "name", vpath(f, base, "name"), NULL);
		name = name ? name : "";
		if (*name)
			check_dns1123_label(errs, f, name);
		if (json_object_get(names, name)) {
			json_t *v = json_string(name);
			field_errs_add(errs, FE_DUPLICATE, f, v, NULL);
			json_decref(v);
		} else {
			json_object_set_new(names, name, json_true());
		}
		check_protocol(errs, p, base);
		if (vint(errs, p, "port", vpath(f, base, "port"), &port))
			check_port_num(errs, f, port);
		const char *app = vstr(errs, p, "appProtocol", vpath(f, base, "appProtocol"), NULL);
		if (app)
			check_qualified_name(errs, f, app);
	}
	json_decref(names);
}

void validate_endpointslice(const json_t *obj, const json_t *old, struct field_errs *errs)
{
	const char *type = vstr(errs, obj, "addressType", "addressType", NULL);
	if (!type || !*type) {
		field_errs_add(errs, FE_REQUIRED, "addressType", NULL, NULL);
	} else if (strcmp(type, "IPv4") && strcmp(type, "IPv6") && strcmp(type, "FQDN")) {
		json_t *v = json_string(type);
		field_errs_add(errs, FE_NOT_SUPPORTED, "addressType", v,
			       "\"FQDN\", \"IPv4\", \"IPv6\"");
		json_decref(v);
	}
	const json_t *eps = varr(errs, obj, "endpoints", "endpoints");
	if (jlen(eps) > MAX_ENDPOINTS)
		too_many(errs, "endpoints", jlen(eps), MAX_ENDPOINTS);
	else
		for (size_t i = 0; i < jlen(eps); i++)
			validate_slice_endpoint(json_array_get(eps, i), i, type ? type : "", errs);
	validate_slice_ports(varr(errs, obj, "ports", "ports"), errs);
	if (old &&
	    !jequal(json_object_get(obj, "addressType"), json_object_get(old, "addressType")))
		field_errs_add(errs, FE_INVALID, "addressType", json_object_get(obj, "addressType"),
			       "field is immutable");
}

/* ---- Namespace ---- */

void default_namespace(json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec");
	json_t *meta = json_object_get(obj, "metadata");
	if (!spec) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	if (json_is_object(spec) && !json_object_get(spec, "finalizers"))
		json_object_set_new(spec, "finalizers", json_pack("[s]", "kubernetes"));
	json_t *status = json_object_get(obj, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	default_str(status, "phase", "Active");
	/* Every namespace carries its name as a label, set by the server. */
	const char *name = jstr(meta, "name");
	if (name && *name && json_is_object(meta)) {
		json_t *labels = json_object_get(meta, "labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(meta, "labels", labels);
		}
		json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
	}
}

void validate_namespace(const json_t *obj, struct field_errs *errs)
{
	const json_t *fins =
	    varr(errs, json_object_get(obj, "spec"), "finalizers", "spec.finalizers");
	for (size_t i = 0; i < jlen(fins); i++) {
		const json_t *f = json_array_get(fins, i);
		const char *s = json_is_string(f) ? json_string_value(f) : "";
		check_qualified_name(errs, "spec.finalizers", s);
		if (!strchr(s, '/') && strcmp(s, "kubernetes") && strcmp(s, "orphan") &&
		    strcmp(s, "foregroundDeletion"))
			field_errs_add(errs, FE_INVALID, "spec.finalizers", f,
				       "name is neither a standard finalizer name nor is it fully "
				       "qualified");
	}
}

void validate_namespace_status(const json_t *obj, struct field_errs *errs)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *phase = json_object_get(json_object_get(obj, "status"), "phase");
	const char *p = json_is_string(phase) ? json_string_value(phase) : "";
	json_t *v = json_string(p);
	/* "Phase" with a capital P is kube-apiserver's path. */
	if (!json_object_get(meta, "deletionTimestamp")) {
		if (strcmp(p, "Active"))
			field_errs_add(errs, FE_INVALID, "status.Phase", v,
				       "may only be 'Active' if `deletionTimestamp` is empty");
	} else if (strcmp(p, "Terminating")) {
		field_errs_add(errs, FE_INVALID, "status.Phase", v,
			       "may only be 'Terminating' if `deletionTimestamp` is not empty");
	}
	json_decref(v);
}

/* ---- Node ---- */

static void validate_taints(const json_t *taints, struct field_errs *errs)
{
	char base[VPATH], f[VPATH];
	for (size_t i = 0; i < jlen(taints); i++) {
		const json_t *t = json_array_get(taints, i);
		snprintf(base, sizeof(base), "spec.taints[%zu]", i);
		const char *key = vstr(errs, t, "key", vpath(f, base, "key"), NULL);
		check_qualified_name(errs, f, key ? key : "");
		const char *val = vstr(errs, t, "value", vpath(f, base, "value"), NULL);
		struct vmsgs m = {0};
		is_label_value(val ? val : "", &m);
		if (m.n) {
			struct strbuf sb = STRBUF_INIT;
			for (int k = 0; k < m.n; k++)
				sb_printf(&sb, "%s%s", k ? ";" : "", m.v[k]);
			json_t *v = json_string(val);
			field_errs_add(errs, FE_INVALID, f, v, "%s", sb.buf);
			json_decref(v);
			sb_free(&sb);
		}
		vmsgs_free(&m);
		const char *eff = vstr(errs, t, "effect", vpath(f, base, "effect"), NULL);
		if (!eff || !*eff)
			field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		else if (strcmp(eff, "NoSchedule") && strcmp(eff, "PreferNoSchedule") &&
			 strcmp(eff, "NoExecute"))
			field_errs_add(errs, FE_NOT_SUPPORTED, f, json_object_get(t, "effect"),
				       "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
	}
}

void validate_node(const json_t *obj, const json_t *old, struct field_errs *errs)
{
	static const char *const no_change =
	    "node updates may not change podCIDR except from \"\" to valid";
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *cidrs = varr(errs, spec, "podCIDRs", "spec.podCIDRs");
	char f[VPATH];
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < jlen(cidrs); i++) {
		const json_t *c = json_array_get(cidrs, i);
		int fam = json_is_string(c) ? cidr_parse(json_string_value(c)) : 0;
		snprintf(f, sizeof(f), "spec.podCIDRs[%zu]", i);
		if (!fam)
			field_errs_add(errs, FE_INVALID, f, c,
				       "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
				       "2001:db8::/64)");
		*(fam == 6 ? &v6 : &v4) = true;
	}
	if (jlen(cidrs) > 1 && (!(v4 && v6) || jlen(cidrs) > 2)) {
		char *raw = go_slice("string", cidrs);
		add_raw(errs, FE_INVALID, "spec.podCIDRs", raw,
			"may specify no more than one CIDR for each IP family");
		free(raw);
	}
	validate_taints(varr(errs, spec, "taints", "spec.taints"), errs);
	if (!old)
		return;
	const json_t *ospec = json_object_get(old, "spec");
	const json_t *ocidrs = json_object_get(ospec, "podCIDRs");
	if (jlen(ocidrs) && !json_equal((json_t *)ocidrs, (json_t *)cidrs))
		field_errs_add(errs, FE_FORBIDDEN, "spec.podCIDRs", NULL, "%s", no_change);
	const char *opid = jstr(ospec, "providerID");
	const char *pid = jstr(spec, "providerID");
	if (opid && *opid && (!pid || strcmp(opid, pid)))
		field_errs_add(errs, FE_FORBIDDEN, "spec.providerID", NULL,
			       "node updates may not change providerID except from \"\" to valid");
}

/* ---- Event ---- */

static void check_event_str(struct field_errs *errs, const json_t *obj, const char *key, size_t max)
{
	const char *v = jstr(obj, key);
	if (!v || !*v)
		field_errs_add(errs, FE_REQUIRED, key, NULL, NULL);
	if (v && strlen(v) > max) {
		json_t *e = json_string("");
		field_errs_add(errs, FE_INVALID, key, e, "can have at most %zu characters", max);
		json_decref(e);
	}
}

void validate_event(const json_t *obj, struct field_errs *errs)
{
	const char *ns = str_of(json_object_get(obj, "metadata"), "namespace");
	const json_t *inv = vobj(errs, obj, "involvedObject", "involvedObject");
	const char *ins = str_of(inv, "namespace");
	json_t *v = json_string(ins);
	const json_t *et = json_object_get(obj, "eventTime");
	if (!et || json_is_null(et)) {
		/* An old-style event: the namespaces must agree ("default" for cluster objects). */
		if ((!*ins && *ns && strcmp(ns, "default")) || (*ins && strcmp(ns, ins)))
			field_errs_add(errs, FE_INVALID, "involvedObject.namespace", v,
				       "does not match event.namespace");
	} else {
		if (!*ins && strcmp(ns, "default") && strcmp(ns, "kube-system"))
			field_errs_add(errs, FE_INVALID, "involvedObject.namespace", v,
				       "does not match event.namespace");
		const char *rc = str_of(obj, "reportingComponent");
		if (!*rc)
			field_errs_add(errs, FE_REQUIRED, "reportingComponent", NULL, NULL);
		check_qualified_name(errs, "reportingComponent", rc);
		check_event_str(errs, obj, "reportingInstance", 128);
		check_event_str(errs, obj, "action", 128);
		check_event_str(errs, obj, "reason", 128);
		const char *msg = str_of(obj, "message");
		if (strlen(msg) > 1024) {
			json_t *e = json_string("");
			field_errs_add(errs, FE_INVALID, "message", e,
				       "can have at most 1024 characters");
			json_decref(e);
		}
	}
	json_decref(v);
	struct vmsgs m = {0};
	is_dns1123_subdomain(ns, &m);
	add_msgs(errs, "namespace", ns, &m);
}

/* ---- Lease ---- */

/* A spec integer at key that must be at least min (coordination's ValidateLeaseSpec). */
static void check_lease_int(struct field_errs *errs, const json_t *spec, const char *key,
			    json_int_t min, const char *msg)
{
	char path[VPATH];
	json_int_t v;
	vpath(path, "spec", key);
	if (!json_object_get(spec, key) || json_is_null(json_object_get(spec, key)))
		return;
	if (vint(errs, spec, key, path, &v) && v < min) {
		json_t *jv = json_integer(v);
		field_errs_add(errs, FE_INVALID, path, jv, "%s", msg);
		json_decref(jv);
	}
}

/*
 * A Lease: the name is a DNS subdomain (validate_meta checks it), the
 * duration positive, the transitions not negative, and a preferredHolder
 * only with a strategy, as kube-apiserver's ValidateLeaseSpec says.
 */
void validate_lease(const json_t *obj, struct field_errs *errs)
{
	const json_t *spec = vobj(errs, obj, "spec", "spec");
	if (!spec)
		return;
	check_lease_int(errs, spec, "leaseDurationSeconds", 1, "must be greater than 0");
	check_lease_int(errs, spec, "leaseTransitions", 0, "must be greater than or equal to 0");
	const char *strategy = vstr(errs, spec, "strategy", "spec.strategy", NULL);
	const char *preferred = vstr(errs, spec, "preferredHolder", "spec.preferredHolder", NULL);
	if (strategy && *strategy && strcmp(strategy, "OldestEmulationVersion")) {
		json_t *jv = json_string(strategy);
		field_errs_add(errs, FE_NOT_SUPPORTED, "spec.strategy", jv,
			       "\"OldestEmulationVersion\"");
		json_decref(jv);
	}
	if (preferred && *preferred && (!strategy || !*strategy))
		field_errs_add(errs, FE_FORBIDDEN, "spec.preferredHolder", NULL,
			       "may only be specified if `strategy` is defined");
}
