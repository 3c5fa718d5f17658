/* Token file parsing and the role table of the API server. */
#include "api/resource.h"
#include "apiserver/auth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char tokens[] = "# a comment\n"
			     "t-admin,alice,1,\"system:masters\"\n"
			     "t-view,victor,2,\"svcnet:view,other\"\n"
			     "t-node,nora,3,svcnet:node\n"
			     "t-ctl,carl,4,\"svcnet:controller\"\n"
			     "t-none,nobody,5\n";

static void test_parse_and_authenticate(void **state)
{
	struct auth_tokens *t;
	char *err = NULL;
	assert_int_equal(auth_tokens_parse(tokens, &t, &err), 0);
	const struct auth_user *u = auth_authenticate(t, "Bearer t-view");
	assert_non_null(u);
	assert_string_equal(u->name, "victor");
	assert_int_equal(u->roles, ROLE_VIEW);
	assert_int_equal(auth_authenticate(t, "Bearer t-admin")->roles, ROLE_ADMIN);
	assert_int_equal(auth_authenticate(t, "bearer t-node")->roles, ROLE_NODE);
	assert_int_equal(auth_authenticate(t, "Bearer t-none")->roles, 0);
	assert_null(auth_authenticate(t, "Bearer t-vie"));
	assert_null(auth_authenticate(t, "Basic dDp4"));
	assert_null(auth_authenticate(t, NULL));
	auth_tokens_free(t);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {"onlytoken\n", "a,b,c,\"unterminated\n", "", ",user,1\n",
					  "a,b,c,d,e\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct auth_tokens *t = NULL;
		char *err = NULL;
		assert_true(auth_tokens_parse(bad[i], &t, &err) < 0);
		assert_non_null(err);
		free(err);
	}
}

static void test_roles(void **state)
{
	struct auth_tokens *t;
	char *err = NULL;
	assert_int_equal(auth_tokens_parse(tokens, &t, &err), 0);
	const struct api_resource *svc = api_resource_by_kind("Service");
	const struct api_resource *pod = api_resource_by_kind("Pod");
	const struct api_resource *es = api_resource_by_kind("EndpointSlice");
	const struct api_resource *node = api_resource_by_kind("Node");
	const struct auth_user *admin = auth_authenticate(t, "Bearer t-admin");
	const struct auth_user *view = auth_authenticate(t, "Bearer t-view");
	const struct auth_user *nodeu = auth_authenticate(t, "Bearer t-node");
	const struct auth_user *ctl = auth_authenticate(t, "Bearer t-ctl");
	const struct auth_user *none = auth_authenticate(t, "Bearer t-none");
	assert_true(auth_allowed(admin, "delete", svc, NULL));
	assert_true(auth_allowed(view, "watch", svc, NULL));
	assert_false(auth_allowed(view, "create", svc, NULL));
	assert_false(auth_allowed(view, "patch", svc, "status"));
	assert_true(auth_allowed(nodeu, "patch", pod, "status"));
	assert_false(auth_allowed(nodeu, "patch", pod, NULL));
	assert_true(auth_allowed(nodeu, "update", node, "status"));
	assert_false(auth_allowed(nodeu, "patch", svc, "status"));
	assert_true(auth_allowed(ctl, "patch", svc, "status"));
	assert_false(auth_allowed(ctl, "update", svc, NULL));
	assert_true(auth_allowed(ctl, "create", es, NULL));
	assert_false(auth_allowed(none, "get", svc, NULL));
	assert_true(auth_allowed(none, "get", NULL, NULL));
	auth_tokens_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_authenticate),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
