/*
 * store_fetch.c - fetch_attempts: how often each message of an IMAP
 * mailbox was taken into the pipeline without a committed outcome (the
 * poison-message guard of fetch.c).
 */
#include "store_private.h"

static int
attempts_row(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	(void)err;
	g_hash_table_insert(ctx,
			    GUINT_TO_POINTER((guint)sqlite3_column_int64(st, 0)),
			    GINT_TO_POINTER(sqlite3_column_int(st, 1)));
	return 0;
}

int
store_attempts_load(struct store *s, const char *mailbox, int64_t uidvalidity,
		    GHashTable *attempts, struct cm_error *err)
{
	static const char sql[] =
		"SELECT uid, attempts FROM fetch_attempts"
		" WHERE mailbox = ?1 AND uidvalidity = ?2 AND attempts > 0";
	const struct store_arg args[] = {
		STORE_TEXT(mailbox), STORE_INT(uidvalidity),
	};

	return store_query_rows(s, sql, STORE_ARGS(args), "load fetch attempts",
				attempts_row, attempts, err);
}

int
store_attempts_add(struct store *s, const char *mailbox, int64_t uidvalidity,
		   const uint32_t *uids, size_t n, int delta, int64_t now,
		   struct cm_error *err)
{
	static const char up[] =
		"INSERT INTO fetch_attempts(mailbox, uidvalidity, uid,"
		"  attempts, last_at) VALUES (?1, ?2, ?3, MAX(?4, 0), ?5)"
		" ON CONFLICT(mailbox, uidvalidity, uid) DO UPDATE"
		" SET attempts = MAX(attempts + ?4, 0),"
		"     last_at = excluded.last_at";
	static const char drop[] =
		"DELETE FROM fetch_attempts WHERE mailbox = ?1"
		" AND uidvalidity = ?2 AND uid = ?3 AND attempts <= 0";
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct store_arg args[] = {
			STORE_TEXT(mailbox), STORE_INT(uidvalidity),
			STORE_INT(uids[i]), STORE_INT(delta), STORE_INT(now),
		};

		rc = store_run(s, up, STORE_ARGS(args), "count fetch attempt",
			       err);
		/* An undo that reaches zero leaves no row behind. */
		if (rc == 0 && delta < 0)
			rc = store_run(s, drop, args, 3, "drop fetch attempt",
				       err);
	}
	return rc;
}

int
store_attempts_clear(struct store *s, const char *mailbox, int64_t uidvalidity,
		     int64_t uid, struct cm_error *err)
{
	static const char sql[] =
		"DELETE FROM fetch_attempts WHERE mailbox = ?1"
		" AND uidvalidity = ?2 AND uid = ?3";
	const struct store_arg args[] = {
		STORE_TEXT(mailbox), STORE_INT(uidvalidity), STORE_INT(uid),
	};

	return store_run(s, sql, STORE_ARGS(args), "clear fetch attempts", err);
}
