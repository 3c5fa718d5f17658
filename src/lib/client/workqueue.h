/*
 * A work queue of string keys ("namespace/name"), as client-go's rate
 * limited queue: a key is queued once however often it is added; a key
 * being processed is not handed to another worker, and if it is added
 * meanwhile it is queued again when done; failed keys come back after an
 * exponential backoff (5 ms doubling to 1000 s as client-go, capped here at
 * 30 s). Thread safe.
 */
#ifndef SVCNET_CLIENT_WORKQUEUE_H
#define SVCNET_CLIENT_WORKQUEUE_H

struct workqueue;

struct workqueue *workqueue_new(void);
void workqueue_free(struct workqueue *q);

void workqueue_add(struct workqueue *q, const char *key);
void workqueue_add_after(struct workqueue *q, const char *key, int delay_ms);
/* Queues key again after its backoff (which grows with each retry). */
void workqueue_retry(struct workqueue *q, const char *key);
/* Resets key's backoff after a success. */
void workqueue_forget(struct workqueue *q, const char *key);

/*
 * Waits up to timeout_ms (-1 = forever) for a key. Returns 0 with *key
 * (caller frees, and must call workqueue_done), -ETIMEDOUT, or -ESHUTDOWN.
 */
int workqueue_get(struct workqueue *q, char **key, int timeout_ms);
void workqueue_done(struct workqueue *q, const char *key);
int workqueue_len(struct workqueue *q);
void workqueue_shutdown(struct workqueue *q);

#endif
