/*
 * Private to the etcd backend of the store (store_etcd.c, etcd_http.c,
 * etcd_watch.c): the HTTP client of etcd's v3 JSON gateway with failover
 * across endpoints, base64, the backend's struct and its watch.
 *
 * Store keys "/registry/..." live in etcd under the configured prefix
 * ("/registry" by default): "/registry/pods/ns/a" is "<prefix>/pods/ns/a".
 */
#ifndef SVCNET_STORE_ETCD_INTERNAL_H
#define SVCNET_STORE_ETCD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store-internal.h"

/* ---- etcd_http.c ---- */

struct etcd_client;

/*
 * Parses cfg->servers (comma separated URLs) and the TLS files into a
 * client; no request is sent. Returns 0 or -EINVAL with *err (caller frees).
 * The client is the caller's (etcd_client_free).
 */
int etcd_client_new(const struct store_etcd_config *cfg, struct etcd_client **out, char **err)
    __attribute__((warn_unused_result));
void etcd_client_free(struct etcd_client *c);

/* Number of endpoints and the URL of endpoint i (owned by the client). */
int etcd_client_endpoints(const struct etcd_client *c);
const char *etcd_client_endpoint(const struct etcd_client *c, int i);
/* The endpoint requests try first now (it moves on after a failure). */
int etcd_client_preferred(struct etcd_client *c);
/* Makes requests start at the endpoint after i (i failed). */
void etcd_client_failed(struct etcd_client *c, int i);

/*
 * POSTs body (JSON, not consumed) to path ("/v3/kv/range") and parses the
 * answer into *resp (caller decrefs). Tries the preferred endpoint, then
 * the others: every failure for an idempotent request, only a refused
 * connection (the request was never sent) for a write. Errors: -ECONNREFUSED
 * (no endpoint reachable), -ETIMEDOUT, -EAGAIN (etcd unavailable, e.g. no
 * leader; a revision in the future), -ERANGE (compacted), -ENOSPC (quota),
 * -EINVAL, -EIO; *why (may be NULL; caller frees) gets a sentence naming the
 * endpoints tried.
 */
int etcd_call(struct etcd_client *c, const char *path, json_t *body, bool idempotent, json_t **resp,
	      char **why) __attribute__((warn_unused_result));

/* Like etcd_call, to endpoint i only, without failover. */
int etcd_call_one(struct etcd_client *c, int i, const char *path, json_t *body, json_t **resp,
		  char **why) __attribute__((warn_unused_result));

/*
 * Prepares a CURL easy handle for a streaming POST of body to path on
 * endpoint i (TLS options included). Returns the handle (caller cleans it
 * up) and sets *hdrs (caller frees with curl_slist_free_all).
 */
void *etcd_stream_handle(struct etcd_client *c, int i, const char *path, const char *body,
			 void **hdrs);

/* Maps an etcd error answer {"code": N, "message": "..."} to an errno. */
int etcd_grpc_errno(int code, const char *message);

/* Base64 of len bytes as a JSON string (new reference). */
json_t *etcd_b64(const void *data, size_t len);
/* Decodes base64 s (NULL is ""); the result is NUL-terminated, caller frees. NULL if malformed. */
char *etcd_unb64(const char *s, size_t *len);

/* An int64 field that the gateway writes as a string ("12") or a number. */
int64_t etcd_int(const json_t *obj, const char *name);

/* ---- store_etcd.c ---- */

struct etcd_watch;

struct etcd_store {
	struct store base; /* first: a struct store * points here */
	struct etcd_client *cli;
	char *prefix; /* etcd key prefix that replaces "/registry" */
	size_t prefix_len;
	int64_t rev;   /* highest revision seen in any answer (atomic) */
	int unhealthy; /* a failure is recorded in the health sentence (atomic) */
	size_t watch_cache_size;
	struct etcd_watch *watch;
};

/* The store key of etcd key ekey (len bytes); NULL when not under the prefix. Caller frees. */
char *etcd_store_key(const struct etcd_store *es, const char *ekey, size_t len);
/* Records a revision seen (keeps the highest). */
void etcd_store_saw_rev(struct etcd_store *es, int64_t rev);

/* ---- etcd_watch.c ---- */

/*
 * Starts the one watch that feeds the watch cache es->base.wc, from
 * revision from (> 0), over every key under the prefix. Waits up to a few
 * seconds for etcd to accept it. Returns 0 or a negative errno with *err.
 */
int etcd_watch_start(struct etcd_store *es, int64_t from, struct etcd_watch **out, char **err)
    __attribute__((warn_unused_result));
/* Stops the watch thread and frees the watch. NULL is fine. */
void etcd_watch_stop(struct etcd_watch *w);

/*
 * For tests: waits up to timeout_ms until the watch has published every
 * event up to revision rev. Returns 0 or -ETIMEDOUT.
 */
int store_etcd_wait_rev(struct store *s, int64_t rev, int timeout_ms);
/*
 * For tests: cuts the watch stream (as a broken connection would) and,
 * with hold, keeps it from reconnecting until called again without hold
 * (which then lets it resume without another cut).
 */
void store_etcd_cut_watch(struct store *s, bool hold);

#endif
