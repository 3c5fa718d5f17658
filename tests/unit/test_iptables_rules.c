/* Unit tests for the iptables mode's rule text (iptables_rules.c, iptables_restore.c). */
#include "proxy/iptables_internal.h"

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

/* One entry with n endpoints 10.244.0.1.. on port 8080 (static storage). */
static struct svcmap_port entry(const char *key, const char *vip, int proto, size_t n,
				struct svcmap_endpoint *eps)
{
	struct svcmap_port p = {0};
	p.key = (char *)key;
	p.family = IP_V4;
	p.protocol = proto;
	p.cluster_ip = ip(vip);
	p.port = 80;
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.244.0.%zu", i + 1);
		eps[i] = (struct svcmap_endpoint){.addr = ip(a), .port = 8080, .ready = true};
	}
	p.cluster_eps = eps;
	p.n_cluster_eps = n;
	p.has_any_endpoints = n > 0;
	return p;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_names(void **state)
{
	struct svcmap_endpoint eps[2];
	struct svcmap_port a = entry("default/web:p", "10.96.0.10", IPPROTO_TCP, 2, eps);
	struct svcmap_port b = entry("default/web:q", "10.96.0.10", IPPROTO_TCP, 2, eps);
	char n1[IPT_CHAIN_LEN], n2[IPT_CHAIN_LEN], s1[IPT_CHAIN_LEN], s2[IPT_CHAIN_LEN];
	ipt_chain_name(&a, "SVC", n1);
	ipt_chain_name(&b, "SVC", n2);
	assert_string_not_equal(n1, n2);
	assert_true(strlen(n1) <= 28);
	assert_int_equal(strncmp(n1, "SVCNET-SVC-", 11), 0);
	ipt_sep_name(&a, &eps[0], s1);
	ipt_sep_name(&a, &eps[1], s2);
	assert_string_not_equal(s1, s2);
	assert_true(strlen(s1) <= 28);
	ipt_chain_name(&a, "SVC", n2);
	assert_string_equal(n1, n2); /* stable */
}

static void test_full(void **state)
{
	struct svcmap_endpoint e1[3], e2[1];
	struct svcmap_port ports[2] = {
	    entry("default/empty:p", "10.96.0.12", IPPROTO_TCP, 0, e2),
	    entry("default/web:p", "10.96.0.10", IPPROTO_TCP, 3, e1),
	};
	ports[1].node_port = 30080;
	ports[1].external_eps = e1;
	ports[1].n_external_eps = 3;
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct ipt_opts o = {.family = IP_V4, .has_cidr = true};
	assert_int_equal(ip_cidr_parse("10.244.0.0/16", true, &o.cidr), 0);
	char *t = ipt_restore_full(&m, &o);
	assert_non_null(strstr(t, "--probability 0.3333333333"));
	assert_non_null(strstr(t, "--probability 0.5000000000"));
	assert_int_equal(count(t, "--probability"), 4); /* SVC and EXT, 2 each */
	assert_non_null(strstr(t, "-j DNAT --to-destination 10.244.0.3:8080"));
	assert_non_null(strstr(t, "! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 "
				  "-j SVCNET-MARK-MASQ"));
	assert_non_null(strstr(t, "-d 10.96.0.12/32 -p tcp -m tcp --dport 80 -m comment --comment "
				  "\"default/empty:p has no endpoints\" -j REJECT --reject-with "
				  "tcp-reset"));
	assert_non_null(strstr(t, "--dst-type LOCAL ! -d 127.0.0.0/8 -j SVCNET-NODEPORTS"));
	assert_non_null(
	    strstr(t, "-A SVCNET-NODEPORTS -p tcp -m tcp --dport 30080 -j SVCNET-EXT-"));
	assert_non_null(strstr(t, "-j MASQUERADE"));
	assert_int_equal(count(t, "-I "), (int)ipt_n_jumps);
	assert_int_equal(count(t, "COMMIT\n"), 2);
	free(t);
	o.jumps_present = (1u << ipt_n_jumps) - 1;
	t = ipt_restore_full(&m, &o);
	assert_int_equal(count(t, "-I "), 0);
	free(t);
}

static void test_affinity(void **state)
{
	struct svcmap_endpoint e[2];
	struct svcmap_port p = entry("default/web:p", "10.96.0.10", IPPROTO_UDP, 2, e);
	p.affinity_client_ip = true;
	p.affinity_timeout_s = 10800;
	struct svcmap m = {.ports = &p, .n_ports = 1};
	struct ipt_opts o = {.family = IP_V4};
	char *t = ipt_restore_full(&m, &o);
	assert_int_equal(count(t, "--rcheck --seconds 10800 --reap"), 2);
	assert_int_equal(count(t, "-m recent --set --name SVCNET-SEP-"), 2);
	assert_non_null(strstr(t, "-p udp -m udp"));
	/* Without a cluster CIDR, only the node's own connections are masqueraded. */
	assert_non_null(strstr(t, "--src-type LOCAL -j SVCNET-MARK-MASQ"));
	free(t);
}

static void test_partial(void **state)
{
	struct svcmap_endpoint e1[3], e2[3], e3[1];
	struct svcmap_port a[2] = {
	    entry("default/a:p", "10.96.0.10", IPPROTO_TCP, 3, e1),
	    entry("default/b:p", "10.96.0.11", IPPROTO_TCP, 1, e3),
	};
	struct svcmap_port b[2] = {
	    entry("default/a:p", "10.96.0.10", IPPROTO_TCP, 2, e2),
	    entry("default/b:p", "10.96.0.11", IPPROTO_TCP, 1, e3),
	};
	struct svcmap old = {.ports = a, .n_ports = 2}, new = {.ports = b, .n_ports = 2};
	struct ipt_opts o = {.family = IP_V4};
	char *t = ipt_restore_partial(&old, &new, &o);
	/* Only a's chains: its SVC chain and 2 endpoints rewritten, the third deleted. */
	assert_non_null(t);
	assert_null(strstr(t, "*filter"));
	assert_null(strstr(t, ":SVCNET-SERVICES"));
	assert_null(strstr(t, "10.96.0.11"));
	assert_int_equal(count(t, ":SVCNET-SEP-"), 3);
	assert_int_equal(count(t, "-X SVCNET-SEP-"), 1);
	char sep[IPT_CHAIN_LEN], line[64];
	ipt_sep_name(&a[0], &e1[2], sep);
	snprintf(line, sizeof(line), "-X %s\n", sep);
	assert_non_null(strstr(t, line));
	free(t);
	assert_null(ipt_restore_partial(&new, &new, &o));
	/* A removed entry rewrites the top chains and deletes its chains. */
	struct svcmap one = {.ports = b, .n_ports = 1};
	t = ipt_restore_partial(&new, &one, &o);
	assert_non_null(strstr(t, ":SVCNET-SERVICES"));
	assert_non_null(strstr(t, "*filter"));
	assert_int_equal(count(t, "-X SVCNET-"), 2); /* b's SVC and SEP */
	free(t);
}

/* The rest of the Service range is rejected in filter SVCNET-SERVICES, after the rest. */
static void test_range_reject(void **state)
{
	struct svcmap_endpoint e1[2], e2[1];
	struct svcmap_port ports[2] = {
	    entry("default/empty:p", "10.96.0.12", IPPROTO_TCP, 0, e2),
	    entry("default/web:p", "10.96.0.10", IPPROTO_UDP, 2, e1),
	};
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct ipt_opts o = {.family = IP_V4, .has_range = true};
	assert_int_equal(ip_cidr_parse("10.96.0.0/12", true, &o.range), 0);
	const char *tcp =
	    "-A SVCNET-SERVICES -d 10.96.0.0/12 -p tcp -m comment --comment \"" IPT_RANGE_COMMENT
	    "\" -j REJECT --reject-with tcp-reset\n";
	const char *reject =
	    "-A SVCNET-SERVICES -d 10.96.0.0/12 -m comment --comment \"" IPT_RANGE_COMMENT
	    "\" -j REJECT\n";
	char *t = ipt_restore_full(&m, &o);
	assert_int_equal(count(t, reject), 1);
	/* TCP first, with a reset (a SYN answered with ICMP is retried). */
	assert_int_equal(count(t, tcp), 1);
	assert_true(strstr(t, tcp) < strstr(t, reject));
	assert_true(strstr(t, tcp) + strlen(tcp) == strstr(t, reject));
	const char *filter = strstr(t, "*filter\n"), *r = strstr(t, reject);
	/* In the filter table (REJECT is not allowed in nat), after the service jumps ... */
	assert_non_null(filter);
	assert_true(r > filter);
	const char *jump =
	    strstr(t, "-A SVCNET-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 80");
	assert_non_null(jump);
	assert_true(jump < r);
	/* ... and the rejects of Services without endpoints, and the last of its chain. */
	const char *noeps = strstr(t, "\"default/empty:p has no endpoints\"");
	assert_non_null(noeps);
	assert_true(noeps < strstr(t, tcp));
	assert_null(strstr(r + strlen(reject), "-A SVCNET-SERVICES"));
	free(t);
	/* A partial sync that rewrites SVCNET-SERVICES keeps it; one that does not, leaves it. */
	struct svcmap one = {.ports = ports + 1, .n_ports = 1};
	t = ipt_restore_partial(&m, &one, &o);
	assert_int_equal(count(t, reject), 1);
	free(t);
	struct svcmap_endpoint e3[1];
	struct svcmap_port fewer = entry("default/web:p", "10.96.0.10", IPPROTO_UDP, 1, e3);
	struct svcmap other = {.ports = &fewer, .n_ports = 1};
	t = ipt_restore_partial(&one, &other, &o);
	assert_null(strstr(t, reject));
	free(t);
	/* Without a range of this family, no reject. */
	o.has_range = false;
	t = ipt_restore_full(&m, &o);
	assert_null(strstr(t, IPT_RANGE_COMMENT));
	free(t);
}

static void test_save_and_cleanup(void **state)
{
	const char *save = "*nat\n:PREROUTING ACCEPT [0:0]\n:SVCNET-SERVICES - [0:0]\n"
			   ":SVCNET-SVC-0123456789ABCDEF - [0:0]\n"
			   ":SVCNET-SEP-0123456789ABCDEF - [0:0]\n"
			   ":SVCNET-USERSPACE - [0:0]\n"
			   "-A PREROUTING -m comment --comment \"svcnet service portals\" -j "
			   "SVCNET-SERVICES\n"
			   "-A PREROUTING -m comment --comment \"svcnet userspace proxy\" -j "
			   "SVCNET-USERSPACE\n"
			   "-A SVCNET-SERVICES -j SVCNET-SVC-0123456789ABCDEF\n"
			   "COMMIT\n";
	char **names = NULL;
	unsigned jumps = 0;
	size_t n = ipt_parse_save(save, &names, &jumps);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "SVCNET-SVC-0123456789ABCDEF");
	assert_int_equal(jumps, 1u); /* nat PREROUTING only */
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	char *t = ipt_cleanup_input(save);
	assert_non_null(strstr(t, "-D PREROUTING -m comment --comment \"svcnet service portals\" "
				  "-j SVCNET-SERVICES\n"));
	assert_non_null(strstr(t, "-X SVCNET-SEP-0123456789ABCDEF\n"));
	assert_null(strstr(t, "USERSPACE")); /* the userspace mode's own */
	free(t);
	assert_null(ipt_cleanup_input("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),	 cmocka_unit_test(test_full),
	    cmocka_unit_test(test_affinity),	 cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_range_reject), cmocka_unit_test(test_save_and_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
