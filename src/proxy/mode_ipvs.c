/*
 * The ipvs mode. IPVS is found by asking generic netlink for the "IPVS"
 * family (or by /proc/net/ip_vs). When the kernel has none — as on the
 * machines this was written on — the mode says so and runs the iptables
 * mode instead, as kube-proxy does. With IPVS, each sync turns the service
 * map into a plan (ipvs_plan.c: virtual servers, real servers, addresses to
 * bind), sends the difference from what is installed over generic netlink
 * (ipvs_nl.c), binds the clusterIPs, externalIPs and LB IPs on the dummy
 * interface svcnet-ipvs0 (`ip -batch`), and rewrites one iptables chain for
 * the masquerade IPVS needs. A real server that goes keeps weight 0 until
 * the kernel counts no connection on it.
 */
#include "proxy/iptables_internal.h"
#include "proxy/ipvs_internal.h"
#include "proxy/mode.h"

#include "base/log.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct ipvs_state {
	void *ipt; /* without IPVS: the iptables mode's state */
	struct ipvs_nl *nl;
	enum sched_algo sched;
	bool has_cidr;
	struct ip_cidr cidr;
	struct ipvs_plan installed;
	struct ip_addr *bound; /* on the dummy interface now, sorted per family */
	size_t n_bound;
	struct ipt_tools tools[2];
	bool jumps[2];
	unsigned long syncs, failures, ops;
};

/* Whether generic netlink knows a family called name (0/1), or -errno. */
static int genl_has_family(const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		char attrs[64];
	} req = {0};
	size_t len = strlen(name) + 1;
	struct nlattr *a = (struct nlattr *)req.attrs;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, name, len);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(a->nla_len));
	req.nh.nlmsg_type = GENL_ID_CTRL;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.gh.cmd = CTRL_CMD_GETFAMILY;
	req.gh.version = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd == -1)
		return -errno;
	int rc = -EIO;
	char buf[8192];
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, req.nh.nlmsg_len, 0) == -1)
		goto out;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		goto out;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type == NLMSG_ERROR)
		rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error == 0 ? 1 : 0;
	else
		rc = h->nlmsg_type == GENL_ID_CTRL ? 1 : 0;
out:
	close(fd);
	return rc;
}

static bool ipvs_available(void)
{
	return genl_has_family("IPVS") == 1 || access("/proc/net/ip_vs", F_OK) == 0;
}

/* Runs `ip -force -batch -` with input; 0 or -EIO with *err. */
static int ip_batch(const char *input, char **err)
{
	const char *argv[] = {"ip", "-force", "-batch", "-", NULL};
	char *out = NULL;
	int rc = ipt_run(argv, input, &out);
	if (rc != 0 && err)
		*err = xasprintf("ip -batch: %s", out && *out ? out : "failed");
	free(out);
	return rc == 0 ? 0 : -EIO;
}

/* Creates the dummy interface (if missing) and sets it up. */
static int dummy_up(char **err)
{
	return ip_batch("link add " IPVS_DUMMY_IF " type dummy\n"
			"link set " IPVS_DUMMY_IF " up\n",
			err);
}

static int ipvs_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	struct ipvs_state *s = xcalloc(1, sizeof(*s));
	char *why = NULL;
	if (!ipvs_available()) {
		why = xstrdup("IPVS is not available in this kernel");
	} else if (ipvs_nl_open(&s->nl, &why) == 0 && dummy_up(&why) < 0) {
		ipvs_nl_close(s->nl);
		s->nl = NULL;
	}
	if (!s->nl) {
		log_warn("proxy", "ipvs: %s; falling back to iptables mode", why);
		free(why);
		int rc = proxy_mode_iptables.init(cfg, &s->ipt, err);
		if (rc < 0)
			free(s);
		else
			*state = s;
		return rc;
	}
	s->sched = cfg->scheduler;
	s->has_cidr = cfg->cluster_cidr && ip_cidr_parse(cfg->cluster_cidr, false, &s->cidr) == 0;
	ipt_tools_pick(IP_V4, &s->tools[0]);
	ipt_tools_pick(IP_V6, &s->tools[1]);
	log_info("proxy",
		 "ipvs mode: virtual servers over generic netlink, scheduler %s, "
		 "addresses on " IPVS_DUMMY_IF,
		 sched_algo_name(s->sched));
	*state = s;
	return 0;
}

/*
 * Binds and unbinds addresses on the dummy interface to match p. An address
 * already there or already gone is no failure: `ip -force` goes on, and what
 * it still reports is logged.
 */
static void sync_bound(struct ipvs_state *s, const struct ipvs_plan *p)
{
	struct ip_addr *want[2];
	size_t n[2] = {ipvs_plan_bound_addrs(p, IP_V4, &want[0]),
		       ipvs_plan_bound_addrs(p, IP_V6, &want[1])};
	struct ip_addr *all = xcalloc(n[0] + n[1] + 1, sizeof(*all));
	memcpy(all, want[0], n[0] * sizeof(*all));
	memcpy(all + n[0], want[1], n[1] * sizeof(*all));
	struct strbuf sb = STRBUF_INIT;
	char a[IP_STRLEN];
	/* Both lists are sorted the same way (IPv4 first): one merge. */
	size_t i = 0, j = 0, nw = n[0] + n[1];
	while (i < s->n_bound || j < nw) {
		int c = i == s->n_bound ? 1 : j == nw ? -1 : ip_cmp(&s->bound[i], &all[j]);
		const struct ip_addr *x = c < 0 ? &s->bound[i] : &all[j];
		if (c)
			sb_printf(&sb, "addr %s %s/%d dev " IPVS_DUMMY_IF "\n",
				  c < 0 ? "del" : "replace", ip_addr_format(x, a),
				  x->family == IP_V6 ? 128 : 32);
		i += c <= 0;
		j += c >= 0;
	}
	char *err = NULL;
	if (sb.len && ip_batch(sb.buf, &err) < 0)
		log_warn("proxy", "ipvs: binding addresses on " IPVS_DUMMY_IF ": %s", err);
	free(err);
	sb_free(&sb);
	free(want[0]);
	free(want[1]);
	free(s->bound);
	s->bound = all;
	s->n_bound = nw;
}

/* Rewrites the masquerade chain of family i and hooks it in once. */
static int sync_masq(struct ipvs_state *s, int i, char **err)
{
	enum ip_family f = i ? IP_V6 : IP_V4;
	char *text = ipvs_masq_rules(&s->installed, f, s->has_cidr ? &s->cidr : NULL);
	int rc = ipt_restore(&s->tools[i], text, err);
	free(text);
	const char *bin = !strcmp(s->tools[i].name, "legacy")
			      ? (i ? "ip6tables-legacy" : "iptables-legacy")
			      : (i ? "ip6tables" : "iptables");
	static const char *const hooks[][2] = {{"PREROUTING", "SVCNET-IPVS"},
					       {"OUTPUT", "SVCNET-IPVS"},
					       {"POSTROUTING", "SVCNET-POSTROUTING"}};
	for (size_t h = 0; rc == 0 && !s->jumps[i] && h < 3; h++) {
		const char *check[] = {bin,  "-w",	  "5",	"-t",	     "nat",
				       "-C", hooks[h][0], "-j", hooks[h][1], NULL};
		const char *add[] = {bin,  "-w",	"5",  "-t",	   "nat",
				     "-I", hooks[h][0], "-j", hooks[h][1], NULL};
		if (ipt_run(check, NULL, NULL) != 0 && ipt_run(add, NULL, NULL) != 0) {
			*err =
			    xasprintf("%s: cannot hook %s into %s", bin, hooks[h][1], hooks[h][0]);
			rc = -EIO;
		}
	}
	if (rc == 0)
		s->jumps[i] = true;
	return rc;
}

static bool has_v6(const struct ipvs_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->vs[i].addr.family == IP_V6)
			return true;
	return false;
}

static int ipvs_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	struct ipvs_state *s = state;
	if (s->ipt)
		return proxy_mode_iptables.sync(s->ipt, old, new, err);
	struct ipvs_plan want, next;
	struct ipvs_op *ops = NULL;
	ipvs_plan_build(new, s->sched, &want);
	size_t n = ipvs_plan_diff(&s->installed, &want, ipvs_nl_conns, s->nl, &ops, &next);
	int rc = ipvs_nl_apply(s->nl, ops, n, err);
	free(ops);
	if (rc == 0) {
		ipvs_plan_free(&s->installed);
		s->installed = next;
		s->ops += n;
	} else {
		ipvs_plan_free(&next);
	}
	ipvs_plan_free(&want);
	if (rc == 0)
		sync_bound(s, &s->installed);
	if (rc == 0)
		rc = sync_masq(s, 0, err);
	if (rc == 0 && has_v6(&s->installed))
		rc = sync_masq(s, 1, err);
	__atomic_add_fetch(rc == 0 ? &s->syncs : &s->failures, 1, __ATOMIC_RELAXED);
	return rc;
}

static void ipvs_stop(void *state)
{
	struct ipvs_state *s = state;
	if (s->ipt)
		proxy_mode_iptables.stop(s->ipt);
	ipvs_nl_close(s->nl);
	ipvs_plan_free(&s->installed);
	free(s->bound);
	free(s);
}

/* The addresses `ip -o addr show [dev D]` lists. */
static size_t list_addrs(const char *dev, struct ip_addr **out)
{
	const char *argv[] = {"ip", "-o", "addr", "show", dev ? "dev" : NULL, dev, NULL};
	char *text = NULL, *save = NULL;
	size_t n = 0;
	*out = NULL;
	if (ipt_run(argv, NULL, &text) == 0) {
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *inet = strstr(l, " inet");
			char *sp = inet ? strchr(inet + 1, ' ') : NULL;
			if (!sp)
				continue;
			char buf[IP_STRLEN + 4] = "";
			sscanf(sp + 1, "%49[^/ ]", buf);
			*out = xrealloc(*out, (n + 1) * sizeof(**out));
			if (ip_addr_parse(buf, &(*out)[n]) == 0)
				n++;
		}
	}
	free(text);
	return n;
}

static int ipvs_cleanup(char **err)
{
	int rc = ipt_cleanup_all(err);
	struct ipvs_nl *nl = NULL;
	char *e = NULL;
	if (rc < 0 || !ipvs_available() || ipvs_nl_open(&nl, &e) < 0) {
		free(e);
		return rc;
	}
	struct ip_addr *bound, *local;
	size_t nb = list_addrs(IPVS_DUMMY_IF, &bound), n_local = list_addrs(NULL, &local);
	int n = ipvs_nl_delete_owned(nl, bound, nb, local, n_local);
	log_info("proxy", "ipvs: %d virtual servers removed", n < 0 ? 0 : n);
	ipvs_nl_close(nl);
	free(bound);
	free(local);
	ip_batch("link del " IPVS_DUMMY_IF "\n", NULL);
	return 0;
}

static void ipvs_metrics(void *state, struct strbuf *out)
{
	struct ipvs_state *s = state;
	if (s->ipt) {
		proxy_mode_iptables.metrics(s->ipt, out);
		return;
	}
	sb_printf(out,
		  "# HELP svcnet_proxy_ipvs_virtual_servers Virtual servers installed.\n"
		  "# TYPE svcnet_proxy_ipvs_virtual_servers gauge\n"
		  "svcnet_proxy_ipvs_virtual_servers %zu\n"
		  "# HELP svcnet_proxy_ipvs_operations_total Generic-netlink changes sent.\n"
		  "# TYPE svcnet_proxy_ipvs_operations_total counter\n"
		  "svcnet_proxy_ipvs_operations_total %lu\n"
		  "# HELP svcnet_proxy_ipvs_sync_failures_total Syncs that failed.\n"
		  "# TYPE svcnet_proxy_ipvs_sync_failures_total counter\n"
		  "svcnet_proxy_ipvs_sync_failures_total %lu\n",
		  s->installed.n, s->ops, __atomic_load_n(&s->failures, __ATOMIC_RELAXED));
}

const struct proxy_mode_ops proxy_mode_ipvs = {
    .name = "ipvs",
    .init = ipvs_init,
    .sync = ipvs_sync,
    .stop = ipvs_stop,
    .cleanup = ipvs_cleanup,
    .metrics = ipvs_metrics,
};
