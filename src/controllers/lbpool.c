/* The LoadBalancer address pool (lbpool.h): one bitmap per family, keys to addresses. */
#include "controllers/lbpool.h"

#include "base/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V6_MAX_SIZE 65536

struct range {
	struct ip_cidr cidr;
	struct ip_addr first; /* offset 0 of the bitmap */
	size_t size;	      /* usable addresses */
	uint64_t *bits;
	size_t used;
};

struct lbpool {
	struct range r[2]; /* [0] IPv4, [1] IPv6; size 0 when absent */
	json_t *held;	   /* key -> {"4": "ip", "6": "ip"} */
};

static struct range *range_of(struct lbpool *p, enum ip_family fam)
{
	struct range *r = &p->r[fam == IP_V6];
	return r->size ? r : NULL;
}

static int add_range(struct lbpool *p, const char *s, char **err)
{
	struct ip_cidr c;
	if (ip_cidr_parse(s, false, &c) < 0) {
		*err = xasprintf("--lb-pool: \"%s\" is not a CIDR", s);
		return -EINVAL;
	}
	struct range *r = &p->r[c.addr.family == IP_V6];
	if (r->size) {
		*err =
		    xasprintf("--lb-pool: more than one %s range", ip_family_name(c.addr.family));
		return -EINVAL;
	}
	uint64_t size = ip_cidr_size(&c);
	r->cidr = c;
	r->first = c.addr;
	if (c.addr.family == IP_V4 && c.prefix <= 30) {
		/* The network and broadcast addresses are not given out. */
		if (ip_add(&c.addr, 1, &r->first) < 0)
			return -EINVAL;
		size -= 2;
	}
	if (size > V6_MAX_SIZE && c.addr.family == IP_V6)
		size = V6_MAX_SIZE;
	r->size = (size_t)size;
	r->bits = xcalloc((r->size + 63) / 64 + 1, sizeof(uint64_t));
	return 0;
}

int lbpool_new(const char *cidrs, struct lbpool **out, char **err)
{
	struct lbpool *p = xcalloc(1, sizeof(*p));
	char *copy = xstrdup(cidrs ? cidrs : ""), *save = NULL;
	int rc = 0;
	p->held = json_object();
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
		rc = add_range(p, tok, err);
	if (!rc && !p->r[0].size && !p->r[1].size) {
		*err = xasprintf("--lb-pool: no range given");
		rc = -EINVAL;
	}
	free(copy);
	if (rc) {
		lbpool_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void lbpool_free(struct lbpool *p)
{
	if (!p)
		return;
	free(p->r[0].bits);
	free(p->r[1].bits);
	json_decref(p->held);
	free(p);
}

/* The bitmap offset of a, or -ERANGE when a is not a pool address. */
static int64_t offset_of(const struct range *r, const struct ip_addr *a)
{
	uint64_t off;
	if (!ip_cidr_contains(&r->cidr, a) || ip_offset(&r->first, a, &off) < 0 || off >= r->size)
		return -ERANGE;
	return (int64_t)off;
}

static bool bit(const struct range *r, size_t i)
{
	return r->bits[i / 64] >> (i % 64) & 1;
}

static void set_bit(struct range *r, size_t i, bool on)
{
	if (bit(r, i) == on)
		return;
	r->bits[i / 64] ^= (uint64_t)1 << (i % 64);
	r->used += on ? 1 : (size_t)-1;
}

static const char *fam_key(enum ip_family fam)
{
	return fam == IP_V6 ? "6" : "4";
}

/* The address key holds in fam, or NULL. */
static const char *held_ip(struct lbpool *p, const char *key, enum ip_family fam)
{
	const json_t *v = json_object_get(json_object_get(p->held, key), fam_key(fam));
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Frees key's address of fam in the bitmap and the map. */
static void release_fam(struct lbpool *p, const char *key, enum ip_family fam)
{
	const char *ip = held_ip(p, key, fam);
	struct range *r = range_of(p, fam);
	struct ip_addr a;
	if (ip && r && ip_addr_parse(ip, &a) == 0 && offset_of(r, &a) >= 0)
		set_bit(r, (size_t)offset_of(r, &a), false);
	json_t *h = json_object_get(p->held, key);
	json_object_del(h, fam_key(fam));
	if (h && !json_object_size(h))
		json_object_del(p->held, key);
}

/* Makes key hold a (offset off of range r). */
static void take(struct lbpool *p, struct range *r, const char *key, const struct ip_addr *a,
		 size_t off)
{
	char buf[IP_STRLEN];
	set_bit(r, off, true);
	json_t *h = json_object_get(p->held, key);
	if (!h)
		json_object_set_new(p->held, key, h = json_object());
	json_object_set_new(h, fam_key(a->family), json_string(ip_addr_format(a, buf)));
}

int lbpool_mark(struct lbpool *p, const char *key, const char *ip)
{
	struct ip_addr a;
	char buf[IP_STRLEN];
	if (ip_addr_parse(ip, &a) < 0)
		return -EINVAL;
	struct range *r = range_of(p, a.family);
	int64_t off = r ? offset_of(r, &a) : -ERANGE;
	if (off < 0)
		return -ERANGE;
	const char *have = held_ip(p, key, a.family);
	if (have)
		return !strcmp(have, ip_addr_format(&a, buf)) ? 0 : -EINVAL;
	if (bit(r, (size_t)off))
		return -EEXIST;
	take(p, r, key, &a, (size_t)off);
	return 0;
}

/* The lowest free offset, or -ENOSPC. */
static int64_t lowest_free(const struct range *r)
{
	for (size_t w = 0; w * 64 < r->size; w++) {
		if (r->bits[w] == UINT64_MAX)
			continue;
		for (size_t i = w * 64; i < r->size && i < w * 64 + 64; i++)
			if (!bit(r, i))
				return (int64_t)i;
	}
	return -ENOSPC;
}

/* Checks a requested address: its offset in r, or a negative errno. */
static int64_t check_requested(struct range *r, const char *requested, struct ip_addr *a)
{
	if (ip_addr_parse(requested, a) < 0)
		return -EINVAL;
	return offset_of(r, a);
}

int lbpool_alloc(struct lbpool *p, const char *key, enum ip_family fam, const char *requested,
		 char out[IP_STRLEN])
{
	struct range *r = range_of(p, fam);
	struct ip_addr a;
	const char *have = held_ip(p, key, fam);
	if (!r)
		return -EAFNOSUPPORT;
	if (requested && *requested) {
		int64_t off = check_requested(r, requested, &a);
		if (off < 0)
			return (int)off;
		if (have && !strcmp(have, ip_addr_format(&a, out)))
			return 0;
		if (bit(r, (size_t)off))
			return -EADDRINUSE;
		release_fam(p, key, fam);
		take(p, r, key, &a, (size_t)off);
		ip_addr_format(&a, out);
		return 0;
	}
	if (have) {
		snprintf(out, IP_STRLEN, "%s", have);
		return 0;
	}
	int64_t off = lowest_free(r);
	if (off < 0 || ip_add(&r->first, (uint64_t)off, &a) < 0)
		return -ENOSPC;
	take(p, r, key, &a, (size_t)off);
	ip_addr_format(&a, out);
	return 0;
}

int lbpool_lookup(struct lbpool *p, const char *key, enum ip_family fam, char out[IP_STRLEN])
{
	const char *have = held_ip(p, key, fam);
	if (!have)
		return -ENOENT;
	snprintf(out, IP_STRLEN, "%s", have);
	return 0;
}

void lbpool_release(struct lbpool *p, const char *key)
{
	release_fam(p, key, IP_V4);
	release_fam(p, key, IP_V6);
}

int lbpool_has_family(const struct lbpool *p, enum ip_family fam)
{
	return p->r[fam == IP_V6].size != 0;
}

void lbpool_stats(const struct lbpool *p, size_t *used, size_t *total)
{
	*used = p->r[0].used + p->r[1].used;
	*total = p->r[0].size + p->r[1].size;
}
