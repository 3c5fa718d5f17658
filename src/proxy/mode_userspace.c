/*
 * Userspace mode, as the seed describes it: for each Service port a proxy
 * socket on a port the kernel chooses, connections relayed to a backend the
 * scheduler picks (rr by default), and iptables rules that redirect the
 * Service's addresses to the proxy socket. The sockets live on an event
 * loop thread of the mode's own; sync hands it the new map and waits, then
 * rewrites the capture rules. Without the right to change the firewall the
 * mode still serves on its ports and says that capture is off.
 */
#include "proxy/userspace-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GC_INTERVAL_MS 60000

/* ---- the frontend table, sorted by id ---- */

static size_t fe_index(const struct us_mode *m, const char *id, bool *found)
{
	size_t lo = 0, hi = m->n_fes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->fes[mid]->id, id);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void fe_insert(struct us_mode *m, size_t at, struct us_fe *fe)
{
	if (m->n_fes == m->cap_fes) {
		m->cap_fes = m->cap_fes ? m->cap_fes * 2 : 64;
		m->fes = xrealloc(m->fes, m->cap_fes * sizeof(*m->fes));
	}
	memmove(&m->fes[at + 1], &m->fes[at], (m->n_fes - at) * sizeof(*m->fes));
	m->fes[at] = fe;
	m->n_fes++;
}

static void fe_remove_at(struct us_mode *m, size_t at)
{
	struct us_fe *fe = m->fes[at];
	memmove(&m->fes[at], &m->fes[at + 1], (m->n_fes - at - 1) * sizeof(*m->fes));
	m->n_fes--;
	us_fe_close(fe);
}

static void fe_drop(struct us_mode *m, const struct svcmap_port *p, bool external)
{
	char *id = us_fe_id(p, external);
	bool found;
	size_t at = fe_index(m, id, &found);
	free(id);
	if (found)
		fe_remove_at(m, at);
}

/* Opens or updates the frontend of p (a new one when the protocol changed). */
static void fe_ensure(struct us_mode *m, const struct svcmap_port *p, bool external)
{
	char *id = us_fe_id(p, external);
	bool found;
	size_t at = fe_index(m, id, &found);
	free(id);
	if (found && m->fes[at]->protocol != p->protocol) {
		fe_remove_at(m, at);
		found = false;
	}
	if (!found) {
		char *err = NULL;
		struct us_fe *fe = us_fe_open(m, p, external, &err);
		if (!fe) {
			log_error("proxy", "%s", err);
			free(err);
			return;
		}
		fe_insert(m, at, fe);
	}
	us_fe_update(m->fes[at], p);
	m->fes[at]->seen = true;
}

static bool externally_accessible(const struct svcmap_port *p)
{
	return p->node_port || p->n_external_ips || p->n_lb_ips;
}

static void entry_apply(struct us_mode *m, const struct svcmap_port *p)
{
	if (p->protocol == IPPROTO_SCTP) {
		log_debug("proxy", "%s: SCTP is not proxied in userspace mode", p->key);
		return;
	}
	fe_ensure(m, p, false);
	if (externally_accessible(p))
		fe_ensure(m, p, true);
	else
		fe_drop(m, p, true);
}

static void entry_remove(struct us_mode *m, const struct svcmap_port *p)
{
	fe_drop(m, p, false);
	fe_drop(m, p, true);
}

/* ---- applying a map, on the loop thread ---- */

struct apply_ctx {
	struct us_mode *m;
	const struct svcmap *old, *new;
	struct us_rule *rules;
	size_t n_rules;
};

static void apply_full(struct us_mode *m, const struct svcmap *new)
{
	for (size_t i = 0; i < m->n_fes; i++)
		m->fes[i]->seen = false;
	for (size_t i = 0; i < new->n_ports; i++)
		entry_apply(m, &new->ports[i]);
	for (size_t i = m->n_fes; i-- > 0;)
		if (!m->fes[i]->seen)
			fe_remove_at(m, i);
}

/* The capture rules of the open frontends. */
static void snapshot_rules(struct apply_ctx *c)
{
	struct us_mode *m = c->m;
	c->rules = xcalloc(m->n_fes + 1, sizeof(*c->rules));
	c->n_rules = 0;
	for (size_t i = 0; i < m->n_fes; i++) {
		const struct us_fe *fe = m->fes[i];
		struct us_rule *r = &c->rules[c->n_rules++];
		char *key = strchr(fe->id, '|');
		snprintf(r->comment, sizeof(r->comment), "%.*s", (int)(key - fe->id), fe->id);
		r->family = fe->family;
		r->protocol = fe->protocol;
		r->vips = xcalloc(fe->n_vips + 1, sizeof(*r->vips));
		memcpy(r->vips, fe->vips, fe->n_vips * sizeof(*r->vips));
		r->n_vips = fe->n_vips;
		r->port = fe->port;
		r->node_port = fe->node_port;
		r->proxy_port = fe->proxy_port;
		r->reject = sched_count(fe->sched) == 0;
	}
}

static void apply(void *arg)
{
	struct apply_ctx *c = arg;
	struct us_mode *m = c->m;
	evloop_update_time(m->loop);
	if (!c->old) {
		apply_full(m, c->new);
	} else {
		struct svcmap_delta *d;
		size_t n = svcmap_diff(c->old, c->new, &d);
		for (size_t i = 0; i < n; i++) {
			if (d[i].what & SVCMAP_REMOVED)
				entry_remove(m, d[i].old);
			else
				entry_apply(m, d[i].new);
		}
		free(d);
	}
	snapshot_rules(c);
}

static void free_rules(struct us_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].vips);
	free(r);
}

static bool rules_equal(const struct us_rule *a, size_t na, const struct us_rule *b, size_t nb)
{
	if (na != nb || (na && !a) || (nb && !b))
		return false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i].comment, b[i].comment) || a[i].family != b[i].family ||
		    a[i].protocol != b[i].protocol || a[i].port != b[i].port ||
		    a[i].node_port != b[i].node_port || a[i].proxy_port != b[i].proxy_port ||
		    a[i].reject != b[i].reject || a[i].n_vips != b[i].n_vips)
			return false;
		for (size_t k = 0; k < a[i].n_vips; k++)
			if (ip_cmp(&a[i].vips[k], &b[i].vips[k]))
				return false;
	}
	return true;
}

static int us_sync(void *state, const struct svcmap *old, const struct svcmap *new, char **err)
{
	struct us_mode *m = state;
	struct apply_ctx c = {.m = m, .old = old, .new = new};
	evloop_call(m->loop, apply, &c);
	int rc = 0;
	bool same = old && rules_equal(c.rules, c.n_rules, m->rules, m->n_rules);
	if (m->capture && !same) {
		rc = us_capture_sync(c.rules, c.n_rules, old == NULL, err);
		if (rc < 0) {
			free_rules(c.rules, c.n_rules);
			return rc;
		}
	}
	free_rules(m->rules, m->n_rules);
	m->rules = c.rules;
	m->n_rules = c.n_rules;
	return rc;
}

/* ---- life cycle ---- */

static void on_gc(struct evloop *l, struct ev_timer *t)
{
	struct us_mode *m = t->arg;
	for (size_t i = 0; i < m->n_fes; i++)
		if (m->fes[i]->aff)
			affinity_expire(m->fes[i]->aff, evloop_now(l));
	evloop_timer_start(l, t, GC_INTERVAL_MS);
}

static void *loop_main(void *arg)
{
	struct us_mode *m = arg;
	int rc = evloop_run(m->loop);
	if (rc < 0)
		log_error("proxy", "userspace event loop: %s", strerror(-rc));
	return NULL;
}

static int us_init(const struct proxy_mode_config *cfg, void **state, char **err)
{
	struct us_mode *m = xcalloc(1, sizeof(*m));
	m->cfg = *cfg;
	int rc = evloop_new(&m->loop);
	if (rc < 0) {
		*err = xasprintf("userspace mode: event loop: %s", strerror(-rc));
		free(m);
		return rc;
	}
	evloop_timer_init(&m->gc, on_gc, m);
	evloop_timer_start(m->loop, &m->gc, GC_INTERVAL_MS);
	if (cfg->capture) {
		char *why = NULL;
		m->capture = us_capture_probe(&why);
		if (!m->capture)
			log_warn("proxy",
				 "capture is off: %s; Services are served on their proxy "
				 "ports only",
				 why);
		free(why);
	} else {
		log_info("proxy", "capture is off (as asked): Services are served on their "
				  "proxy ports only");
	}
	rc = pthread_create(&m->thread, NULL, loop_main, m);
	if (rc) {
		*err = xasprintf("userspace mode: thread: %s", strerror(rc));
		evloop_free(m->loop);
		free(m);
		return -rc;
	}
	*state = m;
	return 0;
}

static void close_all(void *arg)
{
	struct us_mode *m = arg;
	while (m->n_fes)
		fe_remove_at(m, m->n_fes - 1);
	us_tcp_close_all(m);
}

static void us_stop(void *state)
{
	struct us_mode *m = state;
	if (!m)
		return;
	evloop_call(m->loop, close_all, m);
	evloop_stop(m->loop);
	pthread_join(m->thread, NULL);
	if (m->capture) {
		char *err = NULL;
		if (us_capture_remove(&err) < 0)
			log_warn("proxy", "removing the capture rules: %s", err);
		free(err);
	}
	evloop_free(m->loop);
	for (size_t i = 0; i < m->n_pipes; i++) {
		close(m->pipe_pool[i][0]);
		close(m->pipe_pool[i][1]);
	}
	free_rules(m->rules, m->n_rules);
	free(m->fes);
	free(m);
}

static int us_cleanup(char **err)
{
	return us_capture_remove(err);
}

static void us_metrics(void *state, struct strbuf *out)
{
	struct us_mode *m = state;
	struct us_stats *s = &m->stats;
	sb_printf(out,
		  "# TYPE svcnet_proxy_userspace_connections_total counter\n"
		  "svcnet_proxy_userspace_connections_total %lu\n"
		  "# TYPE svcnet_proxy_userspace_connections_active gauge\n"
		  "svcnet_proxy_userspace_connections_active %lu\n"
		  "# TYPE svcnet_proxy_userspace_connections_refused_total counter\n"
		  "svcnet_proxy_userspace_connections_refused_total %lu\n"
		  "# TYPE svcnet_proxy_userspace_connect_retries_total counter\n"
		  "svcnet_proxy_userspace_connect_retries_total %lu\n"
		  "# TYPE svcnet_proxy_userspace_udp_flows_total counter\n"
		  "svcnet_proxy_userspace_udp_flows_total %lu\n"
		  "# TYPE svcnet_proxy_userspace_udp_flows_active gauge\n"
		  "svcnet_proxy_userspace_udp_flows_active %lu\n"
		  "# TYPE svcnet_proxy_userspace_bytes_total counter\n"
		  "svcnet_proxy_userspace_bytes_total %lu\n"
		  "# TYPE svcnet_proxy_userspace_capture gauge\n"
		  "svcnet_proxy_userspace_capture %d\n",
		  STAT_GET(s->tcp_accepted), STAT_GET(s->tcp_active), STAT_GET(s->tcp_refused),
		  STAT_GET(s->connect_retries), STAT_GET(s->udp_flows_total),
		  STAT_GET(s->udp_flows_active), STAT_GET(s->bytes), m->capture ? 1 : 0);
}

const struct proxy_mode_ops proxy_mode_userspace = {
    .name = "userspace",
    .init = us_init,
    .sync = us_sync,
    .stop = us_stop,
    .cleanup = us_cleanup,
    .metrics = us_metrics,
};
