/*
 * store_sla.c - the service levels' reads and writes (see store_sla.h).
 */
#include "store_private.h"

#include "casemail/store_sla.h"

static void
store_sla_event_clear(gpointer p)
{
	g_free(((struct store_sla_event *)p)->value);
}

GArray *
store_sla_events_new(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct store_sla_event));

	g_array_set_clear_func(a, store_sla_event_clear);
	return a;
}

void
store_sla_case_free(struct store_sla_case **cp)
{
	struct store_sla_case *c = cp != NULL ? g_steal_pointer(cp) : NULL;

	if (c == NULL)
		return;
	g_free(c->type);
	g_free(c->priority);
	g_free(c->waiting_on);
	if (c->events != NULL)
		g_array_unref(c->events);
	g_free(c);
}

/* A store_row_cb: columns at, what, new_value into a GArray of events. */
static int
store_sla_read_event(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	struct store_sla_event e;

	(void)err;
	e.at = sqlite3_column_int64(st, 0);
	e.waiting = g_strcmp0((const char *)sqlite3_column_text(st, 1),
			      "waiting") == 0;
	e.value = store_col_text(st, 2);
	g_array_append_val((GArray *)ctx, e);
	return 0;
}

int
store_sla_case_get(struct store *s, int64_t id, struct store_sla_case **c_r,
		   struct cm_error *err)
{
	static const char sql[] =
		"SELECT type, priority, status, created_at, first_response_at,"
		" solved_at, waiting_on FROM cases WHERE id = ?1";
	/* The partial index events_sla serves exactly this WHERE. */
	static const char ev_sql[] =
		"SELECT at, what, new_value FROM events WHERE case_id = ?1"
		" AND what IN ('waiting', 'status') ORDER BY at, id";
	struct store_arg args[] = { STORE_INT(id) };
	struct store_sla_case *c;
	sqlite3_stmt *st;
	int rc, status;

	*c_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "load case clock", &st,
			     err, "no case %lld", (long long)id);
	if (rc != 0)
		return rc;
	status = store_col_word(st, 2, &store_case_statuses, err);
	if (status < 0) {
		sqlite3_reset(st);
		return status;
	}
	c = g_new0(struct store_sla_case, 1);
	c->id = id;
	c->type = store_col_text(st, 0);
	c->priority = store_col_text(st, 1);
	c->status = (enum store_case_status)status;
	c->created_at = sqlite3_column_int64(st, 3);
	c->first_response_at = sqlite3_column_int64(st, 4);
	c->solved_at = sqlite3_column_int64(st, 5);
	c->waiting_on = store_col_text(st, 6);
	sqlite3_reset(st);
	c->events = store_sla_events_new();
	rc = store_query_rows(s, ev_sql, STORE_ARGS(args), "load case clock",
			      store_sla_read_event, c->events, err);
	if (rc != 0) {
		store_sla_case_free(&c);
		return rc;
	}
	*c_r = c;
	return 0;
}

int
store_sla_candidates(struct store *s, int64_t created_before, GArray **ids_r,
		     struct cm_error *err)
{
	static const char sql[] =
		"SELECT c.id FROM cases c WHERE c.status = 'active'"
		" AND c.created_at <= ?1 AND NOT EXISTS (SELECT 1 FROM"
		" sla_warnings w WHERE w.case_id = c.id AND w.target ="
		" 'resolution' AND w.stage = 'at') ORDER BY c.created_at, c.id";
	struct store_arg args[] = { STORE_INT(created_before) };
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int rc = store_query_rows(s, sql, STORE_ARGS(args), "list sla cases",
				  store_row_id, ids, err);

	if (rc != 0) {
		g_array_unref(ids);
		ids = NULL;
	}
	*ids_r = ids;
	return rc;
}

int
store_sla_warning_add(struct store *s, int64_t case_id, const char *target,
		      const char *stage, int64_t due, int64_t now,
		      int *added_r, struct cm_error *err)
{
	static const char sql[] =
		/* Not OR IGNORE: that would swallow a CHECK failure too. */
		"INSERT INTO sla_warnings (case_id, target, stage, due_at,"
		" sent_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (case_id, target, stage) DO NOTHING";
	struct store_arg args[] = {
		STORE_INT(case_id), STORE_TEXT(target), STORE_TEXT(stage),
		STORE_INT(due), STORE_INT(now),
	};
	int rc;

	*added_r = 0;
	rc = store_run(s, sql, STORE_ARGS(args), "record sla warning", err);
	if (rc == 0)
		*added_r = sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_sla_warned(struct store *s, int64_t case_id, const char *target,
		 const char *stage, int *found_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM sla_warnings WHERE case_id = ?1"
		" AND target = ?2 AND stage = ?3";
	struct store_arg args[] = {
		STORE_INT(case_id), STORE_TEXT(target), STORE_TEXT(stage),
	};
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	*found_r = 0;
	rc = store_query(s, sql, STORE_ARGS(args), &st, err);
	if (rc == 0)
		rc = store_read_int64(s, st, "read sla warning", &n, 1, err);
	*found_r = n > 0;
	return rc < 0 ? rc : 0;
}

/* A store_row_cb: case_id, at, what, new_value into the hash. */
static int
store_sla_read_case_event(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	GHashTable *h = ctx;
	int64_t id = sqlite3_column_int64(st, 0);
	GArray *a = g_hash_table_lookup(h, &id);
	struct store_sla_event e;

	(void)err;
	if (a == NULL) {
		a = store_sla_events_new();
		g_hash_table_insert(h, g_memdup2(&id, sizeof(id)), a);
	}
	e.at = sqlite3_column_int64(st, 1);
	e.waiting = g_strcmp0((const char *)sqlite3_column_text(st, 2),
			      "waiting") == 0;
	e.value = store_col_text(st, 3);
	g_array_append_val(a, e);
	return 0;
}

int
store_sla_events_created(struct store *s, int64_t from, int64_t to,
			 GHashTable **events_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT e.case_id, e.at, e.what, e.new_value FROM cases c"
		" JOIN events e ON e.case_id = c.id"
		" AND e.what IN ('waiting', 'status')"
		" WHERE c.created_at >= ?1 AND c.created_at < ?2"
		" ORDER BY e.case_id, e.at, e.id";
	struct store_arg args[] = { STORE_INT(from), STORE_INT(to) };
	GHashTable *h = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					      g_free,
					      (GDestroyNotify)g_array_unref);
	int rc = store_query_rows(s, sql, STORE_ARGS(args), "load case clocks",
				  store_sla_read_case_event, h, err);

	if (rc != 0) {
		g_hash_table_unref(h);
		h = NULL;
	}
	*events_r = h;
	return rc;
}
