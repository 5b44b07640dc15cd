/*
 * store_outbox.c - the durable outbox, sent Message-IDs, notification
 * token buckets, acknowledgements and settings.
 */
#include "store_private.h"

#include <string.h>

/* The fields of a mail, strings with their columns as in STORE_OUTBOX_COLS. */
static const struct record_field store_outbox_fields[] = {
	RECORD_COLUMN(struct store_outbox, kind, 2),
	RECORD_COLUMN(struct store_outbox, message_id, 3),
	RECORD_COLUMN(struct store_outbox, env_from, 4),
	RECORD_COLUMN(struct store_outbox, last_error, 9),
	RECORD_BYTES(struct store_outbox, raw),
	RECORD_PTR_ARRAY(struct store_outbox, rcpts),
};

/* The strings of a recipient, columns as in store_outbox_load_rcpts(). */
static const struct record_field store_outbox_rcpt_strings[] = {
	RECORD_COLUMN(struct store_outbox_rcpt, address, 0),
	RECORD_COLUMN(struct store_outbox_rcpt, error, 3),
};

/* Free a mail (a GDestroyNotify, for store_outbox_list()). */
static void
store_outbox_destroy(gpointer p)
{
	record_free(p, store_outbox_fields, G_N_ELEMENTS(store_outbox_fields));
}

void
store_outbox_free(struct store_outbox **mp)
{
	record_clear(mp, store_outbox_fields,
		     G_N_ELEMENTS(store_outbox_fields));
}

static void
store_outbox_rcpt_free(gpointer p)
{
	record_free(p, store_outbox_rcpt_strings,
		    G_N_ELEMENTS(store_outbox_rcpt_strings));
}

static int
store_outbox_add_rcpt(struct store *s, int64_t id, const char *address,
		      struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO outbox_rcpts(outbox_id, address) VALUES (?1, ?2)"
		" ON CONFLICT DO NOTHING";
	const struct store_arg args[] = { STORE_INT(id), STORE_TEXT(address) };

	return store_run(s, sql, STORE_ARGS(args), "queue recipient", err);
}

static int
store_sent_id_add(struct store *s, const struct store_outbox *m,
		  const char *recipient, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO sent_ids(message_id, case_id, recipient, sent_at)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
	const struct store_arg args[] = {
		STORE_TEXT(m->message_id), STORE_INT(m->case_id),
		STORE_TEXT(recipient), STORE_INT(m->created_at),
	};

	if (m->case_id == 0)
		return 0;
	return store_run(s, sql, STORE_ARGS(args), "remember sent Message-ID",
			 err);
}

int
store_outbox_add(struct store *s, const struct store_outbox *m,
		 const char *const *rcpts, size_t n_rcpts,
		 const char *recipient, int64_t *id_r, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO outbox(case_id, kind, message_id, env_from, raw,"
		" created_at, next_attempt_at, last_error)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
	sqlite3_stmt *st;
	gsize len;
	const void *raw = g_bytes_get_data(m->raw, &len);
	int64_t id;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	if (m->case_id != 0)
		sqlite3_bind_int64(st, 1, m->case_id);
	store_bind_text(st, 2, m->kind);
	store_bind_text(st, 3, m->message_id);
	store_bind_text(st, 4, m->env_from != NULL ? m->env_from : "");
	sqlite3_bind_blob64(st, 5, raw, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->created_at);
	sqlite3_bind_int64(st, 7, m->next_attempt_at);
	store_bind_text(st, 8, m->last_error);
	if ((rc = store_step_done(s, st, "queue mail", err)) != 0)
		return rc;
	id = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; rc == 0 && i < n_rcpts; i++)
		rc = store_outbox_add_rcpt(s, id, rcpts[i], err);
	if (rc == 0)
		rc = store_sent_id_add(s, m, recipient, err);
	if (rc == 0 && id_r != NULL)
		*id_r = id;
	return rc;
}

int
store_outbox_due(struct store *s, int64_t now, int limit, GArray **ids_r,
		 struct cm_error *err)
{
	static const char sql[] =
		"SELECT id FROM outbox WHERE state = 'queued'"
		" AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id"
		" LIMIT ?2";
	const struct store_arg args[] = { STORE_INT(now), STORE_INT(limit) };

	*ids_r = g_array_new(FALSE, FALSE, sizeof(int64_t));
	return store_query_rows(s, sql, STORE_ARGS(args), "due mail",
				store_row_id, *ids_r, err);
}

/* A store_row_cb: a recipient row of store_outbox_load_rcpts() into the
 * mail's rcpts; CM_ESTORE for a state that is none of its words. */
static int
store_outbox_rcpt_row(sqlite3_stmt *st, void *mail, struct cm_error *err)
{
	struct store_outbox *m = mail;
	struct store_outbox_rcpt *r;
	int state = store_col_word(st, 1, &store_rcpt_states, err);

	if (state < 0)
		return state;
	r = g_new0(struct store_outbox_rcpt, 1);
	r->state = state;
	store_cols_text(st, r, store_outbox_rcpt_strings,
			G_N_ELEMENTS(store_outbox_rcpt_strings));
	r->code = sqlite3_column_int(st, 2);
	g_ptr_array_add(m->rcpts, r);
	return 0;
}

static int
store_outbox_load_rcpts(struct store *s, struct store_outbox *m,
			struct cm_error *err)
{
	static const char sql[] =
		"SELECT address, state, code, error FROM outbox_rcpts"
		" WHERE outbox_id = ?1 ORDER BY rowid";
	const struct store_arg args[] = { STORE_INT(m->id) };

	return store_query_rows(s, sql, STORE_ARGS(args), "load recipients",
				store_outbox_rcpt_row, m, err);
}

/* The current row of st as a new mail in *m_r (st is not reset);
 * CM_ESTORE for a state that is none of its words. */
static int
store_outbox_from_row(sqlite3_stmt *st, int with_raw,
		      struct store_outbox **m_r, struct cm_error *err)
{
	struct store_outbox *m;
	int state = store_col_word(st, 5, &store_outbox_states, err);

	if (state < 0)
		return state;
	m = g_new0(struct store_outbox, 1);
	m->state = state;
	m->id = sqlite3_column_int64(st, 0);
	m->case_id = sqlite3_column_int64(st, 1);
	store_cols_text(st, m, store_outbox_fields,
			G_N_ELEMENTS(store_outbox_fields));
	m->attempts = sqlite3_column_int(st, 6);
	m->created_at = sqlite3_column_int64(st, 7);
	m->next_attempt_at = sqlite3_column_int64(st, 8);
	if (with_raw)
		m->raw = g_bytes_new(sqlite3_column_blob(st, 10),
				     (gsize)sqlite3_column_bytes(st, 10));
	m->rcpts = g_ptr_array_new_with_free_func(store_outbox_rcpt_free);
	*m_r = m;
	return 0;
}

#define STORE_OUTBOX_COLS \
	"id, coalesce(case_id, 0), kind, message_id, env_from, state," \
	" attempts, created_at, next_attempt_at, last_error"

int
store_outbox_get(struct store *s, int64_t id, struct store_outbox **m_r,
		 struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_OUTBOX_COLS ", raw FROM outbox WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(id) };
	sqlite3_stmt *st;
	int rc;

	*m_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "load mail", &st, err,
			     "no queued mail %lld", (long long)id);
	if (rc != 0)
		return rc;
	rc = store_outbox_from_row(st, 1, m_r, err);
	sqlite3_reset(st);
	if (rc == 0)
		rc = store_outbox_load_rcpts(s, *m_r, err);
	if (rc != 0)
		store_outbox_free(m_r);
	return rc;
}

int
store_outbox_rcpt_set(struct store *s, int64_t id, const char *address,
		      enum store_rcpt_state state, int code, const char *error,
		      int64_t now, struct cm_error *err)
{
	static const char sql[] =
		"UPDATE outbox_rcpts SET state = ?3, code = ?4, error = ?5,"
		" updated_at = ?6 WHERE outbox_id = ?1 AND address = ?2";
	const struct store_arg args[] = {
		STORE_INT(id), STORE_TEXT(address),
		STORE_TEXT(store_rcpt_state_name(state)),
		STORE_OPT_INT(code), STORE_TEXT(error), STORE_INT(now),
	};

	return store_run(s, sql, STORE_ARGS(args), "record delivery", err);
}

int
store_outbox_after_attempt(struct store *s, int64_t id, int attempts,
			   int64_t next, const char *last_error,
			   const char *owner, struct cm_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET attempts = ?2, next_attempt_at = ?3,"
		" last_error = ?4, state = CASE WHEN EXISTS (SELECT 1 FROM"
		" outbox_rcpts WHERE outbox_id = ?1 AND state = 'pending')"
		" THEN 'queued' ELSE 'done' END,"
		" lease_until = CASE WHEN lease_owner = ?5 THEN NULL"
		" ELSE lease_until END,"
		" lease_owner = CASE WHEN lease_owner = ?5 THEN NULL"
		" ELSE lease_owner END WHERE id = ?1";
	const struct store_arg args[] = {
		STORE_INT(id), STORE_INT(attempts), STORE_INT(next),
		STORE_TEXT(last_error), STORE_TEXT(owner),
	};

	return store_run(s, sql, STORE_ARGS(args), "reschedule mail", err);
}

static gint
store_id_cmp(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
store_outbox_claim(struct store *s, const char *owner, int64_t now,
		   int64_t until, int limit, GArray **ids_r,
		   struct cm_error *err)
{
	/* One statement: atomic against every other sender without a
	 * transaction of our own. */
	static const char sql[] =
		"UPDATE outbox SET lease_owner = ?1, lease_until = ?3,"
		" attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox"
		" WHERE state = 'queued' AND next_attempt_at <= ?2"
		" AND (lease_until IS NULL OR lease_until <= ?2)"
		" ORDER BY next_attempt_at, id LIMIT ?4) RETURNING id";
	const struct store_arg args[] = {
		STORE_TEXT(owner), STORE_INT(now), STORE_INT(until),
		STORE_INT(limit),
	};
	int rc;

	*ids_r = g_array_new(FALSE, FALSE, sizeof(int64_t));
	rc = store_query_rows(s, sql, STORE_ARGS(args), "claim mail",
			      store_row_id, *ids_r, err);
	/* RETURNING gives no order. */
	g_array_sort(*ids_r, store_id_cmp);
	return rc;
}

int
store_outbox_lease_renew(struct store *s, const char *owner, int64_t until,
			 struct cm_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET lease_until = ?2 WHERE lease_owner = ?1"
		" AND state = 'queued'";
	const struct store_arg args[] = { STORE_TEXT(owner), STORE_INT(until) };

	return store_run(s, sql, STORE_ARGS(args), "renew lease", err);
}

static void
store_outbox_lease_free(gpointer p)
{
	struct store_outbox_lease *l = p;

	g_free(l->owner);
	g_free(l);
}

/* A store_row_cb: one owner's leases of store_outbox_leases(). */
static int
store_outbox_lease_row(sqlite3_stmt *st, void *leases, struct cm_error *err)
{
	struct store_outbox_lease *l = g_new0(struct store_outbox_lease, 1);

	(void)err;
	l->owner = store_col_text(st, 0);
	l->mails = sqlite3_column_int64(st, 1);
	l->until = sqlite3_column_int64(st, 2);
	g_ptr_array_add(leases, l);
	return 0;
}

int
store_outbox_leases(struct store *s, const char *owner, GPtrArray **leases_r,
		    struct cm_error *err)
{
	static const char sql[] =
		"SELECT lease_owner, count(*), max(lease_until) FROM outbox"
		" WHERE state = 'queued' AND lease_owner IS NOT NULL"
		" AND lease_owner <> ?1 GROUP BY lease_owner";
	const struct store_arg args[] = { STORE_TEXT(owner) };

	*leases_r = g_ptr_array_new_with_free_func(store_outbox_lease_free);
	return store_query_rows(s, sql, STORE_ARGS(args), "read leases",
				store_outbox_lease_row, *leases_r, err);
}

int
store_outbox_lease_release(struct store *s, const char *owner,
			   struct cm_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET lease_owner = NULL, lease_until = NULL"
		" WHERE lease_owner = ?1 AND state = 'queued'";
	const struct store_arg args[] = { STORE_TEXT(owner) };

	return store_run(s, sql, STORE_ARGS(args), "release lease", err);
}

/* A store_row_cb: a mail of store_outbox_list(), without its raw message,
 * appended to mails. */
static int
store_outbox_list_row(sqlite3_stmt *st, void *mails, struct cm_error *err)
{
	struct store_outbox *m;
	int rc = store_outbox_from_row(st, 0, &m, err);

	if (rc == 0)
		g_ptr_array_add(mails, m);
	return rc;
}

int
store_outbox_list(struct store *s, int limit, GPtrArray **mails_r,
		  struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_OUTBOX_COLS " FROM outbox o WHERE state ="
		" 'queued' OR EXISTS (SELECT 1 FROM outbox_rcpts r WHERE"
		" r.outbox_id = o.id AND r.state = 'failed')"
		" ORDER BY id DESC LIMIT ?1";
	const struct store_arg args[] = { STORE_INT(limit > 0 ? limit : -1) };
	int rc;

	*mails_r = g_ptr_array_new_with_free_func(store_outbox_destroy);
	rc = store_query_rows(s, sql, STORE_ARGS(args), "list outbox",
			      store_outbox_list_row, *mails_r, err);
	if (rc != 0)
		return rc;
	for (guint i = 0; i < (*mails_r)->len; i++)
		if ((rc = store_outbox_load_rcpts(s, (*mails_r)->pdata[i],
						  err)) != 0)
			return rc;
	return 0;
}

int
store_outbox_retry(struct store *s, int64_t id, int64_t now,
		   struct cm_error *err)
{
	static const char rcpts[] =
		"UPDATE outbox_rcpts SET state = 'pending' WHERE outbox_id = ?1"
		" AND state = 'failed'";
	static const char mail[] =
		"UPDATE outbox SET state = 'queued', next_attempt_at = ?2,"
		" created_at = ?2 WHERE id = ?1 AND EXISTS (SELECT 1 FROM"
		" outbox_rcpts WHERE outbox_id = ?1 AND state = 'pending')";
	const struct store_arg args[] = { STORE_INT(id), STORE_INT(now) };
	int rc;

	if ((rc = store_run(s, rcpts, args, 1, "retry recipients", err)) != 0 ||
	    (rc = store_run(s, mail, STORE_ARGS(args), "retry mail", err)) != 0)
		return rc;
	if (sqlite3_changes(s->db) != 1)
		return cm_error_set(err, CM_ENOTFOUND, "no queued or failed "
				    "mail %lld", (long long)id);
	return 0;
}

static void
store_outbox_wait_free(gpointer p)
{
	struct store_outbox_wait *w = p;

	g_free(w->kind);
	g_free(w->reason);
	g_free(w);
}

/* A store_row_cb: one group of store_outbox_waiting(). */
static int
store_outbox_wait_row(sqlite3_stmt *st, void *waits, struct cm_error *err)
{
	struct store_outbox_wait *w = g_new0(struct store_outbox_wait, 1);

	(void)err;
	w->kind = store_col_text(st, 0);
	w->reason = store_col_text(st, 1);
	w->mails = sqlite3_column_int64(st, 2);
	w->until = sqlite3_column_int64(st, 3);
	g_ptr_array_add(waits, w);
	return 0;
}

int
store_outbox_waiting(struct store *s, int64_t case_id, int64_t now,
		     GPtrArray **waits_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT kind, last_error, count(*), max(next_attempt_at)"
		" FROM outbox WHERE case_id = ?1 AND state = 'queued'"
		" AND next_attempt_at > ?2 GROUP BY kind, last_error"
		" ORDER BY kind, last_error";
	const struct store_arg args[] = { STORE_INT(case_id), STORE_INT(now) };

	*waits_r = g_ptr_array_new_with_free_func(store_outbox_wait_free);
	return store_query_rows(s, sql, STORE_ARGS(args), "waiting mail",
				store_outbox_wait_row, *waits_r, err);
}

int
store_outbox_counts(struct store *s, int64_t *queued_r, int64_t *failed_r,
		    struct cm_error *err)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM outbox WHERE state = 'queued'),"
		" (SELECT count(*) FROM outbox_rcpts WHERE state = 'failed')";
	int64_t n[2] = { 0, 0 };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	/* Two count(*)s: there is always the one row. */
	rc = store_read_int64(s, st, "count outbox", n, 2, err);
	*queued_r = n[0];
	*failed_r = n[1];
	return rc < 0 ? rc : 0;
}

/* ---- settings, buckets, acknowledgements, subscriptions -------------- */

int
store_setting_get(struct store *s, const char *key, char **value_r,
		  struct cm_error *err)
{
	static const char sql[] = "SELECT value FROM settings WHERE key = ?1";
	const struct store_arg args[] = { STORE_TEXT(key) };
	sqlite3_stmt *st;
	int rc;

	*value_r = NULL;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	if ((rc = store_step_row(s, st, "read setting", err)) == STORE_ROW) {
		*value_r = store_col_text(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 0;
}

int
store_setting_set(struct store *s, const char *key, const char *value,
		  struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO settings(key, value) VALUES (?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	const struct store_arg args[] = { STORE_TEXT(key), STORE_TEXT(value) };

	return store_run(s, sql, STORE_ARGS(args), "write setting", err);
}

/* The tokens in bucket key at now (capacity when new), its change by
 * take tokens written back in *tokens_r. */
static int
store_rate_update(struct store *s, const char *key, double capacity,
		  double per_hour, int64_t now, int reserve, double *tokens_r,
		  struct cm_error *err)
{
	static const char get[] =
		"SELECT tokens, updated_at FROM rate_buckets WHERE key = ?1";
	static const char put[] =
		"INSERT INTO rate_buckets(key, tokens, updated_at)"
		" VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET"
		" tokens = excluded.tokens, updated_at = excluded.updated_at";
	const struct store_arg args[] = { STORE_TEXT(key) };
	sqlite3_stmt *st;
	double tokens = capacity;
	int rc;

	if ((rc = store_query(s, get, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	if ((rc = store_step_row(s, st, "read rate bucket", err)) < 0)
		return rc;
	if (rc == STORE_ROW) {
		double elapsed = (double)(now - sqlite3_column_int64(st, 1));

		tokens = sqlite3_column_double(st, 0) +
			 (elapsed > 0 ? elapsed * per_hour / 3600.0 : 0);
		if (tokens > capacity)
			tokens = capacity;
		sqlite3_reset(st);
	}
	*tokens_r = tokens;
	if (reserve || tokens >= 1.0)
		tokens -= 1.0;
	if ((rc = store_stmt(s, put, &st, err)) != 0)
		return rc;
	store_bind_text(st, 1, key);
	sqlite3_bind_double(st, 2, tokens);
	sqlite3_bind_int64(st, 3, now);
	return store_step_done(s, st, "write rate bucket", err);
}

int
store_rate_take(struct store *s, const char *key, double capacity,
		double per_hour, int64_t now, int *ok_r, struct cm_error *err)
{
	double tokens = 0;
	int rc = store_rate_update(s, key, capacity, per_hour, now, 0, &tokens,
				   err);

	*ok_r = rc == 0 && tokens >= 1.0;
	return rc;
}

int
store_rate_reserve(struct store *s, const char *key, double capacity,
		   double per_hour, int64_t now, int64_t *wait_r,
		   struct cm_error *err)
{
	double tokens = 0;
	int rc = store_rate_update(s, key, capacity, per_hour, now, 1, &tokens,
				   err);

	*wait_r = rc == 0 && tokens < 1.0 && per_hour > 0
			  ? (int64_t)((1.0 - tokens) * 3600.0 / per_hour + 0.999)
			  : 0;
	return rc;
}

int
store_ack_due(struct store *s, const char *address, int64_t now,
	      int64_t interval, int *due_r, struct cm_error *err)
{
	static const char sql[] = "SELECT sent_at FROM acks WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address) };
	int64_t sent_at;
	sqlite3_stmt *st;
	int rc;

	*due_r = 1;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "read acknowledgements", &sent_at, 1, err);
	if (rc == STORE_ROW)
		*due_r = now - sent_at >= interval;
	return rc < 0 ? rc : 0;
}

int
store_ack_mark(struct store *s, const char *address, int64_t now,
	       struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO acks(address, sent_at) VALUES (?1, ?2)"
		" ON CONFLICT(address) DO UPDATE SET sent_at = excluded.sent_at";
	const struct store_arg args[] = { STORE_TEXT(address), STORE_INT(now) };

	return store_run(s, sql, STORE_ARGS(args), "record acknowledgement",
			 err);
}

int
store_participant_subscribe(struct store *s, int64_t case_id,
			    const char *address, int subscribed,
			    int *changed_r, struct cm_error *err)
{
	static const char sql[] =
		"UPDATE case_roles SET subscribed = ?3 WHERE case_id = ?1"
		" AND role = 'participant' AND subscribed <> ?3 AND person_id ="
		" (SELECT id FROM people WHERE address = ?2)";
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_TEXT(address),
		STORE_INT(subscribed ? 1 : 0),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "subscribe", err);

	*changed_r = rc == 0 && sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_case_of_sent_ids(struct store *s, GPtrArray *message_ids,
		       int64_t *case_id_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT case_id FROM sent_ids WHERE message_id = ?1";

	return store_case_of_ids(s, sql, message_ids, "find sent mail",
				 case_id_r, err);
}

int
store_person_bouncing(struct store *s, const char *address, int64_t after,
		      int *bouncing_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT bouncing <> 0 AND coalesce(bounced_at, 0) >= ?2"
		" FROM people WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address),
					  STORE_INT(after) };
	int64_t bouncing = 0;
	sqlite3_stmt *st;
	int rc;

	*bouncing_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "read person", &bouncing, 1, err);
	*bouncing_r = bouncing != 0;
	return rc < 0 ? rc : 0;
}

int
store_outbox_rcpt_find(struct store *s, int64_t id, const char *address,
		       int *found_r, int64_t *case_id_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT coalesce(o.case_id, 0), EXISTS (SELECT 1 FROM"
		" outbox_rcpts r WHERE r.outbox_id = o.id AND r.address = ?2)"
		" FROM outbox o WHERE o.id = ?1";
	const struct store_arg args[] = { STORE_INT(id), STORE_TEXT(address) };
	int64_t row[2] = { 0, 0 };
	sqlite3_stmt *st;
	int rc;

	*found_r = 0;
	*case_id_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "find recipient", row, 2, err);
	*case_id_r = row[0];
	*found_r = row[1] != 0;
	return rc < 0 ? rc : 0;
}

/* The strings of a digest row and their columns in store_digest_rows(). */
static const struct record_field store_digest_row_strings[] = {
	RECORD_COLUMN(struct store_digest_row, owner, 0),
	RECORD_COLUMN(struct store_digest_row, owner_name, 1),
	RECORD_COLUMN(struct store_digest_row, subject, 3),
};

static void
store_digest_row_free(gpointer p)
{
	record_free(p, store_digest_row_strings,
		    G_N_ELEMENTS(store_digest_row_strings));
}

/* A store_row_cb: a row of store_digest_rows() appended to rows. */
static int
store_digest_row_read(sqlite3_stmt *st, void *rows, struct cm_error *err)
{
	struct store_digest_row *r = g_new0(struct store_digest_row, 1);

	(void)err;
	store_cols_text(st, r, store_digest_row_strings,
			G_N_ELEMENTS(store_digest_row_strings));
	r->case_id = sqlite3_column_int64(st, 2);
	r->follow_up = sqlite3_column_int64(st, 4);
	r->last_activity = sqlite3_column_int64(st, 5);
	r->unowned = sqlite3_column_int(st, 6);
	g_ptr_array_add(rows, r);
	return 0;
}

int
store_digest_rows(struct store *s, int64_t now, int64_t stale_before,
		  GPtrArray **rows_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT p.address, p.name, c.id, c.subject,"
		" coalesce(c.follow_up, 0),"
		" max(c.updated_at, coalesce(c.last_message_at, 0)), 0"
		" FROM cases c JOIN case_roles r ON r.case_id = c.id"
		" AND r.role = 'owner' JOIN people p ON p.id = r.person_id"
		" WHERE c.status = 'active' AND ((c.follow_up IS NOT NULL"
		" AND c.follow_up < ?1) OR max(c.updated_at,"
		" coalesce(c.last_message_at, 0)) < ?2)"
		" ORDER BY p.address, c.id";
	const struct store_arg args[] = { STORE_INT(now),
					  STORE_INT(stale_before) };

	*rows_r = g_ptr_array_new_with_free_func(store_digest_row_free);
	return store_query_rows(s, sql, STORE_ARGS(args), "digest",
				store_digest_row_read, *rows_r, err);
}

int
store_lead_rows(struct store *s, int64_t now, GPtrArray **rows_r,
		struct cm_error *err)
{
	static const char sql[] =
		"SELECT NULL, NULL, c.id, c.subject, coalesce(c.follow_up, 0),"
		" max(c.updated_at, coalesce(c.last_message_at, 0)),"
		" NOT EXISTS (SELECT 1 FROM case_roles r WHERE r.case_id = c.id"
		" AND r.role = 'owner') AS unowned"
		" FROM cases c WHERE c.status = 'active' AND (unowned"
		" OR (c.follow_up IS NOT NULL AND c.follow_up < ?1))"
		" ORDER BY c.id";
	const struct store_arg args[] = { STORE_INT(now) };

	*rows_r = g_ptr_array_new_with_free_func(store_digest_row_free);
	return store_query_rows(s, sql, STORE_ARGS(args), "lead digest",
				store_digest_row_read, *rows_r, err);
}
