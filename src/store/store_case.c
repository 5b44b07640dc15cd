/*
 * store_case.c - people, cases, roles and the audit trail.
 */
#include "store_private.h"

#include <string.h>

/* ---- people ------------------------------------------------------------ */

/* The strings of a person and their columns in the rows that read one. */
static const struct record_field store_person_strings[] = {
	RECORD_COLUMN(struct store_person, address, 1),
	RECORD_COLUMN(struct store_person, name, 2),
	RECORD_COLUMN(struct store_person, side, 3),
};

/* Free a person (a GDestroyNotify, for the role arrays). */
static void
store_person_destroy(gpointer p)
{
	record_free(p, store_person_strings,
		    G_N_ELEMENTS(store_person_strings));
}

void
store_person_free(struct store_person **pp)
{
	record_clear(pp, store_person_strings,
		     G_N_ELEMENTS(store_person_strings));
}

int
store_person_ensure(struct store *s, const char *address, const char *name,
		    int64_t *id_r, struct cm_error *err)
{
	static const char ins[] =
		"INSERT INTO people(address, name, created_at)"
		" VALUES (?1, ?2, strftime('%s','now'))"
		" ON CONFLICT(address) DO UPDATE"
		"  SET name = coalesce(people.name, excluded.name)";
	static const char sel[] = "SELECT id FROM people WHERE address = ?1";
	const struct store_arg args[] = {
		STORE_TEXT(address),
		STORE_TEXT(name != NULL && name[0] != '\0' ? name : NULL),
	};
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_run(s, ins, STORE_ARGS(args), "add person",
			    err)) != 0 ||
	    (rc = store_query(s, sel, args, 1, &st, err)) != 0)
		return rc;
	/* The row is there: this connection has just written it. */
	rc = store_read_int64(s, st, "find person", id_r, 1, err);
	return rc < 0 ? rc : 0;
}

int
store_person_get(struct store *s, const char *address,
		 struct store_person **p_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT id, address, name, side FROM people WHERE address = ?1";
	const struct store_arg args[] = { STORE_TEXT(address) };
	sqlite3_stmt *st;
	struct store_person *p;
	int rc;

	*p_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "find person", &st, err,
			     "no person %s", address);
	if (rc != 0)
		return rc;
	p = g_new0(struct store_person, 1);
	p->id = sqlite3_column_int64(st, 0);
	store_cols_text(st, p, store_person_strings,
			G_N_ELEMENTS(store_person_strings));
	sqlite3_reset(st);
	*p_r = p;
	return 0;
}

int
store_person_set_side(struct store *s, int64_t person_id, const char *side,
		      struct cm_error *err)
{
	static const char sql[] = "UPDATE people SET side = ?2 WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(person_id),
					  STORE_TEXT(side) };

	return store_run(s, sql, STORE_ARGS(args), "set side", err);
}

/* ---- cases ------------------------------------------------------------- */

struct store_case *
store_case_new(void)
{
	struct store_case *c = g_new0(struct store_case, 1);
	GDestroyNotify person_free = store_person_destroy;

	c->owners = g_ptr_array_new_with_free_func(person_free);
	c->watchers = g_ptr_array_new_with_free_func(person_free);
	c->participants = g_ptr_array_new_with_free_func(person_free);
	c->contact = g_new0(struct store_contact, 1);
	c->outside = g_ptr_array_new_with_free_func(g_free);
	return c;
}

static void
store_contact_clear_(void *ctp)
{
	store_contact_free(ctp);
}

/* The fields of a case, strings with their columns in store_case_get(). */
static const struct record_field store_case_fields[] = {
	RECORD_COLUMN(struct store_case, kind, 0),
	RECORD_COLUMN(struct store_case, type, 1),
	RECORD_COLUMN(struct store_case, subject, 2),
	RECORD_COLUMN(struct store_case, priority, 4),
	RECORD_COLUMN(struct store_case, shipment, 6),
	RECORD_COLUMN(struct store_case, crm_shipper, 7),
	RECORD_COLUMN(struct store_case, crm_carrier, 8),
	RECORD_COLUMN(struct store_case, source, 9),
	RECORD_COLUMN(struct store_case, creator, 10),
	RECORD_COLUMN(struct store_case, last_message_from, 15),
	RECORD_COLUMN(struct store_case, waiting_on, 16),
	RECORD_PTR_ARRAY(struct store_case, owners),
	RECORD_PTR_ARRAY(struct store_case, watchers),
	RECORD_PTR_ARRAY(struct store_case, participants),
	RECORD_NESTED(struct store_case, contact, store_contact_clear_),
	RECORD_PTR_ARRAY(struct store_case, outside),
};

void
store_case_free(struct store_case **cp)
{
	record_clear(cp, store_case_fields, G_N_ELEMENTS(store_case_fields));
}

/* Columns 1..14 in the order shared by INSERT and UPDATE below. */
static void
store_case_bind(sqlite3_stmt *st, const struct store_case *c)
{
	store_bind_text(st, 1, c->kind);
	store_bind_text(st, 2, c->type);
	store_bind_text(st, 3, c->subject);
	store_bind_text(st, 4, store_case_status_name(c->status));
	store_bind_text(st, 5, c->priority);
	store_bind_opt_time(st, 6, c->follow_up);
	store_bind_text(st, 7, c->shipment);
	store_bind_text(st, 8, c->crm_shipper);
	store_bind_text(st, 9, c->crm_carrier);
	store_bind_text(st, 10, c->source);
	store_bind_text(st, 11, c->creator);
	sqlite3_bind_int64(st, 12, c->created_at);
	sqlite3_bind_int64(st, 13, c->updated_at);
	store_bind_opt_time(st, 14, c->solved_at);
	store_bind_text(st, 16, c->waiting_on);
}

int
store_case_insert(struct store *s, const struct store_case *c, int64_t *id_r,
		  struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO cases(kind, type, subject, status, priority,"
		" follow_up, shipment, crm_shipper, crm_carrier, source,"
		" creator, created_at, updated_at, solved_at, waiting_on)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?16)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	store_case_bind(st, c);
	if ((rc = store_step_done(s, st, "create case", err)) != 0)
		return rc;
	*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_case_is_solved(struct store *s, int64_t id, int *solved_r,
		     struct cm_error *err)
{
	static const char sql[] =
		"SELECT status = 'solved' FROM cases WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(id) };
	sqlite3_stmt *st;
	int64_t solved = 0;
	int rc;

	*solved_r = 0;
	if ((rc = store_query(s, sql, STORE_ARGS(args), &st, err)) != 0)
		return rc;
	rc = store_read_int64(s, st, "case status", &solved, 1, err);
	if (rc == STORE_DONE)
		return cm_error_set(err, CM_ENOTFOUND, "no such case");
	*solved_r = (int)solved;
	return rc < 0 ? rc : 0;
}

int
store_case_touch(struct store *s, int64_t id, int64_t now,
		 struct cm_error *err)
{
	static const char sql[] =
		"UPDATE cases SET updated_at = max(updated_at, ?2) WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(id), STORE_INT(now) };
	int rc;

	if ((rc = store_run(s, sql, STORE_ARGS(args), "touch case", err)) != 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return cm_error_set(err, CM_ENOTFOUND, "no case %lld",
				    (long long)id);
	return 0;
}

int
store_case_update(struct store *s, const struct store_case *c,
		  struct cm_error *err)
{
	static const char sql[] =
		"UPDATE cases SET kind = ?1, type = ?2, subject = ?3,"
		" status = ?4, priority = ?5, follow_up = ?6, shipment = ?7,"
		" crm_shipper = ?8, crm_carrier = ?9, source = ?10,"
		" creator = ?11, created_at = ?12, updated_at = ?13,"
		" solved_at = ?14, waiting_on = ?16 WHERE id = ?15";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_stmt(s, sql, &st, err)) != 0)
		return rc;
	store_case_bind(st, c);
	sqlite3_bind_int64(st, 15, c->id);
	if ((rc = store_step_done(s, st, "update case", err)) != 0)
		return rc;
	if (sqlite3_changes(s->db) != 1)
		return cm_error_set(err, CM_ENOTFOUND, "no case %lld",
				    (long long)c->id);
	return 0;
}

/* A store_row_cb: a person row of store_case_load_roles() into the
 * case's list for its role. */
static int
store_case_role_row(sqlite3_stmt *st, void *kase, struct cm_error *err)
{
	struct store_case *c = kase;
	struct store_person *p = g_new0(struct store_person, 1);
	const char *role = (const char *)sqlite3_column_text(st, 4);

	(void)err;
	p->id = sqlite3_column_int64(st, 0);
	store_cols_text(st, p, store_person_strings,
			G_N_ELEMENTS(store_person_strings));
	p->subscribed = sqlite3_column_int(st, 5);
	p->bounced_at = sqlite3_column_int64(st, 6);
	if (strcmp(role, "owner") == 0)
		g_ptr_array_add(c->owners, p);
	else if (strcmp(role, "watcher") == 0)
		g_ptr_array_add(c->watchers, p);
	else
		g_ptr_array_add(c->participants, p);
	return 0;
}

static int
store_case_load_roles(struct store *s, struct store_case *c,
		      struct cm_error *err)
{
	static const char sql[] =
		"SELECT p.id, p.address, p.name, r.side, r.role, r.subscribed,"
		" CASE WHEN p.bouncing <> 0 THEN coalesce(p.bounced_at, 1)"
		" ELSE 0 END FROM case_roles r JOIN people p ON p.id = r.person_id"
		" WHERE r.case_id = ?1 ORDER BY r.added_at, p.address";
	const struct store_arg args[] = { STORE_INT(c->id) };

	return store_query_rows(s, sql, STORE_ARGS(args), "load roles",
				store_case_role_row, c, err);
}

int
store_case_get(struct store *s, int64_t id, struct store_case **c_r,
	       struct cm_error *err)
{
	static const char sql[] =
		"SELECT kind, type, subject, status, priority, follow_up,"
		" shipment, crm_shipper, crm_carrier, source, creator,"
		" created_at, updated_at, solved_at, last_message_at,"
		" last_message_from, waiting_on FROM cases WHERE id = ?1";
	const struct store_arg args[] = { STORE_INT(id) };
	sqlite3_stmt *st;
	struct store_case *c;
	int rc;

	*c_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(args), "load case", &st, err,
			     "no such case");
	if (rc != 0)
		return rc;
	if ((rc = store_col_word(st, 3, &store_case_statuses, err)) < 0) {
		sqlite3_reset(st);
		return rc;
	}
	c = store_case_new();
	c->id = id;
	c->status = rc;
	store_cols_text(st, c, store_case_fields,
			G_N_ELEMENTS(store_case_fields));
	c->follow_up = sqlite3_column_int64(st, 5);
	c->created_at = sqlite3_column_int64(st, 11);
	c->updated_at = sqlite3_column_int64(st, 12);
	c->solved_at = sqlite3_column_int64(st, 13);
	c->last_message_at = sqlite3_column_int64(st, 14);
	sqlite3_reset(st);
	rc = store_case_load_roles(s, c, err);
	if (rc == 0)
		rc = store_desk_load(s, c, err);
	if (rc != 0) {
		store_case_free(&c);
		return rc;
	}
	*c_r = c;
	return 0;
}

/* ---- roles ------------------------------------------------------------- */

int
store_role_add(struct store *s, int64_t case_id, int64_t person_id,
	       const char *role, const char *side, int *added_r,
	       struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO case_roles(case_id, person_id, role, side,"
		" subscribed, added_at)"
		" VALUES (?1, ?2, ?3, ?4, 1, strftime('%s','now'))"
		" ON CONFLICT(case_id, person_id, role) DO NOTHING";
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_INT(person_id), STORE_TEXT(role),
		STORE_TEXT(side),
	};
	int rc = store_run(s, sql, STORE_ARGS(args), "add role", err);

	if (rc == CM_EREFUSED)
		/* The only constraint left after ON CONFLICT is the
		 * one-owner-per-side index. */
		return cm_error_set(err, CM_EREFUSED,
				    "the case already has a %s owner",
				    side != NULL ? side : "");
	if (rc != 0)
		return rc;
	*added_r = sqlite3_changes(s->db) > 0;
	return 0;
}

int
store_role_remove(struct store *s, int64_t case_id, int64_t person_id,
		  const char *role, int *removed_r, struct cm_error *err)
{
	static const char sql[] =
		"DELETE FROM case_roles WHERE case_id = ?1 AND person_id = ?2"
		" AND role = ?3";
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_INT(person_id), STORE_TEXT(role),
	};
	int rc;

	if ((rc = store_run(s, sql, STORE_ARGS(args), "remove role", err)) != 0)
		return rc;
	*removed_r = sqlite3_changes(s->db) > 0;
	return 0;
}

/* ---- events ------------------------------------------------------------ */

/* The strings of an event and their columns in store_events_get(). */
static const struct record_field store_event_strings[] = {
	RECORD_COLUMN(struct store_event, actor, 2),
	RECORD_COLUMN(struct store_event, what, 3),
	RECORD_COLUMN(struct store_event, old_value, 4),
	RECORD_COLUMN(struct store_event, new_value, 5),
	RECORD_COLUMN(struct store_event, detail, 6),
};

/* Free an event (a GDestroyNotify, for store_events_get()). */
static void
store_event_destroy(gpointer p)
{
	record_free(p, store_event_strings, G_N_ELEMENTS(store_event_strings));
}

void
store_event_free(struct store_event **ep)
{
	record_clear(ep, store_event_strings,
		     G_N_ELEMENTS(store_event_strings));
}

int
store_event_add(struct store *s, int64_t case_id, int64_t at,
		const char *actor, const char *what, const char *old_value,
		const char *new_value, const char *detail,
		struct cm_error *err)
{
	static const char sql[] =
		"INSERT INTO events(case_id, at, actor, what, old_value,"
		" new_value, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	const struct store_arg args[] = {
		STORE_INT(case_id), STORE_INT(at), STORE_TEXT(actor),
		STORE_TEXT(what), STORE_TEXT(old_value), STORE_TEXT(new_value),
		STORE_TEXT(detail),
	};

	return store_run(s, sql, STORE_ARGS(args), "add event", err);
}

/* A store_row_cb: a row of store_events_get() appended to events. */
static int
store_event_row(sqlite3_stmt *st, void *events, struct cm_error *err)
{
	struct store_event *e = g_new0(struct store_event, 1);

	(void)err;
	e->id = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	e->case_id = sqlite3_column_int64(st, 7);
	store_cols_text(st, e, store_event_strings,
			G_N_ELEMENTS(store_event_strings));
	g_ptr_array_add(events, e);
	return 0;
}

int
store_events_get(struct store *s, int64_t case_id, GPtrArray **events_r,
		 struct cm_error *err)
{
	static const char sql[] =
		"SELECT id, at, actor, what, old_value, new_value, detail,"
		" case_id FROM events WHERE case_id = ?1 ORDER BY id";
	const struct store_arg args[] = { STORE_INT(case_id) };
	GPtrArray *out = g_ptr_array_new_with_free_func(store_event_destroy);
	int rc;

	*events_r = NULL;
	rc = store_query_rows(s, sql, STORE_ARGS(args), "load events",
			      store_event_row, out, err);
	if (rc != 0) {
		g_ptr_array_unref(out);
		return rc;
	}
	*events_r = out;
	return 0;
}
