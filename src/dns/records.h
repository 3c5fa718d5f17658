/*
 * The records of one Service, as the Kubernetes DNS-based service discovery
 * specification 1.1.0 defines them: a pure function of the Service object and
 * its EndpointSlices. The DNS server calls it whenever either changes and
 * swaps the result into its database; nothing is computed per query.
 */
#ifndef SVCNET_DNS_RECORDS_H
#define SVCNET_DNS_RECORDS_H

#include "dns/compact.h"
#include "dns/wire.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One record: owner and rdata in uncompressed wire form, in one allocation. */
struct dns_record {
	uint8_t *name; /* owned; rdata points into the same block */
	uint8_t *rdata;
	uint16_t type;
	uint16_t rdlen;
	uint8_t namelen;
	uint32_t ttl;
};

struct dns_records {
	struct dns_record *v; /* owned */
	size_t n;
	size_t cap;
};

#define DNS_RECORDS_INIT                                                                           \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/*
 * Computes the records of svc (the compact copy of a Service, compact.h)
 * and its EndpointSlices (slices[0..nslices), those labelled
 * kubernetes.io/service-name with svc's name in its namespace) under zone (lowercased wire form,
 * "cluster.local"). Appends them to out sorted by (name, type, rdata) without duplicates:
 * - ClusterIP/NodePort/LoadBalancer: A/AAAA per ClusterIP, PTR back to the
 *   name, SRV _port._proto per named port targeting the Service name;
 * - headless: A/AAAA per ready endpoint address at the Service name and at
 *   <hostname>.<svc> (hostname or the dashed address), PTR to the latter,
 *   SRV per named slice port and endpoint;
 * - ExternalName: a CNAME to spec.externalName.
 * Malformed parts (bad addresses, over-long names) are skipped. Returns the
 * number of records added.
 */
size_t dns_records_build_compact(const struct dns_svc *svc, const struct dns_slice *const *slices,
				 size_t nslices, const uint8_t *zone, size_t zonelen, uint32_t ttl,
				 struct dns_records *out);

/*
 * The same from the Service and EndpointSlice objects (borrowed), through
 * their compact copies: for tests and the fuzz target, and for callers that
 * hold JSON anyway. A Service without name or namespace has no records.
 */
size_t dns_records_build(const json_t *svc, const json_t *const *slices, size_t nslices,
			 const uint8_t *zone, size_t zonelen, uint32_t ttl,
			 struct dns_records *out);

/*
 * Appends one record (copies name and rdata). Returns 0, or -EINVAL when
 * name is not a wire name.
 */
int dns_records_add(struct dns_records *r, const uint8_t *name, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen);

/* Sorts by (name, type, rdata) and drops duplicates. */
void dns_records_sort(struct dns_records *r);

/* Frees every record and resets r. */
void dns_records_free(struct dns_records *r);

#endif
