/*
 * store_report.h - the SQL side of casectl report (store_report.c): the
 * cases of a period with the key they are grouped by, counts grouped in
 * SQL, the load per owner and the spans the backlog is counted from.
 * What needs business hours (times to answer and to solve) is computed
 * over these rows by report.c.
 *
 * Periods are [from, to) on cases.created_at unless said otherwise.
 * Results are the caller's; the common error codes (store.h).
 */
#ifndef CASEMAIL_STORE_REPORT_H
#define CASEMAIL_STORE_REPORT_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

/* What cases are grouped by. */
enum store_report_by {
	STORE_REPORT_ALL,      /* one group */
	STORE_REPORT_OWNER,    /* each owner (a case with two counts twice) */
	STORE_REPORT_TYPE,
	STORE_REPORT_SOURCE,
	STORE_REPORT_SIDE,     /* the side of the person who opened it */
	STORE_REPORT_PRIORITY,
};

/* One case of the period under one key. */
struct store_report_case {
	int64_t id;
	char *key;                  /* NULL: no owner, unknown side */
	char *type;
	char *priority;
	enum store_case_status status;
	int64_t created_at;
	int64_t first_response_at;  /* 0: none */
	int64_t solved_at;          /* 0: not solved */
};

/* A GPtrArray of struct store_report_case *, ordered by case id (rows
 * of one case follow each other). */
int store_report_cases(struct store *s, int64_t from, int64_t to,
		       enum store_report_by by, GPtrArray **rows_r,
		       struct cm_error *err);

/* Cases of the period per key, most first. */
struct store_report_count {
	char *key;                  /* NULL: none / unknown */
	int64_t n;
};
/* A GPtrArray of struct store_report_count *; by is not ALL. */
int store_report_counts(struct store *s, int64_t from, int64_t to,
			enum store_report_by by, GPtrArray **counts_r,
			struct cm_error *err);

/* An owner's load: Active cases now, cases of theirs created and solved
 * in the period. */
struct store_report_load {
	char *owner;                /* NULL: cases with no owner */
	int64_t active, created, solved;
};
/* A GPtrArray of struct store_report_load *, most active first. */
int store_report_load(struct store *s, int64_t from, int64_t to,
		      GPtrArray **load_r, struct cm_error *err);

/* When a case was open: created_at, and solved_at (0: still open). */
struct store_report_span {
	int64_t created_at, solved_at;
};
/* The spans of every case open at some time in [from, to): a GArray of
 * struct store_report_span. */
int store_report_spans(struct store *s, int64_t from, int64_t to,
		       GArray **spans_r, struct cm_error *err);

#endif
