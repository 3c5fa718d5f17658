/*
 * The record database; see db.h. Each Service entry owns its records; nodes
 * point at them. A node lives while it has records or children: a new node in
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
	char *key; /* owned */
	size_t klen;
	struct dns_records recs;
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
	n = xcalloc(1, sizeof(*n));
	n->name = xmalloc(len);
	memcpy(n->name, name, len);
	n->namelen = (uint8_t)len;
	dns_table_put(&db->names, dns_table_hash(name, len), n->name, len, n);
	if (in_zone_below_apex(db, name, len)) {
		size_t skip = 1 + (size_t)name[0];
		get_node(db, name + skip, len - skip)->children++;
	}
	return n;
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
		free(n->name);
		free(n->rr);
		free(n);
		n = parent;
	}
}

static void add_rr(struct dns_db *db, struct svc_entry *e, const struct dns_record *r)
{
	struct dns_node *n = get_node(db, r->name, r->namelen);
	if (n->nrr == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 2;
		n->rr = xrealloc(n->rr, n->cap * sizeof(*n->rr));
	}
	n->rr[n->nrr++] = (struct dns_rr){r->rdata, e, r->type, r->rdlen, r->ttl};
	db->nrecords++;
}

static void remove_entry_rrs(struct dns_db *db, struct svc_entry *e)
{
	for (size_t i = 0; i < e->recs.n; i++) {
		struct dns_node *n = find(db, e->recs.v[i].name, e->recs.v[i].namelen);
		if (!n)
			continue;
		uint32_t w = 0;
		for (uint32_t j = 0; j < n->nrr; j++)
			if (n->rr[j].src != e)
				n->rr[w++] = n->rr[j];
		db->nrecords -= n->nrr - w;
		n->nrr = w;
		maybe_drop(db, n);
	}
}

static void entry_free(struct svc_entry *e)
{
	if (!e)
		return;
	dns_records_free(&e->recs);
	free(e->key);
	free(e);
}

/* Replaces under the write lock; takes recs' contents. */
static void set_locked(struct dns_db *db, const char *key, struct dns_records *recs)
{
	size_t klen = strlen(key);
	uint64_t h = dns_table_hash(key, klen);
	struct svc_entry *e = dns_table_del(&db->svcs, h, key, klen);
	if (e)
		remove_entry_rrs(db, e);
	entry_free(e);
	if (!recs->n) {
		dns_records_free(recs);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->klen = klen;
	e->recs = *recs;
	*recs = (struct dns_records)DNS_RECORDS_INIT;
	dns_table_put(&db->svcs, h, e->key, klen, e);
	for (size_t i = 0; i < e->recs.n; i++)
		add_rr(db, e, &e->recs.v[i]);
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
	db->soa = (struct dns_rr){db->apex->recs.v[0].rdata, db->apex, DNS_T_SOA,
				  db->apex->recs.v[0].rdlen, ttl};
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
		struct svc_entry *e = db->svcs.ents[i].val;
		if (db->svcs.ents[i].key)
			entry_free(e);
	}
	for (size_t i = 0; i < db->names.cap; i++) {
		struct dns_node *n = db->names.ents[i].val;
		if (db->names.ents[i].key) {
			free(n->name);
			free(n->rr);
			free(n);
		}
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
