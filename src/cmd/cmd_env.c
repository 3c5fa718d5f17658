/*
 * svcnet env: the service environment variables of a namespace, as the
 * kubelet gives them to containers, one NAME=value per line on stdout.
 */
#include "base/strbuf.h"
#include "client/client.h"
#include "cmd/commands.h"
#include "dns/envvars.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet env --server URL|--kubeconfig FILE [--namespace NS]\n"
    "\n"
    "Prints the variables a container in NS gets for the Services of NS with a\n"
    "ClusterIP ({SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT, {SVC}_PORT, ...), one\n"
    "NAME=value per line. NS defaults to the kubeconfig's namespace, or default.\n";

enum { OPT_SERVER = 1, OPT_KUBECONFIG, OPT_NAMESPACE, OPT_HELP };

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Lists the Services of ns into stdout; returns the exit status. */
static int print_env(struct kclient *c, const char *ns)
{
	char *path = xasprintf("/api/v1/namespaces/%s/services", ns);
	json_t *list = NULL;
	int status = kclient_get(c, path, &list), rc = 1;

	if (status < 0) {
		fprintf(stderr, "svcnet env: cannot reach the API server: %s\n", strerror(-status));
	} else if (status != 200) {
		const char *msg = json_string_value(json_object_get(list, "message"));
		fprintf(stderr, "svcnet env: listing services: HTTP %d: %s\n", status,
			msg ? msg : "no message");
	} else {
		struct strbuf sb = STRBUF_INIT;
		dns_env_vars(json_object_get(list, "items"), &sb);
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
		sb_free(&sb);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	json_decref(list);
	free(path);
	return rc;
}

int cmd_env(int argc, char **argv)
{
	const char *server = NULL, *kubeconfig = NULL, *ns = NULL;
	struct kclient_config cfg = {0};
	struct kclient *c = NULL;
	char *err = NULL;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hn:", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			server = optarg;
			break;
		case OPT_KUBECONFIG:
			kubeconfig = optarg;
			break;
		case 'n':
		case OPT_NAMESPACE:
			ns = optarg;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return 0;
		default:
			fputs(help, stderr);
			return 2;
		}
	}
	if (optind < argc || (!server && !kubeconfig)) {
		fputs(help, stderr);
		return 2;
	}
	if (kclient_config_load(server, kubeconfig, &cfg, &err) < 0 ||
	    kclient_new(&cfg, &c, &err) < 0) {
		fprintf(stderr, "svcnet env: %s\n", err);
		goto out;
	}
	rc = print_env(c, ns ? ns : cfg.namespace ? cfg.namespace : "default");
out:
	free(err);
	kclient_free(c);
	kclient_config_free(&cfg);
	return rc;
}
