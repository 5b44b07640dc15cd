/*
 * report.c - the desk in numbers (see report.h).
 *
 * Counting is done in SQL (store_report.c); what needs business hours is
 * computed here, one pass over the period's cases with the clock of each
 * (sla.c), and the backlog is one pass over the open spans.
 */
#include "casemail/report.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/bizhours.h"
#include "casemail/sla.h"

const int report_age_days[REPORT_AGES - 1] = { 1, 3, 7 };

static const char *const report_by_names[] = {
	"all", "owner", "type", "source", "side", "priority",
};

int
report_by_parse(const char *word, enum store_report_by *by_r,
		struct cm_error *err)
{
	for (size_t i = 0; i < G_N_ELEMENTS(report_by_names); i++)
		if (g_strcmp0(word, report_by_names[i]) == 0) {
			*by_r = (enum store_report_by)i;
			return 0;
		}
	return cm_error_set(err, CM_EUSAGE, "--by wants owner, type, source, "
			    "side or priority, not '%s'", word);
}

const char *
report_by_name(enum store_report_by by)
{
	return (size_t)by < G_N_ELEMENTS(report_by_names) ? report_by_names[by]
							   : "?";
}

int64_t
report_quantile(const GArray *sorted, int percent)
{
	size_t rank;

	if (sorted->len == 0)
		return 0;
	rank = ((size_t)percent * sorted->len + 99) / 100;
	if (rank < 1)
		rank = 1;
	if (rank > sorted->len)
		rank = sorted->len;
	return g_array_index(sorted, int64_t, rank - 1);
}

static void
report_group_init(struct report_group *g, const char *key)
{
	memset(g, 0, sizeof(*g));
	g->key = g_strdup(key);
	for (int k = 0; k < SLACONF_KINDS; k++)
		g->values[k] = g_array_new(FALSE, FALSE, sizeof(int64_t));
}

static void
report_group_clear(struct report_group *g)
{
	g_free(g->key);
	for (int k = 0; k < SLACONF_KINDS; k++)
		if (g->values[k] != NULL)
			g_array_unref(g->values[k]);
	memset(g, 0, sizeof(*g));
}

static void
report_group_free(gpointer p)
{
	report_group_clear(p);
	g_free(p);
}

static gint
report_int64_cmp(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Add one case's clocks to g. */
static void
report_group_add(struct report_group *g, const struct store_report_case *c,
		 const struct sla_status *st)
{
	g->cases++;
	if (c->status == STORE_CASE_SOLVED)
		g->solved++;
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct sla_clock *ck = &st->clock[k];

		if (ck->done_at != 0)
			g_array_append_val(g->values[k], ck->used_secs);
		if (ck->state == SLA_NONE || ck->state == SLA_CLOSED)
			continue;
		/* Open clocks within target are not judged yet. */
		if (ck->state == SLA_MET || ck->state == SLA_MISSED ||
		    ck->state == SLA_BREACHED) {
			g->time[k].with_target++;
			g->time[k].met += ck->state == SLA_MET;
		}
	}
}

/* Sort the collected values into medians and percentiles. */
static void
report_group_finish(struct report_group *g)
{
	for (int k = 0; k < SLACONF_KINDS; k++) {
		GArray *v = g->values[k];

		g_array_sort(v, report_int64_cmp);
		g->time[k].n = v->len;
		g->time[k].median = report_quantile(v, 50);
		g->time[k].p90 = report_quantile(v, 90);
		g_array_unref(v);
		g->values[k] = NULL;
	}
}

static struct report_group *
report_group_for(struct report *r, GHashTable *index, const char *key)
{
	const char *name = key != NULL ? key : "(none)";
	struct report_group *g = g_hash_table_lookup(index, name);

	if (g == NULL) {
		g = g_new0(struct report_group, 1);
		report_group_init(g, name);
		g_ptr_array_add(r->groups, g);
		g_hash_table_insert(index, g->key, g);
	}
	return g;
}

static gint
report_group_cmp(gconstpointer a, gconstpointer b)
{
	const struct report_group *x = *(struct report_group *const *)a;
	const struct report_group *y = *(struct report_group *const *)b;

	if (x->cases != y->cases)
		return x->cases > y->cases ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The times: every case of the period once in the total, and under each
 * of its keys. */
static int
report_times(const struct slaconf *sc, struct store *s, struct report *r,
	     int64_t now, struct cm_error *err)
{
	GPtrArray *rows = NULL;
	GHashTable *events = NULL, *index;
	struct sla_status st;
	int64_t last = 0;
	int rc;

	rc = store_report_cases(s, r->from, r->to, r->by, &rows, err);
	if (rc == 0)
		rc = store_sla_events_created(s, r->from, r->to, &events, err);
	if (rc != 0)
		goto out;
	index = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < rows->len; i++) {
		const struct store_report_case *c = rows->pdata[i];

		/* Rows of one case follow each other: one clock each. */
		if (c->id != last) {
			struct store_sla_case sc_case = {
				.id = c->id, .type = c->type,
				.priority = c->priority, .status = c->status,
				.created_at = c->created_at,
				.first_response_at = c->first_response_at,
				.solved_at = c->solved_at,
				.events = g_hash_table_lookup(events, &c->id),
			};

			sla_compute(sc, &sc_case, now, &st);
			report_group_add(&r->total, c, &st);
			last = c->id;
		}
		if (r->by != STORE_REPORT_ALL)
			report_group_add(report_group_for(r, index, c->key), c,
					 &st);
	}
	g_hash_table_unref(index);
	report_group_finish(&r->total);
	for (guint i = 0; i < r->groups->len; i++)
		report_group_finish(r->groups->pdata[i]);
	g_ptr_array_sort(r->groups, report_group_cmp);
out:
	if (rows != NULL)
		g_ptr_array_unref(rows);
	if (events != NULL)
		g_hash_table_unref(events);
	return rc;
}

static int
report_age_bucket(int64_t age)
{
	for (int i = 0; i < REPORT_AGES - 1; i++)
		if (age < (int64_t)report_age_days[i] * 86400)
			return i;
	return REPORT_AGES - 1;
}

/* The local midnight days after the start of t's day in tz. */
static int64_t
report_midnight(GTimeZone *tz, int64_t t, int days)
{
	GDateTime *u = g_date_time_new_from_unix_utc(t);
	GDateTime *l = g_date_time_to_timezone(u, tz);
	GDateTime *m = g_date_time_new(tz, g_date_time_get_year(l),
				       g_date_time_get_month(l),
				       g_date_time_get_day_of_month(l), 0, 0, 0);
	GDateTime *d = g_date_time_add_days(m, days);
	int64_t r = g_date_time_to_unix(d);

	g_date_time_unref(d);
	g_date_time_unref(m);
	g_date_time_unref(l);
	g_date_time_unref(u);
	return r;
}

/* The ends of the steps: each midnight in the desk's timezone a step
 * (one or seven days) after the start of from's day, the last one cut
 * at to (the day or week so far). */
static void
report_steps(GTimeZone *tz, struct report *r)
{
	int days = (int)(r->step_secs / 86400);
	int64_t at = 0;

	for (int n = 1; at < r->to; n++) {
		struct report_backlog b = { 0 };

		at = report_midnight(tz, r->from, n * days);
		b.at = MIN(at, r->to);
		g_array_append_val(r->backlog, b);
	}
}

/* The backlog at the end of each step: one pass over the open spans,
 * each adding itself to the steps it was open at. */
static int
report_backlog(const struct slaconf *sc, struct store *s, struct report *r,
	       struct cm_error *err)
{
	GArray *spans = NULL;
	int rc = store_report_spans(s, r->from, r->to, &spans, err);

	if (rc != 0)
		return rc;
	report_steps(bizhours_zone(slaconf_calendar(sc)), r);
	for (guint j = 0; j < spans->len; j++) {
		const struct store_report_span *sp =
			&g_array_index(spans, struct store_report_span, j);

		for (guint i = 0; i < r->backlog->len; i++) {
			struct report_backlog *b =
				&g_array_index(r->backlog, struct report_backlog, i);

			if (sp->created_at > b->at)
				continue;
			if (sp->solved_at != 0 && sp->solved_at <= b->at)
				continue;
			b->open++;
			b->age[report_age_bucket(b->at - sp->created_at)]++;
		}
	}
	g_array_unref(spans);
	return 0;
}

int
report_build(const struct slaconf *sc, struct store *s, int64_t from,
	     int64_t to, enum store_report_by by, int64_t now,
	     struct report **r_r, struct cm_error *err)
{
	struct report *r;
	int rc;

	*r_r = NULL;
	if (to <= from)
		return cm_error_set(err, CM_EUSAGE, "the period is empty "
				    "(--to must be after --from)");
	if (to - from > REPORT_MAX_SECS)
		return cm_error_set(err, CM_EUSAGE, "the period is longer than "
				    "%lld days", (long long)(REPORT_MAX_SECS / 86400));
	r = g_new0(struct report, 1);
	r->from = from;
	r->to = to;
	r->by = by;
	r->step_secs = to - from > 31 * 86400 ? 7 * 86400 : 86400;
	report_group_init(&r->total, NULL);
	r->groups = g_ptr_array_new_with_free_func(report_group_free);
	r->backlog = g_array_new(FALSE, TRUE, sizeof(struct report_backlog));
	rc = report_times(sc, s, r, now, err);
	if (rc == 0)
		rc = report_backlog(sc, s, r, err);
	if (rc == 0)
		rc = store_report_counts(s, from, to, STORE_REPORT_TYPE,
					 &r->by_type, err);
	if (rc == 0)
		rc = store_report_counts(s, from, to, STORE_REPORT_SOURCE,
					 &r->by_source, err);
	if (rc == 0)
		rc = store_report_counts(s, from, to, STORE_REPORT_SIDE,
					 &r->by_side, err);
	if (rc == 0)
		rc = store_report_load(s, from, to, &r->load, err);
	if (rc != 0) {
		report_free(&r);
		return rc;
	}
	*r_r = r;
	return 0;
}

void
report_free(struct report **rp)
{
	struct report *r = rp != NULL ? g_steal_pointer(rp) : NULL;

	if (r == NULL)
		return;
	report_group_clear(&r->total);
	g_ptr_array_unref(r->groups);
	g_array_unref(r->backlog);
	if (r->by_type != NULL)
		g_ptr_array_unref(r->by_type);
	if (r->by_source != NULL)
		g_ptr_array_unref(r->by_source);
	if (r->by_side != NULL)
		g_ptr_array_unref(r->by_side);
	if (r->load != NULL)
		g_ptr_array_unref(r->load);
	g_free(r);
}

/* The first instant of the current month in the desk's timezone. */
static int64_t
report_month_start(const struct config *cfg, int64_t now)
{
	GTimeZone *tz = bizhours_timezone(cfg->case_timezone);
	GDateTime *n = g_date_time_new_from_unix_local(now), *l, *m;
	int64_t t;

	l = g_date_time_to_timezone(n, tz);
	m = g_date_time_new(tz, g_date_time_get_year(l),
			    g_date_time_get_month(l), 1, 0, 0, 0);
	t = g_date_time_to_unix(m);
	g_date_time_unref(m);
	g_date_time_unref(l);
	g_date_time_unref(n);
	g_time_zone_unref(tz);
	return t;
}

int
report_period_parse(const struct config *cfg, const char *p, int64_t now,
		    int64_t *from_r, struct cm_error *err)
{
	char *end = NULL;
	long days;

	if (strcmp(p, "month") == 0) {
		*from_r = report_month_start(cfg, now);
		return 0;
	}
	days = strtol(p, &end, 10);
	if (end == p || strcmp(end, "d") != 0 || days < 1 ||
	    days > REPORT_MAX_SECS / 86400)
		return cm_error_set(err, CM_EUSAGE, "the period is Nd "
				    "(1 to %lld days, e.g. 7d or 30d) or month",
				    (long long)(REPORT_MAX_SECS / 86400));
	*from_r = now - (int64_t)days * 86400;
	return 0;
}
