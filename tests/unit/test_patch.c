/*
 * Unit tests of the three patch types (src/lib/api/patch.c, patch_json.c,
 * patch_strategic.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Parses JSON written with single quotes (the cases below read better so);
 * text without any single quote is parsed as is.
 */
static json_t *js(const char *text)
{
	char *t = strdup(text);
	json_error_t e;
	json_t *j;

	for (char *c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	j = json_loads(t, JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, e.text);
	free(t);
	return j;
}

/* The case tables leave the trailing members (err, kind) out where unused. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum ptype { MERGE, JSONP, SMP };

struct pcase {
	const char *name;
	const char *doc;
	const char *patch;
	const char *want; /* expected document, or NULL when an error is expected */
	const char *err;  /* substring of the expected error */
	const char *kind; /* for SMP */
};

/* Runs one case; the input document must come out unchanged. */
static void run_case(enum ptype t, const struct pcase *c)
{
	json_t *doc = js(c->doc), *patch = js(c->patch), *before = json_deep_copy(doc);
	json_t *got = NULL;
	char *err = NULL;

	if (t == MERGE)
		got = api_merge_patch(doc, patch);
	else if (t == JSONP)
		got = api_json_patch(doc, patch, &err);
	else
		got = api_strategic_merge_patch(doc, patch, c->kind ? c->kind : "Service", &err);
	if (c->want) {
		json_t *want = js(c->want);
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (!got || !json_equal(got, want))
			fail_msg("case %s: got %s (err %s), want %s", c->name, g ? g : "NULL",
				 err ? err : "none", c->want);
		assert_null(err);
		free(g);
		json_decref(want);
	} else {
		if (got || !err || !strstr(err, c->err))
			fail_msg("case %s: want error containing \"%s\", got %s", c->name, c->err,
				 err ? err : "a document");
	}
	assert_true(json_equal(doc, before));
	free(err);
	json_decref(got);
	json_decref(doc);
	json_decref(patch);
	json_decref(before);
}

#define RUN(t, cases)                                                                              \
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)                              \
	run_case(t, &cases[i])

/* RFC 7386 appendix A, plus nested null removal. */
static const struct pcase merge_cases[] = {
    {"replace", "{'a':'b'}", "{'a':'c'}", "{'a':'c'}"},
    {"add", "{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}"},
    {"delete", "{'a':'b'}", "{'a':null}", "{}"},
    {"delete one", "{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}"},
    {"list by string", "{'a':['b']}", "{'a':'c'}", "{'a':'c'}"},
    {"string by list", "{'a':'c'}", "{'a':['b']}", "{'a':['b']}"},
    {"nested", "{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}"},
    {"list replaced", "{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}"},
    {"array doc", "['a','b']", "['c','d']", "['c','d']"},
    {"object by array", "{'a':'b'}", "['c']", "['c']"},
    {"null patch", "{'a':'foo'}", "null", "null"},
    {"string patch", "{'a':'foo'}", "'bar'", "'bar'"},
    {"null kept in doc", "{'e':null}", "{'a':1}", "{'e':null,'a':1}"},
    {"array doc by object", "[1,2]", "{'a':'b','c':null}", "{'a':'b'}"},
    {"nested nulls dropped", "{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}"},
    {"labels", "{'metadata':{'labels':{'a':'1','b':'2'}}}",
     "{'metadata':{'labels':{'a':null,'c':'3'}}}", "{'metadata':{'labels':{'b':'2','c':'3'}}}"},
};

static void test_merge_patch(void **state)
{
	RUN(MERGE, merge_cases);
}

/* RFC 6902 appendix A and the error cases. */
static const struct pcase json_cases[] = {
    {"A.1 add member", "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
     "{'baz':'qux','foo':'bar'}"},
    {"A.2 add element", "{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
     "{'foo':['bar','qux','baz']}"},
    {"A.3 remove member", "{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]",
     "{'foo':'bar'}"},
    {"A.4 remove element", "{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
     "{'foo':['bar','baz']}"},
    {"A.5 replace", "{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
     "{'baz':'boo','foo':'bar'}"},
    {"A.6 move member", "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
     "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
     "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}"},
    {"A.7 move element", "{'foo':['all','grass','cows','eat']}",
     "[{'op':'move','from':'/foo/1','path':'/foo/3'}]", "{'foo':['all','cows','eat','grass']}"},
    {"A.8 test ok", "{'baz':'qux','foo':['a',2,'c']}",
     "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
     "{'baz':'qux','foo':['a',2,'c']}"},
    {"A.9 test fails", "{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]", NULL,
     "testing value \"/baz\" failed"},
    {"A.10 add nested", "{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grand':{}}}]",
     "{'foo':'bar','child':{'grand':{}}}"},
    {"A.11 extra members", "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
     "{'foo':'bar','baz':'qux'}"},
    {"A.12 missing parent", "{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]", NULL,
     "add operation does not apply: doc is missing path: \"/baz/bat\""},
    {"A.14 escapes", "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10}]",
     "{'/':9,'~1':10}"},
    {"A.14 slash", "{'a/b':1}", "[{'op':'replace','path':'/a~1b','value':2}]", "{'a/b':2}"},
    {"A.15 string vs number", "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':'10'}]", NULL,
     "testing value \"/~01\" failed"},
    {"A.16 add array value", "{'foo':['bar']}",
     "[{'op':'add','path':'/foo/-','value':['abc','def']}]", "{'foo':['bar',['abc','def']]}"},
    {"append at end index", "{'a':[1]}", "[{'op':'add','path':'/a/1','value':2}]", "{'a':[1,2]}"},
    {"index past end", "{'a':[1]}", "[{'op':'add','path':'/a/2','value':2}]", NULL,
     "add operation does not apply: invalid array index in \"/a/2\""},
    {"leading zero", "{'a':[1,2]}", "[{'op':'remove','path':'/a/01'}]", NULL,
     "remove operation does not apply: doc is missing path: \"/a/01\""},
    {"dash on remove", "{'a':[1]}", "[{'op':'remove','path':'/a/-'}]", NULL,
     "doc is missing path: \"/a/-\""},
    {"remove missing", "{'a':1}", "[{'op':'remove','path':'/b'}]", NULL,
     "remove operation does not apply: doc is missing path: \"/b\""},
    {"replace missing", "{'a':1}", "[{'op':'replace','path':'/b','value':1}]", NULL,
     "replace operation does not apply: doc is missing path: \"/b\""},
    {"replace root", "{'a':1}", "[{'op':'replace','path':'','value':[1]}]", "[1]"},
    {"test null", "{'a':null}", "[{'op':'test','path':'/a','value':null}]", "{'a':null}"},
    {"test number 1.0", "{'a':1}", "[{'op':'test','path':'/a','value':1.0}]", "{'a':1}"},
    {"test missing path", "{}", "[{'op':'test','path':'/a','value':1}]", NULL,
     "testing value \"/a\" failed: the path does not exist"},
    {"copy", "{'a':{'b':[1]}}", "[{'op':'copy','from':'/a','path':'/c'}]",
     "{'a':{'b':[1]},'c':{'b':[1]}}"},
    {"copy missing", "{}", "[{'op':'copy','from':'/x','path':'/c'}]", NULL,
     "copy operation does not apply: doc is missing path: \"/x\""},
    {"move into child", "{'a':{'b':1}}", "[{'op':'move','from':'/a','path':'/a/b/c'}]", NULL,
     "move operation does not apply"},
    {"move onto itself", "{'a':1}", "[{'op':'move','from':'/a','path':'/a'}]", "{'a':1}"},
    {"missing value", "{}", "[{'op':'add','path':'/a'}]", NULL,
     "add operation does not apply: missing \"value\""},
    {"add null value", "{}", "[{'op':'add','path':'/a','value':null}]", "{'a':null}"},
    {"unknown op", "{}", "[{'op':'frob','path':'/a'}]", NULL, "unexpected kind"},
    {"no path", "{}", "[{'op':'remove'}]", NULL, "remove operation 0 has no \"path\""},
    {"bad pointer", "{}", "[{'op':'add','path':'a','value':1}]", NULL,
     "\"path\" is not a valid JSON pointer"},
    {"bad escape", "{'a~2':1}", "[{'op':'remove','path':'/a~2'}]", NULL,
     "not a valid JSON pointer"},
    {"not an array", "{}", "{'op':'add'}", NULL, "must be a JSON array"},
    {"op not object", "{}", "[1]", NULL, "operation 0 is not an object"},
    {"atomic failure", "{'a':1}",
     "[{'op':'replace','path':'/a','value':2},{'op':'remove','path':'/zz'}]", NULL,
     "doc is missing path: \"/zz\""},
    {"service port", "{'spec':{'ports':[{'port':80,'targetPort':8080}]}}",
     "[{'op':'test','path':'/spec/ports/0/port','value':80},"
     "{'op':'replace','path':'/spec/ports/0/targetPort','value':9090}]",
     "{'spec':{'ports':[{'port':80,'targetPort':9090}]}}"},
};

static void test_json_patch(void **state)
{
	RUN(JSONP, json_cases);
}

/* Copy doubling the document must stop, and too many ops are refused. */
static void test_json_patch_limits(void **state)
{
	json_t *ops = json_array(), *doc = js("{'a':[1,2,3,4,5,6,7,8]}"), *got;
	char *err = NULL;

	for (int i = 0; i < 40; i++)
		json_array_append_new(ops, js("{'op':'copy','from':'/a','path':'/a/-'}"));
	got = api_json_patch(doc, ops, &err);
	assert_null(got);
	assert_non_null(strstr(err, "exceed the size limit"));
	free(err);
	json_array_clear(ops);
	for (int i = 0; i < 10001; i++)
		json_array_append_new(ops, js("{'op':'test','path':'/a/0','value':1}"));
	got = api_json_patch(doc, ops, &err);
	assert_null(got);
	assert_string_equal(err,
			    "The allowed maximum operations in a JSON patch is 10000, got 10001");
	free(err);
	json_decref(ops);
	json_decref(doc);
}

#define SVC3                                                                                       \
	"{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'type':'ClusterIP',"            \
	"'selector':{'app':'web'},'ports':["                                                       \
	"{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"                            \
	"{'name':'https','port':443,'protocol':'TCP','targetPort':8443},"                          \
	"{'name':'alt','port':8080,'protocol':'TCP','targetPort':8080}]}}"

/* Strategic merge patch, Service: what kubectl apply and kubectl patch send. */
static const struct pcase smp_service_cases[] = {
    {"apply: remove port, change targetPort", SVC3,
     "{'spec':{'$setElementOrder/ports':[{'port':80},{'port':443}],"
     "'ports':[{'port':443,'targetPort':9377},{'$patch':'delete','port':8080}]}}",
     "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'type':'ClusterIP',"
     "'selector':{'app':'web'},'ports':["
     "{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
     "{'name':'https','port':443,'protocol':'TCP','targetPort':9377}]}}"},
    {"apply: add port and label", SVC3,
     "{'metadata':{'labels':{'tier':'fe'}},'spec':{'$setElementOrder/ports':[{'port':80},"
     "{'port':9000},{'port':443},{'port':8080}],'ports':[{'name':'m','port':9000,"
     "'targetPort':9000}]}}",
     "{'metadata':{'name':'web','labels':{'app':'web','tier':'fe'}},'spec':{'type':'ClusterIP',"
     "'selector':{'app':'web'},'ports':["
     "{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
     "{'name':'m','port':9000,'targetPort':9000},"
     "{'name':'https','port':443,'protocol':'TCP','targetPort':8443},"
     "{'name':'alt','port':8080,'protocol':'TCP','targetPort':8080}]}}"},
    /* As apimachinery orders it: new elements before the server-only ones. */
    {"patch: new port goes first", SVC3, "{'spec':{'ports':[{'port':9000,'name':'m'}]}}",
     "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'type':'ClusterIP',"
     "'selector':{'app':'web'},'ports':[{'port':9000,'name':'m'},"
     "{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
     "{'name':'https','port':443,'protocol':'TCP','targetPort':8443},"
     "{'name':'alt','port':8080,'protocol':'TCP','targetPort':8080}]}}"},
    {"setElementOrder reorders", "{'spec':{'ports':[{'port':1},{'port':2},{'port':3}]}}",
     "{'spec':{'$setElementOrder/ports':[{'port':3},{'port':1},{'port':2}]}}",
     "{'spec':{'ports':[{'port':3},{'port':1},{'port':2}]}}"},
    {"server-only element keeps its place", "{'spec':{'ports':[{'port':1},{'port':2},{'port':3}]}}",
     "{'spec':{'$setElementOrder/ports':[{'port':1},{'port':3}],'ports':[{'port':3,'name':'x'}]}}",
     "{'spec':{'ports':[{'port':1},{'port':2},{'port':3,'name':'x'}]}}"},
    {"patch order over live order", "{'spec':{'ports':[{'port':1},{'port':2}]}}",
     "{'spec':{'ports':[{'port':2,'name':'b'},{'port':1,'name':'a'}]}}",
     "{'spec':{'ports':[{'port':2,'name':'b'},{'port':1,'name':'a'}]}}"},
    {"empty list patch is a no-op", "{'spec':{'ports':[{'port':1}]}}", "{'spec':{'ports':[]}}",
     "{'spec':{'ports':[{'port':1}]}}"},
    {"null deletes key", "{'spec':{'sessionAffinity':'ClientIP','type':'ClusterIP'}}",
     "{'spec':{'sessionAffinity':null,'nothere':null}}", "{'spec':{'type':'ClusterIP'}}"},
    {"nulls dropped from new map", "{}", "{'metadata':{'labels':{'a':'1','b':null}}}",
     "{'metadata':{'labels':{'a':'1'}}}"},
    {"map $patch replace", "{'spec':{'selector':{'app':'web','tier':'fe'}}}",
     "{'spec':{'selector':{'$patch':'replace','app':'api'}}}",
     "{'spec':{'selector':{'app':'api'}}}"},
    {"map $patch delete", "{'metadata':{'labels':{'a':'1'}},'spec':{}}",
     "{'metadata':{'labels':{'$patch':'delete'}}}", "{'metadata':{'labels':{}},'spec':{}}"},
    {"root $patch replace", "{'a':1,'b':2}", "{'$patch':'replace','c':3}", "{'c':3}"},
    {"list $patch replace", SVC3 "", "{'spec':{'ports':[{'$patch':'replace'},{'port':7}]}}",
     "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'type':'ClusterIP',"
     "'selector':{'app':'web'},'ports':[{'port':7}]}}"},
    {"list $patch merge", SVC3, "{'spec':{'ports':[{'$patch':'merge'}]}}", NULL,
     "merging lists cannot yet be specified in the patch"},
    {"unknown map directive", "{'spec':{}}", "{'spec':{'$patch':'frob'}}", NULL,
     "unknown patch type: frob in map"},
    {"delete without key", SVC3, "{'spec':{'ports':[{'$patch':'delete','name':'http'}]}}", NULL,
     "does not contain declared merge key: port"},
    {"element without key", SVC3, "{'spec':{'ports':[{'targetPort':1}]}}", NULL,
     "map: {\"targetPort\":1} does not contain declared merge key: port"},
    {"order does not match patch", SVC3,
     "{'spec':{'$setElementOrder/ports':[{'port':80},{'port':443}],"
     "'ports':[{'port':443,'name':'a'},{'port':80,'name':'b'}]}}",
     NULL, "doesn't match $setElementOrder list"},
    {"order not a list", SVC3, "{'spec':{'$setElementOrder/ports':{'port':80}}}", NULL,
     "invalid patch format of setElementOrder list"},
    {"atomic list replaced", "{'spec':{'externalIPs':['1.1.1.1','2.2.2.2']}}",
     "{'spec':{'externalIPs':['3.3.3.3']}}", "{'spec':{'externalIPs':['3.3.3.3']}}"},
    {"type change replaces", "{'spec':{'ports':[{'port':1}]}}", "{'spec':{'ports':'x'}}",
     "{'spec':{'ports':'x'}}"},
    {"lists of lists", "{'spec':{'ports':[{'port':1}]}}", "{'spec':{'ports':[[1]]}}", NULL,
     "lists of lists are not supported"},
    {"mixed element types", "{'spec':{'ports':[{'port':1}]}}", "{'spec':{'ports':[1]}}", NULL,
     "list element types are not identical"},
    {"80.0 matches 80", "{'spec':{'ports':[{'port':80,'name':'a'}]}}",
     "{'spec':{'ports':[{'port':80.0,'name':'b'}]}}",
     "{'spec':{'ports':[{'port':80.0,'name':'b'}]}}"},
    {"status conditions by type",
     "{'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'True'}]}}",
     "{'status':{'conditions':[{'type':'B','status':'False'}]}}",
     "{'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'False'}]}}"},
    {"not an object", "{}", "[1]", NULL, "must be a JSON object"},
};

/* Port matching by port and protocol (the listMapKeys of spec.ports). */
#define DNS2                                                                                       \
	"{'spec':{'ports':[{'name':'dns-tcp','port':53,'protocol':'TCP','targetPort':53},"         \
	"{'name':'dns','port':53,'protocol':'UDP','targetPort':53}]}}"
static const struct pcase smp_protocol_cases[] = {
    {"UDP element by protocol", DNS2,
     "{'spec':{'ports':[{'port':53,'protocol':'UDP','targetPort':5353}]}}",
     "{'spec':{'ports':[{'name':'dns-tcp','port':53,'protocol':'TCP','targetPort':53},"
     "{'name':'dns','port':53,'protocol':'UDP','targetPort':5353}]}}"},
    {"missing protocol is TCP", DNS2, "{'spec':{'ports':[{'port':53,'targetPort':5353}]}}",
     "{'spec':{'ports':[{'name':'dns-tcp','port':53,'protocol':'TCP','targetPort':5353},"
     "{'name':'dns','port':53,'protocol':'UDP','targetPort':53}]}}"},
    {"a new protocol on the same port replaces the protocol",
     "{'spec':{'ports':[{'port':53,'protocol':'TCP'}]}}",
     "{'spec':{'ports':[{'port':53,'protocol':'UDP'}]}}",
     "{'spec':{'ports':[{'port':53,'protocol':'UDP'}]}}"},
    {"a protocol change keeps the entry's other fields",
     "{'spec':{'ports':[{'name':'dns','port':53,'protocol':'TCP','targetPort':5353},"
     "{'name':'web','port':80,'protocol':'TCP','targetPort':8080}]}}",
     "{'spec':{'$setElementOrder/ports':[{'port':53},{'port':80}],"
     "'ports':[{'port':53,'protocol':'UDP'}]}}",
     "{'spec':{'ports':[{'name':'dns','port':53,'protocol':'UDP','targetPort':5353},"
     "{'name':'web','port':80,'protocol':'TCP','targetPort':8080}]}}"},
    {"a third protocol goes to the first entry of the port", DNS2,
     "{'spec':{'ports':[{'port':53,'protocol':'SCTP'}]}}",
     "{'spec':{'ports':[{'name':'dns-tcp','port':53,'protocol':'SCTP','targetPort':53},"
     "{'name':'dns','port':53,'protocol':'UDP','targetPort':53}]}}"},
    {"container port protocol replaced",
     "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':53,'protocol':'TCP'}]}]}}",
     "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':53,'protocol':'UDP'}]}]}}",
     "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':53,'protocol':'UDP'}]}]}}", NULL,
     "Pod"},
    {"UDP-only port edited without protocol",
     "{'spec':{'ports':[{'port':53,'protocol':'UDP','targetPort':53}]}}",
     "{'spec':{'ports':[{'port':53,'targetPort':5353}]}}",
     "{'spec':{'ports':[{'port':53,'protocol':'UDP','targetPort':5353}]}}"},
    {"delete by port and protocol", DNS2,
     "{'spec':{'ports':[{'$patch':'delete','port':53,'protocol':'UDP'}]}}",
     "{'spec':{'ports':[{'name':'dns-tcp','port':53,'protocol':'TCP','targetPort':53}]}}"},
    {"delete by port removes all protocols", DNS2,
     "{'spec':{'ports':[{'$patch':'delete','port':53}]}}", "{'spec':{'ports':[]}}"},
};

static void test_smp_service(void **state)
{
	RUN(SMP, smp_service_cases);
	RUN(SMP, smp_protocol_cases);
}

/* The exact body kubectl 1.32 apply sends after a multi-port manifest edit. */
static void test_smp_kubectl_apply(void **state)
{
	json_t *live = js(SVC3), *patch, *got;
	char *err = NULL;

	patch = json_loads(
	    "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
	    "\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"Service\\\",\\\"metadata\\\":{"
	    "\\\"labels\\\":{\\\"app\\\":\\\"web\\\",\\\"env\\\":\\\"prod\\\"},\\\"name\\\":"
	    "\\\"web\\\"}}\\n\"},\"labels\":{\"env\":\"prod\"}},\"spec\":{\"$setElementOrder/"
	    "ports\":[{\"port\":80},{\"port\":443},{\"port\":9090}],\"ports\":[{\"port\":443,"
	    "\"targetPort\":9377},{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\","
	    "\"targetPort\":9090},{\"$patch\":\"delete\",\"port\":8080}]}}",
	    0, NULL);
	assert_non_null(patch);
	got = api_strategic_merge_patch(live, patch, "Service", &err);
	assert_null(err);
	assert_non_null(got);
	json_t *ports = json_object_get(json_object_get(got, "spec"), "ports");
	assert_int_equal(json_array_size(ports), 3);
	int want_port[] = {80, 443, 9090}, want_target[] = {8080, 9377, 9090};
	for (int i = 0; i < 3; i++) {
		json_t *p = json_array_get(ports, i);
		assert_int_equal(json_integer_value(json_object_get(p, "port")), want_port[i]);
		assert_int_equal(json_integer_value(json_object_get(p, "targetPort")),
				 want_target[i]);
		assert_string_equal(json_string_value(json_object_get(p, "protocol")), "TCP");
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(ports, 1), "name")),
			    "https");
	json_t *md = json_object_get(got, "metadata");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(md, "labels"), "env")), "prod");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(md, "labels"), "app")), "web");
	assert_non_null(strstr(
	    json_string_value(json_object_get(json_object_get(md, "annotations"),
					      "kubectl.kubernetes.io/last-applied-configuration")),
	    "\"kind\":\"Service\""));
	json_decref(got);
	json_decref(patch);
	json_decref(live);
}

#define POD                                                                                        \
	"{'metadata':{'finalizers':['a','b']},'spec':{'containers':["                              \
	"{'name':'app','image':'nginx:1','ports':[{'containerPort':80,'protocol':'TCP'}],"         \
	"'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"                               \
	"'volumeMounts':[{'name':'v','mountPath':'/data'}]},"                                      \
	"{'name':'side','image':'busybox'}],'volumes':[{'name':'v','emptyDir':{}}],"               \
	"'tolerations':[{'key':'x'}]}}"

/* Pod: containers by name, their ports, env and volume mounts; volumes. */
static const struct pcase smp_pod_cases[] = {
    {"container image by name", POD,
     "{'spec':{'containers':[{'name':'side','image':'busybox:2'}]}}",
     "{'metadata':{'finalizers':['a','b']},'spec':{'containers':["
     "{'name':'app','image':'nginx:1','ports':[{'containerPort':80,'protocol':'TCP'}],"
     "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
     "'volumeMounts':[{'name':'v','mountPath':'/data'}]},"
     "{'name':'side','image':'busybox:2'}],'volumes':[{'name':'v','emptyDir':{}}],"
     "'tolerations':[{'key':'x'}]}}",
     NULL, "Pod"},
    {"env, ports, mounts merged", POD,
     "{'spec':{'containers':[{'name':'app','env':[{'name':'B','value':'3'},{'name':'C',"
     "'value':'4'}],'ports':[{'containerPort':443}],'volumeMounts':[{'mountPath':'/data',"
     "'readOnly':true}]}]}}",
     "{'metadata':{'finalizers':['a','b']},'spec':{'containers':["
     "{'name':'app','image':'nginx:1','ports':[{'containerPort':443},"
     "{'containerPort':80,'protocol':'TCP'}],"
     "'env':[{'name':'A','value':'1'},{'name':'B','value':'3'},{'name':'C','value':'4'}],"
     "'volumeMounts':[{'name':'v','mountPath':'/data','readOnly':true}]},"
     "{'name':'side','image':'busybox'}],'volumes':[{'name':'v','emptyDir':{}}],"
     "'tolerations':[{'key':'x'}]}}",
     NULL, "Pod"},
    {"tolerations are atomic", "{'spec':{'tolerations':[{'key':'x'}]}}",
     "{'spec':{'tolerations':[{'key':'y'}]}}", "{'spec':{'tolerations':[{'key':'y'}]}}", NULL,
     "Pod"},
    {"volume source swapped with $retainKeys", POD,
     "{'spec':{'volumes':[{'name':'v','$retainKeys':['configMap','name'],"
     "'configMap':{'name':'cm'}}]}}",
     "{'metadata':{'finalizers':['a','b']},'spec':{'containers':["
     "{'name':'app','image':'nginx:1','ports':[{'containerPort':80,'protocol':'TCP'}],"
     "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
     "'volumeMounts':[{'name':'v','mountPath':'/data'}]},"
     "{'name':'side','image':'busybox'}],'volumes':[{'name':'v','configMap':{'name':'cm'}}],"
     "'tolerations':[{'key':'x'}]}}",
     NULL, "Pod"},
    {"$retainKeys must list patched keys", POD,
     "{'spec':{'volumes':[{'name':'v','$retainKeys':['name'],'configMap':{'name':'cm'}}]}}", NULL,
     "invalid patch format of retainKeys", "Pod"},
    {"container removed by name", POD,
     "{'spec':{'$setElementOrder/containers':[{'name':'app'}],"
     "'containers':[{'$patch':'delete','name':'side'}]}}",
     "{'metadata':{'finalizers':['a','b']},'spec':{'containers':["
     "{'name':'app','image':'nginx:1','ports':[{'containerPort':80,'protocol':'TCP'}],"
     "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
     "'volumeMounts':[{'name':'v','mountPath':'/data'}]}],"
     "'volumes':[{'name':'v','emptyDir':{}}],'tolerations':[{'key':'x'}]}}",
     NULL, "Pod"},
    {"finalizers merged", "{'metadata':{'finalizers':['a','b']}}",
     "{'metadata':{'finalizers':['c','a']}}", "{'metadata':{'finalizers':['c','a','b']}}", NULL,
     "Pod"},
    {"finalizers: kubectl apply form", "{'metadata':{'finalizers':['a','b','x']}}",
     "{'metadata':{'$setElementOrder/finalizers':['c','a'],'finalizers':['c'],"
     "'$deleteFromPrimitiveList/finalizers':['b']}}",
     "{'metadata':{'finalizers':['c','a','x']}}", NULL, "Pod"},
    {"deleteFromPrimitiveList null", "{'metadata':{'finalizers':['a']}}",
     "{'metadata':{'$deleteFromPrimitiveList/finalizers':null}}", "{'metadata':{}}", NULL, "Pod"},
    {"ownerReferences by uid",
     "{'metadata':{'ownerReferences':[{'uid':'1','name':'a'},{'uid':'2','name':'b'}]}}",
     "{'metadata':{'ownerReferences':[{'uid':'2','controller':true}]}}",
     "{'metadata':{'ownerReferences':[{'uid':'1','name':'a'},"
     "{'uid':'2','name':'b','controller':true}]}}",
     NULL, "Pod"},
    {"pod conditions by type", "{'status':{'conditions':[{'type':'Ready','status':'False'}]}}",
     "{'status':{'conditions':[{'type':'Ready','status':'True'}]}}",
     "{'status':{'conditions':[{'type':'Ready','status':'True'}]}}", NULL, "Pod"},
};

/* Node, Namespace, Endpoints, EndpointSlice, Event and unknown kinds. */
static const struct pcase smp_other_cases[] = {
    {"node addresses by type",
     "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.1'},"
     "{'type':'Hostname','address':'n1'}]}}",
     "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'}]}}",
     "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'},"
     "{'type':'Hostname','address':'n1'}]}}",
     NULL, "Node"},
    {"node taints are atomic", "{'spec':{'taints':[{'key':'a','effect':'NoSchedule'}]}}",
     "{'spec':{'taints':[{'key':'b','effect':'NoSchedule'}]}}",
     "{'spec':{'taints':[{'key':'b','effect':'NoSchedule'}]}}", NULL, "Node"},
    {"node podCIDRs merged", "{'spec':{'podCIDRs':['10.0.0.0/24']}}",
     "{'spec':{'podCIDRs':['fd00::/64']}}", "{'spec':{'podCIDRs':['fd00::/64','10.0.0.0/24']}}",
     NULL, "Node"},
    {"namespace spec.finalizers atomic", "{'spec':{'finalizers':['kubernetes']}}",
     "{'spec':{'finalizers':['x']}}", "{'spec':{'finalizers':['x']}}", NULL, "Namespace"},
    {"endpoints subsets replaced",
     "{'subsets':[{'addresses':[{'ip':'10.0.0.1'}],'ports':[{'port':80}]}]}",
     "{'subsets':[{'addresses':[{'ip':'10.0.0.2'}]}]}",
     "{'subsets':[{'addresses':[{'ip':'10.0.0.2'}]}]}", NULL, "Endpoints"},
    {"endpointslice endpoints replaced",
     "{'endpoints':[{'addresses':['10.0.0.1']}],'ports':[{'port':80}]}",
     "{'endpoints':[{'addresses':['10.0.0.2']}]}",
     "{'endpoints':[{'addresses':['10.0.0.2']}],'ports':[{'port':80}]}", NULL, "EndpointSlice"},
    {"event finalizers merged", "{'metadata':{'finalizers':['a']},'message':'x'}",
     "{'metadata':{'finalizers':['b']},'message':'y'}",
     "{'metadata':{'finalizers':['b','a']},'message':'y'}", NULL, "Event"},
    {"unknown kind: lists replaced", "{'spec':{'ports':[{'port':1}]}}",
     "{'spec':{'ports':[{'port':2}]}}", "{'spec':{'ports':[{'port':2}]}}", NULL, "Widget"},
    {"service ports do not merge on a pod", "{'spec':{'ports':[{'port':1}]}}",
     "{'spec':{'ports':[{'port':2}]}}", "{'spec':{'ports':[{'port':2}]}}", NULL, "Pod"},
};

static void test_smp_kinds(void **state)
{
	RUN(SMP, smp_pod_cases);
	RUN(SMP, smp_other_cases);
}

/* Deep nesting is refused, not a stack overflow. */
static void test_smp_deep(void **state)
{
	struct {
		char *buf;
		size_t len;
	} t;
	FILE *f = open_memstream(&t.buf, &t.len);
	json_t *p, *got;
	char *err = NULL;

	for (int i = 0; i < 1500; i++)
		fputs("{\"a\":", f);
	fputs("1", f);
	for (int i = 0; i < 1500; i++)
		fputs("}", f);
	fclose(f);
	p = json_loads(t.buf, 0, NULL);
	assert_non_null(p);
	got = api_strategic_merge_patch(p, p, "Pod", &err);
	assert_null(got);
	assert_non_null(strstr(err, "nested too deeply"));
	free(err);
	json_decref(p);
	free(t.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_patch),	      cmocka_unit_test(test_json_patch),
	    cmocka_unit_test(test_json_patch_limits), cmocka_unit_test(test_smp_service),
	    cmocka_unit_test(test_smp_kubectl_apply), cmocka_unit_test(test_smp_kinds),
	    cmocka_unit_test(test_smp_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
