/*
 * The eBPF mode's maps from the service map: one services entry per
 * clusterIP:port of TCP and UDP Service ports, its endpoints in backend
 * slots 0..n-1 and, with Maglev, a lookup table of slots. Only what the
 * diff names is written; a slot change is ordered so that a connect never
 * sees a count beyond the slots written: each sync writes all backend slots
 * and Maglev tables first, then the services entries, then removes the slots
 * beyond a shrunk count. Writes go to the kernel in batches (one system call
 * per map and sync, not per entry).
 */
#include "proxy/bpf/ebpf_mode.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ebpf_svcs_free(struct ebpf_state *st)
{
	for (size_t i = 0; i < st->n_svcs; i++)
		free(st->svcs[i].key);
	free(st->svcs);
	st->svcs = NULL;
	st->n_svcs = st->cap_svcs = 0;
	free(st->free_ids);
	st->free_ids = NULL;
	st->n_free = st->cap_free = 0;
	st->next_id = 0;
}

#ifdef SVCNET_HAVE_EBPF

#include "proxy/bpf/maglev.h"

#include <bpf/bpf.h>
#include <netinet/in.h>

static int cmp_svc(const struct ebpf_svc *s, const char *key, enum ip_family family)
{
	int c = strcmp(s->key, key);
	return c ? c : (int)s->family - (int)family;
}

/* The index of (key, family) in st->svcs, or where it would go. */
static size_t svc_index(const struct ebpf_state *st, const char *key, enum ip_family family,
			bool *found)
{
	size_t lo = 0, hi = st->n_svcs;
	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_svc(&st->svcs[mid], key, family);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ebpf_svc *svc_add(struct ebpf_state *st, size_t at, const char *key,
				enum ip_family family)
{
	if (st->n_svcs == st->cap_svcs) {
		st->cap_svcs = st->cap_svcs ? st->cap_svcs * 2 : 64;
		st->svcs = xrealloc(st->svcs, st->cap_svcs * sizeof(*st->svcs));
	}
	memmove(&st->svcs[at + 1], &st->svcs[at], (st->n_svcs - at) * sizeof(*st->svcs));
	st->n_svcs++;
	struct ebpf_svc *s = &st->svcs[at];
	memset(s, 0, sizeof(*s));
	s->key = xstrdup(key);
	s->family = family;
	s->id = st->n_free ? st->free_ids[--st->n_free] : ++st->next_id;
	return s;
}

static void svc_remove_at(struct ebpf_state *st, size_t at)
{
	if (st->n_free == st->cap_free) {
		st->cap_free = st->cap_free ? st->cap_free * 2 : 64;
		st->free_ids = xrealloc(st->free_ids, st->cap_free * sizeof(*st->free_ids));
	}
	st->free_ids[st->n_free++] = st->svcs[at].id;
	free(st->svcs[at].key);
	memmove(&st->svcs[at], &st->svcs[at + 1], (st->n_svcs - at - 1) * sizeof(*st->svcs));
	st->n_svcs--;
}

static void addr_words(const struct ip_addr *a, uint32_t out[4])
{
	memset(out, 0, 16);
	memcpy(out, a->b, a->family == IP_V6 ? 16 : 4);
}

/* Whether the mode serves p: a TCP or UDP port of a Service with a clusterIP. */
static bool served(const struct svcmap_port *p)
{
	return (p->protocol == IPPROTO_TCP || p->protocol == IPPROTO_UDP) &&
	       (p->cluster_ip.family == IP_V4 || p->cluster_ip.family == IP_V6);
}

/* Entries to write to one map, sent in one system call. */
struct batch {
	const char *what; /* the map, for messages */
	size_t ksz, vsz;
	char *keys, *vals;
	size_t n, cap;
};

/* The writes and deletions of one sync, in the order they reach the kernel. */
struct writes {
	struct batch backends, maglev, services;
	struct svcnet_be_key *stale; /* slots beyond a shrunk count */
	size_t n_stale, cap_stale;
};

static void writes_init(struct writes *w)
{
	memset(w, 0, sizeof(*w));
	w->backends.what = "backends";
	w->backends.ksz = sizeof(struct svcnet_be_key);
	w->backends.vsz = sizeof(struct svcnet_be_val);
	w->maglev.what = "maglev";
	w->maglev.ksz = sizeof(uint32_t);
	w->maglev.vsz = sizeof(struct svcnet_maglev_val);
	w->services.what = "services";
	w->services.ksz = sizeof(struct svcnet_svc_key);
	w->services.vsz = sizeof(struct svcnet_svc_val);
}

/* Room for n more entries in b. */
static void batch_reserve(struct batch *b, size_t n)
{
	if (b->n + n <= b->cap)
		return;
	b->cap = b->n + n;
	b->keys = xrealloc(b->keys, b->cap * b->ksz);
	b->vals = xrealloc(b->vals, b->cap * b->vsz);
}

static void batch_add(struct batch *b, const void *k, const void *v)
{
	if (b->n == b->cap)
		batch_reserve(b, b->cap ? b->cap : 64);
	memcpy(b->keys + b->n * b->ksz, k, b->ksz);
	memcpy(b->vals + b->n * b->vsz, v, b->vsz);
	b->n++;
}

/* Writes b's entries to the map fd and empties b. */
static int batch_flush(struct ebpf_state *st, struct batch *b, int fd, char **err)
{
	size_t done = 0;
	int rc = 0;
	while (done < b->n && rc == 0) {
		__u32 count = (__u32)(b->n - done);
		rc = bpf_map_update_batch(fd, b->keys + done * b->ksz, b->vals + done * b->vsz,
					  &count, NULL);
		if (rc == -EINVAL || rc == -ENOTSUP || rc == -EOPNOTSUPP) {
			/* A kernel without batch updates for this map type: one by one. */
			count = 1;
			rc = bpf_map_update_elem(fd, b->keys + done * b->ksz,
						 b->vals + done * b->vsz, BPF_ANY);
		}
		if (rc == 0)
			done += count;
	}
	st->map_updates += done;
	if (rc < 0)
		*err = xasprintf("updating the %s map: %s", b->what, strerror(-rc));
	b->n = 0;
	return rc;
}

static void map_del(struct ebpf_state *st, int fd, const void *k)
{
	if (bpf_map_delete_elem(fd, k) == 0)
		st->map_updates++;
}

/* Sends w to the kernel: slots and Maglev tables, services, stale slots. */
static int writes_flush(struct ebpf_state *st, struct writes *w, char **err)
{
	int rc = batch_flush(st, &w->backends, st->fd_backends, err);
	if (rc == 0)
		rc = batch_flush(st, &w->maglev, st->fd_maglev, err);
	if (rc == 0)
		rc = batch_flush(st, &w->services, st->fd_services, err);
	for (size_t i = 0; rc == 0 && i < w->n_stale; i++)
		map_del(st, st->fd_backends, &w->stale[i]);
	return rc;
}

static void writes_free(struct writes *w)
{
	struct batch *b[] = {&w->backends, &w->maglev, &w->services};
	for (size_t i = 0; i < 3; i++) {
		free(b[i]->keys);
		free(b[i]->vals);
	}
	free(w->stale);
}

/* Adds the backend slots and, with Maglev, the lookup table of p into s to w. */
static int write_backends(struct ebpf_state *st, struct writes *w, struct ebpf_svc *s,
			  const struct svcmap_port *p, uint32_t n, char **err)
{
	uint64_t *keys = st->maglev && n ? xcalloc(n, sizeof(*keys)) : NULL;
	int rc = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct svcmap_endpoint *ep = &p->cluster_eps[i];
		struct svcnet_be_key k = {.id = s->id, .slot = i};
		struct svcnet_be_val v = {.port = htons(ep->port)};
		addr_words(&ep->addr, v.addr);
		batch_add(&w->backends, &k, &v);
		if (keys)
			keys[i] = maglev_backend_key(ep->addr.b, ep->port);
	}
	if (keys) {
		struct svcnet_maglev_val *t = xcalloc(1, sizeof(*t));
		rc = maglev_fill(keys, n, t->slot, SVCNET_MAGLEV_M);
		if (rc < 0)
			*err = xasprintf("%s: %u endpoints are too many for Maglev", p->key, n);
		else
			batch_add(&w->maglev, &s->id, t);
		s->maglev_written = rc == 0;
		free(t);
	}
	free(keys);
	return rc;
}

/* Adds the writes that install or update p to w. */
static int install(struct ebpf_state *st, struct writes *w, const struct svcmap_port *p, char **err)
{
	bool found;
	size_t at = svc_index(st, p->key, p->family, &found);
	struct ebpf_svc *s = found ? &st->svcs[at] : svc_add(st, at, p->key, p->family);
	struct svcnet_svc_key sk = {.port = htons(p->port),
				    .proto = (uint8_t)p->protocol,
				    .family = p->cluster_ip.family == IP_V6 ? 6 : 4};
	addr_words(&p->cluster_ip, sk.addr);
	if (found && memcmp(&sk, &s->skey, sizeof(sk)))
		map_del(st, st->fd_services, &s->skey);
	s->skey = sk;
	uint32_t n = p->n_cluster_eps > 65535 ? 65535 : (uint32_t)p->n_cluster_eps;
	int rc = write_backends(st, w, s, p, n, err);
	if (rc < 0)
		return rc;
	struct svcnet_svc_val v = {.id = s->id,
				   .count = n,
				   .affinity_s = p->affinity_client_ip ? p->affinity_timeout_s : 0,
				   .flags = st->maglev ? SVCNET_SVC_MAGLEV : 0};
	if (v.affinity_s == 0 && p->affinity_client_ip)
		v.affinity_s = SVCMAP_DEFAULT_AFFINITY_TIMEOUT;
	batch_add(&w->services, &sk, &v);
	for (uint32_t i = n; i < s->n_slots; i++) {
		if (w->n_stale == w->cap_stale) {
			w->cap_stale = w->cap_stale ? w->cap_stale * 2 : 16;
			w->stale = xrealloc(w->stale, w->cap_stale * sizeof(*w->stale));
		}
		w->stale[w->n_stale++] = (struct svcnet_be_key){.id = s->id, .slot = i};
	}
	s->n_slots = n;
	s->seen = true;
	return 0;
}

static void uninstall(struct ebpf_state *st, const char *key, enum ip_family family)
{
	bool found;
	size_t at = svc_index(st, key, family, &found);
	if (!found)
		return;
	struct ebpf_svc *s = &st->svcs[at];
	map_del(st, st->fd_services, &s->skey);
	for (uint32_t i = 0; i < s->n_slots; i++) {
		struct svcnet_be_key k = {.id = s->id, .slot = i};
		map_del(st, st->fd_backends, &k);
	}
	if (s->maglev_written)
		map_del(st, st->fd_maglev, &s->id);
	svc_remove_at(st, at);
}

/* Deletes every entry of a hash map (for a full sync: nothing may be trusted). */
static void map_clear(struct ebpf_state *st, int fd, size_t key_size)
{
	char key[64], next[64];
	if (key_size > sizeof(key))
		return;
	/* Deleting the first key each time never skips an entry. */
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key) < 0)
			break;
		st->map_updates++;
	}
}

/*
 * A full sync. The first one (nothing known of the maps, which may hold a
 * previous run's entries under other ids) clears them and writes all; later
 * ones rewrite every entry in place and remove what is gone, so a periodic
 * resync never leaves a moment when a Service is missing from the map.
 */
static int full_sync(struct ebpf_state *st, struct writes *w, const struct svcmap *new, char **err)
{
	if (st->n_svcs == 0) {
		map_clear(st, st->fd_services, sizeof(struct svcnet_svc_key));
		map_clear(st, st->fd_backends, sizeof(struct svcnet_be_key));
		map_clear(st, st->fd_maglev, sizeof(uint32_t));
		ebpf_svcs_free(st);
	}
	for (size_t i = 0; i < st->n_svcs; i++)
		st->svcs[i].seen = false;
	/* Every entry is written: room for all at once, not by doubling. */
	size_t eps = 0;
	for (size_t i = 0; new &&i < new->n_ports; i++)
		eps += new->ports[i].n_cluster_eps;
	batch_reserve(&w->backends, eps);
	batch_reserve(&w->services, new ? new->n_ports : 0);
	if (new &&new->n_ports > st->cap_svcs) {
		st->cap_svcs = new->n_ports;
		st->svcs = xrealloc(st->svcs, st->cap_svcs * sizeof(*st->svcs));
	}
	for (size_t i = 0; new &&i < new->n_ports; i++) {
		if (!served(&new->ports[i]))
			continue;
		int rc = install(st, w, &new->ports[i], err);
		if (rc < 0)
			return rc;
	}
	int rc = writes_flush(st, w, err);
	if (rc < 0)
		return rc;
	for (size_t i = st->n_svcs; i-- > 0;)
		if (!st->svcs[i].seen)
			uninstall(st, st->svcs[i].key, st->svcs[i].family);
	return 0;
}

int ebpf_sync_maps(struct ebpf_state *st, const struct svcmap *old, const struct svcmap *new,
		   char **err)
{
	struct writes w;
	writes_init(&w);
	if (!old) {
		int rc = full_sync(st, &w, new, err);
		writes_free(&w);
		return rc;
	}
	struct svcmap_delta *d = NULL;
	size_t n = svcmap_diff(old, new, &d);
	int rc = 0;
	/* Removals at once (their ids may be reused below), writes batched after. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct svcmap_port *o = d[i].old, *p = d[i].new;
		if (o && (!p || !served(p)))
			uninstall(st, o->key, o->family);
		if (p && served(p))
			rc = install(st, &w, p, err);
	}
	free(d);
	if (rc == 0)
		rc = writes_flush(st, &w, err);
	writes_free(&w);
	return rc;
}

#else

int ebpf_sync_maps(struct ebpf_state *st, const struct svcmap *old, const struct svcmap *new,
		   char **err)
{
	*err = xasprintf("the eBPF mode was not built");
	return -ENOTSUP;
}

#endif
