/*
 * The one etcd watch of an API server: a streaming POST to /v3/watch over
 * the whole key prefix, with previous values (prev_kv), whose events are
 * published to the watch cache in revision order.
 *
 * When the stream breaks (a member died, the network), the watch resumes
 * from the revision after the last one published, on the next endpoint, so
 * every event reaches the cache once. When etcd has compacted that revision
 * away, events were lost: every open watcher of the cache is made to fall
 * behind (it gets -EOVERFLOW, its client a 410 and re-lists), new watchers
 * from before the compacted revision get -ERANGE, and the watch starts again
 * at the compacted revision.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "store/etcd_internal.h"

#define START_TIMEOUT_MS 5000
#define POLL_MS		 1000
#define BACKOFF_MIN_MS	 100
#define BACKOFF_MAX_MS	 2000
#define STREAM_COMPACTED 1

struct etcd_watch {
	struct etcd_store *es;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond; /* progress of next, established, stop, hold */
	CURLM *multi;
	bool stop, cut, hold;
	bool established; /* etcd accepted a watch at least once */
	bool failing;	  /* the last stream failed (log once per outage) */
	int ep;		  /* the endpoint of the current stream */
	int64_t next;	  /* the next revision to publish */
	/* The thread's own state while a stream runs. */
	struct strbuf line;
	int64_t compact_rev;
	bool progressed; /* the current stream got an answer */
	char *reason;	 /* why the stream ended, when etcd said */
};

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool stopping(struct etcd_watch *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

/* ---- publishing ---- */

/* Decodes the value of an etcd kv object; NULL when absent. Caller frees. */
static char *value_of(const json_t *kv, size_t *len)
{
	*len = 0;
	return kv ? etcd_unb64(json_string_value(json_object_get(kv, "value")), len) : NULL;
}

/* Publishes one event of a watch answer; events before min_rev were published already. */
static void publish_event(struct etcd_watch *w, const json_t *ev, int64_t min_rev, int64_t *max)
{
	const json_t *kv = json_object_get(ev, "kv"), *pkv = json_object_get(ev, "prev_kv");
	bool del = json_is_string(json_object_get(ev, "type")) &&
		   !strcmp(json_string_value(json_object_get(ev, "type")), "DELETE");
	int64_t rev = etcd_int(kv, "mod_revision");
	size_t klen = 0, len = 0, plen = 0;
	char *k, *key, *value = NULL, *prev;

	if (rev < min_rev)
		return;
	k = etcd_unb64(json_string_value(json_object_get(kv, "key")), &klen);
	key = k ? etcd_store_key(w->es, k, klen) : NULL;
	prev = value_of(pkv, &plen);
	if (!del)
		value = value_of(kv, &len);
	if (key && (del || value)) {
		enum watch_event_type t = del					   ? WATCH_DELETED
					  : etcd_int(kv, "create_revision") == rev ? WATCH_ADDED
										   : WATCH_MODIFIED;
		watch_cache_publish(w->es->base.wc, t, rev, key, value, len, prev, plen);
	}
	if (rev > *max)
		*max = rev;
	free(k);
	free(key);
	free(value);
	free(prev);
}

/* One answer of the stream: created, events, or canceled. Returns false to end the stream. */
static bool on_answer(struct etcd_watch *w, const json_t *msg)
{
	const json_t *res = json_object_get(msg, "result"), *evs = json_object_get(res, "events");
	int64_t min_rev, max = 0;
	size_t i;
	json_t *ev;

	if (!res) {
		free(w->reason);
		w->reason = xstrdup(
		    json_string_value(json_object_get(json_object_get(msg, "error"), "message"))
			?: "unexpected answer");
		return false;
	}
	if (json_is_true(json_object_get(res, "canceled"))) {
		w->compact_rev = etcd_int(res, "compact_revision");
		free(w->reason);
		w->reason = xstrdup(json_string_value(json_object_get(res, "cancel_reason"))
					?: "canceled by etcd");
		return false;
	}
	w->progressed = true;
	pthread_mutex_lock(&w->mu);
	min_rev = w->next;
	if (json_is_true(json_object_get(res, "created")) && !w->established) {
		w->established = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->mu);
	if (json_is_true(json_object_get(res, "created")) && w->failing) {
		w->failing = false;
		log_info("store", "etcd watch resumed on %s from revision %lld",
			 etcd_client_endpoint(w->es->cli, w->ep), (long long)min_rev);
	}
	json_array_foreach(evs, i, ev) publish_event(w, ev, min_rev, &max);
	if (max) {
		etcd_store_saw_rev(w->es, max);
		pthread_mutex_lock(&w->mu);
		if (max + 1 > w->next)
			w->next = max + 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->mu);
	}
	return true;
}

/* Takes bytes of the stream; every complete line is one JSON answer. */
static size_t on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_watch *w = arg;
	char *nl;

	sb_append(&w->line, p, size * n);
	while (w->line.len && (nl = memchr(w->line.buf, '\n', w->line.len))) {
		size_t used = (size_t)(nl - w->line.buf) + 1;
		json_t *msg = json_loadb(w->line.buf, used - 1, 0, NULL);
		bool go_on = msg ? on_answer(w, msg) : true;

		json_decref(msg);
		memmove(w->line.buf, nl + 1, w->line.len - used);
		w->line.len -= used;
		w->line.buf[w->line.len] = '\0';
		if (!go_on)
			return 0; /* ends the transfer */
	}
	return size * n;
}

/* ---- the stream ---- */

static char *watch_body(struct etcd_watch *w, int64_t from)
{
	struct etcd_store *es = w->es;
	char *p = xasprintf("%s/", es->prefix), *end = xasprintf("%s0", es->prefix), *text;
	json_t *body;

	/* '0' follows '/': the range is every key under "<prefix>/". */
	body = json_pack("{s:{s:o, s:o, s:I, s:b}}", "create_request", "key",
			 etcd_b64(p, strlen(p)), "range_end", etcd_b64(end, strlen(end)),
			 "start_revision", (json_int_t)from, "prev_kv", 1);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	free(p);
	free(end);
	return text;
}

/* Runs the transfer until it ends, the watch stops or a test cuts it. */
static CURLcode run_transfer(struct etcd_watch *w, CURL *e)
{
	CURLcode cc = CURLE_OK;
	CURLMsg *m;
	int running = 1, left;

	curl_multi_add_handle(w->multi, e);
	while (running) {
		if (curl_multi_perform(w->multi, &running) != CURLM_OK)
			break;
		if (!running || stopping(w) || __atomic_load_n(&w->cut, __ATOMIC_RELAXED))
			break;
		curl_multi_poll(w->multi, NULL, 0, POLL_MS, NULL);
	}
	while ((m = curl_multi_info_read(w->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			cc = m->data.result;
	curl_multi_remove_handle(w->multi, e);
	return cc;
}

/*
 * One stream on endpoint ep from w->next. Returns STREAM_COMPACTED, or 0
 * when it ended otherwise (with *why, caller frees).
 */
static int stream(struct etcd_watch *w, int ep, char **why)
{
	int64_t from = __atomic_load_n(&w->next, __ATOMIC_RELAXED);
	char *body = watch_body(w, from);
	void *hdrs = NULL;
	CURL *e = etcd_stream_handle(w->es->cli, ep, "/v3/watch", body, &hdrs);
	long status = 0;
	CURLcode cc;

	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	sb_reset(&w->line);
	w->compact_rev = 0;
	w->progressed = false;
	free(w->reason);
	w->reason = NULL;
	cc = run_transfer(w, e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	free(body);
	if (w->compact_rev > 0)
		return STREAM_COMPACTED;
	if (w->reason)
		*why = xstrdup(w->reason);
	else if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR)
		*why = xstrdup(curl_easy_strerror(cc));
	else if (status && status != 200)
		*why = xasprintf("HTTP status %ld", status);
	else
		*why = xstrdup("the stream ended");
	return 0;
}

/*
 * Makes every open watcher fall behind the ring, so that it is closed and
 * its client re-lists: capacity + 1 events under a key no API watcher
 * watches, at the last revision published (revisions stay in order).
 */

/*
 * etcd no longer has the revisions the watch needs: start again at rev.
 * The cache refuses older watches first, so a watcher that starts after
 * this cannot miss anything; the ones open before are reset.
 */
static void on_compacted(struct etcd_watch *w, int64_t rev)
{
	struct watch_cache *wc = w->es->base.wc;
	int64_t next;

	pthread_mutex_lock(&w->mu);
	next = w->next;
	w->next = rev > next ? rev : next;
	pthread_mutex_unlock(&w->mu);
	watch_cache_compact(wc, rev);
	if (rev > next && watch_cache_watchers(wc) > 0) {
		log_warn("store",
			 "etcd compacted revisions %lld to %lld before the watch read "
			 "them; open watches end so their clients re-list",
			 (long long)next, (long long)rev - 1);
		watch_cache_reset(wc, rev - 1);
	}
}

/* Sleeps up to ms unless the watch stops; returns false when it does. */
static bool pause_ms(struct etcd_watch *w, int ms)
{
	struct timespec ts;

	deadline_in(&ts, ms);
	pthread_mutex_lock(&w->mu);
	while (!w->stop && (w->hold || ms > 0)) {
		if (pthread_cond_timedwait(&w->cond, &w->mu, &ts) == ETIMEDOUT) {
			if (!w->hold)
				break;
			deadline_in(&ts, POLL_MS);
		}
	}
	bool go_on = !w->stop;
	pthread_mutex_unlock(&w->mu);
	return go_on;
}

/* Logs the end of a stream once per outage (on_answer logs its end). */
static void note_end(struct etcd_watch *w, const char *why)
{
	if (w->failing)
		return;
	w->failing = true;
	log_warn("store", "etcd watch on %s ended (%s); resuming from revision %lld",
		 etcd_client_endpoint(w->es->cli, w->ep), why,
		 (long long)__atomic_load_n(&w->next, __ATOMIC_RELAXED));
}

static void *watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	int backoff = BACKOFF_MIN_MS;

	while (!stopping(w)) {
		char *why = NULL;
		bool cut;

		w->ep = etcd_client_preferred(w->es->cli);
		if (stream(w, w->ep, &why) == STREAM_COMPACTED) {
			on_compacted(w, w->compact_rev);
			continue;
		}
		cut = __atomic_exchange_n(&w->cut, false, __ATOMIC_RELAXED);
		if (!stopping(w))
			note_end(w, cut ? "cut" : why);
		free(why);
		if (w->progressed) {
			backoff = BACKOFF_MIN_MS;
		} else {
			etcd_client_failed(w->es->cli, w->ep);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		}
		if (!pause_ms(w, cut ? 0 : backoff))
			break;
	}
	return NULL;
}

/* ---- start, stop, test hooks ---- */

static void watch_free(struct etcd_watch *w)
{
	if (w->multi)
		curl_multi_cleanup(w->multi);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	sb_free(&w->line);
	free(w->reason);
	free(w);
}

/* Waits for etcd to accept the first watch; false on timeout. */
static bool wait_established(struct etcd_watch *w)
{
	struct timespec ts;
	bool ok;

	deadline_in(&ts, START_TIMEOUT_MS);
	pthread_mutex_lock(&w->mu);
	while (!w->established && pthread_cond_timedwait(&w->cond, &w->mu, &ts) != ETIMEDOUT)
		;
	ok = w->established;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* See etcd_internal.h. */
int etcd_watch_start(struct etcd_store *es, int64_t from, struct etcd_watch **out, char **err)
{
	struct etcd_watch *w = xcalloc(1, sizeof(*w));
	pthread_condattr_t ca;

	*out = NULL;
	w->es = es;
	w->next = from;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->multi = curl_multi_init();
	if (!w->multi || pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		*err = xstrdup("cannot start the etcd watch");
		watch_free(w);
		return -ENOMEM;
	}
	if (!wait_established(w)) {
		*err = xasprintf("etcd did not accept a watch on %s/ within %d s", es->prefix,
				 START_TIMEOUT_MS / 1000);
		etcd_watch_stop(w);
		return -ETIMEDOUT;
	}
	log_info("store", "watching etcd from revision %lld", (long long)from);
	*out = w;
	return 0;
}

/* See etcd_internal.h. */
void etcd_watch_stop(struct etcd_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	watch_free(w);
}

/* See etcd_internal.h. */
int store_etcd_wait_rev(struct store *s, int64_t rev, int timeout_ms)
{
	struct etcd_watch *w = ((struct etcd_store *)s)->watch;
	struct timespec ts;
	bool ok;

	deadline_in(&ts, timeout_ms);
	pthread_mutex_lock(&w->mu);
	while (w->next <= rev && pthread_cond_timedwait(&w->cond, &w->mu, &ts) != ETIMEDOUT)
		;
	ok = w->next > rev;
	pthread_mutex_unlock(&w->mu);
	return ok ? 0 : -ETIMEDOUT;
}

/* See etcd_internal.h. */
void store_etcd_cut_watch(struct store *s, bool hold)
{
	struct etcd_watch *w = ((struct etcd_store *)s)->watch;

	pthread_mutex_lock(&w->mu);
	if (hold || !w->hold)
		w->cut = true;
	w->hold = hold;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
	curl_multi_wakeup(w->multi);
}
