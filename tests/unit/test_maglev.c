/*
 * Maglev tables of the eBPF mode: every entry is filled, backends share the
 * table evenly, the table depends only on the set of backends, and adding or
 * removing one backend moves few entries of the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proxy/bpf/maglev.h"
#include "proxy/bpf/svcnet_sock.h"

#include <errno.h>
#include <string.h>

#define M SVCNET_MAGLEV_M

/* Keys of the backends 10.244.i.2:8080 for i in [first, first + n). */
static void keys_for(uint64_t *keys, int first, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t addr[16] = {10, 244, (uint8_t)(first + i), 2};
		keys[i] = maglev_backend_key(addr, 8080);
	}
}

static void test_even_share(void **state)
{
	(void)state;
	uint64_t keys[10];
	uint16_t table[M];
	unsigned count[10] = {0};
	keys_for(keys, 1, 10);
	assert_int_equal(maglev_fill(keys, 10, table, M), 0);
	for (int i = 0; i < M; i++) {
		assert_true(table[i] < 10);
		count[table[i]]++;
	}
	/* Round-robin filling gives each backend floor or ceil of m/n. */
	for (int b = 0; b < 10; b++)
		assert_in_range(count[b], M / 10, M / 10 + 1);
}

static void test_deterministic(void **state)
{
	(void)state;
	uint64_t keys[5];
	uint16_t a[M], b[M];
	keys_for(keys, 1, 5);
	assert_int_equal(maglev_fill(keys, 5, a, M), 0);
	assert_int_equal(maglev_fill(keys, 5, b, M), 0);
	assert_memory_equal(a, b, sizeof(a));
}

/* Entries whose backend (by key) differs between two tables. */
static int moved(const uint64_t *ka, const uint16_t *a, const uint64_t *kb, const uint16_t *b,
		 uint64_t ignore)
{
	int n = 0;
	for (int i = 0; i < M; i++)
		if (ka[a[i]] != ignore && ka[a[i]] != kb[b[i]])
			n++;
	return n;
}

static void test_remove_one_moves_few(void **state)
{
	(void)state;
	uint64_t keys[10], fewer[9];
	uint16_t before[M], after[M];
	keys_for(keys, 1, 10);
	assert_int_equal(maglev_fill(keys, 10, before, M), 0);
	/* Drop backend 4 (10.244.5.2). */
	memcpy(fewer, keys, 4 * sizeof(*keys));
	memcpy(fewer + 4, keys + 5, 5 * sizeof(*keys));
	assert_int_equal(maglev_fill(fewer, 9, after, M), 0);
	/* Clients of the nine that stay almost all keep their backend. */
	int n = moved(keys, before, fewer, after, keys[4]);
	print_message("removing 1 of 10 moved %d of %d other entries\n", n, M);
	assert_true(n < M / 20);
}

static void test_add_one_moves_few(void **state)
{
	(void)state;
	uint64_t keys[11];
	uint16_t before[M], after[M];
	keys_for(keys, 1, 11);
	assert_int_equal(maglev_fill(keys, 10, before, M), 0);
	assert_int_equal(maglev_fill(keys, 11, after, M), 0);
	/* The new backend takes about m/11; few entries move between old ones. */
	int n = 0, to_new = 0;
	for (int i = 0; i < M; i++) {
		if (after[i] == 10)
			to_new++;
		else if (after[i] != before[i])
			n++;
	}
	print_message("adding 1 to 10: %d entries to it, %d others moved\n", to_new, n);
	assert_in_range(to_new, M / 11, M / 11 + 1);
	assert_true(n < M / 20);
}

static void test_edges(void **state)
{
	(void)state;
	uint64_t keys[2];
	uint16_t table[M];
	keys_for(keys, 1, 2);
	assert_int_equal(maglev_fill(keys, 0, table, M), 0);
	for (int i = 0; i < M; i++)
		assert_int_equal(table[i], 0);
	assert_int_equal(maglev_fill(keys, 1, table, M), 0);
	for (int i = 0; i < M; i++)
		assert_int_equal(table[i], 0);
	assert_int_equal(maglev_fill(keys, 2, table, 1), -EINVAL);
	assert_int_equal(maglev_fill(keys, 3, table, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_even_share),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_remove_one_moves_few),
	    cmocka_unit_test(test_add_one_moves_few),
	    cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
