/*
 * The nftables mode: tables `ip svcnet` and `ip6 svcnet` (nftables_rules.c),
 * programmed through libnftables, one context per transaction. The first
 * sync and every periodic one replace each table whole in one atomic
 * transaction; in between, one transaction per family carries only the
 * elements of the entries that changed. Whatever in the Service range
 * matched no clusterIP:port is rejected. UDP entries whose endpoints change
 * lose their stale conntrack entries, on full syncs too (against the map of
 * the last sync that succeeded). With external_only (the ebpf mode's helper)
 * the tables hold the NodePorts, externalIPs and LoadBalancer IPs alone.
 */
#include "proxy/conntrack.h"
#include "proxy/mode.h"
#include "proxy/nftables_internal.h"

#include "base/log.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

struct nft_state {
	struct nft_ctx *ctx;
	struct nft_opts opts[2]; /* [0] IPv4, [1] IPv6 */
	struct svcmap *last;	 /* UDP and SCTP entries of the last good sync */
	unsigned long txns, failures, full_syncs, partial_syncs;
	unsigned long last_bytes;
};

/* Runs one transaction; 0, or -EIO with the library's message in *err. */
static int run_text(struct nft_ctx *ctx, const char *text, char **err)
{
	if (nft_run_cmd_from_buffer(ctx, text) == 0)
		return 0;
	const char *msg = nft_ctx_get_error_buffer(ctx);
	size_t len = msg ? strlen(msg) : 0;
	while (len && msg[len - 1] == '\n')
		len--;
	*err = xasprintf("nftables: %.*s", (int)(len > 600 ? 600 : len), len ? msg : "failed");
	return -EIO;
}

static int nftm_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	if (!cfg->capture) {
		*err = xasprintf("the nftables mode must change the firewall (--no-capture)");
		return -EINVAL;
	}
	struct nft_state *s = xcalloc(1, sizeof(*s));
	s->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!s->ctx || nft_ctx_buffer_error(s->ctx) != 0 || nft_ctx_buffer_output(s->ctx) != 0) {
		*err = xasprintf("nftables: cannot create a context");
		goto fail;
	}
	/* Probe: a table we may create and delete at once. */
	if (run_text(s->ctx, "add table ip svcnet\n", err) < 0)
		goto fail;
	s->opts[0].family = IP_V4;
	s->opts[1].family = IP_V6;
	s->opts[0].external_only = s->opts[1].external_only = cfg->external_only;
	struct ip_cidr c;
	if (cfg->cluster_cidr && ip_cidr_parse(cfg->cluster_cidr, false, &c) == 0) {
		int i = c.addr.family == IP_V6;
		s->opts[i].has_cidr = true;
		s->opts[i].cidr = c;
	}
	struct ip_cidr range[2];
	bool has_range[2];
	if (cfg->service_cidr &&
	    proxy_service_cidrs_parse(cfg->service_cidr, range, has_range, err) < 0)
		goto fail;
	for (int i = 0; cfg->service_cidr && !cfg->external_only && i < 2; i++) {
		s->opts[i].has_range = has_range[i];
		s->opts[i].range = range[i];
	}
	log_info("proxy", "nftables%s: tables ip svcnet and ip6 svcnet through libnftables",
		 cfg->external_only ? " (NodePorts, externalIPs and LoadBalancer IPs only)"
				    : " mode");
	*state = s;
	return 0;
fail:
	if (s->ctx)
		nft_ctx_free(s->ctx);
	free(s);
	return -EPERM;
}

static int sync_family(struct nft_state *s, int i, const struct svcmap *old,
		       const struct svcmap *new, char **err)
{
	struct nft_opts *o = &s->opts[i];
	char *text = old ? nft_text_partial(old, new, o) : nft_text_full(new, o);
	if (!text)
		return 0;
	__atomic_store_n(&s->last_bytes, strlen(text), __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->txns, 1, __ATOMIC_RELAXED);
	/*
	 * A fresh context per transaction: a persistent one keeps a cache in
	 * which nft 1.0.6 cannot evaluate deletions from the typeof maps
	 * ("conflicting protocols specified: ip vs. th").
	 */
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc = -ENOMEM;
	if (ctx && nft_ctx_buffer_error(ctx) == 0 && nft_ctx_buffer_output(ctx) == 0)
		rc = run_text(ctx, text, err);
	else
		*err = xasprintf("nftables: cannot create a context");
	if (ctx)
		nft_ctx_free(ctx);
	if (rc < 0)
		log_debug("proxy", "nftables: the transaction that failed:\n%s", text);
	free(text);
	if (rc < 0 && o->picks)
		memset(o->picks, 0, o->n_picks * sizeof(bool)); /* unknown now */
	return rc;
}

static int nftm_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	struct nft_state *s = state;
	int rc = sync_family(s, 0, old, new, err);
	if (rc == 0 && (!old || svcmap_has_family(new, IP_V6) || svcmap_has_family(old, IP_V6))) {
		char *e6 = NULL;
		rc = sync_family(s, 1, old, new, &e6);
		if (rc < 0 && !svcmap_has_family(new, IP_V6) && !svcmap_has_family(old, IP_V6))
			rc = 0; /* no IPv6 here, and no IPv6 Service */
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

static void nftm_stop(void *state)
{
	struct nft_state *s = state;
	if (!s)
		return;
	nft_ctx_free(s->ctx);
	nft_opts_release(&s->opts[0]);
	nft_opts_release(&s->opts[1]);
	svcmap_free(s->last);
	free(s);
}

static int nftm_cleanup(char **err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx) {
		*err = xasprintf("nftables: cannot create a context");
		return -ENOMEM;
	}
	nft_ctx_buffer_error(ctx);
	nft_ctx_buffer_output(ctx);
	int rc = run_text(ctx, nft_text_cleanup, err);
	if (rc < 0) {
		/* Without IPv6 support, the IPv4 table alone. */
		free(*err);
		*err = NULL;
		rc = run_text(ctx, "add table ip svcnet\ndelete table ip svcnet\n", err);
	}
	nft_ctx_free(ctx);
	return rc;
}

static void nftm_metrics(void *state, struct strbuf *out)
{
	struct nft_state *s = state;
	sb_printf(out,
		  "# HELP svcnet_proxy_nftables_transaction_failures_total nftables transactions "
		  "that failed.\n# TYPE svcnet_proxy_nftables_transaction_failures_total counter\n"
		  "svcnet_proxy_nftables_transaction_failures_total %lu\n"
		  "# HELP svcnet_proxy_nftables_transactions_total nftables transactions.\n"
		  "# TYPE svcnet_proxy_nftables_transactions_total counter\n"
		  "svcnet_proxy_nftables_transactions_total %lu\n"
		  "# HELP svcnet_proxy_nftables_syncs_total Successful syncs by kind.\n"
		  "# TYPE svcnet_proxy_nftables_syncs_total counter\n"
		  "svcnet_proxy_nftables_syncs_total{kind=\"full\"} %lu\n"
		  "svcnet_proxy_nftables_syncs_total{kind=\"partial\"} %lu\n"
		  "# HELP svcnet_proxy_nftables_transaction_bytes Size of the last transaction.\n"
		  "# TYPE svcnet_proxy_nftables_transaction_bytes gauge\n"
		  "svcnet_proxy_nftables_transaction_bytes %lu\n",
		  __atomic_load_n(&s->failures, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->txns, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->full_syncs, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->partial_syncs, __ATOMIC_RELAXED),
		  __atomic_load_n(&s->last_bytes, __ATOMIC_RELAXED));
}

const struct proxy_mode_ops proxy_mode_nftables = {
    .name = "nftables",
    .init = nftm_init,
    .sync = nftm_sync,
    .stop = nftm_stop,
    .cleanup = nftm_cleanup,
    .metrics = nftm_metrics,
};
