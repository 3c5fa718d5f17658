/* The proxy's metrics: histograms and gauges under one lock. */
#include "proxy/metrics.h"

#include <string.h>
#include <time.h>

static void hist_init(struct proxy_hist *h, const double *bounds, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->n = n < PROXY_HIST_MAX ? n : PROXY_HIST_MAX;
	memcpy(h->bounds, bounds, h->n * sizeof(*bounds));
}

static void hist_observe(struct proxy_hist *h, double v)
{
	size_t i = 0;
	while (i < h->n && v > h->bounds[i])
		i++;
	if (i < h->n)
		h->counts[i]++;
	h->count++;
	h->sum += v;
}

static void hist_render(const struct proxy_hist *h, const char *name, const char *help,
			struct strbuf *out)
{
	unsigned long cum = 0;
	sb_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < h->n; i++) {
		cum += h->counts[i];
		sb_printf(out, "%s_bucket{le=\"%g\"} %lu\n", name, h->bounds[i], cum);
	}
	sb_printf(out, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n%s_count %lu\n", name, h->count,
		  name, h->sum, name, h->count);
}

void proxy_metrics_init(struct proxy_metrics *m)
{
	/* kube-proxy's buckets: exponential from 1 ms for syncs ... */
	double sync[15];
	for (int i = 0; i < 15; i++)
		sync[i] = 0.001 * (double)(1 << i);
	/* ... and from 0.25 s to 20 min for network programming. */
	static const double prog[] = {0.25, 0.5, 1,  2,	 3,  4,	 5,   6,   7,	8,   9,	  10,
				      15,   20,	 25, 30, 45, 60, 120, 180, 240, 300, 600, 1200};
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	hist_init(&m->sync_duration, sync, 15);
	hist_init(&m->programming_latency, prog, sizeof(prog) / sizeof(prog[0]));
}

void proxy_metrics_destroy(struct proxy_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

void proxy_metrics_sync(struct proxy_metrics *m, double seconds, bool ok, bool full)
{
	pthread_mutex_lock(&m->lock);
	hist_observe(&m->sync_duration, seconds);
	if (ok) {
		m->syncs_ok++;
		m->last_sync_time = (double)time(NULL);
	} else {
		m->syncs_failed++;
	}
	if (full)
		m->full_syncs++;
	pthread_mutex_unlock(&m->lock);
}

void proxy_metrics_latency(struct proxy_metrics *m, double seconds)
{
	pthread_mutex_lock(&m->lock);
	hist_observe(&m->programming_latency, seconds < 0 ? 0 : seconds);
	pthread_mutex_unlock(&m->lock);
}

void proxy_metrics_programmed(struct proxy_metrics *m, size_t services, size_t ports,
			      size_t endpoints)
{
	pthread_mutex_lock(&m->lock);
	m->services = services;
	m->service_ports = ports;
	m->endpoints = endpoints;
	pthread_mutex_unlock(&m->lock);
}

void proxy_metrics_render(struct proxy_metrics *m, struct strbuf *out)
{
	pthread_mutex_lock(&m->lock);
	hist_render(&m->sync_duration, "kubeproxy_sync_proxy_rules_duration_seconds",
		    "How long one sync of the data plane took.", out);
	hist_render(&m->programming_latency, "kubeproxy_network_programming_duration_seconds",
		    "From a change of a Service or its endpoints to the data plane holding it.",
		    out);
	sb_printf(out,
		  "# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge\n"
		  "kubeproxy_sync_proxy_rules_last_timestamp_seconds %.0f\n"
		  "# TYPE svcnet_proxy_syncs_total counter\n"
		  "svcnet_proxy_syncs_total{result=\"success\"} %lu\n"
		  "svcnet_proxy_syncs_total{result=\"failure\"} %lu\n"
		  "# TYPE svcnet_proxy_full_syncs_total counter\n"
		  "svcnet_proxy_full_syncs_total %lu\n"
		  "# TYPE svcnet_proxy_services_programmed gauge\n"
		  "svcnet_proxy_services_programmed %zu\n"
		  "# TYPE svcnet_proxy_service_ports_programmed gauge\n"
		  "svcnet_proxy_service_ports_programmed %zu\n"
		  "# TYPE svcnet_proxy_endpoints_programmed gauge\n"
		  "svcnet_proxy_endpoints_programmed %zu\n",
		  m->last_sync_time, m->syncs_ok, m->syncs_failed, m->full_syncs, m->services,
		  m->service_ports, m->endpoints);
	pthread_mutex_unlock(&m->lock);
}
