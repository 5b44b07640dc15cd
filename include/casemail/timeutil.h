/*
 * timeutil.h - the times agents type and the times we print.
 *
 * Stored times are Unix seconds (UTC).  Printed times are ISO 8601 UTC,
 * "2026-11-29T14:05:00Z".
 */
#ifndef CASEMAIL_TIMEUTIL_H
#define CASEMAIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "casemail/error.h"

#define TIME_ISO_SIZE 32

/*
 * Parse a time given by a person, relative to now:
 *   2026-12-01               midnight, local time ($TZ)
 *   2026-12-01T09:30         local time ("T" or one space)
 *   2026-12-01T09:30:00Z     with a zone: Z or +01:00
 *   now, today, tomorrow     (today/tomorrow: local midnight)
 *   +3d, +4h, +30m, -2d      relative to now (d, h, m; w for weeks)
 * Returns 0 and sets *t_r, or CM_EUSAGE naming the text.
 */
int time_parse(const char *text, int64_t now, int64_t *t_r,
	       struct cm_error *err);

/* time_parse() with local times in zone (as time_format_zone() takes it;
 * NULL or "": $TZ), e.g. a browser's "2026-12-01T09:30" in the desk's
 * [case] timezone. */
int time_parse_zone(const char *text, const char *zone, int64_t now,
		    int64_t *t_r, struct cm_error *err);

/* Format t as ISO 8601 UTC into buf (TIME_ISO_SIZE bytes). */
void time_format_iso(int64_t t, char *buf, size_t size);

/*
 * Format t as ISO 8601 in zone, with the zone's offset at that time
 * ("2026-11-29T15:05:00+01:00"; "Z" when the offset is 0, as UTC is
 * printed) into buf (TIME_ISO_SIZE bytes).  zone is an IANA name
 * ("Europe/Berlin"), "UTC" or an offset ("+01:00"); NULL or "": the
 * system's zone ($TZ, else /etc/localtime).  For times shown to people;
 * JSON stays UTC (time_format_iso()).
 */
void time_format_zone(int64_t t, const char *zone, char *buf, size_t size);

/* Nonzero when zone (not NULL) names a time zone that can be loaded. */
int time_zone_valid(const char *zone);

/* The current time in Unix seconds; $CASEMAIL_NOW (seconds) overrides it
 * so tests can fix the clock. */
int64_t time_now(void);

#endif
