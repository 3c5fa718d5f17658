/*
 * eBPF mode (issue 10): Services served at the socket layer. BPF programs
 * attached to a cgroup v2 translate a connect() or sendmsg() to a
 * clusterIP:port into a backend once, so no packet is rewritten and no NAT
 * rule exists; the proxy keeps the programs' maps equal to the service map.
 * When the kernel will not load or attach the programs the mode says why and
 * runs the nftables mode instead (else iptables, else userspace). Traffic
 * that does not start at a socket of this node (NodePorts, externalIPs and
 * LoadBalancer IPs from outside) never meets the programs: the nftables mode
 * serves those addresses, and only those, beside them.
 *
 * Settings not yet in proxy_mode_config are read from the environment:
 * SVCNET_CGROUP_PATH (default /sys/fs/cgroup/unified), SVCNET_BPF_PIN_DIR
 * (default /sys/fs/bpf/svcnet) and SVCNET_EBPF_SCHEDULER (random, the
 * default, or maglev).
 */
#include "proxy/bpf/ebpf_mode.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void state_free(struct ebpf_state *st)
{
	if (st->ext)
		st->ext->stop(st->ext_state);
	ebpf_unload(st);
	ebpf_svcs_free(st);
	free(st->cgroup_path);
	free(st->pin_dir);
	free(st);
}

/* Starts the first built mode of nftables, iptables, userspace in st's place. */
static int start_fallback(struct ebpf_state *st, const struct proxy_mode_config *cfg,
			  const char *why, char **err)
{
	static const char *const order[] = {"nftables", "iptables", "userspace"};
	for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
		const struct proxy_mode_ops *ops = proxy_mode_find(order[i]);
		if (!ops)
			continue;
		log_warn("proxy", "ebpf: cannot serve with eBPF (%s); falling back to %s mode", why,
			 ops->name);
		int rc = ops->init(cfg, &st->fallback_state, err);
		if (rc == 0)
			st->fallback = ops;
		return rc;
	}
	*err = xasprintf("ebpf: %s, and no mode to fall back to is built", why);
	return -ENOTSUP;
}

/* Starts the nftables mode for the addresses outside traffic reaches. */
static void start_external(struct ebpf_state *st, const struct proxy_mode_config *cfg)
{
	const struct proxy_mode_ops *ops = proxy_mode_find("nftables");
	char *why = NULL;
	struct proxy_mode_config c = *cfg;
	c.external_only = true;
	if (!ops)
		why = xstrdup("the nftables mode is not built");
	else if (ops->init(&c, &st->ext_state, &why) == 0)
		st->ext = ops;
	if (why)
		log_warn("proxy",
			 "ebpf: NodePorts, externalIPs and LoadBalancer IPs are not served "
			 "to outside traffic: %s",
			 why);
	free(why);
}

static int ebpf_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	struct ebpf_state *st = xcalloc(1, sizeof(*st));
	st->cgroup_path =
	    xstrdup(cfg->cgroup_path ? cfg->cgroup_path
				     : env_or("SVCNET_CGROUP_PATH", EBPF_DEFAULT_CGROUP));
	st->pin_dir = xstrdup(env_or("SVCNET_BPF_PIN_DIR", EBPF_DEFAULT_PIN_DIR));
	const char *sched = cfg->maglev ? "maglev" : env_or("SVCNET_EBPF_SCHEDULER", "random");
	if (strcmp(sched, "random") && strcmp(sched, "maglev")) {
		*err = xasprintf("SVCNET_EBPF_SCHEDULER=%s: expected random or maglev", sched);
		state_free(st);
		return -EINVAL;
	}
	st->maglev = !strcmp(sched, "maglev");
	char *why = NULL;
	int rc = ebpf_load(st, &why);
	if (rc < 0) {
		ebpf_unload(st);
		rc = start_fallback(st, cfg, why, err);
		free(why);
		if (rc < 0) {
			state_free(st);
			return rc;
		}
	} else {
		log_info("proxy", "ebpf: serving clusterIPs at connect(), scheduler %s", sched);
		start_external(st, cfg);
	}
	*state = st;
	return 0;
}

/*
 * The entries of m that outside traffic can reach (a nodePort, externalIPs
 * or LB IPs), borrowed from m: free only .ports. Handing the nftables mode
 * these alone keeps its diff as small as the number of such entries.
 */
static struct svcmap external_view(const struct svcmap *m)
{
	struct svcmap v = {0};
	if (!m)
		return v;
	v.ports = xmalloc((m->n_ports ? m->n_ports : 1) * sizeof(*v.ports));
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct svcmap_port *p = &m->ports[i];
		if (p->node_port || p->n_external_ips || p->n_lb_ips)
			v.ports[v.n_ports++] = *p;
	}
	return v;
}

static int sync_external(struct ebpf_state *st, const struct svcmap *old, const struct svcmap *new,
			 char **err)
{
	struct svcmap o = external_view(old), n = external_view(new);
	int rc = st->ext->sync(st->ext_state, old ? &o : NULL, &n, err);
	free(o.ports);
	free(n.ports);
	return rc;
}

static int ebpf_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	struct ebpf_state *st = state;
	if (st->fallback)
		return st->fallback->sync(st->fallback_state, old, new, err);
	int rc = ebpf_sync_maps(st, old, new, err);
	if (rc == 0 && st->ext)
		rc = sync_external(st, old, new, err);
	return rc;
}

static void ebpf_stop(void *state)
{
	struct ebpf_state *st = state;
	if (st->fallback)
		st->fallback->stop(st->fallback_state);
	state_free(st);
}

static int ebpf_cleanup(char **err)
{
	int rc = ebpf_remove_pins(env_or("SVCNET_BPF_PIN_DIR", EBPF_DEFAULT_PIN_DIR), err);
	const struct proxy_mode_ops *nft = proxy_mode_find("nftables");
	if (rc == 0 && nft)
		rc = nft->cleanup(err);
	return rc;
}

static void ebpf_metrics(void *state, struct strbuf *out)
{
	struct ebpf_state *st = state;
	if (st->fallback) {
		if (st->fallback->metrics)
			st->fallback->metrics(st->fallback_state, out);
		return;
	}
	sb_printf(out,
		  "# HELP svcnet_proxy_ebpf_services Service ports in the eBPF services map.\n"
		  "# TYPE svcnet_proxy_ebpf_services gauge\n"
		  "svcnet_proxy_ebpf_services %zu\n",
		  st->n_svcs);
	sb_printf(out,
		  "# HELP svcnet_proxy_ebpf_map_updates_total Writes and deletes of eBPF map "
		  "entries.\n"
		  "# TYPE svcnet_proxy_ebpf_map_updates_total counter\n"
		  "svcnet_proxy_ebpf_map_updates_total %lu\n",
		  st->map_updates);
	if (st->ext && st->ext->metrics)
		st->ext->metrics(st->ext_state, out);
}

const struct proxy_mode_ops proxy_mode_ebpf = {
    .name = "ebpf",
    .init = ebpf_init,
    .sync = ebpf_sync,
    .stop = ebpf_stop,
    .cleanup = ebpf_cleanup,
    .metrics = ebpf_metrics,
};
