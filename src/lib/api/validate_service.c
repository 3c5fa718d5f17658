/*
 * Service: defaulting (SetDefaults_Service), the registry's preparation of an
 * update (patchAllocatedValues, normalizeClusterIPs, dropTypeDependentFields)
 * and validation (ValidateService, ValidateServiceUpdate,
 * ValidateServiceStatusUpdate), with kube-apiserver's paths and messages.
 */
#include "api/validate-internal.h"

#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTOCOLS	     "\"SCTP\", \"TCP\", \"UDP\""
#define MAX_AFFINITY_SECONDS 86400

/* The fields of a Service the rules look at, read without reporting errors. */
struct svc {
	const json_t *spec;
	const char *type;
	const char *cluster_ip;
	const json_t *ips; /* spec.clusterIPs, NULL when absent or not a list */
	const json_t *families;
	const json_t *policy; /* the JSON value of spec.ipFamilyPolicy or NULL */
	const char *etp;
	json_int_t hcnp;
	bool headless;
};

static const char *str_or_empty(const json_t *obj, const char *key)
{
	const char *s = jstr(obj, key);
	return s ? s : "";
}

static void svc_view(const json_t *obj, struct svc *s)
{
	const json_t *spec = json_object_get(obj, "spec");
	memset(s, 0, sizeof(*s));
	s->spec = json_is_object(spec) ? spec : NULL;
	s->type = str_or_empty(spec, "type");
	s->cluster_ip = str_or_empty(spec, "clusterIP");
	s->ips = json_object_get(spec, "clusterIPs");
	s->ips = json_is_array(s->ips) ? s->ips : NULL;
	s->families = json_object_get(spec, "ipFamilies");
	s->families = json_is_array(s->families) ? s->families : NULL;
	s->policy = json_object_get(spec, "ipFamilyPolicy");
	if (s->policy && json_is_null(s->policy))
		s->policy = NULL;
	s->etp = str_or_empty(spec, "externalTrafficPolicy");
	const json_t *h = json_object_get(spec, "healthCheckNodePort");
	s->hcnp = json_is_integer(h) ? json_integer_value(h) : 0;
	const json_t *ip0 = json_array_get(s->ips, 0);
	s->headless =
	    jlen(s->ips) == 1 && json_is_string(ip0) && !strcmp(json_string_value(ip0), "None");
}

/* apiservice.ExternallyAccessible. */
static bool externally_accessible(const struct svc *s)
{
	return !strcmp(s->type, "LoadBalancer") || !strcmp(s->type, "NodePort") ||
	       (!strcmp(s->type, "ClusterIP") && jlen(json_object_get(s->spec, "externalIPs")) > 0);
}

/* apiservice.NeedsHealthCheck. */
static bool needs_health_check(const struct svc *s)
{
	return !strcmp(s->type, "LoadBalancer") && !strcmp(s->etp, "Local");
}

/* An error with a string value and a formatted detail. */
static void err_s(struct field_errs *errs, enum field_err_type t, const char *path,
		  const char *value, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void err_s(struct field_errs *errs, enum field_err_type t, const char *path,
		  const char *value, const char *fmt, ...)
{
	char *d = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&d, fmt, ap) < 0)
			abort();
		va_end(ap);
	}
	json_t *v = value ? json_string(value) : NULL;
	if (d)
		field_errs_add(errs, t, path, v, "%s", d);
	else
		field_errs_add(errs, t, path, v, NULL);
	json_decref(v);
	free(d);
}

static void err_i(struct field_errs *errs, const char *path, json_int_t value, const char *detail)
{
	json_t *v = json_integer(value);
	field_errs_add(errs, FE_INVALID, path, v, "%s", detail);
	json_decref(v);
}

/* ---- defaulting ---- */

/* Absent, null or "": what Go sees as the zero value to default. */
static bool unset(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
}

static void default_affinity(json_t *spec)
{
	if (unset(spec, "sessionAffinity"))
		json_object_set_new(spec, "sessionAffinity", json_string("None"));
	const char *aff = str_or_empty(spec, "sessionAffinity");
	if (!strcmp(aff, "None")) {
		json_object_del(spec, "sessionAffinityConfig");
	} else if (!strcmp(aff, "ClientIP")) {
		json_t *cfg = json_object_get(spec, "sessionAffinityConfig");
		json_t *cip = json_object_get(cfg, "clientIP");
		json_t *t = json_object_get(cip, "timeoutSeconds");
		if (!t || json_is_null(t))
			json_object_set_new(
			    spec, "sessionAffinityConfig",
			    json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
	}
}

static void default_ports(json_t *spec)
{
	json_t *ports = json_object_get(spec, "ports");
	for (size_t i = 0; i < jlen(ports); i++) {
		json_t *p = json_array_get(ports, i);
		if (!json_is_object(p))
			continue;
		if (unset(p, "protocol"))
			json_object_set_new(p, "protocol", json_string("TCP"));
		json_t *tp = json_object_get(p, "targetPort");
		json_t *port = json_object_get(p, "port");
		bool unset = !tp || json_is_null(tp) ||
			     (json_is_integer(tp) && json_integer_value(tp) == 0) ||
			     (json_is_string(tp) && !*json_string_value(tp));
		if (unset && json_is_integer(port))
			json_object_set_new(p, "targetPort", json_copy(port));
	}
}

static void default_lb_status(json_t *obj)
{
	json_t *ingress = json_object_get(
	    json_object_get(json_object_get(obj, "status"), "loadBalancer"), "ingress");
	for (size_t i = 0; i < jlen(ingress); i++) {
		json_t *ing = json_array_get(ingress, i);
		const char *ip = jstr(ing, "ip");
		json_t *mode = json_object_get(ing, "ipMode");
		if (json_is_object(ing) && ip && *ip && (!mode || json_is_null(mode)))
			json_object_set_new(ing, "ipMode", json_string("VIP"));
	}
}

void default_service(json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec");
	struct svc s;
	if (!spec) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	if (!json_is_object(spec))
		return;
	default_affinity(spec);
	if (unset(spec, "type"))
		json_object_set_new(spec, "type", json_string("ClusterIP"));
	default_ports(spec);
	svc_view(obj, &s);
	if (externally_accessible(&s) && unset(spec, "externalTrafficPolicy"))
		json_object_set_new(spec, "externalTrafficPolicy", json_string("Cluster"));
	json_t *itp = json_object_get(spec, "internalTrafficPolicy");
	if ((!itp || json_is_null(itp)) &&
	    (!strcmp(s.type, "ClusterIP") || !strcmp(s.type, "NodePort") ||
	     !strcmp(s.type, "LoadBalancer")))
		json_object_set_new(spec, "internalTrafficPolicy", json_string("Cluster"));
	if (!strcmp(s.type, "LoadBalancer")) {
		json_t *alloc = json_object_get(spec, "allocateLoadBalancerNodePorts");
		if (!alloc || json_is_null(alloc))
			json_object_set_new(spec, "allocateLoadBalancerNodePorts", json_true());
		default_lb_status(obj);
	}
}

/* ---- preparation of create and update ---- */

/* Go's sameStringSlice: nil and empty are the same. */
static bool same_list(const json_t *a, const json_t *b)
{
	if (jlen(a) != jlen(b))
		return false;
	for (size_t i = 0; i < jlen(a); i++)
		if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
			return false;
	return true;
}

static bool needs_cluster_ip(const struct svc *s)
{
	return strcmp(s->type, "ExternalName") != 0;
}

static bool needs_node_port(const struct svc *s)
{
	return !strcmp(s->type, "NodePort") || !strcmp(s->type, "LoadBalancer");
}

static json_int_t node_port(const json_t *port)
{
	const json_t *np = json_object_get(port, "nodePort");
	return json_is_integer(np) ? json_integer_value(np) : 0;
}

static bool has_node_port(const json_t *ports, json_int_t np)
{
	for (size_t i = 0; i < jlen(ports); i++)
		if (node_port(json_array_get(ports, i)) == np)
			return true;
	return false;
}

/* Fills in nodePorts the client left out, by port name, unless used by another port. */
static void patch_node_ports(json_t *spec, const json_t *old_spec)
{
	const json_t *oports = json_object_get(old_spec, "ports");
	json_t *ports = json_object_get(spec, "ports");
	for (size_t i = 0; i < jlen(ports); i++) {
		json_t *p = json_array_get(ports, i);
		if (!json_is_object(p) || node_port(p) != 0)
			continue;
		const char *name = str_or_empty(p, "name");
		json_int_t old_val = 0;
		for (size_t j = 0; j < jlen(oports); j++) {
			const json_t *op = json_array_get(oports, j);
			if (!strcmp(str_or_empty(op, "name"), name))
				old_val = node_port(op);
		}
		/* "used" is the set of nodePorts held by both old and new. */
		if (old_val && !(has_node_port(oports, old_val) && has_node_port(ports, old_val)))
			json_object_set_new(p, "nodePort", json_integer(old_val));
	}
}

/* patchAllocatedValues: values allocated before, which the client did not repeat. */
static void patch_allocated(json_t *spec, const struct svc *s, const struct svc *o)
{
	if (needs_cluster_ip(o) && needs_cluster_ip(s)) {
		if (!*s->cluster_ip && *o->cluster_ip)
			json_object_set_new(spec, "clusterIP", json_string(o->cluster_ip));
		if (!jlen(s->ips) && jlen(o->ips))
			json_object_set_new(spec, "clusterIPs", json_deep_copy(o->ips));
	}
	if (needs_node_port(o) && needs_node_port(s))
		patch_node_ports(spec, o->spec);
	if (needs_health_check(o) && needs_health_check(s) && s->hcnp == 0 && o->hcnp != 0)
		json_object_set_new(spec, "healthCheckNodePort", json_integer(o->hcnp));
}

/* normalizeClusterIPs on update: keep clusterIP and clusterIPs in step. */
static void normalize_update(json_t *spec, const struct svc *s, const struct svc *o)
{
	if (jlen(o->ips) && !jlen(s->ips) && !strcmp(o->cluster_ip, s->cluster_ip))
		json_object_set_new(spec, "clusterIPs", json_deep_copy(o->ips));
	if (!strcmp(o->cluster_ip, s->cluster_ip))
		return;
	json_t *ips = json_object_get(spec, "clusterIPs");
	if (!same_list(o->ips, json_is_array(ips) ? ips : NULL))
		return;
	if (*o->cluster_ip && !*s->cluster_ip)
		json_object_del(spec, "clusterIPs");
	else
		json_object_set_new(spec, "clusterIPs", json_pack("[s]", s->cluster_ip));
}

/* sameNodePorts: the new nodePorts are a subset of the old ones. */
static bool same_node_ports(const json_t *spec, const json_t *old_spec)
{
	const json_t *ports = json_object_get(spec, "ports");
	for (size_t i = 0; i < jlen(ports); i++) {
		json_int_t np = node_port(json_array_get(ports, i));
		if (np && !has_node_port(json_object_get(old_spec, "ports"), np))
			return false;
	}
	return true;
}

/* dropTypeDependentFields: what the new type does not use, when unchanged. */
static void drop_type_dependent(json_t *obj, json_t *spec, const struct svc *s, const struct svc *o)
{
	if (needs_cluster_ip(o) && !needs_cluster_ip(s)) {
		if (!strcmp(o->cluster_ip, s->cluster_ip) && same_list(o->ips, s->ips)) {
			json_object_del(spec, "clusterIP");
			json_object_del(spec, "clusterIPs");
		}
		if (jequal(o->families, s->families))
			json_object_del(spec, "ipFamilies");
		if (!strcmp(str_or_empty(o->spec, "ipFamilyPolicy"),
			    str_or_empty(spec, "ipFamilyPolicy")))
			json_object_del(spec, "ipFamilyPolicy");
	}
	json_t *ports = json_object_get(spec, "ports");
	if (needs_node_port(o) && !needs_node_port(s) && same_node_ports(spec, o->spec))
		for (size_t i = 0; i < jlen(ports); i++)
			if (json_is_object(json_array_get(ports, i)))
				json_object_del(json_array_get(ports, i), "nodePort");
	if (needs_health_check(o) && !needs_health_check(s) && o->hcnp == s->hcnp)
		json_object_del(spec, "healthCheckNodePort");
	bool o_lb = !strcmp(o->type, "LoadBalancer"), n_lb = !strcmp(s->type, "LoadBalancer");
	if (o_lb && !n_lb) {
		json_t *a = json_object_get(spec, "allocateLoadBalancerNodePorts");
		json_t *oa = json_object_get(o->spec, "allocateLoadBalancerNodePorts");
		if (json_is_boolean(a) && json_is_boolean(oa) && json_equal(a, oa))
			json_object_del(spec, "allocateLoadBalancerNodePorts");
		if (jequal(json_object_get(spec, "loadBalancerClass"),
			   json_object_get(o->spec, "loadBalancerClass")))
			json_object_del(spec, "loadBalancerClass");
	}
	if (externally_accessible(o) && !externally_accessible(s) && !strcmp(o->etp, s->etp))
		json_object_del(spec, "externalTrafficPolicy");
	json_t *status = json_object_get(obj, "status");
	if (!n_lb && json_is_object(status) && json_object_get(status, "loadBalancer"))
		json_object_set_new(status, "loadBalancer", json_object());
}

void prepare_service(json_t *obj, const json_t *old)
{
	json_t *spec = json_object_get(obj, "spec");
	struct svc s, o;
	if (!json_is_object(spec))
		return;
	svc_view(obj, &s);
	if (!old) {
		if (*s.cluster_ip && !jlen(s.ips))
			json_object_set_new(spec, "clusterIPs", json_pack("[s]", s.cluster_ip));
		return;
	}
	svc_view(old, &o);
	if (!o.spec)
		return;
	patch_allocated(spec, &s, &o);
	svc_view(obj, &s);
	normalize_update(spec, &s, &o);
	svc_view(obj, &s);
	drop_type_dependent(obj, spec, &s, &o);
}

/* ---- validation ---- */

static void validate_port(const json_t *p, size_t i, size_t n, json_t *names,
			  struct field_errs *errs)
{
	char path[VPATH], f[VPATH];
	json_int_t v;
	snprintf(path, sizeof(path), "spec.ports[%zu]", i);
	if (!json_is_object(p)) {
		field_errs_add(errs, FE_INVALID, path, p, "must be an object");
		return;
	}
	vpath(f, path, "name");
	const char *name = vstr(errs, p, "name", f, NULL);
	if (n > 1 && (!name || !*name)) {
		field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
	} else if (name && *name) {
		check_dns1123_label(errs, f, name);
		if (json_object_get(names, name))
			err_s(errs, FE_DUPLICATE, f, name, NULL);
		else
			json_object_set_new(names, name, json_true());
	}
	vpath(f, path, "port");
	vint(errs, p, "port", f, &v);
	check_port_num(errs, f, v);
	vpath(f, path, "protocol");
	const char *proto = vstr(errs, p, "protocol", f, NULL);
	if (!proto || !*proto)
		field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
	else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP"))
		err_s(errs, FE_NOT_SUPPORTED, f, proto, "%s", PROTOCOLS);
	vpath(f, path, "targetPort");
	json_t *tp = json_object_get(p, "targetPort");
	if (json_is_integer(tp)) {
		check_port_num(errs, f, json_integer_value(tp));
	} else if (json_is_string(tp)) {
		struct vmsgs m = {0};
		is_port_name(json_string_value(tp), &m);
		add_msgs(errs, f, json_string_value(tp), &m);
	} else if (tp && !json_is_null(tp)) {
		field_errs_add(errs, FE_INVALID, f, tp, "must be an integer or a string");
	}
	vpath(f, path, "appProtocol");
	const char *app = vstr(errs, p, "appProtocol", f, NULL);
	if (app)
		check_qualified_name(errs, f, app);
	vpath(f, path, "nodePort");
	if (vint(errs, p, "nodePort", f, &v) && (v < 0 || v > 65535)) {
		json_t *jv = json_integer(v);
		field_errs_add(errs, FE_INVALID, f, jv, "must be between %d and %d, inclusive", 0,
			       65535);
		json_decref(jv);
	}
}

/* Go's %#v of the core.ServicePort key of the duplicate check. */
static void dup_port(struct field_errs *errs, const char *path, const char *proto, json_int_t port)
{
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "core.ServicePort{Name:\"\", Protocol:");
	sb_json_str(&sb, proto);
	sb_printf(&sb,
		  ", AppProtocol:(*string)(nil), Port:%lld, TargetPort:intstr.IntOrString{Type:0, "
		  "IntVal:0, StrVal:\"\"}, NodePort:0}",
		  (long long)port);
	add_raw(errs, FE_DUPLICATE, path, sb.buf, NULL);
	sb_free(&sb);
}

static json_int_t int_or_zero(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The first port before i with the same protocol and the same value at key, or -1. */
static long find_same(const json_t *ports, size_t i, const char *key)
{
	const json_t *p = json_array_get(ports, i);
	for (size_t j = 0; j < i; j++) {
		const json_t *q = json_array_get(ports, j);
		if (int_or_zero(p, key) == int_or_zero(q, key) &&
		    !strcmp(str_or_empty(p, "protocol"), str_or_empty(q, "protocol")))
			return (long)j;
	}
	return -1;
}

/* Duplicate (protocol, nodePort) and (protocol, port) pairs; nodePort forbidden for ClusterIP. */
static void validate_port_sets(const struct svc *s, struct field_errs *errs)
{
	const json_t *ports = json_object_get(s->spec, "ports");
	char f[VPATH];
	for (size_t i = 0; i < jlen(ports); i++) {
		snprintf(f, sizeof(f), "spec.ports[%zu].nodePort", i);
		if (!strcmp(s->type, "ClusterIP") && node_port(json_array_get(ports, i)))
			field_errs_add(errs, FE_FORBIDDEN, f, NULL,
				       "may not be used when `type` is 'ClusterIP'");
	}
	for (size_t i = 0; i < jlen(ports); i++) {
		json_int_t np = node_port(json_array_get(ports, i));
		if (np == 0 || find_same(ports, i, "nodePort") < 0)
			continue;
		snprintf(f, sizeof(f), "spec.ports[%zu].nodePort", i);
		json_t *jv = json_integer(np);
		field_errs_add(errs, FE_DUPLICATE, f, jv, NULL);
		json_decref(jv);
	}
	for (size_t i = 0; i < jlen(ports); i++) {
		const json_t *p = json_array_get(ports, i);
		if (find_same(ports, i, "port") < 0)
			continue;
		snprintf(f, sizeof(f), "spec.ports[%zu]", i);
		dup_port(errs, f, str_or_empty(p, "protocol"), int_or_zero(p, "port"));
	}
}

static void err_slice(struct field_errs *errs, const char *path, const char *type,
		      const json_t *arr, const char *detail)
{
	char *raw = go_slice(type, arr);
	add_raw(errs, FE_INVALID, path, raw, detail);
	free(raw);
}

static void validate_families(const struct svc *s, struct field_errs *errs)
{
	char f[VPATH];
	for (size_t i = 0; i < jlen(s->families); i++) {
		const json_t *fam = json_array_get(s->families, i);
		snprintf(f, sizeof(f), "spec.ipFamilies[%zu]", i);
		if (!json_is_string(fam) || (strcmp(json_string_value(fam), "IPv4") &&
					     strcmp(json_string_value(fam), "IPv6")))
			field_errs_add(errs, FE_NOT_SUPPORTED, f, fam, "\"IPv4\", \"IPv6\"");
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(s->families, j), (json_t *)fam)) {
				field_errs_add(errs, FE_DUPLICATE, f, fam, NULL);
				break;
			}
	}
	const char *pol = json_is_string(s->policy) ? json_string_value(s->policy) : NULL;
	if (s->policy && (!pol || (strcmp(pol, "SingleStack") && strcmp(pol, "PreferDualStack") &&
				   strcmp(pol, "RequireDualStack"))))
		field_errs_add(errs, FE_NOT_SUPPORTED, "spec.ipFamilyPolicy", s->policy,
			       "\"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"");
}

/* Each clusterIP valid, "None" only alone, at most two. Returns true if an IP is invalid. */
static bool validate_cluster_ip_list(const struct svc *s, struct field_errs *errs)
{
	bool invalid = false;
	char f[VPATH];
	for (size_t i = 0; i < jlen(s->ips); i++) {
		const json_t *e = json_array_get(s->ips, i);
		const char *ip = json_is_string(e) ? json_string_value(e) : "";
		if (i == 0 && !strcmp(ip, "None")) {
			if (jlen(s->ips) > 1) {
				invalid = true;
				err_slice(errs, "spec.clusterIPs", "string", s->ips,
					  "'None' must be the first and only value");
			}
			continue;
		}
		snprintf(f, sizeof(f), "spec.clusterIPs[%zu]", i);
		if (!check_ip(errs, f, ip))
			invalid = true;
	}
	if (jlen(s->ips) > 2)
		err_slice(errs, "spec.clusterIPs", "string", s->ips,
			  "may only hold up to 2 values");
	return invalid;
}

static int ip_family(const json_t *e)
{
	unsigned char buf[16];
	return json_is_string(e) ? ip_parse(json_string_value(e), buf) : 0;
}

/* The dual-stack checks after the IPs themselves are known to be valid. */
static void validate_dual_stack(const struct svc *s, struct field_errs *errs)
{
	char f[VPATH];
	size_t n = jlen(s->ips);
	if (n > 1) {
		bool v4 = false, v6 = false;
		for (size_t i = 0; i < n; i++)
			*(ip_family(json_array_get(s->ips, i)) == 6 ? &v6 : &v4) = true;
		if (!(v4 && v6))
			err_slice(errs, "spec.clusterIPs", "string", s->ips,
				  "may specify no more than one IP for each IP family");
	}
	if (s->headless || !n)
		return;
	for (size_t i = 0; i < n && i < jlen(s->families); i++) {
		const json_t *fe = json_array_get(s->families, i);
		const json_t *ip = json_array_get(s->ips, i);
		const char *fam = json_is_string(fe) ? json_string_value(fe) : "";
		int ipf = ip_family(ip);
		snprintf(f, sizeof(f), "spec.clusterIPs[%zu]", i);
		if (!strcmp(fam, "IPv4") && ipf == 6)
			field_errs_add(errs, FE_INVALID, f, ip,
				       "expected an IPv4 value as indicated by `ipFamilies[%zu]`",
				       i);
		if (!strcmp(fam, "IPv6") && ipf != 6)
			field_errs_add(errs, FE_INVALID, f, ip,
				       "expected an IPv6 value as indicated by `ipFamilies[%zu]`",
				       i);
	}
}

/* ValidateServiceClusterIPsRelatedFields, and the allocator's policy checks. */
static void validate_cluster_ips(const struct svc *s, struct field_errs *errs)
{
	size_t before = errs->n;
	if (!strcmp(s->type, "ExternalName"))
		return;
	if (*s->cluster_ip) {
		const json_t *ip0 = json_array_get(s->ips, 0);
		if (!jlen(s->ips))
			field_errs_add(errs, FE_REQUIRED, "spec.clusterIPs", NULL, NULL);
		else if (!json_is_string(ip0) || strcmp(json_string_value(ip0), s->cluster_ip))
			err_slice(errs, "spec.clusterIPs", "string", s->ips,
				  "first value must match `clusterIP`");
	} else if (jlen(s->ips)) {
		err_slice(errs, "spec.clusterIPs", "string", s->ips,
			  "must be empty when `clusterIP` is not specified");
	}
	validate_families(s, errs);
	if (validate_cluster_ip_list(s, errs))
		return;
	validate_dual_stack(s, errs);
	if (errs->n != before || !json_is_string(s->policy) ||
	    strcmp(json_string_value(s->policy), "SingleStack"))
		return;
	if (jlen(s->ips) == 2)
		field_errs_add(errs, FE_INVALID, "spec.ipFamilyPolicy", s->policy,
			       "must be 'RequireDualStack' or 'PreferDualStack' when multiple "
			       "cluster IPs are specified");
	if (jlen(s->families) == 2)
		field_errs_add(errs, FE_INVALID, "spec.ipFamilyPolicy", s->policy,
			       "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP "
			       "families are specified");
}

static void validate_type(const struct svc *s, struct field_errs *errs)
{
	const json_t *ip0 = json_array_get(s->ips, 0);
	bool lb = !strcmp(s->type, "LoadBalancer");
	if ((lb || !strcmp(s->type, "NodePort")) && s->headless)
		field_errs_add(errs, FE_INVALID, "spec.clusterIPs[0]", ip0,
			       "may not be set to 'None' for %s services", s->type);
	if (strcmp(s->type, "ExternalName"))
		return;
	if (jlen(s->ips))
		field_errs_add(errs, FE_FORBIDDEN, "spec.clusterIPs", NULL,
			       "may not be set for ExternalName services");
	if (jlen(s->families))
		field_errs_add(errs, FE_FORBIDDEN, "spec.ipFamilies", NULL,
			       "may not be set for ExternalName services");
	if (s->policy)
		field_errs_add(errs, FE_FORBIDDEN, "spec.ipFamilyPolicy", NULL,
			       "may not be set for ExternalName services");
	/* The name (a CNAME) may end in a dot to mark it fully qualified. */
	char *cname = xstrdup(str_or_empty(s->spec, "externalName"));
	size_t n = strlen(cname);
	if (n && cname[n - 1] == '.')
		cname[n - 1] = '\0';
	if (*cname)
		check_dns1123_subdomain(errs, "spec.externalName", cname);
	else
		field_errs_add(errs, FE_REQUIRED, "spec.externalName", NULL, NULL);
	free(cname);
}

static void validate_affinity(const struct svc *s, struct field_errs *errs)
{
	static const char req[] = "when session affinity type is ClientIP";
	const char *aff = vstr(errs, s->spec, "sessionAffinity", "spec.sessionAffinity", NULL);
	const json_t *cfg = json_object_get(s->spec, "sessionAffinityConfig");
	if (cfg && json_is_null(cfg))
		cfg = NULL;
	if (!aff || !*aff) {
		field_errs_add(errs, FE_REQUIRED, "spec.sessionAffinity", NULL, NULL);
	} else if (strcmp(aff, "ClientIP") && strcmp(aff, "None")) {
		err_s(errs, FE_NOT_SUPPORTED, "spec.sessionAffinity", aff,
		      "\"ClientIP\", \"None\"");
	} else if (!strcmp(aff, "None")) {
		if (cfg)
			field_errs_add(errs, FE_FORBIDDEN, "spec.sessionAffinityConfig", NULL,
				       "must not be set when session affinity is None");
	} else {
		const json_t *cip = json_object_get(cfg, "clientIP");
		const json_t *t = json_object_get(cip, "timeoutSeconds");
		const char *tp = "spec.sessionAffinityConfig.clientIP.timeoutSeconds";
		if (!cfg)
			field_errs_add(errs, FE_REQUIRED, "spec.sessionAffinityConfig", NULL, req);
		else if (!cip || json_is_null(cip))
			field_errs_add(errs, FE_REQUIRED, "spec.sessionAffinityConfig.clientIP",
				       NULL, req);
		else if (!t || json_is_null(t))
			field_errs_add(errs, FE_REQUIRED, tp, NULL, req);
		else if (!json_is_integer(t) || json_integer_value(t) <= 0 ||
			 json_integer_value(t) > MAX_AFFINITY_SECONDS)
			field_errs_add(errs, FE_INVALID, tp, t,
				       "must be greater than 0 and less than %d",
				       MAX_AFFINITY_SECONDS);
	}
}

static void validate_external_ips(const struct svc *s, struct field_errs *errs)
{
	const json_t *ips = varr(errs, s->spec, "externalIPs", "spec.externalIPs");
	char f[VPATH];
	for (size_t i = 0; i < jlen(ips); i++) {
		const json_t *e = json_array_get(ips, i);
		snprintf(f, sizeof(f), "spec.externalIPs[%zu]", i);
		const char *ip = json_is_string(e) ? json_string_value(e) : "";
		if (check_ip(errs, f, ip))
			check_non_special_ip(errs, f, ip);
	}
}

static void check_cidr(struct field_errs *errs, const char *path, const char *v)
{
	if (cidr_parse(v))
		return;
	err_s(errs, FE_INVALID, path, v,
	      "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
}

/* Go's strings.TrimSpace of ASCII white space; caller frees. */
static char *trim(const char *s, size_t n)
{
	while (n && strchr(" \t\r\n\v\f", *s)) {
		s++;
		n--;
	}
	while (n && strchr(" \t\r\n\v\f", s[n - 1]))
		n--;
	char *r = strndup(s, n);
	if (!r)
		abort();
	return r;
}

#define LB_RANGES_ANNOTATION "service.beta.kubernetes.io/load-balancer-source-ranges"
#define ONLY_LB		     "may only be used when `type` is 'LoadBalancer'"

static void validate_source_ranges(const json_t *obj, const struct svc *s, struct field_errs *errs)
{
	/* The capital L is kube-apiserver's, kept for the same message. */
	const json_t *ranges = json_object_get(s->spec, "loadBalancerSourceRanges");
	bool lb = !strcmp(s->type, "LoadBalancer");
	char f[VPATH];
	if (jlen(ranges)) {
		if (!lb)
			field_errs_add(errs, FE_FORBIDDEN, "spec.LoadBalancerSourceRanges", NULL,
				       ONLY_LB);
		for (size_t i = 0; i < jlen(ranges); i++) {
			const json_t *e = json_array_get(ranges, i);
			const char *v = json_is_string(e) ? json_string_value(e) : "";
			char *t = trim(v, strlen(v));
			snprintf(f, sizeof(f), "spec.LoadBalancerSourceRanges[%zu]", i);
			check_cidr(errs, f, t);
			free(t);
		}
		return;
	}
	const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *val = jstr(ann, LB_RANGES_ANNOTATION);
	if (!val)
		return;
	const char *path = "metadata.annotations[" LB_RANGES_ANNOTATION "]";
	if (!lb)
		field_errs_add(errs, FE_FORBIDDEN, path, NULL, ONLY_LB);
	char *all = trim(val, strlen(val));
	for (const char *p = all; *all;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *t = trim(p, n);
		check_cidr(errs, path, t);
		free(t);
		if (!comma)
			break;
		p = comma + 1;
	}
	free(all);
}

static void validate_lb_fields(const struct svc *s, struct field_errs *errs)
{
	bool lb = !strcmp(s->type, "LoadBalancer");
	const json_t *alloc = json_object_get(s->spec, "allocateLoadBalancerNodePorts");
	if (alloc && json_is_null(alloc))
		alloc = NULL;
	if (alloc && !lb)
		field_errs_add(errs, FE_FORBIDDEN, "spec.allocateLoadBalancerNodePorts", NULL,
			       ONLY_LB);
	/* The missing "spec." is kube-apiserver's. */
	if (lb && !alloc)
		field_errs_add(errs, FE_REQUIRED, "allocateLoadBalancerNodePorts", NULL, NULL);
	const char *cls = vstr(errs, s->spec, "loadBalancerClass", "spec.loadBalancerClass", NULL);
	if (cls && lb)
		check_qualified_name(errs, "spec.loadBalancerClass", cls);
	else if (cls)
		field_errs_add(errs, FE_FORBIDDEN, "spec.loadBalancerClass", NULL, ONLY_LB);
}

static void validate_traffic_policies(const struct svc *s, struct field_errs *errs)
{
	const char *etp =
	    vstr(errs, s->spec, "externalTrafficPolicy", "spec.externalTrafficPolicy", NULL);
	if (!externally_accessible(s)) {
		if (etp && *etp)
			err_s(errs, FE_INVALID, "spec.externalTrafficPolicy", etp,
			      "may only be set for externally-accessible services");
	} else if (!etp || !*etp) {
		field_errs_add(errs, FE_REQUIRED, "spec.externalTrafficPolicy", NULL, NULL);
	} else if (strcmp(etp, "Cluster") && strcmp(etp, "Local")) {
		err_s(errs, FE_NOT_SUPPORTED, "spec.externalTrafficPolicy", etp,
		      "\"Cluster\", \"Local\"");
	}
	json_int_t hc;
	vint(errs, s->spec, "healthCheckNodePort", "spec.healthCheckNodePort", &hc);
	if (!needs_health_check(s) && hc)
		err_i(
		    errs, "spec.healthCheckNodePort", hc,
		    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
		    "'Local'");
	else if (needs_health_check(s) && !hc)
		field_errs_add(errs, FE_REQUIRED, "spec.healthCheckNodePort", NULL, NULL);
	else if (needs_health_check(s))
		check_port_num(errs, "spec.healthCheckNodePort", hc);
	const char *itp =
	    vstr(errs, s->spec, "internalTrafficPolicy", "spec.internalTrafficPolicy", NULL);
	if (!itp && (!strcmp(s->type, "ClusterIP") || !strcmp(s->type, "NodePort") ||
		     !strcmp(s->type, "LoadBalancer")))
		field_errs_add(errs, FE_REQUIRED, "spec.internalTrafficPolicy", NULL, NULL);
	else if (itp && strcmp(itp, "Cluster") && strcmp(itp, "Local"))
		err_s(errs, FE_NOT_SUPPORTED, "spec.internalTrafficPolicy", itp,
		      "\"Cluster\", \"Local\"");
	const char *td =
	    vstr(errs, s->spec, "trafficDistribution", "spec.trafficDistribution", NULL);
	if (td && strcmp(td, "PreferClose"))
		err_s(errs, FE_NOT_SUPPORTED, "spec.trafficDistribution", td, "\"PreferClose\"");
}

/* validateUpgradeDowngradeClusterIPs. */
static void validate_ips_update(const struct svc *s, const struct svc *o, struct field_errs *errs)
{
	static const char *const ip0 = "spec.clusterIPs[0]";
	size_t n = jlen(s->ips), on = jlen(o->ips);
	char f[VPATH];
	if (!needs_cluster_ip(s) || !needs_cluster_ip(o) || (s->headless && o->headless))
		return;
	if (on == n) {
		for (size_t i = 0; i < on; i++) {
			if (json_equal(json_array_get(o->ips, i), json_array_get(s->ips, i)))
				continue;
			snprintf(f, sizeof(f), "spec.clusterIPs[%zu]", i);
			err_slice(errs, f, "string", s->ips, "may not change once set");
		}
		return;
	}
	bool primary_changed =
	    on && n && !json_equal(json_array_get(o->ips, 0), json_array_get(s->ips, 0));
	if (on > n && n == 0)
		err_slice(errs, ip0, "string", s->ips, "primary clusterIP can not be unset");
	if (primary_changed)
		err_slice(errs, ip0, "string", s->ips, "may not change once set");
	if (on > n && n == 1 &&
	    (!json_is_string(s->policy) || strcmp(json_string_value(s->policy), "SingleStack")))
		field_errs_add(
		    errs, FE_INVALID, "spec.ipFamilyPolicy", s->policy,
		    "must be set to 'SingleStack' when releasing the secondary clusterIP");
}

/* validateUpgradeDowngradeIPFamilies, including kube-apiserver's choice of printed values. */
static void validate_families_update(const struct svc *s, const struct svc *o,
				     struct field_errs *errs)
{
	static const char *const f0 = "spec.ipFamilies[0]";
	size_t n = jlen(s->families), on = jlen(o->families);
	if (!needs_cluster_ip(s) || !needs_cluster_ip(o) || s->headless != o->headless ||
	    s->headless)
		return;
	if (on == n) {
		for (size_t i = 0; i < on; i++)
			if (!json_equal(json_array_get(o->families, i),
					json_array_get(s->families, i)))
				err_slice(errs, f0, "core.IPFamily", s->families,
					  "may not change once set");
		return;
	}
	bool primary_changed =
	    on && n && !json_equal(json_array_get(o->families, 0), json_array_get(s->families, 0));
	if (on > n && !jlen(s->ips))
		err_slice(errs, f0, "core.IPFamily", s->families,
			  "primary ipFamily can not be unset");
	if (primary_changed)
		err_slice(errs, f0, "string", s->ips, "may not change once set");
	if (on > n && n == 1 &&
	    (!json_is_string(s->policy) || strcmp(json_string_value(s->policy), "SingleStack")))
		field_errs_add(
		    errs, FE_INVALID, "spec.ipFamilyPolicy", s->policy,
		    "must be set to 'SingleStack' when releasing the secondary ipFamily");
}

static void validate_service_update(const struct svc *s, const struct svc *o,
				    struct field_errs *errs)
{
	validate_ips_update(s, o, errs);
	validate_families_update(s, o, errs);
	if (!strcmp(s->type, "LoadBalancer") && !strcmp(o->type, "LoadBalancer") &&
	    !jequal(json_object_get(s->spec, "loadBalancerClass"),
		    json_object_get(o->spec, "loadBalancerClass"))) {
		const json_t *c = json_object_get(s->spec, "loadBalancerClass");
		field_errs_add(errs, FE_INVALID, "spec.loadBalancerClass", c,
			       "may not change once set");
	}
	if (needs_health_check(s) && needs_health_check(o) && s->hcnp != o->hcnp)
		field_errs_add(errs, FE_FORBIDDEN, "spec.healthCheckNodePort", NULL,
			       "field is immutable");
}

void validate_service(const json_t *obj, const json_t *old, struct field_errs *errs)
{
	struct svc s, o;
	svc_view(obj, &s);
	if (!vobj(errs, obj, "spec", "spec") || !s.spec) {
		field_errs_add(errs, FE_REQUIRED, "spec", NULL, NULL);
		return;
	}
	if (old) {
		svc_view(old, &o);
		if (o.spec)
			validate_service_update(&s, &o, errs);
	}
	const json_t *ports = varr(errs, s.spec, "ports", "spec.ports");
	if (!jlen(ports) && !s.headless && strcmp(s.type, "ExternalName"))
		field_errs_add(errs, FE_REQUIRED, "spec.ports", NULL, NULL);
	validate_type(&s, errs);
	json_t *names = json_object();
	for (size_t i = 0; i < jlen(ports); i++)
		validate_port(json_array_get(ports, i), i, jlen(ports), names, errs);
	json_decref(names);
	check_labels(errs, "spec.selector", json_object_get(s.spec, "selector"));
	validate_affinity(&s, errs);
	validate_cluster_ips(&s, errs);
	validate_external_ips(&s, errs);
	const char *type = vstr(errs, s.spec, "type", "spec.type", NULL);
	if (!type || !*type)
		field_errs_add(errs, FE_REQUIRED, "spec.type", NULL, NULL);
	else if (strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
		 strcmp(type, "LoadBalancer") && strcmp(type, "ExternalName"))
		err_s(errs, FE_NOT_SUPPORTED, "spec.type", type,
		      "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
	validate_port_sets(&s, errs);
	validate_source_ranges(obj, &s, errs);
	validate_lb_fields(&s, errs);
	validate_traffic_policies(&s, errs);
	const json_t *pnr = json_object_get(s.spec, "publishNotReadyAddresses");
	if (pnr && !json_is_null(pnr) && !json_is_boolean(pnr))
		field_errs_add(errs, FE_INVALID, "spec.publishNotReadyAddresses", pnr,
			       "must be a boolean");
}

static void validate_ingress(const json_t *ing, size_t i, struct field_errs *errs)
{
	char path[VPATH], f[VPATH];
	unsigned char buf[16];
	snprintf(path, sizeof(path), "status.loadBalancer.ingress[%zu]", i);
	vpath(f, path, "ip");
	const char *ip = vstr(errs, ing, "ip", f, NULL);
	if (ip && *ip)
		check_ip(errs, f, ip);
	vpath(f, path, "ipMode");
	const char *mode = vstr(errs, ing, "ipMode", f, NULL);
	if (!mode && ip && *ip)
		field_errs_add(errs, FE_REQUIRED, f, NULL, "must be specified when `ip` is set");
	else if (mode && (!ip || !*ip))
		field_errs_add(errs, FE_FORBIDDEN, f, NULL,
			       "may not be specified when `ip` is not set");
	else if (mode && strcmp(mode, "VIP") && strcmp(mode, "Proxy"))
		err_s(errs, FE_NOT_SUPPORTED, f, mode, "\"Proxy\", \"VIP\"");
	vpath(f, path, "hostname");
	const char *host = vstr(errs, ing, "hostname", f, NULL);
	if (host && *host) {
		check_dns1123_subdomain(errs, f, host);
		if (ip_parse(host, buf))
			err_s(errs, FE_INVALID, f, host, "must be a DNS name, not an IP address");
	}
}

void validate_service_status(const json_t *obj, const json_t *old, struct field_errs *errs)
{
	struct svc s;
	svc_view(obj, &s);
	const json_t *lb = json_object_get(json_object_get(obj, "status"), "loadBalancer");
	const json_t *ingress = varr(errs, lb, "ingress", "status.loadBalancer.ingress");
	if (strcmp(s.type, "LoadBalancer") && jlen(ingress)) {
		field_errs_add(errs, FE_FORBIDDEN, "status.loadBalancer.ingress", NULL,
			       "may only be used when `spec.type` is 'LoadBalancer'");
		return;
	}
	for (size_t i = 0; i < jlen(ingress); i++)
		validate_ingress(json_array_get(ingress, i), i, errs);
}
