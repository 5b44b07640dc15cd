/*
 * web_report.c - the reports page (see web_report.h): report.h's figures
 * as tables and server-side SVG charts.
 *
 * The charts are plain SVG inside the HTML: bars are rects sized here,
 * labels are text elements escaped like every other value (web_esc()),
 * colours are presentation attributes, not style, so the page's
 * Content-Security-Policy (no inline style or script) holds.
 */
#include "web_private.h"
#include "web_api_private.h"

#include <string.h>

#include "casemail/report.h"
#include "casemail/timeutil.h"
#include "casemail/web_report.h"

/* Chart geometry, in SVG user units (the page scales them). */
#define CHART_WIDTH 640
#define CHART_LABEL_WIDTH 200
#define CHART_BAR_MAX 380
#define CHART_ROW 22
#define CHART_BACKLOG_HEIGHT 200
/* A label longer than this is cut (whole characters) with an ellipsis. */
#define CHART_LABEL_CHARS 28
/* Rows of a bar chart: the biggest ones; the rest are summed up. */
#define CHART_MAX_ROWS 20

/* The age buckets' names and colours, oldest darkest. */
static const char *const age_names[REPORT_AGES] = {
	"under 1 day", "1-3 days", "3-7 days", "over 7 days",
};
static const char *const age_colours[REPORT_AGES] = {
	"#9ecae1", "#4292c6", "#2171b5", "#08306b",
};

static const char *const report_periods[] = { "7d", "30d", "90d", "month" };
static const char *const report_bys[] = {
	"all", "owner", "type", "source", "side", "priority",
};

/* One bar of a chart. */
struct chart_bar {
	const char *label;
	int64_t value;
};

/* label cut to CHART_LABEL_CHARS characters (new string). */
static char *
chart_label(const char *label)
{
	char *valid = g_utf8_make_valid(label != NULL ? label : "(none)", -1);
	char *cut;

	if (g_utf8_strlen(valid, -1) <= CHART_LABEL_CHARS)
		return valid;
	cut = g_utf8_substring(valid, 0, CHART_LABEL_CHARS - 1);
	g_free(valid);
	valid = g_strconcat(cut, "\xe2\x80\xa6", NULL);
	g_free(cut);
	return valid;
}

/* A horizontal bar chart of bars[0 .. n-1] (n > 0), titled title. */
static void
chart_bars(GString *out, const char *title, const struct chart_bar *bars,
	   guint n)
{
	int64_t max = 1;
	int height = (int)n * CHART_ROW + 4;

	for (guint i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	web_put(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s\"><title>%s</title>\n", CHART_WIDTH, height,
		CHART_WIDTH, height, title, title);
	for (guint i = 0; i < n; i++) {
		int y = (int)i * CHART_ROW;
		int w = (int)(bars[i].value * CHART_BAR_MAX / max);
		char *label = chart_label(bars[i].label);

		web_put(out, "<text x=\"0\" y=\"%d\" font-size=\"13\">%s"
			"</text><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"16\" fill=\"#4292c6\"/><text x=\"%d\" "
			"y=\"%d\" font-size=\"13\">%D</text>\n", y + 15, label,
			CHART_LABEL_WIDTH, y + 3, w,
			CHART_LABEL_WIDTH + w + 6, y + 15, bars[i].value);
		g_free(label);
	}
	g_string_append(out, "</svg>\n");
}

/* The counts of list (struct store_report_count *) as a bar chart, the
 * biggest CHART_MAX_ROWS of them (they come biggest first or by key;
 * either way the chart shows at most that many). */
static void
chart_counts(GString *out, const char *title, GPtrArray *list)
{
	guint n = MIN(list->len, CHART_MAX_ROWS);
	struct chart_bar *bars = g_new0(struct chart_bar, n + 1);

	for (guint i = 0; i < n; i++) {
		const struct store_report_count *c = list->pdata[i];

		bars[i].label = c->key;
		bars[i].value = c->n;
	}
	web_put(out, "<h3>%s</h3>\n", title);
	if (n == 0)
		web_put(out, "<p class=\"empty\">No cases.</p>\n");
	else
		chart_bars(out, title, bars, n);
	g_free(bars);
}

static void
chart_load(GString *out, GPtrArray *load)
{
	guint n = MIN(load->len, CHART_MAX_ROWS);
	struct chart_bar *bars = g_new0(struct chart_bar, n + 1);

	for (guint i = 0; i < n; i++) {
		const struct store_report_load *l = load->pdata[i];

		bars[i].label = l->owner != NULL ? l->owner : "(no owner)";
		bars[i].value = l->active;
	}
	web_put(out, "<h3>Load per owner (Active cases now)</h3>\n");
	if (n == 0)
		web_put(out, "<p class=\"empty\">No cases.</p>\n");
	else
		chart_bars(out, "Active cases per owner", bars, n);
	g_free(bars);
}

/* The backlog: a stacked column per step, by age, and a legend. */
static void
chart_backlog(GString *out, const struct config *cfg, GArray *backlog)
{
	int64_t max = 1;
	guint n = backlog->len;
	int col = n > 0 ? MAX(2, (CHART_WIDTH - 40) / (int)n) : 2;
	int height = CHART_BACKLOG_HEIGHT + 60;
	char first[TIME_ISO_SIZE], last[TIME_ISO_SIZE];

	web_put(out, "<h3>Backlog by age</h3>\n");
	if (n == 0) {
		web_put(out, "<p class=\"empty\">No cases.</p>\n");
		return;
	}
	for (guint i = 0; i < n; i++)
		max = MAX(max, g_array_index(backlog, struct report_backlog,
					     i).open);
	web_put(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"Open cases by age\"><title>Open cases by age, "
		"most %D</title>\n", CHART_WIDTH, height, CHART_WIDTH, height,
		max);
	for (guint i = 0; i < n; i++) {
		const struct report_backlog *b =
			&g_array_index(backlog, struct report_backlog, i);
		int y = CHART_BACKLOG_HEIGHT;

		for (int a = 0; a < REPORT_AGES; a++) {
			int h = (int)(b->age[a] * CHART_BACKLOG_HEIGHT / max);

			y -= h;
			web_put(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"%R\"/>", 40 + (int)i * col,
				y, MAX(1, col - 1), h, age_colours[a]);
		}
		g_string_append_c(out, '\n');
	}
	time_format_zone(g_array_index(backlog, struct report_backlog, 0).at,
			 cfg->case_timezone, first, sizeof(first));
	time_format_zone(g_array_index(backlog, struct report_backlog,
				       n - 1).at, cfg->case_timezone, last,
			 sizeof(last));
	web_put(out, "<text x=\"0\" y=\"12\" font-size=\"12\">%D</text>"
		"<text x=\"40\" y=\"%d\" font-size=\"12\">%s</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">"
		"%s</text>\n", max, CHART_BACKLOG_HEIGHT + 16, first,
		CHART_WIDTH, CHART_BACKLOG_HEIGHT + 16, last);
	for (int a = 0; a < REPORT_AGES; a++)
		web_put(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
			"fill=\"%R\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">"
			"%s</text>", 40 + a * 140, CHART_BACKLOG_HEIGHT + 32,
			age_colours[a], 56 + a * 140, CHART_BACKLOG_HEIGHT + 43,
			age_names[a]);
	g_string_append(out, "\n</svg>\n");
}

/* Business seconds as hours with one decimal, or "-" for none. */
static void
put_hours(GString *out, int64_t n, int64_t secs)
{
	if (n == 0)
		g_string_append(out, "<td>-</td>");
	else
		g_string_append_printf(out, "<td>%.1f h</td>",
				       (double)secs / 3600.0);
}

static void
put_share(GString *out, const struct report_time *t)
{
	if (t->with_target == 0)
		g_string_append(out, "<td>-</td>");
	else
		g_string_append_printf(out, "<td>%lld%% (%lld of %lld)</td>",
				       (long long)(t->met * 100 / t->with_target),
				       (long long)t->met,
				       (long long)t->with_target);
}

static void
put_group_row(GString *out, const struct report_group *g, const char *key)
{
	web_put(out, "<tr><th scope=\"row\">%s</th><td>%D</td><td>%D</td>",
		key, g->cases, g->solved);
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct report_time *t = &g->time[k];

		put_hours(out, t->n, t->median);
		put_hours(out, t->n, t->p90);
		put_share(out, t);
	}
	g_string_append(out, "</tr>\n");
}

static void
put_groups(GString *out, const struct report *r)
{
	web_put(out, "<table class=\"report\"><thead><tr><th>%s</th>"
		"<th>cases</th><th>solved</th><th>first response median</th>"
		"<th>p90</th><th>within target</th><th>solve median</th>"
		"<th>p90</th><th>within target</th></tr></thead><tbody>\n",
		r->by == STORE_REPORT_ALL ? "" : report_by_name(r->by));
	for (guint i = 0; i < r->groups->len; i++) {
		const struct report_group *g = r->groups->pdata[i];

		put_group_row(out, g, g->key);
	}
	put_group_row(out, &r->total, "all");
	g_string_append(out, "</tbody></table>\n");
}

/* The form: the period and the grouping, the current ones selected. */
static void
put_form(GString *out, const char *period, const char *by)
{
	web_put(out, "<form id=\"report\" method=\"get\" action=\"/reports\">"
		"<label>Period <select name=\"period\">");
	for (size_t i = 0; i < G_N_ELEMENTS(report_periods); i++)
		web_put(out, "<option value=\"%s\"%R>%s</option>",
			report_periods[i], strcmp(period, report_periods[i])
			== 0 ? " selected" : "", report_periods[i]);
	web_put(out, "</select></label> <label>By <select name=\"by\">");
	for (size_t i = 0; i < G_N_ELEMENTS(report_bys); i++)
		web_put(out, "<option value=\"%s\"%R>%s</option>",
			report_bys[i], strcmp(by, report_bys[i]) == 0
			? " selected" : "", report_bys[i]);
	web_put(out, "</select></label> <button type=\"submit\">Show</button>"
		"</form>\n");
}

static void
put_report(GString *out, const struct web_api_env *env, const struct report *r,
	   const char *period, const char *by)
{
	char from[TIME_ISO_SIZE], to[TIME_ISO_SIZE];

	time_format_zone(r->from, env->cfg->case_timezone, from, sizeof(from));
	time_format_zone(r->to, env->cfg->case_timezone, to, sizeof(to));
	web_put(out, "<section class=\"reports\">\n");
	put_form(out, period, by);
	web_put(out, "<p>Cases created from %s to %s; times are business "
		"hours ([sla] hours), without the pauses.</p>\n", from, to);
	put_groups(out, r);
	chart_load(out, r->load);
	chart_counts(out, "Cases by type", r->by_type);
	chart_counts(out, "Cases by source", r->by_source);
	chart_counts(out, "Cases by side", r->by_side);
	chart_backlog(out, env->cfg, r->backlog);
	web_put(out, "</section>\n");
}

int
web_report_page(const struct web_api_env *env, const char *query,
		GString *html_out, struct cm_error *err)
{
	GHashTable *q = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	enum store_report_by by = STORE_REPORT_ALL;
	struct slaconf *sc = NULL;
	struct report *r = NULL;
	const char *period, *by_name;
	int64_t from = 0;
	int rc = 0;

	if (api_query_parse(query, q) != 0)
		rc = cm_error_set(err, CM_EUSAGE, "malformed query");
	period = g_hash_table_lookup(q, "period");
	by_name = g_hash_table_lookup(q, "by");
	if (period == NULL || period[0] == '\0')
		period = "30d";
	if (by_name == NULL || by_name[0] == '\0')
		by_name = "all";
	if (rc == 0)
		rc = report_by_parse(by_name, &by, err);
	if (rc == 0)
		rc = report_period_parse(env->cfg, period, env->now, &from,
					 err);
	if (rc == 0)
		rc = slaconf_new(env->cfg, &sc, err);
	/* The period is [from, to): to just after now takes in a case
	 * opened this very second. */
	if (rc == 0)
		rc = report_build(sc, env->store, from, env->now + 1, by,
				  env->now, &r, err);
	if (rc == 0)
		put_report(html_out, env, r, period, by_name);
	report_free(&r);
	slaconf_free(&sc);
	g_hash_table_unref(q);
	return rc;
}
