/*
 * The interface every proxy mode implements (userspace, iptables, nftables,
 * ipvs, ebpf). A mode knows nothing of the others nor of the API: it is
 * given the service map it last installed and the one to install now, and
 * changes only what differs. Private to src/proxy/.
 */
#ifndef SVCNET_PROXY_MODE_H
#define SVCNET_PROXY_MODE_H

#include "base/ip.h"
#include "base/strbuf.h"
#include "proxy/scheduler.h"
#include "proxy/servicemap.h"

#include <stdbool.h>

/* What a mode is told at init; strings are borrowed for the mode's lifetime. */
struct proxy_mode_config {
	const char *node_name;
	const char *cluster_cidr;  /* may be NULL */
	const char *service_cidr;  /* "10.96.0.0/12[,IPv6 CIDR]", checked; may be NULL */
	enum sched_algo scheduler; /* for modes that balance themselves (userspace, ipvs) */
	unsigned udp_timeout_ms;   /* idle UDP flows end after this (userspace) */
	const char *bind_address;  /* the proxy ports' address (userspace): "0.0.0.0" */
	bool capture;		   /* may change the firewall (false: serve only) */
	const char *cgroup_path;   /* ebpf: the cgroup v2 its programs attach to, or NULL */
	bool maglev;		   /* ebpf: Maglev consistent hashing instead of random */
	bool external_only;	   /* nftables: NodePorts, externalIPs, LB IPs only (for ebpf) */
};

struct proxy_mode_ops {
	const char *name;
	/*
	 * Prepares the data plane (tables, chains, sockets, threads). Returns 0
	 * with *state (owned by the mode until stop), or a negative errno with
	 * a sentence in *err (caller frees).
	 */
	int (*init)(const struct proxy_mode_config *cfg, void **state, char **err);
	/*
	 * Makes the data plane match new. old is the map of the last sync that
	 * succeeded, or NULL for a full sync (the first one, the periodic
	 * resync, and after a failure): then nothing installed may be trusted
	 * and everything is rewritten. Both maps are borrowed for the call.
	 * Returns 0, or a negative errno with *err; the caller retries with a
	 * full sync.
	 */
	int (*sync)(void *state, const struct svcmap *old, const struct svcmap *new, char **err);
	/*
	 * Ends the mode and frees state. Kernel modes leave their rules in place
	 * (traffic keeps flowing across a restart); userspace removes its
	 * redirects, since its proxy ports die with the process.
	 */
	void (*stop)(void *state);
	/*
	 * Removes everything the mode ever installed, without a state (for
	 * --cleanup). Returns 0 or a negative errno with *err.
	 */
	int (*cleanup)(char **err);
	/* Appends the mode's own Prometheus lines (may be NULL). */
	void (*metrics)(void *state, struct strbuf *out);
};

/*
 * Parses a --service-cidr value (one CIDR, or one of each family separated
 * by a comma) into out[0] (IPv4) and out[1] (IPv6), has[i] set for those
 * given. Returns 0, or -EINVAL with a sentence in *err (caller frees; err
 * may be NULL).
 */
int proxy_service_cidrs_parse(const char *s, struct ip_cidr out[2], bool has[2], char **err);

/* The modes built in; NULL-terminated. */
extern const struct proxy_mode_ops *const proxy_modes[];

/* The mode called name, or NULL. */
const struct proxy_mode_ops *proxy_mode_find(const char *name);

extern const struct proxy_mode_ops proxy_mode_userspace;
extern const struct proxy_mode_ops proxy_mode_iptables;
extern const struct proxy_mode_ops proxy_mode_nftables;
extern const struct proxy_mode_ops proxy_mode_ipvs;
extern const struct proxy_mode_ops proxy_mode_ebpf;

#endif
