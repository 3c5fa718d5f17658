/* Unit tests of kubeconfig reading (src/lib/client/kubeconfig.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "client/client.h"

/* Two clusters, two users, two contexts, as kubectl config writes them. */
static const char full[] = "apiVersion: v1\n"
			   "kind: Config\n"
			   "clusters:\n"
			   "- name: other\n"
			   "  cluster:\n"
			   "    server: https://10.0.0.1:6443\n"
			   "- cluster:\n"
			   "    server: https://127.0.0.1:6443\n"
			   "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJU\n"
			   "    insecure-skip-tls-verify: true\n"
			   "  name: local\n"
			   "contexts:\n"
			   "- name: dev\n"
			   "  context:\n"
			   "    cluster: local\n"
			   "    user: admin\n"
			   "    namespace: team-a\n"
			   "- name: prod\n"
			   "  context: {cluster: other, user: nobody}\n"
			   "current-context: dev\n"
			   "preferences: {}\n"
			   "users:\n"
			   "- name: admin\n"
			   "  user:\n"
			   "    token: abc.def\n"
			   "    client-certificate-data: Y2VydA==\n"
			   "    client-key-data: a2V5\n";

static int parse(const char *text, struct kclient_config *cfg, char **err)
{
	return kclient_config_parse(text, strlen(text), cfg, err);
}

static void test_full(void **state)
{
	struct kclient_config cfg;
	char *err = NULL;

	assert_int_equal(parse(full, &cfg, &err), 0);
	assert_null(err);
	assert_string_equal(cfg.server, "https://127.0.0.1:6443");
	assert_string_equal(cfg.ca_data, "-----BEGIN CERT");
	assert_true(cfg.insecure);
	assert_string_equal(cfg.token, "abc.def");
	assert_string_equal(cfg.cert_data, "cert");
	assert_string_equal(cfg.key_data, "key");
	assert_string_equal(cfg.namespace, "team-a");
	assert_null(cfg.ca_file);
	assert_null(cfg.cert_file);
	kclient_config_free(&cfg);
	assert_null(cfg.server);
}

/* Replaces the first "from" in full with "to"; caller frees. */
static char *edit(const char *from, const char *to)
{
	const char *p = strstr(full, from);
	assert_non_null(p);
	return xasprintf("%.*s%s%s", (int)(p - full), full, to, p + strlen(from));
}

static void expect_error(const char *text, int code, const char *needle)
{
	struct kclient_config cfg;
	char *err = NULL;

	assert_int_equal(parse(text, &cfg, &err), code);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	assert_null(cfg.server);
	free(err);
}

static void test_errors_name_what_is_missing(void **state)
{
	char *t;

	t = edit("current-context: dev", "current-context: staging");
	expect_error(t, -ENOENT, "context \"staging\" not found");
	free(t);
	t = edit("current-context: dev", "current-context: prod");
	expect_error(t, -ENOENT, "user \"nobody\" not found");
	free(t);
	t = edit("cluster: local", "cluster: gone");
	expect_error(t, -ENOENT, "cluster \"gone\" not found");
	free(t);
	t = edit("current-context: dev\n", "");
	expect_error(t, -EINVAL, "no current-context");
	free(t);
	t = edit("    server: https://127.0.0.1:6443\n", "");
	expect_error(t, -EINVAL, "cluster \"local\" has no server");
	free(t);
	t = edit("LS0tLS1CRUdJTiBDRVJU", "not*base64");
	expect_error(t, -EINVAL, "certificate-authority-data of cluster \"local\"");
	free(t);
	t = edit("    client-key-data: a2V5\n", "");
	expect_error(t, -EINVAL, "both a client certificate and a client key");
	free(t);
	t = edit("    token: abc.def\n", "    exec: {command: x}\n");
	expect_error(t, -EINVAL, "exec");
	free(t);
	expect_error("clusters: [", -EINVAL, "not valid YAML");
	expect_error("- a\n- b\n", -EINVAL, "not a YAML mapping");
	expect_error("", -EINVAL, "not a YAML mapping");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_file_relative_paths_and_token_file(void **state)
{
	char dir[] = "/tmp/svcnet-kubeconfig.XXXXXX";
	struct kclient_config cfg;
	char *err = NULL;

	assert_non_null(mkdtemp(dir));
	char *kc = xasprintf("%s/config", dir), *tok = xasprintf("%s/token", dir);
	write_file(tok, "s3cret\n");
	write_file(kc, "current-context: c\n"
		       "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
		       "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', "
		       "certificate-authority: ca.crt}}]\n"
		       "users: [{name: u, user: {tokenFile: token, client-certificate: /abs/c.crt, "
		       "client-key: k.key}}]\n");
	assert_int_equal(kclient_config_from_kubeconfig(kc, &cfg, &err), 0);
	char *ca = xasprintf("%s/ca.crt", dir), *key = xasprintf("%s/k.key", dir);
	assert_string_equal(cfg.ca_file, ca);
	assert_string_equal(cfg.key_file, key);
	assert_string_equal(cfg.cert_file, "/abs/c.crt");
	assert_string_equal(cfg.token, "s3cret");
	assert_false(cfg.insecure);
	assert_null(cfg.namespace);
	kclient_config_free(&cfg);

	/* --server overrides the kubeconfig's server; a missing file is named. */
	assert_int_equal(kclient_config_load("http://127.0.0.1:2", kc, &cfg, &err), 0);
	assert_string_equal(cfg.server, "http://127.0.0.1:2");
	assert_string_equal(cfg.token, "s3cret");
	kclient_config_free(&cfg);
	unlink(tok);
	assert_int_equal(kclient_config_from_kubeconfig(kc, &cfg, &err), -ENOENT);
	assert_non_null(strstr(err, "tokenFile"));
	free(err);
	unlink(kc);
	assert_int_equal(kclient_config_from_kubeconfig(kc, &cfg, &err), -ENOENT);
	assert_non_null(strstr(err, kc));
	free(err);
	assert_int_equal(kclient_config_load(NULL, NULL, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err, "--server"));
	free(err);
	rmdir(dir);
	free(ca);
	free(key);
	free(kc);
	free(tok);
}

/* Anchors and aliases are resolved; a user-less context is anonymous. */
static void test_aliases_and_anonymous(void **state)
{
	struct kclient_config cfg;
	char *err = NULL;
	const char *t = "current-context: c\n"
			"clusters:\n"
			"- name: k\n"
			"  cluster: &cl {server: 'http://127.0.0.1:8080'}\n"
			"- name: k2\n"
			"  cluster: *cl\n"
			"contexts: [{name: c, context: {cluster: k2}}]\n";
	assert_int_equal(parse(t, &cfg, &err), 0);
	assert_string_equal(cfg.server, "http://127.0.0.1:8080");
	assert_null(cfg.token);
	kclient_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_errors_name_what_is_missing),
	    cmocka_unit_test(test_file_relative_paths_and_token_file),
	    cmocka_unit_test(test_aliases_and_anonymous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
