/*
 * The rule-sync benchmark's driver (bench/sync.sh builds and runs it inside
 * a network namespace): a service map of N Services × E endpoints made in
 * memory, given to a kernel mode's sync as the proxy's core gives it: a full
 * sync, one endpoint change (partial sync: network programming latency), a
 * periodic full sync. Prints one line of milliseconds per step.
 *
 * usage: sync_bench MODE N E
 */
#include "proxy/mode.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct ip_addr v4(uint32_t x)
{
	struct ip_addr a = {.family = IP_V4};
	a.b[0] = (uint8_t)(x >> 24), a.b[1] = (uint8_t)(x >> 16);
	a.b[2] = (uint8_t)(x >> 8), a.b[3] = (uint8_t)x;
	return a;
}

/* N entries "bench/svc-NNNNN:p", clusterIP 10.96.0.0+i+1, E endpoints in 10.128/9. */
static struct svcmap *make_map(size_t n, size_t e)
{
	struct svcmap *m = calloc(1, sizeof(*m));
	m->ports = calloc(n, sizeof(*m->ports));
	m->n_ports = m->n_services = n;
	m->n_endpoints = n * e;
	for (size_t i = 0; i < n; i++) {
		struct svcmap_port *p = &m->ports[i];
		char key[64];
		snprintf(key, sizeof(key), "bench/svc-%05zu:p", i);
		p->key = strdup(key);
		p->ns = strdup("bench"), p->name = strdup(key + 6), p->port_name = strdup("p");
		p->family = IP_V4;
		p->protocol = IPPROTO_TCP;
		p->cluster_ip = v4((10u << 24 | 96u << 16) + (uint32_t)i + 1);
		p->port = 80;
		p->cluster_eps = calloc(e, sizeof(*p->cluster_eps));
		p->n_cluster_eps = e;
		p->has_any_endpoints = true;
		for (size_t j = 0; j < e; j++)
			p->cluster_eps[j] = (struct svcmap_endpoint){
			    .addr = v4((10u << 24 | 128u << 16) + (uint32_t)(i * e + j)),
			    .port = 8080,
			    .ready = true};
	}
	return m;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sync_bench MODE N E\n");
		return 2;
	}
	const struct proxy_mode_ops *ops = proxy_mode_find(argv[1]);
	size_t n = strtoul(argv[2], NULL, 10), e = strtoul(argv[3], NULL, 10);
	struct proxy_mode_config cfg = {
	    .node_name = "bench", .cluster_cidr = "10.128.0.0/9", .capture = true};
	void *st = NULL;
	char *err = NULL;
	if (!ops || ops->init(&cfg, &st, &err) < 0) {
		fprintf(stderr, "init: %s\n", err ? err : "no such mode");
		return 1;
	}
	struct svcmap *a = make_map(n, e), *b = make_map(n, e);
	b->ports[n / 2].cluster_eps[0].port = 8081; /* one endpoint changes */
	double t0 = now_ms();
	int rc = ops->sync(st, NULL, a, &err);
	double t1 = now_ms();
	rc = rc ? rc : ops->sync(st, a, b, &err);
	double t2 = now_ms();
	rc = rc ? rc : ops->sync(st, NULL, b, &err);
	double t3 = now_ms();
	if (rc < 0) {
		fprintf(stderr, "sync: %s\n", err);
		return 1;
	}
	printf("%s %zu services x %zu endpoints: full %.0f ms, one endpoint change %.1f ms, "
	       "periodic full %.0f ms\n",
	       argv[1], n, e, t1 - t0, t2 - t1, t3 - t2);
	ops->stop(st);
	svcmap_free(a);
	svcmap_free(b);
	return 0;
}
