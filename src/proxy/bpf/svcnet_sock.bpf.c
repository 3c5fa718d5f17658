/*
 * Socket-level load balancing for Services (the idea of Cilium's socket LB,
 * bpf_sock.c): a connect() or an unconnected sendmsg() to a Service address
 * is given a backend address once, in the socket call, so no packet is ever
 * rewritten and no conntrack entry made. recvmsg() and getpeername() put the
 * Service address back, so the application only ever sees what it dialled.
 * Attached to one cgroup v2; the proxy fills the maps (svcnet_sock.h).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "svcnet_sock.h"

#define ECONNREFUSED 111

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SVCNET_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct svcnet_svc_key);
	__type(value, struct svcnet_svc_val);
} svcnet_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SVCNET_MAX_BACKENDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct svcnet_be_key);
	__type(value, struct svcnet_be_val);
} svcnet_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SVCNET_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct svcnet_maglev_val);
} svcnet_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SVCNET_MAX_REVERSE);
	__type(key, struct svcnet_rev_key);
	__type(value, struct svcnet_rev_val);
} svcnet_reverse SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SVCNET_MAX_AFFINITY);
	__type(key, struct svcnet_aff_key);
	__type(value, struct svcnet_aff_val);
} svcnet_affinity SEC(".maps");

/* A 64-bit mix (the finaliser of SplitMix64): Maglev needs a well spread key. */
static __always_inline __u64 mix64(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Whether be is still one of the Service's backends (after an endpoint change). */
static __always_inline int backend_present(const struct svcnet_svc_val *svc,
					   const struct svcnet_be_val *be)
{
	for (__u32 i = 0; i < SVCNET_AFFINITY_SCAN; i++) {
		if (i >= svc->count)
			break;
		struct svcnet_be_key k = {.id = svc->id, .slot = i};
		struct svcnet_be_val *v = bpf_map_lookup_elem(&svcnet_backends, &k);
		if (v && v->port == be->port && v->addr[0] == be->addr[0] &&
		    v->addr[1] == be->addr[1] && v->addr[2] == be->addr[2] &&
		    v->addr[3] == be->addr[3])
			return 1;
	}
	return 0;
}

/* The slot for a new flow: Maglev on the client's identity, or random. */
static __always_inline __u32 pick_slot(void *ctx, struct bpf_sock *sk,
				       const struct svcnet_svc_val *svc)
{
	if (!(svc->flags & SVCNET_SVC_MAGLEV))
		return bpf_get_prandom_u32() % svc->count;
	__u64 h = bpf_get_netns_cookie(ctx);
	if (sk)
		h = mix64(h ^ ((__u64)sk->src_ip4 << 16) ^ sk->src_port);
	__u32 idx = mix64(h) % SVCNET_MAGLEV_M;
	/* Hide idx from the compiler, which would drop the bound the verifier needs. */
	asm volatile("" : "+r"(idx));
	struct svcnet_maglev_val *t = bpf_map_lookup_elem(&svcnet_maglev, &svc->id);
	if (!t || idx >= SVCNET_MAGLEV_M)
		return 0;
	return t->slot[idx];
}

/*
 * Chooses the backend for a flow to svc into *out: the affinity entry when
 * one is alive and its backend still serves, else a new pick. Returns 0, or
 * -1 when there is none.
 */
static __always_inline int choose(void *ctx, struct bpf_sock *sk, const struct svcnet_svc_val *svc,
				  struct svcnet_be_val *out)
{
	struct svcnet_aff_key ak = {};
	__u64 now = 0;
	if (svc->affinity_s) {
		ak.client = bpf_get_netns_cookie(ctx);
		ak.id = svc->id;
		now = bpf_ktime_get_ns();
		struct svcnet_aff_val *a = bpf_map_lookup_elem(&svcnet_affinity, &ak);
		if (a && now - a->last_ns < (__u64)svc->affinity_s * 1000000000ULL &&
		    backend_present(svc, &a->be)) {
			a->last_ns = now;
			*out = a->be;
			return 0;
		}
	}
	struct svcnet_be_key bk = {.id = svc->id, .slot = pick_slot(ctx, sk, svc)};
	struct svcnet_be_val *be = bpf_map_lookup_elem(&svcnet_backends, &bk);
	if (!be)
		return -1;
	*out = *be;
	if (svc->affinity_s) {
		struct svcnet_aff_val av = {.last_ns = now, .be = *be};
		bpf_map_update_elem(&svcnet_affinity, &ak, &av, BPF_ANY);
	}
	return 0;
}

/*
 * Translates a flow to the Service key into a backend (*be) and remembers
 * the pair for replies. Returns 1 to let the call go on (translated or not
 * a Service), 0 with -ECONNREFUSED as the call's error when the Service has
 * no backend.
 */
static __always_inline int translate(void *ctx, struct bpf_sock *sk, struct svcnet_svc_key *key,
				     struct svcnet_be_val *be, int *done)
{
	*done = 0;
	struct svcnet_svc_val *svc = bpf_map_lookup_elem(&svcnet_services, key);
	if (!svc)
		return 1;
	if (svc->count == 0 || choose(ctx, sk, svc, be) < 0) {
		bpf_set_retval(-ECONNREFUSED);
		return 0;
	}
	struct svcnet_rev_key rk = {.cookie = bpf_get_socket_cookie(ctx), .port = be->port};
	__builtin_memcpy(rk.addr, be->addr, sizeof(rk.addr));
	struct svcnet_rev_val rv = {.port = key->port};
	__builtin_memcpy(rv.addr, key->addr, sizeof(rv.addr));
	bpf_map_update_elem(&svcnet_reverse, &rk, &rv, BPF_ANY);
	*done = 1;
	return 1;
}

static __always_inline int fwd4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	struct svcnet_svc_key key = {
	    .port = (__u16)ctx->user_port, .proto = (__u8)ctx->protocol, .family = 4};
	key.addr[0] = ctx->user_ip4;
	struct svcnet_be_val be = {};
	int done;
	int rc = translate(ctx, ctx->sk, &key, &be, &done);
	if (done) {
		ctx->user_ip4 = be.addr[0];
		ctx->user_port = be.port;
	}
	return rc;
}

static __always_inline int fwd6(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	struct svcnet_svc_key key = {
	    .port = (__u16)ctx->user_port, .proto = (__u8)ctx->protocol, .family = 6};
	key.addr[0] = ctx->user_ip6[0];
	key.addr[1] = ctx->user_ip6[1];
	key.addr[2] = ctx->user_ip6[2];
	key.addr[3] = ctx->user_ip6[3];
	struct svcnet_be_val be = {};
	int done;
	int rc = translate(ctx, ctx->sk, &key, &be, &done);
	if (done) {
		ctx->user_ip6[0] = be.addr[0];
		ctx->user_ip6[1] = be.addr[1];
		ctx->user_ip6[2] = be.addr[2];
		ctx->user_ip6[3] = be.addr[3];
		ctx->user_port = be.port;
	}
	return rc;
}

/* Puts the Service address back where the socket sees a backend's. */
static __always_inline int rev4(struct bpf_sock_addr *ctx)
{
	struct svcnet_rev_key rk = {.cookie = bpf_get_socket_cookie(ctx),
				    .port = (__u16)ctx->user_port};
	rk.addr[0] = ctx->user_ip4;
	struct svcnet_rev_val *rv = bpf_map_lookup_elem(&svcnet_reverse, &rk);
	if (rv) {
		ctx->user_ip4 = rv->addr[0];
		ctx->user_port = rv->port;
	}
	return 1;
}

static __always_inline int rev6(struct bpf_sock_addr *ctx)
{
	struct svcnet_rev_key rk = {.cookie = bpf_get_socket_cookie(ctx),
				    .port = (__u16)ctx->user_port};
	rk.addr[0] = ctx->user_ip6[0];
	rk.addr[1] = ctx->user_ip6[1];
	rk.addr[2] = ctx->user_ip6[2];
	rk.addr[3] = ctx->user_ip6[3];
	struct svcnet_rev_val *rv = bpf_map_lookup_elem(&svcnet_reverse, &rk);
	if (rv) {
		ctx->user_ip6[0] = rv->addr[0];
		ctx->user_ip6[1] = rv->addr[1];
		ctx->user_ip6[2] = rv->addr[2];
		ctx->user_ip6[3] = rv->addr[3];
		ctx->user_port = rv->port;
	}
	return 1;
}

SEC("cgroup/connect4")
int svcnet_connect4(struct bpf_sock_addr *ctx)
{
	return fwd4(ctx);
}

SEC("cgroup/sendmsg4")
int svcnet_sendmsg4(struct bpf_sock_addr *ctx)
{
	return fwd4(ctx);
}

SEC("cgroup/recvmsg4")
int svcnet_recvmsg4(struct bpf_sock_addr *ctx)
{
	return rev4(ctx);
}

SEC("cgroup/getpeername4")
int svcnet_getpeername4(struct bpf_sock_addr *ctx)
{
	return rev4(ctx);
}

SEC("cgroup/connect6")
int svcnet_connect6(struct bpf_sock_addr *ctx)
{
	return fwd6(ctx);
}

SEC("cgroup/sendmsg6")
int svcnet_sendmsg6(struct bpf_sock_addr *ctx)
{
	return fwd6(ctx);
}

SEC("cgroup/recvmsg6")
int svcnet_recvmsg6(struct bpf_sock_addr *ctx)
{
	return rev6(ctx);
}

SEC("cgroup/getpeername6")
int svcnet_getpeername6(struct bpf_sock_addr *ctx)
{
	return rev6(ctx);
}
