/* Unit tests for the nftables mode's ruleset text (nftables_rules.c). */
#include "proxy/nftables_internal.h"

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

static struct svcmap_port entry(const char *key, const char *vip, size_t n,
				struct svcmap_endpoint *eps, uint16_t first_port)
{
	struct svcmap_port p = {0};
	p.key = (char *)key;
	p.family = IP_V4;
	p.protocol = IPPROTO_TCP;
	p.cluster_ip = ip(vip);
	p.port = 80;
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.244.0.%zu", i + 1);
		eps[i] = (struct svcmap_endpoint){.addr = ip(a), .port = first_port, .ready = true};
	}
	p.cluster_eps = eps;
	p.n_cluster_eps = n;
	return p;
}

static void test_full(void **state)
{
	struct svcmap_endpoint e1[3], e2[1];
	struct svcmap_port ports[2] = {
	    entry("default/empty:p", "10.96.0.12", 0, e2, 8080),
	    entry("default/web:p", "10.96.0.10", 3, e1, 8080),
	};
	ports[1].node_port = 30080;
	ports[1].external_eps = e1;
	ports[1].n_external_eps = 3;
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct nft_opts o = {.family = IP_V4};
	char *t = nft_text_full(&m, &o);
	assert_non_null(
	    strstr(t, "add table ip svcnet\ndelete table ip svcnet\ntable ip svcnet {"));
	assert_non_null(strstr(t, "numgen random mod 3 map @backends"));
	assert_non_null(strstr(t, "10.96.0.10 . tcp . 80 : goto pick-3"));
	assert_non_null(strstr(t, "10.96.0.10 . tcp . 80 . 2 : 10.244.0.3 . 8080"));
	assert_non_null(strstr(t, "tcp . 30080 : goto nppick-3"));
	assert_non_null(strstr(t, "add element ip svcnet no_endpoints { 10.96.0.12 . tcp . 80 }"));
	assert_non_null(strstr(t, "ip daddr != 127.0.0.0/8"));
	assert_non_null(strstr(t, "masquerade fully-random"));
	assert_non_null(strstr(t, "fib saddr type local")); /* no cluster CIDR */
	free(t);
	nft_opts_release(&o);
}

/* The rest of the Service range is rejected after the service map and the clusterIPs. */
static void test_range_reject(void **state)
{
	struct svcmap_endpoint e1[2];
	struct svcmap_port p = entry("default/web:p", "10.96.0.10", 2, e1, 8080);
	struct svcmap m = {.ports = &p, .n_ports = 1};
	struct nft_opts o = {.family = IP_V4, .has_range = true};
	assert_int_equal(ip_cidr_parse("10.96.0.0/12", true, &o.range), 0);
	char *t = nft_text_full(&m, &o);
	assert_non_null(strstr(t, "set service_range { type ipv4_addr; flags interval; "
				  "elements = { 10.96.0.0/12 } }"));
	const char *vmap = strstr(t, "vmap @services");
	const char *vips = strstr(t, "ct state new ip daddr @cluster_ips reject\n");
	const char *range = strstr(t, "ct state new ip daddr @service_range reject; }");
	const char *tcp = strstr(
	    t, "ct state new ip daddr @service_range meta l4proto tcp reject with tcp reset\n");
	assert_non_null(tcp);
	assert_true(tcp < range);
	assert_non_null(vmap);
	assert_non_null(vips);
	assert_non_null(range);
	assert_true(vmap < range && vips < range);
	/* In the filter chains that follow the nat chains' DNAT. */
	assert_non_null(strstr(t, "chain filter_forward { type filter hook forward priority -10; "
				  "policy accept; jump reject_services; }"));
	assert_non_null(strstr(t, "chain filter_output { type filter hook output priority -10; "
				  "policy accept; jump reject_services; }"));
	free(t);
	/* IPv6, and no range: an empty set. */
	struct nft_opts o6 = {.family = IP_V6};
	t = nft_text_full(&m, &o6);
	assert_non_null(strstr(t, "set service_range { type ipv6_addr; flags interval; }"));
	assert_non_null(strstr(t, "ip6 daddr @service_range reject"));
	free(t);
	nft_opts_release(&o);
	nft_opts_release(&o6);
}

static void test_partial(void **state)
{
	struct svcmap_endpoint e1[3], e2[3];
	struct svcmap_port a = entry("default/web:p", "10.96.0.10", 3, e1, 8080);
	struct svcmap_port b = entry("default/web:p", "10.96.0.10", 3, e2, 8081);
	struct svcmap old = {.ports = &a, .n_ports = 1}, new = {.ports = &b, .n_ports = 1};
	struct nft_opts o = {.family = IP_V4};
	free(nft_text_full(&old, &o));
	char *t = nft_text_partial(&old, &new, &o);
	assert_null(strstr(t, "delete table"));
	assert_non_null(strstr(t, "delete element ip svcnet backends { 10.96.0.10 . tcp . 80 . 0, "
				  "10.96.0.10 . tcp . 80 . 1, 10.96.0.10 . tcp . 80 . 2 }"));
	assert_non_null(strstr(t, "10.96.0.10 . tcp . 80 . 0 : 10.244.0.1 . 8081"));
	assert_null(strstr(t, "delete element ip svcnet cluster_ips")); /* still in use */
	free(t);
	assert_null(nft_text_partial(&new, &new, &o));
	nft_opts_release(&o);
}

static void test_affinity(void **state)
{
	struct svcmap_endpoint e[2];
	struct svcmap_port p = entry("default/web:p", "10.96.0.10", 2, e, 8080);
	p.affinity_client_ip = true;
	p.affinity_timeout_s = 10800;
	struct svcmap m = {.ports = &p, .n_ports = 1};
	struct nft_opts o = {.family = IP_V4};
	char *t = nft_text_full(&m, &o);
	assert_non_null(strstr(t, "flags dynamic,timeout; timeout 10800s;"));
	assert_non_null(strstr(t, "update @aff-"));
	assert_non_null(strstr(t, "dnat to ip saddr map @aff-"));
	free(t);
	nft_opts_release(&o);
}

static void test_big_n_goes_full(void **state)
{
	static struct svcmap_endpoint e1[1], e2[NFT_PRE_PICKS + 1];
	struct svcmap_port a = entry("default/web:p", "10.96.0.10", 1, e1, 8080);
	struct svcmap_port b = entry("default/web:p", "10.96.0.10", NFT_PRE_PICKS + 1, e2, 8080);
	struct svcmap old = {.ports = &a, .n_ports = 1}, new = {.ports = &b, .n_ports = 1};
	struct nft_opts o = {.family = IP_V4};
	free(nft_text_full(&old, &o));
	char *t = nft_text_partial(&old, &new, &o);
	assert_non_null(strstr(t, "delete table ip svcnet"));
	free(t);
	nft_opts_release(&o);
}

/* A pod reaching itself through a Service is masqueraded: endpoint . endpoint, counted. */
static void test_hairpin(void **state)
{
	struct svcmap_endpoint e1[2], e2[2], e3[1];
	struct svcmap_port ports[2] = {
	    entry("default/a:p", "10.96.0.10", 2, e1, 8080), /* 10.244.0.1, .2 */
	    entry("default/b:p", "10.96.0.11", 2, e2, 8080), /* the same two */
	};
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct nft_opts o = {.family = IP_V4};
	char *t = nft_text_full(&m, &o);
	assert_non_null(strstr(t, "set hairpin { type ipv4_addr . ipv4_addr; }"));
	assert_non_null(strstr(t, "ct status dnat ip saddr . ip daddr @hairpin masquerade"));
	assert_non_null(strstr(t, "add element ip svcnet hairpin { 10.244.0.1 . 10.244.0.1, "
				  "10.244.0.2 . 10.244.0.2 }"));
	free(t);
	/* b drops to one endpoint: 10.244.0.2 is still a's, so no element goes. */
	struct svcmap_port p2[2] = {ports[0], entry("default/b:p", "10.96.0.11", 1, e3, 8080)};
	struct svcmap m2 = {.ports = p2, .n_ports = 2};
	t = nft_text_partial(&m, &m2, &o);
	assert_null(strstr(t, "hairpin"));
	free(t);
	/* a goes too: 10.244.0.2 has no entry left. */
	struct svcmap m3 = {.ports = &p2[1], .n_ports = 1};
	t = nft_text_partial(&m2, &m3, &o);
	assert_non_null(strstr(t, "delete element ip svcnet hairpin { 10.244.0.2 . 10.244.0.2 }"));
	assert_null(strstr(t, "10.244.0.1 . 10.244.0.1"));
	free(t);
	nft_opts_release(&o);
}

/* For the ebpf mode: outside addresses only, no clusterIP, no Service range. */
static void test_external_only(void **state)
{
	struct svcmap_endpoint e1[2], e2[2], e3[2];
	struct svcmap_port ports[2] = {
	    entry("default/np:p", "10.96.0.10", 2, e1, 8080),
	    entry("default/plain:p", "10.96.0.11", 2, e2, 8080),
	};
	ports[0].node_port = 30080;
	ports[0].external_eps = e1;
	ports[0].n_external_eps = 2;
	ports[0].affinity_client_ip = true;
	struct ip_addr lb = ip("192.0.2.10");
	ports[0].lb_ips = &lb;
	ports[0].n_lb_ips = 1;
	struct svcmap m = {.ports = ports, .n_ports = 2};
	struct nft_opts o = {.family = IP_V4, .external_only = true};
	char *t = nft_text_full(&m, &o);
	assert_non_null(strstr(t, "tcp . 30080 : goto nppick-2"));
	assert_non_null(strstr(t, "192.0.2.10 . tcp . 80 : goto extpick-2"));
	assert_null(strstr(t, "10.96.0.10 . tcp"));
	assert_null(strstr(t, "10.96.0.11"));
	assert_null(strstr(t, "add element ip svcnet cluster_ips"));
	assert_null(strstr(t, "@aff-")); /* affinity is the programs' */
	free(t);
	/* A change of a Service without outside addresses writes nothing. */
	struct svcmap_port q = entry("default/plain:p", "10.96.0.11", 1, e3, 8080);
	struct svcmap_port ports2[2] = {ports[0], q};
	struct svcmap m2 = {.ports = ports2, .n_ports = 2};
	assert_null(nft_text_partial(&m, &m2, &o));
	/* The NodePort's endpoints change: its elements only. */
	ports2[0].n_external_eps = 1;
	t = nft_text_partial(&m, &m2, &o);
	assert_non_null(t);
	assert_non_null(strstr(t, "tcp . 30080 : goto nppick-1"));
	assert_null(strstr(t, "10.96.0.1"));
	free(t);
	nft_opts_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_range_reject),
	    cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_affinity),
	    cmocka_unit_test(test_big_n_goes_full),
	    cmocka_unit_test(test_external_only),
	    cmocka_unit_test(test_hairpin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
