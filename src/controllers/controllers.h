/*
 * The controllers of svcnet, as kube-controller-manager runs them for
 * Services: EndpointSlices and Endpoints of every Service with a selector,
 * EndpointSlices mirrored from the Endpoints of selector-less Services, and
 * LoadBalancer addresses from a pool. They talk only to the API (list +
 * watch through informers, writes conditional on resourceVersion), so they
 * run against any compatible API server. `svcnet controllers` is a thin
 * wrapper; `svcnet up` runs them in its own process.
 */
#ifndef SVCNET_CONTROLLERS_CONTROLLERS_H
#define SVCNET_CONTROLLERS_CONTROLLERS_H

#include "controllers/leader.h"

#include <stdbool.h>

struct controllers;

struct controllers_config {
	const char *server;	     /* "http://127.0.0.1:8080", or NULL with kubeconfig */
	const char *kubeconfig;	     /* a kubeconfig file, or NULL */
	int max_endpoints_per_slice; /* 100 */
	const char *lb_pool;	     /* "CIDR[,CIDR6]", or NULL: no LoadBalancer addresses */
	const char *metrics_listen;  /* "127.0.0.1:10257"; NULL or "none": no HTTP server */
	int workers;		     /* concurrent syncs (4) */
	int resync_s;		     /* periodic resync of every Service (0: none) */
	/*
	 * Leader election (off unless leader.enabled): the informers start at
	 * once, the workers only once this instance holds the Lease; losing it
	 * ends the process (exit status 1), as kube-controller-manager does.
	 */
	struct leader_config leader;
};

/* Fills cfg with the defaults above; leader election off, client-go's durations. */
void controllers_config_defaults(struct controllers_config *cfg);

/*
 * Connects (the configuration is copied), starts the informers, the
 * workers and the metrics server (/healthz, /readyz, /metrics). Returns at
 * once; the controllers become ready once every informer has listed. Returns
 * 0 with *out (free with controllers_stop), or a negative errno with a
 * sentence in *err (caller frees).
 */
int controllers_start(const struct controllers_config *cfg, struct controllers **out, char **err)
    __attribute__((warn_unused_result));

/* Whether every informer has synced and the first full pass is queued. */
bool controllers_ready(struct controllers *c);

/* The port the metrics server bound (useful with port 0), or 0 when none. */
int controllers_metrics_port(const struct controllers *c);

/* Stops the workers, informers and server, and frees c (NULL is fine). */
void controllers_stop(struct controllers *c);

#endif
