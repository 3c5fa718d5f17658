/*
 * Private to src/controllers/: the running controllers' state, shared by
 * controllers.c (lifecycle, informer handlers, indices), sync.c (one
 * Service key: slices, Endpoints, mirroring), lbsync.c (LoadBalancer
 * addresses), tracker.c (writes the caches have not shown yet) and
 * ctlhttp.c (health and metrics).
 */
#ifndef SVCNET_CONTROLLERS_INTERNAL_H
#define SVCNET_CONTROLLERS_INTERNAL_H

#include "client/client.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/controllers.h"
#include "controllers/lbpool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum { INF_SVC, INF_POD, INF_NODE, INF_SLICE, INF_EP, INF_COUNT };

/* Counters for /metrics. */
struct ctl_metrics {
	atomic_ulong syncs, sync_errors, stale_requeues;
	atomic_ulong slice_changes[3]; /* create, update, delete */
	atomic_ulong mirror_changes[3];
	atomic_ulong endpoints_changes[3];
	atomic_ulong lb_status_writes, events_posted, conflicts;
	atomic_ulong sync_usec; /* total time in syncs */
};

struct controllers {
	struct controllers_config cfg; /* strings owned (copies) */
	struct kclient *client;
	struct informer *inf[INF_COUNT];
	struct workqueue *queue;
	struct leader *leader; /* NULL unless cfg.leader.enabled */
	pthread_t *workers;
	int nworkers;
	atomic_int synced; /* informers that have listed */
	atomic_bool ready;
	volatile int stopping;

	/* Indices fed by the handlers, and the tracker; all under lock. */
	pthread_mutex_t lock;
	json_t *pods_by_label; /* "ns\037key=value" -> {name: pod} */
	json_t *slices;	       /* "ns/service" -> {name: slice} */
	json_t *zones;	       /* node name -> zone */
	json_t *expect;	       /* "ns/service" -> {object key: {"b","a","d","t"}} */
	json_t *gone;	       /* "ns/service" -> true: deleted Services whose Endpoints go */

	/* LoadBalancer pool, under pool_lock. */
	pthread_mutex_t pool_lock;
	struct lbpool *pool;
	json_t *lb_failed; /* "ns/service" -> message of the last Event posted */

	struct ctl_metrics m;
	struct MHD_Daemon *mhd;
	int metrics_port;
};

/* ---- handlers.c ---- */

/* The handlers of each informer (index INF_*), all with c as their argument. */
void ctl_handlers(struct controllers *c, struct informer_handlers h[INF_COUNT]);

/* Queues every Service, and every Endpoints without one (start-up pass). */
void ctl_queue_all(struct controllers *c);

/* The pods of namespace ns matching selector (a map), as a new array. */
json_t *ctl_select_pods(struct controllers *c, const char *ns, const json_t *selector);

/* The slices labelled for Service ns/name and managed by managed_by, as a new array. */
json_t *ctl_service_slices(struct controllers *c, const char *key, const char *managed_by);

/* A copy of the node -> zone map (new reference). */
json_t *ctl_zones(struct controllers *c);

/* ---- sync.c ---- */

/* Syncs one Service key "ns/name". Returns 0, -EAGAIN (cache stale: requeue soon) or an error. */
int ctl_sync(struct controllers *c, const char *key);

/*
 * Sends one write: POST/PUT of obj, or DELETE (obj: DeleteOptions, or NULL);
 * logs failures, counts conflicts. Returns the HTTP status or a negative
 * errno, with the response body in *out (caller frees; may be NULL).
 */
int ctl_write(struct controllers *c, const char *method, const char *path, const json_t *obj,
	      json_t **out);

/* ---- lbsync.c ---- */

/* Rebuilds the pool from the Services' statuses (before the first sync). */
void ctl_lb_rebuild(struct controllers *c);
/* Gives a LoadBalancer Service its address, or releases. Returns 0 or an error. */
int ctl_lb_sync(struct controllers *c, const char *key, const json_t *svc);

/* ---- tracker.c ---- */

/*
 * Records that a write of object okey (for Service key) moved it from
 * resourceVersion before ("" when created) to after (deleted: gone), unless
 * the cache already shows it (cur_rv: what the cache holds now, NULL when
 * absent). Call under c->lock.
 */
void ctl_expect(struct controllers *c, const char *key, const char *okey, const char *before,
		const char *after, bool deleted, const char *cur_rv);
/*
 * An informer event for okey: forgets a recorded write once the cache moved
 * past it. Returns whether the event is that write (no need to sync). Call
 * under c->lock.
 */
bool ctl_observe(struct controllers *c, const char *key, const char *okey, const char *rv,
		 bool deleted);
/* Whether a write for Service key is not in the caches yet. Takes c->lock. */
bool ctl_stale(struct controllers *c, const char *key);

/* ---- ctlhttp.c ---- */

/* Starts /healthz, /readyz and /metrics on cfg.metrics_listen. */
int ctl_http_start(struct controllers *c, char **err) __attribute__((warn_unused_result));
void ctl_http_stop(struct controllers *c);

#endif
