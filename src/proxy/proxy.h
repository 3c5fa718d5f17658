/*
 * The node proxy: informers on Services, EndpointSlices and this node's Node
 * build the service map; changes are batched (at most one sync per
 * min_sync_period, a full resync every sync_period) and handed to one mode
 * (userspace, and the kernel modes of issue 6); /healthz, /readyz and
 * /metrics are served on metrics_listen. `svcnet proxy` is a thin wrapper;
 * `svcnet up` runs it in-process.
 */
#ifndef SVCNET_PROXY_PROXY_H
#define SVCNET_PROXY_PROXY_H

#include <stdbool.h>

struct proxy;

/* Every string is borrowed for proxy_start's call (copied). */
struct proxy_config {
	const char *server;	     /* API server URL, or NULL with kubeconfig */
	const char *kubeconfig;	     /* kubeconfig file, or NULL */
	const char *node_name;	     /* NULL: the host name */
	const char *mode;	     /* "userspace" ... */
	const char *scheduler;	     /* "rr" (userspace default) ... */
	const char *cluster_cidr;    /* NULL: unknown */
	const char *service_cidr;    /* "10.96.0.0/12"[,IPv6 CIDR] */
	const char *metrics_listen;  /* "127.0.0.1:10249"; NULL or "none": not served */
	const char *bind_address;    /* userspace proxy ports: "0.0.0.0" */
	unsigned min_sync_period_ms; /* 1000 */
	unsigned sync_period_ms;     /* 30000 */
	unsigned udp_timeout_ms;     /* 250, kube-proxy's --udp-timeout */
	bool capture;		     /* may change the firewall (default true) */
	const char *cgroup_path;     /* ebpf: cgroup v2 to attach to (NULL: the cgroup2 mount) */
};

/* Fills cfg with kube-proxy's defaults (userspace mode). */
void proxy_config_defaults(struct proxy_config *cfg);

/*
 * Starts the proxy: the mode's data plane, the informers, the sync thread
 * and the metrics server. The first sync happens once the informers have
 * listed. Returns 0 with *out (caller stops it with proxy_stop), or a
 * negative errno with a sentence in *err (caller frees).
 */
int proxy_start(const struct proxy_config *cfg, struct proxy **out, char **err)
    __attribute__((warn_unused_result));

/* Stops everything proxy_start started and frees p; NULL is fine. */
void proxy_stop(struct proxy *p);

/* Is a proxy mode called name built in? */
bool proxy_mode_exists(const char *name);

/* The port the metrics server listens on (0 when none). */
int proxy_metrics_port(const struct proxy *p);

/* Whether a sync has succeeded (what /readyz says). */
bool proxy_ready(struct proxy *p);

/*
 * Removes everything mode ever installed (all modes when mode is NULL), for
 * `svcnet proxy --cleanup`. Returns 0 or a negative errno with *err.
 */
int proxy_cleanup(const char *mode, char **err) __attribute__((warn_unused_result));

#endif
