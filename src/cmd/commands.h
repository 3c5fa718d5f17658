/* The sub-commands of svcnet. Each returns the process exit status. */
#ifndef SVCNET_CMD_COMMANDS_H
#define SVCNET_CMD_COMMANDS_H

#include <stdbool.h>

int cmd_apiserver(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_controllers(int argc, char **argv); /* cmd_controllers.c */
int cmd_proxy(int argc, char **argv);	    /* cmd_proxy.c */
int cmd_dns(int argc, char **argv);	    /* cmd_dns.c */
int cmd_env(int argc, char **argv);	    /* cmd_env.c */
int cmd_agent(int argc, char **argv);	    /* cmd_agent.c */
int cmd_run(int argc, char **argv);	    /* cmd_run.c */
int cmd_logs(int argc, char **argv);	    /* cmd_logs.c */

/* What `svcnet up` runs beside the API server (cmd_up.c). */
struct up_config {
	const char *dns_listen;	   /* "127.0.0.1:53" or "none" */
	const char *dns_upstream;  /* "ADDR:PORT,..." or NULL */
	const char *proxy_mode;	   /* "userspace", ... or "none" */
	const char *lb_pool;	   /* CIDR for LoadBalancer addresses, or NULL */
	const char *node;	   /* this node's name, NULL: the host name */
	const char *zone;	   /* the node's topology.kubernetes.io/zone, or NULL */
	const char *pod_cidr;	   /* local pods' addresses; the first is the node's */
	const char *data_dir;	   /* the agent keeps pod logs and addresses here */
	const char *service_cidrs; /* the API server's, for kubernetes and kube-dns IPs */
	bool proxy_default;	   /* proxy_mode was not asked for: may fall back */
	bool run_agent;		   /* run local pods (as root) */
	bool keep_rules;	   /* leave the proxy's rules in place at exit */
};
struct up_parts;
void up_config_defaults(struct up_config *cfg);
/* Starts the controllers, DNS and proxy against the API server on api_port. */
int up_start(const struct up_config *cfg, int api_port, struct up_parts **out, char **err);
int up_dns_port(const struct up_parts *p);
void up_stop(struct up_parts *p);

/*
 * Parses arg, the value of --flag, as a whole number from lo to hi into *out.
 * Returns 0, or -1 after printing what is wrong to stderr.
 */
int flag_number(const char *flag, const char *arg, long lo, long hi, long *out);

/* Blocks SIGINT and SIGTERM in every thread started after this call. */
void signals_block(void);
/* Waits for SIGINT or SIGTERM; returns the signal. */
int signals_wait(void);

#endif
