/*
 * store_msg.c - messages on cases, their addresses and attachments.
 *
 * The tables are shaped for the inbound gateway: Message-ID unique (the
 * idempotency key), the raw message kept as a content-addressed blob, and
 * attachments pointing at blobs by SHA-256 so identical files are stored once.
 */
#include "store_private.h"

#include <string.h>

/* The strings of an address and their columns in store_message_load_addrs(). */
static const struct record_field store_address_strings[] = {
	RECORD_COLUMN(struct store_address, name, 1),
	RECORD_COLUMN(struct store_address, address, 2),
};

/* The strings of an attachment, columns as in store_message_load_atts(). */
static const struct record_field store_attachment_strings[] = {
	RECORD_COLUMN(struct store_attachment, filename, 0),
	RECORD_COLUMN(struct store_attachment, content_type, 1),
	RECORD_COLUMN(struct store_attachment, sha256, 3),
	RECORD_COLUMN(struct store_attachment, content_id, 4),
	RECORD_COLUMN(struct store_attachment, skipped, 6),
};

/* The fields of a message, strings with their columns as in
 * STORE_MESSAGE_COLUMNS. */
static const struct record_field store_message_fields[] = {
	RECORD_COLUMN(struct store_message, message_id, 1),
	RECORD_COLUMN(struct store_message, direction, 2),
	RECORD_COLUMN(struct store_message, reason, 4),
	RECORD_COLUMN(struct store_message, from.name, 5),
	RECORD_COLUMN(struct store_message, from.address, 6),
	RECORD_COLUMN(struct store_message, subject, 7),
	RECORD_COLUMN(struct store_message, in_reply_to, 10),
	RECORD_COLUMN(struct store_message, references, 11),
	RECORD_COLUMN(struct store_message, body, 12),
	RECORD_COLUMN(struct store_message, body_full, 13),
	RECORD_COLUMN(struct store_message, raw_sha256, 14),
	RECORD_COLUMN(struct store_message, decision, 15),
	RECORD_COLUMN(struct store_message, mailbox, 17),
	RECORD_COLUMN(struct store_message, sender_verdict, 22),
	RECORD_PTR_ARRAY(struct store_message, to),
	RECORD_PTR_ARRAY(struct store_message, cc),
	RECORD_PTR_ARRAY(struct store_message, attachments),
};

static void
store_address_free(gpointer p)
{
	record_free(p, store_address_strings,
		    G_N_ELEMENTS(store_address_strings));
}

static void
store_attachment_free(gpointer p)
{
	record_free(p, store_attachment_strings,
		    G_N_ELEMENTS(store_attachment_strings));
}

struct store_message *
store_message_new(void)
{
	struct store_message *m = g_new0(struct store_message, 1);

	m->to = g_ptr_array_new_with_free_func(store_address_free);
	m->cc = g_ptr_array_new_with_free_func(store_address_free);
	m->attachments = g_ptr_array_new_with_free_func(store_attachment_free);
	return m;
}

/* Free a message (a GDestroyNotify, for lists of messages). */
static void
store_message_destroy(gpointer p)
{
	record_free(p, store_message_fields,
		    G_N_ELEMENTS(store_message_fields));
}

void
store_message_free(struct store_message **mp)
{
	record_clear(mp, store_message_fields,
		     G_N_ELEMENTS(store_message_fields));
}

static int
store_message_addrs_insert(struct store *s, int64_t msg_id, const char *field,
			   GPtrArray *addrs, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO message_addresses(message_id, field, position,"
		" name, address) VALUES (?1, ?2, ?3, ?4, ?5)";
	int rc = 0;

	for (guint i = 0; rc == 0 && i < addrs->len; i++) {
		const struct store_address *a = addrs->pdata[i];
		const struct store_arg args[] = {
			STORE_INT(msg_id), STORE_TEXT(field), STORE_INT(i),
			STORE_TEXT(a->name), STORE_TEXT(a->address),
		};

		rc = store_run(s, sql, STORE_ARGS(args), "add address", err);
	}
	return rc;
}

static int
store_message_atts_insert(struct store *s, int64_t msg_id, GPtrArray *atts,
			  struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO attachments(message_id, position, filename,"
		" content_type, size, sha256, content_id, inline, skipped)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	int rc = 0;

	for (guint i = 0; rc == 0 && i < atts->len; i++) {
		const struct store_attachment *a = atts->pdata[i];
		const struct store_arg args[] = {
			STORE_INT(msg_id), STORE_INT(i),
			STORE_TEXT(a->filename), STORE_TEXT(a->content_type),
			STORE_INT(a->size), STORE_TEXT(a->sha256),
			STORE_TEXT(a->content_id), STORE_INT(a->inline_part),
			STORE_TEXT(a->skipped),
		};

		rc = store_run(s, sql, STORE_ARGS(args), "add attachment", err);
	}
	return rc;
}

/* A stored message is the case's latest activity; an internal one (the
 * outside team's, an escalation) only changes the case: the team must
 * never look like the customer's latest word. */
static int
store_message_touch_case(struct store *s, const struct store_message *m,
			 struct cm_error *err)
{
	static const char sql[] =
		"UPDATE cases SET last_message_at = ?2, last_message_from = ?3,"
		" updated_at = max(updated_at, ?2) WHERE id = ?1";
	static const char internal[] =
		"UPDATE cases SET updated_at = max(updated_at, ?2)"
		" WHERE id = ?1";
	const struct store_arg args[] = {
		STORE_INT(m->case_id), STORE_INT(m->received_at),
		STORE_TEXT(m->from.address),
	};

	if (m->internal)
		return store_run(s, internal, args, 2, "touch case", err);
	return store_run(s, sql, STORE_ARGS(args), "touch case", err);
}

static int
store_message_row_insert(struct store *s, const struct store_message *m,
			 struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO messages(case_id, message_id, direction, state,"
		" reason, from_name, from_address, subject, date, received_at,"
		" in_reply_to, refs, body, body_full, raw_sha256, decision,"
		" size, mailbox, uidvalidity, uid, sender_verified,"
		" sender_verdict, internal)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
		" ?16,?17,?18,?19,?20,?21,?22,?23)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	if (m->case_id != 0)
		sqlite3_bind_int64(st, 1, m->case_id);
	store_bind_text(st, 2, m->message_id);
	store_bind_text(st, 3, m->direction);
	store_bind_text(st, 4, store_msg_state_name(m->state));
	store_bind_text(st, 5, m->reason);
	store_bind_text(st, 6, m->from.name);
	store_bind_text(st, 7, m->from.address);
	store_bind_text(st, 8, m->subject);
	store_bind_opt_time(st, 9, m->date);
	sqlite3_bind_int64(st, 10, m->received_at);
	store_bind_text(st, 11, m->in_reply_to);
	store_bind_text(st, 12, m->references);
	store_bind_text(st, 13, m->body);
	store_bind_text(st, 14, m->body_full);
	store_bind_text(st, 15, m->raw_sha256);
	store_bind_text(st, 16, m->decision);
	sqlite3_bind_int64(st, 17, m->size);
	store_bind_text(st, 18, m->mailbox);
	store_bind_opt_time(st, 19, m->uidvalidity);
	store_bind_opt_time(st, 20, m->uid);
	sqlite3_bind_int(st, 21, m->sender_verified != 0);
	store_bind_text(st, 22, m->sender_verdict);
	sqlite3_bind_int(st, 23, m->internal != 0);
	rc = store_step_done(s, st, "add message", err);
	if (rc == CM_EREFUSED)
		return cm_error_set(err, CM_EREFUSED,
				    "message %s is already stored",
				    m->message_id);
	return rc;
}

int
store_message_insert(struct store *s, const struct store_message *m,
		     int64_t *id_r, struct cm_error *err)
{
	int64_t id;
	int rc;

	if ((rc = store_message_row_insert(s, m, err)) != 0)
		return rc;
	id = sqlite3_last_insert_rowid(s->db);
	rc = store_message_addrs_insert(s, id, "to", m->to, err);
	if (rc == 0)
		rc = store_message_addrs_insert(s, id, "cc", m->cc, err);
	if (rc == 0)
		rc = store_message_atts_insert(s, id, m->attachments, err);
	/* An internal note is not a response: it must not move a case into
	 * or out of the "recent" view. */
	if (rc == 0 && m->case_id != 0 &&
	    m->state == STORE_MSG_STORED &&
	    g_strcmp0(m->direction, "internal") != 0)
		rc = store_message_touch_case(s, m, err);
	if (rc == 0 && id_r != NULL)
		*id_r = id;
	return rc;
}

/* A store_row_cb: an address row of store_message_load_addrs() into the
 * message's list for its field. */
static int
store_message_addr_row(sqlite3_stmt *st, void *msg, struct cm_error *err)
{
	struct store_message *m = msg;
	const char *field = (const char *)sqlite3_column_text(st, 0);
	struct store_address *a = g_new0(struct store_address, 1);

	(void)err;
	store_cols_text(st, a, store_address_strings,
			G_N_ELEMENTS(store_address_strings));
	if (strcmp(field, "to") == 0)
		g_ptr_array_add(m->to, a);
	else if (strcmp(field, "cc") == 0)
		g_ptr_array_add(m->cc, a);
	else
		store_address_free(a);
	return 0;
}

static int
store_message_load_addrs(struct store *s, struct store_message *m,
			 struct cm_error *err)
{
	static const char sql[] =
		"SELECT field, name, address FROM message_addresses"
		" WHERE message_id = ?1 ORDER BY field, position";
	const struct store_arg args[] = { STORE_INT(m->id) };

	return store_query_rows(s, sql, STORE_ARGS(args), "load addresses",
				store_message_addr_row, m, err);
}

/* A store_row_cb: an attachment row of store_message_load_atts()
 * appended to the message's. */
static int
store_message_att_row(sqlite3_stmt *st, void *msg, struct cm_error *err)
{
	struct store_message *m = msg;
	struct store_attachment *a = g_new0(struct store_attachment, 1);

	(void)err;
	store_cols_text(st, a, store_attachment_strings,
			G_N_ELEMENTS(store_attachment_strings));
	a->size = sqlite3_column_int64(st, 2);
	a->inline_part = sqlite3_column_int(st, 5);
	g_ptr_array_add(m->attachments, a);
	return 0;
}

static int
store_message_load_atts(struct store *s, struct store_message *m,
			struct cm_error *err)
{
	static const char sql[] =
		"SELECT filename, content_type, size, sha256, content_id,"
		" inline, skipped FROM attachments WHERE message_id = ?1"
		" ORDER BY position";
	const struct store_arg args[] = { STORE_INT(m->id) };

	return store_query_rows(s, sql, STORE_ARGS(args), "load attachments",
				store_message_att_row, m, err);
}

/* The columns store_message_from_row() reads, in its order. */
#define STORE_MESSAGE_COLUMNS                                           \
	"id, message_id, direction, state, reason, from_name,"          \
	" from_address, subject, date, received_at, in_reply_to, refs," \
	" body, body_full, raw_sha256, decision, size, mailbox,"        \
	" uidvalidity, uid, case_id, sender_verified, sender_verdict,"    \
	" internal"

/* A store_row_cb: the current row of st as a new message appended to
 * msgs; CM_ESTORE for a state that is none of its words. */
static int
store_message_row(sqlite3_stmt *st, void *msgs, struct cm_error *err)
{
	struct store_message *m;
	int state = store_col_word(st, 3, &store_msg_states, err);

	if (state < 0)
		return state;
	m = store_message_new();
	m->state = state;
	m->id = sqlite3_column_int64(st, 0);
	store_cols_text(st, m, store_message_fields,
			G_N_ELEMENTS(store_message_fields));
	m->date = sqlite3_column_int64(st, 8);
	m->received_at = sqlite3_column_int64(st, 9);
	m->size = sqlite3_column_int64(st, 16);
	m->uidvalidity = sqlite3_column_int64(st, 18);
	m->uid = sqlite3_column_int64(st, 19);
	m->case_id = sqlite3_column_int64(st, 20);
	m->sender_verified = sqlite3_column_int(st, 21);
	m->internal = sqlite3_column_int(st, 23);
	g_ptr_array_add(msgs, m);
	return 0;
}

/*
 * Every row of st (STORE_MESSAGE_COLUMNS) as a new GPtrArray in *msgs_r,
 * with addresses and attachments.  Those are loaded once st is reset: the
 * cached statements must not be stepped while nested.
 */
static int
store_messages_read(struct store *s, sqlite3_stmt *st, const char *what,
		    GPtrArray **msgs_r, struct cm_error *err)
{
	GPtrArray *out;
	int rc;

	out = g_ptr_array_new_with_free_func(store_message_destroy);
	rc = store_read_rows(s, st, what, store_message_row, out, err);
	for (guint i = 0; rc == 0 && i < out->len; i++)
		if ((rc = store_message_load_addrs(s, out->pdata[i], err)) == 0)
			rc = store_message_load_atts(s, out->pdata[i], err);
	if (rc != 0) {
		g_ptr_array_unref(out);
		return rc;
	}
	*msgs_r = out;
	return 0;
}

int
store_messages_get(struct store *s, int64_t case_id, GPtrArray **msgs_r,
		   struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_MESSAGE_COLUMNS " FROM messages"
		" WHERE case_id = ?1 AND state = 'stored'"
		" ORDER BY received_at, id";
	const struct store_arg args[] = { STORE_INT(case_id) };
	sqlite3_stmt *st;
	int rc;

	*msgs_r = NULL;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	return store_messages_read(s, st, "load messages", msgs_r, err);
}

int
store_message_get(struct store *s, const char *message_id, int64_t id,
		  struct store_message **m_r, struct cm_error *err)
{
	static const char by_mid[] =
		"SELECT " STORE_MESSAGE_COLUMNS " FROM messages"
		" WHERE message_id = ?1";
	static const char by_id[] =
		"SELECT " STORE_MESSAGE_COLUMNS " FROM messages WHERE id = ?1";
	const struct store_arg by_mid_args[] = { STORE_TEXT(message_id) };
	const struct store_arg by_id_args[] = { STORE_INT(id) };
	sqlite3_stmt *st;
	GPtrArray *one;
	int rc;

	*m_r = NULL;
	if (message_id != NULL)
		rc = store_query(s, by_mid, STORE_ARGS(by_mid_args), &st, err);
	else
		rc = store_query(s, by_id, STORE_ARGS(by_id_args), &st, err);
	if (rc != 0)
		return rc;
	/* At most one row: both columns are unique. */
	if ((rc = store_messages_read(s, st, "load message", &one, err)) != 0)
		return rc;
	if (one->len == 0)
		rc = cm_error_set(err, CM_ENOTFOUND, "no message %s",
				  message_id != NULL ? message_id
						     : "with that id");
	else
		*m_r = g_ptr_array_steal_index(one, 0);
	g_ptr_array_unref(one);
	return rc;
}

int
store_messages_review(struct store *s, GPtrArray **msgs_r,
		      struct cm_error *err)
{
	static const char sql[] =
		"SELECT " STORE_MESSAGE_COLUMNS " FROM messages"
		" WHERE state IN ('held', 'failed') ORDER BY received_at, id";
	sqlite3_stmt *st;
	int rc;

	*msgs_r = NULL;
	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	return store_messages_read(s, st, "load review", msgs_r, err);
}

int
store_message_set_state(struct store *s, int64_t id,
			enum store_msg_state state, const char *reason,
			int64_t case_id, const char *decision,
			struct cm_error *err)
{
	static const char sql[] =
		"UPDATE messages SET state = ?2, reason = ?3, case_id = ?4,"
		" decision = coalesce(?5, decision) WHERE id = ?1";
	const struct store_arg args[] = {
		STORE_INT(id), STORE_TEXT(store_msg_state_name(state)),
		STORE_TEXT(reason), STORE_OPT_INT(case_id),
		STORE_TEXT(decision),
	};

	return store_run(s, sql, STORE_ARGS(args), "set message state", err);
}

int
store_message_delete(struct store *s, int64_t id, struct cm_error *err)
{
	static const char sql[] =
		"DELETE FROM messages WHERE id = ?1 AND state <> 'stored'";
	const struct store_arg args[] = { STORE_INT(id) };

	return store_run(s, sql, STORE_ARGS(args), "delete message", err);
}

int
store_case_of_ids(struct store *s, const char *sql, GPtrArray *message_ids,
		  const char *what, int64_t *case_id_r, struct cm_error *err)
{
	sqlite3_stmt *st;
	int rc;

	*case_id_r = 0;
	/* Newest reference first: the mail it answers most directly. */
	for (guint i = message_ids->len; i > 0 && *case_id_r == 0; i--) {
		const struct store_arg args[] = {
			STORE_TEXT(message_ids->pdata[i - 1]),
		};

		if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
			return rc;
		if ((rc = store_read_int64(s, st, what, case_id_r, 1, err)) < 0)
			return rc;
	}
	return 0;
}

int
store_case_of_message_ids(struct store *s, GPtrArray *message_ids,
			  int64_t *case_id_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT case_id FROM messages WHERE message_id = ?1"
		" AND case_id IS NOT NULL AND state IN ('stored', 'ignored')"
		" UNION ALL SELECT case_id FROM sent_ids WHERE message_id = ?1"
		" LIMIT 1";

	return store_case_of_ids(s, sql, message_ids, "find references",
				 case_id_r, err);
}

int
store_sender_count_since(struct store *s, const char *address, int64_t since,
			 int64_t limit, int64_t *n_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM (SELECT 1 FROM messages"
		" WHERE from_address = ?1 AND received_at >= ?2"
		" AND direction = 'in' LIMIT ?3)";
	const struct store_arg args[] = {
		STORE_TEXT(address), STORE_INT(since), STORE_INT(limit),
	};
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	*n_r = 0;
	/* count(*) always returns its row. */
	rc = store_read_int64(s, st, "count sender", n_r, 1, err);
	return rc < 0 ? rc : 0;
}

/* Run a "SELECT EXISTS(...)" of the case (?1) and a text (?2). */
static int
store_case_exists(struct store *s, const char *sql, int64_t case_id,
		  const char *text, int *known_r, struct cm_error *err)
{
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_TEXT(text),
	};
	int64_t known = 0;
	sqlite3_stmt *st;
	int rc;

	*known_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	/* EXISTS always returns its row. */
	if ((rc = store_read_int64(s, st, "case people", &known, 1, err)) < 0)
		return rc;
	*known_r = known != 0;
	return 0;
}

int
store_message_failed_raw(struct store *s, const char *raw_sha256,
			 int *found_r, struct cm_error *err)
{
	/* messages_state indexes the rows not stored: few, failed ones. */
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM messages"
		" WHERE state = 'failed' AND raw_sha256 = ?1)";
	const struct store_arg args[] = { STORE_TEXT(raw_sha256) };
	sqlite3_stmt *st = NULL;
	int64_t found = 0;
	int rc;

	*found_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	if ((rc = store_read_int64(s, st, "failed message", &found, 1,
				   err)) < 0)
		return rc;
	*found_r = found != 0;
	return 0;
}

int
store_case_knows_address(struct store *s, int64_t case_id,
			 const char *address, int *known_r,
			 struct cm_error *err)
{
	/* people.address is COLLATE NOCASE: one lookup in its index. */
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM people p"
		" JOIN case_roles r ON r.person_id = p.id"
		" WHERE p.address = ?2 AND r.case_id = ?1)";

	return store_case_exists(s, sql, case_id, address, known_r, err);
}

int
store_case_knows_domain(struct store *s, int64_t case_id, const char *domain,
			int *known_r, struct cm_error *err)
{
	/* The address ends in "@domain" or ".domain"; domain has no '@',
	 * so a match lies within the address's domain part. */
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM case_roles r"
		" JOIN people p ON p.id = r.person_id"
		" WHERE r.case_id = ?1 AND ?2 <> ''"
		" AND substr(lower(p.address), -length(?2) - 1)"
		"     IN ('@' || lower(?2), '.' || lower(?2)))";

	if (domain == NULL || strchr(domain, '@') != NULL) {
		*known_r = 0;
		return 0;
	}
	return store_case_exists(s, sql, case_id, domain, known_r, err);
}

int
store_person_set_bouncing(struct store *s, const char *address,
			  int64_t now, struct cm_error *err)
{
	static const char sql[] =
		"UPDATE people SET bouncing = 1, bounced_at = ?2"
		" WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address),
					  STORE_INT(now) };

	return store_run(s, sql, STORE_ARGS(args), "mark bouncing", err);
}

int
store_person_clear_bouncing(struct store *s, const char *address,
			    int *changed_r, struct cm_error *err)
{
	static const char sql[] =
		"UPDATE people SET bouncing = 0, bounced_at = NULL"
		" WHERE address = ?1 AND bouncing <> 0";
	const struct store_arg args[] = { STORE_TEXT(address) };
	int rc = store_run(s, sql, STORE_ARGS(args), "clear bouncing", err);

	if (changed_r != NULL)
		*changed_r = rc == 0 && sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_blob_add(struct store *s, const char *sha256, int64_t size,
	       struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO blobs(sha256, size, stored_size, created_at)"
		" VALUES (?1, ?2, ?2, strftime('%s','now'))"
		" ON CONFLICT(sha256) DO NOTHING";
	const struct store_arg args[] = { STORE_TEXT(sha256), STORE_INT(size) };

	return store_run(s, sql, STORE_ARGS(args), "add blob", err);
}

int
store_blob_put_data(struct store *s, const char *sha256, const void *data,
		    size_t len, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO blobs(sha256, size, stored_size, created_at, data)"
		" VALUES (?1, ?2, ?2, strftime('%s','now'), ?3)"
		" ON CONFLICT(sha256) DO UPDATE SET data = excluded.data"
		" WHERE data IS NULL";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	store_bind_text(st, 1, sha256);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
	sqlite3_bind_blob64(st, 3, data, (sqlite3_uint64)len, SQLITE_STATIC);
	return store_step_done(s, st, "keep raw message", err);
}

int
store_blob_get_data(struct store *s, const char *sha256, char **data_r,
		    size_t *len_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT data FROM blobs WHERE sha256 = ?1 AND data IS NOT NULL";
	const struct store_arg args[] = { STORE_TEXT(sha256) };
	sqlite3_stmt *st;
	int rc, n;

	*data_r = NULL;
	*len_r = 0;
	rc = store_query_row(s, sql, STORE_ARGS(args), "read raw message", &st,
			     err, "no raw copy %s", sha256);
	if (rc != 0)
		return rc;
	n = sqlite3_column_bytes(st, 0);
	*data_r = g_malloc((gsize)n + 1);
	memcpy(*data_r, sqlite3_column_blob(st, 0), (size_t)n);
	(*data_r)[n] = '\0';
	*len_r = (size_t)n;
	sqlite3_reset(st);
	return 0;
}

int
store_mailbox_get(struct store *s, const char *mailbox,
		  int64_t *uidvalidity_r, int64_t *last_uid_r,
		  struct cm_error *err)
{
	static const char sql[] =
		"SELECT uidvalidity, last_uid FROM mailbox_state"
		" WHERE mailbox = ?1";
	const struct store_arg args[] = { STORE_TEXT(mailbox) };
	int64_t state[2] = { 0, 0 };
	sqlite3_stmt *st;
	int rc;

	*uidvalidity_r = *last_uid_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	if ((rc = store_read_int64(s, st, "mailbox state", state, 2, err)) < 0)
		return rc;
	*uidvalidity_r = state[0];
	*last_uid_r = state[1];
	return 0;
}

int
store_mailbox_set(struct store *s, const char *mailbox, int64_t uidvalidity,
		  int64_t last_uid, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO mailbox_state(mailbox, uidvalidity, last_uid)"
		" VALUES (?1, ?2, ?3) ON CONFLICT(mailbox) DO UPDATE"
		" SET uidvalidity = excluded.uidvalidity,"
		"     last_uid = excluded.last_uid";
	const struct store_arg args[] = {
		STORE_TEXT(mailbox), STORE_INT(uidvalidity),
		STORE_INT(last_uid),
	};

	return store_run(s, sql, STORE_ARGS(args), "save mailbox state", err);
}
