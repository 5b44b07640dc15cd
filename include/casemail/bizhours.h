/*
 * bizhours.h - business hours: a weekly calendar and a holiday list in one
 * timezone, and arithmetic on the open time between two instants.
 *
 * The calendar is written as in casemail.conf's [sla] hours: items of
 * "DAYS HH:MM-HH:MM [HH:MM-HH:MM ...]", DAYS one day (mon .. sun), a range
 * (mon-fri, fri-mon wraps) or "daily"; 24:00 ends a day.  Holidays are
 * YYYY-MM-DD dates, closed all day.  Local times are turned into instants
 * with GLib's GTimeZone for each date, so a DST change moves the UTC hours
 * (08:00 is 08:00 in summer and in winter) and the day it happens on has
 * the hours it really has.
 *
 * Instants are Unix seconds.  A calendar caches the open intervals of the
 * days it has been asked about (grown as needed, up to
 * BIZHOURS_HORIZON_DAYS around the first one), so each question is a
 * binary search: cheap enough for a report over 100k cases.
 *
 * Threads: a struct bizhours changes its cache on every call: one thread
 * at a time.
 */
#ifndef CASEMAIL_BIZHOURS_H
#define CASEMAIL_BIZHOURS_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"

/* "Never": a due time that no open hour reaches (a pause without end,
 * or no open hour within the horizon). */
#define BIZHOURS_NEVER INT64_MAX

/* Bounds of what casemail.conf may write (each a guard against a list
 * that is a mistake, not a desk): rules of the weekly calendar, holiday
 * dates, and how far a due time is looked for (ten years). */
#define BIZHOURS_MAX_RULES 64
#define BIZHOURS_MAX_HOLIDAYS 1000
#define BIZHOURS_HORIZON_DAYS 3660

struct bizhours;

/* A span of time in which the clock stops: [from, until); until may be
 * BIZHOURS_NEVER (still paused). */
struct bizhours_pause {
	int64_t from, until;
};

/*
 * A calendar from hours (NULL-terminated items as above; none: always
 * open), holidays (NULL-terminated dates, may be NULL) and tz (an IANA
 * identifier such as "Europe/Berlin"; NULL: the local timezone).  Returns
 * 0 with *cal_r the caller's (bizhours_free()), or CM_ECONFIG naming the
 * bad item; a calendar with no open hour at all is refused too.
 */
int bizhours_new(char **hours, char **holidays, const char *tz,
		 struct bizhours **cal_r, struct cm_error *err);

/* Free; accepts NULL and clears the pointer. */
void bizhours_free(struct bizhours **cal);

/* Open seconds in [a, b) (0 when b <= a). */
int64_t bizhours_between(struct bizhours *cal, int64_t a, int64_t b);

/* The first instant at which secs of open time have passed since a
 * (a itself for 0), or BIZHOURS_NEVER past the horizon. */
int64_t bizhours_add(struct bizhours *cal, int64_t a, int64_t secs);

/*
 * The same with the clock stopped during pauses[0 .. n-1] (any order,
 * may overlap; the array is sorted in place).
 */
int64_t bizhours_between_paused(struct bizhours *cal, int64_t a, int64_t b,
				GArray *pauses);
int64_t bizhours_add_paused(struct bizhours *cal, int64_t a, int64_t secs,
			    GArray *pauses);

/*
 * A duration such as "90s", "45m", "8h" or "1h30m" (units s, m, h; no
 * days, since a business day is whatever the calendar says) into *secs_r.
 * Returns 0, or CM_EINPUT for anything else, zero, or over max_secs.
 */
int bizhours_parse_duration(const char *text, int64_t max_secs,
			    int64_t *secs_r, struct cm_error *err);

/* The desk's timezone from a [case] timezone value (NULL: local); NULL
 * for an unknown identifier.  Caller g_time_zone_unref()s. */
GTimeZone *bizhours_timezone(const char *tz);

#endif
