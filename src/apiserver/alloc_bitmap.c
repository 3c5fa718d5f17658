#include "apiserver/alloc_bitmap.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void alloc_bitmap_seed(struct alloc_bitmap *m, uint64_t seed)
{
	m->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

void alloc_bitmap_init(struct alloc_bitmap *m, size_t size, size_t offset, uint64_t seed)
{
	m->size = size;
	m->used = 0;
	m->offset = offset < size ? offset : size;
	m->words = xcalloc(size / 64 + 1, sizeof(uint64_t));
	alloc_bitmap_seed(m, seed);
}

void alloc_bitmap_free(struct alloc_bitmap *m)
{
	free(m->words);
	m->words = NULL;
	m->size = m->used = 0;
}

bool alloc_bitmap_has(const struct alloc_bitmap *m, size_t i)
{
	return i < m->size && (m->words[i / 64] >> (i % 64)) & 1;
}

int alloc_bitmap_take(struct alloc_bitmap *m, size_t i)
{
	if (i >= m->size)
		return -ERANGE;
	if (alloc_bitmap_has(m, i))
		return -EEXIST;
	m->words[i / 64] |= (uint64_t)1 << (i % 64);
	m->used++;
	return 0;
}

void alloc_bitmap_release(struct alloc_bitmap *m, size_t i)
{
	if (!alloc_bitmap_has(m, i))
		return;
	m->words[i / 64] &= ~((uint64_t)1 << (i % 64));
	m->used--;
}

static uint64_t next_random(struct alloc_bitmap *m)
{
	uint64_t x = m->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	m->rng = x;
	return x;
}

/* Finds a free item in [lo, lo+n), scanning from a random start and wrapping. */
static int scan(struct alloc_bitmap *m, size_t lo, size_t n, size_t *out)
{
	if (n == 0)
		return -ENOSPC;
	size_t start = (size_t)(next_random(m) % n);
	for (size_t k = 0; k < n; k++) {
		size_t i = lo + (start + k) % n;
		/* Skip whole full words quickly when aligned. */
		if (i % 64 == 0 && m->words[i / 64] == UINT64_MAX && k + 64 <= n &&
		    (start + k) % n + 64 <= n) {
			k += 63;
			continue;
		}
		if (!alloc_bitmap_has(m, i)) {
			*out = i;
			return 0;
		}
	}
	return -ENOSPC;
}

int alloc_bitmap_next(struct alloc_bitmap *m, size_t *out)
{
	if (m->used >= m->size)
		return -ENOSPC;
	size_t i;
	if (scan(m, m->offset, m->size - m->offset, &i) < 0 && scan(m, 0, m->offset, &i) < 0)
		return -ENOSPC;
	if (alloc_bitmap_take(m, i) < 0)
		return -ENOSPC;
	*out = i;
	return 0;
}

void alloc_bitmap_reset(struct alloc_bitmap *m)
{
	if (m->words)
		memset(m->words, 0, (m->size / 64 + 1) * sizeof(uint64_t));
	m->used = 0;
}

/* Skips whole free words, so a sparse map of a million items is walked quickly. */
int alloc_bitmap_next_taken(const struct alloc_bitmap *m, size_t from, size_t *out)
{
	for (size_t i = from; i < m->size; i++) {
		if (i % 64 == 0 && m->words[i / 64] == 0) {
			i += 63;
			continue;
		}
		if (alloc_bitmap_has(m, i)) {
			*out = i;
			return 0;
		}
	}
	return -ENOENT;
}

size_t alloc_bitmap_band(uint64_t size, size_t lo, size_t hi, size_t step)
{
	if (size <= lo)
		return 0;
	uint64_t v = size / step;
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (size_t)v;
}
