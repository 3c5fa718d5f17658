/*
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package does it: every retry period a candidate reads the
 * Lease; it takes it when nobody holds it or when the holder has not renewed
 * it within its lease duration (timed on our own monotonic clock, from when we
 * last saw the record change, so that clock skew between machines does not
 * matter); the leader renews it every retry period and gives up when it could
 * not renew for the renew deadline. Every write is a PUT carrying the
 * resourceVersion read, so of two candidates only one wins (the other gets
 * 409 Conflict).
 */
#ifndef SVCNET_CONTROLLERS_LEADER_H
#define SVCNET_CONTROLLERS_LEADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct kclient;
struct leader;
struct strbuf;

struct leader_config {
	bool enabled;	       /* --leader-elect */
	const char *name;      /* the Lease: "svcnet-controllers" */
	const char *namespace; /* "kube-system" */
	const char *identity;  /* NULL: hostname + "_" + random */
	int lease_ms;	       /* 15000 */
	int renew_ms;	       /* 10000 */
	int retry_ms;	       /* 2000 */
};

/* Fills cfg with client-go's defaults (enabled, 15 s, 10 s, 2 s). */
void leader_config_defaults(struct leader_config *cfg);

/*
 * Checks the durations as client-go's NewLeaderElector does: lease > renew
 * deadline > 1.2 x retry period > 0. Returns 0, or -EINVAL with a sentence in
 * *err (caller frees).
 */
int leader_config_check(const struct leader_config *cfg, char **err)
    __attribute__((warn_unused_result));

/* What one round of the election does with the Lease it read. */
enum leader_action {
	LEADER_CREATE,	/* no Lease: create it naming us */
	LEADER_RENEW,	/* we hold it: renew it */
	LEADER_ACQUIRE, /* free or expired: take it (one more transition) */
	LEADER_WAIT,	/* someone else holds a valid lease */
};

/*
 * The decision of client-go's tryAcquireOrRenew. spec is the Lease's spec
 * (NULL when there is no Lease); observed_ms is when (our monotonic clock) we
 * first saw the current record, now_ms the monotonic time now.
 */
enum leader_action leader_decide(const json_t *spec, const char *identity, int64_t observed_ms,
				 int64_t now_ms);

/*
 * The spec to write for action (not LEADER_WAIT): holder identity, lease
 * duration lease_s, renewTime now (MicroTime of wall_us, microseconds since
 * the epoch), acquireTime and leaseTransitions kept on a renewal, set (and
 * incremented) on a takeover. old may be NULL. Returns a new object.
 */
json_t *leader_next_spec(const json_t *old, enum leader_action action, const char *identity,
			 int lease_s, int64_t wall_us);

/* Called on the election thread; started when we become the leader, lost when we stop being it. */
struct leader_callbacks {
	void (*started)(void *arg);
	void (*lost)(void *arg);
	void *arg;
};

/*
 * Starts the election thread on client (borrowed: it must outlive the
 * elector). The configuration is copied. Returns 0 with *out, or a negative
 * errno with a sentence in *err (caller frees).
 */
int leader_start(struct kclient *client, const struct leader_config *cfg,
		 const struct leader_callbacks *cb, struct leader **out, char **err)
    __attribute__((warn_unused_result));

/* Whether we hold the lease and renewed it within the renew deadline. */
bool leader_is_leading(struct leader *l);

/* Our identity (borrowed, lives as long as l). */
const char *leader_identity(const struct leader *l);

/* Appends the leader_election_master_status gauge (Prometheus text) to sb. */
void leader_metrics(struct leader *l, struct strbuf *sb);

/* Stops the election thread; no callback runs afterwards. NULL is fine. */
void leader_stop(struct leader *l);

/* Gives the lease up when we hold it (so a successor need not wait), then frees l. */
void leader_free(struct leader *l);

#endif
