/*
 * store_private.h - what store.c, store_case.c and store_list.c share.
 */
#ifndef CASEMAIL_STORE_PRIVATE_H
#define CASEMAIL_STORE_PRIVATE_H

#include <sqlite3.h>

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

/* Run a statement that returns no rows to completion. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
		    struct cm_error *err);

/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *st, int idx, const char *v);
/* Bind an int64, or NULL when v is 0 (our "unset" for optional times). */
void store_bind_opt_time(sqlite3_stmt *st, int idx, int64_t v);
/* Copy a column into a new string (NULL stays NULL). */
char *store_col_text(sqlite3_stmt *st, int col);

#endif
