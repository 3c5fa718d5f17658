/*
 * The node agent: registers this machine as a Node and runs the Pods bound
 * to it as local processes, each in a network namespace of its own joined to
 * the node by a veth pair on the bridge svcnet0, with an address from the
 * pod CIDR, the cluster DNS in its resolv.conf, the service environment
 * variables, readiness probes and status written back through the API, as
 * the kubelet does. `svcnet agent` is a thin wrapper; `svcnet up` runs it
 * in-process. Needs root (network namespaces, veth pairs).
 */
#ifndef SVCNET_AGENT_AGENT_H
#define SVCNET_AGENT_AGENT_H

struct agent;

/* Every string is borrowed for agent_start's call (copied). */
struct agent_config {
	const char *server;	 /* API server URL, or NULL with kubeconfig */
	const char *kubeconfig;	 /* kubeconfig file, or NULL */
	const char *node_name;	 /* NULL: the host name */
	const char *zone;	 /* topology.kubernetes.io/zone label, or NULL */
	const char *pod_cidr;	 /* "10.244.0.0/24": .1 is the node, the rest pods */
	const char *cluster_dns; /* pods' nameserver; NULL: the node's address (.1) */
	const char *data_dir;	 /* IPAM file and pod logs under DIR/agent ("./data") */
	const char *bridge;	 /* the node-side bridge ("svcnet0") */
	int heartbeat_s;	 /* Node status heartbeat period (10) */
};

/* Fills cfg with the defaults above. */
void agent_config_defaults(struct agent_config *cfg);

/*
 * Starts the agent: the bridge, the Node object, the pod informers and the
 * agent's threads. Returns 0 with *out (stop it with agent_stop), or a
 * negative errno with a sentence in *err (caller frees).
 */
int agent_start(const struct agent_config *cfg, struct agent **out, char **err)
    __attribute__((warn_unused_result));

/*
 * Stops the agent: every pod process gets SIGTERM, then SIGKILL after a few
 * seconds; pod namespaces, veth pairs and the bridge are removed (the Pod
 * objects stay, as with a stopped kubelet). Frees a; NULL is fine.
 */
void agent_stop(struct agent *a);

/*
 * The log file of pod ns/name under data_dir: "DIR/agent/logs/NS_NAME.log".
 * Caller frees.
 */
char *agent_log_path(const char *data_dir, const char *ns, const char *name);

#endif
