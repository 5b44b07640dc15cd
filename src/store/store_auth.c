/*
 * store_auth.c - agents' password hashes and the API's clients (see
 * store_auth.h).
 */
#include "store_private.h"

#include "casemail/store_auth.h"

int
store_agent_set_password_hash(struct store *s, const char *address,
			      const char *hash, int64_t now,
			      struct cm_error *err)
{
	static const char sql[] =
		"UPDATE agents SET password_hash = ?2, updated_at = ?3"
		" WHERE address = lower(?1)";
	const struct store_arg args[] = {
		STORE_TEXT(address), STORE_TEXT(hash), STORE_INT(now),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "set password", err);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cm_error_set(err, CM_ENOTFOUND, "no agent %s (see casectl "
				  "agent list)", address);
	return rc;
}

int
store_agent_password_hash(struct store *s, const char *address,
			  char **hash_r, int *disabled_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT password_hash, disabled FROM agents"
		" WHERE address = lower(?1)";
	const struct store_arg args[] = { STORE_TEXT(address) };
	sqlite3_stmt *st;
	int rc;

	*hash_r = NULL;
	*disabled_r = 0;
	rc = store_query_row(s, sql, STORE_ARGS(args), "read password", &st,
			     err, "no agent %s", address);
	if (rc != 0)
		return rc;
	*hash_r = store_col_text(st, 0);
	*disabled_r = sqlite3_column_int(st, 1) != 0;
	sqlite3_reset(st);
	return 0;
}

static const struct record_field store_apiclient_strings[] = {
	RECORD_COLUMN(struct store_apiclient, name, 0),
	RECORD_COLUMN(struct store_apiclient, agent, 1),
};

#define STORE_APICLIENT_COLUMNS \
	"name, agent, created_at, revoked_at, last_used_at"

static void
store_apiclient_destroy(gpointer c)
{
	record_free(c, store_apiclient_strings,
		    G_N_ELEMENTS(store_apiclient_strings));
}

void
store_apiclient_free(struct store_apiclient **c)
{
	record_clear(c, store_apiclient_strings,
		     G_N_ELEMENTS(store_apiclient_strings));
}

static struct store_apiclient *
store_apiclient_read(sqlite3_stmt *st)
{
	struct store_apiclient *c = g_new0(struct store_apiclient, 1);

	store_cols_text(st, c, store_apiclient_strings,
			G_N_ELEMENTS(store_apiclient_strings));
	c->created_at = sqlite3_column_int64(st, 2);
	c->revoked_at = sqlite3_column_int64(st, 3);
	c->last_used_at = sqlite3_column_int64(st, 4);
	return c;
}

int
store_apiclient_add(struct store *s, const char *name, const char *token_hash,
		    const char *agent, int64_t now, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO api_clients(name, token_hash, agent, created_at)"
		" VALUES (?1, ?2, lower(?3), ?4) ON CONFLICT(name) DO NOTHING";
	const struct store_arg args[] = {
		STORE_TEXT(name), STORE_TEXT(token_hash), STORE_TEXT(agent),
		STORE_INT(now),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "add API client", err);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cm_error_set(err, CM_EREFUSED, "API client %s exists "
				  "already (names are not reused, even after "
				  "a revoke)", name);
	return rc;
}

int
store_apiclient_revoke(struct store *s, const char *name, int64_t now,
		       struct cm_error *err)
{
	static const char sql[] =
		"UPDATE api_clients SET revoked_at = ?2"
		" WHERE name = ?1 AND revoked_at IS NULL";
	static const char sql_known[] =
		"SELECT 1 FROM api_clients WHERE name = ?1";
	const struct store_arg args[] = { STORE_TEXT(name), STORE_INT(now) };
	sqlite3_stmt *st;
	int rc = store_run(s, sql, STORE_ARGS(args), "revoke API client", err);

	if (rc != 0 || sqlite3_changes(s->db) != 0)
		return rc;
	/* Nothing changed: the name is unknown, or revoked already. */
	rc = store_query_row(s, sql_known, args, 1, "find API client", &st,
			     err, "no API client %s (see casectl api-client "
			     "list)", name);
	if (rc != 0)
		return rc;
	sqlite3_reset(st);
	return cm_error_set(err, CM_EREFUSED, "API client %s is revoked "
			    "already", name);
}

int
store_apiclient_use(struct store *s, const char *token_hash, int64_t now,
		    struct store_apiclient **c_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_APICLIENT_COLUMNS " FROM api_clients"
		" WHERE token_hash = ?1 AND revoked_at IS NULL";
	static const char sql_used[] =
		"UPDATE api_clients SET last_used_at = ?2 WHERE name = ?1";
	const struct store_arg args[] = { STORE_TEXT(token_hash) };
	sqlite3_stmt *st;
	int rc;

	*c_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "check API token", &st,
			     err, "no API client has this token");
	if (rc != 0)
		return rc;
	*c_r = store_apiclient_read(st);
	sqlite3_reset(st);
	/* A write per request would make every read a writer: the last
	 * use is kept to the minute. */
	if (now - (*c_r)->last_used_at >= STORE_APICLIENT_USE_STEP_SECS) {
		const struct store_arg used[] = {
			STORE_TEXT((*c_r)->name), STORE_INT(now),
		};

		rc = store_run(s, sql_used, STORE_ARGS(used), "note API use",
			       err);
		if (rc == 0)
			(*c_r)->last_used_at = now;
		else
			store_apiclient_free(c_r);
	}
	return rc;
}

static int
store_apiclient_row(sqlite3_stmt *st, void *list, struct cm_error *err)
{
	(void)err;
	g_ptr_array_add(list, store_apiclient_read(st));
	return 0;
}

int
store_apiclient_list(struct store *s, GPtrArray **list_r,
		     struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_APICLIENT_COLUMNS " FROM api_clients"
		" ORDER BY name";

	return store_rows_ptr(s, sql, NULL, 0, "list API clients",
			      store_apiclient_row, store_apiclient_destroy,
			      list_r, err);
}
