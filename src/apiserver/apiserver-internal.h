/* Shared between the files of the API server; not a public interface. */
#ifndef SVCNET_APISERVER_INTERNAL_H
#define SVCNET_APISERVER_INTERNAL_H

#include "api/resource.h"
#include "apiserver/apiserver.h"
#include "apiserver/metrics.h"
#include "api/errors.h"
#include "base/strbuf.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_BODY (3 * 1024 * 1024)

struct auth_tokens;
struct auth_user;

struct apiserver {
	struct apiserver_config cfg;
	struct store *store;
	struct svc_alloc *alloc;
	struct MHD_Daemon *mhd;
	struct metrics metrics;
	int port;
	volatile int stopping;
	struct watch_hub *hub;
	struct admission *admission;
	struct auth_tokens *tokens;	 /* NULL: no authentication (loopback only) */
	char *tls_cert, *tls_key;	 /* PEM, NULL without TLS */
	int inflight, inflight_mutating; /* requests being served (atomic) */
	unsigned long throttled;	 /* answered 429 (atomic) */
	pthread_t janitor;
	pthread_mutex_t janitor_lock;
	pthread_cond_t janitor_cond;
};

/* One request; lives from the first call of the MHD handler to completion. */
struct req {
	struct apiserver *srv;
	struct MHD_Connection *conn;
	const char *method;
	char *path; /* URL path without the query */
	struct strbuf body;
	bool body_too_large;
	bool smuggled; /* Content-Length and Transfer-Encoding both present */
	double start;

	/* The route. */
	const struct api_resource *res;
	char *ns;	  /* NULL for cluster scope or all namespaces */
	char *name;	  /* NULL for collections */
	char *sub;	  /* "status", "finalize", "binding" or NULL */
	const char *verb; /* for metrics: get list watch create update patch delete ... */
	const struct auth_user *user; /* with --token-file: who is asking */

	/* The response. */
	struct MHD_Response *resp;
	unsigned code;
	char *warning; /* Warning header value, or NULL */
};

/* Query parameter of the request, or NULL. */
const char *req_query(struct req *r, const char *name);
/* Request header, or NULL. */
const char *req_header(struct req *r, const char *name);

/* Responses: each takes ownership of what it is given. */
void reply_json(struct req *r, unsigned code, json_t *body);
void reply_raw(struct req *r, unsigned code, const char *content_type, char *body, size_t len);
void reply_status(struct req *r, unsigned code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A 404 NotFound for name of r->res (`services "x" not found`). */
void reply_not_found(struct req *r, const struct api_resource *res, const char *name);

/* discovery.c: /version, /api, /apis, resource lists, /openapi. True if handled. */
bool discovery_handle(struct req *r);

/* route.c: parses r->path into res/ns/name/sub. 0, or -ENOENT when no route. */
int route_parse(struct req *r);

/* rest.c: the verbs on a resource. */
void rest_handle(struct req *r);
/* Creates the default namespaces if missing and repairs allocations. */
int rest_bootstrap(struct apiserver *srv, char **err);
/* Deletes pods whose graceful deletion period has passed; wakes up by itself. */
void *rest_janitor(void *arg);

/* watch.c: serves ?watch=1 on a collection. */
void watch_handle(struct req *r);
/* The thread that resumes parked watch streams. */
int watch_hub_start(struct apiserver *srv);
/* Ends every stream (they see the end at their next read) and the hub thread. */
void watch_hub_stop(struct apiserver *srv);
void watch_hub_free(struct apiserver *srv);

/* admission.c: checks that need the server's configuration (CVE-2020-8554, CVE-2021-25740). */
struct admission;
int admission_new(const struct apiserver_config *cfg, struct admission **out, char **err);
void admission_free(struct admission *a);
/* Appends errors for what r's configuration forbids in obj (a Service, Endpoints, slice). */
void admission_check(const struct admission *a, const struct api_resource *res, const json_t *obj,
		     struct field_errs *errs);

/* Store key helpers. */
char *key_for(const struct api_resource *res, const char *ns, const char *name);
char *key_prefix(const struct api_resource *res, const char *ns);

/* The Accept header asks for a meta.k8s.io Table. */
bool wants_table(struct req *r);

double now_seconds(void);

#endif

/* rest.c helpers shared by the read and write paths. */
struct store_kv;
/* Replies a store failure (-ENOSPC → 507, others 500) with the reason. */
void reply_store_error(struct req *r, int rc);
/* Replies the object stored at kv (rv inserted), or a one-row Table. */
void reply_stored(struct req *r, unsigned code, const char *json, size_t len, int64_t rev);
/* The routed object as stored (new reference, *rev its revision); replies 404/500 and returns NULL.
 */
json_t *load_current(struct req *r, int64_t *rev);
/* Does the namespace exist and accept new objects? Replies 404/403 if not. */
bool namespace_usable(struct req *r, const char *ns);

/* rest_write.c */
void rest_create(struct req *r);
void rest_update(struct req *r);
void rest_patch(struct req *r);
void rest_delete(struct req *r);
void rest_delete_collection(struct req *r);

/* rest_binding.c: POST pods/NAME/binding sets the pod's spec.nodeName once. */
void rest_bind(struct req *r);
