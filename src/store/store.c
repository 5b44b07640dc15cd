/*
 * store.c - opening the store, pragmas, migrations, transactions, and the
 * statement cache shared by the store_*.c files.
 */
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casemail/log.h"

int
store_sql_err(struct store *s, int rc, const char *what, struct cm_error *err)
{
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	char *where;

	/* A full disk is the same failure wherever it shows (attach.c says
	 * it for ENOSPC): SQLite reports ENOSPC as SQLITE_FULL, and a quota
	 * (EDQUOT) as an I/O error whose system errno tells. */
	if ((rc & 0xff) == SQLITE_FULL ||
	    ((rc & 0xff) == SQLITE_IOERR && s->db != NULL &&
	     cm_errno_is_disk_full(sqlite3_system_errno(s->db)))) {
		where = g_strdup_printf("store: %s: database %s", what, s->path);
		rc = cm_error_disk_full(err, where);
		g_free(where);
		return rc;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return cm_error_set(err, CM_ETEMP,
				    "store: %s: database %s is busy (locked by "
				    "another process for over %d ms)",
				    what, s->path, s->busy_timeout_ms);
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return cm_error_set(err, CM_ESTORE,
				    "store: %s: database %s is read-only (%s)",
				    what, s->path, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return cm_error_set(err, CM_ESTORE,
				    "store: %s: database %s is damaged or not a "
				    "casemail store (%s)", what, s->path, msg);
	case SQLITE_CANTOPEN:
		return cm_error_set(err, CM_ESTORE,
				    "store: %s: cannot open database %s (%s)",
				    what, s->path, msg);
	case SQLITE_IOERR:
		return cm_error_set(err, CM_ESTORE,
				    "store: %s: I/O error on %s (%s)", what,
				    s->path, msg);
	case SQLITE_CONSTRAINT:
		return cm_error_set(err, CM_EREFUSED, "store: %s: %s", what,
				    msg);
	default:
		return cm_error_set(err, CM_ESTORE, "store: %s: %s", what, msg);
	}
}

int
store_stmt(struct store *s, const char *sql, sqlite3_stmt **stmt_r,
	   struct cm_error *err)
{
	sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
	int rc;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(s->db, sql, -1,
					SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return store_sql_err(s, rc, "prepare", err);
		g_hash_table_insert(s->stmts, (gpointer)sql, st);
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	*stmt_r = st;
	return 0;
}

int
store_step_row(struct store *s, sqlite3_stmt *st, const char *what,
	       struct cm_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return STORE_ROW;
	/* The message first: sqlite3_reset() may replace it. */
	rc = rc == SQLITE_DONE ? STORE_DONE : store_sql_err(s, rc, what, err);
	sqlite3_reset(st);
	return rc;
}

int
store_read_rows(struct store *s, sqlite3_stmt *st, const char *what,
		store_row_cb read_row, void *ctx, struct cm_error *err)
{
	int rc;

	while ((rc = store_step_row(s, st, what, err)) == STORE_ROW) {
		if ((rc = read_row(st, ctx, err)) != 0) {
			sqlite3_reset(st);
			break;
		}
	}
	return rc;
}

int
store_query_rows(struct store *s, const char *sql,
		 const struct store_arg *args, size_t n, const char *what,
		 store_row_cb read_row, void *ctx, struct cm_error *err)
{
	sqlite3_stmt *st;
	int rc = store_query(s, sql, args, n, &st, err);

	if (rc == 0)
		rc = store_read_rows(s, st, what, read_row, ctx, err);
	return rc;
}

int
store_row_id(sqlite3_stmt *st, void *ids, struct cm_error *err)
{
	int64_t id = sqlite3_column_int64(st, 0);

	(void)err;
	g_array_append_val((GArray *)ids, id);
	return 0;
}

int
store_read_int64(struct store *s, sqlite3_stmt *st, const char *what,
		 int64_t *v, int n, struct cm_error *err)
{
	int rc = store_step_row(s, st, what, err);

	if (rc != STORE_ROW)
		return rc;
	for (int i = 0; i < n; i++)
		v[i] = sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return STORE_ROW;
}

int
store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
		struct cm_error *err)
{
	int rc = store_step_row(s, st, what, err);

	if (rc == STORE_ROW) {
		sqlite3_reset(st);
		rc = 0;
	}
	return rc;
}

int
store_query(struct store *s, const char *sql, const struct store_arg *args,
	    size_t n, sqlite3_stmt **stmt_r, struct cm_error *err)
{
	int rc = store_stmt(s, sql, stmt_r, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct store_arg *a = &args[i];
		int idx = (int)i + 1;

		if (a->type == STORE_ARG_TEXT)
			store_bind_text(*stmt_r, idx, a->text);
		else if (a->type == STORE_ARG_OPT_INT)
			store_bind_opt_time(*stmt_r, idx, a->num);
		else
			sqlite3_bind_int64(*stmt_r, idx, a->num);
	}
	return rc;
}

int
store_query_row(struct store *s, const char *sql,
		const struct store_arg *args, size_t n, const char *what,
		sqlite3_stmt **stmt_r, struct cm_error *err,
		const char *notfound, ...)
{
	char msg[CM_ERROR_MSG_MAX];
	va_list ap;
	int rc;

	if ((rc = store_query(s, sql, args, n, stmt_r, err)) != 0)
		return rc;
	rc = store_step_row(s, *stmt_r, what, err);
	if (rc != STORE_DONE)
		return rc == STORE_ROW ? 0 : rc;
	va_start(ap, notfound);
	vsnprintf(msg, sizeof(msg), notfound, ap);
	va_end(ap);
	return cm_error_set(err, CM_ENOTFOUND, "%s", msg);
}

int
store_run(struct store *s, const char *sql, const struct store_arg *args,
	  size_t n, const char *what, struct cm_error *err)
{
	sqlite3_stmt *st;
	int rc = store_query(s, sql, args, n, &st, err);

	return rc != 0 ? rc : store_step_done(s, st, what, err);
}

void
store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

void
store_bind_opt_time(sqlite3_stmt *st, int idx, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_int64(st, idx, v);
}

char *
store_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL ? g_strdup((const char *)t) : NULL;
}

void
store_cols_text(sqlite3_stmt *st, void *rec,
		const struct record_field *strings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strings[i].kind != RECORD_KIND_STRING ||
		    strings[i].column == RECORD_NO_COLUMN)
			continue;
		*(char **)((char *)rec + strings[i].offset) =
			store_col_text(st, strings[i].column);
	}
}

/* Run fixed SQL with no parameters (pragmas, migrations, BEGIN/COMMIT). */
static int
store_exec(struct store *s, const char *sql, const char *what,
	   struct cm_error *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_sql_err(s, rc, what, err);
}

/* A pragma whose single-row answer we need to check. */
static int
store_pragma_text(struct store *s, const char *sql, char *out, size_t size,
		  struct cm_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = store_sql_err(s, rc, sql, err);
		sqlite3_finalize(st);
		return rc;
	}
	g_strlcpy(out, (const char *)sqlite3_column_text(st, 0), size);
	sqlite3_finalize(st);
	return 0;
}

int
store_schema_version(struct store *s)
{
	char v[32];

	if (store_pragma_text(s, "PRAGMA user_version", v, sizeof(v), NULL))
		return -1;
	return atoi(v);
}

static int
store_migrate(struct store *s, struct cm_error *err)
{
	int have = store_schema_version(s);
	const int want = STORE_SCHEMA_VERSION;
	char sql[64];

	if (have < 0)
		return store_pragma_text(s, "PRAGMA user_version", sql,
					 sizeof(sql), err);
	if (have > want)
		return cm_error_set(err, CM_ESTORE,
				    "store: database %s has schema version %d, "
				    "newer than this casemail (%d): refusing "
				    "to touch it", s->path, have, want);
	for (int v = have; v < want; v++) {
		int rc = store_begin(s, err);

		/* Another process may have migrated while we waited for the
		 * write lock (two programs opening a new store at once). */
		if (rc == 0 && store_schema_version(s) > v) {
			rc = store_commit(s, err);
			if (rc != 0) {
				store_rollback(s);
				return rc;
			}
			continue;
		}
		if (rc == 0)
			rc = store_exec(s, store_migrations[v], "migration",
					err);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (rc == 0)
			rc = store_exec(s, sql, "migration", err);
		if (rc == 0)
			rc = store_commit(s, err);
		if (rc != 0) {
			store_rollback(s);
			return rc;
		}
		log_debug("store: %s migrated to schema version %d", s->path,
			  v + 1);
	}
	return 0;
}

/* The "recent" view asks SQL whether an address is one of ours. */
static void
store_fn_is_org(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct config *cfg = sqlite3_user_data(ctx);
	const unsigned char *addr = sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, cfg != NULL && addr != NULL &&
			   config_is_org_address(cfg, (const char *)addr));
}

static int
store_check_dir(const char *path, struct cm_error *err)
{
	char *dir = g_path_get_dirname(path);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) != 0)
		rc = cm_error_set(err, CM_ESTORE,
				  "store: directory %s of database %s: %s", dir,
				  path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = cm_error_set(err, CM_ESTORE,
				  "store: %s (directory of database %s) is not "
				  "a directory", dir, path);
	g_free(dir);
	return rc;
}

/*
 * Create a missing database file ourselves, mode 0600, so that it is
 * private whatever the caller's umask: SQLite would make it 0644 less the
 * umask, and it gives the -wal and -shm files the database file's mode.
 * An existing file keeps the mode its owner gave it.
 */
static int
store_create_private(const char *path, struct cm_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == EEXIST ? 0
			: cm_error_set(err, CM_ESTORE, "store: cannot create "
				       "database %s: %s", path,
				       strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		return cm_error_set(err, CM_ESTORE, "store: chmod %s: %s",
				    path, strerror(errno));
	}
	close(fd);
	return 0;
}

static int
store_setup(struct store *s, struct cm_error *err)
{
	char mode[16];
	int rc;

	sqlite3_busy_timeout(s->db, s->busy_timeout_ms);
	sqlite3_extended_result_codes(s->db, 1);
	rc = store_exec(s, "PRAGMA foreign_keys = ON", "open", err);
	/* journal_mode is the first statement that reads the file: a
	 * damaged, foreign or read-only file fails here. */
	if (rc == 0)
		rc = store_pragma_text(s, "PRAGMA journal_mode = WAL", mode,
				       sizeof(mode), err);
	if (rc == 0 && g_ascii_strcasecmp(mode, "wal") != 0)
		rc = cm_error_set(err, CM_ESTORE,
				  "store: database %s cannot use WAL mode "
				  "(journal mode is %s)", s->path, mode);
	/* FULL: with WAL + NORMAL a commit may roll back after power loss,
	 * and we act on commits (IMAP moves, sent mail). */
	if (rc == 0)
		rc = store_exec(s, "PRAGMA synchronous = FULL", "open", err);
	/* Savepoint journals (one per ingested message) in memory: they
	 * never need to survive a crash, the WAL does that. */
	if (rc == 0)
		rc = store_exec(s, "PRAGMA temp_store = MEMORY", "open", err);
	/*
	 * Checkpoint every 10,000 pages (40 MiB of WAL) instead of 1,000:
	 * ingest dirties index pages all over the file, and each page is
	 * copied into the database once per checkpoint however often it
	 * changed meanwhile (-10% ingest time at 30,000 mails).  The WAL
	 * file is cut back to 64 MiB after a checkpoint.
	 */
	if (rc == 0)
		rc = store_exec(s, "PRAGMA wal_autocheckpoint = 10000", "open",
				err);
	if (rc == 0)
		rc = store_exec(s, "PRAGMA journal_size_limit = 67108864", "open",
				err);
	if (rc == 0 && sqlite3_create_function(s->db, "cm_is_org", 1,
			SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)s->cfg,
			store_fn_is_org, NULL, NULL) != SQLITE_OK)
		rc = store_sql_err(s, sqlite3_errcode(s->db), "open", err);
	if (rc == 0)
		rc = store_migrate(s, err);
	s->migrated = rc == 0;
	/* A write probe: a read-only file must say so now, clearly. */
	if (rc == 0)
		rc = store_begin(s, err);
	if (rc == 0)
		rc = store_commit(s, err);
	return rc;
}

static void
store_stmt_free(gpointer st)
{
	sqlite3_finalize(st);
}

int
store_open(const char *path, const struct store_options *opt,
	   struct store **store_r, struct cm_error *err)
{
	struct store *s;
	int rc;

	*store_r = NULL;
	rc = store_check_dir(path, err);
	if (rc == 0)
		rc = store_create_private(path, err);
	if (rc != 0)
		return rc;
	s = g_new0(struct store, 1);
	s->path = g_strdup(path);
	s->cfg = opt != NULL ? opt->cfg : NULL;
	s->busy_timeout_ms = opt != NULL ? opt->busy_timeout_ms : 5000;
	s->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					 store_stmt_free);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		rc = store_sql_err(s, rc, "open", err);
	else
		rc = store_setup(s, err);
	if (rc != 0) {
		store_close(&s);
		return rc;
	}
	*store_r = s;
	return 0;
}

void
store_close(struct store **sp)
{
	struct store *s = sp != NULL ? g_steal_pointer(sp) : NULL;

	if (s == NULL)
		return;
	store_rollback(s);
	if (s->stmts != NULL)
		g_hash_table_destroy(s->stmts);
	if (s->db != NULL)
		sqlite3_close(s->db);
	g_free(s->path);
	g_free(s);
}

int
store_begin(struct store *s, struct cm_error *err)
{
	int rc;

	if (s->in_tx)
		return cm_error_set(err, CM_EINTERNAL,
				    "store: transaction already open");
	rc = store_exec(s, "BEGIN IMMEDIATE", "begin", err);
	if (rc == 0)
		s->in_tx = 1;
	return rc;
}

/* Index the messages this transaction added (see migration 3). */
static int
store_fts_flush(struct store *s, struct cm_error *err)
{
	int rc;

	if (!s->migrated)   /* a migration's own commit: no such table yet */
		return 0;
	rc = store_run(s, "INSERT INTO messages_fts(rowid, subject, body_full)"
		       " SELECT m.id, m.subject, m.body_full"
		       " FROM messages_fts_pending p"
		       " JOIN messages m ON m.id = p.id ORDER BY p.id",
		       NULL, 0, "search index", err);
	if (rc == 0)
		rc = store_run(s, "DELETE FROM messages_fts_pending", NULL, 0,
			       "search index", err);
	return rc;
}

int
store_commit(struct store *s, struct cm_error *err)
{
	int rc;

	if (!s->in_tx)
		return cm_error_set(err, CM_EINTERNAL,
				    "store: commit without a transaction");
	if ((rc = store_fts_flush(s, err)) != 0)
		return rc;
	rc = store_exec(s, "COMMIT", "commit", err);
	if (rc == 0)
		s->in_tx = 0;
	return rc;
}

int
store_in_transaction(const struct store *s)
{
	return s != NULL && s->in_tx;
}

void
store_rollback(struct store *s)
{
	if (s == NULL || !s->in_tx)
		return;
	/* ROLLBACK can fail only if SQLite already rolled back for us
	 * (e.g. after SQLITE_FULL); either way the transaction is gone. */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
}

int
store_savepoint(struct store *s, struct cm_error *err)
{
	return store_exec(s, "SAVEPOINT one_message", "savepoint", err);
}

int
store_savepoint_release(struct store *s, struct cm_error *err)
{
	return store_exec(s, "RELEASE one_message", "release", err);
}

void
store_savepoint_rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK TO one_message; RELEASE one_message",
		     NULL, NULL, NULL);
}
