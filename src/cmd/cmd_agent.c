/*
 * svcnet agent: the node agent alone, against any API server: registers
 * this machine as a Node and runs the Pods bound to it as local processes.
 */
#include "agent/agent.h"
#include "base/log.h"
#include "cmd/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: svcnet agent --server URL|--kubeconfig FILE [--node NAME] [--zone Z]\n"
    "                    [--pod-cidr CIDR] [--cluster-dns IP] [--data-dir DIR]\n"
    "\n"
    "Registers the Node NAME (default: the host name) and runs its Pods, and the\n"
    "unscheduled ones when it is the only node, as processes in network namespaces\n"
    "joined to the bridge svcnet0. Needs root.\n"
    "  --zone Z            the node's topology.kubernetes.io/zone label\n"
    "  --pod-cidr CIDR     pod addresses (default 10.244.0.0/24; .1 is the node)\n"
    "  --cluster-dns IP    the pods' nameserver (default: the node's .1 address)\n"
    "  --data-dir DIR      addresses and pod logs under DIR/agent (default ./data)\n";

enum { OPT_SERVER = 1, OPT_KUBECONFIG, OPT_NODE, OPT_ZONE, OPT_CIDR, OPT_DNS, OPT_DATA, OPT_HELP };

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"node", required_argument, NULL, OPT_NODE},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"pod-cidr", required_argument, NULL, OPT_CIDR},
    {"cluster-dns", required_argument, NULL, OPT_DNS},
    {"data-dir", required_argument, NULL, OPT_DATA},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Parses the flags into cfg; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct agent_config *cfg)
{
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			cfg->server = optarg;
			break;
		case OPT_KUBECONFIG:
			cfg->kubeconfig = optarg;
			break;
		case OPT_NODE:
			cfg->node_name = optarg;
			break;
		case OPT_ZONE:
			cfg->zone = optarg;
			break;
		case OPT_CIDR:
			cfg->pod_cidr = optarg;
			break;
		case OPT_DNS:
			cfg->cluster_dns = optarg;
			break;
		case OPT_DATA:
			cfg->data_dir = optarg;
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
	if (optind < argc || (!cfg->server && !cfg->kubeconfig)) {
		fputs(help, stderr);
		return 2;
	}
	return -1;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_config cfg;
	struct agent *a = NULL;
	char *err = NULL;
	agent_config_defaults(&cfg);
	int rc = parse(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	signals_block();
	if (agent_start(&cfg, &a, &err) < 0) {
		fprintf(stderr, "svcnet agent: %s\n", err);
		free(err);
		return 1;
	}
	int sig = signals_wait();
	log_info("agent", "signal %d, stopping", sig);
	agent_stop(a);
	return 0;
}
