/* Private to the proxy's core (proxy.c, proxy_sync.c, proxy_http.c). */
#ifndef SVCNET_PROXY_PROXY_INTERNAL_H
#define SVCNET_PROXY_PROXY_INTERNAL_H

#include "client/client.h"
#include "client/informer.h"
#include "proxy/metrics.h"
#include "proxy/mode.h"
#include "proxy/proxy.h"
#include "proxy/servicemap.h"

#include <pthread.h>
#include <stdint.h>

struct MHD_Daemon;

struct proxy {
	/* Configuration, owned copies. */
	char *node_name;
	char *metrics_listen;
	unsigned min_sync_ms, sync_ms;
	const struct proxy_mode_ops *ops;
	void *mode;
	struct proxy_mode_config mode_cfg;
	char *cluster_cidr, *bind_address;
	char *cgroup_path; /* ebpf's --cgroup-path, or NULL */

	struct kclient *kc;
	struct informer *svcs, *slices, *nodes;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;  /* on CLOCK_MONOTONIC */
	bool stopping;
	bool dirty;	      /* a change came since the last sync began */
	double pending_since; /* Unix time of the first unsynced change; 0: none */
	bool ready;	      /* a sync succeeded */
	int64_t last_ok_ms;   /* monotonic time of the last successful sync */

	struct svcmap *current; /* what the mode holds (sync thread only) */
	struct proxy_metrics metrics;
	struct MHD_Daemon *http;
	int metrics_port;
};

/* Milliseconds on CLOCK_MONOTONIC; seconds since the epoch. */
int64_t proxy_mono_ms(void);
double proxy_wall(void);

/* The sync thread (proxy_sync.c): batches changes, builds maps, calls the mode. */
void *proxy_sync_main(void *arg);
/* Notes a change (from an informer thread) and wakes the sync thread. */
void proxy_mark_dirty(struct proxy *p);

/* The HTTP server of /healthz, /readyz, /metrics (proxy_http.c); 0 or -errno with *err. */
int proxy_http_start(struct proxy *p, char **err);
void proxy_http_stop(struct proxy *p);

#endif
