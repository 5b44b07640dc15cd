/*
 * store_list.c - views, filters and full-text search over cases.
 *
 * The WHERE clause is assembled from fixed fragments only; every value the
 * user typed is bound as a parameter, never pasted into the SQL.
 */
#include "store_private.h"

#include <string.h>

/* One bound value of the query being built. */
struct list_bind {
	int is_text;
	const char *text;
	int64_t num;
};

struct list_query {
	GString *sql;
	GArray *binds; /* struct list_bind */
};

void
store_filter_init(struct store_filter *f, int64_t now)
{
	memset(f, 0, sizeof(*f));
	f->view = STORE_VIEW_ALL;
	f->now = now;
	f->created_since = f->created_until = STORE_TIME_UNSET;
	f->solved_since = f->solved_until = STORE_TIME_UNSET;
	f->latest_since = STORE_TIME_UNSET;
}

/* Append " AND <frag>" where frag has one "?" for the text value. */
static void
list_and_text(struct list_query *q, const char *frag, const char *v)
{
	struct list_bind b = { 1, v, 0 };

	if (v == NULL)
		return;
	g_string_append_printf(q->sql, " AND %s", frag);
	g_array_append_val(q->binds, b);
}

static void
list_and_time(struct list_query *q, const char *frag, int64_t v)
{
	struct list_bind b = { 0, NULL, v };

	if (v == STORE_TIME_UNSET)
		return;
	g_string_append_printf(q->sql, " AND %s", frag);
	g_array_append_val(q->binds, b);
}

static const char list_owner_frag[] =
	"EXISTS (SELECT 1 FROM case_roles r JOIN people p ON p.id = r.person_id"
	" WHERE r.case_id = c.id AND r.role = 'owner' AND p.address = ?)";
static const char list_watcher_frag[] =
	"EXISTS (SELECT 1 FROM case_roles r JOIN people p ON p.id = r.person_id"
	" WHERE r.case_id = c.id AND r.role = 'watcher' AND p.address = ?)";

/* Whether f has a status filter, single or several. */
static int
list_has_status(const struct store_filter *f)
{
	for (size_t i = 0; i < f->n_matches; i++)
		if (f->matches[i].key == STORE_MATCH_STATUS)
			return 1;
	return f->status != NULL;
}

static void
list_view(struct list_query *q, const struct store_filter *f)
{
	struct list_bind now = { 0, NULL, f->now };

	switch (f->view) {
	case STORE_VIEW_ALL:
		break;
	case STORE_VIEW_ACTIVE:
		/* list's default: a --status filter says which it wants. */
		if (!list_has_status(f))
			g_string_append(q->sql, " AND c.status = 'active'");
		break;
	case STORE_VIEW_RECENT:
		g_string_append(q->sql, " AND c.last_message_from IS NOT NULL"
				" AND NOT cm_is_org(c.last_message_from)");
		break;
	case STORE_VIEW_MINE:
	case STORE_VIEW_WATCHED:
		/* An agent's own work queue: Active cases unless a --status
		 * filter asks for others. */
		if (!list_has_status(f))
			g_string_append(q->sql, " AND c.status = 'active'");
		list_and_text(q, f->view == STORE_VIEW_MINE ? list_owner_frag
				 : list_watcher_frag, f->as);
		break;
	case STORE_VIEW_NEW:
		g_string_append(q->sql, " AND c.status = 'active'");
		if (f->as_side != NULL)
			list_and_text(q, "NOT EXISTS (SELECT 1 FROM case_roles r"
				      " WHERE r.case_id = c.id AND r.role ="
				      " 'owner' AND r.side = ?)", f->as_side);
		else
			g_string_append(q->sql, " AND NOT EXISTS (SELECT 1 FROM"
					" case_roles r WHERE r.case_id = c.id"
					" AND r.role = 'owner')");
		break;
	case STORE_VIEW_OVERDUE:
		g_string_append(q->sql, " AND c.status = 'active'"
				" AND c.follow_up IS NOT NULL AND c.follow_up < ?");
		g_array_append_val(q->binds, now);
		break;
	}
}

/* The fragment of each store_match key, with one "?" for the value (a
 * field's has two: its name, then the value). */
static const char *const list_match_frags[] = {
	[STORE_MATCH_STATUS] = "c.status = ?",
	[STORE_MATCH_TYPE] = "c.type = ?",
	[STORE_MATCH_KIND] = "c.kind = ?",
	[STORE_MATCH_SOURCE] = "c.source = ?",
	[STORE_MATCH_PRIORITY] = "c.priority = ?",
	[STORE_MATCH_SHIPMENT] = "c.shipment = ? COLLATE NOCASE",
	[STORE_MATCH_CRM] = "lower(?) IN (lower(c.crm_shipper),"
			    " lower(c.crm_carrier))",
	[STORE_MATCH_OWNER] = list_owner_frag,
	[STORE_MATCH_WATCHER] = list_watcher_frag,
	[STORE_MATCH_FIELD] = "EXISTS (SELECT 1 FROM case_fields cf"
			      " WHERE cf.case_id = c.id AND cf.name = ?"
			      " AND cf.value = ? COLLATE NOCASE)",
};

/* " AND [NOT] coalesce((v1 OR v2 ...), 0)": a NULL column (no shipment)
 * neither matches a value nor stops the negation from matching. */
static void
list_match(struct list_query *q, const struct store_match *m)
{
	struct list_bind name = { 1, m->field, 0 };

	if (m->n_values == 0 || (guint)m->key >= G_N_ELEMENTS(list_match_frags))
		return;
	g_string_append_printf(q->sql, " AND %scoalesce((",
			       m->negate ? "NOT " : "");
	for (size_t i = 0; i < m->n_values; i++) {
		struct list_bind b = { 1, m->values[i], 0 };

		g_string_append_printf(q->sql, "%s%s", i > 0 ? " OR " : "",
				       list_match_frags[m->key]);
		if (m->key == STORE_MATCH_FIELD)
			g_array_append_val(q->binds, name);
		g_array_append_val(q->binds, b);
	}
	g_string_append(q->sql, "), 0)");
}

static void
list_filters(struct list_query *q, const struct store_filter *f)
{
	for (size_t i = 0; i < f->n_matches; i++)
		list_match(q, &f->matches[i]);
	list_and_text(q, "c.last_message_from = ? COLLATE NOCASE",
		      f->latest_by);
	if (f->status != NULL)
		list_and_text(q, "c.status = ?",
			      store_case_status_name(*f->status));
	list_and_text(q, "c.type = ?", f->type);
	list_and_text(q, "c.kind = ?", f->kind);
	list_and_text(q, "c.source = ?", f->source);
	list_and_text(q, "c.priority = ?", f->priority);
	list_and_text(q, "c.shipment = ? COLLATE NOCASE", f->shipment);
	list_and_text(q, "lower(?) IN (lower(c.crm_shipper),"
		      " lower(c.crm_carrier))", f->crm);
	list_and_text(q, list_owner_frag, f->owner);
	list_and_text(q, list_watcher_frag, f->watcher);
	list_and_time(q, "c.created_at >= ?", f->created_since);
	list_and_time(q, "c.created_at < ?", f->created_until);
	list_and_time(q, "c.solved_at >= ?", f->solved_since);
	list_and_time(q, "c.solved_at < ?", f->solved_until);
	list_and_time(q, "c.last_message_at >= ?", f->latest_since);
}

/*
 * Turn free text into an FTS5 query that cannot be a syntax error: each
 * word becomes a quoted prefix term ("word"*), all of them required.
 * Returns NULL if the text has no word characters.
 */
static char *
list_fts_query(const char *text)
{
	GString *q = g_string_new(NULL);
	const char *p = text;

	while (*p != '\0') {
		const char *start;

		while (*p != '\0' && g_unichar_isspace(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		start = p;
		while (*p != '\0' && !g_unichar_isspace(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		if (p == start)
			break;
		if (q->len > 0)
			g_string_append_c(q, ' ');
		g_string_append_c(q, '"');
		for (const char *c = start; c < p; c++) {
			if (*c == '"')
				g_string_append_c(q, '"');
			g_string_append_c(q, *c);
		}
		g_string_append(q, "\"*");
	}
	if (q->len == 0) {
		g_string_free(q, TRUE);
		return NULL;
	}
	return g_string_free(q, FALSE);
}

static void
list_text(struct list_query *q, const struct store_filter *f,
	  const char *fts)
{
	struct list_bind b = { 1, fts, 0 };
	struct list_bind id = { 0, NULL, f->text_case_id };

	struct list_bind whole = { 1, f->text, 0 };

	/* Words may match the case's own fields or any stored message on
	 * it; a case number typed as the query matches that case too, and
	 * a custom field value that holds the whole text (fields are few
	 * and short: no index of their own). */
	g_string_append(q->sql,
			" AND (c.id IN (SELECT rowid FROM cases_fts"
			" WHERE cases_fts MATCH ?)"
			" OR c.id IN (SELECT m.case_id FROM messages m"
			" WHERE m.state = 'stored' AND m.id IN"
			" (SELECT rowid FROM messages_fts WHERE messages_fts"
			" MATCH ?)) OR c.id = ?"
			" OR c.id IN (SELECT cf.case_id FROM case_fields cf"
			" WHERE instr(lower(cf.value), lower(?)) > 0))");
	g_array_append_val(q->binds, b);
	g_array_append_val(q->binds, b);
	g_array_append_val(q->binds, id);
	g_array_append_val(q->binds, whole);
}

static int
list_run(struct store *s, struct list_query *q, GArray **ids_r,
	 struct cm_error *err)
{
	sqlite3_stmt *st = NULL;
	GArray *ids;
	int rc;

	rc = sqlite3_prepare_v2(s->db, q->sql->str, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_sql_err(s, rc, "list", err);
	for (guint i = 0; i < q->binds->len; i++) {
		struct list_bind *b = &g_array_index(q->binds, struct list_bind, i);

		if (b->is_text)
			sqlite3_bind_text(st, (int)i + 1, b->text, -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, (int)i + 1, b->num);
	}
	ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	rc = store_read_rows(s, st, "list", store_row_id, ids, err);
	sqlite3_finalize(st);
	if (rc != 0) {
		g_array_unref(ids);
		return rc;
	}
	*ids_r = ids;
	return 0;
}

int
store_case_list(struct store *s, const struct store_filter *f, GArray **ids_r,
		struct cm_error *err)
{
	struct list_query q;
	char *fts = NULL;
	int rc;

	*ids_r = NULL;
	q.sql = g_string_new("SELECT c.id FROM cases c WHERE 1");
	q.binds = g_array_new(FALSE, FALSE, sizeof(struct list_bind));
	list_view(&q, f);
	list_filters(&q, f);
	if (f->text != NULL) {
		fts = list_fts_query(f->text);
		if (fts != NULL)
			list_text(&q, f, fts);
		else if (f->text_case_id == 0)
			g_string_append(q.sql, " AND 0");
	}
	/* updated_at also moves with every stored message, so it is the
	 * newest activity, and the index on it serves the common views. */
	g_string_append(q.sql, " ORDER BY c.updated_at DESC, c.id DESC");
	if (f->limit > 0)
		g_string_append_printf(q.sql, " LIMIT %d", f->limit);
	rc = list_run(s, &q, ids_r, err);
	g_free(fts);
	g_string_free(q.sql, TRUE);
	g_array_unref(q.binds);
	return rc;
}
