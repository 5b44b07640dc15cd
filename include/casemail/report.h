/*
 * report.h - the desk in numbers (casectl report; a web page later):
 * computed here, printed elsewhere (cli_report_out.c).
 *
 * Over the cases created in a period [from, to):
 *  - per group (--by) and in all: cases, solved, the business time to
 *    the first response and to solving (median and 90th percentile, by
 *    nearest rank over the cases that have one), and how many of the
 *    cases with a target met it;
 *  - cases by type, source and side (SQL counts);
 * and over the whole desk:
 *  - the backlog at the end of each step (a day, or a week for periods
 *    over 31 days), that is at midnight in the desk's timezone (the
 *    calendar's, [case] timezone), the last step cut at the period's end:
 *    cases open then, by age (0-1d, 1-3d, 3-7d, over 7d, in calendar
 *    time);
 *  - the load per owner: Active cases now, created and solved in the
 *    period.
 * Times are business seconds (slaconf.h), with the clock's pauses.
 * Cases merged into another are pointers and are left out of all of it
 * (store_report.h).
 */
#ifndef CASEMAIL_REPORT_H
#define CASEMAIL_REPORT_H

#include <glib.h>
#include <stdint.h>

#include "casemail/slaconf.h"
#include "casemail/store.h"
#include "casemail/store_report.h"

/* One kind of time (to first response, to solve) of a group. */
struct report_time {
	int64_t n;             /* cases that have one */
	int64_t median, p90;   /* business seconds; 0 when n is 0 */
	int64_t with_target;   /* cases with a target ... */
	int64_t met;           /* ... that met it */
};

struct report_group {
	char *key;             /* NULL: the total; "(none)" for no key */
	int64_t cases, solved;
	struct report_time time[SLACONF_KINDS];
	GArray *values[SLACONF_KINDS]; /* int64_t, while building */
};

/* Age buckets of the backlog. */
#define REPORT_AGES 4
/* Their upper bounds in days (the last has none). */
extern const int report_age_days[REPORT_AGES - 1];

struct report_backlog {
	int64_t at;            /* the end of the step: a local midnight, or
				* the period's end */
	int64_t open;
	int64_t age[REPORT_AGES];
};

struct report {
	int64_t from, to, step_secs;
	enum store_report_by by;
	struct report_group total;
	GPtrArray *groups;     /* struct report_group *, by key; empty for ALL */
	GArray *backlog;       /* struct report_backlog */
	GPtrArray *by_type, *by_source, *by_side; /* struct store_report_count * */
	GPtrArray *load;       /* struct store_report_load * */
};

/* Periods longer than this (ten years) are refused: the backlog has a
 * row per step. */
#define REPORT_MAX_SECS ((int64_t)3660 * 86400)

/*
 * Build the report of [from, to) grouped by by, times measured at now
 * (the clocks of open cases).  Returns 0 with *r_r the caller's
 * (report_free()), CM_EUSAGE for an empty or too long period, or the
 * store's codes.
 */
int report_build(const struct slaconf *sc, struct store *s, int64_t from,
		 int64_t to, enum store_report_by by, int64_t now,
		 struct report **r_r, struct cm_error *err);

/* Free; accepts NULL and clears the pointer. */
void report_free(struct report **r);

/* "owner", "type", ...: parse (CM_EUSAGE for another word) and name. */
int report_by_parse(const char *word, enum store_report_by *by_r,
		    struct cm_error *err);
const char *report_by_name(enum store_report_by by);

/*
 * The start of a period that ends at now, as casectl report --period and
 * the reports page take it: "month" (the current month, from its first
 * midnight in [case] timezone) or "Nd", N days of 1 to REPORT_MAX_SECS.
 * 0 with *from_r, or CM_EUSAGE.
 */
int report_period_parse(const struct config *cfg, const char *p, int64_t now,
			int64_t *from_r, struct cm_error *err);

/* The percent-th percentile (1 .. 100) of sorted int64_t values by
 * nearest rank: the ceil(percent * n / 100)-th smallest; 0 for none. */
int64_t report_quantile(const GArray *sorted, int percent);

#endif
