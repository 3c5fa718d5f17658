/* svcnet: Kubernetes Service networking in one program. */
#include "cmd/commands.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
    {"up", cmd_up, "everything on one machine: API server on an embedded store, ..."},
    {"apiserver", cmd_apiserver, "the Kubernetes-compatible API server"},
    {"controllers", cmd_controllers, "EndpointSlice, Endpoints, mirroring, LoadBalancer IPs"},
    {"proxy", cmd_proxy, "the node proxy: ClusterIPs, NodePorts, LoadBalancer IPs"},
    {"dns", cmd_dns, "the cluster DNS server"},
    {"env", cmd_env, "print the service environment variables of a namespace"},
    {"agent", cmd_agent, "the node agent: runs this node's Pods as local processes"},
    {"run", cmd_run, "create a Pod that runs a local command"},
    {"logs", cmd_logs, "print the output of a local pod's container"},
};

static void usage(FILE *f)
{
	fputs("usage: svcnet COMMAND [flags]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fputs("\nRun 'svcnet COMMAND --help' for the flags of a command.\n", f);
}

void signals_block(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int signals_wait(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "svcnet: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
