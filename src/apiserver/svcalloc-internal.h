/*
 * Private to svcalloc*.c; not a public interface (that is svcalloc.h).
 *
 * svcalloc.c          the allocator: configuration, the bitmaps, the
 *                     allocation steps and the public entry points
 * svcalloc_service.c  what a Service object holds and asks for, and the
 *                     update's carried-over and dropped fields
 * svcalloc_families.c ipFamilies and ipFamilyPolicy, and the field errors
 *                     as kube-apiserver words them
 * svcalloc_records.c  the per-item allocation records in the store
 *
 * Functions shared between the files carry the prefix sa_. Unless said
 * otherwise, the functions that touch the bitmaps are called with a->mu held.
 */
#ifndef SVCNET_APISERVER_SVCALLOC_INTERNAL_H
#define SVCNET_APISERVER_SVCALLOC_INTERNAL_H

#include "apiserver/alloc_bitmap.h"
#include "apiserver/svcalloc.h"
#include "base/ip.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define COMPONENT "svcalloc"

struct iprange {
	bool present;
	struct ip_cidr cidr;
	struct ip_addr base; /* first address the bitmap covers (network + 1) */
	char spec[CIDR_STRLEN];
	struct alloc_bitmap bm;
};

struct svc_alloc {
	pthread_mutex_t mu;
	struct iprange ip[2]; /* [0] IPv4, [1] IPv6 */
	enum ip_family primary;
	int nfamilies;
	int port_base;
	struct alloc_bitmap ports;
	char port_spec[32];
	struct store *store; /* NULL: allocations live in memory only */
	bool synced;	     /* the records were merged in since svc_alloc_set_store */
	int64_t seen_rev;    /* the records' changes are applied up to here */
};

/* What one Service holds, or what one request took. */
struct held {
	struct ip_addr ips[2];
	int nips;
	int *ports; /* owned; node ports, each once */
	size_t nports, cap;
	int hc; /* healthCheckNodePort, 0 when none */
};

/* The index of family f in svc_alloc.ip. */
static inline int fi(enum ip_family f)
{
	return f == IP_V6;
}

static inline enum ip_family other_family(enum ip_family f)
{
	return f == IP_V6 ? IP_V4 : IP_V6;
}

/* ---- reading the Service (small enough to inline) ---- */

static inline json_t *spec_of(const json_t *svc)
{
	json_t *spec = json_object_get(svc, "spec");
	return json_is_object(spec) ? spec : NULL;
}

static inline const char *spec_str(const json_t *svc, const char *key)
{
	return json_string_value(json_object_get(spec_of(svc), key));
}

static inline int int_of(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static inline bool type_is(const json_t *svc, const char *type)
{
	const char *t = spec_str(svc, "type");
	return strcmp(t ? t : "ClusterIP", type) == 0;
}

static inline bool needs_cluster_ip(const json_t *svc)
{
	return !type_is(svc, "ExternalName");
}

static inline bool needs_node_port(const json_t *svc)
{
	return type_is(svc, "NodePort") || type_is(svc, "LoadBalancer");
}

/* Only LoadBalancer Services get a health check port, as apiservice.NeedsHealthCheck. */
static inline bool needs_hc(const json_t *svc)
{
	const char *etp = spec_str(svc, "externalTrafficPolicy");
	return type_is(svc, "LoadBalancer") && etp && strcmp(etp, "Local") == 0;
}

static inline json_t *ports_of(const json_t *svc)
{
	json_t *p = json_object_get(spec_of(svc), "ports");
	return json_is_array(p) ? p : NULL;
}

/* ---- svcalloc_service.c ---- */

/* spec of svc, created when absent (for writes); borrowed. */
json_t *sa_spec_w(json_t *svc);
/* spec.clusterIPs[i], or spec.clusterIP for i 0 when only that is set; NULL when neither. */
const char *sa_cluster_ip_at(const json_t *svc, size_t i);
/* metadata.<key> of svc, "" when absent; borrowed. */
const char *sa_name_of(const json_t *svc, const char *key);

bool sa_held_has_port(const struct held *h, int port);
/* Adds port to h unless there already. */
void sa_held_add_port(struct held *h, int port);
bool sa_held_has_ip(const struct held *h, const struct ip_addr *ip);
/* Adds ip to h unless there already or h holds two. */
void sa_held_add_ip(struct held *h, const struct ip_addr *ip);
/* Frees what h owns and zeroes it. */
void sa_held_free(struct held *h);
/* Fills h (caller frees with sa_held_free) with the IPs and ports svc holds; svc may be NULL. */
void sa_held_of(const json_t *svc, struct held *h);

/* ---- svcalloc.c: the bitmaps ---- */

/* Takes one IP: 0, -ERANGE (family absent or not in the range), -EEXIST. */
int sa_take_ip(struct svc_alloc *a, const struct ip_addr *ip);
void sa_release_ip(struct svc_alloc *a, const struct ip_addr *ip);
/* Takes one node port: 0, -ERANGE or -EEXIST. */
int sa_take_port(struct svc_alloc *a, int port);
void sa_release_port(struct svc_alloc *a, int port);
/* Gives back every address and port in h. */
void sa_release_held(struct svc_alloc *a, const struct held *h);
/*
 * Runs the allocation steps in memory for svc (old: the stored object on
 * update, else NULL); on success *taken (caller frees) holds what they
 * took, on failure they have given it back. Returns 0, -EINVAL or -ENOSPC
 * with errs.
 */
int sa_alloc_all(struct svc_alloc *a, json_t *svc, const json_t *old, struct field_errs *errs,
		 struct held *taken);

/* ---- svcalloc_families.c ---- */

enum sa_policy { POL_UNSET, POL_SINGLE, POL_PREFER, POL_REQUIRE };

/* The family fields of one Service. */
struct famspec {
	enum sa_policy policy;
	enum ip_family fams[2];
	int nfams;
	char *ips[2]; /* owned copies of clusterIPs */
	int nips;
};

/* Reads svc (may be NULL) into fs; the caller frees fs with sa_famspec_free. */
void sa_famspec_read(const json_t *svc, struct famspec *fs);
void sa_famspec_free(struct famspec *fs);
/* Writes policy, ipFamilies, clusterIPs and clusterIP back into svc. */
void sa_famspec_write(json_t *svc, const struct famspec *fs);
/*
 * Defaults ipFamilyPolicy and ipFamilies of svc for this cluster (old is
 * the stored object on update, else NULL). Returns 0 or -EINVAL with errs.
 */
int sa_init_families(const struct svc_alloc *a, json_t *svc, const json_t *old,
		     struct field_errs *errs);

/* Go's %#v of a []string: []string{"a", "b"}. Caller frees. */
char *sa_go_string_slice(char *const *v, int n);
/*
 * Adds "Invalid value: <raw>: <detail>" where raw is already formatted
 * (field_errs_add prints JSON, and a Go slice is not JSON).
 */
void sa_add_invalid_raw(struct field_errs *errs, const char *field, const char *raw,
			const char *detail);
void sa_add_invalid_int(struct field_errs *errs, const char *field, int v, const char *detail);
void sa_add_invalid_str(struct field_errs *errs, const char *field, const char *v,
			const char *detail);

/* ---- svcalloc_records.c; each takes a->mu itself unless said otherwise ---- */

/*
 * Allocates for svc (old: the stored object on update) and records the
 * allocation, trying again when another API server took an item first.
 */
int sa_alloc_recorded(struct svc_alloc *a, json_t *svc, const json_t *old, struct field_errs *errs);
/* Deletes the records of what h holds, then frees the items in the bitmaps. */
void sa_release_recorded(struct svc_alloc *a, const struct held *h);
/* Brings the bitmaps up to date with the records; under a->mu. */
int sa_sync_records(struct svc_alloc *a);

#endif
