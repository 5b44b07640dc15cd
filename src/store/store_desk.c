/*
 * store_desk.c - what the desk records about a case beyond its fields: the
 * contact (requester and caller) and the outside team of an escalation.
 */
#include "store_private.h"

/* The contact's strings and their columns in store_desk_load(). */
static const struct record_field store_contact_fields[] = {
	RECORD_COLUMN(struct store_contact, requester_address, 0),
	RECORD_COLUMN(struct store_contact, requester_name, 1),
	RECORD_COLUMN(struct store_contact, caller_name, 2),
	RECORD_COLUMN(struct store_contact, caller_company, 3),
	RECORD_COLUMN(struct store_contact, caller_phone, 4),
	RECORD_COLUMN(struct store_contact, caller_email, 5),
};

void
store_contact_free(struct store_contact **ct)
{
	record_clear(ct, store_contact_fields,
		     G_N_ELEMENTS(store_contact_fields));
}

int
store_contact_set(struct store *s, int64_t case_id,
		  const struct store_contact *ct, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO case_contacts(case_id, requester_address,"
		" requester_name, caller_name, caller_company, caller_phone,"
		" caller_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT(case_id) DO UPDATE SET"
		" requester_address = excluded.requester_address,"
		" requester_name = excluded.requester_name,"
		" caller_name = excluded.caller_name,"
		" caller_company = excluded.caller_company,"
		" caller_phone = excluded.caller_phone,"
		" caller_email = excluded.caller_email";
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_TEXT(ct->requester_address),
		STORE_TEXT(ct->requester_name), STORE_TEXT(ct->caller_name),
		STORE_TEXT(ct->caller_company), STORE_TEXT(ct->caller_phone),
		STORE_TEXT(ct->caller_email),
	};

	return store_run(s, sql, STORE_ARGS(args), "set contact", err);
}

/* A store_row_cb: an outside team address appended to the case's list. */
static int
store_outside_row(sqlite3_stmt *st, void *kase, struct cm_error *err)
{
	struct store_case *c = kase;

	(void)err;
	g_ptr_array_add(c->outside, store_col_text(st, 0));
	return 0;
}

int
store_desk_load(struct store *s, struct store_case *c, struct cm_error *err)
{
	static const char contact[] =
		"SELECT requester_address, requester_name, caller_name,"
		" caller_company, caller_phone, caller_email"
		" FROM case_contacts WHERE case_id = ?1";
	static const char outside[] =
		"SELECT address FROM case_outside WHERE case_id = ?1"
		" ORDER BY added_at, address";
	const struct store_arg args[] = { STORE_INT(c->id) };
	sqlite3_stmt *st;
	int rc;

	rc = store_query(s, contact, STORE_ARGS(args), &st, err);
	if (rc == 0)
		rc = store_step_row(s, st, "load contact", err);
	if (rc == STORE_ROW)
		store_cols_text(st, c->contact, store_contact_fields,
				G_N_ELEMENTS(store_contact_fields));
	if (rc >= 0)
		sqlite3_reset(st);
	if (rc < 0)
		return rc;
	return store_query_rows(s, outside, STORE_ARGS(args), "load outside",
				store_outside_row, c, err);
}

int
store_outside_add(struct store *s, int64_t case_id, const char *address,
		  int64_t now, int *added_r, struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO case_outside(case_id, address, added_at)"
		" VALUES (?1, lower(?2), ?3)"
		" ON CONFLICT(case_id, address) DO NOTHING";
	const struct store_arg args[] = { STORE_INT(case_id),
					  STORE_TEXT(address), STORE_INT(now) };
	int rc = store_run(s, sql, STORE_ARGS(args), "add outside team", err);

	if (rc == 0)
		*added_r = sqlite3_changes(s->db) > 0;
	return rc;
}

int
store_case_of_internal_ids(struct store *s, GPtrArray *message_ids,
			   int64_t *case_id_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT case_id FROM messages WHERE message_id = ?1"
		" AND internal <> 0 AND case_id IS NOT NULL AND state = 'stored'"
		" LIMIT 1";

	return store_case_of_ids(s, sql, message_ids, "find internal "
				 "references", case_id_r, err);
}

int
store_outside_has(struct store *s, int64_t case_id, const char *address,
		  int *yes_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM case_outside"
		" WHERE case_id = ?1 AND address = ?2)";
	const struct store_arg args[] = { STORE_INT(case_id),
					  STORE_TEXT(address) };
	sqlite3_stmt *st;
	int64_t yes = 0;
	int rc;

	*yes_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "outside team", &yes, 1, err);
	*yes_r = yes != 0;
	return rc < 0 ? rc : 0;
}
