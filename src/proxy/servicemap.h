/*
 * The service map: the desired state of every proxy mode, computed by a pure
 * function from Service, EndpointSlice and Node objects. One entry per
 * Service port and IP family, with its virtual addresses, protocol, session
 * affinity, traffic policies and the endpoints kube-proxy would pick for it.
 * A map is a plain value: modes get (old map, new map) and change only what
 * differs (svcmap_diff).
 */
#ifndef SVCNET_PROXY_SERVICEMAP_H
#define SVCNET_PROXY_SERVICEMAP_H

#include "base/ip.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* kube-proxy's default for sessionAffinityConfig.clientIP.timeoutSeconds. */
#define SVCMAP_DEFAULT_AFFINITY_TIMEOUT 10800

/* One endpoint as a mode uses it. */
struct svcmap_endpoint {
	struct ip_addr addr;
	uint16_t port;
	bool ready;
	bool serving;
	bool terminating;
	bool local; /* its nodeName is this node */
};

/* One port of one Service in one IP family. */
struct svcmap_port {
	char *key;	 /* "namespace/name:portname" (portname may be empty); owned */
	char *ns;	 /* owned */
	char *name;	 /* owned */
	char *port_name; /* owned, "" when the port has no name */
	enum ip_family family;
	int protocol; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	struct ip_addr cluster_ip;
	uint16_t port;
	uint16_t node_port;		 /* 0: none */
	uint16_t health_check_node_port; /* 0: none */
	struct ip_addr *node_ips;	 /* addresses a nodePort is served on */
	size_t n_node_ips;
	struct ip_addr *external_ips; /* spec.externalIPs of this family */
	size_t n_external_ips;
	struct ip_addr *lb_ips; /* status.loadBalancer.ingress[].ip (not ipMode Proxy) */
	size_t n_lb_ips;
	struct ip_cidr *lb_source_ranges; /* spec.loadBalancerSourceRanges of this family */
	size_t n_lb_source_ranges;
	bool affinity_client_ip;
	unsigned affinity_timeout_s;
	bool internal_local; /* internalTrafficPolicy: Local */
	bool external_local; /* externalTrafficPolicy: Local (NodePort/LoadBalancer only) */
	/* Ready or serving-and-terminating endpoints exist anywhere in the cluster. */
	bool has_any_endpoints;
	/* Endpoints for traffic to the clusterIP, sorted by address then port. */
	struct svcmap_endpoint *cluster_eps;
	size_t n_cluster_eps;
	/* Endpoints for traffic to nodePorts, externalIPs and LB IPs, sorted. */
	struct svcmap_endpoint *external_eps;
	size_t n_external_eps;
	/*
	 * Latest endpoints.kubernetes.io/last-change-trigger-time of the
	 * EndpointSlices (Unix seconds, 0 if none); not compared by svcmap_diff.
	 */
	double trigger_time;
};

/* A whole map: entries sorted by key, then family (IPv4 first). */
struct svcmap {
	struct svcmap_port *ports;
	size_t n_ports;
	size_t n_services;  /* distinct Services with at least one entry */
	size_t n_endpoints; /* sum of cluster endpoints over the entries */
};

/* What svcmap_build reads; every pointer is borrowed. */
struct svcmap_input {
	json_t *const *services; /* v1 Service objects */
	size_t n_services;
	json_t *const *slices; /* discovery.k8s.io/v1 EndpointSlice objects */
	size_t n_slices;
	const char *node_name; /* this node; endpoints with this nodeName are local */
	/* This node's Node object or NULL: its zone label and, unless
	 * node_ips is given, its status.addresses for nodePorts. */
	const json_t *node;
	const struct ip_addr *node_ips; /* nodePort addresses; NULL: from node */
	size_t n_node_ips;
};

/*
 * Computes the map from in, as kube-proxy does: Services of type
 * ExternalName and headless ones are skipped; each clusterIP gives one entry
 * per port; endpoints come from the EndpointSlices labelled with the
 * Service's name, matched by port name and protocol, deduplicated by
 * address and port. Ready endpoints are used, serving-and-terminating ones
 * when none is ready; Local traffic policies keep to this node's endpoints;
 * topology hints are honoured when every ready endpoint has them.
 * Malformed objects are skipped. Never fails; the caller frees the result
 * with svcmap_free.
 */
struct svcmap *svcmap_build(const struct svcmap_input *in);

/* Frees m and everything in it; NULL is fine. */
void svcmap_free(struct svcmap *m);

/* The entry with key and family, or NULL (binary search). */
const struct svcmap_port *svcmap_find(const struct svcmap *m, const char *key,
				      enum ip_family family);

/* Bits of svcmap_delta.what. */
enum {
	SVCMAP_ADDED = 1,     /* only in the new map */
	SVCMAP_REMOVED = 2,   /* only in the old map */
	SVCMAP_SERVICE = 4,   /* addresses, ports, protocol, affinity or policies differ */
	SVCMAP_ENDPOINTS = 8, /* the chosen endpoints differ */
};

/* One difference between two maps; old/new point into the maps compared. */
struct svcmap_delta {
	unsigned what;
	const struct svcmap_port *old; /* NULL when added */
	const struct svcmap_port *new; /* NULL when removed */
};

/*
 * The differences from old to new (either may be NULL, read as empty), in
 * key order. Returns their number; *out (caller frees; NULL when none)
 * holds them.
 */
size_t svcmap_diff(const struct svcmap *old, const struct svcmap *new, struct svcmap_delta **out);

/* Whether m (may be NULL) has an entry of family f. */
bool svcmap_has_family(const struct svcmap *m, enum ip_family f);

/* Compares two entries the way svcmap_diff does: 0, or SVCMAP_SERVICE|SVCMAP_ENDPOINTS bits. */
unsigned svcmap_port_compare(const struct svcmap_port *a, const struct svcmap_port *b);

/* IPPROTO_TCP for "TCP" (and NULL or ""), IPPROTO_UDP, IPPROTO_SCTP; -1 otherwise. */
int svcmap_proto_parse(const char *s);

/* "TCP", "UDP" or "SCTP". */
const char *svcmap_proto_name(int protocol);

#endif
