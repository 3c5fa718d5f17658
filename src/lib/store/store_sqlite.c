/*
 * The SQLite backend of the store.
 *
 * Tables: kv (the current value of every key, for reads "now"), log (one row
 * per revision, append-only until compaction: value NULL for a deletion;
 * for reads at an older revision and to refill the watch cache at open) and
 * meta (the current and the compacted revision).
 *
 * Writes use group commit: a writer queues its operation; whoever finds no
 * commit in progress becomes the committer, takes the whole queue, runs
 * every operation in one transaction (each in a SAVEPOINT of its own so it
 * fails alone), commits once (one fsync for the batch), publishes the events
 * to the watch cache in revision order and wakes the writers. Only one
 * committer exists at a time, so revisions and events stay in order.
 *
 * Reads use a small pool of connections of their own; WAL lets them run
 * beside the committer and see every acknowledged write.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "store/store-internal.h"

#define MAX_READERS 8

enum wop_kind { WOP_CREATE, WOP_UPDATE, WOP_DELETE, WOP_COMPACT, WOP_EXEC };

/* One queued write; it lives on the stack of the writer, who waits for it. */
struct wop {
	enum wop_kind kind;
	const char *key; /* borrowed; the SQL text for WOP_EXEC */
	const char *value;
	size_t len;
	int64_t expect; /* expected mod revision; the revision for WOP_COMPACT */
	int rc;
	int64_t rev;
	bool done;
	bool settled;	     /* failed in a transaction SQLite rolled back; not run again */
	struct store_kv old; /* the value before this write, when there was one */
	struct wop *next;
};

enum {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_SAVEPOINT,
	W_RELEASE,
	W_ROLLBACK_TO,
	W_LOOKUP,
	W_LOG,
	W_PUT,
	W_DEL,
	W_META,
	W_COMPACT_OLD,
	W_COMPACT_TOMBS,
	W_NSTMT
};

static const char *const wsql[W_NSTMT] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_ROLLBACK] = "ROLLBACK",
    [W_SAVEPOINT] = "SAVEPOINT op",
    [W_RELEASE] = "RELEASE op",
    [W_ROLLBACK_TO] = "ROLLBACK TO op",
    [W_LOOKUP] = "SELECT value, mod_rev, create_rev FROM kv WHERE key = ?1",
    [W_LOG] = "INSERT INTO log(rev, key, value, create_rev, type) VALUES (?1, ?2, ?3, ?4, ?5)",
    [W_PUT] = "INSERT OR REPLACE INTO kv(key, value, mod_rev, create_rev) VALUES (?1, ?2, ?3, ?4)",
    [W_DEL] = "DELETE FROM kv WHERE key = ?1",
    [W_META] = "UPDATE meta SET value = ?2 WHERE name = ?1",
    /* A row superseded at or before the compact point is never read again. */
    [W_COMPACT_OLD] = "DELETE FROM log WHERE rev <= ?1 AND EXISTS (SELECT 1 FROM log AS l2"
		      " WHERE l2.key = log.key AND l2.rev > log.rev AND l2.rev <= ?1)",
    /* Then a deletion at or before it is the only row left for its key. */
    [W_COMPACT_TOMBS] = "DELETE FROM log WHERE rev <= ?1 AND value IS NULL",
};

enum { R_BEGIN, R_END, R_META, R_GET, R_RANGE_NOW, R_RANGE_OLD, R_COUNT, R_NSTMT };

/*
 * Ranges bind ?1 the prefix, ?2 the first string past it, ?3 start_after,
 * ?4 the limit (-1: none) and ?5 the revision. At a past revision, a log
 * row counts when it is the latest of its key at or below ?5; the plan walks
 * log_key_rev in key order, so a limited range stops early.
 */
static const char *const rsql[R_NSTMT] = {
    [R_BEGIN] = "BEGIN",
    [R_END] = "COMMIT",
    [R_META] = "SELECT (SELECT value FROM meta WHERE name = 'rev'),"
	       " (SELECT value FROM meta WHERE name = 'compacted')",
    [R_GET] = "SELECT value, mod_rev, create_rev FROM kv WHERE key = ?1",
    [R_RANGE_NOW] = "SELECT key, value, mod_rev, create_rev FROM kv WHERE key >= ?1 AND"
		    " key < ?2 AND key > ?3 ORDER BY key LIMIT ?4",
    [R_RANGE_OLD] = "SELECT key, value, rev, create_rev FROM log AS l WHERE key >= ?1 AND"
		    " key < ?2 AND key > ?3 AND value IS NOT NULL AND rev = (SELECT MAX(rev)"
		    " FROM log WHERE key = l.key AND rev <= ?5) ORDER BY key LIMIT ?4",
    [R_COUNT] = "SELECT COUNT(*) FROM kv WHERE key >= ?1 AND key < ?2",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
    " mod_rev INTEGER NOT NULL, create_rev INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT,"
    " create_rev INTEGER NOT NULL, type INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS log_key_rev ON log(key, rev);"
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES ('rev', 0), ('compacted', 0);";

struct reader {
	sqlite3 *db;
	sqlite3_stmt *st[R_NSTMT];
	struct reader *next;
};

struct sqlite_store {
	struct store base; /* first: a struct store * points here */
	char *path;
	sqlite3 *wdb; /* used only by the committer */
	sqlite3_stmt *w[W_NSTMT];
	int64_t rev;	   /* last committed; written by the committer only */
	int64_t compacted; /* likewise */

	pthread_mutex_t qmu; /* the queue and the committer role */
	pthread_cond_t qcond;
	struct wop *qhead, **qtail;
	bool committing;

	pthread_mutex_t rmu; /* the reader pool */
	pthread_cond_t rcond;
	struct reader *readers;
	int nreaders;
};

static struct sqlite_store *to_ss(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* Maps an SQLite failure to an errno and keeps a sentence for store_health. */
static int fail(struct sqlite_store *ss, sqlite3 *db, int src, const char *what)
{
	int rc = (src & 0xff) == SQLITE_FULL	? -ENOSPC
		 : (src & 0xff) == SQLITE_NOMEM ? -ENOMEM
						: -EIO;

	store_set_health(&ss->base, "sqlite %s: %s", what, sqlite3_errmsg(db));
	log_error("store", "sqlite %s: %s", what, sqlite3_errmsg(db));
	return rc;
}

/* Steps a statement that returns no row, then resets it for the next use. */
static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, int n, char **err)
{
	for (int i = 0; i < n; i++) {
		int rc =
		    sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);

		if (rc != SQLITE_OK) {
			if (err)
				*err = xasprintf("sqlite prepare: %s", sqlite3_errmsg(db));
			return -EIO;
		}
	}
	return 0;
}

static void finalize(sqlite3_stmt **st, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

/* Opens one connection with the settings every connection needs. */
static int open_conn(const char *path, bool create, sqlite3 **out, char **err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL,
				  NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		if (err)
			*err = xasprintf("sqlite open %s: %s", path,
					 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return rc == SQLITE_CANTOPEN ? -ENOENT : -EIO;
	}
	*out = db;
	return 0;
}

/* ---- the reader pool ---- */

static void reader_free(struct reader *r)
{
	finalize(r->st, R_NSTMT);
	sqlite3_close_v2(r->db);
	free(r);
}

static int get_reader(struct sqlite_store *ss, struct reader **out)
{
	struct reader *r;
	char *err = NULL;
	int rc;

	pthread_mutex_lock(&ss->rmu);
	while (!ss->readers && ss->nreaders >= MAX_READERS)
		pthread_cond_wait(&ss->rcond, &ss->rmu);
	r = ss->readers;
	if (r) {
		ss->readers = r->next;
		pthread_mutex_unlock(&ss->rmu);
		*out = r;
		return 0;
	}
	ss->nreaders++;
	pthread_mutex_unlock(&ss->rmu);

	r = xcalloc(1, sizeof(*r));
	rc = open_conn(ss->path, false, &r->db, &err);
	if (rc == 0)
		rc = prepare(r->db, rsql, r->st, R_NSTMT, &err);
	if (rc == 0) {
		*out = r;
		return 0;
	}
	store_set_health(&ss->base, "%s", err);
	log_error("store", "%s", err);
	free(err);
	reader_free(r);
	pthread_mutex_lock(&ss->rmu);
	ss->nreaders--;
	pthread_cond_signal(&ss->rcond);
	pthread_mutex_unlock(&ss->rmu);
	return rc;
}

static void put_reader(struct sqlite_store *ss, struct reader *r)
{
	pthread_mutex_lock(&ss->rmu);
	r->next = ss->readers;
	ss->readers = r;
	pthread_cond_signal(&ss->rcond);
	pthread_mutex_unlock(&ss->rmu);
}

/* ---- writes: the committer ---- */

static void copy_value(sqlite3_stmt *st, int col, struct store_kv *kv)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	kv->len = (size_t)sqlite3_column_bytes(st, col);
	kv->value = xmalloc(kv->len + 1);
	memcpy(kv->value, v ? v : "", kv->len);
	kv->value[kv->len] = '\0';
}

/* Reads the current row of op->key into op->old; 1 found, 0 not, else an SQLite code. */
static int lookup(struct sqlite_store *ss, struct wop *op)
{
	sqlite3_stmt *st = ss->w[W_LOOKUP];
	int rc;

	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		op->old.key = xstrdup(op->key);
		copy_value(st, 0, &op->old);
		op->old.mod_rev = sqlite3_column_int64(st, 1);
		op->old.create_rev = sqlite3_column_int64(st, 2);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int precondition(const struct wop *op, bool found)
{
	if (op->kind == WOP_CREATE)
		return found ? -EEXIST : 0;
	if (!found)
		return -ENOENT;
	if (op->expect && op->expect != op->old.mod_rev)
		return -ECANCELED;
	return 0;
}

/* Writes the log row and the current row of op at revision rev. */
static int apply(struct sqlite_store *ss, struct wop *op, int64_t rev)
{
	sqlite3_stmt *st = ss->w[W_LOG];
	int64_t create_rev = op->kind == WOP_CREATE ? rev : op->old.create_rev;
	int type = op->kind == WOP_CREATE   ? WATCH_ADDED
		   : op->kind == WOP_UPDATE ? WATCH_MODIFIED
					    : WATCH_DELETED;
	int rc;

	sqlite3_bind_int64(st, 1, rev);
	sqlite3_bind_text(st, 2, op->key, -1, SQLITE_STATIC);
	if (op->kind == WOP_DELETE)
		sqlite3_bind_null(st, 3);
	else
		sqlite3_bind_text(st, 3, op->value, (int)op->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, create_rev);
	sqlite3_bind_int(st, 5, type);
	rc = step_reset(st);
	if (rc != SQLITE_OK)
		return rc;
	if (op->kind == WOP_DELETE) {
		st = ss->w[W_DEL];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		return step_reset(st);
	}
	st = ss->w[W_PUT];
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->value, (int)op->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rev);
	sqlite3_bind_int64(st, 4, create_rev);
	return step_reset(st);
}

static int set_meta(struct sqlite_store *ss, const char *name, int64_t value)
{
	sqlite3_stmt *st = ss->w[W_META];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	return step_reset(st);
}

static int compact_rows(struct sqlite_store *ss, int64_t rev)
{
	int rc;

	sqlite3_bind_int64(ss->w[W_COMPACT_OLD], 1, rev);
	rc = step_reset(ss->w[W_COMPACT_OLD]);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(ss->w[W_COMPACT_TOMBS], 1, rev);
		rc = step_reset(ss->w[W_COMPACT_TOMBS]);
	}
	return rc == SQLITE_OK ? set_meta(ss, "compacted", rev) : rc;
}

/* Does the work of op in the open savepoint; *rev is the last revision used. */
static int op_body(struct sqlite_store *ss, struct wop *op, int64_t *rev)
{
	int rc;

	switch (op->kind) {
	case WOP_COMPACT:
		rc = compact_rows(ss, op->expect);
		if (rc == SQLITE_OK)
			op->rev = op->expect;
		return rc;
	case WOP_EXEC:
		return sqlite3_exec(ss->wdb, op->key, NULL, NULL, NULL);
	default:
		rc = apply(ss, op, *rev + 1);
		if (rc == SQLITE_OK)
			op->rev = ++*rev;
		return rc;
	}
}

/* run_one: SQLite rolled the whole transaction back; run the batch again. */
#define TXN_LOST (-1)

/*
 * Runs one operation of the batch. Sets op->rc; returns an SQLite code only
 * when the batch transaction can no longer be trusted, TXN_LOST when SQLite
 * rolled it back on op's failure (as it may on SQLITE_FULL or an I/O error):
 * op is then settled with its error and the others must run again.
 */
static int run_one(struct sqlite_store *ss, struct wop *op, int64_t *rev, int64_t *compacted)
{
	int rc;

	op->rc = 0;
	op->rev = 0;
	store_kv_free(&op->old);
	if (op->kind == WOP_COMPACT) {
		if (op->expect > *rev)
			op->rc = -EINVAL;
		if (op->expect <= *compacted || op->expect > *rev)
			return SQLITE_OK;
	} else if (op->kind != WOP_EXEC) {
		rc = lookup(ss, op);
		if (rc != 0 && rc != 1) {
			op->rc = fail(ss, ss->wdb, rc, "read");
			return SQLITE_OK;
		}
		op->rc = precondition(op, rc == 1);
		if (op->rc)
			return SQLITE_OK;
	}
	rc = step_reset(ss->w[W_SAVEPOINT]);
	if (rc != SQLITE_OK)
		return rc;
	rc = op_body(ss, op, rev);
	if (rc == SQLITE_OK) {
		if (op->kind == WOP_COMPACT)
			*compacted = op->expect;
		return step_reset(ss->w[W_RELEASE]);
	}
	op->rc = fail(ss, ss->wdb, rc, "write");
	op->rev = 0;
	if (sqlite3_get_autocommit(ss->wdb)) {
		op->settled = true;
		return TXN_LOST;
	}
	rc = step_reset(ss->w[W_ROLLBACK_TO]);
	return rc == SQLITE_OK ? step_reset(ss->w[W_RELEASE]) : rc;
}

/* After the commit: every successful write, in revision order, to the watch cache. */
static void publish(struct sqlite_store *ss, struct wop *batch)
{
	static const enum watch_event_type types[] = {
	    [WOP_CREATE] = WATCH_ADDED,
	    [WOP_UPDATE] = WATCH_MODIFIED,
	    [WOP_DELETE] = WATCH_DELETED,
	};

	for (struct wop *op = batch; op; op = op->next) {
		if (op->rc)
			continue;
		if (op->kind == WOP_COMPACT && op->rev)
			watch_cache_compact(ss->base.wc, op->rev);
		if (op->kind > WOP_DELETE)
			continue;
		watch_cache_publish(ss->base.wc, types[op->kind], op->rev, op->key,
				    op->kind == WOP_DELETE ? NULL : op->value, op->len,
				    op->old.value, op->old.len);
	}
}

/* One try at the batch: runs the unsettled operations and commits. */
static int attempt(struct sqlite_store *ss, struct wop *batch, int64_t *rev, int64_t *compacted)
{
	int rc = step_reset(ss->w[W_BEGIN]);

	for (struct wop *op = batch; op && rc == SQLITE_OK; op = op->next) {
		if (!op->settled)
			rc = run_one(ss, op, rev, compacted);
	}
	if (rc == SQLITE_OK && *rev != ss->rev)
		rc = set_meta(ss, "rev", *rev);
	if (rc == SQLITE_OK)
		rc = step_reset(ss->w[W_COMMIT]);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(ss->wdb))
		step_reset(ss->w[W_ROLLBACK]);
	return rc;
}

/*
 * Runs a batch in one transaction; sets rc (and rev) of every operation.
 * Each retry settles one more operation, so the loop ends.
 */
static void run_batch(struct sqlite_store *ss, struct wop *batch)
{
	int64_t rev, compacted;
	int rc, err;

	do {
		rev = ss->rev;
		compacted = ss->compacted;
		rc = attempt(ss, batch, &rev, &compacted);
	} while (rc == TXN_LOST);
	if (rc != SQLITE_OK) {
		err = fail(ss, ss->wdb, rc, "commit");
		for (struct wop *op = batch; op; op = op->next) {
			if (!op->settled && op->rc == 0) {
				op->rc = err;
				op->rev = 0;
			}
		}
		return;
	}
	if (rev != ss->rev)
		store_set_health(&ss->base, NULL); /* a write went through: healthy again */
	__atomic_store_n(&ss->rev, rev, __ATOMIC_RELEASE);
	ss->compacted = compacted;
	publish(ss, batch);
}

/* Queues op and waits for its result, committing the queue when no one else is. */
static int submit(struct sqlite_store *ss, struct wop *op)
{
	pthread_mutex_lock(&ss->qmu);
	op->next = NULL;
	*ss->qtail = op;
	ss->qtail = &op->next;
	while (!op->done) {
		struct wop *batch, *next;

		if (ss->committing) {
			pthread_cond_wait(&ss->qcond, &ss->qmu);
			continue;
		}
		batch = ss->qhead;
		ss->qhead = NULL;
		ss->qtail = &ss->qhead;
		ss->committing = true;
		pthread_mutex_unlock(&ss->qmu);
		run_batch(ss, batch);
		pthread_mutex_lock(&ss->qmu);
		for (struct wop *o = batch; o; o = next) {
			next = o->next;
			o->done = true;
		}
		ss->committing = false;
		pthread_cond_broadcast(&ss->qcond);
	}
	pthread_mutex_unlock(&ss->qmu);
	return op->rc;
}

/* Submits a key write and hands the result and the replaced value to the caller. */
static int write_key(struct sqlite_store *ss, struct wop *op, struct store_kv *prev, int64_t *rev)
{
	int rc;

	if (prev)
		memset(prev, 0, sizeof(*prev));
	if (!op->value)
		op->value = "";
	rc = submit(ss, op);
	if (rc == 0 && rev)
		*rev = op->rev;
	if (rc == 0 && prev)
		*prev = op->old;
	else
		store_kv_free(&op->old);
	return rc;
}

static int sq_create(struct store *s, const char *key, const char *value, size_t len, int64_t *rev)
{
	struct wop op = {.kind = WOP_CREATE, .key = key, .value = value, .len = len};

	return write_key(to_ss(s), &op, NULL, rev);
}

static int sq_update(struct store *s, const char *key, const char *value, size_t len,
		     int64_t expect_mod_rev, struct store_kv *prev, int64_t *rev)
{
	struct wop op = {
	    .kind = WOP_UPDATE, .key = key, .value = value, .len = len, .expect = expect_mod_rev};

	return write_key(to_ss(s), &op, prev, rev);
}

static int sq_delete(struct store *s, const char *key, int64_t expect_mod_rev,
		     struct store_kv *prev, int64_t *rev)
{
	struct wop op = {.kind = WOP_DELETE, .key = key, .expect = expect_mod_rev};

	return write_key(to_ss(s), &op, prev, rev);
}

static int sq_compact(struct store *s, int64_t rev)
{
	struct wop op = {.kind = WOP_COMPACT, .expect = rev};

	return submit(to_ss(s), &op);
}

/*
 * Runs sql on the writer connection inside a write transaction of its own,
 * between batches (for tests: e.g. "PRAGMA max_page_count" to make the disk
 * look full). Returns 0 or a negative errno.
 */
int store_sqlite_exec(struct store *s, const char *sql)
{
	struct wop op = {.kind = WOP_EXEC, .key = sql};

	return submit(to_ss(s), &op);
}

static int64_t sq_current_rev(struct store *s)
{
	return __atomic_load_n(&to_ss(s)->rev, __ATOMIC_ACQUIRE);
}

/* ---- reads ---- */

static int sq_get(struct store *s, const char *key, struct store_kv *out)
{
	struct sqlite_store *ss = to_ss(s);
	struct reader *r;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = get_reader(ss, &r);
	if (rc)
		return rc;
	st = r->st[R_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->key = xstrdup(key);
		copy_value(st, 0, out);
		out->mod_rev = sqlite3_column_int64(st, 1);
		out->create_rev = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : fail(ss, r->db, rc, "get");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	put_reader(ss, r);
	return rc;
}

/* The smallest string above every string that starts with prefix; NULL when none is. */
static char *prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = xstrdup(prefix);

	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0) {
		free(end);
		return NULL;
	}
	end[n - 1]++;
	end[n] = '\0';
	return end;
}

/* Binds ?1 and ?2 to the bounds of prefix; end is kept alive by the caller. */
static void bind_prefix(sqlite3_stmt *st, const char *prefix, const char *end)
{
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	if (end)
		sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(st, 2, 0); /* a BLOB sorts after every TEXT */
}

struct range_args {
	const char *prefix;
	const char *start_after;
	size_t limit;
	int64_t at_rev;
	store_range_cb cb;
	void *arg;
	bool more;
};

/* Steps a bound range statement, calling back for each row within the limit. */
static int visit(sqlite3_stmt *st, struct range_args *a)
{
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_kv kv;

		if (a->limit && ++n > a->limit) {
			a->more = true;
			return SQLITE_OK;
		}
		kv.key = (char *)sqlite3_column_text(st, 0);
		kv.value = (char *)sqlite3_column_text(st, 1);
		kv.len = (size_t)sqlite3_column_bytes(st, 1);
		kv.mod_rev = sqlite3_column_int64(st, 2);
		kv.create_rev = sqlite3_column_int64(st, 3);
		if (!kv.key || !kv.value)
			return SQLITE_NOMEM;
		if (a->cb(&kv, a->arg))
			return SQLITE_OK;
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside the read transaction: checks the revision and runs the query. */
static int range_in_txn(struct sqlite_store *ss, struct reader *r, struct range_args *a,
			int64_t *rev_out)
{
	sqlite3_stmt *st = r->st[R_META];
	int64_t cur, compacted;
	char *end;
	int rc;

	rc = sqlite3_step(st);
	cur = sqlite3_column_int64(st, 0);
	compacted = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return fail(ss, r->db, rc, "range");
	if (a->at_rev && a->at_rev < compacted)
		return -ERANGE;
	if (a->at_rev > cur)
		return -EAGAIN;
	*rev_out = a->at_rev ? a->at_rev : cur;
	st = r->st[a->at_rev && a->at_rev < cur ? R_RANGE_OLD : R_RANGE_NOW];
	end = prefix_end(a->prefix);
	bind_prefix(st, a->prefix, end);
	sqlite3_bind_text(st, 3, a->start_after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, a->limit ? (int64_t)a->limit + 1 : -1);
	if (st == r->st[R_RANGE_OLD])
		sqlite3_bind_int64(st, 5, a->at_rev);
	rc = visit(st, a);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(end);
	return rc == SQLITE_OK ? 0 : fail(ss, r->db, rc, "range");
}

/*
 * See store.h. Reads at a past revision use the log; the revision checks
 * and the rows come from one read transaction, so they agree.
 */
static int sq_range(struct store *s, const char *prefix, const char *start_after, size_t limit,
		    int64_t at_rev, store_range_cb cb, void *arg, int64_t *rev_out, bool *more)
{
	struct sqlite_store *ss = to_ss(s);
	struct range_args a = {
	    prefix ? prefix : "", start_after ? start_after : "", limit, at_rev, cb, arg, false};
	struct reader *r;
	int64_t rev = 0;
	int rc;

	if (at_rev < 0)
		return -EINVAL;
	rc = get_reader(ss, &r);
	if (rc)
		return rc;
	rc = step_reset(r->st[R_BEGIN]);
	if (rc != SQLITE_OK) {
		rc = fail(ss, r->db, rc, "begin");
		goto out;
	}
	rc = range_in_txn(ss, r, &a, &rev);
	step_reset(r->st[R_END]);
out:
	put_reader(ss, r);
	if (rev_out)
		*rev_out = rev;
	if (more)
		*more = a.more;
	return rc;
}

static int sq_count(struct store *s, const char *prefix, int64_t *count)
{
	struct sqlite_store *ss = to_ss(s);
	struct reader *r;
	sqlite3_stmt *st;
	char *end;
	int rc;

	*count = 0;
	rc = get_reader(ss, &r);
	if (rc)
		return rc;
	st = r->st[R_COUNT];
	end = prefix_end(prefix ? prefix : "");
	bind_prefix(st, prefix ? prefix : "", end);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = fail(ss, r->db, rc, "count");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(end);
	put_reader(ss, r);
	return rc;
}

/* ---- open and close ---- */

/* One integer from a one-row query on the writer connection. */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The value before revision rev of key, from the log (NULL when none). */
static const char *prev_value(sqlite3_stmt *pst, const char *key, int64_t rev, size_t *len)
{
	sqlite3_reset(pst);
	sqlite3_bind_text(pst, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(pst, 2, rev);
	*len = 0;
	if (sqlite3_step(pst) != SQLITE_ROW)
		return NULL;
	*len = (size_t)sqlite3_column_bytes(pst, 0);
	return (const char *)sqlite3_column_text(pst, 0);
}

/*
 * Refills the watch cache with the last size events of the log, so that
 * watchers can resume across a restart. Rows above the compacted revision
 * are never removed, so the events loaded have no gaps.
 */
static int load_events(struct sqlite_store *ss, size_t size)
{
	sqlite3_stmt *st = NULL, *pst = NULL;
	int rc;

	rc =
	    sqlite3_prepare_v2(ss->wdb,
			       "SELECT rev, key, value, type FROM (SELECT * FROM log WHERE rev > ?1"
			       " ORDER BY rev DESC LIMIT ?2) ORDER BY rev",
			       -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ss->wdb,
					"SELECT value FROM log WHERE key = ?1 AND rev < ?2"
					" ORDER BY rev DESC LIMIT 1",
					-1, &pst, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, ss->compacted);
	sqlite3_bind_int64(st, 2, size ? (int64_t)size : 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rev = sqlite3_column_int64(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *value = (const char *)sqlite3_column_text(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2), plen;
		const char *prev = prev_value(pst, key, rev, &plen);

		if (!ss->base.wc)
			ss->base.wc = watch_cache_new(size, rev - 1);
		watch_cache_publish(ss->base.wc, (enum watch_event_type)sqlite3_column_int(st, 3),
				    rev, key, value, len, prev, plen);
	}
	rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(pst);
	if (!ss->base.wc)
		ss->base.wc = watch_cache_new(size, ss->rev);
	watch_cache_compact(ss->base.wc, ss->compacted);
	return rc;
}

/* Creates the schema, checks the journal mode, reads the revisions, fills the cache. */
static int setup(struct sqlite_store *ss, size_t watch_cache_size, char **err)
{
	int64_t wal = 0;
	int rc;

	rc = sqlite3_exec(ss->wdb, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = query_int(ss->wdb, "SELECT journal_mode = 'wal' FROM pragma_journal_mode",
			       &wal);
	if (rc == SQLITE_OK && !wal) {
		if (err)
			*err = xasprintf("sqlite %s: the WAL journal is not available", ss->path);
		return -EIO;
	}
	if (rc == SQLITE_OK)
		rc = query_int(ss->wdb, "SELECT value FROM meta WHERE name = 'rev'", &ss->rev);
	if (rc == SQLITE_OK)
		rc = query_int(ss->wdb, "SELECT value FROM meta WHERE name = 'compacted'",
			       &ss->compacted);
	if (rc == SQLITE_OK)
		rc = load_events(ss, watch_cache_size);
	if (rc != SQLITE_OK) {
		if (err)
			*err = xasprintf("sqlite %s: %s", ss->path, sqlite3_errmsg(ss->wdb));
		return (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
	}
	return prepare(ss->wdb, wsql, ss->w, W_NSTMT, err);
}

/* Frees everything; the caller guarantees no operation is running. */
static void sq_close(struct store *s)
{
	struct sqlite_store *ss = to_ss(s);

	while (ss->readers) {
		struct reader *r = ss->readers;

		ss->readers = r->next;
		reader_free(r);
	}
	finalize(ss->w, W_NSTMT);
	sqlite3_close_v2(ss->wdb);
	store_base_destroy(&ss->base);
	pthread_mutex_destroy(&ss->qmu);
	pthread_cond_destroy(&ss->qcond);
	pthread_mutex_destroy(&ss->rmu);
	pthread_cond_destroy(&ss->rcond);
	free(ss->path);
	free(ss);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .create = sq_create,
    .update = sq_update,
    .delete = sq_delete,
    .get = sq_get,
    .range = sq_range,
    .count = sq_count,
    .current_rev = sq_current_rev,
    .compact = sq_compact,
};

/* See store.h. dir is created when missing; the store is freed by store_close. */
int store_open_sqlite(const char *dir, size_t watch_cache_size, struct store **out, char **err)
{
	struct sqlite_store *ss;
	int rc;

	*out = NULL;
	if (err)
		*err = NULL;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = -errno;
		if (err)
			*err = xasprintf("mkdir %s: %s", dir, strerror(errno));
		return rc;
	}
	ss = xcalloc(1, sizeof(*ss));
	store_base_init(&ss->base, &sqlite_ops);
	pthread_mutex_init(&ss->qmu, NULL);
	pthread_cond_init(&ss->qcond, NULL);
	pthread_mutex_init(&ss->rmu, NULL);
	pthread_cond_init(&ss->rcond, NULL);
	ss->qtail = &ss->qhead;
	ss->path = xasprintf("%s/svcnet.db", dir);
	rc = open_conn(ss->path, true, &ss->wdb, err);
	if (rc == 0)
		rc = setup(ss, watch_cache_size, err);
	if (rc) {
		sq_close(&ss->base);
		return rc;
	}
	log_info("store", "sqlite %s: revision %lld, compacted %lld", ss->path, (long long)ss->rev,
		 (long long)ss->compacted);
	*out = &ss->base;
	return 0;
}
