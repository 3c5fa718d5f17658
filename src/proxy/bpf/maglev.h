/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016), as the eBPF mode
 * fills its per-Service lookup table: each backend walks its own
 * permutation of the table and takes the next free entry in turn, so every
 * backend holds about m/n entries and a change of one backend moves few
 * entries of the others. Pure user-space code, shared by the mode and its
 * unit test; the table size the BPF side uses is SVCNET_MAGLEV_M.
 */
#ifndef SVCNET_PROXY_BPF_MAGLEV_H
#define SVCNET_PROXY_BPF_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

/* A stable 64-bit identity of a backend (its address bytes and port). */
uint64_t maglev_backend_key(const uint8_t addr[16], uint16_t port);

/*
 * Fills table[0..m) with backend indexes 0..n-1 for the backends named by
 * keys[0..n). m must be prime and at least n; n at most 65535. With n == 0
 * the table is all zero. Returns 0, or -EINVAL when m or n is out of range.
 */
int maglev_fill(const uint64_t *keys, size_t n, uint16_t *table, size_t m)
    __attribute__((warn_unused_result));

#endif
