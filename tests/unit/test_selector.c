/* Unit tests of label and field selectors (src/lib/api/selector.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/selector.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QNAME_MSG                                                                                  \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "   \
	"an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "  \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define DNS_MSG                                                                                    \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is "                                                            \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define VALUE_MSG                                                                                  \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define REQ	"unable to parse requirement: "
#define INT_MSG "for 'Gt', 'Lt' operators, the value must be an integer"

static const char *LABELS = "{\"app\":\"web\",\"tier\":\"frontend\",\"n\":\"5\",\"empty\":\"\","
			    "\"example.com/role\":\"db\",\"in\":\"in\",\"notin\":\"notin\"}";

static json_t *js(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	assert_non_null(j);
	return j;
}

/* Parses sel (which must be valid) and matches it against the JSON labels. */
static bool lmatch(const char *sel, const char *labels)
{
	struct label_selector *s = NULL;
	char *err = NULL;
	json_t *l = labels ? js(labels) : NULL;
	bool m;

	if (label_selector_parse(sel, &s, &err) != 0)
		fail_msg("parse of '%s' failed: %s", sel, err);
	assert_null(err);
	assert_non_null(s);
	m = label_selector_matches(s, l);
	label_selector_free(s);
	json_decref(l);
	return m;
}

/* Parsing sel must fail with exactly msg. */
static void lerr(const char *sel, const char *msg)
{
	struct label_selector *s = (struct label_selector *)1;
	char *err = NULL;

	assert_int_equal(label_selector_parse(sel, &s, &err), -EINVAL);
	assert_null(s);
	assert_non_null(err);
	if (strcmp(err, msg) != 0)
		fail_msg("selector '%s'\n  got:  %s\n  want: %s", sel, err, msg);
	free(err);
}

static void test_label_equality(void **state)
{
	assert_true(lmatch("app=web", LABELS));
	assert_true(lmatch("app==web", LABELS));
	assert_false(lmatch("app=db", LABELS));
	assert_false(lmatch("app==db", LABELS));
	assert_true(lmatch("app!=db", LABELS));
	assert_false(lmatch("app!=web", LABELS));
	/* != and notin select objects that lack the key. */
	assert_true(lmatch("missing!=x", LABELS));
	assert_false(lmatch("missing=x", LABELS));
	assert_true(lmatch("missing!=x", NULL));
	assert_false(lmatch("app=web", NULL));
	/* A missing value is the empty value. */
	assert_true(lmatch("empty=", LABELS));
	assert_false(lmatch("app=", LABELS));
	assert_false(lmatch("missing=", LABELS));
	assert_true(lmatch("example.com/role=db", LABELS));
	assert_false(lmatch("example.com/role=web", LABELS));
}

static void test_label_sets(void **state)
{
	assert_true(lmatch("app in (web,db)", LABELS));
	assert_true(lmatch("app in (db, web)", LABELS));
	assert_false(lmatch("app in (db)", LABELS));
	assert_false(lmatch("missing in (a,b)", LABELS));
	assert_true(lmatch("app notin (db)", LABELS));
	assert_false(lmatch("app notin (db,web)", LABELS));
	assert_true(lmatch("missing notin (a)", LABELS));
	/* "()" and empty list items stand for the empty value. */
	assert_true(lmatch("empty in ()", LABELS));
	assert_false(lmatch("app in ()", LABELS));
	assert_true(lmatch("empty in (,a)", LABELS));
	assert_true(lmatch("empty in (a,,b)", LABELS));
	assert_true(lmatch("empty in (a,)", LABELS));
	assert_false(lmatch("empty notin (a,)", LABELS));
	assert_true(lmatch("app in (a,,web)", LABELS));
	/* "in" and "notin" are keys and values where an identifier is expected. */
	assert_true(lmatch("in in (in)", LABELS));
	assert_true(lmatch("notin notin (in)", LABELS));
	assert_false(lmatch("notin in (in)", LABELS));
	assert_true(lmatch("in=in", LABELS));
}

static void test_label_exists(void **state)
{
	assert_true(lmatch("app", LABELS));
	assert_false(lmatch("missing", LABELS));
	assert_true(lmatch("!missing", LABELS));
	assert_false(lmatch("!app", LABELS));
	assert_true(lmatch("empty", LABELS));
	assert_true(lmatch("!missing", NULL));
	assert_true(lmatch("! missing", LABELS));
	assert_true(lmatch("app,tier,!missing", LABELS));
	assert_false(lmatch("app,tier,!empty", LABELS));
}

static void test_label_and_whitespace(void **state)
{
	assert_true(lmatch("app=web,tier=frontend", LABELS));
	assert_false(lmatch("app=web,tier=backend", LABELS));
	assert_true(lmatch("  app = web ,\ttier in ( frontend , backend )\n,\r!x  ", LABELS));
	assert_true(lmatch("app\t!=\tdb", LABELS));
	assert_false(lmatch(" app , missing ", LABELS));
	assert_true(lmatch("app=web,app!=db,app in (web),app notin (db),app", LABELS));
}

static void test_label_empty(void **state)
{
	struct label_selector *s = NULL;
	char *err = (char *)1;

	assert_true(lmatch("", LABELS));
	assert_true(lmatch("", NULL));
	assert_true(lmatch("", "{}"));
	assert_true(lmatch("   ", LABELS));
	assert_int_equal(label_selector_parse(NULL, &s, &err), 0);
	assert_null(err);
	assert_true(label_selector_matches(s, NULL));
	label_selector_free(s);
	/* A NULL selector matches everything and freeing NULL is fine. */
	assert_true(label_selector_matches(NULL, NULL));
	label_selector_free(NULL);
}

static void test_label_gt_lt(void **state)
{
	assert_true(lmatch("n>3", LABELS));
	assert_false(lmatch("n>5", LABELS));
	assert_true(lmatch("n<6", LABELS));
	assert_false(lmatch("n<5", LABELS));
	assert_false(lmatch("n < 2", LABELS));
	assert_false(lmatch("app>1", LABELS));	   /* not a number */
	assert_false(lmatch("missing<9", LABELS)); /* absent */
	assert_true(lmatch("n>0,n<10", LABELS));
}

static void test_label_syntax_errors(void **state)
{
	lerr("=a", "found '=', expected: !, identifier, or 'end of string'");
	lerr("(", "found '(', expected: !, identifier, or 'end of string'");
	lerr("a,", "found '', expected: identifier after ','");
	lerr("a,,b", "found ',', expected: identifier after ','");
	lerr("a=b c", "found 'c', expected: ',' or 'end of string'");
	lerr("a in (b) c", "found 'c', expected: ',' or 'end of string'");
	lerr("!a=b", "found '=', expected: ',' or 'end of string'");
	lerr("!", REQ "found '', expected: identifier");
	lerr("!,a", REQ "found ',', expected: identifier");
	lerr("a b", REQ "found 'b', expected: in, notin, =, ==, !=, gt, lt");
	lerr("a (", REQ "found '(', expected: in, notin, =, ==, !=, gt, lt");
	lerr("a !", REQ "found '!', expected: in, notin, =, ==, !=, gt, lt");
	lerr("a in b", REQ "found 'b' expected: '('");
	lerr("a in", REQ "found '' expected: '('");
	lerr("a in (b", REQ "found '', expected: ',' or ')'");
	lerr("a in (b c)", REQ "found 'c', expected: ',' or ')'");
	lerr("a in (=)", REQ "found '=', expected: ',', ')' or identifier");
	lerr("a in (", REQ "found '', expected: ',', ')' or identifier");
	lerr("a in (b,=)", REQ "found '=', expected: ',', or identifier");
	lerr("a in (,", REQ "found '', expected: ',', or identifier");
	lerr("a=(", REQ "found '(', expected: identifier");
	lerr("a==!", REQ "found '!', expected: identifier");
	/* "===" lexes as "==" then "=". */
	lerr("a===b", REQ "found '=', expected: identifier");
}

static void test_label_key_errors(void **state)
{
	char key[80], msg[600];

	lerr("a_", REQ "<nil>: Invalid value: \"a_\": name part " QNAME_MSG);
	lerr("-a=b", REQ "<nil>: Invalid value: \"-a\": name part " QNAME_MSG);
	lerr("a/b/c=d", REQ "<nil>: Invalid value: \"a/b/c\": a qualified name " QNAME_MSG
			    " with an optional DNS subdomain prefix and '/' (e.g. "
			    "'example.com/MyName')");
	lerr("/a", REQ "<nil>: Invalid value: \"/a\": prefix part must be non-empty");
	lerr("Example.com/a", REQ "<nil>: Invalid value: \"Example.com/a\": prefix part " DNS_MSG);
	lerr("a..b/c", REQ "<nil>: Invalid value: \"a..b/c\": prefix part " DNS_MSG);
	lerr("a/",
	     REQ "<nil>: Invalid value: \"a/\": name part must be non-empty; name part " QNAME_MSG);
	lerr("/",
	     REQ "<nil>: Invalid value: \"/\": prefix part must be non-empty; name part must be "
		 "non-empty; name part " QNAME_MSG);
	lerr("!a\"b", REQ "<nil>: Invalid value: \"a\\\"b\": name part " QNAME_MSG);
	memset(key, 'k', 64);
	key[64] = '\0';
	snprintf(msg, sizeof(msg),
		 REQ "<nil>: Invalid value: \"%s\": name part must be no more "
		     "than 63 characters",
		 key);
	lerr(key, msg);
	key[63] = '\0';
	assert_false(lmatch(key, LABELS)); /* 63 is fine */
	assert_true(lmatch("a.b-c/E.f-g_H", "{\"a.b-c/E.f-g_H\":\"\"}"));
}

static void test_label_value_errors(void **state)
{
	char sel[100], msg[800];

	lerr("a=b_", REQ "values[0][a]: Invalid value: \"b_\": " VALUE_MSG);
	lerr("a!=-b", REQ "values[0][a]: Invalid value: \"-b\": " VALUE_MSG);
	lerr("a in (x_, y, z-)", REQ "[values[0][a]: Invalid value: \"x_\": " VALUE_MSG
				     ", values[2][a]: Invalid value: \"z-\": " VALUE_MSG "]");
	lerr("a>b", REQ "values[0]: Invalid value: \"b\": " INT_MSG);
	lerr("a<", REQ "values[0]: Invalid value: \"\": " INT_MSG);
	lerr("a>99999999999999999999", REQ "values[0]: Invalid value: \"99999999999999999999\": "
					   "" INT_MSG);
	lerr("a>1_", REQ "[values[0]: Invalid value: \"1_\": " INT_MSG
			 ", values[0][a]: Invalid value: \"1_\": " VALUE_MSG "]");
	/* "-1" is an integer but not a label value. */
	lerr("a>-1", REQ "values[0][a]: Invalid value: \"-1\": " VALUE_MSG);
	snprintf(sel, sizeof(sel), "a=%064d", 7);
	snprintf(msg, sizeof(msg),
		 REQ "values[0][a]: Invalid value: \"%064d\": must be no more than 63 characters",
		 7);
	lerr(sel, msg);
	snprintf(sel, sizeof(sel), "a=_%063d", 7);
	snprintf(msg, sizeof(msg),
		 REQ "values[0][a]: Invalid value: \"_%063d\": must be no more than 63 characters; "
		     "" VALUE_MSG,
		 7);
	lerr(sel, msg);
	/* Go's %q escapes control characters and invalid UTF-8. */
	lerr("a=b\x01", REQ "values[0][a]: Invalid value: \"b\\x01\": " VALUE_MSG);
	lerr("a=\xc3\xa9\xff", REQ "values[0][a]: Invalid value: \"\xc3\xa9\\xff\": " VALUE_MSG);
	/* The first error wins: the key is checked before the value. */
	lerr("a_=b_", REQ "<nil>: Invalid value: \"a_\": name part " QNAME_MSG);
}

static const char *const ALLOWED[] = {
    "spec.nodeName", "status.phase",	    "spec.unschedulable", "spec.replicas",
    "source",	     "involvedObject.kind", "status.ratio",	  NULL};

static bool fmatch(const char *sel, const char *obj)
{
	struct field_selector *s = NULL;
	char *err = NULL;
	json_t *o = js(obj);
	bool m;

	if (field_selector_parse(sel, ALLOWED, &s, &err) != 0)
		fail_msg("parse of '%s' failed: %s", sel, err);
	assert_null(err);
	assert_non_null(s);
	m = field_selector_matches(s, o);
	field_selector_free(s);
	json_decref(o);
	return m;
}

static void ferr(const char *sel, const char *const *allowed, const char *msg)
{
	struct field_selector *s = (struct field_selector *)1;
	char *err = NULL;

	assert_int_equal(field_selector_parse(sel, allowed, &s, &err), -EINVAL);
	assert_null(s);
	assert_non_null(err);
	if (strcmp(err, msg) != 0)
		fail_msg("selector '%s'\n  got:  %s\n  want: %s", sel, err, msg);
	free(err);
}

static const char *POD = "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\"},"
			 "\"spec\":{\"nodeName\":\"n1\",\"replicas\":3,\"unschedulable\":true},"
			 "\"status\":{\"phase\":\"Running\",\"ratio\":0.5}}";

static void test_field_match(void **state)
{
	assert_true(fmatch("metadata.name=p1", POD));
	assert_true(fmatch("metadata.name==p1", POD));
	assert_false(fmatch("metadata.name=p2", POD));
	assert_false(fmatch("metadata.name!=p1", POD));
	assert_true(fmatch("metadata.name!=p2", POD));
	assert_true(fmatch("metadata.namespace=default,spec.nodeName=n1", POD));
	assert_false(fmatch("metadata.namespace=default,spec.nodeName=n2", POD));
	assert_true(fmatch("status.phase!=Pending,metadata.name=p1", POD));
	/* Missing fields read as "". */
	assert_false(fmatch("spec.nodeName=", POD));
	assert_true(fmatch("spec.nodeName!=", POD));
	assert_true(fmatch("spec.nodeName=", "{\"metadata\":{\"name\":\"p\"}}"));
	assert_true(fmatch("spec.nodeName=", "{\"spec\":\"not an object\"}"));
	assert_false(fmatch("spec.nodeName=n1", "{}"));
	/* Booleans and numbers read as Go prints them. */
	assert_true(fmatch("spec.unschedulable=true", POD));
	assert_false(fmatch("spec.unschedulable=false", POD));
	assert_true(fmatch("spec.unschedulable=false", "{\"spec\":{\"unschedulable\":false}}"));
	assert_true(fmatch("spec.replicas=3", POD));
	assert_true(fmatch("status.ratio=0.5", POD));
	/* The whole value compares; no trimming. */
	assert_false(fmatch("metadata.name=p1 ", POD));
}

static void test_field_empty_and_escapes(void **state)
{
	assert_true(fmatch("", POD));
	assert_true(fmatch(",", POD));
	assert_true(fmatch("metadata.name=p1,,", POD));
	assert_true(fmatch("metadata.name=a\\,b", "{\"metadata\":{\"name\":\"a,b\"}}"));
	assert_true(fmatch("metadata.name=a\\=b", "{\"metadata\":{\"name\":\"a=b\"}}"));
	assert_true(fmatch("metadata.name=a\\\\b", "{\"metadata\":{\"name\":\"a\\\\b\"}}"));
	assert_true(fmatch("metadata.name!=a\\,b,metadata.name=p1", POD));
	assert_true(field_selector_matches(NULL, NULL));
	field_selector_free(NULL);
}

static void test_field_event_source(void **state)
{
	const char *ev = "{\"source\":{\"component\":\"kubelet\",\"host\":\"n1\"},"
			 "\"involvedObject\":{\"kind\":\"Pod\"}}";

	assert_true(fmatch("source=kubelet", ev));
	assert_false(fmatch("source=n1", ev));
	assert_true(fmatch("involvedObject.kind=Pod,source!=x", ev));
	assert_true(fmatch("source=ctrl", "{\"source\":{},\"reportingComponent\":\"ctrl\"}"));
	assert_true(fmatch("source=ctrl", "{\"reportingComponent\":\"ctrl\"}"));
	assert_true(fmatch("source=", "{}"));
}

static void test_field_errors(void **state)
{
	ferr("foo=bar", ALLOWED, "field label not supported: foo");
	ferr("spec.nodeName=n1", NULL, "field label not supported: spec.nodeName");
	ferr("=x", ALLOWED, "field label not supported: ");
	ferr(" metadata.name=x", ALLOWED, "field label not supported:  metadata.name");
	/* Terms are sorted first; the first bad one in that order is reported. */
	ferr("zz=1,yy=2", ALLOWED, "field label not supported: yy");
	ferr("metadata.name", ALLOWED,
	     "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
	ferr("z=1,metadata.name", ALLOWED,
	     "invalid selector: 'z=1,metadata.name'; can't understand 'metadata.name'");
	ferr("metadata.name!x", ALLOWED,
	     "invalid selector: 'metadata.name!x'; can't understand 'metadata.name!x'");
	/* Syntax errors are found before unsupported fields. */
	ferr("aa=1,zz", ALLOWED, "invalid selector: 'aa=1,zz'; can't understand 'zz'");
	ferr("metadata.name=a=b", ALLOWED,
	     "invalid field selector: unescaped character in value: 61");
	ferr("metadata.name=a\\x", ALLOWED, "invalid field selector: invalid escape sequence: \\x");
	ferr("metadata.name=a\\", ALLOWED, "invalid field selector: invalid escape sequence: \\");
	ferr("metadata.name=\\\xc3\xa9", ALLOWED,
	     "invalid field selector: invalid escape sequence: \\\xc3\xa9");
	ferr("metadata.name=\\\xff", ALLOWED,
	     "invalid field selector: invalid escape sequence: \\\xef\xbf\xbd");
}

static bool mapmatch(const char *sel, const char *labels)
{
	json_t *s = sel ? js(sel) : NULL, *l = labels ? js(labels) : NULL;
	bool m = label_map_matches(s, l);

	json_decref(s);
	json_decref(l);
	return m;
}

static void test_label_map(void **state)
{
	assert_true(mapmatch("{\"app\":\"web\"}", LABELS));
	assert_true(mapmatch("{\"app\":\"web\",\"tier\":\"frontend\"}", LABELS));
	assert_false(mapmatch("{\"app\":\"web\",\"tier\":\"backend\"}", LABELS));
	assert_false(mapmatch("{\"app\":\"db\"}", LABELS));
	assert_false(mapmatch("{\"missing\":\"\"}", LABELS));
	assert_true(mapmatch("{\"empty\":\"\"}", LABELS));
	assert_false(mapmatch("{\"app\":\"web\"}", NULL));
	assert_false(mapmatch("{\"app\":\"web\"}", "{}"));
	/* An empty or missing selector selects nothing. */
	assert_false(mapmatch("{}", LABELS));
	assert_false(mapmatch(NULL, LABELS));
	assert_false(mapmatch("null", LABELS));
	assert_false(mapmatch("{\"app\":1}", "{\"app\":1}"));
}

static struct label_selector *shared;

static void *match_many(void *arg)
{
	json_t *yes = js(LABELS), *no = js("{\"app\":\"db\"}");
	long ok = 1;

	for (int i = 0; i < 2000; i++)
		ok &= label_selector_matches(shared, yes) && !label_selector_matches(shared, no);
	json_decref(yes);
	json_decref(no);
	return (void *)ok;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	char *err = NULL;
	void *ok;

	assert_int_equal(label_selector_parse("app in (web),tier,!x,n>1", &shared, &err), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, match_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ok), 0);
		assert_true(ok == (void *)1);
	}
	label_selector_free(shared);
	shared = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_equality),
	    cmocka_unit_test(test_label_sets),
	    cmocka_unit_test(test_label_exists),
	    cmocka_unit_test(test_label_and_whitespace),
	    cmocka_unit_test(test_label_empty),
	    cmocka_unit_test(test_label_gt_lt),
	    cmocka_unit_test(test_label_syntax_errors),
	    cmocka_unit_test(test_label_key_errors),
	    cmocka_unit_test(test_label_value_errors),
	    cmocka_unit_test(test_field_match),
	    cmocka_unit_test(test_field_empty_and_escapes),
	    cmocka_unit_test(test_field_event_source),
	    cmocka_unit_test(test_field_errors),
	    cmocka_unit_test(test_label_map),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
