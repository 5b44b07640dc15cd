/* test_timeutil.c - human times in, ISO 8601 UTC out (run with TZ=UTC). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/timeutil.h"

/* 2026-11-29T12:00:00Z */
#define NOW 1795953600LL

static void
test_iso_forms(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(time_parse("2026-12-01", NOW, &t, NULL), 0);
	assert_int_equal(t, 1796083200LL);
	assert_int_equal(time_parse("2026-12-01T09:30", NOW, &t, NULL), 0);
	assert_int_equal(t, 1796083200LL + 9 * 3600 + 30 * 60);
	assert_int_equal(time_parse("2026-12-01 09:30", NOW, &t, NULL), 0);
	assert_int_equal(t, 1796083200LL + 9 * 3600 + 30 * 60);
	assert_int_equal(time_parse("2026-12-01T09:30:00Z", NOW, &t, NULL), 0);
	assert_int_equal(t, 1796083200LL + 9 * 3600 + 30 * 60);
	assert_int_equal(time_parse("2026-12-01T10:30:00+01:00", NOW, &t, NULL), 0);
	assert_int_equal(t, 1796083200LL + 9 * 3600 + 30 * 60);
}

static void
test_relative(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(time_parse("now", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(time_parse("+3d", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW + 3 * 86400);
	assert_int_equal(time_parse("-2h", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW - 2 * 3600);
	assert_int_equal(time_parse("+30m", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW + 1800);
	assert_int_equal(time_parse("+1w", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW + 7 * 86400);
	assert_int_equal(time_parse("today", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW - 12 * 3600);
	assert_int_equal(time_parse("tomorrow", NOW, &t, NULL), 0);
	assert_int_equal(t, NOW + 12 * 3600);
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
		"", "soon", "2026-13-01", "2026-02-30", "2026-12-01T25:00",
		"+3", "+d", "3d", "+3x", "+3dd", "2026/12/01", "+99999999d",
		"2026-12-01Tjunk",
	};
	struct cm_error err;
	int64_t t = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cm_error_clear(&err);
		assert_int_equal(time_parse(bad[i], NOW, &t, &err), CM_EUSAGE);
		assert_non_null(strstr(err.msg, "is not a date"));
	}
	assert_int_equal(t, 7);
}

static void
test_format(void **state)
{
	char buf[TIME_ISO_SIZE];

	(void)state;
	time_format_iso(NOW, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T12:00:00Z");
	time_format_iso(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
}

static void
test_format_zone(void **state)
{
	char buf[TIME_ISO_SIZE];

	(void)state;
	/* NOW is 2026-11-29T12:00:00Z: winter in Berlin (+01:00). */
	time_format_zone(NOW, "Europe/Berlin", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T13:00:00+01:00");
	time_format_zone(NOW - 150 * 86400, "Europe/Berlin", buf, sizeof(buf));
	assert_string_equal(buf, "2026-07-02T14:00:00+02:00");
	time_format_zone(NOW, "America/New_York", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T07:00:00-05:00");
	time_format_zone(NOW, "+05:30", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T17:30:00+05:30");
	/* UTC reads as before. */
	time_format_zone(NOW, "UTC", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T12:00:00Z");
	/* NULL and "": the system's zone, which the tests set with TZ. */
	setenv("TZ", "Asia/Tokyo", 1);
	time_format_zone(NOW, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T21:00:00+09:00");
	time_format_zone(NOW, "", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T21:00:00+09:00");
	setenv("TZ", "UTC", 1);
	assert_true(time_zone_valid("Europe/Berlin"));
	assert_true(time_zone_valid("UTC"));
	assert_false(time_zone_valid("Mars/Olympus"));
	assert_false(time_zone_valid("../../etc/passwd"));
}

/* Local times in a named zone, winter and summer, whatever $TZ says. */
static void
test_parse_zone(void **state)
{
	struct cm_error err = { 0 };
	char buf[TIME_ISO_SIZE];
	int64_t t;

	(void)state;
	assert_int_equal(time_parse_zone("2026-12-01T09:30", "Europe/Berlin",
					 0, &t, &err), 0);
	time_format_iso(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-01T08:30:00Z");
	assert_int_equal(time_parse_zone("2026-07-01T09:30", "Europe/Berlin",
					 0, &t, &err), 0);
	time_format_iso(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-07-01T07:30:00Z");
	/* An explicit offset wins over the zone. */
	assert_int_equal(time_parse_zone("2026-07-01T09:30:00Z",
					 "Europe/Berlin", 0, &t, &err), 0);
	time_format_iso(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-07-01T09:30:00Z");
	/* 2026-12-01T23:30Z is already the 2nd in Berlin: tomorrow is the
	 * 3rd, midnight there. */
	assert_int_equal(time_parse("2026-12-01T23:30:00Z", 0, &t, &err), 0);
	assert_int_equal(time_parse_zone("tomorrow", "Europe/Berlin", t, &t,
					 &err), 0);
	time_format_iso(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02T23:00:00Z");
	assert_int_equal(time_parse_zone("2026-13-01T09:30", "Europe/Berlin",
					 0, &t, &err), CM_EUSAGE);
}

static void
test_fixed_clock(void **state)
{
	(void)state;
	setenv("CASEMAIL_NOW", "12345", 1);
	assert_int_equal(time_now(), 12345);
	unsetenv("CASEMAIL_NOW");
	assert_true(time_now() > NOW - 86400 * 365 * 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_forms),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_zone),
		cmocka_unit_test(test_parse_zone),
		cmocka_unit_test(test_fixed_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
