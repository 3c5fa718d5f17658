/*
 * A bitmap range allocator, as kube-apiserver's allocation map: items
 * 0..size-1, each free or taken. Allocation of a free item prefers the upper
 * part [offset, size) at a random start, so that the lower "static" band
 * [0, offset) stays free for values users choose; only when the upper part
 * is full does it take from the lower band. Not thread safe: callers lock.
 */
#ifndef SVCNET_APISERVER_ALLOC_BITMAP_H
#define SVCNET_APISERVER_ALLOC_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc_bitmap {
	uint64_t *words; /* owned */
	size_t size;	 /* number of items */
	size_t used;
	size_t offset; /* size of the lower band reserved for chosen values */
	uint64_t rng;  /* xorshift64 state, never 0 */
};

/* Initializes an empty map of size items; offset is clamped to size. */
void alloc_bitmap_init(struct alloc_bitmap *m, size_t size, size_t offset, uint64_t seed);
void alloc_bitmap_free(struct alloc_bitmap *m);

/* Reseeds the random start (tests use a fixed seed). */
void alloc_bitmap_seed(struct alloc_bitmap *m, uint64_t seed);

/* Takes item i: 0, -EEXIST when taken, -ERANGE when i >= size. */
int alloc_bitmap_take(struct alloc_bitmap *m, size_t i) __attribute__((warn_unused_result));

/* Takes a free item into *out: 0, or -ENOSPC when none is free. */
int alloc_bitmap_next(struct alloc_bitmap *m, size_t *out) __attribute__((warn_unused_result));

/* Frees item i; freeing a free or out-of-range item does nothing. */
void alloc_bitmap_release(struct alloc_bitmap *m, size_t i);

/* Whether item i is taken (false when out of range). */
bool alloc_bitmap_has(const struct alloc_bitmap *m, size_t i);

/* Frees every item. */
void alloc_bitmap_reset(struct alloc_bitmap *m);

/* The first taken item at or after from into *out: 0, or -ENOENT when there is none. */
int alloc_bitmap_next_taken(const struct alloc_bitmap *m, size_t from, size_t *out)
    __attribute__((warn_unused_result));

/*
 * The static band size Kubernetes uses for a range of size items:
 * min(max(lo, size / step), hi), and 0 when size <= lo.
 */
size_t alloc_bitmap_band(uint64_t size, size_t lo, size_t hi, size_t step);

#endif
