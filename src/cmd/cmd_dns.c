/* svcnet dns: the cluster DNS server (a thin wrapper around src/dns/dns.h). */
#include "base/log.h"
#include "cmd/commands.h"
#include "dns/dns.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet dns --server URL|--kubeconfig FILE [flags]\n"
    "\n"
    "Serves the Kubernetes DNS schema (version 1.1.0) for the Services and\n"
    "EndpointSlices of the API server: A/AAAA, SRV, PTR, CNAME for ExternalName,\n"
    "headless Services; forwards other names to --upstream, or refuses them.\n"
    "\n"
    "  --server URL              the API server (http://127.0.0.1:8080)\n"
    "  --kubeconfig FILE         or a kubeconfig file\n"
    "  --listen ADDR:PORT        where to answer, UDP and TCP (default 127.0.0.1:53;\n"
    "                            port 0 picks a free one)\n"
    "  --domain NAME             the cluster domain (default cluster.local)\n"
    "  --upstream ADDR:PORT,...  resolvers for other names (default: none, REFUSED)\n"
    "  --ttl SECONDS             TTL of every record (default 5)\n"
    "  --threads N               UDP threads (default: one per core)\n"
    "  --tcp-idle SECONDS        close TCP connections idle that long (default 10)\n"
    "  --metrics-listen ADDR:PORT  /healthz, /readyz, /metrics (default\n"
    "                            127.0.0.1:9153; 'none' turns it off)\n"
    "  --help                    this text\n";

enum {
	OPT_SERVER = 1,
	OPT_KUBECONFIG,
	OPT_LISTEN,
	OPT_DOMAIN,
	OPT_UPSTREAM,
	OPT_TTL,
	OPT_THREADS,
	OPT_TCP_IDLE,
	OPT_METRICS,
	OPT_HELP
};

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"upstream", required_argument, NULL, OPT_UPSTREAM},
    {"ttl", required_argument, NULL, OPT_TTL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"tcp-idle", required_argument, NULL, OPT_TCP_IDLE},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Returns 0, 1 to exit 0 (help), or 2 on a bad flag. */
static int parse_flags(int argc, char **argv, struct dns_config *cfg)
{
	int c;
	long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			cfg->server = optarg;
			break;
		case OPT_KUBECONFIG:
			cfg->kubeconfig = optarg;
			break;
		case OPT_LISTEN:
			cfg->listen = optarg;
			break;
		case OPT_DOMAIN:
			cfg->domain = optarg;
			break;
		case OPT_UPSTREAM:
			cfg->upstreams = optarg;
			break;
		case OPT_METRICS:
			cfg->metrics_listen = optarg;
			break;
		case OPT_TTL:
			if (flag_number("ttl", optarg, 0, 3600, &v) < 0)
				return 2;
			cfg->ttl = (uint32_t)v;
			break;
		case OPT_THREADS:
			if (flag_number("threads", optarg, 1, 64, &v) < 0)
				return 2;
			cfg->threads = (int)v;
			break;
		case OPT_TCP_IDLE:
			if (flag_number("tcp-idle", optarg, 1, 3600, &v) < 0)
				return 2;
			cfg->tcp_idle_ms = (int)v * 1000;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return 1;
		default:
			fputs(help, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "svcnet: unexpected argument \"%s\"\n%s", argv[optind], help);
		return 2;
	}
	if (!cfg->server && !cfg->kubeconfig) {
		fprintf(stderr, "svcnet dns: --server URL or --kubeconfig FILE is required\n");
		return 2;
	}
	return 0;
}

int cmd_dns(int argc, char **argv)
{
	struct dns_config cfg;
	struct dns_server *srv;
	char *err = NULL;

	dns_config_defaults(&cfg);
	int rc = parse_flags(argc, argv, &cfg);
	if (rc)
		return rc == 1 ? 0 : 2;
	signals_block();
	if (dns_start(&cfg, &srv, &err) < 0) {
		fprintf(stderr, "svcnet dns: %s\n", err);
		free(err);
		return 1;
	}
	int sig = signals_wait();
	log_info("dns", "signal %d: stopping", sig);
	dns_stop(srv);
	log_info("dns", "stopped");
	return 0;
}
