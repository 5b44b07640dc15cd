/*
 * store_fields.c - the values of the desk's custom fields, and saved
 * views (named sets of list filters).  What a field may hold is the case
 * model's business (case_fields.c); here they are text.
 */
#include "store_private.h"

int
store_case_field_set(struct store *s, int64_t id, const char *name,
		     const char *value, char **old_r, struct cm_error *err)
{
	static const char get[] =
		"SELECT value FROM case_fields WHERE case_id = ?1 AND name = ?2";
	static const char put[] =
		"INSERT INTO case_fields(case_id, name, value) VALUES (?1, ?2, ?3)"
		" ON CONFLICT(case_id, name) DO UPDATE SET value = excluded.value";
	static const char del[] =
		"DELETE FROM case_fields WHERE case_id = ?1 AND name = ?2";
	const struct store_arg args[] = {
		STORE_INT(id), STORE_TEXT(name), STORE_TEXT(value),
	};
	sqlite3_stmt *st;
	char *old = NULL;
	int rc;

	if (old_r != NULL)
		*old_r = NULL;
	if ((rc = store_query(s, get, args, 2, &st, err)) != 0)
		return rc;
	rc = store_step_row(s, st, "load field", err);
	if (rc == STORE_ROW) {
		old = store_col_text(st, 0);
		sqlite3_reset(st);
	}
	if (rc < 0)
		return rc;
	if (value != NULL)
		rc = store_run(s, put, STORE_ARGS(args), "set field", err);
	else
		rc = store_run(s, del, args, 2, "clear field", err);
	if (rc == 0 && old_r != NULL)
		*old_r = g_steal_pointer(&old);
	g_free(old);
	return rc;
}

static void
field_free(gpointer p)
{
	struct store_field *f = p;

	g_free(f->name);
	g_free(f->value);
	g_free(f);
}

static int
field_row(sqlite3_stmt *st, void *fields, struct cm_error *err)
{
	struct store_field *f = g_new0(struct store_field, 1);

	(void)err;
	f->name = store_col_text(st, 0);
	f->value = store_col_text(st, 1);
	g_ptr_array_add(fields, f);
	return 0;
}

int
store_case_fields_get(struct store *s, int64_t id, GPtrArray **fields_r,
		      struct cm_error *err)
{
	static const char sql[] =
		"SELECT name, value FROM case_fields WHERE case_id = ?1"
		" ORDER BY name";
	const struct store_arg args[] = { STORE_INT(id) };

	return store_rows_ptr(s, sql, STORE_ARGS(args), "load fields",
			      field_row, field_free, fields_r, err);
}

/* ---- saved views ------------------------------------------------------- */

void
store_saved_view_free(struct store_saved_view **v)
{
	struct store_saved_view *p = v != NULL ? g_steal_pointer(v) : NULL;

	if (p == NULL)
		return;
	g_free(p->name);
	g_free(p->args);
	g_free(p->actor);
	g_free(p);
}

static void
view_free(gpointer p)
{
	struct store_saved_view *v = p;

	store_saved_view_free(&v);
}

static struct store_saved_view *
view_read(sqlite3_stmt *st)
{
	struct store_saved_view *v = g_new0(struct store_saved_view, 1);

	v->name = store_col_text(st, 0);
	v->args = store_col_text(st, 1);
	v->actor = store_col_text(st, 2);
	v->created_at = sqlite3_column_int64(st, 3);
	return v;
}

static int
view_row(sqlite3_stmt *st, void *views, struct cm_error *err)
{
	(void)err;
	g_ptr_array_add(views, view_read(st));
	return 0;
}

int
store_view_save(struct store *s, const char *name, const char *args,
		const char *actor, int64_t now, struct cm_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO saved_views(name, args, actor, created_at)"
		" VALUES (?1, ?2, ?3, ?4)";
	const struct store_arg a[] = {
		STORE_TEXT(name), STORE_TEXT(args), STORE_TEXT(actor),
		STORE_INT(now),
	};

	return store_run(s, sql, STORE_ARGS(a), "save view", err);
}

int
store_view_get(struct store *s, const char *name,
	       struct store_saved_view **v_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT name, args, actor, created_at FROM saved_views"
		" WHERE name = ?1";
	const struct store_arg a[] = { STORE_TEXT(name) };
	sqlite3_stmt *st;
	int rc;

	*v_r = NULL;
	rc = store_query_row(s, sql, STORE_ARGS(a), "load view", &st, err,
			     "no saved view '%s'", name);
	if (rc != 0)
		return rc;
	*v_r = view_read(st);
	sqlite3_reset(st);
	return 0;
}

int
store_view_list(struct store *s, GPtrArray **views_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT name, args, actor, created_at FROM saved_views"
		" ORDER BY name";

	return store_rows_ptr(s, sql, NULL, 0, "list views", view_row,
			      view_free, views_r, err);
}

int
store_view_delete(struct store *s, const char *name, int *removed_r,
		  struct cm_error *err)
{
	static const char sql[] = "DELETE FROM saved_views WHERE name = ?1";
	const struct store_arg a[] = { STORE_TEXT(name) };
	int rc = store_run(s, sql, STORE_ARGS(a), "delete view", err);

	*removed_r = rc == 0 && sqlite3_changes(s->db) > 0;
	return rc;
}
