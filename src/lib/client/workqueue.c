/*
 * The work queue, as client-go's rate-limited queue: a FIFO of keys, a
 * "dirty" set (queued or to be queued again), a "processing" set, delayed
 * keys in a min-heap by due time and per-key failure counts for backoff.
 * Delayed keys are promoted by the getters, so the queue needs no thread.
 */
#include "client/workqueue.h"

#include "base/strbuf.h"
#include "client/strmap-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_BASE_MS 5
#define RETRY_MAX_MS  30000

struct delayed {
	int64_t at; /* monotonic ms */
	char *key;
};

struct workqueue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **ring; /* the FIFO */
	size_t head, len, cap;
	struct strmap dirty;	  /* key → NULL */
	struct strmap processing; /* key → NULL */
	struct strmap failures;	  /* key → (uintptr_t)count */
	struct strmap waiting;	  /* key → int64_t * earliest due time */
	struct delayed *heap;
	size_t nheap, capheap;
	bool shutdown;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ring_push(struct workqueue *q, const char *key)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		char **r = xcalloc(cap, sizeof(*r));
		for (size_t i = 0; i < q->len; i++)
			r[i] = q->ring[(q->head + i) % q->cap];
		free(q->ring);
		q->ring = r;
		q->cap = cap;
		q->head = 0;
	}
	q->ring[(q->head + q->len) % q->cap] = xstrdup(key);
	q->len++;
}

static char *ring_pop(struct workqueue *q)
{
	char *key = q->ring[q->head];

	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return key;
}

static void heap_push(struct workqueue *q, int64_t at, const char *key)
{
	if (q->nheap == q->capheap) {
		q->capheap = q->capheap ? q->capheap * 2 : 16;
		q->heap = xrealloc(q->heap, q->capheap * sizeof(*q->heap));
	}
	size_t i = q->nheap++;
	while (i > 0 && q->heap[(i - 1) / 2].at > at) {
		q->heap[i] = q->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->heap[i] = (struct delayed){at, xstrdup(key)};
}

/* Removes the earliest entry; the caller owns its key. */
static struct delayed heap_pop(struct workqueue *q)
{
	struct delayed top = q->heap[0], last = q->heap[--q->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->nheap)
			break;
		if (c + 1 < q->nheap && q->heap[c + 1].at < q->heap[c].at)
			c++;
		if (q->heap[c].at >= last.at)
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (q->nheap > 0)
		q->heap[i] = last;
	return top;
}

/* Queues key unless it is queued already; with the lock held. */
static void add_locked(struct workqueue *q, const char *key)
{
	if (q->shutdown || strmap_has(&q->dirty, key))
		return;
	strmap_put(&q->dirty, key, NULL);
	if (strmap_has(&q->processing, key))
		return; /* workqueue_done queues it again */
	ring_push(q, key);
	pthread_cond_signal(&q->cond);
}

/* Moves the delayed keys that are due into the FIFO; with the lock held. */
static void promote_due(struct workqueue *q, int64_t now)
{
	while (q->nheap > 0 && q->heap[0].at <= now) {
		struct delayed d = heap_pop(q);
		int64_t *at = strmap_get(&q->waiting, d.key);
		/* A stale entry: the key was re-added with an earlier time. */
		if (at && *at == d.at) {
			free(strmap_del(&q->waiting, d.key));
			add_locked(q, d.key);
		}
		free(d.key);
	}
}

/* A new, empty queue. Never NULL; free with workqueue_free. */
struct workqueue *workqueue_new(void)
{
	struct workqueue *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;

	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

/* Frees q and every key in it; no thread may be using it. */
void workqueue_free(struct workqueue *q)
{
	size_t pos = 0;
	void *v;

	if (!q)
		return;
	while (q->len > 0)
		free(ring_pop(q));
	free(q->ring);
	for (size_t i = 0; i < q->nheap; i++)
		free(q->heap[i].key);
	free(q->heap);
	while (strmap_next(&q->waiting, &pos, NULL, &v))
		free(v);
	strmap_clear(&q->waiting);
	strmap_clear(&q->dirty);
	strmap_clear(&q->processing);
	strmap_clear(&q->failures);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* Queues key (copied) unless it is queued already. Ignored after shutdown. */
void workqueue_add(struct workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	add_locked(q, key);
	pthread_mutex_unlock(&q->lock);
}

/* Queues key (copied) after delay_ms; an earlier pending time wins. */
void workqueue_add_after(struct workqueue *q, const char *key, int delay_ms)
{
	if (delay_ms <= 0) {
		workqueue_add(q, key);
		return;
	}
	int64_t at = now_ms() + delay_ms;
	pthread_mutex_lock(&q->lock);
	if (q->shutdown)
		goto out;
	int64_t *prev = strmap_get(&q->waiting, key);
	if (prev && *prev <= at)
		goto out;
	if (!prev) {
		prev = xmalloc(sizeof(*prev));
		strmap_put(&q->waiting, key, prev);
	}
	*prev = at;
	heap_push(q, at, key);
	/* A getter may sleep until a later time: let it recompute. */
	pthread_cond_broadcast(&q->cond);
out:
	pthread_mutex_unlock(&q->lock);
}

/* Queues key again after 5 ms doubling per retry, up to 30 s. */
void workqueue_retry(struct workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	uintptr_t n = (uintptr_t)strmap_get(&q->failures, key);
	strmap_put(&q->failures, key, (void *)(n + 1));
	pthread_mutex_unlock(&q->lock);
	int64_t delay = RETRY_BASE_MS;
	for (uintptr_t i = 0; i < n && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	workqueue_add_after(q, key, delay < RETRY_MAX_MS ? (int)delay : RETRY_MAX_MS);
}

/* Resets the backoff of key. */
void workqueue_forget(struct workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	strmap_del(&q->failures, key);
	pthread_mutex_unlock(&q->lock);
}

/* Sleeps on the condition until the earlier of deadline (-1: none) and the next due key. */
static void wait_locked(struct workqueue *q, int64_t deadline)
{
	int64_t until = deadline;

	if (q->nheap > 0 && (until < 0 || q->heap[0].at < until))
		until = q->heap[0].at;
	if (until < 0) {
		pthread_cond_wait(&q->cond, &q->lock);
		return;
	}
	struct timespec ts = {until / 1000, (long)(until % 1000) * 1000000};
	pthread_cond_timedwait(&q->cond, &q->lock, &ts);
}

/*
 * Waits up to timeout_ms (-1: forever) for a key. Returns 0 with *key
 * (caller frees and calls workqueue_done), -ETIMEDOUT, or -ESHUTDOWN once
 * the queue is shut down and drained.
 */
int workqueue_get(struct workqueue *q, char **key, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int ret = 0;

	*key = NULL;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		int64_t now = now_ms();
		promote_due(q, now);
		if (q->len > 0)
			break;
		if (q->shutdown) {
			ret = -ESHUTDOWN;
			goto out;
		}
		if (deadline >= 0 && now >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		wait_locked(q, deadline);
	}
	*key = ring_pop(q);
	strmap_del(&q->dirty, *key);
	strmap_put(&q->processing, *key, NULL);
out:
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* Ends the processing of key; queues it again when it was added meanwhile. */
void workqueue_done(struct workqueue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	strmap_del(&q->processing, key);
	if (strmap_has(&q->dirty, key)) {
		ring_push(q, key);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
}

/* The number of keys ready to be processed (not counting delayed ones). */
int workqueue_len(struct workqueue *q)
{
	pthread_mutex_lock(&q->lock);
	int n = (int)q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Stops accepting keys and wakes every getter; queued keys are still handed out. */
void workqueue_shutdown(struct workqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->shutdown = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}
