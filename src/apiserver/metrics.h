/* Prometheus metrics of the API server. */
#ifndef SVCNET_APISERVER_METRICS_H
#define SVCNET_APISERVER_METRICS_H

#include "base/strbuf.h"

#include <pthread.h>
#include <stddef.h>

#define METRICS_BUCKETS 12
#define METRICS_SERIES	256

struct metrics_series {
	const char *verb;     /* static strings */
	const char *resource; /* static strings */
	unsigned code;
	unsigned long count;
};

struct metrics_latency {
	const char *verb;
	unsigned long buckets[METRICS_BUCKETS];
	unsigned long count;
	double sum;
};

struct metrics {
	pthread_mutex_t lock;
	struct metrics_series series[METRICS_SERIES];
	size_t nseries;
	struct metrics_latency latency[16];
	size_t nlatency;
	unsigned long watchers_total;
};

void metrics_init(struct metrics *m);
/* Counts one request; verb and resource must be static strings. */
void metrics_observe(struct metrics *m, const char *verb, const char *resource, unsigned code,
		     double seconds);
/* Appends the text exposition format; extra lines (gauges) come from the caller. */
void metrics_render(struct metrics *m, struct strbuf *out);

#endif
