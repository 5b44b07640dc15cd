/*
 * bizhours.c - business hours (see bizhours.h).
 *
 * The weekly calendar is kept as minute ranges per weekday; the instants
 * of the days asked about are built once into one sorted array of open
 * intervals with the open seconds before each (a prefix sum), so "how
 * much open time between a and b" is two binary searches and "when has
 * this much passed" is one.
 */
#include "casemail/bizhours.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days built beyond the one asked about, each way: a report walks
 * through neighbouring days, and a rebuild costs a few µs per day. */
#define BIZHOURS_MARGIN_DAYS 32
#define BIZHOURS_DAY_MINUTES 1440

struct bizhours_range {
	int from, until;     /* minutes of the local day, until <= 1440 */
};

struct bizhours_iv {
	int64_t from, until; /* an open interval, Unix seconds */
	int64_t cum;         /* open seconds of the intervals before it */
};

struct bizhours {
	GTimeZone *tz;
	GArray *week[7];     /* struct bizhours_range, Monday first */
	GHashTable *holidays; /* GUINT_TO_POINTER(julian day) */
	guint32 day0, day1;  /* the days built, inclusive; day0 0: none */
	GArray *iv;          /* struct bizhours_iv, sorted */
};

static const char *const bizhours_days[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

GTimeZone *
bizhours_timezone(const char *tz)
{
	if (tz == NULL)
		return g_time_zone_new_local();
	return g_time_zone_new_identifier(tz);
}

static int
bizhours_day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && g_ascii_strncasecmp(s, bizhours_days[i], 3) == 0)
			return i;
	return -1;
}

/* "mon", "mon-fri", "daily" into the weekdays it covers. */
static int
bizhours_parse_days(const char *s, int days[7])
{
	const char *dash = strchr(s, '-');
	int a, b;

	memset(days, 0, 7 * sizeof(int));
	if (g_ascii_strcasecmp(s, "daily") == 0) {
		for (int i = 0; i < 7; i++)
			days[i] = 1;
		return 0;
	}
	a = bizhours_day_index(s, dash != NULL ? (size_t)(dash - s) : strlen(s));
	b = dash != NULL ? bizhours_day_index(dash + 1, strlen(dash + 1)) : a;
	if (a < 0 || b < 0)
		return -1;
	for (int i = a;; i = (i + 1) % 7) {
		days[i] = 1;
		if (i == b)
			break;
	}
	return 0;
}

/* "HH:MM" as minutes (24:00 allowed), or -1. */
static int
bizhours_parse_clock(const char *s, size_t n)
{
	int h, m;

	if (n != 5 || !g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]) ||
	    s[2] != ':' || !g_ascii_isdigit(s[3]) || !g_ascii_isdigit(s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static int
bizhours_parse_range(const char *s, struct bizhours_range *r)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL)
		return -1;
	r->from = bizhours_parse_clock(s, (size_t)(dash - s));
	r->until = bizhours_parse_clock(dash + 1, strlen(dash + 1));
	if (r->from < 0 || r->until < 0 || r->until <= r->from)
		return -1;
	return 0;
}

static gint
bizhours_range_cmp(gconstpointer a, gconstpointer b)
{
	const struct bizhours_range *x = a, *y = b;

	return x->from - y->from;
}

/* Sort a day's ranges and merge those that overlap or touch. */
static void
bizhours_merge_day(GArray *day)
{
	guint out = 0;

	g_array_sort(day, bizhours_range_cmp);
	for (guint i = 0; i < day->len; i++) {
		struct bizhours_range *r = &g_array_index(day, struct bizhours_range, i);
		struct bizhours_range *last = out > 0 ?
			&g_array_index(day, struct bizhours_range, out - 1) : NULL;

		if (last != NULL && r->from <= last->until)
			last->until = MAX(last->until, r->until);
		else
			g_array_index(day, struct bizhours_range, out++) = *r;
	}
	g_array_set_size(day, out);
}

static int
bizhours_add_rule(struct bizhours *cal, const char *rule, struct cm_error *err)
{
	char **tok = g_strsplit_set(rule, " \t", -1);
	int days[7], n = 0, rc = 0;

	for (char **t = tok; rc == 0 && *t != NULL; t++) {
		struct bizhours_range r;

		if ((*t)[0] == '\0')
			continue;
		if (n++ == 0) {
			if (bizhours_parse_days(*t, days) != 0)
				rc = cm_error_set(err, CM_ECONFIG, "'%s': '%s' is "
						  "not a day (mon .. sun), a "
						  "range (mon-fri) or daily",
						  rule, *t);
			continue;
		}
		if (bizhours_parse_range(*t, &r) != 0) {
			rc = cm_error_set(err, CM_ECONFIG, "'%s': '%s' is not "
					  "HH:MM-HH:MM (24:00 ends a day)", rule,
					  *t);
			break;
		}
		for (int i = 0; i < 7; i++)
			if (days[i])
				g_array_append_val(cal->week[i], r);
	}
	if (rc == 0 && n < 2)
		rc = cm_error_set(err, CM_ECONFIG, "'%s': want DAYS HH:MM-HH:MM",
				  rule);
	g_strfreev(tok);
	return rc;
}

static int
bizhours_add_holiday(struct bizhours *cal, const char *text,
		     struct cm_error *err)
{
	unsigned y, m, d;
	char end;
	GDate date;

	g_date_clear(&date, 1);
	if (strlen(text) != 10 ||
	    sscanf(text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return cm_error_set(err, CM_ECONFIG, "'%s' is not a date "
				    "(YYYY-MM-DD)", text);
	g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	g_hash_table_add(cal->holidays,
			 GUINT_TO_POINTER(g_date_get_julian(&date)));
	return 0;
}

static int
bizhours_load(struct bizhours *cal, char **hours, char **holidays,
	      struct cm_error *err)
{
	guint n = hours != NULL ? g_strv_length(hours) : 0;
	int rc = 0, open = 0;

	if (n > BIZHOURS_MAX_RULES)
		return cm_error_set(err, CM_ECONFIG, "more than %d rules",
				    BIZHOURS_MAX_RULES);
	if (holidays != NULL && g_strv_length(holidays) > BIZHOURS_MAX_HOLIDAYS)
		return cm_error_set(err, CM_ECONFIG, "more than %d holidays",
				    BIZHOURS_MAX_HOLIDAYS);
	for (guint i = 0; rc == 0 && i < n; i++)
		rc = bizhours_add_rule(cal, hours[i], err);
	if (rc == 0 && n == 0) {
		struct bizhours_range all = { 0, BIZHOURS_DAY_MINUTES };

		for (int i = 0; i < 7; i++)
			g_array_append_val(cal->week[i], all);
	}
	for (char **h = holidays; rc == 0 && h != NULL && *h != NULL; h++)
		rc = bizhours_add_holiday(cal, *h, err);
	for (int i = 0; i < 7; i++) {
		bizhours_merge_day(cal->week[i]);
		open += (int)cal->week[i]->len;
	}
	if (rc == 0 && open == 0)
		rc = cm_error_set(err, CM_ECONFIG, "no open hour in the week");
	return rc;
}

int
bizhours_new(char **hours, char **holidays, const char *tz,
	     struct bizhours **cal_r, struct cm_error *err)
{
	struct bizhours *cal = g_new0(struct bizhours, 1);
	int rc = 0;

	*cal_r = NULL;
	for (int i = 0; i < 7; i++)
		cal->week[i] = g_array_new(FALSE, FALSE,
					   sizeof(struct bizhours_range));
	cal->holidays = g_hash_table_new(g_direct_hash, g_direct_equal);
	cal->iv = g_array_new(FALSE, FALSE, sizeof(struct bizhours_iv));
	cal->tz = bizhours_timezone(tz);
	if (cal->tz == NULL)
		rc = cm_error_set(err, CM_ECONFIG, "unknown timezone '%s'", tz);
	if (rc == 0)
		rc = bizhours_load(cal, hours, holidays, err);
	if (rc != 0) {
		bizhours_free(&cal);
		return rc;
	}
	*cal_r = cal;
	return 0;
}

void
bizhours_free(struct bizhours **calp)
{
	struct bizhours *cal = calp != NULL ? g_steal_pointer(calp) : NULL;

	if (cal == NULL)
		return;
	for (int i = 0; i < 7; i++)
		g_array_unref(cal->week[i]);
	g_hash_table_unref(cal->holidays);
	g_array_unref(cal->iv);
	if (cal->tz != NULL)
		g_time_zone_unref(cal->tz);
	g_free(cal);
}

/* The local calendar day (julian) of instant t. */
static guint32
bizhours_day_of(const struct bizhours *cal, int64_t t)
{
	GDateTime *u = g_date_time_new_from_unix_utc(t);
	GDateTime *l = u != NULL ? g_date_time_to_timezone(u, cal->tz) : NULL;
	GDate date;
	guint32 j = 1;

	if (l != NULL) {
		g_date_clear(&date, 1);
		g_date_set_dmy(&date, (GDateDay)g_date_time_get_day_of_month(l),
			       (GDateMonth)g_date_time_get_month(l),
			       (GDateYear)g_date_time_get_year(l));
		j = g_date_get_julian(&date);
	}
	if (l != NULL)
		g_date_time_unref(l);
	if (u != NULL)
		g_date_time_unref(u);
	return j;
}

/* The instant of minute min (0 .. 1440) of local day j. */
static int64_t
bizhours_local(const struct bizhours *cal, guint32 j, int min)
{
	GDateTime *dt;
	GDate date;
	int64_t t;

	g_date_clear(&date, 1);
	g_date_set_julian(&date, j + (min == BIZHOURS_DAY_MINUTES ? 1 : 0));
	min %= BIZHOURS_DAY_MINUTES;
	dt = g_date_time_new(cal->tz, g_date_get_year(&date),
			     g_date_get_month(&date), g_date_get_day(&date),
			     min / 60, min % 60, 0);
	t = dt != NULL ? g_date_time_to_unix(dt) : 0;
	if (dt != NULL)
		g_date_time_unref(dt);
	return t;
}

/* Build the open intervals of days [j0, j1]. */
static void
bizhours_build(struct bizhours *cal, guint32 j0, guint32 j1)
{
	int64_t cum = 0;

	g_array_set_size(cal->iv, 0);
	for (guint32 j = j0; j <= j1; j++) {
		GDate date;
		GArray *day;

		if (g_hash_table_contains(cal->holidays, GUINT_TO_POINTER(j)))
			continue;
		g_date_clear(&date, 1);
		g_date_set_julian(&date, j);
		day = cal->week[g_date_get_weekday(&date) - G_DATE_MONDAY];
		for (guint i = 0; i < day->len; i++) {
			const struct bizhours_range *r =
				&g_array_index(day, struct bizhours_range, i);
			struct bizhours_iv iv;

			iv.from = bizhours_local(cal, j, r->from);
			iv.until = bizhours_local(cal, j, r->until);
			iv.cum = cum;
			if (iv.until <= iv.from)
				continue;   /* swallowed by a DST gap */
			cum += iv.until - iv.from;
			g_array_append_val(cal->iv, iv);
		}
	}
	cal->day0 = j0;
	cal->day1 = j1;
}

/* Make sure local day j (and its neighbours) is built. */
static void
bizhours_ensure(struct bizhours *cal, guint32 j)
{
	guint32 j0, j1;

	if (cal->day0 != 0 && j >= cal->day0 && j <= cal->day1)
		return;
	j0 = j > BIZHOURS_MARGIN_DAYS + 1 ? j - BIZHOURS_MARGIN_DAYS : 1;
	j1 = j + BIZHOURS_MARGIN_DAYS;
	if (cal->day0 != 0) {
		j0 = MIN(j0, cal->day0);
		j1 = MAX(j1, cal->day1);
	}
	bizhours_build(cal, j0, j1);
}

/* Index of the last interval starting at or before t, or -1. */
static gint
bizhours_find(const struct bizhours *cal, int64_t t)
{
	gint lo = 0, hi = (gint)cal->iv->len - 1, found = -1;

	while (lo <= hi) {
		gint mid = lo + (hi - lo) / 2;

		if (g_array_index(cal->iv, struct bizhours_iv, mid).from <= t) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

/* Open seconds from the first built interval up to t (t's day built). */
static int64_t
bizhours_upto(const struct bizhours *cal, int64_t t)
{
	gint i = bizhours_find(cal, t);
	const struct bizhours_iv *iv;

	if (i < 0)
		return 0;
	iv = &g_array_index(cal->iv, struct bizhours_iv, i);
	return iv->cum + (MIN(t, iv->until) - iv->from);
}

int64_t
bizhours_between(struct bizhours *cal, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	bizhours_ensure(cal, bizhours_day_of(cal, a));
	bizhours_ensure(cal, bizhours_day_of(cal, b));
	return bizhours_upto(cal, b) - bizhours_upto(cal, a);
}

/* Open seconds of all built intervals. */
static int64_t
bizhours_total(const struct bizhours *cal)
{
	const struct bizhours_iv *last;

	if (cal->iv->len == 0)
		return 0;
	last = &g_array_index(cal->iv, struct bizhours_iv, cal->iv->len - 1);
	return last->cum + (last->until - last->from);
}

int64_t
bizhours_add(struct bizhours *cal, int64_t a, int64_t secs)
{
	guint32 start = bizhours_day_of(cal, a);
	int64_t target;
	gint lo, hi, found;

	if (secs <= 0)
		return a;
	bizhours_ensure(cal, start);
	target = bizhours_upto(cal, a) + secs;
	/* Growing forward keeps day0, so target stays comparable. */
	while (bizhours_total(cal) < target) {
		if (cal->day1 - start > BIZHOURS_HORIZON_DAYS)
			return BIZHOURS_NEVER;
		bizhours_ensure(cal, cal->day1 + BIZHOURS_MARGIN_DAYS * 4);
	}
	/* The first interval whose end reaches target. */
	lo = 0;
	hi = (gint)cal->iv->len - 1;
	found = hi;
	while (lo <= hi) {
		gint mid = lo + (hi - lo) / 2;
		const struct bizhours_iv *iv =
			&g_array_index(cal->iv, struct bizhours_iv, mid);

		if (iv->cum + (iv->until - iv->from) >= target) {
			found = mid;
			hi = mid - 1;
		} else {
			lo = mid + 1;
		}
	}
	{
		const struct bizhours_iv *iv =
			&g_array_index(cal->iv, struct bizhours_iv, found);

		return iv->from + (target - iv->cum);
	}
}

static gint
bizhours_pause_cmp(gconstpointer a, gconstpointer b)
{
	const struct bizhours_pause *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

int64_t
bizhours_between_paused(struct bizhours *cal, int64_t a, int64_t b,
			GArray *pauses)
{
	int64_t open = bizhours_between(cal, a, b), cut = a;

	if (pauses == NULL)
		return open;
	g_array_sort(pauses, bizhours_pause_cmp);
	/* cut: nothing before it is subtracted twice when pauses overlap. */
	for (guint i = 0; i < pauses->len; i++) {
		const struct bizhours_pause *p =
			&g_array_index(pauses, struct bizhours_pause, i);
		int64_t from = MAX(cut, p->from), until = MIN(b, p->until);

		if (until > from) {
			open -= bizhours_between(cal, from, until);
			cut = until;
		}
	}
	return open;
}

int64_t
bizhours_add_paused(struct bizhours *cal, int64_t a, int64_t secs,
		    GArray *pauses)
{
	int64_t cur = a, rem = secs;

	if (pauses != NULL)
		g_array_sort(pauses, bizhours_pause_cmp);
	for (guint i = 0; pauses != NULL && i < pauses->len; i++) {
		const struct bizhours_pause *p =
			&g_array_index(pauses, struct bizhours_pause, i);
		int64_t due;

		if (p->until <= cur)
			continue;
		if (p->from > cur) {
			due = bizhours_add(cal, cur, rem);
			if (due <= p->from)
				return due;
			rem -= bizhours_between(cal, cur, p->from);
		}
		cur = p->until;
		if (cur == BIZHOURS_NEVER)
			return BIZHOURS_NEVER;
	}
	return bizhours_add(cal, cur, rem);
}

int
bizhours_parse_duration(const char *text, int64_t max_secs, int64_t *secs_r,
			struct cm_error *err)
{
	const char *p = text;
	int64_t total = 0;

	while (*p != '\0') {
		int64_t n = 0, unit;
		const char *start = p;

		while (g_ascii_isdigit(*p) && n < max_secs + 1)
			n = n * 10 + (*p++ - '0');
		if (p == start || g_ascii_isdigit(*p))
			goto bad;
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		default: goto bad;
		}
		if (n > (max_secs - total) / unit)
			return cm_error_set(err, CM_EINPUT, "'%s' is longer "
					    "than %lld seconds", text,
					    (long long)max_secs);
		total += n * unit;
	}
	if (total == 0)
		goto bad;
	*secs_r = total;
	return 0;
bad:
	return cm_error_set(err, CM_EINPUT, "'%s' is not a duration such as "
			    "90s, 45m, 8h or 1h30m", text);
}
