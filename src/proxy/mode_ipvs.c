/*
 * The ipvs mode. IPVS is found by asking generic netlink for the "IPVS"
 * family (or by /proc/net/ip_vs). When the kernel has none — as on the
 * machines this was written on — the mode says so and runs the iptables
 * mode instead, as kube-proxy does. Programming IPVS itself (virtual servers
 * over generic netlink, svcnet-ipvs0, graceful removal) is not built yet:
 * with IPVS present, the mode falls back the same way and says why.
 */
#include "proxy/iptables_internal.h"
#include "proxy/mode.h"

#include "base/log.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static int ipvs_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	if (!ipvs_available())
		log_warn("proxy", "IPVS is not available in this kernel; falling back to iptables "
				  "mode");
	else
		log_warn("proxy", "IPVS is available but svcnet's IPVS programming is not built "
				  "yet; falling back to iptables mode");
	return proxy_mode_iptables.init(cfg, state, err);
}

static int ipvs_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	return proxy_mode_iptables.sync(state, old, new, err);
}

static void ipvs_stop(void *state)
{
	proxy_mode_iptables.stop(state);
}

static int ipvs_cleanup(char **err)
{
	return ipt_cleanup_all(err);
}

static void ipvs_metrics(void *state, struct strbuf *out)
{
	proxy_mode_iptables.metrics(state, out);
}

const struct proxy_mode_ops proxy_mode_ipvs = {
    .name = "ipvs",
    .init = ipvs_init,
    .sync = ipvs_sync,
    .stop = ipvs_stop,
    .cleanup = ipvs_cleanup,
    .metrics = ipvs_metrics,
};
