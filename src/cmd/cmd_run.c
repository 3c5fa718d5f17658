/*
 * svcnet run: creates a Pod whose container is a local command, as `kubectl
 * run` does; the agent of the node runs it. The API server validates it.
 */
#include "agent/agent-internal.h"
#include "base/strbuf.h"
#include "client/client.h"
#include "cmd/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet run NAME [--namespace NS] [--labels k=v,...] [--port [name:]PORT]\n"
    "                  [--readiness http:PORT/PATH|tcp:PORT|exec:CMD] [--readiness-period S]\n"
    "                  [--restart Always|OnFailure|Never] [--env K=V,...] [--node NODE]\n"
    "                  [--server URL|--kubeconfig FILE] -- COMMAND [ARGS...]\n"
    "\n"
    "Creates the Pod NAME (labels run=NAME unless --labels) running COMMAND on the node\n"
    "NODE (default: the only Node, else left to the agents). The API server is taken from\n"
    "--server, --kubeconfig, $KUBECONFIG, or ./data/kubeconfig.\n";

enum {
	OPT_SERVER = 1,
	OPT_KUBECONFIG,
	OPT_NAMESPACE,
	OPT_LABELS,
	OPT_PORT,
	OPT_READINESS,
	OPT_PERIOD,
	OPT_RESTART,
	OPT_ENV,
	OPT_NODE,
	OPT_HELP
};

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"port", required_argument, NULL, OPT_PORT},
    {"readiness", required_argument, NULL, OPT_READINESS},
    {"readiness-period", required_argument, NULL, OPT_PERIOD},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"env", required_argument, NULL, OPT_ENV},
    {"node", required_argument, NULL, OPT_NODE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct run_flags {
	struct agent_run_opts o;
	const char *server, *kubeconfig;
};

/* Parses flags before "--"; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct run_flags *f)
{
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hn:l:", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			f->server = optarg;
			break;
		case OPT_KUBECONFIG:
			f->kubeconfig = optarg;
			break;
		case 'n':
		case OPT_NAMESPACE:
			f->o.ns = optarg;
			break;
		case 'l':
		case OPT_LABELS:
			f->o.labels = optarg;
			break;
		case OPT_PORT:
			f->o.port = optarg;
			break;
		case OPT_READINESS:
			f->o.readiness = optarg;
			break;
		case OPT_PERIOD: {
			long n;
			if (flag_number("readiness-period", optarg, 1, 3600, &n) < 0)
				return 2;
			f->o.period_s = (int)n;
			break;
		}
		case OPT_RESTART:
			f->o.restart = optarg;
			break;
		case OPT_ENV:
			f->o.env = optarg;
			break;
		case OPT_NODE:
			f->o.node = optarg;
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
	if (optind != argc - 1) {
		fputs(help, stderr);
		return 2;
	}
	f->o.name = argv[optind];
	return -1;
}

/* The name of the only Node, or NULL. Caller frees. */
static char *only_node(struct kclient *c)
{
	json_t *list = NULL;
	char *name = NULL;
	if (kclient_get(c, "/api/v1/nodes", &list) == 200 &&
	    json_array_size(json_object_get(list, "items")) == 1) {
		json_t *n = json_array_get(json_object_get(list, "items"), 0);
		name = xstrdup(
		    json_string_value(json_object_get(json_object_get(n, "metadata"), "name"))
			?: "");
	}
	json_decref(list);
	return name;
}

static int create(struct kclient *c, struct run_flags *f, char **err)
{
	char *node = f->o.node ? NULL : only_node(c);
	if (node && *node)
		f->o.node = node;
	json_t *pod = agent_run_pod(&f->o, err), *resp = NULL;
	free(node);
	f->o.node = NULL;
	if (!pod)
		return 1;
	char *path = xasprintf("/api/v1/namespaces/%s/pods", f->o.ns);
	int rc = kclient_post(c, path, pod, &resp);
	if (rc == 201 || rc == 200)
		printf("pod/%s created\n", f->o.name);
	else if (rc < 0)
		*err = xasprintf("cannot reach the API server: %s", strerror(-rc));
	else
		*err = xasprintf("creating pod %s: %s", f->o.name,
				 json_string_value(json_object_get(resp, "message")) ?: "refused");
	json_decref(resp);
	json_decref(pod);
	free(path);
	return rc == 201 || rc == 200 ? 0 : 1;
}

int cmd_run(int argc, char **argv)
{
	struct run_flags f = {0};
	int dash = 1;
	while (dash < argc && strcmp(argv[dash], "--"))
		dash++;
	int rc = parse(dash, argv, &f);
	if (rc >= 0)
		return rc;
	if (dash >= argc - 1) {
		fprintf(stderr, "svcnet run: a command is required after --\n%s", help);
		return 2;
	}
	f.o.cmd = argv + dash + 1;
	if (!f.server && !f.kubeconfig)
		f.kubeconfig = getenv("KUBECONFIG") ? getenv("KUBECONFIG") : "./data/kubeconfig";
	struct kclient_config cfg = {0};
	struct kclient *c = NULL;
	char *err = NULL;
	rc = 1;
	if (kclient_config_load(f.server, f.kubeconfig, &cfg, &err) == 0 &&
	    kclient_new(&cfg, &c, &err) == 0) {
		if (!f.o.ns)
			f.o.ns = cfg.namespace ? cfg.namespace : "default";
		rc = create(c, &f, &err);
	}
	if (err)
		fprintf(stderr, "svcnet run: %s\n", err);
	free(err);
	kclient_free(c);
	kclient_config_free(&cfg);
	return rc;
}
