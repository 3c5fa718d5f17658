/*
 * The cluster DNS server: authoritative for the cluster zone (records of
 * Services and their EndpointSlices, read through informers) and for the
 * reverse names of their addresses; forwards everything else to upstream
 * resolvers or refuses it. `svcnet dns` runs it alone, `svcnet up` in-process.
 */
#ifndef SVCNET_DNS_DNS_H
#define SVCNET_DNS_DNS_H

#include <stdint.h>

struct dns_server;
struct kclient;

struct dns_config {
	const char *server;	    /* API server URL; or NULL with kubeconfig */
	const char *kubeconfig;	    /* a kubeconfig file, or NULL */
	struct kclient *client;	    /* in-process use: a client to borrow instead */
	const char *listen;	    /* "127.0.0.1:53", "[::1]:5353"; port 0 picks one */
	const char *domain;	    /* "cluster.local" */
	const char *upstreams;	    /* "ADDR:PORT,..." or NULL: REFUSED outside our zones */
	const char *metrics_listen; /* "127.0.0.1:9153", port 0 picks one, "none" */
	uint32_t ttl;		    /* of every record, and the SOA minimum (5) */
	int threads;		    /* UDP threads; 0 = one per core */
	int tcp_idle_ms;	    /* a TCP connection without a query is closed (10000) */
};

/* Fills cfg with the defaults of DESIGN.md (listen 127.0.0.1:53, ttl 5, ...). */
void dns_config_defaults(struct dns_config *cfg);

/*
 * Binds the UDP and TCP sockets and the metrics endpoint, starts the
 * informers and the threads, and returns at once: until the first sync the
 * server answers SERVFAIL for cluster names (/readyz says 503). Returns 0
 * with *out (freed by dns_stop), or a negative errno with a sentence in *err
 * (caller frees).
 */
int dns_start(const struct dns_config *cfg, struct dns_server **out, char **err)
    __attribute__((warn_unused_result));

/* The DNS port actually bound (useful with port 0). */
int dns_port(const struct dns_server *srv);

/* The metrics port actually bound, or 0 when there is none. */
int dns_metrics_port(const struct dns_server *srv);

/* Stops the informers and threads, closes the sockets and frees srv. */
void dns_stop(struct dns_server *srv);

#endif
