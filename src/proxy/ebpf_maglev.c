/* Maglev lookup tables for the eBPF mode (see bpf/maglev.h). */
#include "proxy/bpf/maglev.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* SplitMix64's finaliser: spreads a key over 64 bits. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t maglev_backend_key(const uint8_t addr[16], uint16_t port)
{
	/* FNV-1a over the bytes, so that the key is the same on every node. */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	h = (h ^ (port >> 8)) * 0x100000001b3ULL;
	h = (h ^ (port & 0xff)) * 0x100000001b3ULL;
	return h;
}

int maglev_fill(const uint64_t *keys, size_t n, uint16_t *table, size_t m)
{
	if (m < 2 || n > 65535 || n > m)
		return -EINVAL;
	memset(table, 0, m * sizeof(*table));
	if (n == 0)
		return 0;
	uint64_t *offset = xcalloc(n, sizeof(*offset));
	uint64_t *skip = xcalloc(n, sizeof(*skip));
	uint64_t *next = xcalloc(n, sizeof(*next));
	uint8_t *taken = xcalloc(m, 1);
	for (size_t i = 0; i < n; i++) {
		offset[i] = mix64(keys[i]) % m;
		skip[i] = mix64(keys[i] ^ 0x5bd1e9955bd1e995ULL) % (m - 1) + 1;
	}
	size_t filled = 0;
	while (filled < m) {
		for (size_t i = 0; i < n && filled < m; i++) {
			/* m is prime and skip < m: the walk visits every entry. */
			size_t c = (offset[i] + next[i] * skip[i]) % m;
			while (taken[c]) {
				next[i]++;
				c = (offset[i] + next[i] * skip[i]) % m;
			}
			taken[c] = 1;
			table[c] = (uint16_t)i;
			next[i]++;
			filled++;
		}
	}
	free(offset);
	free(skip);
	free(next);
	free(taken);
	return 0;
}
