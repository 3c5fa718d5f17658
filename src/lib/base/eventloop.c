/* The epoll event loop of eventloop.h. */
#include "base/eventloop.h"

#include "base/strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

/* A call posted by another thread; lives on that thread's stack. */
struct call {
	void (*fn)(void *);
	void *arg;
	bool done;
	struct call *next;
};

struct deferred {
	void (*fn)(void *);
	void *arg;
};

struct evloop {
	int epfd;
	int wakefd; /* eventfd: posted calls and stop */
	struct ev_io wake_io;
	uint64_t now_ms;
	struct ev_timer **heap;
	size_t n_heap, cap_heap;
	struct deferred *defer;
	size_t n_defer, cap_defer;
	pthread_mutex_t lock; /* calls, stop */
	pthread_cond_t done_cond;
	struct call *calls;
	volatile bool stop;
	bool running;
	bool finished; /* evloop_run returned: calls run on the caller's thread */
	pthread_t thread;
};

static uint64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t evloop_now(const struct evloop *l)
{
	return l->now_ms;
}

uint64_t evloop_update_time(struct evloop *l)
{
	l->now_ms = clock_ms();
	return l->now_ms;
}

static void run_calls(struct evloop *l)
{
	pthread_mutex_lock(&l->lock);
	struct call *c = l->calls;
	l->calls = NULL;
	pthread_mutex_unlock(&l->lock);
	/* Oldest first: the list is pushed at its head. */
	struct call *rev = NULL;
	while (c) {
		struct call *next = c->next;
		c->next = rev;
		rev = c;
		c = next;
	}
	while (rev) {
		struct call *next = rev->next;
		rev->fn(rev->arg);
		pthread_mutex_lock(&l->lock);
		rev->done = true;
		pthread_cond_broadcast(&l->done_cond);
		pthread_mutex_unlock(&l->lock);
		rev = next;
	}
}

static void on_wake(struct evloop *l, struct ev_io *io, uint32_t revents)
{
	uint64_t v;
	while (read(l->wakefd, &v, sizeof(v)) > 0)
		;
	run_calls(l);
}

int evloop_new(struct evloop **out)
{
	struct evloop *l = xcalloc(1, sizeof(*l));
	int rc = 0;
	l->wakefd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		rc = -errno;
		goto out;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd == -1) {
		rc = -errno;
		goto out;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done_cond, NULL);
	l->now_ms = clock_ms();
	rc = evloop_io_add(l, &l->wake_io, l->wakefd, EPOLLIN, on_wake, NULL);
out:
	if (rc < 0) {
		if (l->wakefd >= 0)
			close(l->wakefd);
		if (l->epfd >= 0)
			close(l->epfd);
		free(l);
		l = NULL;
	}
	*out = l;
	return rc;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_defer; i++)
		l->defer[i].fn(l->defer[i].arg);
	close(l->wakefd);
	close(l->epfd);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->done_cond);
	free(l->heap);
	free(l->defer);
	free(l);
}

int evloop_io_add(struct evloop *l, struct ev_io *io, int fd, uint32_t events, ev_io_cb cb,
		  void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		io->fd = -1;
		return -errno;
	}
	return 0;
}

int evloop_io_mod(struct evloop *l, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
		return -errno;
	io->events = events;
	return 0;
}

void evloop_io_del(struct evloop *l, struct ev_io *io, bool forget_only)
{
	if (io->fd < 0)
		return;
	if (!forget_only)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

void evloop_defer(struct evloop *l, void (*fn)(void *arg), void *arg)
{
	if (l->n_defer == l->cap_defer) {
		l->cap_defer = l->cap_defer ? l->cap_defer * 2 : 64;
		l->defer = xrealloc(l->defer, l->cap_defer * sizeof(*l->defer));
	}
	l->defer[l->n_defer++] = (struct deferred){fn, arg};
}

static void run_deferred(struct evloop *l)
{
	/* A deferred call may defer more: those run in the same pass. */
	for (size_t i = 0; i < l->n_defer; i++)
		l->defer[i].fn(l->defer[i].arg);
	l->n_defer = 0;
}

void evloop_call(struct evloop *l, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&l->lock);
	if (l->finished || (l->running && pthread_equal(l->thread, pthread_self()))) {
		pthread_mutex_unlock(&l->lock);
		fn(arg);
		return;
	}
	struct call c = {.fn = fn, .arg = arg, .next = l->calls};
	l->calls = &c;
	uint64_t one = 1;
	if (write(l->wakefd, &one, sizeof(one)) < 0) {
		/* The counter is full, so a wake-up is pending anyway. */
	}
	while (!c.done)
		pthread_cond_wait(&l->done_cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
}

void evloop_stop(struct evloop *l)
{
	uint64_t one = 1;
	l->stop = true;
	if (write(l->wakefd, &one, sizeof(one)) < 0) {
		/* As above: a wake-up is pending. */
	}
}

/* ---- timers: a binary min-heap on when_ms ---- */

static void heap_set(struct evloop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (l->heap[parent]->when_ms <= t->when_ms)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void sift_down(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && l->heap[c + 1]->when_ms < l->heap[c]->when_ms)
			c++;
		if (l->heap[c]->when_ms >= t->when_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void evloop_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg)
{
	t->when_ms = 0;
	t->heap_idx = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

bool evloop_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void evloop_timer_stop(struct evloop *l, struct ev_timer *t)
{
	size_t i = t->heap_idx;
	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	struct ev_timer *last = l->heap[--l->n_heap];
	if (i == l->n_heap)
		return;
	heap_set(l, i, last);
	sift_up(l, i);
	sift_down(l, last->heap_idx);
}

void evloop_timer_start(struct evloop *l, struct ev_timer *t, uint64_t delay_ms)
{
	evloop_timer_stop(l, t);
	t->when_ms = l->now_ms + delay_ms;
	if (l->n_heap == l->cap_heap) {
		l->cap_heap = l->cap_heap ? l->cap_heap * 2 : 64;
		l->heap = xrealloc(l->heap, l->cap_heap * sizeof(*l->heap));
	}
	heap_set(l, l->n_heap++, t);
	sift_up(l, t->heap_idx);
}

static void run_timers(struct evloop *l)
{
	while (l->n_heap && l->heap[0]->when_ms <= l->now_ms) {
		struct ev_timer *t = l->heap[0];
		evloop_timer_stop(l, t);
		t->cb(l, t);
	}
}

static int next_timeout(const struct evloop *l)
{
	if (!l->n_heap)
		return -1;
	uint64_t when = l->heap[0]->when_ms;
	if (when <= l->now_ms)
		return 0;
	uint64_t d = when - l->now_ms;
	return d > 60000 ? 60000 : (int)d;
}

int evloop_run(struct evloop *l)
{
	struct epoll_event evs[MAX_EVENTS];
	pthread_mutex_lock(&l->lock);
	l->thread = pthread_self();
	l->running = true;
	pthread_mutex_unlock(&l->lock);
	int rc = 0;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, MAX_EVENTS, next_timeout(l));
		if (n == -1 && errno != EINTR) {
			rc = -errno;
			break;
		}
		l->now_ms = clock_ms();
		for (int i = 0; i < n; i++) {
			struct ev_io *io = evs[i].data.ptr;
			if (io->fd >= 0)
				io->cb(l, io, evs[i].events);
		}
		run_deferred(l);
		run_timers(l);
		run_deferred(l);
	}
	pthread_mutex_lock(&l->lock);
	l->running = false;
	l->finished = true;
	pthread_mutex_unlock(&l->lock);
	run_calls(l);
	return rc;
}
