/*
 * store_agent.c - the agents table: registered agents, their names and
 * signatures.
 */
#include "store_private.h"

#include "casemail/store_agent.h"

static const struct record_field store_agent_strings[] = {
	RECORD_COLUMN(struct store_agent, address, 0),
	RECORD_COLUMN(struct store_agent, name, 1),
	RECORD_COLUMN(struct store_agent, signature, 2),
};

#define STORE_AGENT_COLUMNS \
	"address, name, signature, disabled, created_at, updated_at"

static void
store_agent_destroy(gpointer a)
{
	record_free(a, store_agent_strings, G_N_ELEMENTS(store_agent_strings));
}

void
store_agent_free(struct store_agent **a)
{
	record_clear(a, store_agent_strings, G_N_ELEMENTS(store_agent_strings));
}

static struct store_agent *
store_agent_read(sqlite3_stmt *st)
{
	struct store_agent *a = g_new0(struct store_agent, 1);

	store_cols_text(st, a, store_agent_strings,
			G_N_ELEMENTS(store_agent_strings));
	a->disabled = sqlite3_column_int(st, 3) != 0;
	a->created_at = sqlite3_column_int64(st, 4);
	a->updated_at = sqlite3_column_int64(st, 5);
	return a;
}

int
store_agent_add(struct store *s, const struct store_agent *a, int64_t now,
		struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO agents(address, name, signature, created_at,"
		" updated_at) VALUES (lower(?1), ?2, ?3, ?4, ?4)"
		" ON CONFLICT(address) DO NOTHING";
	const struct store_arg args[] = {
		STORE_TEXT(a->address), STORE_TEXT(a->name),
		STORE_TEXT(a->signature), STORE_INT(now),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "add agent", err);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cm_error_set(err, CM_EREFUSED, "agent %s is registered "
				  "already (see casectl agent set)",
				  a->address);
	return rc;
}

int
store_agent_update(struct store *s, const char *address, const char *name,
		   const char *signature, int disabled, int64_t now,
		   struct cm_error *err)
{
	/* ?3 NULL keeps the signature; '' clears it. */
	static const char sql[] =
		"UPDATE agents SET name = coalesce(?2, name),"
		" signature = CASE WHEN ?3 IS NULL THEN signature"
		"  WHEN ?3 = '' THEN NULL ELSE ?3 END,"
		" disabled = CASE WHEN ?4 < 0 THEN disabled ELSE ?4 END,"
		" updated_at = ?5 WHERE address = ?1";
	const struct store_arg args[] = {
		STORE_TEXT(address), STORE_TEXT(name), STORE_TEXT(signature),
		STORE_INT(disabled), STORE_INT(now),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "change agent", err);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cm_error_set(err, CM_ENOTFOUND, "no agent %s (see casectl "
				  "agent list)", address);
	return rc;
}

int
store_agent_remove(struct store *s, const char *address, struct cm_error *err)
{
	static const char sql[] = "DELETE FROM agents WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address) };
	int rc = store_run(s, sql, STORE_ARGS(args), "remove agent", err);

	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cm_error_set(err, CM_ENOTFOUND, "no agent %s (see casectl "
				  "agent list)", address);
	return rc;
}

int
store_agent_get(struct store *s, const char *address, struct store_agent **a_r,
		struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_AGENT_COLUMNS " FROM agents WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address) };
	sqlite3_stmt *st;
	int rc;

	*a_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "find agent", &st, err,
			     "no agent %s", address);
	if (rc != 0)
		return rc;
	*a_r = store_agent_read(st);
	sqlite3_reset(st);
	return 0;
}

static int
store_agent_row(sqlite3_stmt *st, void *list, struct cm_error *err)
{
	(void)err;
	g_ptr_array_add(list, store_agent_read(st));
	return 0;
}

int
store_agent_list(struct store *s, GPtrArray **list_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_AGENT_COLUMNS " FROM agents ORDER BY address";
	GPtrArray *list = g_ptr_array_new_with_free_func(store_agent_destroy);
	int rc = store_query_rows(s, sql, NULL, 0, "list agents",
				  store_agent_row, list, err);

	if (rc != 0) {
		g_ptr_array_unref(list);
		list = NULL;
	}
	*list_r = list;
	return rc;
}

int
store_agent_count(struct store *s, int64_t *n_r, struct cm_error *err)
{
	static const char sql[] = "SELECT count(*) FROM agents";
	sqlite3_stmt *st;
	int rc;

	*n_r = 0;
	if ((rc = store_query(s, sql, NULL, 0, &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "count agents", n_r, 1, err);
	return rc < 0 ? rc : 0;
}
