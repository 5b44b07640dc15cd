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

/*
 * Migrations: entry i takes the schema from version i to i + 1.  Never edit
 * a migration that has shipped; add a new one.
 */
static const char *const store_migrations[] = {
	/* 0 -> 1: the case store. */
	"CREATE TABLE people ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT,"
	"  organization TEXT,"
	"  side TEXT CHECK (side IN ('shipper','carrier','internal')),"
	"  bouncing INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	/* AUTOINCREMENT: a case number is never reused, even after a
	 * delete or a rolled-back transaction that had taken the top id. */
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL CHECK (kind IN ('client','driver')),"
	"  type TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active','solved')),"
	"  priority TEXT NOT NULL"
	"    CHECK (priority IN ('low','normal','high','urgent')),"
	"  follow_up INTEGER,"
	"  shipment TEXT,"
	"  crm_shipper TEXT,"
	"  crm_carrier TEXT,"
	"  source TEXT NOT NULL CHECK (source IN ('email','user','api','rule')),"
	"  creator TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  solved_at INTEGER,"
	"  last_message_at INTEGER,"
	"  last_message_from TEXT,"
	"  CHECK ((status = 'solved') = (solved_at IS NOT NULL)));"
	"CREATE INDEX cases_status_updated ON cases(status, updated_at);"
	"CREATE INDEX cases_updated ON cases(updated_at);"
	"CREATE INDEX cases_follow_up ON cases(follow_up) WHERE follow_up IS NOT NULL;"
	"CREATE INDEX cases_shipment ON cases(shipment COLLATE NOCASE)"
	"  WHERE shipment IS NOT NULL;"
	"CREATE INDEX cases_last_message ON cases(last_message_at);"
	"CREATE TABLE case_roles ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  person_id INTEGER NOT NULL REFERENCES people(id),"
	"  role TEXT NOT NULL CHECK (role IN ('owner','watcher','participant')),"
	"  side TEXT CHECK (side IN ('shipper','carrier')),"
	"  subscribed INTEGER NOT NULL DEFAULT 1,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, person_id, role),"
	"  CHECK ((role = 'owner') = (side IS NOT NULL)));"
	/* At most one owner per side: the database enforces it, not only
	 * the code, so no path can ever store a third owner. */
	"CREATE UNIQUE INDEX case_roles_owner_side ON case_roles(case_id, side)"
	"  WHERE role = 'owner';"
	"CREATE INDEX case_roles_person ON case_roles(person_id, role);"
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  stored_size INTEGER NOT NULL,"
	"  compression TEXT,"
	"  created_at INTEGER NOT NULL,"
	/* Raw messages live here (one durable commit covers them);
	 * attachments are files under [store] attachments (data NULL). */
	"  data BLOB);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in','out','internal')),"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('stored','held','rejected','failed','ignored')),"
	"  reason TEXT,"
	"  decision TEXT,"
	"  size INTEGER,"
	"  author_id INTEGER REFERENCES people(id),"
	"  from_name TEXT,"
	"  from_address TEXT,"
	"  subject TEXT,"
	"  date INTEGER,"
	"  received_at INTEGER NOT NULL,"
	"  in_reply_to TEXT,"
	"  refs TEXT,"
	"  body TEXT,"
	"  body_full TEXT,"
	"  raw_sha256 TEXT REFERENCES blobs(sha256),"
	"  mailbox TEXT,"
	"  uidvalidity INTEGER,"
	"  uid INTEGER,"
	"  UNIQUE (mailbox, uidvalidity, uid));"
	"CREATE INDEX messages_case ON messages(case_id, received_at);"
	"CREATE INDEX messages_state ON messages(state) WHERE state <> 'stored';"
	/* Covering the flood check: counted from the index alone. */
	"CREATE INDEX messages_from ON messages(from_address, received_at,"
	"  direction);"
	"CREATE TABLE message_addresses ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  field TEXT NOT NULL CHECK (field IN ('to','cc','reply-to')),"
	"  position INTEGER NOT NULL,"
	"  name TEXT,"
	"  address TEXT NOT NULL,"
	"  PRIMARY KEY (message_id, field, position));"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  filename TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT REFERENCES blobs(sha256),"
	"  content_id TEXT,"
	"  inline INTEGER NOT NULL DEFAULT 0,"
	"  skipped TEXT,"
	"  UNIQUE (message_id, position));"
	"CREATE INDEX attachments_sha ON attachments(sha256);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT,"
	"  what TEXT NOT NULL,"
	"  old_value TEXT,"
	"  new_value TEXT,"
	"  detail TEXT);"
	"CREATE INDEX events_case ON events(case_id, id);"
	"CREATE TABLE mailbox_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL);"
	/* Full-text search: external-content FTS5 tables kept in step by
	 * triggers, so the index commits or rolls back with the data. */
	"CREATE VIRTUAL TABLE cases_fts USING fts5("
	"  subject, shipment, crm_shipper, crm_carrier,"
	"  content='cases', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN"
	"  INSERT INTO cases_fts(rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES (new.id, new.subject, new.shipment, new.crm_shipper, new.crm_carrier);"
	"END;"
	"CREATE TRIGGER cases_fts_ad AFTER DELETE ON cases BEGIN"
	"  INSERT INTO cases_fts(cases_fts, rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES ('delete', old.id, old.subject, old.shipment, old.crm_shipper, old.crm_carrier);"
	"END;"
	/* UPDATE OF fires whenever the columns are SET, changed or not:
	 * the WHEN keeps every activity bump from rewriting the index. */
	"CREATE TRIGGER cases_fts_au AFTER UPDATE OF subject, shipment, crm_shipper,"
	"  crm_carrier ON cases WHEN old.subject IS NOT new.subject"
	"  OR old.shipment IS NOT new.shipment"
	"  OR old.crm_shipper IS NOT new.crm_shipper"
	"  OR old.crm_carrier IS NOT new.crm_carrier BEGIN"
	"  INSERT INTO cases_fts(cases_fts, rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES ('delete', old.id, old.subject, old.shipment, old.crm_shipper, old.crm_carrier);"
	"  INSERT INTO cases_fts(rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES (new.id, new.subject, new.shipment, new.crm_shipper, new.crm_carrier);"
	"END;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	"  subject, body_full,"
	"  content='messages', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_full ON messages"
	"  WHEN old.subject IS NOT new.subject"
	"  OR old.body_full IS NOT new.body_full BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;",

	/* 2: outbound mail. */
	"ALTER TABLE cases ADD COLUMN waiting_on TEXT;"
	/* Key/value settings kept with the data, e.g. the Message-ID key
	 * when no [case] secret_file is configured. */
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL);"
	/* One row per outgoing mail: the whole RFC 5322 message, queued in
	 * the transaction of the event that caused it. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"            /* notify|template|reply|ack|confirm */
	"  message_id TEXT NOT NULL,"
	"  env_from TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','done')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';"
	"CREATE TABLE outbox_rcpts ("
	"  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent','failed')),"
	"  code INTEGER,"
	"  error TEXT,"
	"  updated_at INTEGER,"
	"  PRIMARY KEY (outbox_id, address));"
	/* Every Message-ID we sent, so a reply that quotes it threads. */
	"CREATE TABLE sent_ids ("
	"  message_id TEXT PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  recipient TEXT,"
	"  sent_at INTEGER NOT NULL);"
	/* Token buckets for notification limits. */
	"CREATE TABLE rate_buckets ("
	"  key TEXT PRIMARY KEY,"
	"  tokens REAL NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	/* When a sender last got an acknowledgement. */
	"CREATE TABLE acks ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  sent_at INTEGER NOT NULL);",

	/*
	 * 3: messages are indexed for search when their transaction
	 * commits, not row by row.  FTS5 writes a new index segment at
	 * every savepoint, and ingest opens one per message: indexing at
	 * insert made the index the biggest cost of storing a mail.  The
	 * insert trigger only notes the row; store_commit() indexes the
	 * noted rows in one statement just before COMMIT, so the index
	 * still commits or rolls back with the data.  A row noted but not
	 * yet indexed has nothing to take out of the index when it changes
	 * or goes.
	 */
	"CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY);"
	"DROP TRIGGER messages_fts_ai;"
	"DROP TRIGGER messages_fts_ad;"
	"DROP TRIGGER messages_fts_au;"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts_pending(id) VALUES (new.id);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  SELECT 'delete', old.id, old.subject, old.body_full"
	"  WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending"
	"                    WHERE id = old.id);"
	"  DELETE FROM messages_fts_pending WHERE id = old.id;"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_full ON messages"
	"  WHEN (old.subject IS NOT new.subject"
	"  OR old.body_full IS NOT new.body_full)"
	"  AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id)"
	"  BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;",
	/*
	 * 3 -> 4: who the sender is, and bounces that expire.  A message
	 * records the verdict on its sender that ingest used (verified or
	 * not, and one line saying by what: a trusted server's
	 * Authentication-Results or our own DKIM check), so agents and
	 * casectl trace can see it.  A person marked bouncing records when,
	 * so the mark can clear itself after a set time; the old mark (no
	 * time) counts as set at migration.
	 */
	"ALTER TABLE messages ADD COLUMN sender_verified INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN sender_verdict TEXT;"
	"ALTER TABLE people ADD COLUMN bounced_at INTEGER;"
	"UPDATE people SET bounced_at = strftime('%s', 'now')"
	"  WHERE bouncing = 1;",
};

int
store_sql_err(struct store *s, int rc, const char *what, struct cm_error *err)
{
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

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
	case SQLITE_FULL:
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
	const int want = (int)G_N_ELEMENTS(store_migrations);
	char sql[64];

	G_STATIC_ASSERT(G_N_ELEMENTS(store_migrations) == STORE_SCHEMA_VERSION);
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
	struct store *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	store_rollback(s);
	if (s->stmts != NULL)
		g_hash_table_destroy(s->stmts);
	if (s->db != NULL)
		sqlite3_close(s->db);
	g_free(s->path);
	g_free(s);
	*sp = NULL;
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
