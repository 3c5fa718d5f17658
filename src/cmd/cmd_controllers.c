/* svcnet controllers: the flags, then controllers_start until SIGTERM. */
#include "base/log.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
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
    "  --leader-elect=BOOL           elect one active instance with a Lease (default true);\n"
    "                                the others wait, and a leader that loses it exits\n"
    "  --leader-elect-lease-duration D   how long a candidate waits after the last\n"
    "                                renewal before it takes the Lease over (default 15s)\n"
    "  --leader-elect-renew-deadline D   how long the leader keeps trying to renew before\n"
    "                                it gives up (default 10s)\n"
    "  --leader-elect-retry-period D     the time between tries (default 2s)\n"
    "  --leader-elect-resource-name NAME       the Lease (default svcnet-controllers)\n"
    "  --leader-elect-resource-namespace NS    its namespace (default kube-system)\n"
    "  --help                        this text\n";

enum {
	OPT_SERVER = 1,
	OPT_KUBECONFIG,
	OPT_MAX,
	OPT_POOL,
	OPT_METRICS,
	OPT_WORKERS,
	OPT_RESYNC,
	OPT_ELECT,
	OPT_LEASE,
	OPT_RENEW,
	OPT_RETRY,
	OPT_LEASE_NAME,
	OPT_LEASE_NS,
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
    {"leader-elect", optional_argument, NULL, OPT_ELECT},
    {"leader-elect-lease-duration", required_argument, NULL, OPT_LEASE},
    {"leader-elect-renew-deadline", required_argument, NULL, OPT_RENEW},
    {"leader-elect-retry-period", required_argument, NULL, OPT_RETRY},
    {"leader-elect-resource-name", required_argument, NULL, OPT_LEASE_NAME},
    {"leader-elect-resource-namespace", required_argument, NULL, OPT_LEASE_NS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* --flag: a duration of 1 ms to a day into *ms; -1 after a message when not one. */
static long duration(const char *flag, const char *s, int *ms)
{
	long v;
	if (flag_duration(flag, s, 1, 24 * 3600 * 1000L, &v) < 0)
		return -1;
	*ms = (int)v;
	return 0;
}

/* --leader-elect, --leader-elect=true|false; -1 with a message otherwise. */
static long boolean(const char *flag, const char *s, bool *out)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else {
		fprintf(stderr, "svcnet: --%s=%s: expected true or false\n", flag, s);
		return -1;
	}
	return 0;
}

/* The --leader-elect flags; returns 0, -1 on a bad value, 1 when opt is not one of them. */
static long leader_flag(int opt, struct leader_config *lc)
{
	switch (opt) {
	case OPT_ELECT:
		return boolean("leader-elect", optarg, &lc->enabled);
	case OPT_LEASE:
		return duration("leader-elect-lease-duration", optarg, &lc->lease_ms);
	case OPT_RENEW:
		return duration("leader-elect-renew-deadline", optarg, &lc->renew_ms);
	case OPT_RETRY:
		return duration("leader-elect-retry-period", optarg, &lc->retry_ms);
	case OPT_LEASE_NAME:
		lc->name = optarg;
		return 0;
	case OPT_LEASE_NS:
		lc->namespace = optarg;
		return 0;
	default:
		return 1;
	}
}

/* Returns 0, 1 for --help, or 2 for a bad flag. */
static int parse_flags(int argc, char **argv, struct controllers_config *cfg)
{
	int c;
	long v = 0, n;
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
			v = flag_number("max-endpoints-per-slice", optarg, 1, 1000, &n);
			cfg->max_endpoints_per_slice = (int)n;
			break;
		case OPT_WORKERS:
			v = flag_number("workers", optarg, 1, 256, &n);
			cfg->workers = (int)n;
			break;
		case OPT_RESYNC:
			v = flag_number("resync", optarg, 0, 86400, &n);
			cfg->resync_s = (int)n;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return 1;
		default:
			v = leader_flag(c, &cfg->leader);
			if (v == 1) {
				fputs(help, stderr);
				return 2;
			}
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
	cfg.leader.enabled = true;
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
