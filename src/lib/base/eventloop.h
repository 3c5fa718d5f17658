/*
 * A small epoll event loop (as Redis's ae, HAProxy's pollers): file
 * descriptor watchers, millisecond timers on a binary heap, deferred calls
 * run after each batch of events, and calls posted from other threads. The
 * caller owns every ev_io and ev_timer and keeps it alive while registered.
 * Everything but evloop_call and evloop_stop runs on the loop's thread.
 */
#ifndef SVCNET_BASE_EVENTLOOP_H
#define SVCNET_BASE_EVENTLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct ev_io;
struct ev_timer;

/* revents: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP as epoll reports them. */
typedef void (*ev_io_cb)(struct evloop *l, struct ev_io *io, uint32_t revents);
typedef void (*ev_timer_cb)(struct evloop *l, struct ev_timer *t);

struct ev_io {
	int fd; /* -1 when not registered */
	uint32_t events;
	ev_io_cb cb;
	void *arg;
};

struct ev_timer {
	uint64_t when_ms; /* on evloop_now()'s clock */
	size_t heap_idx;  /* position in the heap; SIZE_MAX when not armed */
	ev_timer_cb cb;
	void *arg;
};

/* A new loop. Returns 0 or a negative errno; caller frees with evloop_free. */
int evloop_new(struct evloop **out) __attribute__((warn_unused_result));
/* Frees l; watchers still registered are forgotten, not closed. */
void evloop_free(struct evloop *l);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLET ...), calling
 * cb(l, io, revents). io is filled in here. Returns 0 or a negative errno.
 */
int evloop_io_add(struct evloop *l, struct ev_io *io, int fd, uint32_t events, ev_io_cb cb,
		  void *arg) __attribute__((warn_unused_result));
/* Changes the events watched. Returns 0 or a negative errno. */
int evloop_io_mod(struct evloop *l, struct ev_io *io, uint32_t events);
/*
 * Stops watching (before the caller closes the fd); events of this batch
 * still pending for io are dropped. The caller may free io only after the
 * batch: free it through evloop_defer. Without epoll_ctl when forget_only;
 * only safe when no other process can hold the file: close() leaves the fd
 * in epoll while a child forked meanwhile (e.g. for iptables-restore) still
 * has it open, and its events would then reach freed memory.
 */
void evloop_io_del(struct evloop *l, struct ev_io *io, bool forget_only);

/* Prepares a timer (not armed). */
void evloop_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg);
/* Arms t to fire once, delay_ms from now (re-arms when already armed). */
void evloop_timer_start(struct evloop *l, struct ev_timer *t, uint64_t delay_ms);
/* Disarms t; fine when not armed. */
void evloop_timer_stop(struct evloop *l, struct ev_timer *t);
bool evloop_timer_armed(const struct ev_timer *t);

/* Milliseconds on CLOCK_MONOTONIC, read once per loop iteration. */
uint64_t evloop_now(const struct evloop *l);
/* Reads the clock again (for code that ran long). */
uint64_t evloop_update_time(struct evloop *l);

/* Runs fn(arg) once the current batch of events is handled (to free objects safely). */
void evloop_defer(struct evloop *l, void (*fn)(void *arg), void *arg);

/*
 * From any thread: runs fn(arg) on the loop's thread and returns when it
 * has returned. On the loop's thread it runs fn at once. The loop must be
 * running (evloop_run) or about to run.
 */
void evloop_call(struct evloop *l, void (*fn)(void *arg), void *arg);

/* Runs the loop on the calling thread until evloop_stop. Returns 0 or a negative errno. */
int evloop_run(struct evloop *l);
/* From any thread: makes evloop_run return after its current iteration. */
void evloop_stop(struct evloop *l);

#endif
