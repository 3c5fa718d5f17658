/* Tests of src/lib/api/schema.c: pruning, type errors, OpenAPI documents. */
#include "api/resource.h"
#include "api/schema.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Prunes text as kind; returns the rc, and the error and unknown list through out params. */
static int prune(const char *kind, const char *text, json_t **obj, json_t **unknown, char **err)
{
	json_error_t jerr;
	*obj = json_loads(text, 0, &jerr);
	assert_non_null(*obj);
	*unknown = json_array();
	*err = NULL;
	return api_schema_prune(api_resource_by_kind(kind), *obj, *unknown, err);
}

static void assert_unknown(const json_t *unknown, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	assert_int_equal(json_array_size(unknown), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(unknown, i)), want[i]);
}

static const char valid_service[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
    "\"namespace\":\"default\",\"labels\":{\"app\":\"web\"},\"annotations\":{\"a\":\"b\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\",\"uid\":\"u\","
    "\"controller\":true}],\"finalizers\":[\"x/y\"],\"deletionGracePeriodSeconds\":30,"
    "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"fieldsType\":"
    "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:ports\":{}}}}],\"creationTimestamp\":"
    "\"2024-01-01T00:00:00Z\",\"selfLink\":\"/x\",\"generation\":2},"
    "\"spec\":{\"type\":\"NodePort\",\"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.0.0.1\","
    "\"clusterIPs\":[\"10.0.0.1\"],\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\","
    "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\",\"nodePort\":30080,"
    "\"protocol\":\"TCP\"},{\"port\":443,\"targetPort\":8443}],\"sessionAffinity\":\"ClientIP\","
    "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},"
    "\"publishNotReadyAddresses\":false,\"allocateLoadBalancerNodePorts\":true},"
    "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.2.3.4\",\"ipMode\":\"VIP\","
    "\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]},\"conditions\":[{\"type\":\"Ready\","
    "\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T00:00:00Z\",\"reason\":\"r\","
    "\"message\":\"m\",\"observedGeneration\":1}]}}";

static void valid_service_untouched(void **state)
{
	json_t *obj, *unknown, *orig = json_loads(valid_service, 0, NULL);
	char *err;

	assert_int_equal(prune("Service", valid_service, &obj, &unknown, &err), 0);
	assert_null(err);
	assert_int_equal(json_array_size(unknown), 0);
	assert_true(json_equal(obj, orig));
	json_decref(obj);
	json_decref(orig);
	json_decref(unknown);
}

static void unknown_fields_at_depth(void **state)
{
	static const char *const want[] = {"foo",
					   "metadata.bogus",
					   "spec.ports[1].bar",
					   "spec.sessionAffinityConfig.clientIP.x",
					   "status.loadBalancer.ingress[0].y",
					   NULL};
	json_t *obj, *unknown;
	char *err;

	assert_int_equal(prune("Service",
			       "{\"foo\":1,\"metadata\":{\"name\":\"a\",\"bogus\":{}},"
			       "\"spec\":{\"ports\":[{\"port\":1},{\"port\":2,\"bar\":\"z\"}],"
			       "\"sessionAffinityConfig\":{\"clientIP\":{\"x\":1}}},"
			       "\"status\":{\"loadBalancer\":{\"ingress\":[{\"y\":[]}]}}}",
			       &obj, &unknown, &err),
			 0);
	assert_unknown(unknown, want);
	/* The unknown fields are gone, the known ones stay. */
	assert_null(json_object_get(obj, "foo"));
	assert_null(json_object_get(json_object_get(obj, "metadata"), "bogus"));
	json_t *port1 = json_array_get(json_object_get(json_object_get(obj, "spec"), "ports"), 1);
	assert_null(json_object_get(port1, "bar"));
	assert_int_equal(json_integer_value(json_object_get(port1, "port")), 2);
	json_decref(obj);
	json_decref(unknown);
}

static void unknown_fields_pod_and_slice(void **state)
{
	static const char *const pod_want[] = {"spec.containers[0].ports[0].bogus",
					       "spec.containers[0].readinessProbe.httpGet.nope",
					       "status.podIPs[1].extra", NULL};
	static const char *const eps_want[] = {"endpoints[0].conditions.healthy",
					       "ports[0].targetPort", NULL};
	json_t *obj, *unknown;
	char *err;

	assert_int_equal(
	    prune(
		"Pod",
		"{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"ports\":[{"
		"\"containerPort\":80,\"bogus\":1}],\"readinessProbe\":{\"httpGet\":{\"port\":"
		"\"http\",\"path\":\"/\",\"nope\":true},\"periodSeconds\":5}}]},"
		"\"status\":{\"podIPs\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"fd00::1\",\"extra\":1}]}}",
		&obj, &unknown, &err),
	    0);
	assert_unknown(unknown, pod_want);
	json_decref(obj);
	json_decref(unknown);

	assert_int_equal(
	    prune("EndpointSlice",
		  "{\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],"
		  "\"conditions\":{\"ready\":true,\"healthy\":true},\"hints\":{\"forZones\":"
		  "[{\"name\":\"a\"}]}}],\"ports\":[{\"port\":80,\"targetPort\":8080}]}",
		  &obj, &unknown, &err),
	    0);
	assert_unknown(unknown, eps_want);
	json_decref(obj);
	json_decref(unknown);
}

static void nulls_are_dropped(void **state)
{
	json_t *obj, *unknown;
	char *err;

	assert_int_equal(
	    prune("Service",
		  "{\"metadata\":{\"name\":\"a\",\"labels\":null},\"spec\":{\"clusterIP\":"
		  "null,\"ports\":[{\"port\":80,\"targetPort\":null}]},\"status\":null}",
		  &obj, &unknown, &err),
	    0);
	assert_int_equal(json_array_size(unknown), 0);
	assert_null(json_object_get(json_object_get(obj, "metadata"), "labels"));
	assert_null(json_object_get(obj, "status"));
	json_t *spec = json_object_get(obj, "spec");
	assert_null(json_object_get(spec, "clusterIP"));
	assert_null(
	    json_object_get(json_array_get(json_object_get(spec, "ports"), 0), "targetPort"));
	json_decref(obj);
	json_decref(unknown);
}

struct type_case {
	const char *kind;
	const char *text;
	const char *msg;
};

static void wrong_types(void **state)
{
	static const struct type_case cases[] = {
	    {"Service", "{\"spec\":{\"ports\":[{\"port\":\"80\"}]}}",
	     "json: cannot unmarshal "
	     "string into Go struct field ServicePort.spec.ports.port of type int32"},
	    {"Service", "{\"spec\":{\"ports\":[{\"port\":80},{\"port\":1.5}]}}",
	     "json: cannot unmarshal "
	     "number 1.5 into Go struct field ServicePort.spec.ports.port of type int32"},
	    {"Service", "{\"spec\":{\"ports\":[{\"port\":99999999999}]}}",
	     "json: cannot unmarshal "
	     "number 99999999999 into Go struct field ServicePort.spec.ports.port of type int32"},
	    {"Service", "{\"spec\":{\"type\":1}}",
	     "json: cannot unmarshal "
	     "number into Go struct field ServiceSpec.spec.type of type v1.ServiceType"},
	    {"Service", "{\"spec\":\"x\"}",
	     "json: cannot unmarshal "
	     "string into Go struct field Service.spec of type v1.ServiceSpec"},
	    {"Service", "{\"spec\":{\"ports\":{}}}",
	     "json: cannot unmarshal "
	     "object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort"},
	    {"Service", "{\"spec\":{\"publishNotReadyAddresses\":\"true\"}}",
	     "json: cannot unmarshal "
	     "string into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool"},
	    {"Service", "{\"metadata\":{\"labels\":{\"a\":1}}}",
	     "json: cannot unmarshal "
	     "number into Go struct field ObjectMeta.metadata.labels of type string"},
	    {"Service", "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":{\"isInt\":true}}]}}",
	     "json: cannot unmarshal "
	     "object into Go value of type int32"},
	    {"Pod",
	     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{"
	     "\"cpu\":\"lots\"}}}]}}",
	     "quantities must match the regular "
	     "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
	    {"EndpointSlice",
	     "{\"endpoints\":[{\"addresses\":[\"1.2.3.4\"],\"conditions\":{"
	     "\"ready\":\"yes\"}}]}",
	     "json: cannot "
	     "unmarshal string into Go struct field EndpointConditions.endpoints.conditions.ready "
	     "of type bool"},
	    {"Endpoints", "{\"subsets\":[{\"addresses\":[{\"ip\":5}]}]}",
	     "json: cannot unmarshal "
	     "number into Go struct field EndpointAddress.subsets.addresses.ip of type string"},
	    {"Node", "{\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":true}}}}",
	     "json: cannot unmarshal bool into "
	     "Go struct field DaemonEndpoint.status.daemonEndpoints.kubeletEndpoint.Port of type "
	     "int32"},
	    {"Event", "{\"count\":\"3\"}",
	     "json: cannot unmarshal string "
	     "into Go struct field Event.count of type int32"},
	    {"Namespace", "{\"metadata\":{\"creationTimestamp\":5}}",
	     "json: cannot unmarshal "
	     "number into Go value of type string"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *obj, *unknown;
		char *err;
		assert_int_equal(prune(cases[i].kind, cases[i].text, &obj, &unknown, &err),
				 -EINVAL);
		assert_non_null(err);
		assert_string_equal(err, cases[i].msg);
		free(err);
		json_decref(obj);
		json_decref(unknown);
	}
}

static void quantities_and_int_or_string(void **state)
{
	static const char *const good[] = {"\"100m\"", "\"1Gi\"", "\"0.5\"", "\"1e3\"",
					   "\"+2k\"",  "1",	  "2.5",     NULL};
	static const char *const bad[] = {"\"\"", "\"1x\"", "\"Gi\"", "\"1 Gi\"",
					  "true", "[]",	    NULL};
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass ? bad : good;
		for (size_t i = 0; list[i]; i++) {
			char *text = NULL;
			json_t *obj, *unknown;
			char *err;
			assert_true(asprintf(&text, "{\"status\":{\"capacity\":{\"cpu\":%s}}}",
					     list[i]) > 0);
			int rc = prune("Node", text, &obj, &unknown, &err);
			assert_int_equal(rc, pass ? -EINVAL : 0);
			free(err);
			free(text);
			json_decref(obj);
			json_decref(unknown);
		}
	}
	json_t *obj, *unknown;
	char *err;
	assert_int_equal(
	    prune("Pod",
		  "{\"spec\":{\"containers\":[{\"name\":\"c\",\"livenessProbe\":{"
		  "\"tcpSocket\":{\"port\":8080}},\"startupProbe\":{\"grpc\":{\"port\":9}},"
		  "\"readinessProbe\":{\"exec\":{\"command\":[\"true\"]}}}]}}",
		  &obj, &unknown, &err),
	    0);
	assert_int_equal(json_array_size(unknown), 0);
	json_decref(obj);
	json_decref(unknown);
}

static void not_an_object(void **state)
{
	json_t *arr = json_array();
	char *err = NULL;
	assert_int_equal(api_schema_prune(api_resource_by_kind("Pod"), arr, NULL, &err), -EINVAL);
	assert_string_equal(err, "json: cannot "
				 "unmarshal array into Go value of type v1.Pod");
	free(err);
	json_decref(arr);
}

/* The operation of method at path in doc, asserting it exists. */
static json_t *op_at(json_t *doc, const char *path, const char *method)
{
	json_t *item = json_object_get(json_object_get(doc, "paths"), path);
	assert_non_null(item);
	json_t *op = json_object_get(item, method);
	assert_non_null(op);
	return op;
}

static bool has_query_param(json_t *op, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(op, "parameters"), i, p)
	{
		if (!strcmp(json_string_value(json_object_get(p, "name")), name) &&
		    !strcmp(json_string_value(json_object_get(p, "in")), "query"))
			return true;
	}
	return false;
}

static void assert_gvk(json_t *gvk, const char *group, const char *version, const char *kind)
{
	assert_non_null(gvk);
	assert_string_equal(json_string_value(json_object_get(gvk, "group")), group);
	assert_string_equal(json_string_value(json_object_get(gvk, "version")), version);
	assert_string_equal(json_string_value(json_object_get(gvk, "kind")), kind);
}

static void v3_root(void **state)
{
	json_t *root = api_openapi_v3_root(), *again = api_openapi_v3_root();
	json_t *paths = json_object_get(root, "paths");
	const char *core = json_string_value(
	    json_object_get(json_object_get(paths, "api/v1"), "serverRelativeURL"));
	const char *disc = json_string_value(json_object_get(
	    json_object_get(paths, "apis/discovery.k8s.io/v1"), "serverRelativeURL"));

	assert_non_null(core);
	assert_non_null(disc);
	/* core/v1, discovery.k8s.io/v1 and coordination.k8s.io/v1 (Lease). */
	assert_int_equal(json_object_size(paths), 3);
	assert_non_null(json_object_get(paths, "apis/coordination.k8s.io/v1"));
	assert_int_equal(strncmp(core, "/openapi/v3/api/v1?hash=", 24), 0);
	assert_true(strlen(core) > 24);
	assert_int_equal(strncmp(disc, "/openapi/v3/apis/discovery.k8s.io/v1?hash=", 42), 0);
	assert_string_not_equal(core + 24, disc + 42);
	/* Stable: the same document gives the same URL. */
	assert_true(json_equal(root, again));
	json_decref(root);
	json_decref(again);
	assert_null(api_openapi_v3_group("apis/apps/v1"));
	assert_null(api_openapi_v3_group(NULL));
}

static void v3_core_operations(void **state)
{
	json_t *doc = api_openapi_v3_group("api/v1");
	static const char *const writes[][2] = {
	    {"/api/v1/namespaces/{namespace}/services", "post"},
	    {"/api/v1/namespaces/{namespace}/services/{name}", "put"},
	    {"/api/v1/namespaces/{namespace}/services/{name}", "patch"},
	    {"/api/v1/namespaces/{namespace}/services/{name}/status", "patch"},
	};

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		json_t *op = op_at(doc, writes[i][0], writes[i][1]);
		assert_true(has_query_param(op, "fieldValidation"));
		assert_true(has_query_param(op, "fieldManager"));
		assert_true(has_query_param(op, "dryRun"));
		assert_gvk(json_object_get(op, "x-kubernetes-group-version-kind"), "", "v1",
			   "Service");
	}
	json_t *patch = op_at(doc, "/api/v1/namespaces/{namespace}/services/{name}", "patch");
	assert_string_equal(json_string_value(json_object_get(patch, "x-kubernetes-action")),
			    "patch");
	assert_string_equal(json_string_value(json_object_get(patch, "operationId")),
			    "patchCoreV1NamespacedService");
	json_t *ct =
	    json_object_get(json_object_get(json_object_get(patch, "requestBody"), "content"),
			    "application/strategic-merge-patch+json");
	assert_non_null(ct);
	json_t *get = op_at(doc, "/api/v1/namespaces/{namespace}/services/{name}", "get");
	assert_false(has_query_param(get, "fieldValidation"));
	json_t *list = op_at(doc, "/api/v1/services", "get");
	assert_string_equal(json_string_value(json_object_get(list, "x-kubernetes-action")),
			    "list");
	assert_true(has_query_param(list, "watch"));
	/* Cluster-scoped kinds have no namespace in their paths; Endpoints has no status. */
	op_at(doc, "/api/v1/nodes/{name}", "patch");
	op_at(doc, "/api/v1/namespaces/{name}/status", "put");
	assert_null(json_object_get(json_object_get(doc, "paths"),
				    "/api/v1/namespaces/{namespace}/endpoints/{name}/status"));
	/* No discovery.k8s.io kinds in the core document. */
	assert_null(json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
				    "io.k8s.api.discovery.v1.EndpointSlice"));
	json_decref(doc);
}

static json_t *prop(json_t *schemas, const char *type, const char *field)
{
	json_t *p =
	    json_object_get(json_object_get(json_object_get(schemas, type), "properties"), field);
	assert_non_null(p);
	return p;
}

static const char *str_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void v3_schemas_patch_metadata(void **state)
{
	json_t *doc = api_openapi_v3_group("api/v1");
	json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");

	json_t *svc = json_object_get(schemas, "io.k8s.api.core.v1.Service");
	assert_non_null(svc);
	assert_gvk(json_array_get(json_object_get(svc, "x-kubernetes-group-version-kind"), 0), "",
		   "v1", "Service");
	assert_gvk(
	    json_array_get(json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.PodList"),
					   "x-kubernetes-group-version-kind"),
			   0),
	    "", "v1", "PodList");
	/* metadata refers to ObjectMeta the way kube's v3 documents do. */
	json_t *meta = prop(schemas, "io.k8s.api.core.v1.Service", "metadata");
	assert_string_equal(str_at(json_array_get(json_object_get(meta, "allOf"), 0), "$ref"),
			    "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

	json_t *ports = prop(schemas, "io.k8s.api.core.v1.ServiceSpec", "ports");
	assert_string_equal(str_at(ports, "x-kubernetes-patch-merge-key"), "port");
	assert_string_equal(str_at(ports, "x-kubernetes-patch-strategy"), "merge");
	assert_string_equal(str_at(ports, "x-kubernetes-list-type"), "map");
	json_t *keys = json_object_get(ports, "x-kubernetes-list-map-keys");
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_array_get(keys, 0)), "port");
	assert_string_equal(json_string_value(json_array_get(keys, 1)), "protocol");
	assert_string_equal(
	    str_at(json_array_get(json_object_get(json_object_get(ports, "items"), "allOf"), 0),
		   "$ref"),
	    "#/components/schemas/io.k8s.api.core.v1.ServicePort");

	json_t *containers = prop(schemas, "io.k8s.api.core.v1.PodSpec", "containers");
	assert_string_equal(str_at(containers, "x-kubernetes-patch-merge-key"), "name");
	json_t *env = prop(schemas, "io.k8s.api.core.v1.Container", "env");
	assert_string_equal(str_at(env, "x-kubernetes-patch-merge-key"), "name");
	json_t *owners =
	    prop(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences");
	assert_string_equal(str_at(owners, "x-kubernetes-patch-merge-key"), "uid");
	json_t *fin =
	    prop(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers");
	assert_string_equal(str_at(fin, "x-kubernetes-list-type"), "set");
	json_t *sel = prop(schemas, "io.k8s.api.core.v1.ServiceSpec", "selector");
	assert_string_equal(str_at(sel, "x-kubernetes-map-type"), "atomic");
	json_t *port = prop(schemas, "io.k8s.api.core.v1.ServicePort", "port");
	assert_string_equal(str_at(port, "type"), "integer");
	assert_string_equal(str_at(port, "format"), "int32");
	json_t *req =
	    json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.ServicePort"), "required");
	assert_string_equal(json_string_value(json_array_get(req, 0)), "port");
	assert_string_equal(
	    str_at(json_object_get(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
		   "format"),
	    "int-or-string");
	/* Every $ref points at a schema the document defines. */
	char *text = json_dumps(doc, JSON_COMPACT);
	for (char *p = strstr(text, "#/components/schemas/"); p;
	     p = strstr(p + 1, "#/components/schemas/")) {
		char name[256];
		size_t n = strcspn(p + 21, "\"");
		assert_true(n < sizeof(name));
		memcpy(name, p + 21, n);
		name[n] = '\0';
		assert_non_null(json_object_get(schemas, name));
	}
	free(text);
	json_decref(doc);
}

static void v3_discovery(void **state)
{
	json_t *doc = api_openapi_v3_group("apis/discovery.k8s.io/v1");
	json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
	json_t *op = op_at(
	    doc, "/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}", "patch");

	assert_true(has_query_param(op, "fieldValidation"));
	assert_gvk(json_object_get(op, "x-kubernetes-group-version-kind"), "discovery.k8s.io", "v1",
		   "EndpointSlice");
	assert_string_equal(str_at(op, "operationId"), "patchDiscoveryV1NamespacedEndpointSlice");
	json_t *slice = json_object_get(schemas, "io.k8s.api.discovery.v1.EndpointSlice");
	assert_gvk(json_array_get(json_object_get(slice, "x-kubernetes-group-version-kind"), 0),
		   "discovery.k8s.io", "v1", "EndpointSlice");
	json_t *addrs = prop(schemas, "io.k8s.api.discovery.v1.Endpoint", "addresses");
	assert_string_equal(str_at(addrs, "x-kubernetes-list-type"), "set");
	assert_non_null(json_object_get(schemas, "io.k8s.api.discovery.v1.EndpointHints"));
	assert_non_null(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Status"));
	assert_null(json_object_get(schemas, "io.k8s.api.core.v1.Pod"));
	/* No status subresource for EndpointSlice. */
	assert_int_equal(json_object_size(json_object_get(doc, "paths")), 3);
	json_decref(doc);
}

static void v2_document(void **state)
{
	json_t *doc = api_openapi_v2();
	json_t *defs = json_object_get(doc, "definitions");

	assert_string_equal(str_at(doc, "swagger"), "2.0");
	assert_non_null(json_object_get(defs, "io.k8s.api.core.v1.Service"));
	assert_non_null(json_object_get(defs, "io.k8s.api.discovery.v1.EndpointSlice"));
	json_t *meta = prop(defs, "io.k8s.api.core.v1.Service", "metadata");
	assert_string_equal(str_at(meta, "$ref"),
			    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
	json_t *op = op_at(doc, "/api/v1/namespaces/{namespace}/services/{name}", "patch");
	assert_true(has_query_param(op, "fieldValidation"));
	bool smp = false;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(op, "consumes"), i, c)
	{
		if (!strcmp(json_string_value(c), "application/strategic-merge-patch+json"))
			smp = true;
	}
	assert_true(smp);
	json_t *ports = prop(defs, "io.k8s.api.core.v1.ServiceSpec", "ports");
	assert_string_equal(str_at(ports, "x-kubernetes-patch-merge-key"), "port");
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(valid_service_untouched),
	    cmocka_unit_test(unknown_fields_at_depth),
	    cmocka_unit_test(unknown_fields_pod_and_slice),
	    cmocka_unit_test(nulls_are_dropped),
	    cmocka_unit_test(wrong_types),
	    cmocka_unit_test(quantities_and_int_or_string),
	    cmocka_unit_test(not_an_object),
	    cmocka_unit_test(v3_root),
	    cmocka_unit_test(v3_core_operations),
	    cmocka_unit_test(v3_schemas_patch_metadata),
	    cmocka_unit_test(v3_discovery),
	    cmocka_unit_test(v2_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
