/* svcnet controllers: the flags, then controllers_start until SIGTERM. */
#include "base/log.h"
#include "cmd/commands.h"
#include "controllers/controllers.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet controllers --server URL | --kubeconfig FILE [flags]\n"
    "\n"
    "Runs the EndpointSlice, Endpoints and EndpointSlice mirroring controllers and\n"
    "gives LoadBalancer Services addresses from a pool, against any Kubernetes API.\n"
    "\n"
    "  --server URL                  the API server (http://127.0.0.1:8080)\n"
    "  --kubeconfig FILE             or a kubeconfig file (--server overrides its server)\n"
    "  --max-endpoints-per-slice N   endpoints per EndpointSlice (default 100, at most 1000)\n"
    "  --lb-pool CIDR[,CIDR6]        LoadBalancer addresses (default: none given out)\n"
    "  --metrics-listen ADDR:PORT    /healthz, /readyz, /metrics (default 127.0.0.1:10257;\n"
    "                                'none' to serve none)\n"
    "  --workers N                   Services synced at once (default 4)\n"
    "  --resync SECONDS              resync every Service this often (default 300, 0: never)\n"
    "  --help                        this text\n";

enum {
	OPT_SERVER = 1,
	OPT_KUBECONFIG,
	OPT_MAX,
	OPT_POOL,
	OPT_METRICS,
	OPT_WORKERS,
	OPT_RESYNC,
	OPT_HELP
};

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"max-endpoints-per-slice", required_argument, NULL, OPT_MAX},
    {"lb-pool", required_argument, NULL, OPT_POOL},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"resync", required_argument, NULL, OPT_RESYNC},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A whole number from lo to hi, or -1 with a message. */
static long number(const char *flag, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, "svcnet: --%s %s: expected a number from %ld to %ld\n", flag, s, lo,
			hi);
		return -1;
	}
	return v;
}

/* Returns 0, 1 for --help, or 2 for a bad flag. */
static int parse_flags(int argc, char **argv, struct controllers_config *cfg)
{
	int c;
	long v = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			cfg->server = optarg;
			break;
		case OPT_KUBECONFIG:
			cfg->kubeconfig = optarg;
			break;
		case OPT_POOL:
			cfg->lb_pool = optarg;
			break;
		case OPT_METRICS:
			cfg->metrics_listen = optarg;
			break;
		case OPT_MAX:
			v = number("max-endpoints-per-slice", optarg, 1, 1000);
			cfg->max_endpoints_per_slice = (int)v;
			break;
		case OPT_WORKERS:
			v = number("workers", optarg, 1, 256);
			cfg->workers = (int)v;
			break;
		case OPT_RESYNC:
			v = number("resync", optarg, 0, 86400);
			cfg->resync_s = (int)v;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return 1;
		default:
			fputs(help, stderr);
			return 2;
		}
		if (v < 0)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "svcnet: unexpected argument \"%s\"\n%s", argv[optind], help);
		return 2;
	}
	if (!cfg->server && !cfg->kubeconfig) {
		fprintf(stderr,
			"svcnet controllers: --server URL or --kubeconfig FILE is required\n");
		return 2;
	}
	return 0;
}

int cmd_controllers(int argc, char **argv)
{
	struct controllers_config cfg;
	controllers_config_defaults(&cfg);
	int rc = parse_flags(argc, argv, &cfg);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (getenv("SVCNET_DEBUG"))
		log_set_level(LOG_DEBUG);
	signals_block();
	struct controllers *c;
	char *err = NULL;
	if (controllers_start(&cfg, &c, &err) < 0) {
		fprintf(stderr, "svcnet controllers: %s\n", err ? err : "cannot start");
		free(err);
		return 1;
	}
	int sig = signals_wait();
	log_info("controllers", "%s: stopping", strsignal(sig));
	controllers_stop(c);
	return 0;
}
