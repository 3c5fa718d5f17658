/*
 * Compact copies of Services and EndpointSlices: what the DNS records are
 * built from, converted from the JSON object as it arrives so that no JSON
 * tree is kept. Each copy is one allocation holding its header, arrays and
 * strings (freed with free()), about 130 bytes for a ClusterIP Service
 * against several kilobytes as a jansson tree.
 */
#ifndef SVCNET_DNS_COMPACT_H
#define SVCNET_DNS_COMPACT_H

#include "base/ip.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* A port with a name, the only kind that has SRV records. */
struct dns_port {
	const char *name;     /* never NULL or "" */
	const char *protocol; /* as written ("TCP", "udp"); NULL when unset (TCP) */
	int port;	      /* 1 to 65535 */
};

enum dns_svc_kind {
	DNS_SVC_CLUSTER_IP,    /* ClusterIP, NodePort, LoadBalancer */
	DNS_SVC_HEADLESS,      /* clusterIP "None": records from the slices */
	DNS_SVC_EXTERNAL_NAME, /* a CNAME to external_name */
};

struct dns_svc {
	const char *key;	   /* "namespace/name" */
	const char *ns;		   /* the namespace */
	const char *name;	   /* points into key, after the '/' */
	const char *external_name; /* ExternalName only, else NULL */
	const struct ip_addr *ips; /* the clusterIPs that parse, in order */
	const struct dns_port *ports;
	uint16_t nips, nports; /* both 0 unless DNS_SVC_CLUSTER_IP */
	uint8_t kind;	       /* enum dns_svc_kind */
	bool publish_not_ready;
};

/* One address of an endpoint (an endpoint with two addresses gives two). */
struct dns_endpoint {
	struct ip_addr addr;
	const char *hostname; /* NULL when unset */
	bool ready;	      /* conditions.ready is not false */
};

struct dns_slice {
	const char *key;		/* "namespace/name" of the slice, or NULL */
	const char *service_key;	/* "namespace/<kubernetes.io/service-name>", or NULL */
	const struct dns_endpoint *eps; /* none unless addressType is IPv4 or IPv6 */
	const struct dns_port *ports;
	uint32_t neps;
	uint16_t nports;
};

/*
 * The compact copy of a Service object (borrowed). Returns a block the
 * caller frees with free(), or NULL when obj has no metadata.name or
 * namespace. Ports without a name or outside 1-65535 and addresses that do
 * not parse are left out: they give no records.
 */
struct dns_svc *dns_svc_from_json(const json_t *obj);

/*
 * The compact copy of an EndpointSlice object (borrowed), as
 * dns_svc_from_json but never NULL: key is NULL when the slice has no name or
 * namespace, service_key when it has no namespace or label.
 */
struct dns_slice *dns_slice_from_json(const json_t *obj);

/* "namespace/name" of any object (caller frees), or NULL when either is missing. */
char *dns_object_key(const json_t *obj);

#endif
