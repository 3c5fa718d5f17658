/* Unit tests for base/eventloop: timers, fd events, deferred calls, cross-thread calls. */
#include "base/eventloop.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

static char order[16];
static size_t n_order;

static void on_timer(struct evloop *l, struct ev_timer *t)
{
	order[n_order++] = *(char *)t->arg;
	if (*(char *)t->arg == 'c')
		evloop_stop(l);
}

static void test_timers_fire_in_order(void **state)
{
	struct evloop *l;
	assert_int_equal(evloop_new(&l), 0);
	struct ev_timer t[4];
	char names[4] = {'a', 'b', 'c', 'x'};
	n_order = 0;
	uint64_t t0 = evloop_update_time(l); /* timers count from here */
	for (int i = 0; i < 4; i++)
		evloop_timer_init(&t[i], on_timer, &names[i]);
	evloop_timer_start(l, &t[2], 30); /* c: stops the loop */
	evloop_timer_start(l, &t[0], 1);
	evloop_timer_start(l, &t[1], 10);
	evloop_timer_start(l, &t[3], 5);
	evloop_timer_stop(l, &t[3]); /* x never fires */
	assert_false(evloop_timer_armed(&t[3]));
	assert_true(evloop_timer_armed(&t[1]));
	assert_int_equal(evloop_run(l), 0);
	order[n_order] = 0;
	assert_string_equal(order, "abc");
	assert_true(evloop_now(l) - t0 >= 30);
	evloop_free(l);
}

struct pipe_ctx {
	int fds[2];
	struct ev_io io;
	char got[8];
	size_t n;
	bool freed;
};

static void mark_freed(void *arg)
{
	((struct pipe_ctx *)arg)->freed = true;
}

static void on_readable(struct evloop *l, struct ev_io *io, uint32_t ev)
{
	struct pipe_ctx *c = io->arg;
	assert_true(ev & EPOLLIN);
	ssize_t n = read(c->fds[0], c->got + c->n, sizeof(c->got) - 1 - c->n);
	assert_true(n > 0);
	c->n += (size_t)n;
	evloop_io_del(l, io, false);
	evloop_defer(l, mark_freed, c);
	assert_false(c->freed); /* only after the batch */
	evloop_stop(l);
}

static void test_io_and_defer(void **state)
{
	struct evloop *l;
	struct pipe_ctx c = {0};
	assert_int_equal(evloop_new(&l), 0);
	assert_int_equal(pipe(c.fds), 0);
	assert_int_equal(evloop_io_add(l, &c.io, c.fds[0], EPOLLIN, on_readable, &c), 0);
	assert_int_equal(write(c.fds[1], "hi", 2), 2);
	assert_int_equal(evloop_run(l), 0);
	assert_string_equal(c.got, "hi");
	assert_true(c.freed);
	assert_int_equal(c.io.fd, -1);
	close(c.fds[0]);
	close(c.fds[1]);
	evloop_free(l);
}

struct call_ctx {
	struct evloop *l;
	pthread_t loop_thread;
	int calls;
	bool on_loop_thread;
};

static void *run_loop(void *arg)
{
	struct call_ctx *c = arg;
	evloop_run(c->l);
	return NULL;
}

static void bump(void *arg)
{
	struct call_ctx *c = arg;
	c->calls++;
	c->on_loop_thread = pthread_equal(pthread_self(), c->loop_thread);
}

static void test_call_from_another_thread(void **state)
{
	struct call_ctx c = {0};
	assert_int_equal(evloop_new(&c.l), 0);
	assert_int_equal(pthread_create(&c.loop_thread, NULL, run_loop, &c), 0);
	for (int i = 0; i < 100; i++)
		evloop_call(c.l, bump, &c); /* returns only once bump has run */
	assert_int_equal(c.calls, 100);
	assert_true(c.on_loop_thread);
	evloop_stop(c.l);
	pthread_join(c.loop_thread, NULL);
	/* Once the loop has returned, a call runs on the caller's thread. */
	evloop_call(c.l, bump, &c);
	assert_int_equal(c.calls, 101);
	assert_false(c.on_loop_thread);
	evloop_free(c.l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_fire_in_order),
	    cmocka_unit_test(test_io_and_defer),
	    cmocka_unit_test(test_call_from_another_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
