/* svcnet apiserver, and svcnet up (which, for now, runs the API server alone). */
#include "apiserver/apiserver.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cmd/commands.h"
#include "proxy/proxy.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char apiserver_help[] =
    "usage: svcnet apiserver [flags]\n"
    "\n"
    "Serves the Kubernetes API (core/v1 Namespaces, Services, Endpoints, Pods, Nodes,\n"
    "Events; discovery.k8s.io/v1 EndpointSlices) over HTTP, storing objects in SQLite.\n"
    "\n"
    "  --data-dir DIR            where the store lives (default ./data)\n"
    "  --listen ADDR:PORT        address to serve on (default 127.0.0.1:8080); any address\n"
    "                            other than loopback needs --tls-cert/--tls-key and --token-file\n"
    "  --store sqlite|etcd       the store backend (default sqlite)\n"
    "  --etcd-servers URL,...    etcd endpoints for --store etcd (default http://127.0.0.1:2379)\n"
    "  --etcd-prefix PREFIX      key prefix in etcd (default /registry)\n"
    "  --etcd-cafile F --etcd-certfile F --etcd-keyfile F   TLS to etcd\n"
    "  --service-cidr CIDR[,CIDR6]  ClusterIP range(s) (default 10.96.0.0/12)\n"
    "  --node-port-range A-B     NodePort range (default 30000-32767)\n"
    "  --watch-cache-size N      recent events kept for watchers (default 20000)\n"
    "  --max-requests-inflight N            read-only requests served at once (default 400)\n"
    "  --max-mutating-requests-inflight N   mutating requests served at once (default 200)\n"
    "  --idle-timeout SECONDS    close a connection silent this long, e.g. a client\n"
    "                            sending its request too slowly (default 60)\n"
    "  --token-file FILE         bearer tokens, CSV token,user,uid,\"group1,group2\"; groups\n"
    "                            system:masters (admin), svcnet:view, svcnet:node,\n"
    "                            svcnet:controller give the roles\n"
    "  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
    "  --allow-external-ips CIDR[,CIDR] addresses spec.externalIPs may use (default: none)\n"
    "  --help                    this text\n";

static const char up_help[] =
    "usage: svcnet up [flags]\n"
    "\n"
    "Runs everything on one machine, in one process: the API server on an embedded\n"
    "SQLite store, the controllers, the cluster DNS and the node proxy. It writes\n"
    "DIR/kubeconfig so that\n"
    "  KUBECONFIG=DIR/kubeconfig kubectl get svc\n"
    "works. Takes the flags of 'svcnet apiserver', and:\n"
    "  --dns-listen ADDR:PORT|none   cluster DNS (default 127.0.0.1:53)\n"
    "  --dns-upstream ADDR:PORT,...  where other names are forwarded (default: refused)\n"
    "  --proxy-mode MODE|none        the node proxy: nftables (default as root; userspace\n"
    "                                when nftables cannot start), userspace, iptables,\n"
    "                                ipvs, ebpf; none (default otherwise)\n"
    "  --lb-pool CIDR                addresses for LoadBalancer Services (default: none)\n"
    "  --node NAME                   this node's name (default: the host name)\n"
    "  --zone ZONE                   the node's topology.kubernetes.io/zone\n"
    "  --pod-cidr CIDR               local pods' addresses (default 10.244.0.0/24; the\n"
    "                                first is the node's, where pods find DNS)\n"
    "  --agent none                  do not run local pods (run as root by default)\n"
    "  --keep-rules                  leave the proxy's rules in place at exit\n";

enum {
	OPT_DATA = 1,
	OPT_LISTEN,
	OPT_STORE,
	OPT_CIDR,
	OPT_PORTS,
	OPT_WCS,
	OPT_HELP,
	OPT_PROXY,
	OPT_DNS,
	OPT_ETCD,
	OPT_ETCD_PREFIX,
	OPT_ETCD_CA,
	OPT_ETCD_CERT,
	OPT_ETCD_KEY,
	OPT_INFLIGHT,
	OPT_MUT_INFLIGHT,
	OPT_IDLE,
	OPT_TOKENS,
	OPT_CERT,
	OPT_KEY,
	OPT_EXTIPS,
	OPT_UPSTREAM,
	OPT_LBPOOL,
	OPT_NODE,
	OPT_ZONE,
	OPT_PODCIDR,
	OPT_AGENT,
	OPT_KEEP
};

static const struct option options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"store", required_argument, NULL, OPT_STORE},
    {"service-cidr", required_argument, NULL, OPT_CIDR},
    {"node-port-range", required_argument, NULL, OPT_PORTS},
    {"watch-cache-size", required_argument, NULL, OPT_WCS},
    {"proxy-mode", required_argument, NULL, OPT_PROXY},
    {"dns-listen", required_argument, NULL, OPT_DNS},
    {"etcd-servers", required_argument, NULL, OPT_ETCD},
    {"etcd-prefix", required_argument, NULL, OPT_ETCD_PREFIX},
    {"etcd-cafile", required_argument, NULL, OPT_ETCD_CA},
    {"etcd-certfile", required_argument, NULL, OPT_ETCD_CERT},
    {"etcd-keyfile", required_argument, NULL, OPT_ETCD_KEY},
    {"max-requests-inflight", required_argument, NULL, OPT_INFLIGHT},
    {"max-mutating-requests-inflight", required_argument, NULL, OPT_MUT_INFLIGHT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"token-file", required_argument, NULL, OPT_TOKENS},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"allow-external-ips", required_argument, NULL, OPT_EXTIPS},
    {"dns-upstream", required_argument, NULL, OPT_UPSTREAM},
    {"lb-pool", required_argument, NULL, OPT_LBPOOL},
    {"node", required_argument, NULL, OPT_NODE},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"pod-cidr", required_argument, NULL, OPT_PODCIDR},
    {"agent", required_argument, NULL, OPT_AGENT},
    {"keep-rules", no_argument, NULL, OPT_KEEP},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int up_flag(struct up_config *upc, int c, const char *arg)
{
	switch (c) {
	case OPT_DNS:
		upc->dns_listen = arg;
		break;
	case OPT_UPSTREAM:
		upc->dns_upstream = arg;
		break;
	case OPT_LBPOOL:
		upc->lb_pool = arg;
		break;
	case OPT_NODE:
		upc->node = arg;
		break;
	case OPT_ZONE:
		upc->zone = arg;
		break;
	case OPT_PODCIDR:
		upc->pod_cidr = arg;
		break;
	case OPT_KEEP:
		upc->keep_rules = true;
		break;
	case OPT_AGENT:
		if (strcmp(arg, "none")) {
			fprintf(stderr, "svcnet up: --agent %s: only 'none' turns it off\n", arg);
			return -1;
		}
		upc->run_agent = false;
		break;
	case OPT_PROXY:
		if (strcmp(arg, "none") && !proxy_mode_exists(arg)) {
			fprintf(
			    stderr,
			    "svcnet up: --proxy-mode %s: expected userspace, iptables, nftables, "
			    "ipvs, ebpf or none\n",
			    arg);
			return -1;
		}
		upc->proxy_mode = arg;
		upc->proxy_default = false;
		break;
	}
	return 0;
}

/* Parses the flags into cfg; returns -1 to exit 0 (help), -2 on a bad flag. */
static int parse_flags(int argc, char **argv, struct apiserver_config *cfg, struct up_config *upc)
{
	bool up = upc != NULL;
	const char *help = up ? up_help : apiserver_help;
	int c;
	long n;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_DATA:
			cfg->data_dir = optarg;
			break;
		case OPT_LISTEN:
			cfg->listen = optarg;
			break;
		case OPT_CIDR:
			cfg->service_cidrs = optarg;
			break;
		case OPT_PORTS:
			cfg->node_port_range = optarg;
			break;
		case OPT_STORE:
			if (strcmp(optarg, "sqlite") && strcmp(optarg, "etcd")) {
				fprintf(stderr, "svcnet: --store %s: expected sqlite or etcd\n",
					optarg);
				return -2;
			}
			cfg->store = optarg;
			break;
		case OPT_ETCD:
			cfg->etcd_servers = optarg;
			break;
		case OPT_ETCD_PREFIX:
			cfg->etcd_prefix = optarg;
			break;
		case OPT_ETCD_CA:
			cfg->etcd_cafile = optarg;
			break;
		case OPT_ETCD_CERT:
			cfg->etcd_certfile = optarg;
			break;
		case OPT_ETCD_KEY:
			cfg->etcd_keyfile = optarg;
			break;
		case OPT_WCS:
			if (flag_number("watch-cache-size", optarg, 100, 10000000, &n) < 0)
				return -2;
			cfg->watch_cache_size = (size_t)n;
			break;
		case OPT_TOKENS:
			cfg->token_file = optarg;
			break;
		case OPT_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_EXTIPS:
			cfg->allow_external_ips = optarg;
			break;
		case OPT_IDLE:
			if (flag_number("idle-timeout", optarg, 1, 3600, &n) < 0)
				return -2;
			cfg->idle_timeout_s = (int)n;
			break;
		case OPT_INFLIGHT:
		case OPT_MUT_INFLIGHT:
			if (flag_number(c == OPT_INFLIGHT ? "max-requests-inflight"
							  : "max-mutating-requests-inflight",
					optarg, 1, 100000, &n) < 0)
				return -2;
			*(c == OPT_INFLIGHT ? &cfg->max_inflight : &cfg->max_mutating_inflight) =
			    (int)n;
			break;
		case OPT_PROXY:
		case OPT_DNS:
		case OPT_UPSTREAM:
		case OPT_LBPOOL:
		case OPT_NODE:
		case OPT_ZONE:
		case OPT_PODCIDR:
		case OPT_AGENT:
		case OPT_KEEP:
			if (!up) {
				fprintf(stderr, "svcnet apiserver: --%s is a flag of 'svcnet up'\n",
					argv[optind - 1] + 2);
				return -2;
			}
			if (up_flag(upc, c, optarg) < 0)
				return -2;
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
	if (optind < argc) {
		fprintf(stderr, "svcnet: unexpected argument \"%s\"\n%s", argv[optind], help);
		return -2;
	}
	return 0;
}

static int write_kubeconfig(const char *dir, int port)
{
	char *path = xasprintf("%s/kubeconfig", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "svcnet: cannot write %s: %s\n", path, strerror(errno));
		free(path);
		return -errno;
	}
	fprintf(f,
		"apiVersion: v1\nkind: Config\nclusters:\n- name: svcnet\n  cluster:\n"
		"    server: http://127.0.0.1:%d\ncontexts:\n- name: svcnet\n  context:\n"
		"    cluster: svcnet\n    user: svcnet\n    namespace: default\n"
		"current-context: svcnet\nusers:\n- name: svcnet\n  user: {}\n",
		port);
	fclose(f);
	free(path);
	return 0;
}

static void print_banner(const struct apiserver_config *cfg, int port, int dns_port)
{
	printf("svcnet is up.\n  API server  http://127.0.0.1:%d\n  kubeconfig  %s/kubeconfig\n",
	       port, cfg->data_dir);
	if (dns_port)
		printf("  DNS         127.0.0.1:%d (cluster.local)\n", dns_port);
	printf("Try:\n  export KUBECONFIG=%s/kubeconfig\n  kubectl get namespaces\n"
	       "  kubectl apply -f examples/my-service.yaml && kubectl get svc\n",
	       cfg->data_dir);
	fflush(stdout);
}

static int run(int argc, char **argv, bool up)
{
	struct apiserver_config cfg;
	struct up_config upc;
	apiserver_config_defaults(&cfg);
	up_config_defaults(&upc);
	int rc = parse_flags(argc, argv, &cfg, up ? &upc : NULL);
	if (rc < 0)
		return rc == -1 ? 0 : 2;
	upc.data_dir = cfg.data_dir;
	upc.service_cidrs = cfg.service_cidrs;
	if (mkdir(cfg.data_dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "svcnet: cannot create --data-dir %s: %s\n", cfg.data_dir,
			strerror(errno));
		return 1;
	}
	signals_block();
	struct apiserver *srv;
	struct up_parts *parts = NULL;
	char *err = NULL;
	if (apiserver_start(&cfg, &srv, &err) < 0)
		goto fail;
	if (up && (write_kubeconfig(cfg.data_dir, apiserver_port(srv)) < 0 ||
		   up_start(&upc, apiserver_port(srv), &parts, &err) < 0)) {
		apiserver_stop(srv);
		goto fail;
	}
	if (up)
		print_banner(&cfg, apiserver_port(srv), up_dns_port(parts));
	int sig = signals_wait();
	log_info("svcnet", "received %s, shutting down", strsignal(sig));
	up_stop(parts);
	apiserver_stop(srv);
	return 0;
fail:
	if (err)
		fprintf(stderr, "svcnet: %s\n", err);
	free(err);
	return 1;
}

int cmd_apiserver(int argc, char **argv)
{
	return run(argc, argv, false);
}

int cmd_up(int argc, char **argv)
{
	return run(argc, argv, true);
}
