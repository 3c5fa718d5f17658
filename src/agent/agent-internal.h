/*
 * Private to the agent: the pieces agent.c puts together. IPAM (ipam.c),
 * network namespaces and veth pairs (netns.c), processes in a pod's
 * namespace (spawn.c), readiness probes (probe.c, probe_run.c), the
 * container environment (podenv.c), pod status (podstatus.c), the life of
 * one pod (pod.c), the Node object (node.c) and the Pod `svcnet run`
 * creates (runspec.c).
 */
#ifndef SVCNET_AGENT_INTERNAL_H
#define SVCNET_AGENT_INTERNAL_H

#include "agent/agent.h"
#include "base/ip.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/workqueue.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- IPAM: one address per pod, kept in a file across restarts. ---- */
struct agent_ipam {
	char *path;	     /* the file: one "ADDRESS OWNER" line per address */
	struct ip_cidr cidr; /* .0 network, .1 node, last broadcast: never given */
	uint64_t size;	     /* addresses in cidr */
	char **owner;	     /* by offset in cidr: "ns/name" or NULL */
};

/*
 * Opens the IPAM of cidr (IPv4, /16 to /30) backed by path, reading what the
 * file holds (addresses outside cidr are dropped). Returns 0, or a negative
 * errno with a sentence in *err (caller frees).
 */
int agent_ipam_open(struct agent_ipam *ipam, const char *path, const char *cidr, char **err)
    __attribute__((warn_unused_result));
/*
 * The address of owner: the one it holds, else the lowest free one, saved
 * to the file before returning. Returns 0, -ENOSPC when full, or the errno
 * of the write.
 */
int agent_ipam_alloc(struct agent_ipam *ipam, const char *owner, struct ip_addr *out)
    __attribute__((warn_unused_result));
/* Frees owner's address (if any) and saves; returns 0 or a negative errno. */
int agent_ipam_release(struct agent_ipam *ipam, const char *owner);
/* The node's own address in the CIDR (.1). */
void agent_ipam_gateway(const struct agent_ipam *ipam, struct ip_addr *out);
void agent_ipam_close(struct agent_ipam *ipam);

/* ---- Readiness probes. ---- */
enum agent_probe_kind { AGENT_PROBE_NONE, AGENT_PROBE_HTTP, AGENT_PROBE_TCP, AGENT_PROBE_EXEC };

struct agent_probe {
	enum agent_probe_kind kind;
	int port;    /* http, tcp: resolved from a named port */
	char *path;  /* http: "/healthz" */
	char *host;  /* http, tcp: NULL: the pod's address */
	bool https;  /* http: scheme HTTPS (certificate not checked, as the kubelet) */
	char **argv; /* exec: NULL-terminated */
	int initial_delay_s, period_s, timeout_s, success_threshold, failure_threshold;
};

/*
 * Reads a readinessProbe object (NULL: none) of container, with the
 * kubelet's defaults (period 10 s, timeout 1 s, success 1, failure 3). A
 * named port is looked up in the container's ports. Returns 0 (out filled;
 * free it with agent_probe_free), or -EINVAL with a sentence in *err.
 */
int agent_probe_parse(const json_t *probe, const json_t *container, struct agent_probe *out,
		      char **err) __attribute__((warn_unused_result));
void agent_probe_free(struct agent_probe *p);

/*
 * The readinessProbe object of `svcnet run --readiness SPEC`: http:PORT/PATH,
 * tcp:PORT or exec:CMD (run by sh -c). Returns a new object, or NULL with a
 * sentence in *err (caller frees).
 */
json_t *agent_readiness_flag(const char *spec, char **err);

/*
 * Runs p once against the pod at ip whose namespace is netns_path (for exec
 * probes). Returns 1 on success, 0 on failure with the reason in *why
 * (caller frees).
 */
int agent_probe_run(const struct agent_probe *p, const char *ip, const char *netns_path,
		    char **why);

/* ---- The container's environment. ---- */

/*
 * The environment of container in pod (kubelet's rules): its env (values
 * with $(VAR) expanded, fieldRef of metadata.name, metadata.namespace,
 * metadata.uid, spec.nodeName, status.podIP, status.hostIP), then the
 * service variables of services (the array of Service objects that existed
 * at start) not defined already, then PATH and HOSTNAME when unset. pod_ip
 * and host_ip may be NULL. Returns a NULL-terminated "NAME=value" array;
 * free it with agent_strv_free.
 */
char **agent_pod_env(const json_t *pod, const json_t *container, const json_t *services,
		     const char *pod_ip, const char *host_ip);

/*
 * Expands $(NAME) references in s with the values in env ("$$" is a literal
 * "$"; unknown references stay as they are), as the kubelet does for
 * command, args and env. Caller frees.
 */
char *agent_expand(const char *s, char *const *env);

/* command followed by args, each expanded with env; NULL when both are empty. */
char **agent_container_argv(const json_t *container, char *const *env);

/* Value of name in a NULL-terminated "NAME=value" array, or NULL. */
const char *agent_env_get(char *const *env, const char *name);
void agent_strv_free(char **v);

/* ---- Network: the bridge, a pod's namespace and veth pair. ---- */

/* "svcnet-NS-NAME", the name under /run/netns. Caller frees. */
char *agent_netns_name(const char *ns, const char *name);

/* Runs argv (searched in PATH) and waits; output into *out when non-NULL. */
int agent_run_cmd(const char *const argv[], char **out);

/*
 * Creates (or reuses) the bridge with gw/prefix on it, up, and turns on IPv4
 * forwarding (a kernel proxy sends a pod's Service traffic to another pod),
 * as the bridge CNI plugin does for a gateway; *forward_was gets the value
 * it had ('0' or '1'), for agent_net_bridge_down to put back.
 */
int agent_net_bridge_up(const char *bridge, const struct ip_addr *gw, int prefix, char *forward_was,
			char **err) __attribute__((warn_unused_result));
void agent_net_bridge_down(const char *bridge, char forward_was);

/*
 * Creates namespace netns (removing a stale one of that name), a veth pair
 * with its node side on bridge and its pod side eth0 holding ip/prefix,
 * lo up, the default route via gw; and /etc/netns/NETNS/resolv.conf.
 */
int agent_net_pod_up(const char *bridge, const char *netns, const char *ip, int prefix,
		     const char *gw, const char *resolv_conf, char **err)
    __attribute__((warn_unused_result));
/* Removes what agent_net_pod_up made (the veth goes with the namespace). */
void agent_net_pod_down(const char *netns);

/* The resolv.conf text of a pod in namespace ns. Caller frees. */
char *agent_resolv_conf(const char *dns_ip, const char *ns);

/* ---- Processes in a pod's network namespace. ---- */
struct agent_spawn {
	const char *netns;    /* name under /run/netns */
	const char *hostname; /* NULL: leave the UTS namespace alone */
	char *const *argv;    /* argv[0] searched in env's PATH */
	char *const *env;
	int out_fd; /* stdout and stderr; -1: /dev/null */
};

/*
 * Starts a process as its own session leader in the pod's network
 * namespace (and a mount namespace with /etc/netns/NETNS/ files bound over
 * /etc, as `ip netns exec`), with default signal handling. Returns its pid,
 * or a negative errno (-ENOENT: command not found).
 */
pid_t agent_spawn(const struct agent_spawn *s);

/* ---- One pod. ---- */
enum agent_cstate { AGENT_C_WAITING, AGENT_C_RUNNING, AGENT_C_TERMINATED };

struct agent;

struct agent_pod {
	struct agent *a;
	char *ns, *name, *uid, *key; /* key "ns/name" */
	json_t *pod;		     /* the object as it was started (owned) */
	char ip[IP_STRLEN];
	char *netns;
	char *log_path;
	char **env, **argv;
	char start_time[24];
	bool net_up;

	pthread_mutex_t lock; /* guards what the probe thread reads and writes */
	pthread_cond_t cond;
	pid_t pid; /* > 0 while the container runs */
	enum agent_cstate state;
	int restarts, exit_code;
	char started_at[24], finished_at[24], ready_since[24];
	char *waiting_reason;
	time_t restart_at; /* when a waiting container starts again */
	int backoff_s;
	bool ready, status_dirty, stopping;

	struct agent_probe probe;
	pthread_t probe_thread;
	bool probe_started;
	int probe_ok, probe_fail;

	bool terminating;
	time_t kill_at;
	bool killed;
	struct agent_pod *next;
};

struct agent {
	struct kclient *kc;
	char *node, *zone, *data_dir, *bridge, *cluster_dns;
	char node_ip[IP_STRLEN];
	int prefix, heartbeat_s;
	char forward_was; /* net.ipv4.ip_forward before the bridge came up */
	struct agent_ipam ipam;
	struct informer *pods, *unscheduled;
	struct workqueue *q;
	pthread_t loop;
	bool loop_started;
	volatile int stop;
	struct agent_pod *list; /* owned by the loop thread */
	time_t next_heartbeat;
	char ready_since[24]; /* the Node's Ready condition */
};

/* Starts pod obj on this node: network, process, probe. Returns the pod or NULL. */
struct agent_pod *agent_pod_start(struct agent *a, const json_t *obj);
/* Checks the process, restarts per restartPolicy, ends the grace period. */
void agent_pod_tick(struct agent_pod *p, time_t now);
/* Begins termination: SIGTERM now, SIGKILL after grace_s. */
void agent_pod_terminate(struct agent_pod *p, long grace_s);
/* Whether a terminating pod's process is gone. */
bool agent_pod_gone(struct agent_pod *p);
/* Kills at once, removes the network, frees p (not unlinking it). */
void agent_pod_destroy(struct agent_pod *p, bool release_ip);

/* The status merge patch of p ({"status":{...}}). Caller owns it. */
json_t *agent_pod_status(struct agent_pod *p);
/* PATCHes p's status when it changed; returns 0 or a negative errno / HTTP status. */
int agent_pod_write_status(struct agent_pod *p);

/* Registers (creates or updates) the Node and writes its status. */
int agent_node_register(struct agent *a, char **err) __attribute__((warn_unused_result));
/* Writes the Node's Ready condition with a fresh heartbeat. */
int agent_node_heartbeat(struct agent *a);
/* Whether this node is the only Node of the cluster. */
bool agent_node_alone(struct agent *a);

/*
 * Binds the unscheduled pod obj (borrowed) to this node with a POST of
 * pods/NAME/binding. Returns 0 when it is bound, or needs no binding any
 * more (gone, bound elsewhere: 404, 409); -EIO when it should be retried.
 */
int agent_bind(struct agent *a, const json_t *obj);

/* ---- `svcnet run`. ---- */
struct agent_run_opts {
	const char *name, *ns, *labels, *port, *readiness, *restart, *node, *env;
	int period_s; /* readiness periodSeconds, 0: default */
	char **cmd;   /* NULL-terminated: command then args */
};

/*
 * The Pod `svcnet run` creates: one container named after the pod, image
 * "svcnet/local", command cmd[0] with args cmd[1..], labels "k=v,..."
 * (default run=NAME), a port "[name:]PORT", a readinessProbe, env "K=V,...".
 * Returns a new object or NULL with a sentence in *err (caller frees).
 */
json_t *agent_run_pod(const struct agent_run_opts *o, char **err);

#endif
