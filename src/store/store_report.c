/*
 * store_report.c - the SQL of casectl report (see store_report.h).
 *
 * One fixed statement per grouping (no SQL is assembled from input): the
 * key is a column, a join or the creator's side.
 */
#include "store_private.h"

#include "casemail/store_report.h"

#define REPORT_OWNER_JOIN \
	" LEFT JOIN case_roles r ON r.case_id = c.id AND r.role = 'owner'" \
	" LEFT JOIN people p ON p.id = r.person_id"
#define REPORT_SIDE_JOIN " LEFT JOIN people p ON p.address = c.creator"
#define REPORT_PERIOD " WHERE c.created_at >= ?1 AND c.created_at < ?2"

#define REPORT_CASES(key, join) \
	"SELECT c.id, " key ", c.type, c.priority, c.status, c.created_at," \
	" c.first_response_at, c.solved_at FROM cases c" join REPORT_PERIOD \
	" ORDER BY c.id"
#define REPORT_COUNTS(key, join) \
	"SELECT " key ", count(*) FROM cases c" join REPORT_PERIOD \
	" GROUP BY 1 ORDER BY 2 DESC, 1"

/* Indexed by enum store_report_by. */
static const char *const report_cases_sql[] = {
	REPORT_CASES("NULL", ""),
	REPORT_CASES("p.address", REPORT_OWNER_JOIN),
	REPORT_CASES("c.type", ""),
	REPORT_CASES("c.source", ""),
	REPORT_CASES("p.side", REPORT_SIDE_JOIN),
	REPORT_CASES("c.priority", ""),
};
static const char *const report_counts_sql[] = {
	REPORT_COUNTS("NULL", ""),
	REPORT_COUNTS("p.address", REPORT_OWNER_JOIN),
	REPORT_COUNTS("c.type", ""),
	REPORT_COUNTS("c.source", ""),
	REPORT_COUNTS("p.side", REPORT_SIDE_JOIN),
	REPORT_COUNTS("c.priority", ""),
};

static void
report_case_free(gpointer p)
{
	struct store_report_case *r = p;

	g_free(r->key);
	g_free(r->type);
	g_free(r->priority);
	g_free(r);
}

static int
report_read_case(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	struct store_report_case *r;
	int status = store_col_word(st, 4, &store_case_statuses, err);

	if (status < 0)
		return status;
	r = g_new0(struct store_report_case, 1);
	r->id = sqlite3_column_int64(st, 0);
	r->key = store_col_text(st, 1);
	r->type = store_col_text(st, 2);
	r->priority = store_col_text(st, 3);
	r->status = (enum store_case_status)status;
	r->created_at = sqlite3_column_int64(st, 5);
	r->first_response_at = sqlite3_column_int64(st, 6);
	r->solved_at = sqlite3_column_int64(st, 7);
	g_ptr_array_add(ctx, r);
	return 0;
}

/* Run sql over [from, to) into a new array of free_fn'd rows. */
static int
report_rows(struct store *s, const char *sql, int64_t from, int64_t to,
	    store_row_cb read_row, GDestroyNotify free_fn, GPtrArray **rows_r,
	    struct cm_error *err)
{
	struct store_arg args[] = { STORE_INT(from), STORE_INT(to) };
	GPtrArray *rows = g_ptr_array_new_with_free_func(free_fn);
	int rc = store_query_rows(s, sql, STORE_ARGS(args), "report", read_row,
				  rows, err);

	if (rc != 0) {
		g_ptr_array_unref(rows);
		rows = NULL;
	}
	*rows_r = rows;
	return rc;
}

int
store_report_cases(struct store *s, int64_t from, int64_t to,
		   enum store_report_by by, GPtrArray **rows_r,
		   struct cm_error *err)
{
	g_assert((size_t)by < G_N_ELEMENTS(report_cases_sql));
	return report_rows(s, report_cases_sql[by], from, to, report_read_case,
			   report_case_free, rows_r, err);
}

static void
report_count_free(gpointer p)
{
	struct store_report_count *c = p;

	g_free(c->key);
	g_free(c);
}

static int
report_read_count(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	struct store_report_count *c = g_new0(struct store_report_count, 1);

	(void)err;
	c->key = store_col_text(st, 0);
	c->n = sqlite3_column_int64(st, 1);
	g_ptr_array_add(ctx, c);
	return 0;
}

int
store_report_counts(struct store *s, int64_t from, int64_t to,
		    enum store_report_by by, GPtrArray **counts_r,
		    struct cm_error *err)
{
	g_assert((size_t)by < G_N_ELEMENTS(report_counts_sql));
	return report_rows(s, report_counts_sql[by], from, to,
			   report_read_count, report_count_free, counts_r, err);
}

static void
report_load_free(gpointer p)
{
	struct store_report_load *l = p;

	g_free(l->owner);
	g_free(l);
}

static int
report_read_load(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	struct store_report_load *l = g_new0(struct store_report_load, 1);

	(void)err;
	l->owner = store_col_text(st, 0);
	l->active = sqlite3_column_int64(st, 1);
	l->created = sqlite3_column_int64(st, 2);
	l->solved = sqlite3_column_int64(st, 3);
	g_ptr_array_add(ctx, l);
	return 0;
}

int
store_report_load(struct store *s, int64_t from, int64_t to,
		  GPtrArray **load_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT p.address, sum(c.status = 'active'),"
		" sum(c.created_at >= ?1 AND c.created_at < ?2),"
		" sum(coalesce(c.solved_at >= ?1 AND c.solved_at < ?2, 0))"
		" FROM cases c" REPORT_OWNER_JOIN
		" WHERE c.status = 'active' OR c.created_at >= ?1"
		" OR c.solved_at >= ?1"
		" GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1";

	return report_rows(s, sql, from, to, report_read_load,
			   report_load_free, load_r, err);
}

static int
report_read_span(sqlite3_stmt *st, void *ctx, struct cm_error *err)
{
	struct store_report_span sp;

	(void)err;
	sp.created_at = sqlite3_column_int64(st, 0);
	sp.solved_at = sqlite3_column_int64(st, 1);
	g_array_append_val((GArray *)ctx, sp);
	return 0;
}

int
store_report_spans(struct store *s, int64_t from, int64_t to,
		   GArray **spans_r, struct cm_error *err)
{
	static const char sql[] =
		"SELECT created_at, solved_at FROM cases WHERE created_at < ?2"
		" AND (solved_at IS NULL OR solved_at >= ?1)";
	struct store_arg args[] = { STORE_INT(from), STORE_INT(to) };
	GArray *spans = g_array_new(FALSE, FALSE,
				    sizeof(struct store_report_span));
	int rc = store_query_rows(s, sql, STORE_ARGS(args), "report backlog",
				  report_read_span, spans, err);

	if (rc != 0) {
		g_array_unref(spans);
		spans = NULL;
	}
	*spans_r = spans;
	return rc;
}
