/* The hash table of the DNS database; see table.h. */
#include "dns/table.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

uint64_t dns_table_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static size_t slot_of(const struct dns_table *t, uint64_t hash, const void *key, size_t len)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const struct dns_table_ent *e = &t->ents[i];
		if (!e->key ||
		    (e->hash == (uint32_t)hash && e->klen == len && !memcmp(e->key, key, len)))
			return i;
	}
}

void *dns_table_get(const struct dns_table *t, uint64_t hash, const void *key, size_t len)
{
	if (!t->n)
		return NULL;
	const struct dns_table_ent *e = &t->ents[slot_of(t, hash, key, len)];
	return e->key ? e->val : NULL;
}

static void grow(struct dns_table *t)
{
	struct dns_table old = *t;
	t->cap = old.cap ? old.cap * 2 : 64;
	t->ents = xcalloc(t->cap, sizeof(*t->ents));
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.ents[i].key)
			dns_table_put(t, old.ents[i].hash, old.ents[i].key, old.ents[i].klen,
				      old.ents[i].val);
	free(old.ents);
}

void dns_table_put(struct dns_table *t, uint64_t hash, const void *key, size_t len, void *val)
{
	/*
	 * At most 3/4 full: a lookup that finds its key (most queries) probes
	 * 2.5 slots on average there, of 24 bytes each, mostly in one cache
	 * line; half full would double the table for half a probe.
	 */
	if ((t->n + 1) * 4 > t->cap * 3)
		grow(t);
	struct dns_table_ent *e = &t->ents[slot_of(t, hash, key, len)];
	e->hash = (uint32_t)hash;
	e->key = key;
	e->klen = (uint32_t)len;
	e->val = val;
	t->n++;
}

void *dns_table_del(struct dns_table *t, uint64_t hash, const void *key, size_t len)
{
	if (!t->n)
		return NULL;
	size_t mask = t->cap - 1, i = slot_of(t, hash, key, len);
	if (!t->ents[i].key)
		return NULL;
	void *val = t->ents[i].val;
	/* Backward shift: move later members of the cluster into the hole when
	 * their home slot does not lie cyclically in (hole, their slot]. */
	for (size_t j = (i + 1) & mask; t->ents[j].key; j = (j + 1) & mask) {
		size_t home = t->ents[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->ents[i] = t->ents[j];
			i = j;
		}
	}
	memset(&t->ents[i], 0, sizeof(t->ents[i]));
	t->n--;
	return val;
}

void dns_table_free(struct dns_table *t)
{
	free(t->ents);
	memset(t, 0, sizeof(*t));
}
