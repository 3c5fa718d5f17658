/*
 * Unit tests for the ipvs mode's plan (ipvs_plan.c): the exact virtual and
 * real servers programmed for a service map, the changes between two maps
 * with graceful draining, the addresses bound on the dummy interface and the
 * masquerade rules. IPVS itself is absent from the kernels here, so this is
 * where the mode's output is checked.
 */
#include "proxy/ipvs_internal.h"

#include "base/strbuf.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

/* An entry with n endpoints 10.244.0.1.. on port 8080. */
static struct svcmap_port entry(const char *key, const char *vip, uint16_t port, size_t n,
				struct svcmap_endpoint *eps)
{
	struct svcmap_port p = {0};
	p.key = (char *)key;
	p.family = IP_V4;
	p.protocol = IPPROTO_TCP;
	p.cluster_ip = ip(vip);
	p.port = port;
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.244.0.%zu", n - i); /* unsorted on purpose */
		eps[i] = (struct svcmap_endpoint){.addr = ip(a), .port = 8080, .ready = true};
	}
	p.cluster_eps = eps;
	p.n_cluster_eps = n;
	return p;
}

/* "addr:port/proto sched persistence [dest:port@weight ...]" of each virtual server. */
static char *dump(const struct ipvs_plan *p)
{
	struct strbuf sb = STRBUF_INIT;
	char a[IP_STRLEN];
	for (size_t i = 0; i < p->n; i++) {
		const struct ipvs_vs *v = &p->vs[i];
		sb_printf(&sb, "%s:%u/%u %s %u%s%s", ip_addr_format(&v->addr, a), v->port,
			  v->protocol, v->sched, v->persistence, v->bound ? " bound" : "",
			  v->masq_all ? " masq" : "");
		for (size_t j = 0; j < v->n_dests; j++)
			sb_printf(&sb, " %s:%u@%u", ip_addr_format(&v->dests[j].addr, a),
				  v->dests[j].port, v->dests[j].weight);
		sb_puts(&sb, "\n");
	}
	return sb_steal(&sb);
}

static void test_build(void **state)
{
	struct svcmap_endpoint e1[3], e2[1], ext[1];
	struct svcmap_port ports[2] = {
	    entry("default/web:http", "10.96.0.10", 80, 3, e1),
	    entry("default/dns:dns", "10.96.0.20", 53, 1, e2),
	};
	ports[1].protocol = IPPROTO_UDP;
	ports[0].affinity_client_ip = true;
	ports[0].affinity_timeout_s = 600;
	ports[0].node_port = 30080;
	struct ip_addr nodes[2] = {ip("192.168.1.5"), ip("192.168.2.5")};
	ports[0].node_ips = nodes;
	ports[0].n_node_ips = 2;
	struct ip_addr lb = ip("203.0.113.7");
	ports[0].lb_ips = &lb;
	ports[0].n_lb_ips = 1;
	ext[0] = e1[2]; /* externalTrafficPolicy Local: this node's endpoint only */
	ports[0].external_eps = ext;
	ports[0].n_external_eps = 1;
	ports[0].external_local = true;
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct ipvs_plan p;
	ipvs_plan_build(&m, SCHED_ALG_LC, &p);
	char *d = dump(&p);
	assert_string_equal(d, "10.96.0.10:80/6 lc 600 bound 10.244.0.1:8080@1 10.244.0.2:8080@1 "
			       "10.244.0.3:8080@1\n"
			       "10.96.0.20:53/17 lc 0 bound 10.244.0.1:8080@1\n"
			       "192.168.1.5:30080/6 lc 600 10.244.0.1:8080@1\n"
			       "192.168.2.5:30080/6 lc 600 10.244.0.1:8080@1\n"
			       "203.0.113.7:80/6 lc 600 bound 10.244.0.1:8080@1\n");
	free(d);
	struct ip_addr *bound;
	size_t n = ipvs_plan_bound_addrs(&p, IP_V4, &bound);
	assert_int_equal(n, 3);
	char a[IP_STRLEN];
	assert_string_equal(ip_addr_format(&bound[2], a), "203.0.113.7");
	free(bound);
	const struct ipvs_vs *v = ipvs_plan_find(&p, &nodes[1], IPPROTO_TCP, 30080);
	assert_non_null(v);
	assert_false(v->bound);
	assert_null(ipvs_plan_find(&p, &nodes[1], IPPROTO_UDP, 30080));
	ipvs_plan_free(&p);
	/* random, which IPVS has not, is rr; an external policy Cluster masquerades all. */
	ports[0].external_local = false;
	ipvs_plan_build(&m, SCHED_ALG_RANDOM, &p);
	assert_string_equal(p.vs[0].sched, "rr");
	assert_true(p.vs[4].masq_all);
	ipvs_plan_free(&p);
}

/* Connections per real server for the diff: 10.244.0.3 still has some. */
static unsigned conns(void *ctx, const struct ipvs_vs *vs, const struct ipvs_dest *d)
{
	(*(int *)ctx)++;
	return d->addr.b[3] == 3 ? 2 : 0;
}

static const char *kind(enum ipvs_op_kind k)
{
	static const char *const n[] = {"add-vs",   "edit-vs",	 "del-vs",
					"add-dest", "edit-dest", "del-dest"};
	return n[k];
}

static char *ops_text(const struct ipvs_op *ops, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char a[IP_STRLEN], b[IP_STRLEN];
	for (size_t i = 0; i < n; i++) {
		sb_printf(&sb, "%s %s:%u", kind(ops[i].kind), ip_addr_format(&ops[i].vs->addr, a),
			  ops[i].vs->port);
		if (ops[i].kind >= IPVS_OP_ADD_DEST)
			sb_printf(&sb, " %s@%u", ip_addr_format(&ops[i].dest.addr, b),
				  ops[i].dest.weight);
		sb_puts(&sb, "\n");
	}
	return sb_steal(&sb);
}

static void test_diff_drains(void **state)
{
	struct svcmap_endpoint e1[3], e2[1], e3[1], e4[1];
	struct svcmap_port a[2] = {entry("default/web:http", "10.96.0.10", 80, 3, e1),
				   entry("default/old:p", "10.96.0.30", 81, 1, e2)};
	struct svcmap ma = {.ports = a, .n_ports = 2};
	/* web keeps only 10.244.0.1; old goes; new comes. */
	struct svcmap_port b[2] = {entry("default/web:http", "10.96.0.10", 80, 1, e3),
				   entry("default/new:p", "10.96.0.40", 82, 1, e4)};
	struct svcmap mb = {.ports = b, .n_ports = 2};
	struct ipvs_plan empty = {0}, pa, pb, next1, next2, next3;
	ipvs_plan_build(&ma, SCHED_ALG_RR, &pa);
	ipvs_plan_build(&mb, SCHED_ALG_RR, &pb);
	struct ipvs_op *ops;
	int calls = 0;
	size_t n = ipvs_plan_diff(&empty, &pa, conns, &calls, &ops, &next1);
	char *t = ops_text(ops, n);
	assert_string_equal(t, "add-vs 10.96.0.10:80\nadd-dest 10.96.0.10:80 10.244.0.1@1\n"
			       "add-dest 10.96.0.10:80 10.244.0.2@1\n"
			       "add-dest 10.96.0.10:80 10.244.0.3@1\n"
			       "add-vs 10.96.0.30:81\nadd-dest 10.96.0.30:81 10.244.0.1@1\n");
	free(t);
	free(ops);
	/* 10.244.0.2 has no connection left: deleted; 10.244.0.3 has two: weight 0. */
	n = ipvs_plan_diff(&next1, &pb, conns, &calls, &ops, &next2);
	t = ops_text(ops, n);
	assert_string_equal(t, "edit-dest 10.96.0.10:80 10.244.0.3@0\n"
			       "add-vs 10.96.0.40:82\nadd-dest 10.96.0.40:82 10.244.0.1@1\n"
			       "del-dest 10.96.0.10:80 10.244.0.2@1\n"
			       "del-vs 10.96.0.30:81\n");
	free(t);
	free(ops);
	char *d = dump(&next2);
	assert_non_null(
	    strstr(d, "10.96.0.10:80/6 rr 0 bound 10.244.0.1:8080@1 10.244.0.3:8080@0\n"));
	free(d);
	/* Nothing new while it drains; once back in the map, weight 1 again. */
	n = ipvs_plan_diff(&next2, &pb, conns, &calls, &ops, &next3);
	assert_int_equal(n, 0);
	free(ops);
	assert_int_equal(calls, 3);
	struct ipvs_plan next4;
	n = ipvs_plan_diff(&next3, &pa, NULL, NULL, &ops, &next4);
	t = ops_text(ops, n);
	assert_non_null(strstr(t, "edit-dest 10.96.0.10:80 10.244.0.3@1\n"));
	assert_non_null(strstr(t, "add-dest 10.96.0.10:80 10.244.0.2@1\n"));
	free(t);
	free(ops);
	/* Scheduler change: edit in place. */
	struct ipvs_plan plc, next5;
	ipvs_plan_build(&ma, SCHED_ALG_SH, &plc);
	n = ipvs_plan_diff(&pa, &plc, NULL, NULL, &ops, &next5);
	t = ops_text(ops, n);
	assert_string_equal(t, "edit-vs 10.96.0.10:80\nedit-vs 10.96.0.30:81\n");
	free(t);
	free(ops);
	struct ipvs_plan *all[] = {&pa, &pb, &plc, &next1, &next2, &next3, &next4, &next5};
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		ipvs_plan_free(all[i]);
}

static void test_masq(void **state)
{
	struct svcmap_endpoint e1[1];
	struct svcmap_port p = entry("default/web:http", "10.96.0.10", 80, 1, e1);
	p.node_port = 30080;
	struct ip_addr node = ip("192.168.1.5");
	p.node_ips = &node;
	p.n_node_ips = 1;
	p.external_eps = e1;
	p.n_external_eps = 1;
	struct svcmap m = {.ports = &p, .n_ports = 1};
	struct ipvs_plan plan;
	ipvs_plan_build(&m, SCHED_ALG_RR, &plan);
	struct ip_cidr cidr;
	assert_int_equal(ip_cidr_parse("10.244.0.0/16", true, &cidr), 0);
	char *t = ipvs_masq_rules(&plan, IP_V4, &cidr);
	assert_non_null(strstr(t, "*nat\n:SVCNET-IPVS - [0:0]\n"));
	assert_non_null(strstr(t, "-A SVCNET-IPVS -d 10.96.0.10/32 -p tcp -m tcp --dport 80 "
				  "! -s 10.244.0.0/16 -j SVCNET-MARK-MASQ\n"));
	assert_non_null(strstr(t, "-A SVCNET-IPVS -d 192.168.1.5/32 -p tcp -m tcp --dport 30080 "
				  "-j SVCNET-MARK-MASQ\n"));
	assert_non_null(strstr(t, "-A SVCNET-POSTROUTING -j MASQUERADE --random-fully\n"));
	assert_non_null(strstr(t, "COMMIT\n"));
	free(t);
	t = ipvs_masq_rules(&plan, IP_V4, NULL);
	assert_non_null(strstr(t, "--dport 80 -m addrtype --src-type LOCAL -j SVCNET-MARK-MASQ"));
	free(t);
	t = ipvs_masq_rules(&plan, IP_V6, NULL);
	assert_null(strstr(t, "-A SVCNET-IPVS"));
	free(t);
	ipvs_plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_diff_drains),
	    cmocka_unit_test(test_masq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
