/*
 * Writes the informer caches have not shown yet, as kube's
 * EndpointSliceTracker and staleEndpointsTracker: after a write, a sync of
 * the same Service would read the old object from the cache and write again
 * (a duplicate create, or a 409). So every write is recorded with the
 * resourceVersion it replaced and the one it made, and a Service is not
 * synced while one of its writes is in flight between the API server and
 * the cache. resourceVersions are compared for equality only (they are
 * opaque). A record the cache never confirms expires after EXPECT_TTL_MS.
 */
#include "controllers/controllers-internal.h"

#include "base/log.h"

#include <string.h>
#include <time.h>

#define EXPECT_TTL_MS 10000

static json_int_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

void ctl_expect(struct controllers *c, const char *key, const char *okey, const char *before,
		const char *after, bool deleted, const char *cur_rv)
{
	before = before ? before : "";
	/* Only while the cache still holds what the write replaced. */
	bool cache_old = *before ? cur_rv && !strcmp(cur_rv, before) : !cur_rv;
	if (!cache_old)
		return;
	json_t *per = json_object_get(c->expect, key);
	if (!per)
		json_object_set_new(c->expect, key, per = json_object());
	json_object_set_new(per, okey,
			    json_pack("{s:s, s:s, s:b, s:I}", "b", before, "a", after ? after : "",
				      "d", deleted, "t", now_ms()));
}

bool ctl_observe(struct controllers *c, const char *key, const char *okey, const char *rv,
		 bool deleted)
{
	json_t *per = json_object_get(c->expect, key);
	json_t *e = json_object_get(per, okey);
	if (!e)
		return false;
	bool mine;
	if (deleted) {
		mine = json_is_true(json_object_get(e, "d"));
	} else {
		if (*str(e, "b") && !strcmp(rv, str(e, "b")))
			return false;
		mine = !json_is_true(json_object_get(e, "d")) && !strcmp(rv, str(e, "a"));
	}
	json_object_del(per, okey);
	if (!json_object_size(per))
		json_object_del(c->expect, key);
	return mine;
}

bool ctl_stale(struct controllers *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	json_t *per = json_object_get(c->expect, key);
	const char *okey;
	json_t *e, *tmp;
	json_int_t now = now_ms();
	json_object_foreach_safe(per, tmp, okey, e)
	{
		if (now - json_integer_value(json_object_get(e, "t")) > EXPECT_TTL_MS) {
			log_warn("controllers",
				 "%s: the cache never showed the write of %s; going on", key, okey);
			json_object_del(per, okey);
		}
	}
	bool stale = json_object_size(per) > 0;
	if (per && !stale)
		json_object_del(c->expect, key);
	pthread_mutex_unlock(&c->lock);
	return stale;
}
