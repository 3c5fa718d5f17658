/*
 * An open-addressing hash table (linear probing, backward-shift deletion)
 * from byte-string keys to pointers, for the DNS database: a lookup hashes the
 * key once and probes adjacent slots, allocating nothing. Not thread safe:
 * the database guards it with its lock.
 */
#ifndef SVCNET_DNS_TABLE_H
#define SVCNET_DNS_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct dns_table_ent {
	uint32_t hash; /* the low half of dns_table_hash: enough for 2^32 slots */
	uint32_t klen;
	const uint8_t *key; /* borrowed from the value; NULL for an empty slot */
	void *val;
};

struct dns_table {
	struct dns_table_ent *ents; /* owned; cap slots, a power of two, at most 3/4 used */
	size_t cap;
	size_t n;
};

/* FNV-1a over len bytes. */
uint64_t dns_table_hash(const void *key, size_t len);

/* The value under key (hash from dns_table_hash), or NULL. */
void *dns_table_get(const struct dns_table *t, uint64_t hash, const void *key, size_t len);

/*
 * Inserts val under key, which must not be present and must stay valid
 * while it is (it usually lives in val). Grows the table as needed.
 */
void dns_table_put(struct dns_table *t, uint64_t hash, const void *key, size_t len, void *val);

/* Removes key; returns its value or NULL. */
void *dns_table_del(struct dns_table *t, uint64_t hash, const void *key, size_t len);

/* Frees the slots (not the values) and resets t. */
void dns_table_free(struct dns_table *t);

#endif
