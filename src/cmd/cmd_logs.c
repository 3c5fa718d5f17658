/* svcnet logs: the output of a local pod's container, as the agent kept it. */
#include "agent/agent.h"
#include "cmd/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet logs POD [--namespace NS] [--data-dir DIR]\n"
    "\n"
    "Prints what the container of POD (in NS, default \"default\") wrote to stdout and\n"
    "stderr, as kept by the agent of this machine under DIR/agent/logs (default ./data).\n";

enum { OPT_NAMESPACE = 1, OPT_DATA, OPT_HELP };

static const struct option options[] = {
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"data-dir", required_argument, NULL, OPT_DATA},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Copies path to stdout; returns the exit status. */
static int print_file(const char *path, const char *ns, const char *pod)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			fprintf(stderr,
				"svcnet logs: no logs of pod %s in namespace %s here (%s)\n", pod,
				ns, path);
		else
			fprintf(stderr, "svcnet logs: %s: %s\n", path, strerror(errno));
		return 1;
	}
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_logs(int argc, char **argv)
{
	const char *ns = "default", *dir = "./data";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hn:", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
		case OPT_NAMESPACE:
			ns = optarg;
			break;
		case OPT_DATA:
			dir = optarg;
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
	char *path = agent_log_path(dir, ns, argv[optind]);
	int rc = print_file(path, ns, argv[optind]);
	free(path);
	return rc;
}
