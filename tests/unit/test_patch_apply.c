/*
 * Unit tests of server-side apply and managedFields (src/lib/api/patch_apply.c,
 * patch_fieldset.c, patch_yaml.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/patch_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON written with single quotes; \' is not needed by any case below. */
static json_t *js(const char *text)
{
	char *t = strdup(text);
	json_error_t e;
	for (char *c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	json_t *j = json_loads(t, JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, e.text);
	free(t);
	return j;
}

static void assert_json(const json_t *got, const char *want_text, const char *what)
{
	json_t *want = js(want_text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("%s:\n got  %s\n want %s", what, g ? g : "NULL", w);
	}
	json_decref(want);
}

static const struct api_apply_req KUBECTL = {"Service", "kubectl", "v1", "2026-01-01T00:00:00Z",
					     false};

#define SVC_APPLIED                                                                                \
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'default',"      \
	"'labels':{'app':'web','tier':'fe'}},'spec':{'selector':{'app':'web'},"                    \
	"'ports':[{'name':'http','port':80,'targetPort':9376}]}}"

/* What kube-apiserver records for the manifest above (k:... keys as it writes them). */
#define SVC_FIELDS                                                                                 \
	"{'f:metadata':{'f:labels':{'f:app':{},'f:tier':{}}},'f:spec':{'f:ports':{"                \
	"'k:{\\'port\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:name':{},'f:port':{},"            \
	"'f:targetPort':{}}},'f:selector':{}}}"

/* The keys above hold double quotes: js() turns \' into \" only through this. */
static json_t *fields(const char *text)
{
	char *t = strdup(text), *o = t;
	for (const char *c = text; *c; c++) {
		if (c[0] == '\\' && c[1] == '\'') {
			*o++ = '\\';
			*o++ = '"';
			c++;
		} else {
			*o++ = *c == '\'' ? '"' : *c;
		}
	}
	*o = '\0';
	json_t *j = json_loads(t, 0, NULL);
	if (!j)
		fail_msg("bad field set %s", t);
	free(t);
	return j;
}

static json_t *entries_of(const json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "managedFields");
}

/* A live object as the API server would hold it after the apply of SVC_APPLIED. */
static json_t *live_after_create(void)
{
	json_t *applied = js(SVC_APPLIED), *conflicts = NULL;
	json_t *obj = api_apply(&KUBECTL, NULL, applied, &conflicts);
	assert_non_null(obj);
	/* What defaulting and allocation add: nobody's field. */
	json_t *spec = json_object_get(obj, "spec");
	json_object_set_new(spec, "clusterIP", json_string("10.96.0.20"));
	json_object_set_new(spec, "type", json_string("ClusterIP"));
	json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "protocol",
			    json_string("TCP"));
	json_decref(applied);
	return obj;
}

static void test_create_records_the_applied_fields(void **state)
{
	json_t *obj = live_after_create(), *want = fields(SVC_FIELDS);
	json_t *e = json_array_get(entries_of(obj), 0);
	assert_int_equal(json_array_size(entries_of(obj)), 1);
	assert_string_equal(json_string_value(json_object_get(e, "manager")), "kubectl");
	assert_string_equal(json_string_value(json_object_get(e, "operation")), "Apply");
	assert_string_equal(json_string_value(json_object_get(e, "apiVersion")), "v1");
	assert_string_equal(json_string_value(json_object_get(e, "fieldsType")), "FieldsV1");
	assert_string_equal(json_string_value(json_object_get(e, "time")), "2026-01-01T00:00:00Z");
	if (!json_equal(json_object_get(e, "fieldsV1"), want))
		fail_msg("fieldsV1: %s", json_dumps(json_object_get(e, "fieldsV1"), JSON_COMPACT));
	json_decref(want);
	json_decref(obj);
}

static void test_reapply_merges_and_removes(void **state)
{
	json_t *live = live_after_create(), *conflicts = NULL;
	/* tier is no longer applied, targetPort changes, a port is added. */
	json_t *applied = js("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web',"
			     "'labels':{'app':'web'}},'spec':{'selector':{'app':'web'},"
			     "'ports':[{'name':'http','port':80,'targetPort':8080},"
			     "{'name':'dns','port':53,'protocol':'UDP'}]}}");
	json_t *out = api_apply(&KUBECTL, live, applied, &conflicts);
	assert_non_null(out);
	assert_null(conflicts);
	assert_json(json_object_get(json_object_get(out, "metadata"), "labels"), "{'app':'web'}",
		    "labels");
	assert_json(json_object_get(out, "spec"),
		    "{'selector':{'app':'web'},'clusterIP':'10.96.0.20','type':'ClusterIP',"
		    "'ports':[{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
		    "{'name':'dns','port':53,'protocol':'UDP'}]}",
		    "spec");
	assert_int_equal(json_array_size(entries_of(out)), 1);
	json_decref(out);
	json_decref(applied);
	json_decref(live);
}

/* SSA keys ports by port and protocol: the TCP entry the manager no longer applies goes. */
static void test_reapply_protocol_change(void **state)
{
	json_t *live = live_after_create(), *conflicts = NULL;
	json_t *applied =
	    js("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web',"
	       "'labels':{'app':'web','tier':'fe'}},'spec':{'selector':{'app':'web'},"
	       "'ports':[{'name':'http','port':80,'protocol':'UDP','targetPort':9376}]}}");
	json_t *out = api_apply(&KUBECTL, live, applied, &conflicts);
	assert_non_null(out);
	assert_json(json_object_get(json_object_get(out, "spec"), "ports"),
		    "[{'name':'http','port':80,'protocol':'UDP','targetPort':9376}]", "ports");
	json_decref(out);
	json_decref(applied);
	json_decref(live);
}

/* An update by another manager takes the fields it changes; apply then keeps them. */
static void test_update_moves_ownership(void **state)
{
	json_t *old = live_after_create(), *obj = json_deep_copy(old), *conflicts = NULL;
	struct api_apply_req edit = {"Service", "kubectl-edit", "v1", "2026-01-02T00:00:00Z",
				     false};
	json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	json_object_set_new(labels, "tier", json_string("backend"));
	json_object_set_new(labels, "owner", json_string("ops"));
	api_managed_fields_update(&edit, old, obj);
	json_t *entries = entries_of(obj);
	assert_int_equal(json_array_size(entries), 2);
	json_t *a = json_array_get(entries, 0), *u = json_array_get(entries, 1);
	assert_string_equal(json_string_value(json_object_get(a, "operation")), "Apply");
	assert_string_equal(json_string_value(json_object_get(u, "manager")), "kubectl-edit");
	assert_string_equal(json_string_value(json_object_get(u, "operation")), "Update");
	assert_json(json_object_get(u, "fieldsV1"),
		    "{'f:metadata':{'f:labels':{'f:owner':{},'f:tier':{}}}}", "updater's fields");
	assert_null(json_object_get(
	    json_object_get(json_object_get(json_object_get(a, "fieldsV1"), "f:metadata"),
			    "f:labels"),
	    "f:tier"));

	/* kubectl stops applying tier: it is kubectl-edit's now, so it stays. */
	json_t *applied = js("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web',"
			     "'labels':{'app':'web'}},'spec':{'selector':{'app':'web'},"
			     "'ports':[{'name':'http','port':80,'targetPort':9376}]}}");
	json_t *out = api_apply(&KUBECTL, obj, applied, &conflicts);
	assert_non_null(out);
	assert_json(json_object_get(json_object_get(out, "metadata"), "labels"),
		    "{'app':'web','tier':'backend','owner':'ops'}", "labels kept");
	json_decref(out);
	json_decref(applied);
	json_decref(obj);
	json_decref(old);
}

static void test_update_strip_and_keep(void **state)
{
	json_t *old = live_after_create(), *obj = json_deep_copy(old);
	struct api_apply_req edit = {"Service", "curl", "v1", "2026-01-02T00:00:00Z", false};
	/* An empty list keeps the entries (clients unaware of the field send none). */
	json_object_set_new(json_object_get(obj, "metadata"), "managedFields", json_array());
	api_managed_fields_update(&edit, old, obj);
	assert_int_equal(json_array_size(entries_of(obj)), 1);
	/* A list of one empty entry strips them. */
	json_object_set_new(json_object_get(obj, "metadata"), "managedFields", js("[{}]"));
	api_managed_fields_update(&edit, old, obj);
	assert_null(entries_of(obj));
	/* An object nobody applied stays without entries. */
	json_t *plain = js("{'metadata':{'name':'x','labels':{'a':'b'}}}");
	json_t *plain2 = js("{'metadata':{'name':'x','labels':{'a':'c'}}}");
	api_managed_fields_update(&edit, plain, plain2);
	assert_null(entries_of(plain2));
	json_decref(plain);
	json_decref(plain2);
	json_decref(obj);
	json_decref(old);
}

static void test_conflicts(void **state)
{
	json_t *live = live_after_create(), *conflicts = NULL;
	struct api_apply_req other = {"Service", "deployer", "v1", "2026-01-03T00:00:00Z", false};
	/* The same value is shared ownership, not a conflict. */
	json_t *same = js("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},"
			  "'spec':{'ports':[{'port':80,'targetPort':9376}]}}");
	json_t *out = api_apply(&other, live, same, &conflicts);
	assert_non_null(out);
	assert_int_equal(json_array_size(entries_of(out)), 2);
	json_decref(out);

	json_t *diff = js("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},"
			  "'spec':{'ports':[{'port':80,'targetPort':9000}]}}");
	out = api_apply(&other, live, diff, &conflicts);
	assert_null(out);
	assert_int_equal(json_array_size(conflicts), 1);
	json_t *st = api_apply_conflict_status(conflicts);
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 409);
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "Conflict");
	assert_string_equal(json_string_value(json_object_get(st, "message")),
			    "Apply failed with 1 conflict: conflict with \"kubectl\": "
			    ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
	json_t *cause =
	    json_array_get(json_object_get(json_object_get(st, "details"), "causes"), 0);
	assert_string_equal(json_string_value(json_object_get(cause, "reason")),
			    "FieldManagerConflict");
	assert_string_equal(json_string_value(json_object_get(cause, "field")),
			    ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
	json_decref(st);
	json_decref(conflicts);

	/* Forced, it takes the field from kubectl. */
	other.force = true;
	out = api_apply(&other, live, diff, &conflicts);
	assert_non_null(out);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(json_object_get(out, "spec"), "ports"), 0),
		"targetPort")),
	    9000);
	json_t *k = json_array_get(entries_of(out), 0);
	assert_string_equal(json_string_value(json_object_get(k, "manager")), "kubectl");
	char *kf = json_dumps(json_object_get(k, "fieldsV1"), JSON_COMPACT);
	assert_null(strstr(kf, "targetPort"));
	free(kf);
	json_decref(out);
	json_decref(same);
	json_decref(diff);
	json_decref(live);
}

static void test_conflict_message_several(void **state)
{
	json_t *c = js("[{'manager':{'manager':'a','operation':'Apply'},'field':'.spec.x'},"
		       "{'manager':{'manager':'b','operation':'Update','apiVersion':'v1',"
		       "'time':'2026-01-01T00:00:00Z'},'field':'.spec.y'},"
		       "{'manager':{'manager':'a','operation':'Apply'},'field':'.spec.z'}]");
	json_t *st = api_apply_conflict_status(c);
	assert_string_equal(json_string_value(json_object_get(st, "message")),
			    "Apply failed with 3 conflicts: conflicts with \"a\":\n- .spec.x\n- "
			    ".spec.z\nconflicts with \"b\" using v1 at 2026-01-01T00:00:00Z:\n- "
			    ".spec.y");
	json_decref(st);
	json_decref(c);
}

static void test_decode(void **state)
{
	char *err = NULL;
	const char *y = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
			"  ports:\n  - port: 80\n    name: \"80\"\n    targetPort: '8080'\n"
			"  publishNotReadyAddresses: yes\n  externalName: ~\n  x: 1.5\n";
	json_t *v = api_apply_decode(y, strlen(y), &err);
	assert_null(err);
	assert_json(v,
		    "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},'spec':{"
		    "'ports':[{'port':80,'name':'80','targetPort':'8080'}],"
		    "'publishNotReadyAddresses':true,'externalName':null,'x':1.5}}",
		    "YAML");
	json_decref(v);
	v = api_apply_decode("{\"a\":1}", 7, &err);
	assert_json(v, "{'a':1}", "JSON");
	json_decref(v);
	v = api_apply_decode("a: [1\n", 6, &err);
	assert_null(v);
	assert_non_null(strstr(err, "error decoding YAML"));
	free(err);
	v = api_apply_decode("", 0, &err);
	assert_null(v);
	free(err);
	/* Aliases that expand a billion times are refused. */
	char bomb[2048];
	int n = snprintf(bomb, sizeof(bomb), "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (char l = 'b'; l <= 'i'; l++)
		n += snprintf(bomb + n, sizeof(bomb) - (size_t)n,
			      "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", l, l, l - 1,
			      l - 1, l - 1, l - 1, l - 1, l - 1, l - 1, l - 1, l - 1, l - 1);
	v = api_apply_decode(bomb, (size_t)n, &err);
	assert_null(v);
	assert_non_null(strstr(err, "too large"));
	free(err);
}

/* Pods: containers keyed by name, their ports by containerPort and protocol. */
static void test_pod_fields(void **state)
{
	struct api_apply_req q = {"Pod", "kubectl", "v1", "2026-01-01T00:00:00Z", false};
	json_t *applied =
	    js("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p',"
	       "'finalizers':['a/b']},'spec':{'containers':[{'name':'c','image':'i',"
	       "'ports':[{'containerPort':80}],'args':['x']}]},'status':{'phase':'X'}}");
	json_t *conflicts = NULL, *out = api_apply(&q, NULL, applied, &conflicts);
	json_t *f = json_object_get(json_array_get(entries_of(out), 0), "fieldsV1");
	char *s = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    s, "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"a/b\\\"\":{}}},\"f:spec\":{"
	       "\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:args\":{},"
	       "\"f:image\":{},\"f:name\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":80,"
	       "\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:containerPort\":{}}}}}}}");
	free(s);
	json_decref(out);
	json_decref(applied);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_records_the_applied_fields),
	    cmocka_unit_test(test_reapply_merges_and_removes),
	    cmocka_unit_test(test_reapply_protocol_change),
	    cmocka_unit_test(test_update_moves_ownership),
	    cmocka_unit_test(test_update_strip_and_keep),
	    cmocka_unit_test(test_conflicts),
	    cmocka_unit_test(test_conflict_message_several),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_pod_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
