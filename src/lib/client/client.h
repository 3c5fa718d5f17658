/*
 * The HTTP client of the Kubernetes API, used by every component below the
 * API server (controllers, proxy, DNS, agent, env): plain HTTP or HTTPS
 * with a bearer token, configured from --server or a kubeconfig file.
 * Thread safe: any thread may issue requests on one kclient.
 */
#ifndef SVCNET_CLIENT_CLIENT_H
#define SVCNET_CLIENT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kclient;

struct kclient_config {
	char *server;	 /* "http://127.0.0.1:8080" (owned) */
	char *token;	 /* bearer token or NULL */
	char *ca_file;	 /* PEM CA bundle or NULL */
	char *ca_data;	 /* PEM CA (decoded certificate-authority-data) or NULL */
	char *cert_file; /* client certificate or NULL */
	char *key_file;
	char *namespace; /* the context's namespace or NULL */
	bool insecure;	 /* insecure-skip-tls-verify */
	char *cert_data; /* PEM client certificate (decoded client-certificate-data) or NULL */
	char *key_data;	 /* PEM client key (decoded client-key-data) or NULL */
};

/*
 * Reads a kubeconfig (the standard file format: clusters, users, contexts,
 * current-context) into cfg: server, certificate-authority(-data),
 * insecure-skip-tls-verify, token / tokenFile, client-certificate(-data),
 * client-key(-data), namespace. Relative paths are taken relative to the
 * file's folder. Returns 0, or -EINVAL/-ENOENT with a sentence in *err
 * (caller frees) naming what is wrong (the missing context, cluster or
 * user); cfg is then empty.
 */
int kclient_config_from_kubeconfig(const char *path, struct kclient_config *cfg, char **err)
    __attribute__((warn_unused_result));
/* Parses a kubeconfig held in memory (for tests and fuzzing). */
int kclient_config_parse(const char *text, size_t len, struct kclient_config *cfg, char **err)
    __attribute__((warn_unused_result));
/*
 * The configuration of a component's flags: the kubeconfig file when
 * kubeconfig is non-NULL, with server (when non-NULL) overriding its server
 * as kubectl's --server does. Returns 0, or a negative errno with a sentence
 * in *err (caller frees), also when neither is given.
 */
int kclient_config_load(const char *server, const char *kubeconfig, struct kclient_config *cfg,
			char **err) __attribute__((warn_unused_result));
/* Frees every string of cfg (not cfg itself) and zeroes it. */
void kclient_config_free(struct kclient_config *cfg);

/* Creates a client (copies cfg). Returns 0 or a negative errno with *err. */
int kclient_new(const struct kclient_config *cfg, struct kclient **out, char **err)
    __attribute__((warn_unused_result));
void kclient_free(struct kclient *c);

/*
 * One request. path is absolute ("/api/v1/namespaces/default/services");
 * body may be NULL. Returns the HTTP status (>0), with the response body in
 * *resp (caller frees, NUL-terminated; may be NULL when resp is NULL), or a
 * negative errno when the server could not be reached (-ECONNREFUSED,
 * -ETIMEDOUT, ...).
 */
int kclient_request(struct kclient *c, const char *method, const char *path,
		    const char *content_type, const char *body, size_t len, char **resp,
		    size_t *resp_len);

/*
 * JSON conveniences: return the HTTP status or a negative errno; *out gets
 * the decoded response body (caller owns; also for error statuses, where it
 * is the Status object) or NULL.
 */
int kclient_get(struct kclient *c, const char *path, json_t **out);
int kclient_post(struct kclient *c, const char *path, const json_t *obj, json_t **out);
int kclient_put(struct kclient *c, const char *path, const json_t *obj, json_t **out);
/* patch_type: "merge" (application/merge-patch+json) or "strategic" or "json". */
int kclient_patch(struct kclient *c, const char *path, const char *patch_type, const json_t *patch,
		  json_t **out);
int kclient_delete(struct kclient *c, const char *path, json_t **out);

/*
 * Streams a watch: GETs path (which carries ?watch=1&resourceVersion=...)
 * and calls cb for every event with its type ("ADDED", "MODIFIED",
 * "DELETED", "BOOKMARK", "ERROR") and object (borrowed). Returns when the
 * server ends the stream (0), cb returns nonzero (that value), *stop becomes
 * nonzero (0, checked at least once a second), or on a transport error
 * (negative errno; -EBADMSG for a line that is not an event). A watch the
 * server refuses with an HTTP error (410, 403, ...) is handed to cb as one
 * ERROR event whose object is the Status, as kube-apiserver reports a too
 * old resourceVersion inside the stream.
 */
typedef int (*kclient_watch_cb)(const char *type, json_t *object, void *arg);
int kclient_watch(struct kclient *c, const char *path, kclient_watch_cb cb, void *arg,
		  volatile int *stop);

/*
 * As kclient_watch, and also calls tick(arg) on the watching thread about
 * once a second while the stream is open (for timers such as resync); tick
 * may be NULL.
 */
int kclient_watch_tick(struct kclient *c, const char *path, kclient_watch_cb cb,
		       void (*tick)(void *arg), void *arg, volatile int *stop);

/*
 * Lists a whole collection in pages of 500 (?limit=500, then ?continue=...).
 * path may already carry a query ("...?labelSelector=a%3Db"). Returns 200
 * with *out a list object holding every item (each with kind and apiVersion
 * set) and the first page's metadata.resourceVersion, or the failing HTTP
 * status with *out the Status body, or a negative errno with *out NULL.
 * Caller owns *out.
 */
int kclient_list_all(struct kclient *c, const char *path, json_t **out);

/*
 * As kclient_list_all, but hands each page's items to page (with kind and
 * apiVersion set; borrowed, freed when page returns) as the page arrives,
 * instead of holding the whole collection: memory holds one page at a time.
 * Returns 200 with *out the list object of the first page, its items
 * removed (for metadata.resourceVersion), or the failing HTTP status with
 * *out the Status body, or a negative errno with *out NULL; pages before a
 * failure have been handed to page. Caller owns *out.
 */
typedef void (*kclient_page_cb)(json_t *items, void *arg);
int kclient_list_pages(struct kclient *c, const char *path, kclient_page_cb page, void *arg,
		       json_t **out);

/* Percent-escapes s for a query value (selectors). Caller frees. */
char *kclient_query_escape(const char *s);

/* The server URL the client talks to (borrowed, lives as long as c). */
const char *kclient_server(const struct kclient *c);
/* The namespace of the configuration (borrowed), or NULL. */
const char *kclient_namespace(const struct kclient *c);

/* "a/b" path segment escaping is not needed: names are DNS labels/subdomains. */

#endif
