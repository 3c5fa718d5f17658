/*
 * The proxy's Prometheus metrics, named as kube-proxy's where kube-proxy has
 * them (kubeproxy_sync_proxy_rules_duration_seconds,
 * kubeproxy_network_programming_duration_seconds, ...). Thread safe.
 */
#ifndef SVCNET_PROXY_METRICS_H
#define SVCNET_PROXY_METRICS_H

#include "base/strbuf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define PROXY_HIST_MAX 24

struct proxy_hist {
	size_t n; /* bounds in use */
	double bounds[PROXY_HIST_MAX];
	unsigned long counts[PROXY_HIST_MAX]; /* not cumulative */
	unsigned long count;
	double sum;
};

struct proxy_metrics {
	pthread_mutex_t lock;
	struct proxy_hist sync_duration;
	struct proxy_hist programming_latency;
	unsigned long syncs_ok, syncs_failed, full_syncs;
	double last_sync_time; /* Unix seconds of the last successful sync */
	size_t services, service_ports, endpoints;
};

void proxy_metrics_init(struct proxy_metrics *m);
void proxy_metrics_destroy(struct proxy_metrics *m);

/* One sync that took seconds; ok tells whether it succeeded. */
void proxy_metrics_sync(struct proxy_metrics *m, double seconds, bool ok, bool full);
/* One change programmed latency seconds after it was made. */
void proxy_metrics_latency(struct proxy_metrics *m, double seconds);
/* What the data plane holds after a successful sync. */
void proxy_metrics_programmed(struct proxy_metrics *m, size_t services, size_t ports,
			      size_t endpoints);

/* Appends the text exposition format of everything above. */
void proxy_metrics_render(struct proxy_metrics *m, struct strbuf *out);

#endif
