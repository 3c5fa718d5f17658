/*
 * Unit tests of the store with the SQLite backend (src/lib/store/): the
 * conformance suite (store_conformance.h: reads, writes, ranges, history,
 * compaction, watches, reopen, concurrent and group-committed writers,
 * kill -9 of a writer), then what only SQLite has.
 */
#include "store_conformance.h"

#include "store/store-internal.h"

static struct store *sqlite_open(struct conf_fixture *f, size_t wcs)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc = store_open_sqlite(f->dir, wcs, &s, &err);

	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_null(err);
	return s;
}

static void sqlite_sync(struct store *s)
{
	(void)s; /* the committer publishes before the writer returns */
}

static const struct conf_backend sqlite_backend = {"sqlite", sqlite_open, sqlite_sync};

static int setup(void **state)
{
	struct conf_fixture *f = calloc(1, sizeof(*f));

	f->b = &sqlite_backend;
	snprintf(f->dir, sizeof(f->dir), "/var/tmp/svcnet-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->s = sqlite_open(f, 1000);
	f->base = store_current_rev(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct conf_fixture *f = *state;
	char path[128];

	store_close(f->s);
	for (const char *const *n =
		 (const char *const[]){"svcnet.db", "svcnet.db-wal", "svcnet.db-shm", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, *n);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A write that does not fit on disk leaves no trace, and the next one succeeds. */
static void test_disk_full_leaves_nothing(void **state)
{
	struct store *s = ((struct conf_fixture *)*state)->s;
	size_t big = 1 << 20;
	char *value = malloc(big);
	struct store_kv kv;
	int64_t rev;

	memset(value, 'x', big);
	conf_put(s, "/a", "a");
	assert_string_equal(store_health(s), "");
	assert_int_equal(store_sqlite_exec(s, "PRAGMA max_page_count = 1"), 0);
	assert_int_equal(store_create(s, "/big", value, big, &rev), -ENOSPC);
	assert_int_not_equal(store_health(s)[0], '\0');
	assert_int_equal(store_current_rev(s), 1);
	assert_int_equal(store_get(s, "/big", &kv), -ENOENT);
	assert_int_equal(store_sqlite_exec(s, "PRAGMA max_page_count = 1000000"), 0);
	assert_int_equal(store_create(s, "/big", value, big, &rev), 0);
	assert_int_equal(rev, 2);
	assert_string_equal(store_health(s), "");
	free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CONF_TESTS(setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_leaves_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
