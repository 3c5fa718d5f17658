#include "apiserver/metrics.h"

#include <string.h>

/* Upper bounds in seconds, as kube-apiserver's request duration histogram (trimmed). */
static const double bounds[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.2,
					       0.4,   0.6,  1,	   2,	 5,   30};

void metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

static struct metrics_latency *latency_for(struct metrics *m, const char *verb)
{
	for (size_t i = 0; i < m->nlatency; i++)
		if (!strcmp(m->latency[i].verb, verb))
			return &m->latency[i];
	if (m->nlatency == sizeof(m->latency) / sizeof(m->latency[0]))
		return NULL;
	m->latency[m->nlatency].verb = verb;
	return &m->latency[m->nlatency++];
}

void metrics_observe(struct metrics *m, const char *verb, const char *resource, unsigned code,
		     double seconds)
{
	pthread_mutex_lock(&m->lock);
	size_t i;
	for (i = 0; i < m->nseries; i++) {
		struct metrics_series *s = &m->series[i];
		if (s->code == code && !strcmp(s->verb, verb) && !strcmp(s->resource, resource))
			break;
	}
	if (i == m->nseries && m->nseries < METRICS_SERIES)
		m->series[m->nseries++] = (struct metrics_series){verb, resource, code, 0};
	if (i < m->nseries)
		m->series[i].count++;
	struct metrics_latency *l = latency_for(m, verb);
	if (l) {
		for (int b = 0; b < METRICS_BUCKETS; b++)
			if (seconds <= bounds[b])
				l->buckets[b]++;
		l->count++;
		l->sum += seconds;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_render(struct metrics *m, struct strbuf *out)
{
	pthread_mutex_lock(&m->lock);
	sb_puts(out, "# HELP apiserver_request_total Requests by verb, resource and HTTP code.\n"
		     "# TYPE apiserver_request_total counter\n");
	for (size_t i = 0; i < m->nseries; i++)
		sb_printf(out,
			  "apiserver_request_total{verb=\"%s\",resource=\"%s\",code=\"%u\"} %lu\n",
			  m->series[i].verb, m->series[i].resource, m->series[i].code,
			  m->series[i].count);
	sb_puts(out, "# HELP apiserver_request_duration_seconds Request latency by verb.\n"
		     "# TYPE apiserver_request_duration_seconds histogram\n");
	for (size_t i = 0; i < m->nlatency; i++) {
		struct metrics_latency *l = &m->latency[i];
		for (int b = 0; b < METRICS_BUCKETS; b++)
			sb_printf(
			    out,
			    "apiserver_request_duration_seconds_bucket{verb=\"%s\",le=\"%g\"} "
			    "%lu\n",
			    l->verb, bounds[b], l->buckets[b]);
		sb_printf(out,
			  "apiserver_request_duration_seconds_bucket{verb=\"%s\",le=\"+Inf\"} %lu\n"
			  "apiserver_request_duration_seconds_sum{verb=\"%s\"} %f\n"
			  "apiserver_request_duration_seconds_count{verb=\"%s\"} %lu\n",
			  l->verb, l->count, l->verb, l->sum, l->verb, l->count);
	}
	pthread_mutex_unlock(&m->lock);
}
