/* The IPVS schedulers (see scheduler.h), over an array of destinations. */
#include "proxy/scheduler.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* IPVS's multiplicative hash constant (2^32 / golden ratio, rounded). */
#define HASH_MULT 2654435761u

struct scheduler {
	enum sched_algo algo;
	struct sched_dest *dests;
	size_t n;
	bool sorted; /* dests in address:port order: sched_find searches in halves */
	/* rr: index of the last pick, -1 before the first one. */
	long last;
	struct ip_addr last_addr;
	uint16_t last_port;
	bool have_last;
	/* dh and sh: bucket -> destination index, -1 when there is none. */
	int table[SCHED_TABLE_SIZE];
	uint64_t rng;
};

static const char *const names[] = {
    [SCHED_ALG_RR] = "rr",	   [SCHED_ALG_LC] = "lc",   [SCHED_ALG_DH] = "dh",
    [SCHED_ALG_SH] = "sh",	   [SCHED_ALG_SED] = "sed", [SCHED_ALG_NQ] = "nq",
    [SCHED_ALG_RANDOM] = "random",
};

int sched_algo_parse(const char *name, enum sched_algo *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum sched_algo)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sched_algo_name(enum sched_algo algo)
{
	return (size_t)algo < sizeof(names) / sizeof(names[0]) ? names[algo] : "?";
}

struct scheduler *sched_new(enum sched_algo algo, uint64_t seed)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));
	s->algo = algo;
	s->last = -1;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < SCHED_TABLE_SIZE; i++)
		s->table[i] = -1;
	return s;
}

void sched_free(struct scheduler *s)
{
	if (!s)
		return;
	free(s->dests);
	free(s);
}

enum sched_algo sched_get_algo(const struct scheduler *s)
{
	return s->algo;
}

size_t sched_count(const struct scheduler *s)
{
	return s->n;
}

struct sched_dest *sched_dest_at(struct scheduler *s, size_t i)
{
	return i < s->n ? &s->dests[i] : NULL;
}

static int dest_cmp(const struct ip_addr *a, uint16_t ap, const struct ip_addr *b, uint16_t bp)
{
	int c = ip_cmp(a, b);
	return c ? c : (int)ap - (int)bp;
}

int sched_find(const struct scheduler *s, const struct ip_addr *addr, uint16_t port)
{
	if (s->sorted) {
		size_t lo = 0, hi = s->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = dest_cmp(&s->dests[mid].addr, s->dests[mid].port, addr, port);
			if (!c)
				return (int)mid;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->dests[i].port == port && !ip_cmp(&s->dests[i].addr, addr))
			return (int)i;
	return -1;
}

/* Fills the dh (one bucket each) or sh (`weight` buckets each) table, cycling the list. */
static void fill_table(struct scheduler *s)
{
	size_t d = 0;
	int count = 0;
	for (size_t i = 0; i < SCHED_TABLE_SIZE; i++) {
		if (!s->n) {
			s->table[i] = -1;
			continue;
		}
		s->table[i] = (int)d;
		if (s->algo == SCHED_ALG_DH || ++count >= s->dests[d].weight) {
			d = (d + 1) % s->n;
			count = 0;
		}
	}
}

/* Where rr goes on after the destinations change. */
static void keep_rr_position(struct scheduler *s)
{
	s->last = -1;
	if (!s->have_last)
		return;
	int i = sched_find(s, &s->last_addr, s->last_port);
	if (i >= 0) {
		s->last = i;
		return;
	}
	/* Gone: continue with the first destination that sorted after it. */
	for (size_t k = 0; k < s->n; k++) {
		if (dest_cmp(&s->dests[k].addr, s->dests[k].port, &s->last_addr, s->last_port) > 0)
			break;
		s->last = (long)k;
	}
}

void sched_set_dests(struct scheduler *s, const struct sched_dest *in, size_t n)
{
	struct sched_dest *nd = xcalloc(n ? n : 1, sizeof(*nd));
	for (size_t i = 0; i < n; i++) {
		nd[i] = in[i];
		nd[i].active = 0;
		nd[i].inactive = 0;
		int old = sched_find(s, &in[i].addr, in[i].port);
		if (old >= 0) {
			nd[i].active = s->dests[old].active;
			nd[i].inactive = s->dests[old].inactive;
		}
	}
	free(s->dests);
	s->dests = nd;
	s->n = n;
	s->sorted = true;
	for (size_t i = 1; i < n; i++)
		if (dest_cmp(&nd[i - 1].addr, nd[i - 1].port, &nd[i].addr, nd[i].port) >= 0)
			s->sorted = false;
	keep_rr_position(s);
	if (s->algo == SCHED_ALG_DH || s->algo == SCHED_ALG_SH)
		fill_table(s);
}

static bool available(const struct scheduler *s, size_t i, const bool *skip)
{
	return s->dests[i].weight > 0 && !s->dests[i].overloaded && !(skip && skip[i]);
}

static int pick_rr(struct scheduler *s, const bool *skip)
{
	for (size_t k = 0; k < s->n; k++) {
		size_t i = (size_t)(s->last + 1 + (long)k) % s->n;
		if (available(s, i, skip))
			return (int)i;
	}
	return -1;
}

static int pick_lc(const struct scheduler *s, const bool *skip)
{
	int least = -1;
	uint64_t loh = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!available(s, i, skip))
			continue;
		uint64_t doh = ((uint64_t)s->dests[i].active << 8) + s->dests[i].inactive;
		if (least < 0 || doh < loh) {
			least = (int)i;
			loh = doh;
		}
	}
	return least;
}

/* sed, and nq when idle_first: min (active + 1) / weight, compared by cross-multiplying. */
static int pick_sed(const struct scheduler *s, const bool *skip, bool idle_first)
{
	int least = -1;
	uint64_t loh = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!available(s, i, skip))
			continue;
		uint64_t doh = (uint64_t)s->dests[i].active + 1;
		if (idle_first && s->dests[i].active == 0)
			return (int)i;
		if (least < 0 ||
		    loh * (uint64_t)s->dests[i].weight > doh * (uint64_t)s->dests[least].weight) {
			least = (int)i;
			loh = doh;
		}
	}
	return least;
}

/* An address folded to 32 bits in host order, as IPVS hashes it. */
static uint32_t fold(const struct ip_addr *a)
{
	uint32_t v = 0;
	for (int w = 0; w < (a->family == IP_V6 ? 4 : 1); w++)
		v ^= (uint32_t)a->b[4 * w] << 24 | (uint32_t)a->b[4 * w + 1] << 16 |
		     (uint32_t)a->b[4 * w + 2] << 8 | a->b[4 * w + 3];
	return v;
}

static unsigned bucket(const struct ip_addr *a, unsigned offset)
{
	return (offset + fold(a) * HASH_MULT) & (SCHED_TABLE_SIZE - 1);
}

/* dh and sh: the bucket of addr; with fallback, walk on from it while unavailable. */
static int pick_hash(const struct scheduler *s, const struct ip_addr *addr, const bool *skip,
		     bool fallback)
{
	if (!addr || !s->n)
		return -1;
	unsigned h = bucket(addr, 0);
	int d = s->table[h];
	if (d < 0 || available(s, (size_t)d, skip))
		return d;
	if (!fallback)
		return -1;
	for (unsigned off = 0; off < SCHED_TABLE_SIZE; off++) {
		d = s->table[bucket(addr, (h + off) % SCHED_TABLE_SIZE)];
		if (d >= 0 && available(s, (size_t)d, skip))
			return d;
	}
	return -1;
}

static uint64_t next_random(struct scheduler *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static int pick_random(struct scheduler *s, const bool *skip)
{
	uint64_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		if (available(s, i, skip))
			total += (uint64_t)s->dests[i].weight;
	if (!total)
		return -1;
	uint64_t r = next_random(s) % total;
	for (size_t i = 0; i < s->n; i++) {
		if (!available(s, i, skip))
			continue;
		if (r < (uint64_t)s->dests[i].weight)
			return (int)i;
		r -= (uint64_t)s->dests[i].weight;
	}
	return -1;
}

int sched_pick(struct scheduler *s, const struct ip_addr *src, const struct ip_addr *dst,
	       const bool *skip, bool fallback)
{
	int i = -1;
	switch (s->algo) {
	case SCHED_ALG_RR:
		i = pick_rr(s, skip);
		break;
	case SCHED_ALG_LC:
		i = pick_lc(s, skip);
		break;
	case SCHED_ALG_DH:
		i = pick_hash(s, dst, skip, fallback);
		break;
	case SCHED_ALG_SH:
		i = pick_hash(s, src, skip, fallback);
		break;
	case SCHED_ALG_SED:
		i = pick_sed(s, skip, false);
		break;
	case SCHED_ALG_NQ:
		i = pick_sed(s, skip, true);
		break;
	case SCHED_ALG_RANDOM:
		i = pick_random(s, skip);
		break;
	}
	if (i >= 0 && s->algo == SCHED_ALG_RR) {
		s->last = i;
		s->last_addr = s->dests[i].addr;
		s->last_port = s->dests[i].port;
		s->have_last = true;
	}
	return i;
}

static unsigned add_floor0(unsigned v, int d)
{
	if (d < 0 && (unsigned)-d > v)
		return 0;
	return (unsigned)((int64_t)v + d);
}

void sched_count_conn(struct scheduler *s, const struct ip_addr *addr, uint16_t port, int d_active,
		      int d_inactive)
{
	int i = sched_find(s, addr, port);
	if (i < 0)
		return;
	s->dests[i].active = add_floor0(s->dests[i].active, d_active);
	s->dests[i].inactive = add_floor0(s->dests[i].inactive, d_inactive);
}
