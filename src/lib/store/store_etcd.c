/*
 * The etcd backend of the store, over etcd's v3 JSON gateway (etcd_http.c):
 * reads are /v3/kv/range, writes are /v3/kv/txn with a compare on the key's
 * create or mod revision (kube-apiserver's etcd3 storage does the same), and
 * the watch cache is fed by one watch on the whole prefix (etcd_watch.c).
 * Revisions are etcd's; values are stored as given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "store/etcd_internal.h"

#define PAGE		     500
#define REGISTRY	     "/registry"
#define REGISTRY_LEN	     9
#define HEALTH_RETRY_S	     5
#define HEALTH_RETRY_WAIT_MS 250

static struct etcd_store *to_es(struct store *s)
{
	return (struct etcd_store *)s;
}

/* ---- keys ---- */

/* The etcd key of a store key under "/registry"; NULL for any other key. Caller frees. */
static char *ekey(const struct etcd_store *es, const char *key)
{
	if (strncmp(key, REGISTRY, REGISTRY_LEN) != 0 ||
	    (key[REGISTRY_LEN] && key[REGISTRY_LEN] != '/'))
		return NULL;
	return xasprintf("%s%s", es->prefix, key + REGISTRY_LEN);
}

/*
 * The etcd prefix of a store prefix: a prefix of "/registry/" ("" included)
 * is the whole space "<prefix>/"; NULL when the prefix is outside it.
 */
static char *eprefix(const struct etcd_store *es, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n <= REGISTRY_LEN + 1 && strncmp(prefix, REGISTRY "/", n) == 0)
		return xasprintf("%s/", es->prefix);
	return ekey(es, prefix);
}

/* See etcd_internal.h. */
char *etcd_store_key(const struct etcd_store *es, const char *k, size_t len)
{
	if (len <= es->prefix_len || memcmp(k, es->prefix, es->prefix_len) != 0 ||
	    k[es->prefix_len] != '/')
		return NULL;
	return xasprintf(REGISTRY "%.*s", (int)(len - es->prefix_len), k + es->prefix_len);
}

/* The first key after every key that starts with p; "\0" (no end) when there is none. */
static json_t *prefix_end(const char *p)
{
	size_t n = strlen(p);
	char *end = xstrdup(p);
	json_t *j;

	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0) {
		free(end);
		return etcd_b64("", 1);
	}
	end[n - 1]++;
	j = etcd_b64(end, n);
	free(end);
	return j;
}

/* ---- health and revisions ---- */

/* See etcd_internal.h. */
void etcd_store_saw_rev(struct etcd_store *es, int64_t rev)
{
	int64_t cur = __atomic_load_n(&es->rev, __ATOMIC_RELAXED);

	while (rev > cur && !__atomic_compare_exchange_n(&es->rev, &cur, rev, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* After an answer: notes its revision and clears a recorded failure. */
static void answered(struct etcd_store *es, const json_t *resp)
{
	etcd_store_saw_rev(es, etcd_int(json_object_get(resp, "header"), "revision"));
	if (__atomic_exchange_n(&es->unhealthy, 0, __ATOMIC_RELAXED)) {
		store_set_health(&es->base, NULL);
		log_info("store", "etcd answers again");
	}
}

/* Records a failure for store_health; logs when the backend turns unhealthy. Takes why. */
static int failed(struct etcd_store *es, int rc, const char *what, char *why)
{
	if (rc == -ECONNREFUSED || rc == -ETIMEDOUT || rc == -EAGAIN || rc == -ENOSPC ||
	    rc == -EIO) {
		store_set_health(&es->base, "etcd %s failed: %s", what, why ? why : strerror(-rc));
		if (!__atomic_exchange_n(&es->unhealthy, 1, __ATOMIC_RELAXED))
			log_error("store", "etcd %s failed: %s", what, why ? why : strerror(-rc));
	}
	free(why);
	return rc;
}

/* A request whose failure is recorded: 0 with *resp, or a negative errno. */
static int call(struct etcd_store *es, const char *path, json_t *body, bool idempotent,
		const char *what, json_t **resp)
{
	char *why = NULL;
	int rc = etcd_call(es->cli, path, body, idempotent, resp, &why);

	json_decref(body);
	if (rc == 0) {
		answered(es, *resp);
		return 0;
	}
	if (rc == -ERANGE || (rc == -EAGAIN && why && strstr(why, "future revision"))) {
		free(why);
		return rc; /* an answer about the revision, not a failure of etcd */
	}
	return failed(es, rc, what, why);
}

/* Decodes an etcd kv object into out (out owns the copies). */
static int kv_decode(const struct etcd_store *es, const json_t *j, struct store_kv *out)
{
	const char *k64 = json_string_value(json_object_get(j, "key"));
	size_t klen = 0;
	char *k = etcd_unb64(k64, &klen);

	memset(out, 0, sizeof(*out));
	if (k)
		out->key = etcd_store_key(es, k, klen);
	free(k);
	out->value = etcd_unb64(json_string_value(json_object_get(j, "value")), &out->len);
	out->mod_rev = etcd_int(j, "mod_revision");
	out->create_rev = etcd_int(j, "create_revision");
	if (!out->key || !out->value) {
		store_kv_free(out);
		return -EIO;
	}
	return 0;
}

/* ---- writes ---- */

/* The compare of a write: CREATE == 0 (create), MOD == expect, or CREATE > 0 (exists). */
static json_t *compare(json_t *k, bool create, int64_t expect)
{
	if (create)
		return json_pack("[{s:O, s:s, s:s, s:I}]", "key", k, "target", "CREATE", "result",
				 "EQUAL", "create_revision", (json_int_t)0);
	if (expect)
		return json_pack("[{s:O, s:s, s:s, s:I}]", "key", k, "target", "MOD", "result",
				 "EQUAL", "mod_revision", (json_int_t)expect);
	return json_pack("[{s:O, s:s, s:s, s:I}]", "key", k, "target", "CREATE", "result",
			 "GREATER", "create_revision", (json_int_t)0);
}

enum wkind { W_CREATE, W_UPDATE, W_DELETE };

/* The prev_kv of the success branch's answer, or NULL. */
static const json_t *prev_of(const json_t *resp, enum wkind kind)
{
	const json_t *r0 = json_array_get(json_object_get(resp, "responses"), 0);

	if (kind == W_DELETE)
		return json_array_get(
		    json_object_get(json_object_get(r0, "response_delete_range"), "prev_kvs"), 0);
	return json_object_get(json_object_get(r0, "response_put"), "prev_kv");
}

/* Why the compare failed: the failure branch read the key. */
static int compare_failed(const json_t *resp, enum wkind kind)
{
	const json_t *r0 = json_array_get(json_object_get(resp, "responses"), 0);
	const json_t *kvs = json_object_get(json_object_get(r0, "response_range"), "kvs");

	if (kind == W_CREATE)
		return -EEXIST;
	return json_array_size(kvs) ? -ECANCELED : -ENOENT;
}

/* One conditional write in a txn; prev and rev as store.h says. */
static int txn(struct etcd_store *es, enum wkind kind, const char *key, const char *value,
	       size_t len, int64_t expect, struct store_kv *prev, int64_t *rev)
{
	char *k = ekey(es, key);
	json_t *kj, *op, *body, *resp = NULL;
	int rc;

	if (prev)
		memset(prev, 0, sizeof(*prev));
	if (!k)
		return -EINVAL;
	kj = etcd_b64(k, strlen(k));
	free(k);
	if (kind == W_DELETE)
		op = json_pack("{s:{s:O, s:b}}", "request_delete_range", "key", kj, "prev_kv", 1);
	else
		op = json_pack("{s:{s:O, s:o, s:b}}", "request_put", "key", kj, "value",
			       etcd_b64(value ? value : "", value ? len : 0), "prev_kv",
			       kind != W_CREATE);
	body = json_pack("{s:o, s:[o], s:[{s:{s:O}}]}", "compare",
			 compare(kj, kind == W_CREATE, expect), "success", op, "failure",
			 "request_range", "key", kj);
	json_decref(kj);
	rc = call(es, "/v3/kv/txn", body, false, "write", &resp);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(resp, "succeeded"))) {
		rc = compare_failed(resp, kind);
	} else {
		if (rev)
			*rev = etcd_int(json_object_get(resp, "header"), "revision");
		if (prev && prev_of(resp, kind))
			rc = kv_decode(es, prev_of(resp, kind), prev);
	}
	json_decref(resp);
	return rc;
}

static int et_create(struct store *s, const char *key, const char *value, size_t len, int64_t *rev)
{
	return txn(to_es(s), W_CREATE, key, value, len, 0, NULL, rev);
}

static int et_update(struct store *s, const char *key, const char *value, size_t len,
		     int64_t expect_mod_rev, struct store_kv *prev, int64_t *rev)
{
	return txn(to_es(s), W_UPDATE, key, value, len, expect_mod_rev, prev, rev);
}

static int et_delete(struct store *s, const char *key, int64_t expect_mod_rev,
		     struct store_kv *prev, int64_t *rev)
{
	return txn(to_es(s), W_DELETE, key, NULL, 0, expect_mod_rev, prev, rev);
}

/* ---- reads ---- */

static int et_get(struct store *s, const char *key, struct store_kv *out)
{
	struct etcd_store *es = to_es(s);
	char *k = ekey(es, key);
	json_t *resp = NULL, *kv;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!k)
		return -EINVAL;
	rc = call(es, "/v3/kv/range", json_pack("{s:o}", "key", etcd_b64(k, strlen(k))), true,
		  "read", &resp);
	free(k);
	if (rc)
		return rc;
	kv = json_array_get(json_object_get(resp, "kvs"), 0);
	rc = kv ? kv_decode(es, kv, out) : -ENOENT;
	json_decref(resp);
	return rc;
}

/* Base64 of the smallest key after etcd key bytes k (len): k + "\0". */
static json_t *key_after(const char *k, size_t len)
{
	char *buf = xmalloc(len + 1);
	json_t *j;

	memcpy(buf, k, len);
	buf[len] = '\0';
	j = etcd_b64(buf, len + 1);
	free(buf);
	return j;
}

/* *out gets the base64 key just after the key of an etcd kv object. */
static void kv_start_after(const json_t *kv, json_t **out)
{
	size_t len = 0;
	char *k = etcd_unb64(json_string_value(json_object_get(kv, "key")), &len);

	*out = key_after(k ? k : "", k ? len : 0);
	free(k);
}

struct range_state {
	json_t *start; /* base64 of the next key to read */
	json_t *end;
	size_t left; /* keys still allowed (SIZE_MAX: no limit) */
	int64_t rev; /* pinned after the first page */
	bool stopped, more;
};

/* Reads one page and calls back for its keys; *again when another page is needed. */
static int range_page(struct etcd_store *es, struct range_state *st, store_range_cb cb, void *arg,
		      bool *again)
{
	size_t page = st->left < PAGE ? st->left : PAGE, n;
	json_t *resp = NULL, *kvs, *kj;
	struct store_kv kv;
	int rc;

	*again = false;
	rc = call(es, "/v3/kv/range",
		  json_pack("{s:O, s:O, s:I, s:I}", "key", st->start, "range_end", st->end, "limit",
			    (json_int_t)page, "revision", (json_int_t)st->rev),
		  true, "read", &resp);
	if (rc)
		return rc;
	if (!st->rev)
		st->rev = etcd_int(json_object_get(resp, "header"), "revision");
	kvs = json_object_get(resp, "kvs");
	n = json_array_size(kvs);
	for (size_t i = 0; i < n && !st->stopped && rc == 0; i++) {
		rc = kv_decode(es, json_array_get(kvs, i), &kv);
		if (rc == 0 && cb(&kv, arg))
			st->stopped = true;
		store_kv_free(&kv);
	}
	if (rc == 0 && !st->stopped && n > 0 && json_is_true(json_object_get(resp, "more"))) {
		st->left = st->left == SIZE_MAX ? SIZE_MAX : st->left - n;
		if (st->left == 0) {
			st->more = true;
		} else {
			/* The next page starts just after the last key: key + "\0". */
			kv_start_after(json_array_get(kvs, n - 1), &kj);
			json_decref(st->start);
			st->start = kj;
			*again = true;
		}
	}
	json_decref(resp);
	return rc;
}

/*
 * Where a range starts: the prefix, or just after start_after when that is
 * inside or past it. Returns false when nothing can follow start_after.
 */
static bool range_start(struct etcd_store *es, const char *prefix, const char *ep,
			const char *start_after, json_t **start)
{
	char *sa;

	*start = NULL;
	if (start_after && *start_after) {
		sa = ekey(es, start_after);
		if (!sa && strcmp(start_after, prefix) >= 0)
			return false;
		if (sa && strcmp(sa, ep) >= 0)
			*start = key_after(sa, strlen(sa));
		free(sa);
	}
	if (!*start)
		*start = etcd_b64(ep, strlen(ep));
	return true;
}

/*
 * See store.h. Pages of PAGE keys, every page at the revision of the
 * first, so the visit sees one consistent state however long it is.
 */
static int et_range(struct store *s, const char *prefix, const char *start_after, size_t limit,
		    int64_t at_rev, store_range_cb cb, void *arg, int64_t *rev_out, bool *more)
{
	struct etcd_store *es = to_es(s);
	struct range_state st = {.left = limit ? limit : SIZE_MAX, .rev = at_rev};
	char *ep = eprefix(es, prefix ? prefix : "");
	bool again = true;
	int rc = 0;

	if (rev_out)
		*rev_out = 0;
	if (more)
		*more = false;
	if (!ep || at_rev < 0) {
		free(ep);
		return -EINVAL;
	}
	st.end = prefix_end(ep);
	if (!range_start(es, prefix ? prefix : "", ep, start_after, &st.start))
		again = false;
	while (again && rc == 0)
		rc = range_page(es, &st, cb, arg, &again);
	if (!st.rev && rc == 0)
		st.rev = at_rev ? at_rev : __atomic_load_n(&es->rev, __ATOMIC_RELAXED);
	if (rev_out && rc == 0)
		*rev_out = st.rev;
	if (more && rc == 0)
		*more = st.more;
	json_decref(st.start);
	json_decref(st.end);
	free(ep);
	return rc;
}

static int et_count(struct store *s, const char *prefix, int64_t *count)
{
	struct etcd_store *es = to_es(s);
	char *ep = eprefix(es, prefix ? prefix : "");
	json_t *resp = NULL;
	int rc;

	*count = 0;
	if (!ep)
		return -EINVAL;
	rc = call(es, "/v3/kv/range",
		  json_pack("{s:o, s:o, s:b}", "key", etcd_b64(ep, strlen(ep)), "range_end",
			    prefix_end(ep), "count_only", 1),
		  true, "read", &resp);
	free(ep);
	if (rc == 0)
		*count = etcd_int(resp, "count");
	json_decref(resp);
	return rc;
}

/*
 * Asks etcd for its revision (a count of one key that does not exist);
 * when etcd cannot answer, the highest revision seen so far.
 */
static int64_t et_current_rev(struct store *s)
{
	struct etcd_store *es = to_es(s);
	json_t *resp = NULL;

	if (call(es, "/v3/kv/range",
		 json_pack("{s:o, s:b}", "key", etcd_b64(es->prefix, es->prefix_len), "count_only",
			   1),
		 true, "read", &resp) == 0)
		json_decref(resp);
	return __atomic_load_n(&es->rev, __ATOMIC_RELAXED);
}

/* See store.h. Compacting etcd compacts it for every API server that shares it. */
static int et_compact(struct store *s, int64_t rev)
{
	struct etcd_store *es = to_es(s);
	json_t *resp = NULL, *body;
	char *why = NULL;
	int rc;

	if (rev <= 0)
		return 0;
	body = json_pack("{s:I}", "revision", (json_int_t)rev);
	rc = etcd_call(es->cli, "/v3/kv/compaction", body, true, &resp, &why);
	json_decref(body);
	if (rc == -ERANGE) {
		rc = 0; /* compacted already, by us or another API server */
	} else if (rc == -EAGAIN && why && strstr(why, "future revision")) {
		rc = -EINVAL;
	} else if (rc) {
		return failed(es, rc, "compaction", why);
	} else {
		answered(es, resp);
	}
	free(why);
	json_decref(resp);
	if (rc == 0)
		watch_cache_compact(es->base.wc, rev);
	return rc;
}

/* ---- open and close ---- */

/*
 * Status of endpoint i: 0 when it answers and has a leader; else an errno
 * and a sentence appended to msgs. *rev gets the revision it reports.
 */
static int check_endpoint(struct etcd_store *es, int i, struct strbuf *msgs, int64_t *rev)
{
	json_t *resp = NULL, *body = json_object();
	char *why = NULL;
	int rc = etcd_call_one(es->cli, i, "/v3/maintenance/status", body, &resp, &why);
	const json_t *errs = json_object_get(resp, "errors");

	json_decref(body);
	if (rc == 0 && !etcd_int(resp, "leader")) {
		rc = -EAGAIN;
		why = xasprintf("%s: no leader (is a majority of the members running?)",
				etcd_client_endpoint(es->cli, i));
	} else if (rc == 0 && json_array_size(errs)) {
		rc = -EAGAIN;
		why = xasprintf("%s: %s", etcd_client_endpoint(es->cli, i),
				json_string_value(json_array_get(errs, 0)));
	}
	if (rc == 0)
		*rev = etcd_int(json_object_get(resp, "header"), "revision");
	else
		sb_printf(msgs, "%s%s", msgs->len ? "; " : "", why);
	free(why);
	json_decref(resp);
	return rc;
}

/* One round over the endpoints: the number healthy; *rc the last failure. */
static int check_round(struct etcd_store *es, struct strbuf *msgs, int64_t *rev, int *rc)
{
	int healthy = 0;

	for (int i = 0; i < etcd_client_endpoints(es->cli); i++) {
		int r = check_endpoint(es, i, msgs, rev);

		if (r == 0)
			healthy++;
		else
			*rc = r;
	}
	return healthy;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Checks every endpoint with /v3/maintenance/status; a cluster that is
 * electing a leader gets a few seconds. Returns 0 and the revision, or an
 * errno with a sentence naming every endpoint and what failed.
 */
static int check_health(struct etcd_store *es, const char *servers, int64_t *rev, char **err)
{
	struct strbuf msgs = STRBUF_INIT;
	time_t until = time(NULL) + HEALTH_RETRY_S;
	int rc = 0, healthy;

	for (;;) {
		sb_reset(&msgs);
		healthy = check_round(es, &msgs, rev, &rc);
		if (healthy > 0 || rc == -ECONNREFUSED || time(NULL) >= until)
			break;
		sleep_ms(HEALTH_RETRY_WAIT_MS);
	}
	if (healthy == 0)
		*err = xasprintf("cannot use etcd at %s: %s", servers, msgs.buf);
	else if (msgs.len)
		log_warn("store", "etcd: %d of %d endpoints healthy: %s", healthy,
			 etcd_client_endpoints(es->cli), msgs.buf);
	sb_free(&msgs);
	return healthy ? 0 : rc;
}

/* Whether etcd still has revision rev (not compacted away): 1, 0, or an errno. */
static int readable(struct etcd_store *es, int64_t rev)
{
	json_t *resp = NULL;
	int rc = call(es, "/v3/kv/range",
		      json_pack("{s:o, s:b, s:I}", "key", etcd_b64(es->prefix, es->prefix_len),
				"count_only", 1, "revision", (json_int_t)rev),
		      true, "read", &resp);

	json_decref(resp);
	return rc == 0 ? 1 : rc == -ERANGE ? 0 : rc;
}

/*
 * Where the watch that fills the cache starts: *from when etcd still has
 * it (the cache then starts at *from - 1); else the compacted revision,
 * found by bisection, which the cache starts at, as after a compaction.
 */
static int first_readable(struct etcd_store *es, int64_t *from, int64_t *base, char **err)
{
	int64_t lo = *from, hi = es->rev; /* lo unreadable, hi readable */
	int rc = readable(es, lo);

	*base = *from - 1;
	if (rc == 1)
		return 0;
	while (rc == 0 && hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		rc = readable(es, mid);
		if (rc == 1)
			hi = mid;
		else if (rc == 0)
			lo = mid;
		rc = rc == 1 ? 0 : rc;
	}
	if (rc < 0) {
		*err = xasprintf("cannot read etcd's history: %s", store_health(&es->base));
		return rc;
	}
	*base = hi;
	*from = hi + 1;
	return 0;
}

/* Stops the watch and frees everything; no operation may be running. */
static void et_close(struct store *s)
{
	struct etcd_store *es = to_es(s);

	etcd_watch_stop(es->watch);
	etcd_client_free(es->cli);
	store_base_destroy(&es->base);
	free(es->prefix);
	free(es);
}

static const struct store_ops etcd_ops = {
    .name = "etcd",
    .close = et_close,
    .create = et_create,
    .update = et_update,
    .delete = et_delete,
    .get = et_get,
    .range = et_range,
    .count = et_count,
    .current_rev = et_current_rev,
    .compact = et_compact,
};

/* "/registry" when unset; without trailing slashes. Caller frees. */
static char *clean_prefix(const char *p)
{
	char *c = xstrdup(p && *p ? p : REGISTRY);
	size_t n = strlen(c);

	while (n > 1 && c[n - 1] == '/')
		c[--n] = '\0';
	return c;
}

/*
 * See store.h. The watch cache starts watch_cache_size revisions back (as
 * far as etcd still has them), so that watchers that come from another API
 * server can resume here.
 */
int store_open_etcd(const struct store_etcd_config *cfg, size_t watch_cache_size,
		    struct store **out, char **err)
{
	struct etcd_store *es = xcalloc(1, sizeof(*es));
	int64_t rev = 0, from, base;
	char *e = NULL;
	int rc;

	*out = NULL;
	store_base_init(&es->base, &etcd_ops);
	es->prefix = clean_prefix(cfg->prefix);
	es->prefix_len = strlen(es->prefix);
	es->watch_cache_size = watch_cache_size;
	rc = etcd_client_new(cfg, &es->cli, &e);
	if (rc == 0)
		rc = check_health(es, cfg->servers, &rev, &e);
	if (rc == 0) {
		es->rev = rev;
		from = rev > (int64_t)watch_cache_size ? rev - (int64_t)watch_cache_size + 1 : 1;
		rc = first_readable(es, &from, &base, &e);
	}
	if (rc == 0) {
		es->base.wc = watch_cache_new(watch_cache_size, base);
		rc = etcd_watch_start(es, from, &es->watch, &e);
	}
	if (rc) {
		if (err)
			*err = e;
		else
			free(e);
		et_close(&es->base);
		return rc;
	}
	log_info("store", "etcd %s, prefix %s: revision %lld", cfg->servers, es->prefix,
		 (long long)rev);
	*out = &es->base;
	return 0;
}
