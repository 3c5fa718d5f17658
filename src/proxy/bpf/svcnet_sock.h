/*
 * The maps of the eBPF socket load balancer, shared by the BPF programs
 * (svcnet_sock.bpf.c) and the proxy that fills them (ebpf_maps.c). Every
 * address is 16 bytes: an IPv4 one uses addr[0] only, the rest zero.
 * Addresses and ports are in network byte order, as the hooks see them.
 * Keys have no implicit padding: a hash map compares every byte.
 */
#ifndef SVCNET_PROXY_BPF_SVCNET_SOCK_H
#define SVCNET_PROXY_BPF_SVCNET_SOCK_H

#include <linux/types.h>

/* Room in the maps; a Service port in one family counts once. */
#define SVCNET_MAX_SERVICES 65536
#define SVCNET_MAX_BACKENDS 262144
#define SVCNET_MAX_REVERSE  262144
#define SVCNET_MAX_AFFINITY 65536
/* Backends of one Service an affinity check looks through. */
#define SVCNET_AFFINITY_SCAN 64
/* Entries of a Maglev lookup table: a prime well above the backend count. */
#define SVCNET_MAGLEV_M 1021

/* Bits of svcnet_svc_val.flags. */
#define SVCNET_SVC_MAGLEV 1

/* services: what a client dials. proto is IPPROTO_TCP or IPPROTO_UDP. */
struct svcnet_svc_key {
	__u32 addr[4];
	__u16 port;
	__u8 proto;
	__u8 family; /* 4 or 6 */
};

struct svcnet_svc_val {
	__u32 id;	  /* names the Service port in the other maps, never 0 */
	__u32 count;	  /* backends (0: connect is refused) */
	__u32 affinity_s; /* ClientIP affinity timeout, 0: none */
	__u32 flags;	  /* SVCNET_SVC_* */
};

/* backends: slot 0..count-1 of a Service. */
struct svcnet_be_key {
	__u32 id;
	__u32 slot;
};

struct svcnet_be_val {
	__u32 addr[4];
	__u16 port;
	__u16 pad;
};

/* maglev: svc id -> slot for each entry of the lookup table. */
struct svcnet_maglev_val {
	__u16 slot[SVCNET_MAGLEV_M];
};

/*
 * reverse (LRU): what a socket was sent to, so that replies, recvmsg and
 * getpeername show the Service address instead of the backend.
 */
struct svcnet_rev_key {
	__u64 cookie; /* the socket's */
	__u32 addr[4];
	__u16 port;
	__u16 pad;
	__u32 pad2; /* named, so that it is zeroed: map keys compare every byte */
};

struct svcnet_rev_val {
	__u32 addr[4];
	__u16 port;
	__u16 pad;
};

/* affinity (LRU): a client (its network namespace) stuck to a backend. */
struct svcnet_aff_key {
	__u64 client; /* network namespace cookie */
	__u32 id;
	__u32 pad;
};

struct svcnet_aff_val {
	__u64 last_ns; /* bpf_ktime_get_ns of the last use */
	struct svcnet_be_val be;
};

#endif
