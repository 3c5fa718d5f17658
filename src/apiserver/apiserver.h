/* The API server: Kubernetes REST paths over a store, served over HTTP. */
#ifndef SVCNET_APISERVER_APISERVER_H
#define SVCNET_APISERVER_APISERVER_H

#include <stddef.h>

struct apiserver;

struct apiserver_config {
	const char *data_dir;		/* SQLite store folder */
	const char *listen;		/* "127.0.0.1:8080" */
	const char *service_cidrs;	/* "10.96.0.0/12[,IPv6 CIDR]" */
	const char *node_port_range;	/* "30000-32767" */
	size_t watch_cache_size;	/* recent events kept for watchers */
	int max_inflight;		/* read-only requests served at once (429 above) */
	int max_mutating_inflight;	/* mutating requests served at once */
	int idle_timeout_s;		/* a connection silent this long is closed */
	const char *token_file;		/* --token-file, NULL: no authentication */
	const char *tls_cert, *tls_key; /* PEM files, NULL: plain HTTP */
	const char *allow_external_ips; /* CIDRs spec.externalIPs may use, NULL: none */
	const char *store;		/* "sqlite" or "etcd" */
	const char *etcd_servers;	/* for --store etcd */
	const char *etcd_prefix;
	const char *etcd_cafile, *etcd_certfile, *etcd_keyfile;
};

/* Fills cfg with the defaults of DESIGN.md. */
void apiserver_config_defaults(struct apiserver_config *cfg);

/*
 * Opens the store, repairs the allocators from the stored Services, creates
 * the default namespaces and starts serving. Returns 0, or a negative errno
 * with a sentence in *err (caller frees).
 */
int apiserver_start(const struct apiserver_config *cfg, struct apiserver **out, char **err)
    __attribute__((warn_unused_result));

/* The port actually bound (useful with listen port 0). */
int apiserver_port(const struct apiserver *srv);

/* Stops serving, ends watches, closes the store, frees srv. */
void apiserver_stop(struct apiserver *srv);

#endif
