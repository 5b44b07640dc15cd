/* test_bizhours.c - business-hours arithmetic: weekends, holidays, DST,
 * pauses, durations and the calendar syntax. */
#include "testutil.h"

#include <glib.h>

#include "casemail/bizhours.h"

/* Unix time of a local time in zone tz. */
static int64_t
at(const char *tz, int y, int mo, int d, int h, int mi)
{
	GTimeZone *z = g_time_zone_new_identifier(tz);
	GDateTime *dt = g_date_time_new(z, y, mo, d, h, mi, 0);
	int64_t t = g_date_time_to_unix(dt);

	g_date_time_unref(dt);
	g_time_zone_unref(z);
	return t;
}

static struct bizhours *
cal_new(const char *hours, const char *holidays, const char *tz)
{
	char **h = g_strsplit(hours, ",", -1);
	char **hol = holidays != NULL ? g_strsplit(holidays, ",", -1) : NULL;
	struct bizhours *cal = NULL;
	struct cm_error err = { 0 };

	for (char **p = h; *p != NULL; p++)
		g_strstrip(*p);
	for (char **p = hol; p != NULL && *p != NULL; p++)
		g_strstrip(*p);
	if (bizhours_new(h, hol, tz, &cal, &err) != 0)
		fail_msg("calendar: %s", err.msg);
	g_strfreev(h);
	g_strfreev(hol);
	return cal;
}

static void
test_weekend(void **state)
{
	struct bizhours *cal = cal_new("mon-fri 08:00-18:00", NULL, "UTC");
	/* 2026-12-04 is a Friday. */
	int64_t fri = at("UTC", 2026, 12, 4, 17, 0);

	(void)state;
	assert_int_equal(bizhours_add(cal, fri, 2 * 3600),
			 at("UTC", 2026, 12, 7, 9, 0));
	assert_int_equal(bizhours_between(cal, fri, at("UTC", 2026, 12, 7, 9, 0)),
			 2 * 3600);
	/* A whole week holds 50 open hours. */
	assert_int_equal(bizhours_between(cal, fri, fri + 7 * 86400),
			 50 * 3600);
	/* Ending exactly at closing time is due at closing, not next day. */
	assert_int_equal(bizhours_add(cal, fri, 3600),
			 at("UTC", 2026, 12, 4, 18, 0));
	bizhours_free(&cal);
	assert_null(cal);
}

static void
test_outside_hours(void **state)
{
	struct bizhours *cal = cal_new("mon-fri 08:00-18:00, sat 09:00-13:00",
				       NULL, "UTC");
	int64_t sat_eve = at("UTC", 2026, 12, 5, 20, 0);
	int64_t sat_morn = at("UTC", 2026, 12, 5, 7, 0);

	(void)state;
	/* Created Saturday evening: the clock starts Monday 08:00. */
	assert_int_equal(bizhours_add(cal, sat_eve, 3600),
			 at("UTC", 2026, 12, 7, 9, 0));
	assert_int_equal(bizhours_between(cal, sat_eve,
					  at("UTC", 2026, 12, 7, 8, 0)), 0);
	/* Saturday morning has its four hours. */
	assert_int_equal(bizhours_add(cal, sat_morn, 5 * 3600),
			 at("UTC", 2026, 12, 7, 9, 0));
	bizhours_free(&cal);
}

static void
test_holidays(void **state)
{
	struct bizhours *cal = cal_new("mon-fri 08:00-18:00",
				       "2026-12-25, 2027-01-01", "UTC");
	/* Thursday 24 December, 17:00; Friday the 25th is closed. */
	int64_t thu = at("UTC", 2026, 12, 24, 17, 0);

	(void)state;
	assert_int_equal(bizhours_add(cal, thu, 2 * 3600),
			 at("UTC", 2026, 12, 28, 9, 0));
	/* Christmas week: 4 open days of 10 hours. */
	assert_int_equal(bizhours_between(cal, at("UTC", 2026, 12, 21, 0, 0),
					  at("UTC", 2026, 12, 28, 0, 0)),
			 40 * 3600);
	bizhours_free(&cal);
}

static void
test_dst_berlin(void **state)
{
	const char *tz = "Europe/Berlin";
	struct bizhours *day = cal_new("daily 00:00-24:00", NULL, tz);
	struct bizhours *office = cal_new("mon-fri 08:00-18:00", NULL, tz);

	(void)state;
	/* 29 March 2026 has 23 hours, 25 October 2026 has 25. */
	assert_int_equal(bizhours_between(day, at(tz, 2026, 3, 28, 0, 0),
					  at(tz, 2026, 3, 30, 0, 0)), 47 * 3600);
	assert_int_equal(bizhours_between(day, at(tz, 2026, 10, 24, 0, 0),
					  at(tz, 2026, 10, 26, 0, 0)), 49 * 3600);
	/* Friday 17:00 CET + 2 h = Monday 09:00 CEST, 07:00 UTC. */
	assert_int_equal(bizhours_add(office, at(tz, 2026, 3, 27, 17, 0),
				      2 * 3600),
			 at("UTC", 2026, 3, 30, 7, 0));
	/* And back: Friday 17:00 CEST + 2 h = Monday 09:00 CET. */
	assert_int_equal(bizhours_add(office, at(tz, 2026, 10, 23, 17, 0),
				      2 * 3600),
			 at("UTC", 2026, 10, 26, 8, 0));
	bizhours_free(&day);
	bizhours_free(&office);
}

static void
test_pauses(void **state)
{
	struct bizhours *cal = cal_new("mon-fri 08:00-18:00", NULL, "UTC");
	int64_t mon8 = at("UTC", 2026, 12, 7, 8, 0);
	GArray *p = g_array_new(FALSE, FALSE, sizeof(struct bizhours_pause));
	struct bizhours_pause w = { mon8 + 3600, mon8 + 3 * 3600 };
	struct bizhours_pause overlap = { mon8 + 2 * 3600, mon8 + 4 * 3600 };
	struct bizhours_pause open = { mon8 + 5 * 3600, BIZHOURS_NEVER };

	(void)state;
	g_array_append_val(p, w);
	/* 4 h target, 2 h paused: due at 14:00. */
	assert_int_equal(bizhours_add_paused(cal, mon8, 4 * 3600, p),
			 mon8 + 6 * 3600);
	assert_int_equal(bizhours_between_paused(cal, mon8, mon8 + 6 * 3600, p),
			 4 * 3600);
	/* Overlapping pauses count once. */
	g_array_append_val(p, overlap);
	assert_int_equal(bizhours_between_paused(cal, mon8, mon8 + 6 * 3600, p),
			 3 * 3600);
	/* 08-09 open, 09-12 paused, 12-14 open. */
	assert_int_equal(bizhours_add_paused(cal, mon8, 3 * 3600, p),
			 mon8 + 6 * 3600);
	/* A pause without end: never due once the clock has stopped. */
	g_array_append_val(p, open);
	assert_int_equal(bizhours_add_paused(cal, mon8, 5 * 3600, p),
			 BIZHOURS_NEVER);
	assert_int_equal(bizhours_add_paused(cal, mon8, 2 * 3600, p),
			 mon8 + 5 * 3600);
	g_array_unref(p);
	bizhours_free(&cal);
}

static void
test_duration(void **state)
{
	struct cm_error err = { 0 };
	int64_t s = 0;

	(void)state;
	assert_int_equal(bizhours_parse_duration("1h30m", 86400, &s, &err), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(bizhours_parse_duration("90s", 86400, &s, &err), 0);
	assert_int_equal(s, 90);
	assert_int_equal(bizhours_parse_duration("24h", 86400, &s, &err), 0);
	assert_int_equal(bizhours_parse_duration("86401s", 86400, &s, &err),
			 CM_EINPUT);
	assert_int_equal(bizhours_parse_duration("1d", 86400, &s, &err),
			 CM_EINPUT);
	assert_int_equal(bizhours_parse_duration("0m", 86400, &s, &err),
			 CM_EINPUT);
	assert_int_equal(bizhours_parse_duration("h", 86400, &s, &err),
			 CM_EINPUT);
	assert_int_equal(bizhours_parse_duration("", 86400, &s, &err),
			 CM_EINPUT);
	assert_int_equal(bizhours_parse_duration("99999999999999999999h",
						 86400, &s, &err), CM_EINPUT);
}

static void
refused(const char *hours, const char *holidays, const char *tz)
{
	char **h = g_strsplit(hours, "|", -1);
	char **hol = holidays != NULL ? g_strsplit(holidays, "|", -1) : NULL;
	struct bizhours *cal = NULL;
	struct cm_error err = { 0 };

	assert_int_equal(bizhours_new(h, hol, tz, &cal, &err), CM_ECONFIG);
	assert_null(cal);
	g_strfreev(h);
	g_strfreev(hol);
}

static void
test_syntax(void **state)
{
	GString *many = g_string_new(NULL), *days = g_string_new(NULL);
	struct bizhours *cal;

	(void)state;
	refused("mon-fri 18:00-08:00", NULL, "UTC");
	refused("xyz 08:00-09:00", NULL, "UTC");
	refused("mon 8:00-9:00", NULL, "UTC");
	refused("mon 08:00-24:30", NULL, "UTC");
	refused("mon", NULL, "UTC");
	refused("mon 08:00-09:00", "2026-02-30", "UTC");
	refused("mon 08:00-09:00", "2026-12-25x", "UTC");
	refused("mon 08:00-09:00", NULL, "Nowhere/City");
	/* BIZHOURS_MAX_RULES rules pass, one more does not. */
	for (int i = 0; i < BIZHOURS_MAX_RULES; i++)
		g_string_append(many, i ? "|mon 08:00-09:00" : "mon 08:00-09:00");
	{
		char **h = g_strsplit(many->str, "|", -1);
		struct cm_error err = { 0 };

		assert_int_equal(bizhours_new(h, NULL, "UTC", &cal, &err), 0);
		bizhours_free(&cal);
		g_strfreev(h);
	}
	g_string_append(many, "|mon 08:00-09:00");
	refused(many->str, NULL, "UTC");
	for (int i = 0; i <= BIZHOURS_MAX_HOLIDAYS; i++)
		g_string_append(days, i ? "|2026-12-25" : "2026-12-25");
	refused("mon 08:00-09:00", days->str, "UTC");
	/* wrap-around ranges and touching hours merge. */
	cal = cal_new("fri-mon 08:00-12:00, mon 12:00-13:00", NULL, "UTC");
	assert_int_equal(bizhours_between(cal, at("UTC", 2026, 12, 7, 0, 0),
					  at("UTC", 2026, 12, 8, 0, 0)),
			 5 * 3600);
	assert_int_equal(bizhours_between(cal, at("UTC", 2026, 12, 1, 0, 0),
					  at("UTC", 2026, 12, 2, 0, 0)), 0);
	bizhours_free(&cal);
	g_string_free(many, TRUE);
	g_string_free(days, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekend),
		cmocka_unit_test(test_outside_hours),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_dst_berlin),
		cmocka_unit_test(test_pauses),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
