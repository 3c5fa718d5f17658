/*
 * The iptables mode: the service map as kube-proxy's iptables proxier lays
 * it out (iptables_rules.c), applied with iptables-restore --noflush. The
 * first sync and every periodic one rewrite all of svcnet's chains and
 * delete stale ones; in between only the chains of changed entries are sent.
 * Whatever in the Service range matched no clusterIP:port is rejected. UDP
 * entries whose endpoints change lose their stale conntrack entries, on full
 * syncs too (against the map of the last sync that succeeded).
 */
#include "proxy/conntrack.h"
#include "proxy/iptables_internal.h"
#include "proxy/mode.h"

#include "base/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ipt_state {
	struct ipt_tools tools[2]; /* [0] IPv4, [1] IPv6 */
	bool has_cidr[2];
	struct ip_cidr cidr[2];
	bool has_range[2];
	struct ip_cidr range[2]; /* the Service range */
	struct svcmap *last;	 /* UDP and SCTP entries of the last good sync */
	unsigned long restores, failures, full_syncs, partial_syncs;
	unsigned long last_bytes; /* size of the last restore input */
};

static int fi(enum ip_family f)
{
	return f == IP_V6;
}

static int ipt_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	if (!cfg->capture) {
		*err = xasprintf("the iptables mode must change the firewall (--no-capture)");
		return -EINVAL;
	}
	struct ipt_state *s = xcalloc(1, sizeof(*s));
	ipt_tools_pick(IP_V4, &s->tools[0]);
	ipt_tools_pick(IP_V6, &s->tools[1]);
	const char *argv[] = {s->tools[0].save, "-t", "nat", NULL};
	char *out = NULL;
	int rc = ipt_run(argv, NULL, &out);
	if (rc != 0) {
		*err = xasprintf("%s cannot be used here: %s", argv[0],
				 rc == 127     ? "not installed"
				 : out && *out ? out
					       : "no permission");
		free(out);
		free(s);
		return -EPERM;
	}
	free(out);
	struct ip_cidr c;
	if (cfg->cluster_cidr && ip_cidr_parse(cfg->cluster_cidr, false, &c) == 0) {
		s->has_cidr[fi(c.addr.family)] = true;
		s->cidr[fi(c.addr.family)] = c;
	}
	if (cfg->service_cidr &&
	    proxy_service_cidrs_parse(cfg->service_cidr, s->range, s->has_range, err) < 0) {
		free(s);
		return -EINVAL;
	}
	log_info("proxy", "iptables mode: using %s (%s back end)", s->tools[0].restore,
		 s->tools[0].name);
	*state = s;
	return 0;
}

/* The full restore input of family f, after reading what is installed. */
static char *full_input(struct ipt_state *s, const struct svcmap *m, struct ipt_opts *o, char **err)
{
	const char *argv[] = {s->tools[fi(o->family)].save, NULL};
	char *save = NULL;
	int rc = ipt_run(argv, NULL, &save);
	if (rc != 0) {
		*err = xasprintf("%s exited with %d", argv[0], rc);
		free(save);
		return NULL;
	}
	char **names = NULL;
	size_t n = ipt_parse_save(save, &names, &o->jumps_present);
	free(save);
	o->existing = (const char *const *)names;
	o->n_existing = n;
	char *input = ipt_restore_full(m, o);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	o->existing = NULL;
	o->n_existing = 0;
	return input;
}

static int sync_family(struct ipt_state *s, enum ip_family f, const struct svcmap *old,
		       const struct svcmap *new, char **err)
{
	struct ipt_opts o = {.family = f,
			     .has_cidr = s->has_cidr[fi(f)],
			     .cidr = s->cidr[fi(f)],
			     .has_range = s->has_range[fi(f)],
			     .range = s->range[fi(f)]};
	char *input = old ? ipt_restore_partial(old, new, &o) : full_input(s, new, &o, err);
	if (!input)
		return old ? 0 : -EIO;
	__atomic_store_n(&s->last_bytes, strlen(input), __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->restores, 1, __ATOMIC_RELAXED);
	int rc = ipt_restore(&s->tools[fi(f)], input, err);
	free(input);
	return rc;
}

static int ipt_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	struct ipt_state *s = state;
	int rc = sync_family(s, IP_V4, old, new, err);
	if (rc == 0 && (svcmap_has_family(new, IP_V6) || svcmap_has_family(old, IP_V6) || !old)) {
		char *e6 = NULL;
		rc = sync_family(s, IP_V6, old, new, &e6);
		/* A node without IPv6 tables is fine while no Service is IPv6. */
		if (rc < 0 && !svcmap_has_family(new, IP_V6) && !svcmap_has_family(old, IP_V6))
			rc = 0;
		if (rc < 0)
			*err = e6;
		else
			free(e6);
	}
	if (rc < 0) {
		__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
		return rc;
	}
	__atomic_add_fetch(old ? &s->partial_syncs : &s->full_syncs, 1, __ATOMIC_RELAXED);
	proxy_conntrack_synced(&s->last, old, new);
	return 0;
}

static void ipt_stop(void *state)
{
	struct ipt_state *s = state;
	if (s)
		svcmap_free(s->last);
	free(state);
}

static int ipt_cleanup(char **err)
{
	return ipt_cleanup_all(err);
}

static void ipt_metrics(void *state, struct strbuf *out)
{
	struct ipt_state *s = state;
	sb_printf(out,
		  "# HELP svcnet_proxy_iptables_restore_failures_total iptables-restore runs that "
		  "failed.\n# TYPE svcnet_proxy_iptables_restore_failures_total counter\n"
		  "svcnet_proxy_iptables_restore_failures_total %lu\n"
		  "# HELP svcnet_proxy_iptables_restores_total iptables-restore runs.\n"
		  "# TYPE svcnet_proxy_iptables_restores_total counter\n"
		  "svcnet_proxy_iptables_restores_total %lu\n"
		  "# HELP svcnet_proxy_iptables_syncs_total Successful syncs by kind.\n"
		  "# TYPE svcnet_proxy_iptables_syncs_total counter\n"
		  "svcnet_proxy_iptables_syncs_total{kind=\"full\"} %lu\n"
		  "svcnet_proxy_iptables_syncs_total{kind=\"partial\"} %lu\n"
		  "# HELP svcnet_proxy_iptables_restore_bytes Size of the last restore input.\n"
		  "# TYPE svcnet_proxy_iptables_restore_bytes gauge\n"
		  "svcnet_proxy_iptables_restore_bytes %lu\n",
		  __atomic_load_n(&s->failures, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->restores, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->full_syncs, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->partial_syncs, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->last_bytes, __ATOMIC_RELAXED));
}

const struct proxy_mode_ops proxy_mode_iptables = {
    .name = "iptables",
    .init = ipt_init,
    .sync = ipt_sync,
    .stop = ipt_stop,
    .cleanup = ipt_cleanup,
    .metrics = ipt_metrics,
};
