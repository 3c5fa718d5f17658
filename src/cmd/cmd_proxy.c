/* svcnet proxy: the node proxy (a thin wrapper around src/proxy/proxy.h). */
#include "base/log.h"
#include "base/strbuf.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "proxy/proxy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet proxy --server URL|--kubeconfig FILE [flags]\n"
    "\n"
    "The node proxy: makes Service addresses (clusterIPs, nodePorts, externalIPs,\n"
    "LoadBalancer IPs) reach their endpoints on this node.\n"
    "\n"
    "  --server URL              the API server\n"
    "  --kubeconfig FILE         or a kubeconfig file\n"
    "  --node NAME               this node's name (default: the host name)\n"
    "  --mode MODE               userspace (default)\n"
    "  --scheduler S             rr (default), lc, dh, sh, sed, nq or random;\n"
    "                            maglev with --mode ebpf\n"
    "  --cgroup-path DIR         ebpf: the cgroup v2 whose sockets are balanced\n"
    "                            (default /sys/fs/cgroup/unified)\n"
    "  --min-sync-period D       at most one sync per D (default 1s)\n"
    "  --sync-period D           a full resync every D (default 30s)\n"
    "  --cluster-cidr CIDR       the pods' range (kept for the kernel modes)\n"
    "  --service-cidr CIDRS      the Service range, one CIDR or one per family comma\n"
    "                            separated, as the API server's (default 10.96.0.0/12);\n"
    "                            the kernel modes reject what in it is not a Service\n"
    "  --udp-timeout D           idle UDP flows end after D (default 250ms)\n"
    "  --bind-address ADDR       the address of the userspace proxy ports (default 0.0.0.0)\n"
    "  --metrics-listen A:P      /healthz, /readyz, /metrics (default 127.0.0.1:10249;\n"
    "                            'none' to turn off)\n"
    "  --no-capture              never change the firewall: serve on the proxy ports only\n"
    "  --cleanup                 remove every rule the proxy ever installed, then exit\n"
    "  --help                    this text\n";

enum {
	OPT_SERVER = 1,
	OPT_KUBECONFIG,
	OPT_NODE,
	OPT_MODE,
	OPT_SCHED,
	OPT_MINSYNC,
	OPT_SYNC,
	OPT_CIDR,
	OPT_SVC_CIDR,
	OPT_UDP,
	OPT_BIND,
	OPT_CGROUP,
	OPT_METRICS,
	OPT_NOCAPTURE,
	OPT_CLEANUP,
	OPT_HELP
};

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"node", required_argument, NULL, OPT_NODE},
    {"hostname-override", required_argument, NULL, OPT_NODE},
    {"mode", required_argument, NULL, OPT_MODE},
    {"proxy-mode", required_argument, NULL, OPT_MODE},
    {"scheduler", required_argument, NULL, OPT_SCHED},
    {"ipvs-scheduler", required_argument, NULL, OPT_SCHED},
    {"min-sync-period", required_argument, NULL, OPT_MINSYNC},
    {"sync-period", required_argument, NULL, OPT_SYNC},
    {"cluster-cidr", required_argument, NULL, OPT_CIDR},
    {"service-cidr", required_argument, NULL, OPT_SVC_CIDR},
    {"udp-timeout", required_argument, NULL, OPT_UDP},
    {"bind-address", required_argument, NULL, OPT_BIND},
    {"cgroup-path", required_argument, NULL, OPT_CGROUP},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"metrics-bind-address", required_argument, NULL, OPT_METRICS},
    {"no-capture", no_argument, NULL, OPT_NOCAPTURE},
    {"cleanup", no_argument, NULL, OPT_CLEANUP},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* --NAME: a duration of at most a day into *out (ms); -2 after a message when not one. */
static int duration_flag(const char *name, const char *arg, unsigned *out)
{
	long ms;
	if (flag_duration(name, arg, 0, 24 * 3600 * 1000L, &ms) < 0)
		return -2;
	*out = (unsigned)ms;
	return 0;
}

/* Parses the flags into cfg; returns -1 to exit 0 (help), -2 on a bad flag. */
static int parse_flags(int argc, char **argv, struct proxy_config *cfg, bool *cleanup,
		       bool *mode_given)
{
	int c, rc = 0;
	optind = 1;
	while (rc == 0 && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			cfg->server = optarg;
			break;
		case OPT_KUBECONFIG:
			cfg->kubeconfig = optarg;
			break;
		case OPT_NODE:
			cfg->node_name = optarg;
			break;
		case OPT_MODE:
			cfg->mode = optarg;
			*mode_given = true;
			break;
		case OPT_SCHED:
			cfg->scheduler = optarg;
			break;
		case OPT_MINSYNC:
			rc = duration_flag("min-sync-period", optarg, &cfg->min_sync_period_ms);
			break;
		case OPT_SYNC:
			rc = duration_flag("sync-period", optarg, &cfg->sync_period_ms);
			break;
		case OPT_UDP:
			rc = duration_flag("udp-timeout", optarg, &cfg->udp_timeout_ms);
			break;
		case OPT_CIDR:
			cfg->cluster_cidr = optarg;
			break;
		case OPT_SVC_CIDR:
			cfg->service_cidr = optarg;
			break;
		case OPT_CGROUP:
			cfg->cgroup_path = optarg;
			break;
		case OPT_BIND:
			cfg->bind_address = optarg;
			break;
		case OPT_METRICS:
			cfg->metrics_listen = optarg;
			break;
		case OPT_NOCAPTURE:
			cfg->capture = false;
			break;
		case OPT_CLEANUP:
			*cleanup = true;
			break;
		case 'h':
		case OPT_HELP:
			fputs(help, stdout);
			return -1;
		default:
			fputs(help, stderr);
			return -2;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "svcnet: unexpected argument \"%s\"\n%s", argv[optind], help);
		return -2;
	}
	return rc;
}

int cmd_proxy(int argc, char **argv)
{
	struct proxy_config cfg;
	bool cleanup = false, mode_given = false;
	proxy_config_defaults(&cfg);
	int rc = parse_flags(argc, argv, &cfg, &cleanup, &mode_given);
	if (rc < 0)
		return rc == -1 ? 0 : 2;
	char *err = NULL;
	if (cleanup) {
		rc = proxy_cleanup(mode_given ? cfg.mode : NULL, &err);
		if (rc < 0) {
			fprintf(stderr, "svcnet: --cleanup: %s\n", err);
			free(err);
			return 1;
		}
		return 0;
	}
	signals_block();
	struct proxy *p;
	if (proxy_start(&cfg, &p, &err) < 0) {
		fprintf(stderr, "svcnet: %s\n", err);
		free(err);
		return 1;
	}
	int sig = signals_wait();
	log_info("proxy", "received %s, shutting down", strsignal(sig));
	proxy_stop(p);
	return 0;
}
