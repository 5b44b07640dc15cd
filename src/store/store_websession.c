/*
 * store_websession.c - the web_sessions table (store_websession.h).
 */
#include "store_private.h"

#include "casemail/store_websession.h"

static const struct record_field store_websession_strings[] = {
	RECORD_COLUMN(struct store_websession, id_hash, 0),
	RECORD_COLUMN(struct store_websession, agent, 1),
	RECORD_COLUMN(struct store_websession, csrf, 2),
};

void
store_websession_free(struct store_websession **ws)
{
	record_clear(ws, store_websession_strings,
		     G_N_ELEMENTS(store_websession_strings));
}

int
store_websession_add(struct store *s, const struct store_websession *ws,
		     struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO web_sessions(id_hash, agent, csrf, created_at,"
		" expires_at) VALUES (?1, lower(?2), ?3, ?4, ?5)";
	const struct store_arg args[] = {
		STORE_TEXT(ws->id_hash), STORE_TEXT(ws->agent),
		STORE_TEXT(ws->csrf), STORE_INT(ws->created_at),
		STORE_INT(ws->expires_at),
	};

	return store_run(s, sql, STORE_ARGS(args), "add web session", err);
}

int
store_websession_get(struct store *s, const char *id_hash, int64_t now,
		     struct store_websession **ws_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT id_hash, agent, csrf, created_at, expires_at"
		" FROM web_sessions WHERE id_hash = ?1 AND expires_at > ?2";
	const struct store_arg args[] = { STORE_TEXT(id_hash), STORE_INT(now) };
	struct store_websession *ws;
	sqlite3_stmt *st;
	int rc;

	*ws_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "find web session", &st,
			     err, "no such session");
	if (rc != 0)
		return rc;
	ws = g_new0(struct store_websession, 1);
	store_cols_text(st, ws, store_websession_strings,
			G_N_ELEMENTS(store_websession_strings));
	ws->created_at = sqlite3_column_int64(st, 3);
	ws->expires_at = sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	*ws_r = ws;
	return 0;
}

int
store_websession_delete(struct store *s, const char *id_hash,
			struct cm_error *err)
{
	static const char sql[] = "DELETE FROM web_sessions WHERE id_hash = ?1";
	const struct store_arg args[] = { STORE_TEXT(id_hash) };

	return store_run(s, sql, STORE_ARGS(args), "end web session", err);
}

int
store_websession_purge(struct store *s, int64_t now, int *n_r,
		       struct cm_error *err)
{
	static const char sql[] =
		"DELETE FROM web_sessions WHERE expires_at <= ?1";
	const struct store_arg args[] = { STORE_INT(now) };
	int rc = store_run(s, sql, STORE_ARGS(args), "purge web sessions",
			   err);

	if (n_r != NULL)
		*n_r = rc == 0 ? sqlite3_changes(s->db) : 0;
	return rc;
}
