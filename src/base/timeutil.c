/* timeutil.c - parse human times, print ISO 8601 UTC. */
#include "casemail/timeutil.h"

#include <ctype.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "+3d", "-4h": a signed count and a unit. */
static int
time_parse_relative(const char *text, int64_t now, int64_t *t_r)
{
	char *end = NULL;
	long long n;
	int64_t unit;

	if (text[0] != '+' && text[0] != '-')
		return -1;
	if (!isdigit((unsigned char)text[1]))
		return -1;
	n = strtoll(text + 1, &end, 10);
	if (end == NULL || end[0] == '\0' || end[1] != '\0' || n > 100000)
		return -1;
	switch (end[0]) {
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = (int64_t)7 * 86400; break;
	default: return -1;
	}
	*t_r = now + (text[0] == '-' ? -1 : 1) * (int64_t)n * unit;
	return 0;
}

static GTimeZone *time_zone_load(const char *zone);

static int64_t
time_local_midnight(GTimeZone *tz, int64_t now, int add_days)
{
	GDateTime *u = g_date_time_new_from_unix_utc(now);
	GDateTime *t = g_date_time_to_timezone(u, tz);
	GDateTime *m = g_date_time_new(tz, g_date_time_get_year(t),
				       g_date_time_get_month(t),
				       g_date_time_get_day_of_month(t),
				       0, 0, 0);
	GDateTime *d = g_date_time_add_days(m, add_days);
	int64_t r = g_date_time_to_unix(d);

	g_date_time_unref(u);
	g_date_time_unref(t);
	g_date_time_unref(m);
	g_date_time_unref(d);
	return r;
}

/* Accept "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" and full ISO 8601. */
static int
time_parse_iso(GTimeZone *tz, const char *text, int64_t *t_r)
{
	char buf[64];
	size_t len = strlen(text);
	GDateTime *dt;

	if (len < 10 || len >= sizeof(buf) - 10)
		return -1;
	memcpy(buf, text, len + 1);
	if (len == 10)
		g_strlcat(buf, "T00:00:00", sizeof(buf));
	else if (buf[10] == ' ')
		buf[10] = 'T';
	/* GLib wants seconds: add ":00" to a bare HH:MM. */
	if (strlen(buf) == 16)
		g_strlcat(buf, ":00", sizeof(buf));
	dt = g_date_time_new_from_iso8601(buf, tz);
	if (dt == NULL)
		return -1;
	*t_r = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

int
time_parse(const char *text, int64_t now, int64_t *t_r, struct cm_error *err)
{
	return time_parse_zone(text, NULL, now, t_r, err);
}

int
time_parse_zone(const char *text, const char *zone, int64_t now,
		int64_t *t_r, struct cm_error *err)
{
	GTimeZone *tz;
	int rc = -1;

	if (text == NULL)
		text = "";
	if (strcmp(text, "now") == 0) {
		*t_r = now;
		return 0;
	}
	if (time_parse_relative(text, now, t_r) == 0)
		return 0;
	tz = time_zone_load(zone);
	if (strcmp(text, "today") == 0 || strcmp(text, "tomorrow") == 0) {
		*t_r = time_local_midnight(tz, now,
					   strcmp(text, "tomorrow") == 0);
		rc = 0;
	} else {
		rc = time_parse_iso(tz, text, t_r);
	}
	g_time_zone_unref(tz);
	if (rc == 0)
		return 0;
	return cm_error_set(err, CM_EUSAGE,
			    "'%s' is not a date (use 2026-12-01, "
			    "2026-12-01T09:30, 2026-12-01T09:30:00Z, +3d, "
			    "+4h, now, today or tomorrow)", text);
}

void
time_format_iso(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%" PRId64, t);
}

static GTimeZone *
time_zone_load(const char *zone)
{
	GTimeZone *tz = NULL;

	if (zone != NULL && zone[0] != '\0')
		tz = g_time_zone_new_identifier(zone);
	return tz != NULL ? tz : g_time_zone_new_local();
}

void
time_format_zone(int64_t t, const char *zone, char *buf, size_t size)
{
	GTimeZone *tz = time_zone_load(zone);
	GDateTime *dt = g_date_time_new_from_unix_utc(t), *local = NULL;
	char *text = NULL;

	if (dt != NULL)
		local = g_date_time_to_timezone(dt, tz);
	if (local != NULL)
		text = g_date_time_format(local,
					  g_date_time_get_utc_offset(local) == 0
					  ? "%Y-%m-%dT%H:%M:%SZ"
					  : "%Y-%m-%dT%H:%M:%S%:z");
	if (text == NULL || strlen(text) >= size)
		time_format_iso(t, buf, size);
	else
		g_strlcpy(buf, text, size);
	g_free(text);
	if (local != NULL)
		g_date_time_unref(local);
	if (dt != NULL)
		g_date_time_unref(dt);
	g_time_zone_unref(tz);
}

int
time_zone_valid(const char *zone)
{
	GTimeZone *tz = g_time_zone_new_identifier(zone);

	if (tz == NULL)
		return 0;
	g_time_zone_unref(tz);
	return 1;
}

int64_t
time_now(void)
{
	const char *fixed = getenv("CASEMAIL_NOW");

	if (fixed != NULL && fixed[0] != '\0')
		return strtoll(fixed, NULL, 10);
	return (int64_t)time(NULL);
}
