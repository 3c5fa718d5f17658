/*
 * The record database; see db.h. Each Service entry owns its records, held
 * with its key in one block (a Service has a few records, and a vector, a
 * key and a block per record would cost more than the records); nodes point
 * at them. A node lives while it has records or children: a new node in
 * the cluster zone counts itself in its parent (created as needed up to the
 * apex), and a node left with neither is removed, which may remove its parent.
 */
#include "dns/db.h"

#include "base/strbuf.h"
#include "dns/table.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct svc_entry {
	const char *key;	 /* in this block, after the records' bytes */
	struct dns_record *recs; /* in this block; names and rdata too */
	size_t nrecs;
	size_t klen;
};

struct dns_db {
	pthread_rwlock_t lock;
	struct dns_table names; /* wire name -> struct dns_node */
	struct dns_table svcs;	/* key -> struct svc_entry */
	uint8_t zone[DNS_NAME_MAX];
	size_t zonelen;
	struct svc_entry *apex; /* SOA, NS, dns-version */
	struct dns_rr soa;
	size_t nrecords;
	int synced;
};

static struct dns_node *find(const struct dns_db *db, const uint8_t *name, size_t len)
{
	return dns_table_get(&db->names, dns_table_hash(name, len), name, len);
}

static bool in_zone_below_apex(const struct dns_db *db, const uint8_t *name, size_t len)
{
	return len > db->zonelen && dns_name_in_zone(name, len, db->zone, db->zonelen);
}

static bool is_apex(const struct dns_db *db, const uint8_t *name, size_t len)
{
	return len == db->zonelen && !memcmp(name, db->zone, len);
}

static struct dns_node *get_node(struct dns_db *db, const uint8_t *name, size_t len)
{
	struct dns_node *n = find(db, name, len);
	if (n)
		return n;
	n = xcalloc(1, sizeof(*n) + len);
	memcpy(n->name, name, len);
	n->namelen = (uint8_t)len;
	n->rr = &n->one;
	n->cap = 1;
	dns_table_put(&db->names, dns_table_hash(name, len), n->name, len, n);
	if (in_zone_below_apex(db, name, len)) {
		size_t skip = 1 + (size_t)name[0];
		get_node(db, name + skip, len - skip)->children++;
	}
	return n;
}

static void node_free(struct dns_node *n)
{
	if (n->rr != &n->one)
		free(n->rr);
	free(n);
}

static void maybe_drop(struct dns_db *db, struct dns_node *n)
{
	while (n && !n->nrr && !n->children && !is_apex(db, n->name, n->namelen)) {
		dns_table_del(&db->names, dns_table_hash(n->name, n->namelen), n->name, n->namelen);
		struct dns_node *parent = NULL;
		if (in_zone_below_apex(db, n->name, n->namelen)) {
			size_t skip = 1 + (size_t)n->name[0];
			parent = find(db, n->name + skip, n->namelen - skip);
			if (parent)
				parent->children--;
		}
		node_free(n);
		n = parent;
	}
}

static void add_rr(struct dns_db *db, struct svc_entry *e, const struct dns_record *r)
{
	struct dns_node *n = get_node(db, r->name, r->namelen);
	if (n->nrr == n->cap) {
		struct dns_rr *inline_rr = n->rr == &n->one ? n->rr : NULL;
		n->cap *= 2;
		n->rr = xrealloc(inline_rr ? NULL : n->rr, n->cap * sizeof(*n->rr));
		if (inline_rr)
			n->rr[0] = n->one;
	}
	n->rr[n->nrr++] = (struct dns_rr){r->rdata, e, r->type, r->rdlen, r->ttl};
	db->nrecords++;
}

static void remove_entry_rrs(struct dns_db *db, struct svc_entry *e)
{
	for (size_t i = 0; i < e->nrecs; i++) {
		struct dns_node *n = find(db, e->recs[i].name, e->recs[i].namelen);
		if (!n)
			continue;
		uint32_t w = 0;
		for (uint32_t j = 0; j < n->nrr; j++)
			if (n->rr[j].src != e)
				n->rr[w++] = n->rr[j];
		db->nrecords -= n->nrr - w;
		n->nrr = w;
		if (w <= 1 && n->rr != &n->one) {
			/* Back into the node: a name rarely keeps two records. */
			if (w)
				n->one = n->rr[0];
			free(n->rr);
			n->rr = &n->one;
			n->cap = 1;
		}
		maybe_drop(db, n);
	}
}

/* The entry of key with a copy of recs, in one block. */
static struct svc_entry *entry_new(const char *key, size_t klen, const struct dns_records *recs)
{
	size_t bytes = 0;
	for (size_t i = 0; i < recs->n; i++)
		bytes += recs->v[i].namelen + (size_t)recs->v[i].rdlen;
	struct svc_entry *e = xmalloc(sizeof(*e) + recs->n * sizeof(*e->recs) + bytes + klen + 1);
	e->recs = (struct dns_record *)(e + 1);
	e->nrecs = recs->n;
	uint8_t *p = (uint8_t *)(e->recs + recs->n);
	for (size_t i = 0; i < recs->n; i++) {
		const struct dns_record *r = &recs->v[i];
		e->recs[i] = *r;
		e->recs[i].name = p;
		memcpy(p, r->name, r->namelen);
		p += r->namelen;
		e->recs[i].rdata = p;
		memcpy(p, r->rdata, r->rdlen);
		p += r->rdlen;
	}
	memcpy(p, key, klen + 1);
	e->key = (const char *)p;
	e->klen = klen;
	return e;
}

/* Replaces under the write lock; recs is copied into the entry, then freed. */
static void set_locked(struct dns_db *db, const char *key, struct dns_records *recs)
{
	size_t klen = strlen(key);
	uint64_t h = dns_table_hash(key, klen);
	struct svc_entry *e = dns_table_del(&db->svcs, h, key, klen);
	if (e)
		remove_entry_rrs(db, e);
	free(e);
	if (recs->n) {
		e = entry_new(key, klen, recs);
		dns_table_put(&db->svcs, h, e->key, klen, e);
		for (size_t i = 0; i < e->nrecs; i++)
			add_rr(db, e, &e->recs[i]);
	}
	dns_records_free(recs);
}

static void bump_serial(struct dns_db *db)
{
	/* The SOA rdata is two names, then serial: patched in place. */
	uint8_t *p = (uint8_t *)db->soa.rdata;
	for (int i = 0; i < 2; i++) {
		while (*p)
			p += 1 + *p;
		p++;
	}
	dns_put32(p, (uint32_t)time(NULL));
}

void dns_db_set_service(struct dns_db *db, const char *key, struct dns_records *recs)
{
	pthread_rwlock_wrlock(&db->lock);
	set_locked(db, key, recs);
	bump_serial(db);
	pthread_rwlock_unlock(&db->lock);
}

/* The apex records: SOA as CoreDNS writes it, NS, and the schema version. */
static void add_apex(struct dns_db *db, uint32_t ttl)
{
	struct dns_records r = DNS_RECORDS_INIT;
	uint8_t rd[2 * DNS_NAME_MAX + 20], ver[DNS_NAME_MAX];
	size_t n = 0, zl = db->zonelen;

	/* mname ns.dns.<zone>, rname hostmaster.<zone> */
	memcpy(rd,
	       "\x02ns\x03"
	       "dns",
	       7);
	memcpy(rd + 7, db->zone, zl);
	n = 7 + zl;
	memcpy(rd + n, "\x0ahostmaster", 11);
	memcpy(rd + n + 11, db->zone, zl);
	n += 11 + zl;
	const uint32_t times[5] = {(uint32_t)time(NULL), 7200, 1800, 86400, ttl};
	for (int i = 0; i < 5; i++, n += 4)
		dns_put32(rd + n, times[i]);
	dns_records_add(&r, db->zone, DNS_T_SOA, ttl, rd, (uint16_t)n);
	dns_records_add(&r, db->zone, DNS_T_NS, ttl, rd, (uint16_t)(7 + zl));
	memcpy(ver,
	       "\x0b"
	       "dns-version",
	       12);
	memcpy(ver + 12, db->zone, zl);
	dns_records_add(&r, ver, DNS_T_TXT, ttl,
			(const uint8_t *)"\x05"
					 "1.1.0",
			6);
	set_locked(db, "", &r);
	db->apex = dns_table_get(&db->svcs, dns_table_hash("", 0), "", 0);
	db->soa = (struct dns_rr){db->apex->recs[0].rdata, db->apex, DNS_T_SOA,
				  db->apex->recs[0].rdlen, ttl};
}

struct dns_db *dns_db_new(const char *zone, uint32_t ttl)
{
	uint8_t z[DNS_NAME_MAX];
	int zl = dns_name_from_text(zone, z);
	/* The zone needs room for "hostmaster." in the SOA and names below it. */
	if (zl < 2 || zl > 180)
		return NULL;
	struct dns_db *db = xcalloc(1, sizeof(*db));
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	/* Queries never starve the informer threads that apply changes. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&db->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	memcpy(db->zone, z, (size_t)zl);
	db->zonelen = (size_t)zl;
	add_apex(db, ttl);
	return db;
}

void dns_db_free(struct dns_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->svcs.cap; i++) {
		if (db->svcs.ents[i].key)
			free(db->svcs.ents[i].val);
	}
	for (size_t i = 0; i < db->names.cap; i++) {
		if (db->names.ents[i].key)
			node_free(db->names.ents[i].val);
	}
	dns_table_free(&db->svcs);
	dns_table_free(&db->names);
	pthread_rwlock_destroy(&db->lock);
	free(db);
}

void dns_db_set_synced(struct dns_db *db, bool synced)
{
	__atomic_store_n(&db->synced, synced ? 1 : 0, __ATOMIC_RELEASE);
}

bool dns_db_synced(const struct dns_db *db)
{
	return __atomic_load_n(&db->synced, __ATOMIC_ACQUIRE) != 0;
}

void dns_db_rdlock(struct dns_db *db)
{
	pthread_rwlock_rdlock(&db->lock);
}

void dns_db_unlock(struct dns_db *db)
{
	pthread_rwlock_unlock(&db->lock);
}

const struct dns_node *dns_db_find(const struct dns_db *db, const uint8_t *name, size_t len)
{
	return find(db, name, len);
}

const uint8_t *dns_db_zone(const struct dns_db *db, size_t *len)
{
	*len = db->zonelen;
	return db->zone;
}

const struct dns_rr *dns_db_soa(const struct dns_db *db)
{
	return &db->soa;
}

void dns_db_stats(struct dns_db *db, size_t *services, size_t *names, size_t *records)
{
	pthread_rwlock_rdlock(&db->lock);
	*services = db->svcs.n - 1; /* the apex entry is no Service */
	*names = db->names.n;
	*records = db->nrecords;
	pthread_rwlock_unlock(&db->lock);
}
