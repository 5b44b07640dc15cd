/*
 * store_private.h - what the store_*.c files share: the connection, the
 * statement cache and one way to run a statement and read its rows.
 */
#ifndef CASEMAIL_STORE_PRIVATE_H
#define CASEMAIL_STORE_PRIVATE_H

#include <sqlite3.h>

#include "casemail/record.h"
#include "casemail/store.h"

struct store {
	sqlite3 *db;
	char *path;
	const struct config *cfg;   /* borrowed, may be NULL */
	int busy_timeout_ms;
	int in_tx;
	int migrated;               /* the schema is this binary's */
	GHashTable *stmts;          /* const char *sql -> sqlite3_stmt * */
};

/*
 * A cached prepared statement for a constant SQL string (the pointer is the
 * key, so pass string literals only).  The statement is reset and its
 * bindings cleared before it is returned; it stays owned by the cache.
 */
int store_stmt(struct store *s, const char *sql, sqlite3_stmt **stmt_r,
	       struct cm_error *err);

/* Map a SQLite result code to a CM_* code and message about what failed. */
int store_sql_err(struct store *s, int rc, const char *what,
		  struct cm_error *err);

/*
 * Reading rows.  store_step_row() steps st once and maps a SQLite failure
 * with store_sql_err(s, rc, what) (SQLITE_BUSY is CM_ETEMP, and so on).
 * It returns STORE_ROW with the row's columns readable (the caller resets
 * st when it has read them, or steps again), STORE_DONE when there are no
 * more rows, or a negative CM_E*; after the last two st is reset.  Since
 * STORE_DONE is 0, a loop over rows ends with `return rc`:
 *
 *	while ((rc = store_step_row(s, st, "load roles", err)) == STORE_ROW)
 *		...read the row...
 *	return rc;
 */
enum { STORE_DONE = 0, STORE_ROW = 1 };

int store_step_row(struct store *s, sqlite3_stmt *st, const char *what,
		   struct cm_error *err);

/*
 * Read the current row of st into ctx (a list, a record): returns 0, or a
 * negative CM_E* (with err set) to stop reading.
 */
typedef int (*store_row_cb)(sqlite3_stmt *st, void *ctx,
			    struct cm_error *err);

/*
 * Step st (bound, not yet stepped) through all its rows, calling
 * read_row(st, ctx, err) for each; what names the step in a SQLite error.
 * st is reset at the end.  Returns 0 when every row was read, else the
 * first negative CM_E* of a step or of read_row.
 */
int store_read_rows(struct store *s, sqlite3_stmt *st, const char *what,
		    store_row_cb read_row, void *ctx, struct cm_error *err);

/* A store_row_cb: appends column 0, an integer, to ids (a GArray of
 * int64_t).  Returns 0. */
int store_row_id(sqlite3_stmt *st, void *ids, struct cm_error *err);

/*
 * Step st once and copy its first n columns, read as integers, to
 * v[0 .. n-1] (left alone when there is no row); st is reset.  Returns
 * STORE_ROW, STORE_DONE or a negative CM_E*, as store_step_row().
 */
int store_read_int64(struct store *s, sqlite3_stmt *st, const char *what,
		     int64_t *v, int n, struct cm_error *err);

/* Run a statement that returns no rows to completion (a row is not an
 * error); st is reset.  Returns 0 or a negative CM_E*. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
		    struct cm_error *err);

/*
 * A value for ?1, ?2, ... of a statement, in order.  The initializers
 * check the C type: STORE_INT() takes an integer, STORE_TEXT() a string
 * or NULL, STORE_OPT_INT() an integer bound as NULL when it is 0 (our
 * "unset" for optional times and ids).
 */
struct store_arg {
	enum { STORE_ARG_INT, STORE_ARG_TEXT, STORE_ARG_OPT_INT } type;
	int64_t num;
	const char *text;
};
#define STORE_INT(v)     { STORE_ARG_INT, (v), NULL }
#define STORE_TEXT(v)    { STORE_ARG_TEXT, 0, (v) }
#define STORE_OPT_INT(v) { STORE_ARG_OPT_INT, (v), NULL }

/* An array of struct store_arg and its length, for the calls below. */
#define STORE_ARGS(a) (a), G_N_ELEMENTS(a)

/* store_stmt() with args[0 .. n-1] bound to ?1 .. ?n. */
int store_query(struct store *s, const char *sql, const struct store_arg *args,
		size_t n, sqlite3_stmt **stmt_r, struct cm_error *err);

/* store_query() and store_read_rows(): every row of sql with args bound. */
int store_query_rows(struct store *s, const char *sql,
		     const struct store_arg *args, size_t n, const char *what,
		     store_row_cb read_row, void *ctx, struct cm_error *err);

/*
 * store_query() and one step, for a statement that reads one row.  Returns
 * 0 with the row readable in *stmt_r (the caller resets it when done),
 * CM_ENOTFOUND with the printf-style notfound message when there is no
 * row, or another negative CM_E* (what names the step in the message).
 */
int store_query_row(struct store *s, const char *sql,
		    const struct store_arg *args, size_t n, const char *what,
		    sqlite3_stmt **stmt_r, struct cm_error *err,
		    const char *notfound, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * Run cached sql, which returns no rows, with args bound (store_query()
 * and store_step_done()).  Returns 0 or a negative CM_E*; what names the
 * step in the message.
 */
int store_run(struct store *s, const char *sql, const struct store_arg *args,
	      size_t n, const char *what, struct cm_error *err);

/*
 * The case of the newest of message_ids (a GPtrArray of strings) that sql
 * finds, or 0 in *case_id_r: sql takes the Message-ID as ?1 and returns
 * the case id, if any, in its first column.
 */
int store_case_of_ids(struct store *s, const char *sql, GPtrArray *message_ids,
		      const char *what, int64_t *case_id_r,
		      struct cm_error *err);

/*
 * Every row of sql with args bound, read by read_row into a new GPtrArray
 * that frees its elements with free_func (*rows_r; NULL on error), as
 * store_query_rows() (store_merge.c).
 */
int store_rows_ptr(struct store *s, const char *sql,
		   const struct store_arg *args, size_t n, const char *what,
		   store_row_cb read_row, GDestroyNotify free_func,
		   GPtrArray **rows_r, struct cm_error *err);
/* The same for column 0 as int64_t ids, in a new GArray (*ids_r). */
int store_rows_ids(struct store *s, const char *sql,
		   const struct store_arg *args, size_t n, const char *what,
		   GArray **ids_r, struct cm_error *err);

/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *st, int idx, const char *v);
/* Bind an int64, or NULL when v is 0 (our "unset" for optional times). */
void store_bind_opt_time(sqlite3_stmt *st, int idx, int64_t v);
/* Copy a column into a new string (NULL stays NULL). */
char *store_col_text(sqlite3_stmt *st, int col);
/*
 * Fill the n string fields of rec that strings[] names from their columns
 * of the current row of st (store_col_text()); fields with
 * RECORD_NO_COLUMN, and fields of other kinds, are left alone.
 */
void store_cols_text(sqlite3_stmt *st, void *rec,
		     const struct record_field *strings, size_t n);

/* The words of one state enum (store_words.c): words[v] for value v. */
struct store_words {
	const char *what;           /* "message state", for errors */
	const char *const *words;
	size_t n;
};

extern const struct store_words store_case_statuses, store_msg_states,
	store_outbox_states, store_rcpt_states;

/*
 * Column col of the current row of st read as one of w's words: the enum
 * value (>= 0), or CM_ESTORE naming the unknown word; st is not reset.
 */
int store_col_word(sqlite3_stmt *st, int col, const struct store_words *w,
		   struct cm_error *err);

/*
 * The migrations (store_schema.c): entry i takes the schema from version
 * i to i + 1; there are STORE_SCHEMA_VERSION of them.
 */
extern const char *const store_migrations[];

#endif
