/* Session affinity tables: a chained hash table from client address to backend. */
#include "proxy/affinity.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	struct ip_addr client;
	struct ip_addr backend;
	uint16_t port;
	uint64_t last_used_ms;
};

struct affinity {
	struct entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t count;
	uint64_t timeout_ms;
};

struct affinity *affinity_new(unsigned timeout_s)
{
	struct affinity *a = xcalloc(1, sizeof(*a));
	a->n_buckets = 64;
	a->buckets = xcalloc(a->n_buckets, sizeof(*a->buckets));
	a->timeout_ms = (uint64_t)timeout_s * 1000;
	return a;
}

void affinity_free(struct affinity *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_buckets; i++) {
		struct entry *e = a->buckets[i];
		while (e) {
			struct entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(a->buckets);
	free(a);
}

void affinity_set_timeout(struct affinity *a, unsigned timeout_s)
{
	a->timeout_ms = (uint64_t)timeout_s * 1000;
}

size_t affinity_count(const struct affinity *a)
{
	return a->count;
}

/* FNV-1a over the address bytes. */
static size_t hash(const struct ip_addr *ip)
{
	uint64_t h = 1469598103934665603ull;
	int len = ip->family == IP_V6 ? 16 : 4;
	h = (h ^ (uint64_t)ip->family) * 1099511628211ull;
	for (int i = 0; i < len; i++)
		h = (h ^ ip->b[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

static struct entry **slot(struct affinity *a, const struct ip_addr *client)
{
	struct entry **p = &a->buckets[hash(client) & (a->n_buckets - 1)];
	while (*p && ip_cmp(&(*p)->client, client))
		p = &(*p)->next;
	return p;
}

static void remove_at(struct affinity *a, struct entry **p)
{
	struct entry *e = *p;
	*p = e->next;
	free(e);
	a->count--;
}

bool affinity_lookup(struct affinity *a, const struct ip_addr *client, uint64_t now_ms,
		     struct ip_addr *backend, uint16_t *port)
{
	struct entry **p = slot(a, client);
	if (!*p)
		return false;
	if (now_ms - (*p)->last_used_ms >= a->timeout_ms) {
		remove_at(a, p);
		return false;
	}
	(*p)->last_used_ms = now_ms;
	*backend = (*p)->backend;
	*port = (*p)->port;
	return true;
}

static void grow(struct affinity *a)
{
	size_t n = a->n_buckets * 2;
	struct entry **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < a->n_buckets; i++) {
		struct entry *e = a->buckets[i];
		while (e) {
			struct entry *next = e->next;
			size_t h = hash(&e->client) & (n - 1);
			e->next = b[h];
			b[h] = e;
			e = next;
		}
	}
	free(a->buckets);
	a->buckets = b;
	a->n_buckets = n;
}

void affinity_record(struct affinity *a, const struct ip_addr *client,
		     const struct ip_addr *backend, uint16_t port, uint64_t now_ms)
{
	struct entry **p = slot(a, client);
	if (!*p) {
		if (a->count >= a->n_buckets) {
			grow(a);
			p = slot(a, client);
		}
		*p = xcalloc(1, sizeof(**p));
		(*p)->client = *client;
		a->count++;
	}
	(*p)->backend = *backend;
	(*p)->port = port;
	(*p)->last_used_ms = now_ms;
}

void affinity_retain(struct affinity *a,
		     bool (*keep)(const struct ip_addr *backend, uint16_t port, void *arg),
		     void *arg)
{
	for (size_t i = 0; i < a->n_buckets; i++) {
		struct entry **p = &a->buckets[i];
		while (*p) {
			if (keep(&(*p)->backend, (*p)->port, arg))
				p = &(*p)->next;
			else
				remove_at(a, p);
		}
	}
}

size_t affinity_expire(struct affinity *a, uint64_t now_ms)
{
	size_t gone = 0;
	for (size_t i = 0; i < a->n_buckets; i++) {
		struct entry **p = &a->buckets[i];
		while (*p) {
			if (now_ms - (*p)->last_used_ms >= a->timeout_ms) {
				remove_at(a, p);
				gone++;
			} else {
				p = &(*p)->next;
			}
		}
	}
	return gone;
}
