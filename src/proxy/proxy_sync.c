/*
 * The proxy's sync thread: waits for the informers' first lists, then
 * turns batches of changes into one service map and one mode sync each, at
 * most once per min-sync-period, with a full resync every sync-period (and
 * after a failure).
 */
#include "proxy/proxy-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t proxy_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double proxy_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void proxy_mark_dirty(struct proxy *p)
{
	pthread_mutex_lock(&p->lock);
	if (!p->pending_since)
		p->pending_since = proxy_wall();
	p->dirty = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Objects copied out of an informer's cache (one reference each). */
struct objs {
	json_t **v;
	size_t n, cap;
};

static void collect(const json_t *obj, void *arg)
{
	struct objs *o = arg;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 256;
		o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
	}
	o->v[o->n++] = json_incref((json_t *)obj);
}

static void objs_free(struct objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->v[i]);
	free(o->v);
}

/* The map of the informers' caches now (caller frees). */
static struct svcmap *build_map(struct proxy *p)
{
	struct objs svcs = {0}, slices = {0};
	informer_foreach(p->svcs, collect, &svcs);
	informer_foreach(p->slices, collect, &slices);
	json_t *node = informer_get(p->nodes, NULL, p->node_name);
	struct svcmap_input in = {
	    .services = svcs.v,
	    .n_services = svcs.n,
	    .slices = slices.v,
	    .n_slices = slices.n,
	    .node_name = p->node_name,
	    .node = node,
	};
	struct svcmap *m = svcmap_build(&in);
	json_decref(node);
	objs_free(&svcs);
	objs_free(&slices);
	return m;
}

/*
 * Network programming latency: per changed entry from its trigger time, else
 * from when the proxy saw the change. Returns the number of changed entries.
 */
static size_t observe_latency(struct proxy *p, const struct svcmap *old, const struct svcmap *new,
			      double since)
{
	struct svcmap_delta *d;
	size_t n = svcmap_diff(old, new, &d);
	double now = proxy_wall();
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct svcmap_port *e = d[i].new;
		if (!e || e->trigger_time <= 0 ||
		    (d[i].old && d[i].old->trigger_time == e->trigger_time))
			continue;
		proxy_metrics_latency(&p->metrics, now - e->trigger_time);
		any = true;
	}
	if (!any && since > 0 && n)
		proxy_metrics_latency(&p->metrics, now - since);
	free(d);
	return n;
}

/* One sync; returns whether it succeeded. */
static bool sync_once(struct proxy *p, bool full, double since)
{
	struct svcmap *m = build_map(p);
	char *err = NULL;
	int64_t t0 = proxy_mono_ms();
	int rc = p->ops->sync(p->mode, full ? NULL : p->current, m, &err);
	double secs = (double)(proxy_mono_ms() - t0) / 1000.0;
	proxy_metrics_sync(&p->metrics, secs, rc == 0, full);
	if (rc < 0) {
		log_error("proxy", "sync failed (%s); retrying with a full sync", err ? err : "?");
		free(err);
		svcmap_free(m);
		return false;
	}
	size_t changed = observe_latency(p, p->current, m, since);
	if (changed || !p->current)
		log_info("proxy",
			 "%s sync: %zu services, %zu service ports, %zu endpoints in %.1f ms",
			 full ? "full" : "partial", m->n_services, m->n_ports, m->n_endpoints,
			 secs * 1000);
	proxy_metrics_programmed(&p->metrics, m->n_services, m->n_ports, m->n_endpoints);
	svcmap_free(p->current);
	p->current = m;
	return true;
}

/* Waits for the three informers' first lists; false when stopping. */
static bool wait_synced(struct proxy *p)
{
	struct informer *all[] = {p->svcs, p->slices, p->nodes};
	for (size_t i = 0; i < 3; i++) {
		while (!informer_wait_synced(all[i], 500)) {
			pthread_mutex_lock(&p->lock);
			bool stop = p->stopping;
			pthread_mutex_unlock(&p->lock);
			if (stop)
				return false;
		}
	}
	return true;
}

static void wait_until(struct proxy *p, int64_t deadline_ms)
{
	struct timespec ts = {.tv_sec = deadline_ms / 1000,
			      .tv_nsec = (deadline_ms % 1000) * 1000000};
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

void *proxy_sync_main(void *arg)
{
	struct proxy *p = arg;
	if (!wait_synced(p))
		return NULL;
	int64_t last_sync = 0, next_full = 0, gap = p->min_sync_ms;
	bool need_full = true;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		int64_t now = proxy_mono_ms();
		bool due = (p->dirty || need_full) && now >= last_sync + gap;
		if (now >= next_full || due) {
			bool full = need_full || now >= next_full;
			double since = p->pending_since;
			p->dirty = false;
			p->pending_since = 0;
			pthread_mutex_unlock(&p->lock);
			bool ok = sync_once(p, full, since);
			pthread_mutex_lock(&p->lock);
			last_sync = proxy_mono_ms();
			need_full = !ok;
			/* After a failure, retry no faster than once a second. */
			gap = ok || p->min_sync_ms >= 1000 ? p->min_sync_ms : 1000;
			if (ok) {
				p->ready = true;
				p->last_ok_ms = last_sync;
				if (full)
					next_full = last_sync + p->sync_ms;
			} else {
				if (!p->pending_since)
					p->pending_since = since;
				/* A failed periodic sync would be due again at once. */
				next_full = last_sync + gap;
			}
			continue;
		}
		int64_t deadline = next_full;
		if ((p->dirty || need_full) && last_sync + gap < deadline)
			deadline = last_sync + gap;
		wait_until(p, deadline);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}
