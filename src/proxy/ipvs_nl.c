/*
 * The ipvs mode's generic-netlink side, through libnl-genl: the messages of
 * the IPVS family (linux/ip_vs.h) that add, change and delete virtual and
 * real servers, the dump of a virtual server's real servers for their
 * connection counts, and the dump of every virtual server for --cleanup.
 */
#include "proxy/ipvs_internal.h"

#include "base/strbuf.h"

#include <errno.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct ipvs_nl {
	struct nl_sock *sk;
	int family;
};

static uint16_t af(const struct ip_addr *a)
{
	return a->family == IP_V6 ? AF_INET6 : AF_INET;
}

/* An address as IPVS wants it: union nf_inet_addr, 16 bytes. */
static void put_addr(struct nl_msg *m, int type, const struct ip_addr *a)
{
	uint8_t b[16] = {0};
	memcpy(b, a->b, a->family == IP_V6 ? 16 : 4);
	nla_put(m, type, sizeof(b), b);
}

/* The attributes that name a virtual server (and, full, configure it). */
static void put_service(struct nl_msg *m, const struct ipvs_vs *v, bool full)
{
	struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
	nla_put_u16(m, IPVS_SVC_ATTR_AF, af(&v->addr));
	nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, v->protocol);
	put_addr(m, IPVS_SVC_ATTR_ADDR, &v->addr);
	nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(v->port));
	if (full) {
		struct ip_vs_flags fl = {.flags = v->persistence ? IP_VS_SVC_F_PERSISTENT : 0,
					 .mask = ~0u};
		nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, v->sched);
		nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof(fl), &fl);
		nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, v->persistence);
		nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, v->addr.family == IP_V6 ? 128 : 0xffffffff);
	}
	nla_nest_end(m, n);
}

static void put_dest(struct nl_msg *m, const struct ipvs_dest *d, bool full)
{
	struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
	put_addr(m, IPVS_DEST_ATTR_ADDR, &d->addr);
	nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(d->port));
	nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, af(&d->addr));
	if (full) {
		nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
		nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, d->weight);
		nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, 0);
		nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, 0);
	}
	nla_nest_end(m, n);
}

static struct nl_msg *msg_new(int family_id, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();
	if (m)
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family_id, 0, flags, cmd,
			    IPVS_GENL_VERSION);
	return m;
}

struct nl_msg *ipvs_nl_msg(int family_id, const struct ipvs_op *op)
{
	static const uint8_t cmds[] = {
	    [IPVS_OP_ADD_VS] = IPVS_CMD_NEW_SERVICE, [IPVS_OP_EDIT_VS] = IPVS_CMD_SET_SERVICE,
	    [IPVS_OP_DEL_VS] = IPVS_CMD_DEL_SERVICE, [IPVS_OP_ADD_DEST] = IPVS_CMD_NEW_DEST,
	    [IPVS_OP_EDIT_DEST] = IPVS_CMD_SET_DEST, [IPVS_OP_DEL_DEST] = IPVS_CMD_DEL_DEST,
	};
	struct nl_msg *m = msg_new(family_id, cmds[op->kind], 0);
	if (!m)
		return NULL;
	bool vs_full = op->kind == IPVS_OP_ADD_VS || op->kind == IPVS_OP_EDIT_VS;
	put_service(m, op->vs, vs_full);
	if (op->kind >= IPVS_OP_ADD_DEST)
		put_dest(m, &op->dest, op->kind != IPVS_OP_DEL_DEST);
	return m;
}

int ipvs_nl_open(struct ipvs_nl **out, char **err)
{
	struct ipvs_nl *nl = xcalloc(1, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	int rc = nl->sk ? genl_connect(nl->sk) : -NLE_NOMEM;
	if (rc == 0)
		rc = nl->family = genl_ctrl_resolve(nl->sk, IPVS_GENL_NAME);
	if (rc < 0) {
		*err = xasprintf("IPVS over generic netlink: %s", nl_geterror(rc));
		ipvs_nl_close(nl);
		return -ENOTSUP;
	}
	*out = nl;
	return 0;
}

void ipvs_nl_close(struct ipvs_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

/* Sends m (freed) and waits for the kernel's answer; a libnl error or 0. */
static int send_sync(struct ipvs_nl *nl, struct nl_msg *m)
{
	return m ? nl_send_sync(nl->sk, m) : -NLE_NOMEM;
}

int ipvs_nl_apply(struct ipvs_nl *nl, const struct ipvs_op *ops, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		struct ipvs_op op = ops[i];
		int rc = send_sync(nl, ipvs_nl_msg(nl->family, &op));
		if (rc == -NLE_EXIST &&
		    (op.kind == IPVS_OP_ADD_VS || op.kind == IPVS_OP_ADD_DEST)) {
			op.kind = op.kind == IPVS_OP_ADD_VS ? IPVS_OP_EDIT_VS : IPVS_OP_EDIT_DEST;
			rc = send_sync(nl, ipvs_nl_msg(nl->family, &op));
		}
		if (rc == -NLE_OBJ_NOTFOUND &&
		    (op.kind == IPVS_OP_DEL_VS || op.kind == IPVS_OP_DEL_DEST))
			rc = 0;
		if (rc < 0) {
			char a[IP_STRLEN];
			*err = xasprintf("IPVS: %s:%u: %s", ip_addr_format(&op.vs->addr, a),
					 op.vs->port, nl_geterror(rc));
			return -EIO;
		}
	}
	return 0;
}

/* What a dump callback collects. */
struct dump {
	const struct ipvs_dest *want; /* GET_DEST: the real server counted */
	unsigned conns;
	struct ipvs_vs *vs; /* GET_SERVICE: every virtual server */
	size_t n_vs, cap_vs;
};

static bool get_addr(struct nlattr *a, uint16_t family, struct ip_addr *out)
{
	if (!a || nla_len(a) < 16)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = family == AF_INET6 ? IP_V6 : IP_V4;
	memcpy(out->b, nla_data(a), family == AF_INET6 ? 16 : 4);
	return true;
}

static int on_dest(struct nl_msg *m, void *arg)
{
	struct dump *d = arg;
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *at[IPVS_DEST_ATTR_MAX + 1];
	struct ip_addr a;
	if (genlmsg_parse(nlmsg_hdr(m), 0, top, IPVS_CMD_ATTR_MAX, NULL) < 0 ||
	    !top[IPVS_CMD_ATTR_DEST] ||
	    nla_parse_nested(at, IPVS_DEST_ATTR_MAX, top[IPVS_CMD_ATTR_DEST], NULL) < 0 ||
	    !at[IPVS_DEST_ATTR_PORT])
		return NL_OK;
	uint16_t fam = at[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(at[IPVS_DEST_ATTR_ADDR_FAMILY])
						      : af(&d->want->addr);
	if (!get_addr(at[IPVS_DEST_ATTR_ADDR], fam, &a) || ip_cmp(&a, &d->want->addr) ||
	    ntohs(nla_get_u16(at[IPVS_DEST_ATTR_PORT])) != d->want->port)
		return NL_OK;
	if (at[IPVS_DEST_ATTR_ACTIVE_CONNS])
		d->conns += nla_get_u32(at[IPVS_DEST_ATTR_ACTIVE_CONNS]);
	if (at[IPVS_DEST_ATTR_INACT_CONNS])
		d->conns += nla_get_u32(at[IPVS_DEST_ATTR_INACT_CONNS]);
	return NL_OK;
}

/* Runs a dump request m (freed) through cb. */
static int dump(struct ipvs_nl *nl, struct nl_msg *m, nl_recvmsg_msg_cb_t cb, struct dump *d)
{
	if (!m)
		return -NLE_NOMEM;
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, cb, d);
	int rc = nl_send_auto(nl->sk, m);
	nlmsg_free(m);
	if (rc >= 0)
		rc = nl_recvmsgs_default(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	return rc;
}

unsigned ipvs_nl_conns(void *ctx, const struct ipvs_vs *vs, const struct ipvs_dest *dest)
{
	struct ipvs_nl *nl = ctx;
	struct dump d = {.want = dest};
	struct nl_msg *m = msg_new(nl->family, IPVS_CMD_GET_DEST, NLM_F_DUMP);
	if (m)
		put_service(m, vs, false);
	/* Unknown counts count as connections: draining is the safe side. */
	return dump(nl, m, on_dest, &d) < 0 ? 1 : d.conns;
}

static int on_service(struct nl_msg *m, void *arg)
{
	struct dump *d = arg;
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *at[IPVS_SVC_ATTR_MAX + 1];
	struct ip_addr a;
	if (genlmsg_parse(nlmsg_hdr(m), 0, top, IPVS_CMD_ATTR_MAX, NULL) < 0 ||
	    !top[IPVS_CMD_ATTR_SERVICE] ||
	    nla_parse_nested(at, IPVS_SVC_ATTR_MAX, top[IPVS_CMD_ATTR_SERVICE], NULL) < 0 ||
	    !at[IPVS_SVC_ATTR_AF] || !at[IPVS_SVC_ATTR_PROTOCOL] || !at[IPVS_SVC_ATTR_PORT] ||
	    !get_addr(at[IPVS_SVC_ATTR_ADDR], nla_get_u16(at[IPVS_SVC_ATTR_AF]), &a))
		return NL_OK; /* fwmark services have no address: not ours */
	if (d->n_vs == d->cap_vs) {
		d->cap_vs = d->cap_vs ? d->cap_vs * 2 : 64;
		d->vs = xrealloc(d->vs, d->cap_vs * sizeof(*d->vs));
	}
	struct ipvs_vs *v = &d->vs[d->n_vs++];
	memset(v, 0, sizeof(*v));
	v->addr = a;
	v->protocol = (uint8_t)nla_get_u16(at[IPVS_SVC_ATTR_PROTOCOL]);
	v->port = ntohs(nla_get_u16(at[IPVS_SVC_ATTR_PORT]));
	return NL_OK;
}

static bool addr_in(const struct ip_addr *a, const struct ip_addr *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ip_cmp(a, &set[i]))
			return true;
	return false;
}

int ipvs_nl_delete_owned(struct ipvs_nl *nl, const struct ip_addr *bound, size_t n_bound,
			 const struct ip_addr *local, size_t n_local)
{
	struct dump d = {0};
	int rc = dump(nl, msg_new(nl->family, IPVS_CMD_GET_SERVICE, NLM_F_DUMP), on_service, &d);
	int deleted = 0;
	for (size_t i = 0; rc >= 0 && i < d.n_vs; i++) {
		const struct ipvs_vs *v = &d.vs[i];
		bool node_port =
		    v->port >= 30000 && v->port <= 32767 && addr_in(&v->addr, local, n_local);
		if (!addr_in(&v->addr, bound, n_bound) && !node_port)
			continue;
		struct ipvs_op op = {.kind = IPVS_OP_DEL_VS, .vs = v};
		if (send_sync(nl, ipvs_nl_msg(nl->family, &op)) == 0)
			deleted++;
	}
	free(d.vs);
	return rc < 0 ? -EIO : deleted;
}
