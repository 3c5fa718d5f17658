/*
 * The record database of the DNS server: every owner name of the cluster
 * zone and the reverse zones in one hash table keyed by the lowercased wire
 * name, each with its records. Writers (the informer threads) replace the
 * records of one Service at a time under a write lock; readers (the query
 * threads) hold the read lock across a batch of lookups. Names that exist only
 * because a name below them exists (empty non-terminals such as
 * "default.svc.cluster.local") are kept as nodes without records, so that
 * they answer NODATA rather than NXDOMAIN.
 */
#ifndef SVCNET_DNS_DB_H
#define SVCNET_DNS_DB_H

#include "dns/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_db;

/* One record of a node; rdata is borrowed from the contributing Service. */
struct dns_rr {
	const uint8_t *rdata;
	const void *src; /* the contributing Service entry */
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
};

/*
 * One owner name, in one allocation with its name. Most names have one
 * record (or none: empty non-terminals), which lives in the node itself.
 */
struct dns_node {
	struct dns_rr *rr; /* the records: &one while cap is 1, else owned */
	uint32_t nrr;
	uint32_t cap;
	uint32_t children; /* nodes directly below this one */
	uint8_t namelen;
	struct dns_rr one;
	uint8_t name[]; /* lowercased wire form */
};

/*
 * Creates a database for zone (text, "cluster.local"), with its SOA, NS and
 * dns-version TXT records, every TTL being ttl. Returns NULL for a bad zone
 * name. The caller frees it with dns_db_free.
 */
struct dns_db *dns_db_new(const char *zone, uint32_t ttl);
void dns_db_free(struct dns_db *db);

/*
 * Replaces the records of the Service under key ("namespace/name") with
 * recs, taking ownership of recs' contents (recs is reset); an empty recs
 * removes the Service. Takes the write lock.
 */
void dns_db_set_service(struct dns_db *db, const char *key, struct dns_records *recs);

/* Marks the first complete sync; before it, cluster names answer SERVFAIL. */
void dns_db_set_synced(struct dns_db *db, bool synced);
bool dns_db_synced(const struct dns_db *db);

/* The read lock, held across lookups and while their records are used. */
void dns_db_rdlock(struct dns_db *db);
void dns_db_unlock(struct dns_db *db);

/* The node of a lowercased wire name, or NULL. Read lock held. */
const struct dns_node *dns_db_find(const struct dns_db *db, const uint8_t *name, size_t len);

/* The zone apex (lowercased wire form) and its length. */
const uint8_t *dns_db_zone(const struct dns_db *db, size_t *len);

/* The apex SOA record (read lock held). */
const struct dns_rr *dns_db_soa(const struct dns_db *db);

/* Sizes for metrics: Services, names and records. Takes the read lock. */
void dns_db_stats(struct dns_db *db, size_t *services, size_t *names, size_t *records);

#endif
