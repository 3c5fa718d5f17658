/*
 * Leader election over a Lease (see leader.h): the pure decision and the
 * next spec, then the election thread that acquires, renews and, on a clean
 * stop, releases the Lease.
 */
#include "controllers/leader.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "client/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define LEASE_API "/apis/coordination.k8s.io/v1"
/* client-go's JitterFactor: an attempt to acquire waits retry x (1 + rand x 1.2). */
#define JITTER_FACTOR 1.2

struct leader {
	struct kclient *client; /* borrowed */
	struct leader_config cfg;
	char *name, *ns, *identity;
	char *path; /* of the Lease */
	struct leader_callbacks cb;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* guards stopping with cond */
	pthread_cond_t cond;
	bool stopping;

	/* Owned by the election thread (read by leader_free after the join). */
	json_t *lease;	/* the last Lease read or written (its resourceVersion) */
	char *observed; /* the spec last seen, canonical JSON */
	int64_t observed_ms;
	char *seen_holder; /* the other holder we last logged */

	atomic_bool leading;
	atomic_llong renewed_ms; /* monotonic time of the last successful renewal */
};

/* ---- configuration ---- */

void leader_config_defaults(struct leader_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = true;
	cfg->name = "svcnet-controllers";
	cfg->namespace = "kube-system";
	cfg->lease_ms = 15000;
	cfg->renew_ms = 10000;
	cfg->retry_ms = 2000;
}

int leader_config_check(const struct leader_config *cfg, char **err)
{
	if (cfg->retry_ms <= 0) {
		*err = xasprintf("--leader-elect-retry-period must be greater than zero");
		return -EINVAL;
	}
	if (cfg->renew_ms <= JITTER_FACTOR * cfg->retry_ms) {
		*err = xasprintf("--leader-elect-renew-deadline (%d ms) must be greater than %.1f "
				 "times --leader-elect-retry-period (%d ms)",
				 cfg->renew_ms, JITTER_FACTOR, cfg->retry_ms);
		return -EINVAL;
	}
	if (cfg->lease_ms <= cfg->renew_ms) {
		*err = xasprintf("--leader-elect-lease-duration (%d ms) must be greater than "
				 "--leader-elect-renew-deadline (%d ms)",
				 cfg->lease_ms, cfg->renew_ms);
		return -EINVAL;
	}
	if (!cfg->name || !*cfg->name || !cfg->namespace || !*cfg->namespace) {
		*err = xasprintf("--leader-elect-resource-name and -namespace must not be empty");
		return -EINVAL;
	}
	return 0;
}

/* ---- the decision ---- */

static const char *spec_str(const json_t *spec, const char *key)
{
	const json_t *v = json_object_get(spec, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static json_int_t spec_int(const json_t *spec, const char *key)
{
	const json_t *v = json_object_get(spec, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

enum leader_action leader_decide(const json_t *spec, const char *identity, int64_t observed_ms,
				 int64_t now_ms)
{
	if (!spec)
		return LEADER_CREATE;
	const char *holder = spec_str(spec, "holderIdentity");
	if (!strcmp(holder, identity))
		return LEADER_RENEW;
	/* The holder's lease runs from when we saw its record change, on our clock. */
	int64_t expires = observed_ms + (int64_t)spec_int(spec, "leaseDurationSeconds") * 1000;
	if (*holder && expires > now_ms)
		return LEADER_WAIT;
	return LEADER_ACQUIRE;
}

/* metav1.MicroTime: "2006-01-02T15:04:05.000000Z". */
static json_t *micro_time(int64_t wall_us)
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;
	char buf[64];
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%06dZ", (int)(wall_us % 1000000));
	return json_string(buf);
}

json_t *leader_next_spec(const json_t *old, enum leader_action action, const char *identity,
			 int lease_s, int64_t wall_us)
{
	json_t *spec = json_is_object(old) ? json_deep_copy(old) : json_object();
	json_int_t transitions = spec_int(spec, "leaseTransitions");
	json_object_set_new(spec, "holderIdentity", json_string(identity));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(lease_s));
	json_object_set_new(spec, "renewTime", micro_time(wall_us));
	if (action == LEADER_RENEW && json_object_get(spec, "acquireTime"))
		return spec;
	json_object_set_new(spec, "acquireTime", micro_time(wall_us));
	if (action == LEADER_ACQUIRE)
		transitions++;
	json_object_set_new(spec, "leaseTransitions", json_integer(transitions));
	return spec;
}

/* ---- the election thread ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int lease_seconds(const struct leader *l)
{
	return (l->cfg.lease_ms + 999) / 1000;
}

/* Sleeps ms unless stopped first; returns whether we are stopping. */
static bool sleep_ms(struct leader *l, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&l->lock);
	while (!l->stopping && pthread_cond_timedwait(&l->cond, &l->lock, &ts) != ETIMEDOUT)
		;
	bool stopping = l->stopping;
	pthread_mutex_unlock(&l->lock);
	return stopping;
}

static bool stopping(struct leader *l)
{
	pthread_mutex_lock(&l->lock);
	bool s = l->stopping;
	pthread_mutex_unlock(&l->lock);
	return s;
}

/* Notes the spec read (NULL: no Lease); a changed record restarts its holder's lease clock. */
static void observe(struct leader *l, const json_t *spec, int64_t now)
{
	char *s = spec ? json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT) : xstrdup("");
	if (!l->observed || strcmp(s, l->observed)) {
		free(l->observed);
		l->observed = s;
		l->observed_ms = now;
	} else {
		free(s);
	}
}

/* One line when another candidate holds the lease, once per holder. */
static void log_holder(struct leader *l, const json_t *spec)
{
	const char *holder = spec_str(spec, "holderIdentity");
	if (l->seen_holder && !strcmp(l->seen_holder, holder))
		return;
	free(l->seen_holder);
	l->seen_holder = xstrdup(holder);
	log_info("leader", "%s/%s is held by %s; waiting for it to expire", l->ns, l->name, holder);
}

/* POSTs a new Lease or PUTs lease with spec; returns 1 when written, 0 when another won. */
static int write_lease(struct leader *l, const json_t *lease, json_t *spec)
{
	json_t *obj, *out = NULL;
	int st;
	if (!lease) {
		obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion",
				"coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
				l->name, "namespace", l->ns, "spec", spec);
		char *coll = xasprintf(LEASE_API "/namespaces/%s/leases", l->ns);
		st = kclient_post(l->client, coll, obj, &out);
		free(coll);
	} else {
		/* The resourceVersion read stays in metadata: a stale write gets 409. */
		obj = json_deep_copy(lease);
		json_object_set_new(obj, "spec", spec);
		st = kclient_put(l->client, l->path, obj, &out);
	}
	json_decref(obj);
	if (st == 200 || st == 201) {
		json_decref(l->lease);
		l->lease = out;
		return 1;
	}
	if (st != 409)
		log_warn("leader", "cannot write %s/%s: %s", l->ns, l->name,
			 st < 0 ? strerror(-st) : spec_str(out, "message"));
	json_decref(out);
	return st == 409 ? 0 : (st < 0 ? st : -EIO);
}

/* Reads the Lease into *lease (NULL when absent). Returns 0 or an error. */
static int read_lease(struct leader *l, json_t **lease)
{
	json_t *out = NULL;
	int st = kclient_get(l->client, l->path, &out);
	*lease = NULL;
	if (st == 200) {
		*lease = out;
		return 0;
	}
	if (st != 404)
		log_warn("leader", "cannot read %s/%s: %s", l->ns, l->name,
			 st < 0 ? strerror(-st) : spec_str(out, "message"));
	json_decref(out);
	return st == 404 ? 0 : (st < 0 ? st : -EIO);
}

/*
 * One round of tryAcquireOrRenew. Returns 1 when we hold the lease now, 0
 * when another candidate does (or won the race), or a negative errno.
 */
static int try_round(struct leader *l)
{
	json_t *lease;
	int rc = read_lease(l, &lease);
	if (rc < 0)
		return rc;
	json_t *empty = json_object();
	const json_t *spec = json_object_get(lease, "spec");
	if (lease && !json_is_object(spec))
		spec = empty;
	int64_t now = mono_ms();
	observe(l, spec, now);
	enum leader_action a = leader_decide(spec, l->identity, l->observed_ms, now);
	if (a == LEADER_WAIT) {
		log_holder(l, spec);
		rc = 0;
	} else {
		json_t *next = leader_next_spec(spec, a, l->identity, lease_seconds(l), wall_us());
		rc = write_lease(l, lease, next);
		if (rc == 1)
			observe(l, json_object_get(l->lease, "spec"), mono_ms());
	}
	json_decref(empty);
	json_decref(lease);
	return rc;
}

/* Tries every retry period (jittered) until we hold the lease; false when stopped first. */
static bool acquire(struct leader *l)
{
	log_info("leader", "%s: trying to acquire the lease %s/%s", l->identity, l->ns, l->name);
	for (;;) {
		if (stopping(l))
			return false;
		if (try_round(l) == 1)
			return true;
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) == -1)
			r = (uint32_t)rand();
		double jitter = (double)r / 4294967296.0 * JITTER_FACTOR;
		if (sleep_ms(l, (int64_t)(l->cfg.retry_ms * (1.0 + jitter))))
			return false;
	}
}

/* Renews every retry period; returns when the renew deadline passed, another took over, or stop. */
static void renew(struct leader *l)
{
	while (!sleep_ms(l, l->cfg.retry_ms)) {
		int rc = try_round(l);
		int64_t now = mono_ms();
		if (rc == 1) {
			l->renewed_ms = now;
			continue;
		}
		if (rc == 0 && l->seen_holder) {
			log_error("leader", "%s/%s was taken over by %s", l->ns, l->name,
				  l->seen_holder);
			return;
		}
		if (now - l->renewed_ms >= l->cfg.renew_ms) {
			log_error("leader", "%s/%s: could not renew within %d ms", l->ns, l->name,
				  l->cfg.renew_ms);
			return;
		}
	}
}

static void *run(void *arg)
{
	struct leader *l = arg;
	if (!acquire(l))
		return NULL;
	l->renewed_ms = mono_ms();
	l->leading = true;
	free(l->seen_holder);
	l->seen_holder = NULL;
	log_info("leader", "%s: became the leader of %s/%s (transitions: %lld)", l->identity, l->ns,
		 l->name,
		 (long long)spec_int(json_object_get(l->lease, "spec"), "leaseTransitions"));
	if (l->cb.started)
		l->cb.started(l->cb.arg);
	renew(l);
	if (stopping(l))
		return NULL;
	l->leading = false;
	log_error("leader", "%s: lost the lease %s/%s", l->identity, l->ns, l->name);
	if (l->cb.lost)
		l->cb.lost(l->cb.arg);
	return NULL;
}

/* hostname + "_" + 16 random hex digits, as kube-controller-manager's id. */
static char *make_identity(void)
{
	char host[256] = "localhost";
	unsigned char r[8] = {0};
	if (gethostname(host, sizeof(host) - 1) == -1)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	return xasprintf("%s_%02x%02x%02x%02x%02x%02x%02x%02x", host, r[0], r[1], r[2], r[3], r[4],
			 r[5], r[6], r[7]);
}

int leader_start(struct kclient *client, const struct leader_config *cfg,
		 const struct leader_callbacks *cb, struct leader **out, char **err)
{
	int rc = leader_config_check(cfg, err);
	if (rc < 0)
		return rc;
	struct leader *l = xcalloc(1, sizeof(*l));
	l->client = client;
	l->cfg = *cfg;
	l->name = xstrdup(cfg->name);
	l->ns = xstrdup(cfg->namespace);
	l->identity = cfg->identity && *cfg->identity ? xstrdup(cfg->identity) : make_identity();
	l->cfg.name = l->name;
	l->cfg.namespace = l->ns;
	l->cfg.identity = l->identity;
	l->path = xasprintf(LEASE_API "/namespaces/%s/leases/%s", l->ns, l->name);
	if (cb)
		l->cb = *cb;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&l->lock, NULL);
	rc = pthread_create(&l->thread, NULL, run, l);
	if (rc) {
		*err = xasprintf("cannot start the leader election thread: %s", strerror(rc));
		leader_free(l);
		return -rc;
	}
	l->started = true;
	*out = l;
	return 0;
}

bool leader_is_leading(struct leader *l)
{
	return l && l->leading && mono_ms() - l->renewed_ms < l->cfg.renew_ms;
}

const char *leader_identity(const struct leader *l)
{
	return l->identity;
}

void leader_metrics(struct leader *l, struct strbuf *sb)
{
	if (!l)
		return;
	sb_printf(sb,
		  "# HELP leader_election_master_status Gauge of if the reporting system is master "
		  "of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the "
		  "string used to identify the lease.\n"
		  "# TYPE leader_election_master_status gauge\n"
		  "leader_election_master_status{name=\"%s\"} %d\n",
		  l->name, leader_is_leading(l) ? 1 : 0);
}

void leader_stop(struct leader *l)
{
	if (!l || !l->started)
		return;
	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	l->started = false;
}

/* client-go's release: no holder, a one-second lease, transitions kept. */
static void release(struct leader *l)
{
	json_t *spec = json_deep_copy(json_object_get(l->lease, "spec"));
	if (!json_is_object(spec)) {
		json_decref(spec);
		spec = json_object();
	}
	json_object_set_new(spec, "holderIdentity", json_string(""));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
	json_object_set_new(spec, "renewTime", micro_time(wall_us()));
	json_object_set_new(spec, "acquireTime", micro_time(wall_us()));
	if (write_lease(l, l->lease, spec) == 1)
		log_info("leader", "%s: released the lease %s/%s", l->identity, l->ns, l->name);
}

void leader_free(struct leader *l)
{
	if (!l)
		return;
	leader_stop(l);
	if (l->leading && l->lease)
		release(l);
	l->leading = false;
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	json_decref(l->lease);
	free(l->observed);
	free(l->seen_holder);
	free(l->name);
	free(l->ns);
	free(l->identity);
	free(l->path);
	free(l);
}
