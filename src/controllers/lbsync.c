/*
 * LoadBalancer addresses (the role MetalLB plays on bare metal): every
 * Service of type LoadBalancer without a loadBalancerClass gets
 * status.loadBalancer.ingress[].ip from --lb-pool, one per IP family the
 * pool has, honouring spec.loadBalancerIP. When that cannot be done the
 * status stays empty (pending) and a Warning Event says why, once. The pool
 * is rebuilt from the Services' statuses at start.
 */
#include "controllers/controllers-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "controllers/podutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COMPONENT "svcnet-controllers"

static const json_t *spec_of(const json_t *svc)
{
	return json_object_get(svc, "spec");
}

/* A LoadBalancer Service this controller serves (no loadBalancerClass). */
static bool is_ours(const json_t *svc)
{
	return svc && !strcmp(podutil_str(spec_of(svc), "type"), "LoadBalancer") &&
	       !*podutil_str(spec_of(svc), "loadBalancerClass");
}

static const json_t *ingress_of(const json_t *svc)
{
	return json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"),
			       "ingress");
}

struct rebuild_ctx {
	struct controllers *c;
	int marked, conflicts;
};

static void mark_service(const json_t *svc, void *arg)
{
	struct rebuild_ctx *r = arg;
	if (!is_ours(svc))
		return;
	const json_t *meta = json_object_get(svc, "metadata");
	char *key = xasprintf("%s/%s", podutil_str(meta, "namespace"), podutil_str(meta, "name"));
	size_t i;
	const json_t *ing;
	json_array_foreach(ingress_of(svc), i, ing)
	{
		const char *ip = podutil_str(ing, "ip");
		int rc = *ip ? lbpool_mark(r->c->pool, key, ip) : -ERANGE;
		if (rc == 0)
			r->marked++;
		else if (rc == -EEXIST) {
			r->conflicts++;
			log_warn("controllers",
				 "%s: LoadBalancer IP %s is held by another Service; "
				 "it will get a new one",
				 key, ip);
		}
	}
	free(key);
}

void ctl_lb_rebuild(struct controllers *c)
{
	if (!c->pool)
		return;
	struct rebuild_ctx r = {c, 0, 0};
	pthread_mutex_lock(&c->pool_lock);
	informer_foreach(c->inf[INF_SVC], mark_service, &r);
	size_t used, total;
	lbpool_stats(c->pool, &used, &total);
	pthread_mutex_unlock(&c->pool_lock);
	log_info("controllers",
		 "LoadBalancer pool %s: %d addresses in use by Services (%zu of %zu)",
		 c->cfg.lb_pool, r.marked, used, total);
}

/* Why an allocation failed, for the Event. Caller frees. */
static char *failure(const char *key, int rc, const char *requested, enum ip_family fam,
		     const char *pool)
{
	const char *why;
	switch (rc) {
	case -ENOSPC:
		why = "no available IPs in the pool";
		break;
	case -EADDRINUSE:
		why = "the requested IP is already in use";
		break;
	case -ERANGE:
		why = "the requested IP is not in the pool";
		break;
	case -EINVAL:
		why = "the requested IP is not a valid IP address";
		break;
	default:
		why = "the pool has no range of the Service's IP family";
		break;
	}
	return xasprintf("Failed to allocate %s IP for \"%s\"%s%s: %s (pool %s)",
			 ip_family_name(fam), key, requested ? " " : "", requested ? requested : "",
			 why, pool);
}

/*
 * The ingress list the Service should have (new array), or NULL with *msg
 * (caller frees) when it stays pending. Takes the pool lock.
 */
static json_t *allocate(struct controllers *c, const char *key, const json_t *svc, char **msg)
{
	const json_t *fams = json_object_get(spec_of(svc), "ipFamilies");
	const char *requested = podutil_str(spec_of(svc), "loadBalancerIP");
	struct ip_addr req;
	bool have_req = *requested && ip_addr_parse(requested, &req) == 0;
	json_t *out = json_array();
	int served = 0;
	pthread_mutex_lock(&c->pool_lock);
	for (size_t i = 0; i < (json_array_size(fams) ? json_array_size(fams) : 1) && !*msg; i++) {
		const char *f =
		    json_array_size(fams) ? json_string_value(json_array_get(fams, i)) : "IPv4";
		enum ip_family fam = podutil_family_of_type(f ? f : "IPv4");
		const char *want =
		    *requested && (!have_req || req.family == fam) ? requested : NULL;
		char ip[IP_STRLEN];
		if (!lbpool_has_family(c->pool, fam) && !want)
			continue;
		int rc = lbpool_alloc(c->pool, key, fam, want, ip);
		if (rc < 0) {
			*msg = failure(key, rc, want, fam, c->cfg.lb_pool);
			break;
		}
		served++;
		json_array_append_new(out, json_pack("{s:s, s:s}", "ip", ip, "ipMode", "VIP"));
	}
	if (!*msg && !served)
		*msg = failure(key, -EAFNOSUPPORT, NULL, IP_V4, c->cfg.lb_pool);
	if (*msg)
		lbpool_release(c->pool, key);
	pthread_mutex_unlock(&c->pool_lock);
	if (*msg) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Posts a Warning Event on the Service (core/v1, as client-go's recorder). */
static void post_event(struct controllers *c, const json_t *svc, const char *reason,
		       const char *msg)
{
	const json_t *meta = json_object_get(svc, "metadata");
	const char *ns = podutil_str(meta, "namespace"), *name = podutil_str(meta, "name");
	char now[32], host[64] = "";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	api_format_time(ts.tv_sec, now);
	gethostname(host, sizeof(host) - 1);
	char *ev_name = xasprintf("%s.%llx", name,
				  (unsigned long long)ts.tv_sec * 1000000000ull +
				      (unsigned long long)ts.tv_nsec);
	json_t *ev = json_pack(
	    "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, "
	    "s:{s:s}, s:s, s:s, s:i, s:s, s:s}",
	    "apiVersion", "v1", "kind", "Event", "metadata", "name", ev_name, "namespace", ns,
	    "involvedObject", "apiVersion", "v1", "kind", "Service", "namespace", ns, "name", name,
	    "uid", podutil_str(meta, "uid"), "resourceVersion",
	    podutil_str(meta, "resourceVersion"), "reason", reason, "message", msg, "type",
	    "Warning", "source", "component", COMPONENT, "firstTimestamp", now, "lastTimestamp",
	    now, "count", 1, "reportingComponent", COMPONENT, "reportingInstance", host);
	char *path = xasprintf("/api/v1/namespaces/%s/events", ns);
	json_t *resp;
	int st = ctl_write(c, "POST", path, ev, &resp);
	if (st == 201 || st == 200)
		c->m.events_posted++;
	json_decref(resp);
	json_decref(ev);
	free(path);
	free(ev_name);
}

/* Writes status.loadBalancer.ingress = ingress with a conditional PUT on /status. */
static int write_status(struct controllers *c, const char *key, const json_t *svc, json_t *ingress)
{
	const json_t *meta = json_object_get(svc, "metadata");
	const char *ns = podutil_str(meta, "namespace"), *name = podutil_str(meta, "name");
	json_t *obj = json_deep_copy(svc);
	json_t *status = json_object_get(obj, "status");
	if (!json_is_object(status))
		json_object_set_new(obj, "status", status = json_object());
	json_object_set_new(status, "loadBalancer",
			    json_array_size(ingress) ? json_pack("{s:O}", "ingress", ingress)
						     : json_object());
	char *path = xasprintf("/api/v1/namespaces/%s/services/%s/status", ns, name);
	json_t *resp;
	int st = ctl_write(c, "PUT", path, obj, &resp), rc = 0;
	if (st == 200) {
		c->m.lb_status_writes++;
		pthread_mutex_lock(&c->lock);
		json_t *cur = informer_get(c->inf[INF_SVC], ns, name);
		ctl_expect(c, key, "svc", podutil_str(meta, "resourceVersion"),
			   podutil_str(json_object_get(resp, "metadata"), "resourceVersion"), false,
			   cur ? podutil_str(json_object_get(cur, "metadata"), "resourceVersion")
			       : NULL);
		pthread_mutex_unlock(&c->lock);
		json_decref(cur);
		log_info("controllers", "%s: LoadBalancer ingress %s", key,
			 json_array_size(ingress) ? podutil_str(json_array_get(ingress, 0), "ip")
						  : "cleared (pending)");
	} else {
		rc = st == 409 ? -EBUSY : st < 0 ? st : -EIO;
	}
	json_decref(resp);
	json_decref(obj);
	free(path);
	return rc;
}

/* Posts the failure Event once per distinct message; forgets it on success. */
static void note_failure(struct controllers *c, const char *key, const json_t *svc, const char *msg)
{
	pthread_mutex_lock(&c->pool_lock);
	const char *prev = podutil_str(c->lb_failed, key);
	bool post = msg && strcmp(prev, msg);
	if (msg)
		json_object_set_new(c->lb_failed, key, json_string(msg));
	else
		json_object_del(c->lb_failed, key);
	pthread_mutex_unlock(&c->pool_lock);
	if (post) {
		log_warn("controllers", "%s", msg);
		post_event(c, svc, "AllocationFailed", msg);
	}
}

/* Releases what key holds; the pending Services get another try. */
static void release(struct controllers *c, const char *key)
{
	char ip[IP_STRLEN];
	json_t *pending = json_array();
	pthread_mutex_lock(&c->pool_lock);
	bool held = lbpool_lookup(c->pool, key, IP_V4, ip) == 0 ||
		    lbpool_lookup(c->pool, key, IP_V6, ip) == 0;
	lbpool_release(c->pool, key);
	json_object_del(c->lb_failed, key);
	const char *k;
	json_t *v;
	if (held)
		json_object_foreach(c->lb_failed, k, v)
		    json_array_append_new(pending, json_string(k));
	pthread_mutex_unlock(&c->pool_lock);
	if (held)
		log_info("controllers", "%s: LoadBalancer IP %s released; %zu Services pending",
			 key, ip, json_array_size(pending));
	size_t i;
	json_array_foreach(pending, i, v) workqueue_add(c->queue, json_string_value(v));
	json_decref(pending);
}

int ctl_lb_sync(struct controllers *c, const char *key, const json_t *svc)
{
	if (!c->pool)
		return 0;
	if (!is_ours(svc)) {
		release(c, key);
		return 0;
	}
	char *msg = NULL;
	json_t *want = allocate(c, key, svc, &msg);
	json_t *empty = json_array();
	const json_t *have = ingress_of(svc);
	int rc = 0;
	if (!json_equal(have ? (json_t *)have : empty, want ? want : empty))
		rc = write_status(c, key, svc, want ? want : empty);
	note_failure(c, key, svc, msg);
	json_decref(empty);
	json_decref(want);
	free(msg);
	return rc;
}
