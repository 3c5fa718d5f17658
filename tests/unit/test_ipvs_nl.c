/*
 * Unit tests for the ipvs mode's generic-netlink messages (ipvs_nl.c): each
 * plan change is encoded, read back with libnl's parser and checked
 * attribute by attribute, as the kernel's IPVS family would read it. IPVS
 * is absent from the kernels here, so nothing is sent.
 */
#include "proxy/ipvs_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define FAMILY 42

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

/* The top-level attributes of m, after checking its header. */
static void parse(struct nl_msg *m, uint8_t cmd, struct nlattr **top)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	assert_int_equal(h->nlmsg_type, FAMILY);
	struct genlmsghdr *g = nlmsg_data(h);
	assert_int_equal(g->cmd, cmd);
	assert_int_equal(g->version, IPVS_GENL_VERSION);
	assert_int_equal(genlmsg_parse(h, 0, top, IPVS_CMD_ATTR_MAX, NULL), 0);
}

static void test_add_service(void **state)
{
	struct ipvs_vs vs = {.addr = ip("10.96.0.10"),
			     .port = 80,
			     .protocol = IPPROTO_TCP,
			     .sched = "lc",
			     .persistence = 10800};
	struct ipvs_op op = {.kind = IPVS_OP_ADD_VS, .vs = &vs};
	struct nl_msg *m = ipvs_nl_msg(FAMILY, &op);
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *s[IPVS_SVC_ATTR_MAX + 1];
	parse(m, IPVS_CMD_NEW_SERVICE, top);
	assert_non_null(top[IPVS_CMD_ATTR_SERVICE]);
	assert_null(top[IPVS_CMD_ATTR_DEST]);
	assert_int_equal(nla_parse_nested(s, IPVS_SVC_ATTR_MAX, top[IPVS_CMD_ATTR_SERVICE], NULL),
			 0);
	assert_int_equal(nla_get_u16(s[IPVS_SVC_ATTR_AF]), AF_INET);
	assert_int_equal(nla_get_u16(s[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_TCP);
	assert_int_equal(nla_len(s[IPVS_SVC_ATTR_ADDR]), 16);
	assert_memory_equal(nla_data(s[IPVS_SVC_ATTR_ADDR]), "\x0a\x60\x00\x0a\0\0\0\0", 8);
	assert_int_equal(ntohs(nla_get_u16(s[IPVS_SVC_ATTR_PORT])), 80);
	assert_string_equal(nla_get_string(s[IPVS_SVC_ATTR_SCHED_NAME]), "lc");
	struct ip_vs_flags fl;
	memcpy(&fl, nla_data(s[IPVS_SVC_ATTR_FLAGS]), sizeof(fl));
	assert_int_equal(fl.flags, IP_VS_SVC_F_PERSISTENT);
	assert_int_equal(nla_get_u32(s[IPVS_SVC_ATTR_TIMEOUT]), 10800);
	assert_int_equal(nla_get_u32(s[IPVS_SVC_ATTR_NETMASK]), 0xffffffff);
	nlmsg_free(m);
	/* A delete names the virtual server only. */
	op.kind = IPVS_OP_DEL_VS;
	m = ipvs_nl_msg(FAMILY, &op);
	parse(m, IPVS_CMD_DEL_SERVICE, top);
	assert_int_equal(nla_parse_nested(s, IPVS_SVC_ATTR_MAX, top[IPVS_CMD_ATTR_SERVICE], NULL),
			 0);
	assert_non_null(s[IPVS_SVC_ATTR_PORT]);
	assert_null(s[IPVS_SVC_ATTR_SCHED_NAME]);
	nlmsg_free(m);
}

static void test_dest(void **state)
{
	struct ipvs_vs vs = {
	    .addr = ip("fd00::10"), .port = 53, .protocol = IPPROTO_UDP, .sched = "rr"};
	struct ipvs_op op = {.kind = IPVS_OP_EDIT_DEST,
			     .vs = &vs,
			     .dest = {.addr = ip("fd00:1::5"), .port = 5353, .weight = 0}};
	struct nl_msg *m = ipvs_nl_msg(FAMILY, &op);
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *s[IPVS_SVC_ATTR_MAX + 1],
	    *d[IPVS_DEST_ATTR_MAX + 1];
	parse(m, IPVS_CMD_SET_DEST, top);
	assert_int_equal(nla_parse_nested(s, IPVS_SVC_ATTR_MAX, top[IPVS_CMD_ATTR_SERVICE], NULL),
			 0);
	assert_int_equal(nla_get_u16(s[IPVS_SVC_ATTR_AF]), AF_INET6);
	assert_null(s[IPVS_SVC_ATTR_SCHED_NAME]); /* the service is only named */
	assert_int_equal(nla_parse_nested(d, IPVS_DEST_ATTR_MAX, top[IPVS_CMD_ATTR_DEST], NULL), 0);
	assert_memory_equal(nla_data(d[IPVS_DEST_ATTR_ADDR]), op.dest.addr.b, 16);
	assert_int_equal(ntohs(nla_get_u16(d[IPVS_DEST_ATTR_PORT])), 5353);
	assert_int_equal(nla_get_u16(d[IPVS_DEST_ATTR_ADDR_FAMILY]), AF_INET6);
	assert_int_equal(nla_get_u32(d[IPVS_DEST_ATTR_FWD_METHOD]), IP_VS_CONN_F_MASQ);
	assert_non_null(d[IPVS_DEST_ATTR_WEIGHT]);
	assert_int_equal(nla_get_u32(d[IPVS_DEST_ATTR_WEIGHT]), 0);
	nlmsg_free(m);
	op.kind = IPVS_OP_DEL_DEST;
	m = ipvs_nl_msg(FAMILY, &op);
	parse(m, IPVS_CMD_DEL_DEST, top);
	assert_int_equal(nla_parse_nested(d, IPVS_DEST_ATTR_MAX, top[IPVS_CMD_ATTR_DEST], NULL), 0);
	assert_null(d[IPVS_DEST_ATTR_WEIGHT]);
	nlmsg_free(m);
}

/* Without IPVS in the kernel (as here) opening says so instead of failing later. */
static void test_open(void **state)
{
	struct ipvs_nl *nl = NULL;
	char *err = NULL;
	int rc = ipvs_nl_open(&nl, &err);
	if (rc == 0) {
		ipvs_nl_close(nl);
		skip();
	}
	assert_int_equal(rc, -ENOTSUP);
	assert_non_null(strstr(err, "IPVS over generic netlink"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_service),
	    cmocka_unit_test(test_dest),
	    cmocka_unit_test(test_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
