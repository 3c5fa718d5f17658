/* Unit tests of api_default, api_prepare and api_validate (src/lib/api/validate*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALID (-1)

/* Parses JSON written with ' for " (test tables stay readable); aborts on error. */
static json_t *js(const char *text)
{
	char *s = strdup(text);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	free(s);
	return v;
}

static json_t *object(const char *kind, const char *ns, const char *name, const char *rest)
{
	json_t *o = rest ? js(rest) : json_object();
	json_t *meta = json_object_get(o, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	}
	if (name && !json_object_get(meta, "name"))
		json_object_set_new(meta, "name", json_string(name));
	if (ns && !json_object_get(meta, "namespace"))
		json_object_set_new(meta, "namespace", json_string(ns));
	json_object_set_new(o, "kind", json_string(kind));
	return o;
}

static json_t *service(const char *spec)
{
	json_t *o = object("Service", "default", "web", NULL);
	json_object_set_new(o, "spec", js(spec));
	return o;
}

/* Defaults, prepares and validates obj as the API server does; errs filled. */
static void run(json_t *obj, const json_t *old, struct field_errs *errs)
{
	const struct api_resource *r =
	    api_resource_by_kind(json_string_value(json_object_get(obj, "kind")));
	assert_non_null(r);
	api_default(r, obj);
	api_prepare(r, obj, old);
	api_validate(r, obj, old, errs);
}

static void dump(const struct field_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_message("  got: %s: %s\n", errs->v[i].field, errs->v[i].message);
}

/* Asserts an error of type at field whose message contains msg (NULL: any). */
static void expect_err(const struct field_errs *errs, int type, const char *field, const char *msg)
{
	for (size_t i = 0; i < errs->n; i++)
		if ((int)errs->v[i].type == type && !strcmp(errs->v[i].field, field) &&
		    (!msg || strstr(errs->v[i].message, msg)))
			return;
	dump(errs);
	fail_msg("no error %d at %s with \"%s\"", type, field, msg ? msg : "");
}

static void expect_valid(const struct field_errs *errs)
{
	if (errs->n) {
		dump(errs);
		fail_msg("expected no errors, got %zu", errs->n);
	}
}

struct svc_case {
	const char *spec;
	int type; /* VALID or an FE_* */
	const char *field;
	const char *msg;
};

#define P80 "'ports':[{'port':80}]"

static const struct svc_case svc_cases[] = {
    /* ports */
    {"{" P80 "}", VALID, NULL, NULL},
    {"{}", FE_REQUIRED, "spec.ports", "Required value"},
    {"{'clusterIP':'None'}", VALID, NULL, NULL},
    {"{'type':'ExternalName','externalName':'example.com'}", VALID, NULL, NULL},
    {"{'ports':[{'port':80},{'port':81,'name':'b'}]}", FE_REQUIRED, "spec.ports[0].name",
     "Required value"},
    {"{'ports':[{'port':80,'name':'a'},{'port':81,'name':'a'}]}", FE_DUPLICATE,
     "spec.ports[1].name", "Duplicate value: \"a\""},
    {"{'ports':[{'port':80,'name':'A_b'}]}", FE_INVALID, "spec.ports[0].name",
     "Invalid value: \"A_b\": a lowercase RFC 1123 label must consist of"},
    {"{'ports':[{'port':0}]}", FE_INVALID, "spec.ports[0].port",
     "Invalid value: 0: must be between 1 and 65535, inclusive"},
    {"{'ports':[{'port':65536}]}", FE_INVALID, "spec.ports[0].port", "65536"},
    {"{'ports':[{'port':65535}]}", VALID, NULL, NULL},
    {"{'ports':[{'port':80,'protocol':'ICMP'}]}", FE_NOT_SUPPORTED, "spec.ports[0].protocol",
     "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
    {"{'ports':[{'port':80,'protocol':'SCTP'}]}", VALID, NULL, NULL},
    {"{'ports':[{'port':80},{'port':80,'name':'x'}]}", FE_REQUIRED, "spec.ports[0].name", NULL},
    {"{'ports':[{'port':80,'name':'a'},{'port':80,'name':'b'}]}", FE_DUPLICATE, "spec.ports[1]",
     "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", "
     "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
     "StrVal:\"\"}, NodePort:0}"},
    {"{'ports':[{'port':80,'name':'a'},{'port':80,'name':'b','protocol':'UDP'}]}", VALID, NULL,
     NULL},
    /* targetPort */
    {"{'ports':[{'port':80,'targetPort':70000}]}", FE_INVALID, "spec.ports[0].targetPort",
     "Invalid value: 70000: must be between 1 and 65535, inclusive"},
    {"{'ports':[{'port':80,'targetPort':'http'}]}", VALID, NULL, NULL},
    {"{'ports':[{'port':80,'targetPort':'http-alt-port-12'}]}", FE_INVALID,
     "spec.ports[0].targetPort", "must be no more than 15 characters"},
    {"{'ports':[{'port':80,'targetPort':'HTTP'}]}", FE_INVALID, "spec.ports[0].targetPort",
     "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"},
    {"{'ports':[{'port':80,'targetPort':'8080'}]}", FE_INVALID, "spec.ports[0].targetPort",
     "must contain at least one letter (a-z)"},
    {"{'ports':[{'port':80,'targetPort':'a--b'}]}", FE_INVALID, "spec.ports[0].targetPort",
     "must not contain consecutive hyphens"},
    {"{'ports':[{'port':80,'targetPort':'-ab'}]}", FE_INVALID, "spec.ports[0].targetPort",
     "must not begin or end with a hyphen"},
    /* appProtocol */
    {"{'ports':[{'port':80,'appProtocol':'kubernetes.io/h2c'}]}", VALID, NULL, NULL},
    {"{'ports':[{'port':80,'appProtocol':'a b'}]}", FE_INVALID, "spec.ports[0].appProtocol",
     "name part must consist of alphanumeric characters"},
    {"{'ports':[{'port':80,'appProtocol':'a/b/c'}]}", FE_INVALID, "spec.ports[0].appProtocol",
     "a qualified name must consist of"},
    /* nodePort */
    {"{'ports':[{'port':80,'nodePort':30080}]}", FE_FORBIDDEN, "spec.ports[0].nodePort",
     "Forbidden: may not be used when `type` is 'ClusterIP'"},
    {"{'type':'NodePort','ports':[{'port':80,'nodePort':30080}]}", VALID, NULL, NULL},
    {"{'type':'NodePort','ports':[{'port':80,'nodePort':70000}]}", FE_INVALID,
     "spec.ports[0].nodePort", "must be between 0 and 65535, inclusive"},
    {"{'type':'NodePort','ports':[{'port':80,'name':'a','nodePort':30080},{'port':81,'name':"
     "'b','nodePort':30080}]}",
     FE_DUPLICATE, "spec.ports[1].nodePort", "Duplicate value: 30080"},
    /* type */
    {"{'type':'Foo'," P80 "}", FE_NOT_SUPPORTED, "spec.type",
     "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""},
    {"{'type':'LoadBalancer'," P80 "}", VALID, NULL, NULL},
    {"{'type':'NodePort','clusterIP':'None'," P80 "}", FE_INVALID, "spec.clusterIPs[0]",
     "Invalid value: \"None\": may not be set to 'None' for NodePort services"},
    {"{'type':'LoadBalancer','clusterIP':'None'," P80 "}", FE_INVALID, "spec.clusterIPs[0]",
     "may not be set to 'None' for LoadBalancer services"},
    /* ExternalName */
    {"{'type':'ExternalName'}", FE_REQUIRED, "spec.externalName", NULL},
    {"{'type':'ExternalName','externalName':'example.com.'}", VALID, NULL, NULL},
    {"{'type':'ExternalName','externalName':'Bad_Name'}", FE_INVALID, "spec.externalName",
     "a lowercase RFC 1123 subdomain must consist of"},
    {"{'type':'ExternalName','externalName':'a.com','clusterIP':'10.0.0.1'}", FE_FORBIDDEN,
     "spec.clusterIPs", "may not be set for ExternalName services"},
    {"{'type':'ExternalName','externalName':'a.com','ipFamilies':['IPv4']}", FE_FORBIDDEN,
     "spec.ipFamilies", "may not be set for ExternalName services"},
    {"{'type':'ExternalName','externalName':'a.com','ipFamilyPolicy':'SingleStack'}", FE_FORBIDDEN,
     "spec.ipFamilyPolicy", NULL},
    /* session affinity */
    {"{'sessionAffinity':'Sticky'," P80 "}", FE_NOT_SUPPORTED, "spec.sessionAffinity",
     "supported values: \"ClientIP\", \"None\""},
    {"{'sessionAffinity':'ClientIP'," P80 "}", VALID, NULL, NULL},
    {"{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':"
     "86400}}," P80 "}",
     VALID, NULL, NULL},
    {"{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':"
     "86401}}," P80 "}",
     FE_INVALID, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
     "Invalid value: 86401: must be greater than 0 and less than 86400"},
    {"{'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':{'timeoutSeconds':0}}," P80
     "}",
     FE_INVALID, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", NULL},
    /* clusterIP / clusterIPs */
    {"{'clusterIP':'10.96.0.10'," P80 "}", VALID, NULL, NULL},
    {"{'clusterIP':'10.96.0.300'," P80 "}", FE_INVALID, "spec.clusterIPs[0]",
     "Invalid value: \"10.96.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or "
     "2001:db8::ffff)"},
    {"{'clusterIP':'010.096.0.10'," P80 "}", VALID, NULL, NULL},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.11']," P80 "}", FE_INVALID,
     "spec.clusterIPs",
     "Invalid value: []string{\"10.96.0.11\"}: first value must match `clusterIP`"},
    {"{'clusterIPs':['10.96.0.11']," P80 "}", FE_INVALID, "spec.clusterIPs",
     "must be empty when `clusterIP` is not specified"},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','fd00::10']," P80 "}", VALID, NULL,
     NULL},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','10.96.0.11']," P80 "}", FE_INVALID,
     "spec.clusterIPs", "may specify no more than one IP for each IP family"},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','fd00::10','fd00::11']," P80 "}",
     FE_INVALID, "spec.clusterIPs", "may only hold up to 2 values"},
    {"{'clusterIP':'None','clusterIPs':['None','10.96.0.10']," P80 "}", FE_INVALID,
     "spec.clusterIPs", "'None' must be the first and only value"},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','None']," P80 "}", FE_INVALID,
     "spec.clusterIPs[1]", "must be a valid IP address"},
    {"{'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','fd00::10'],'ipFamilyPolicy':"
     "'SingleStack'," P80 "}",
     FE_INVALID, "spec.ipFamilyPolicy",
     "Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when "
     "multiple cluster IPs are specified"},
    {"{'ipFamilies':['IPv4','IPv6'],'ipFamilyPolicy':'SingleStack'," P80 "}", FE_INVALID,
     "spec.ipFamilyPolicy", "when multiple IP families are specified"},
    {"{'ipFamilies':['IPv4','IPv6'],'ipFamilyPolicy':'RequireDualStack'," P80 "}", VALID, NULL,
     NULL},
    /* ipFamilies / ipFamilyPolicy */
    {"{'ipFamilies':['IPv5']," P80 "}", FE_NOT_SUPPORTED, "spec.ipFamilies[0]",
     "Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\""},
    {"{'ipFamilies':['IPv4','IPv4']," P80 "}", FE_DUPLICATE, "spec.ipFamilies[1]",
     "Duplicate value: \"IPv4\""},
    {"{'ipFamilyPolicy':'Dual'," P80 "}", FE_NOT_SUPPORTED, "spec.ipFamilyPolicy",
     "supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\""},
    {"{'clusterIP':'fd00::10','ipFamilies':['IPv4']," P80 "}", FE_INVALID, "spec.clusterIPs[0]",
     "Invalid value: \"fd00::10\": expected an IPv4 value as indicated by `ipFamilies[0]`"},
    {"{'clusterIP':'10.0.0.1','ipFamilies':['IPv6']," P80 "}", FE_INVALID, "spec.clusterIPs[0]",
     "expected an IPv6 value as indicated by `ipFamilies[0]`"},
    {"{'clusterIP':'None','ipFamilies':['IPv4','IPv6'],'ipFamilyPolicy':'RequireDualStack'}", VALID,
     NULL, NULL},
    /* externalIPs */
    {"{'externalIPs':['192.0.2.1']," P80 "}", VALID, NULL, NULL},
    {"{'externalIPs':['nope']," P80 "}", FE_INVALID, "spec.externalIPs[0]",
     "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
    {"{'externalIPs':['127.0.0.1']," P80 "}", FE_INVALID, "spec.externalIPs[0]",
     "may not be in the loopback range (127.0.0.0/8, ::1/128)"},
    {"{'externalIPs':['0.0.0.0']," P80 "}", FE_INVALID, "spec.externalIPs[0]",
     "may not be unspecified"},
    {"{'externalIPs':['fe80::1']," P80 "}", FE_INVALID, "spec.externalIPs[0]",
     "may not be in the link-local range (169.254.0.0/16, fe80::/10)"},
    {"{'externalIPs':['224.0.0.5']," P80 "}", FE_INVALID, "spec.externalIPs[0]",
     "link-local multicast"},
    /* loadBalancerSourceRanges, allocateLoadBalancerNodePorts, loadBalancerClass */
    {"{'type':'LoadBalancer','loadBalancerSourceRanges':['10.0.0.0/8',' 192.168.0.0/16 ']," P80 "}",
     VALID, NULL, NULL},
    {"{'type':'LoadBalancer','loadBalancerSourceRanges':['10.0.0.0/33']," P80 "}", FE_INVALID,
     "spec.LoadBalancerSourceRanges[0]",
     "Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
     "2001:db8::/64)"},
    {"{'loadBalancerSourceRanges':['10.0.0.0/8']," P80 "}", FE_FORBIDDEN,
     "spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"},
    {"{'allocateLoadBalancerNodePorts':true," P80 "}", FE_FORBIDDEN,
     "spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"},
    {"{'type':'LoadBalancer','loadBalancerClass':'example.com/lb'," P80 "}", VALID, NULL, NULL},
    {"{'type':'LoadBalancer','loadBalancerClass':'-x-'," P80 "}", FE_INVALID,
     "spec.loadBalancerClass", NULL},
    {"{'loadBalancerClass':'example.com/lb'," P80 "}", FE_FORBIDDEN, "spec.loadBalancerClass",
     NULL},
    /* traffic policies */
    {"{'type':'NodePort','externalTrafficPolicy':'Local'," P80 "}", VALID, NULL, NULL},
    {"{'type':'NodePort','externalTrafficPolicy':'Global'," P80 "}", FE_NOT_SUPPORTED,
     "spec.externalTrafficPolicy", "supported values: \"Cluster\", \"Local\""},
    {"{'externalTrafficPolicy':'Local'," P80 "}", FE_INVALID, "spec.externalTrafficPolicy",
     "Invalid value: \"Local\": may only be set for externally-accessible services"},
    {"{'externalIPs':['192.0.2.1'],'externalTrafficPolicy':'Local'," P80 "}", VALID, NULL, NULL},
    {"{'internalTrafficPolicy':'Node'," P80 "}", FE_NOT_SUPPORTED, "spec.internalTrafficPolicy",
     "supported values: \"Cluster\", \"Local\""},
    {"{'internalTrafficPolicy':'Local'," P80 "}", VALID, NULL, NULL},
    {"{'trafficDistribution':'Nearest'," P80 "}", FE_NOT_SUPPORTED, "spec.trafficDistribution",
     NULL},
    /* healthCheckNodePort */
    {"{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':31000," P80 "}",
     VALID, NULL, NULL},
    {"{'type':'LoadBalancer','healthCheckNodePort':31000," P80 "}", FE_INVALID,
     "spec.healthCheckNodePort",
     "Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and "
     "`externalTrafficPolicy` is 'Local'"},
    {"{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':70000," P80 "}",
     FE_INVALID, "spec.healthCheckNodePort", "must be between 1 and 65535, inclusive"},
    /* selector, publishNotReadyAddresses */
    {"{'selector':{'app':'web'}," P80 "}", VALID, NULL, NULL},
    {"{'selector':{'app':'-web'}," P80 "}", FE_INVALID, "spec.selector",
     "Invalid value: \"-web\": a valid label must be an empty string or consist of"},
    {"{'selector':{'bad key!':'x'}," P80 "}", FE_INVALID, "spec.selector",
     "Invalid value: \"bad key!\": name part must consist of"},
    {"{'publishNotReadyAddresses':true," P80 "}", VALID, NULL, NULL},
    {"{'publishNotReadyAddresses':'yes'," P80 "}", FE_INVALID, "spec.publishNotReadyAddresses",
     NULL},
    /* wrong JSON types are errors, not crashes */
    {"{'ports':[{'port':'80'}]}", FE_INVALID, "spec.ports[0].port", "must be an integer"},
    {"{'ports':{'port':80}}", FE_INVALID, "spec.ports", NULL},
    {"{'ports':[7]}", FE_INVALID, "spec.ports[0]", NULL},
    {"{'type':5," P80 "}", FE_INVALID, "spec.type", NULL},
    {"{'clusterIP':'10.0.0.1','clusterIPs':[1]," P80 "}", FE_INVALID, "spec.clusterIPs", NULL},
};

static void test_service_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(svc_cases) / sizeof(svc_cases[0]); i++) {
		const struct svc_case *c = &svc_cases[i];
		struct field_errs errs = FIELD_ERRS_INIT;
		json_t *o = service(c->spec);
		print_message("case %zu: %s\n", i, c->spec);
		run(o, NULL, &errs);
		if (c->type == VALID)
			expect_valid(&errs);
		else
			expect_err(&errs, c->type, c->field, c->msg);
		field_errs_free(&errs);
		json_decref(o);
	}
}

static const char *spec_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(json_object_get(o, "spec"), key));
}

static void test_service_defaults(void **state)
{
	(void)state;
	json_t *o =
	    service("{'ports':[{'port':80},{'port':53,'protocol':'UDP','targetPort':'dns'}]}");
	api_default(api_resource_by_kind("Service"), o);
	const json_t *spec = json_object_get(o, "spec");
	assert_string_equal(spec_str(o, "type"), "ClusterIP");
	assert_string_equal(spec_str(o, "sessionAffinity"), "None");
	assert_string_equal(spec_str(o, "internalTrafficPolicy"), "Cluster");
	assert_null(json_object_get(spec, "externalTrafficPolicy"));
	assert_null(json_object_get(spec, "allocateLoadBalancerNodePorts"));
	/* The allocator defaults these, not api_default. */
	assert_null(json_object_get(spec, "clusterIP"));
	assert_null(json_object_get(spec, "ipFamilies"));
	assert_null(json_object_get(spec, "ipFamilyPolicy"));
	json_t *p0 = json_array_get(json_object_get(spec, "ports"), 0);
	json_t *p1 = json_array_get(json_object_get(spec, "ports"), 1);
	assert_string_equal(json_string_value(json_object_get(p0, "protocol")), "TCP");
	assert_int_equal(json_integer_value(json_object_get(p0, "targetPort")), 80);
	assert_string_equal(json_string_value(json_object_get(p1, "protocol")), "UDP");
	assert_string_equal(json_string_value(json_object_get(p1, "targetPort")), "dns");
	json_decref(o);

	o = service("{'type':'LoadBalancer','sessionAffinity':'ClientIP'," P80 "}");
	api_default(api_resource_by_kind("Service"), o);
	spec = json_object_get(o, "spec");
	assert_string_equal(spec_str(o, "externalTrafficPolicy"), "Cluster");
	assert_true(json_is_true(json_object_get(spec, "allocateLoadBalancerNodePorts")));
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"),
		"timeoutSeconds")),
	    10800);
	json_decref(o);

	o = service("{'type':'ExternalName','externalName':'a.com'}");
	api_default(api_resource_by_kind("Service"), o);
	assert_null(json_object_get(json_object_get(o, "spec"), "internalTrafficPolicy"));
	assert_null(json_object_get(json_object_get(o, "spec"), "externalTrafficPolicy"));
	json_decref(o);

	/* sessionAffinityConfig is dropped with None by defaulting, and forbidden if it stays. */
	o = service("{'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':5}}," P80 "}");
	api_default(api_resource_by_kind("Service"), o);
	assert_null(json_object_get(json_object_get(o, "spec"), "sessionAffinityConfig"));
	json_decref(o);
	o = service(
	    "{'type':'ClusterIP','sessionAffinity':'None','internalTrafficPolicy':'Cluster',"
	    "'sessionAffinityConfig':{'clientIP':{'timeoutSeconds':5}},'ports':[{'port':80,"
	    "'protocol':'TCP','targetPort':80}]}");
	struct field_errs errs = FIELD_ERRS_INIT;
	api_validate(api_resource_by_kind("Service"), o, NULL, &errs);
	expect_err(&errs, FE_FORBIDDEN, "spec.sessionAffinityConfig",
		   "Forbidden: must not be set when session affinity is None");
	assert_int_equal(errs.n, 1);
	field_errs_free(&errs);
	json_decref(o);
}

static void test_service_status_default(void **state)
{
	(void)state;
	json_t *o = service("{'type':'LoadBalancer'," P80 "}");
	json_object_set_new(
	    o, "status",
	    js("{'loadBalancer':{'ingress':[{'ip':'192.0.2.9'},{'hostname':'lb.a'}]}}"));
	api_default(api_resource_by_kind("Service"), o);
	const json_t *ing = json_object_get(
	    json_object_get(json_object_get(o, "status"), "loadBalancer"), "ingress");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ing, 0), "ipMode")),
			    "VIP");
	assert_null(json_object_get(json_array_get(ing, 1), "ipMode"));
	json_decref(o);
}

struct meta_case {
	const char *kind, *ns, *name, *rest;
	int type;
	const char *field, *msg;
};

static const struct meta_case meta_cases[] = {
    {"Service", "default", "web", NULL, VALID, NULL, NULL},
    {"Service", "default", "1web", NULL, FE_INVALID, "metadata.name",
     "Invalid value: \"1web\": a lowercase RFC 1035 label must consist of lower case "
     "alphanumeric characters or '-', start with an alphabetic character, and end with an "
     "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
     "'[a-z]([-a-z0-9]*[a-z0-9])?')"},
    {"Service", "default", "a123456789012345678901234567890123456789012345678901234567890123", NULL,
     FE_INVALID, "metadata.name", "must be no more than 63 characters"},
    {"Service", "default", "a.b", NULL, FE_INVALID, "metadata.name", "RFC 1035"},
    {"Service", "default", "", NULL, FE_REQUIRED, "metadata.name",
     "Required value: name or generateName is required"},
    {"Service", NULL, "web", NULL, FE_REQUIRED, "metadata.namespace", "Required value"},
    {"Service", "Bad_NS", "web", NULL, FE_INVALID, "metadata.namespace", "RFC 1123 label"},
    {"Service", "default", "web", "{'metadata':{'generateName':'web-'}}", VALID, NULL, NULL},
    {"Service", "default", "web", "{'metadata':{'generateName':'9web-'}}", FE_INVALID,
     "metadata.generateName", "RFC 1035"},
    {"Namespace", NULL, "kube-system", NULL, VALID, NULL, NULL},
    {"Namespace", NULL, "a.b", NULL, FE_INVALID, "metadata.name", "must not contain dots"},
    {"Namespace", "x", "ns1", NULL, FE_FORBIDDEN, "metadata.namespace",
     "Forbidden: not allowed on this type"},
    {"Node", NULL, "node-1.example.com", NULL, VALID, NULL, NULL},
    {"Node", NULL, "Node_1", NULL, FE_INVALID, "metadata.name",
     "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
     "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
     "regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
    {"Event", "default", "Web.17a", "{'involvedObject':{'namespace':'default'}}", VALID, NULL,
     NULL},
    {"Event", "default", "a/b", "{'involvedObject':{'namespace':'default'}}", FE_INVALID,
     "metadata.name", "may not contain '/'"},
    {"Service", "default", "web", "{'metadata':{'labels':{'app':'web','a.io/x':''}}}", VALID, NULL,
     NULL},
    {"Service", "default", "web", "{'metadata':{'labels':{'app':'a b'}}}", FE_INVALID,
     "metadata.labels",
     "Invalid value: \"a b\": a valid label must be an empty string or consist of "
     "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
     "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
    {"Service", "default", "web", "{'metadata':{'labels':{'/x':'y'}}}", FE_INVALID,
     "metadata.labels", "prefix part must be non-empty"},
    {"Service", "default", "web", "{'metadata':{'labels':{'A_B.io/x':'y'}}}", FE_INVALID,
     "metadata.labels", "prefix part a lowercase RFC 1123 subdomain"},
    {"Service", "default", "web", "{'metadata':{'annotations':{'Example.COM/Note':'x'}}}", VALID,
     NULL, NULL},
    {"Service", "default", "web", "{'metadata':{'annotations':{'a b':'x'}}}", FE_INVALID,
     "metadata.annotations", "name part must consist of"},
    {"Service", "default", "web", "{'metadata':{'generation':-1}}", FE_INVALID,
     "metadata.generation", "must be greater than or equal to 0"},
    {"Service", "default", "web", "{'metadata':{'finalizers':['a b']}}", FE_INVALID,
     "metadata.finalizers", NULL},
    {"Service", "default", "web", "{'metadata':{'ownerReferences':[{'apiVersion':'v1'}]}}",
     FE_INVALID, "metadata.ownerReferences.uid", "Invalid value: \"\": must not be empty"},
};

static void test_metadata(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(meta_cases) / sizeof(meta_cases[0]); i++) {
		const struct meta_case *c = &meta_cases[i];
		struct field_errs errs = FIELD_ERRS_INIT;
		json_t *o = object(c->kind, c->ns, c->name, c->rest);
		if (!strcmp(c->kind, "Service"))
			json_object_set_new(o, "spec", js("{" P80 "}"));
		print_message("case %zu: %s %s\n", i, c->kind, c->name);
		run(o, NULL, &errs);
		if (c->type == VALID)
			expect_valid(&errs);
		else
			expect_err(&errs, c->type, c->field, c->msg);
		field_errs_free(&errs);
		json_decref(o);
	}
}

static void test_annotations_size(void **state)
{
	(void)state;
	json_t *o = service("{" P80 "}");
	json_t *ann = json_object();
	char *big = malloc(200 * 1024 + 1);
	memset(big, 'x', 200 * 1024);
	big[200 * 1024] = '\0';
	json_object_set_new(ann, "a", json_string(big));
	json_object_set_new(json_object_get(o, "metadata"), "annotations", ann);
	struct field_errs errs = FIELD_ERRS_INIT;
	run(o, NULL, &errs);
	expect_valid(&errs);
	json_object_set_new(ann, "b", json_string(big));
	run(o, NULL, &errs);
	expect_err(&errs, FE_TOO_LONG, "metadata.annotations",
		   "Too long: may not be more than 262144 bytes");
	field_errs_free(&errs);
	free(big);
	json_decref(o);
}

/* A stored Service as the API server would hold it after allocation. */
static json_t *stored(const char *spec)
{
	json_t *o = service(spec);
	json_t *meta = json_object_get(o, "metadata");
	json_object_set_new(meta, "uid", json_string("u-1"));
	json_object_set_new(meta, "creationTimestamp", json_string("2024-01-01T00:00:00Z"));
	json_object_set_new(meta, "resourceVersion", json_string("5"));
	api_default(api_resource_by_kind("Service"), o);
	return o;
}

struct upd_case {
	const char *old, *spec;
	int type;
	const char *field, *msg;
};

#define V4     "'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10']"
#define V4FAM  "'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack'"
#define DUAL   "'clusterIP':'10.96.0.10','clusterIPs':['10.96.0.10','fd00::10']"
#define DUALFM "'ipFamilies':['IPv4','IPv6'],'ipFamilyPolicy':'RequireDualStack'"

static const struct upd_case upd_cases[] = {
    /* A client that leaves out allocated values keeps them (kubectl replace). */
    {"{" V4 "," V4FAM "," P80 "}", "{" P80 "}", VALID, NULL, NULL},
    {"{" V4 "," V4FAM "," P80 "}", "{'clusterIP':'10.96.0.10'," P80 "}", VALID, NULL, NULL},
    {"{" V4 "," V4FAM "," P80 "}", "{'clusterIP':'10.96.0.11'," V4FAM "," P80 "}", FE_INVALID,
     "spec.clusterIPs[0]", "Invalid value: []string{\"10.96.0.11\"}: may not change once set"},
    {"{" V4 "," V4FAM "," P80 "}",
     "{'clusterIP':'10.96.0.11','clusterIPs':['10.96.0.11']," V4FAM "," P80 "}", FE_INVALID,
     "spec.clusterIPs[0]", "may not change once set"},
    {"{" V4 "," V4FAM "," P80 "}", "{'clusterIP':'None'," V4FAM "," P80 "}", FE_INVALID,
     "spec.clusterIPs[0]", "Invalid value: []string{\"None\"}: may not change once set"},
    /* Upgrade to dual-stack keeps the primary; a downgrade needs SingleStack. */
    {"{" V4 "," V4FAM "," P80 "}", "{" DUAL "," DUALFM "," P80 "}", VALID, NULL, NULL},
    {"{" DUAL "," DUALFM "," P80 "}",
     "{" V4 ",'ipFamilies':['IPv4'],'ipFamilyPolicy':"
     "'PreferDualStack'," P80 "}",
     FE_INVALID, "spec.ipFamilyPolicy",
     "Invalid value: \"PreferDualStack\": must be set to 'SingleStack' when releasing the "
     "secondary clusterIP"},
    {"{" DUAL "," DUALFM "," P80 "}", "{" V4 "," V4FAM "," P80 "}", VALID, NULL, NULL},
    {"{" V4 "," V4FAM "," P80 "}",
     "{" V4 ",'ipFamilies':['IPv6'],'ipFamilyPolicy':"
     "'SingleStack'," P80 "}",
     FE_INVALID, "spec.ipFamilies[0]",
     "Invalid value: []core.IPFamily{\"IPv6\"}: may not change once set"},
    /* To and from ExternalName: clusterIPs are dropped, then allocated again. */
    {"{" V4 "," V4FAM "," P80 "}",
     "{'type':'ExternalName','externalName':'a.com'," V4 "," V4FAM "," P80 "}", VALID, NULL, NULL},
    {"{" V4 "," V4FAM "," P80 "}", "{'type':'ExternalName','externalName':'a.com'}", VALID, NULL,
     NULL},
    {"{" V4 "," V4FAM "," P80 "}",
     "{'type':'ExternalName','externalName':'a.com','clusterIP':'10.96.0.12','clusterIPs':["
     "'10.96.0.12']," P80 "}",
     FE_FORBIDDEN, "spec.clusterIPs", "may not be set for ExternalName services"},
    {"{'type':'ExternalName','externalName':'a.com'}", "{" P80 "}", VALID, NULL, NULL},
    {"{'type':'ExternalName','externalName':'a.com'}", "{'clusterIP':'10.96.0.50'," P80 "}", VALID,
     NULL, NULL},
    /* NodePort to ClusterIP drops unchanged nodePorts; carried over when left out. */
    {"{'type':'NodePort'," V4 "," V4FAM ",'ports':[{'port':80,'nodePort':30080}]}",
     "{'type':'ClusterIP'," V4 "," V4FAM ",'ports':[{'port':80,'nodePort':30080}]}", VALID, NULL,
     NULL},
    {"{'type':'NodePort'," V4 "," V4FAM ",'ports':[{'port':80,'nodePort':30080}]}",
     "{'type':'ClusterIP'," V4 "," V4FAM ",'ports':[{'port':80,'nodePort':30081}]}", FE_FORBIDDEN,
     "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"},
    /* healthCheckNodePort and loadBalancerClass are immutable. */
    {"{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':31000," V4
     "," V4FAM "," P80 "}",
     "{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':31001," V4
     "," V4FAM "," P80 "}",
     FE_FORBIDDEN, "spec.healthCheckNodePort", "Forbidden: field is immutable"},
    {"{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':31000," V4
     "," V4FAM "," P80 "}",
     "{'type':'LoadBalancer','externalTrafficPolicy':'Local'," V4 "," V4FAM "," P80 "}", VALID,
     NULL, NULL},
    {"{'type':'LoadBalancer','loadBalancerClass':'a.io/x'," V4 "," V4FAM "," P80 "}",
     "{'type':'LoadBalancer','loadBalancerClass':'a.io/y'," V4 "," V4FAM "," P80 "}", FE_INVALID,
     "spec.loadBalancerClass", "Invalid value: \"a.io/y\": may not change once set"},
};

static void test_service_update(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(upd_cases) / sizeof(upd_cases[0]); i++) {
		const struct upd_case *c = &upd_cases[i];
		struct field_errs errs = FIELD_ERRS_INIT;
		json_t *old = stored(c->old);
		json_t *o = service(c->spec);
		print_message("case %zu: %s -> %s\n", i, c->old, c->spec);
		run(o, old, &errs);
		if (c->type == VALID)
			expect_valid(&errs);
		else
			expect_err(&errs, c->type, c->field, c->msg);
		field_errs_free(&errs);
		json_decref(o);
		json_decref(old);
	}
}

static void test_update_metadata(void **state)
{
	(void)state;
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *old = stored("{" V4 "," V4FAM "," P80 "}");
	json_t *o = service("{" P80 "}");
	run(o, old, &errs);
	expect_valid(&errs);
	/* uid and creationTimestamp are carried over when left out. */
	const json_t *meta = json_object_get(o, "metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "uid")), "u-1");
	assert_string_equal(json_string_value(json_object_get(meta, "creationTimestamp")),
			    "2024-01-01T00:00:00Z");
	assert_string_equal(spec_str(o, "clusterIP"), "10.96.0.10");
	json_decref(o);

	o = service("{" P80 "}");
	json_object_set_new(json_object_get(o, "metadata"), "uid", json_string("u-2"));
	json_object_set_new(json_object_get(o, "metadata"), "name", json_string("other"));
	run(o, old, &errs);
	expect_err(&errs, FE_INVALID, "metadata.uid", "Invalid value: \"u-2\": field is immutable");
	expect_err(&errs, FE_INVALID, "metadata.name", "field is immutable");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);
}

static void test_service_status(void **state)
{
	(void)state;
	const struct api_resource *r = api_resource_by_kind("Service");
	struct field_errs errs = FIELD_ERRS_INIT;
	json_t *old = stored("{'type':'LoadBalancer'," V4 "," V4FAM "," P80 "}");
	json_t *o = json_deep_copy(old);
	json_object_set_new(o, "status",
			    js("{'loadBalancer':{'ingress':[{'ip':'192.0.2.9','ipMode':'VIP'},"
			       "{'hostname':'lb.example.com'}]}}"));
	api_prepare_status(r, o, old);
	api_validate_status(r, o, old, &errs);
	expect_valid(&errs);
	json_object_set_new(o, "status",
			    js("{'loadBalancer':{'ingress':[{'ip':'300.1.1.1','ipMode':'VIP'},"
			       "{'hostname':'10.0.0.1'},{'ip':'192.0.2.1'},{'ipMode':'Proxy'},"
			       "{'ip':'192.0.2.2','ipMode':'Fast'},{'hostname':'Bad_Host'}]}}"));
	api_validate_status(r, o, old, &errs);
	expect_err(&errs, FE_INVALID, "status.loadBalancer.ingress[0].ip",
		   "must be a valid IP address");
	expect_err(&errs, FE_INVALID, "status.loadBalancer.ingress[1].hostname",
		   "must be a DNS name, not an IP address");
	expect_err(&errs, FE_REQUIRED, "status.loadBalancer.ingress[2].ipMode",
		   "must be specified when `ip` is set");
	expect_err(&errs, FE_FORBIDDEN, "status.loadBalancer.ingress[3].ipMode", NULL);
	expect_err(&errs, FE_NOT_SUPPORTED, "status.loadBalancer.ingress[4].ipMode",
		   "supported values: \"Proxy\", \"VIP\"");
	expect_err(&errs, FE_INVALID, "status.loadBalancer.ingress[5].hostname", "RFC 1123");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);

	old = stored("{" V4 "," V4FAM "," P80 "}");
	o = json_deep_copy(old);
	json_object_set_new(o, "status", js("{'loadBalancer':{'ingress':[{'ip':'192.0.2.9'}]}}"));
	api_validate_status(r, o, old, &errs);
	expect_err(&errs, FE_FORBIDDEN, "status.loadBalancer.ingress",
		   "may only be used when `spec.type` is 'LoadBalancer'");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);
}

static void test_formats(void **state)
{
	(void)state;
	const struct api_resource *r = api_resource_by_kind("Service");
	/* The error list reads as kube-apiserver's 422 message. */
	json_t *o = service("{'ports':[{'port':0}],'type':'Foo'}");
	struct field_errs errs = FIELD_ERRS_INIT;
	run(o, NULL, &errs);
	json_t *st = api_status_invalid(r->group, r->kind, "web", &errs);
	const char *msg = json_string_value(json_object_get(st, "message"));
	assert_non_null(strstr(msg, "Service \"web\" is invalid: [spec.ports[0].port: Invalid "
				    "value: 0: must be between 1 and 65535, inclusive"));
	assert_non_null(strstr(msg, "spec.type: Unsupported value: \"Foo\""));
	json_decref(st);
	field_errs_free(&errs);
	json_decref(o);
}

struct kind_case {
	const char *kind, *ns, *name, *rest;
	int type;
	const char *field, *msg;
};

#define POD(c)	    "{'spec':{'containers':[" c "]}}"
#define SLICE(t, e) "{'addressType':'" t "','endpoints':[" e "]}"

static const struct kind_case kind_cases[] = {
    /* Pod */
    {"Pod", "default", "p", POD("{'name':'c','image':'nginx','ports':[{'containerPort':80}]}"),
     VALID, NULL, NULL},
    {"Pod", "default", "p", "{'spec':{}}", FE_REQUIRED, "spec.containers", NULL},
    {"Pod", "default", "p", POD("{'name':'c','image':'a'},{'name':'c','image':'b'}"), FE_DUPLICATE,
     "spec.containers[1].name", "Duplicate value: \"c\""},
    {"Pod", "default", "p", POD("{'name':'C_1','image':'a'}"), FE_INVALID,
     "spec.containers[0].name", "RFC 1123 label"},
    {"Pod", "default", "p", POD("{'name':'c'}"), FE_REQUIRED, "spec.containers[0].image", NULL},
    {"Pod", "default", "p", POD("{'name':'c','image':'a','ports':[{'containerPort':70000}]}"),
     FE_INVALID, "spec.containers[0].ports[0].containerPort", "between 1 and 65535"},
    {"Pod", "default", "p", POD("{'name':'c','image':'a','ports':[{'containerPort':0}]}"),
     FE_REQUIRED, "spec.containers[0].ports[0].containerPort", NULL},
    {"Pod", "default", "p",
     POD("{'name':'c','image':'a','ports':[{'containerPort':80,'name':'h'},{'containerPort':81,"
	 "'name':'h'}]}"),
     FE_DUPLICATE, "spec.containers[0].ports[1].name", NULL},
    {"Pod", "default", "p",
     "{'spec':{'restartPolicy':'Sometimes','containers':[{'name':'c','image':'a'}]}}",
     FE_NOT_SUPPORTED, "spec.restartPolicy", "\"Always\", \"OnFailure\", \"Never\""},
    /* Endpoints */
    {"Endpoints", "default", "web",
     "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80}]}]}", VALID, NULL, NULL},
    {"Endpoints", "default", "web", "{'subsets':[{'addresses':[{'ip':'10.1.0.x'}]}]}", FE_INVALID,
     "subsets[0].addresses[0].ip", "must be a valid IP address"},
    {"Endpoints", "default", "web", "{'subsets':[{'addresses':[{'ip':'127.0.0.1'}]}]}", FE_INVALID,
     "subsets[0].addresses[0].ip", "loopback"},
    {"Endpoints", "default", "web", "{'subsets':[{'ports':[{'port':80}]}]}", FE_REQUIRED,
     "subsets[0]", "must specify `addresses` or `notReadyAddresses`"},
    {"Endpoints", "default", "web",
     "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':0}]}]}", FE_INVALID,
     "subsets[0].ports[0].port", "between 1 and 65535"},
    {"Endpoints", "default", "web",
     "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80},{'port':81,'name':'b'}]}]}",
     FE_REQUIRED, "subsets[0].ports[0].name", NULL},
    {"Endpoints", "default", "web",
     "{'subsets':[{'addresses':[{'ip':'10.1.0.5'}],'ports':[{'port':80,'protocol':'ICMP'}]}]}",
     FE_NOT_SUPPORTED, "subsets[0].ports[0].protocol", NULL},
    /* EndpointSlice */
    {"EndpointSlice", "default", "web-abc",
     SLICE("IPv4", "{'addresses':['10.1.0.5'],'conditions':{'ready':true}}"), VALID, NULL, NULL},
    {"EndpointSlice", "default", "web-abc", "{'endpoints':[]}", FE_REQUIRED, "addressType", NULL},
    {"EndpointSlice", "default", "web-abc", SLICE("IPv5", ""), FE_NOT_SUPPORTED, "addressType",
     "supported values: \"FQDN\", \"IPv4\", \"IPv6\""},
    {"EndpointSlice", "default", "web-abc", SLICE("IPv4", "{'addresses':['fd00::1']}"), FE_INVALID,
     "endpoints[0].addresses[0]", "must be a valid IPv4 address"},
    {"EndpointSlice", "default", "web-abc", SLICE("IPv6", "{'addresses':['fd00::1']}"), VALID, NULL,
     NULL},
    {"EndpointSlice", "default", "web-abc", SLICE("IPv4", "{'addresses':[]}"), FE_REQUIRED,
     "endpoints[0].addresses", "must contain at least 1 address"},
    {"EndpointSlice", "default", "web-abc", SLICE("FQDN", "{'addresses':['db.example.com']}"),
     VALID, NULL, NULL},
    {"EndpointSlice", "default", "web-abc", SLICE("FQDN", "{'addresses':['db']}"), FE_INVALID,
     "endpoints[0].addresses[0]", "at least two segments"},
    {"EndpointSlice", "default", "web-abc",
     "{'addressType':'IPv4','ports':[{'name':'a','port':80},{'name':'a','port':81}]}", FE_DUPLICATE,
     "ports[1].name", NULL},
    {"EndpointSlice", "default", "web-abc",
     SLICE("IPv4", "{'addresses':['10.0.0.1'],'conditions':{'ready':'yes'}}"), FE_INVALID,
     "endpoints[0].conditions.ready", NULL},
    /* Namespace, Node, Event */
    {"Namespace", NULL, "team-a", "{'spec':{'finalizers':['kubernetes','example.com/x']}}", VALID,
     NULL, NULL},
    {"Namespace", NULL, "team-a", "{'spec':{'finalizers':['custom']}}", FE_INVALID,
     "spec.finalizers", "name is neither a standard finalizer name nor is it fully qualified"},
    {"Node", NULL, "n1", "{'spec':{'podCIDRs':['10.244.0.0/24','fd00:1::/64']}}", VALID, NULL,
     NULL},
    {"Node", NULL, "n1", "{'spec':{'podCIDRs':['10.244.0.0/24','10.245.0.0/24']}}", FE_INVALID,
     "spec.podCIDRs", "may specify no more than one CIDR for each IP family"},
    {"Node", NULL, "n1", "{'spec':{'podCIDRs':['10.244.0.0']}}", FE_INVALID, "spec.podCIDRs[0]",
     "must be a valid CIDR value"},
    {"Node", NULL, "n1", "{'spec':{'taints':[{'key':'k','effect':'Sometimes'}]}}", FE_NOT_SUPPORTED,
     "spec.taints[0].effect", NULL},
    {"Event", "default", "e1", "{'involvedObject':{'kind':'Pod','namespace':'other'}}", FE_INVALID,
     "involvedObject.namespace", "Invalid value: \"other\": does not match event.namespace"},
    {"Event", "default", "e1", "{'involvedObject':{'kind':'Node','name':'n1'}}", VALID, NULL, NULL},
    {"Event", "team-a", "e1", "{'involvedObject':{'kind':'Node','name':'n1'}}", FE_INVALID,
     "involvedObject.namespace", NULL},
    {"Event", "default", "e1",
     "{'eventTime':'2024-01-01T00:00:00.000000Z','involvedObject':{'namespace':'default'}}",
     FE_REQUIRED, "reportingComponent", NULL},
};

static void test_other_kinds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		struct field_errs errs = FIELD_ERRS_INIT;
		json_t *o = object(c->kind, c->ns, c->name, c->rest);
		print_message("case %zu: %s %s\n", i, c->kind, c->rest);
		run(o, NULL, &errs);
		if (c->type == VALID)
			expect_valid(&errs);
		else
			expect_err(&errs, c->type, c->field, c->msg);
		field_errs_free(&errs);
		json_decref(o);
	}
}

static const char *path_str(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void test_other_defaults(void **state)
{
	(void)state;
	json_t *o =
	    object("Pod", "default", "p",
		   POD("{'name':'a','image':'nginx','ports':[{'containerPort':80}]},"
		       "{'name':'b','image':'reg.io:5000/x:1.2'},{'name':'c','image':'x:latest'}"));
	api_default(api_resource_by_kind("Pod"), o);
	const json_t *spec = json_object_get(o, "spec");
	const json_t *cs = json_object_get(spec, "containers");
	assert_string_equal(path_str(o, "spec", "restartPolicy"), "Always");
	assert_string_equal(path_str(o, "spec", "dnsPolicy"), "ClusterFirst");
	assert_string_equal(path_str(o, "spec", "schedulerName"), "default-scheduler");
	assert_int_equal(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")),
			 30);
	assert_string_equal(path_str(o, "status", "phase"), "Pending");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(cs, 0), "imagePullPolicy")), "Always");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(cs, 1), "imagePullPolicy")),
	    "IfNotPresent");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(cs, 2), "imagePullPolicy")), "Always");
	const json_t *port = json_array_get(json_object_get(json_array_get(cs, 0), "ports"), 0);
	assert_string_equal(json_string_value(json_object_get(port, "protocol")), "TCP");
	json_decref(o);

	o = object("Namespace", NULL, "team-a", NULL);
	api_default(api_resource_by_kind("Namespace"), o);
	assert_string_equal(path_str(o, "status", "phase"), "Active");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(o, "spec"), "finalizers"), 0)),
			    "kubernetes");
	assert_string_equal(
	    path_str(json_object_get(o, "metadata"), "labels", "kubernetes.io/metadata.name"),
	    "team-a");
	json_decref(o);

	o = object("EndpointSlice", "default", "s", "{'addressType':'IPv4','ports':[{'port':80}]}");
	api_default(api_resource_by_kind("EndpointSlice"), o);
	port = json_array_get(json_object_get(o, "ports"), 0);
	assert_string_equal(json_string_value(json_object_get(port, "protocol")), "TCP");
	assert_string_equal(json_string_value(json_object_get(port, "name")), "");
	json_decref(o);
}

static void test_other_updates(void **state)
{
	(void)state;
	struct field_errs errs = FIELD_ERRS_INIT;
	/* EndpointSlice addressType is immutable. */
	json_t *old = object("EndpointSlice", "default", "s", SLICE("IPv4", ""));
	json_t *o = object("EndpointSlice", "default", "s", SLICE("IPv6", ""));
	run(o, old, &errs);
	expect_err(&errs, FE_INVALID, "addressType", "Invalid value: \"IPv6\": field is immutable");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);
	/* A pod may change its images, not its other containers' fields. */
	old = object("Pod", "default", "p", POD("{'name':'c','image':'a:1'}"));
	api_default(api_resource_by_kind("Pod"), old);
	o = object("Pod", "default", "p", POD("{'name':'c','image':'a:2'}"));
	run(o, old, &errs);
	expect_valid(&errs);
	json_decref(o);
	o = object("Pod", "default", "p",
		   POD("{'name':'c','image':'a:1','ports':[{'containerPort':1}]}"));
	run(o, old, &errs);
	expect_err(&errs, FE_FORBIDDEN, "spec", "pod updates may not change fields other than");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);
	/* Node podCIDRs may only be set once; namespace finalizers are kept on update. */
	old = object("Node", NULL, "n1", "{'spec':{'podCIDRs':['10.244.0.0/24']}}");
	o = object("Node", NULL, "n1", "{'spec':{'podCIDRs':['10.244.1.0/24']}}");
	run(o, old, &errs);
	expect_err(&errs, FE_FORBIDDEN, "spec.podCIDRs",
		   "node updates may not change podCIDR except from \"\" to valid");
	field_errs_free(&errs);
	json_decref(o);
	json_decref(old);
	old = object("Namespace", NULL, "ns1",
		     "{'spec':{'finalizers':[]},'status':{'phase':'Terminating'}}");
	o = object("Namespace", NULL, "ns1", NULL);
	run(o, old, &errs);
	expect_valid(&errs);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "spec"), "finalizers")),
			 0);
	assert_string_equal(path_str(o, "status", "phase"), "Terminating");
	json_decref(o);
	json_decref(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_service_table),
	    cmocka_unit_test(test_service_defaults),
	    cmocka_unit_test(test_service_status_default),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_annotations_size),
	    cmocka_unit_test(test_service_update),
	    cmocka_unit_test(test_update_metadata),
	    cmocka_unit_test(test_service_status),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_other_kinds),
	    cmocka_unit_test(test_other_defaults),
	    cmocka_unit_test(test_other_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
