/*
 * cli_report_out.c - casectl report's three forms: an aligned table
 * (times in the desk's timezone, [case] timezone), JSON and CSV (times
 * in UTC, marked "Z").  Keys (owner addresses, types) come from mail: control
 * characters are masked in the table, and CSV cells that a spreadsheet
 * would run as a formula are quoted as text.
 */
#include "cli.h"

#include <string.h>

#include "casemail/report.h"
#include "casemail/timeutil.h"

static const char *const out_kinds[SLACONF_KINDS] = { "REPLY", "SOLVE" };
static const char *const out_ages[REPORT_AGES] = {
	"0-1d", "1-3d", "3-7d", ">7d",
};
static const char *const out_age_keys[REPORT_AGES] = {
	"age_0_1d", "age_1_3d", "age_3_7d", "age_over_7d",
};

/* key for a table cell: control characters as '?', at most width
 * characters (g_free). */
static char *
out_cell(const char *key, int width)
{
	char *s = g_utf8_make_valid(key != NULL ? key : "(none)", -1);
	char *cut;

	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	cut = g_utf8_substring(s, 0, MIN((glong)width,
					 g_utf8_strlen(s, -1)));
	g_free(s);
	return cut;
}

/* printf("%-*s") counting characters, not bytes. */
static void
out_pad(const char *key, int width)
{
	char *c = out_cell(key, width);

	fputs(c, stdout);
	for (glong n = g_utf8_strlen(c, -1); n < width + 1; n++)
		putchar(' ');
	g_free(c);
}

static void
out_secs(int64_t n, int64_t secs, int width)
{
	char buf[32] = "-";

	if (n > 0)
		cli_sla_duration(secs, buf, sizeof(buf));
	printf(" %*s", width, buf);
}

static void
out_share(const struct report_time *t)
{
	char buf[48] = "-";

	if (t->with_target > 0)
		g_snprintf(buf, sizeof(buf), "%lld%% %lld/%lld",
			   (long long)(t->met * 100 / t->with_target),
			   (long long)t->met, (long long)t->with_target);
	printf(" %14s", buf);
}

static void
out_group_line(const struct report_group *g)
{
	out_pad(g->key != NULL ? g->key : "(all)", 28);
	printf("%6lld %6lld", (long long)g->cases, (long long)g->solved);
	for (int k = 0; k < SLACONF_KINDS; k++) {
		out_secs(g->time[k].n, g->time[k].median, 9);
		out_secs(g->time[k].n, g->time[k].p90, 9);
		out_share(&g->time[k]);
	}
	putchar('\n');
}

static void
out_counts(const char *title, GPtrArray *counts)
{
	printf("\n%-29s%6s\n", title, "CASES");
	for (guint i = 0; i < counts->len; i++) {
		const struct store_report_count *c = counts->pdata[i];

		out_pad(c->key, 28);
		printf("%6lld\n", (long long)c->n);
	}
}

void
cli_report_text(const struct report *r, const char *zone)
{
	char from[TIME_ISO_SIZE], to[TIME_ISO_SIZE], at[TIME_ISO_SIZE];

	time_format_zone(r->from, zone, from, sizeof(from));
	time_format_zone(r->to, zone, to, sizeof(to));
	printf("Cases created %s .. %s, by %s\n(times in business hours: "
	       "median, 90th percentile, share within target)\n\n", from, to,
	       report_by_name(r->by));
	printf("%-29s%6s %6s", "GROUP", "CASES", "SOLVED");
	for (int k = 0; k < SLACONF_KINDS; k++) {
		char med[16], p90[16], ok[16];

		g_snprintf(med, sizeof(med), "%s-MED", out_kinds[k]);
		g_snprintf(p90, sizeof(p90), "%s-P90", out_kinds[k]);
		g_snprintf(ok, sizeof(ok), "%s-OK", out_kinds[k]);
		printf(" %9s %9s %14s", med, p90, ok);
	}
	putchar('\n');
	out_group_line(&r->total);
	for (guint i = 0; i < r->groups->len; i++)
		out_group_line(r->groups->pdata[i]);
	printf("\nBACKLOG at the end of each %s\n%-25s %6s",
	       r->step_secs == 86400 ? "day" : "week", "AT", "OPEN");
	for (int a = 0; a < REPORT_AGES; a++)
		printf(" %6s", out_ages[a]);
	putchar('\n');
	for (guint i = 0; i < r->backlog->len; i++) {
		const struct report_backlog *b =
			&g_array_index(r->backlog, struct report_backlog, i);

		time_format_zone(b->at, zone, at, sizeof(at));
		printf("%-25s %6lld", at, (long long)b->open);
		for (int a = 0; a < REPORT_AGES; a++)
			printf(" %6lld", (long long)b->age[a]);
		putchar('\n');
	}
	out_counts("BY TYPE", r->by_type);
	out_counts("BY SOURCE", r->by_source);
	out_counts("BY SIDE", r->by_side);
	printf("\n%-29s%6s %7s %6s\n", "LOAD PER OWNER", "ACTIVE", "CREATED",
	       "SOLVED");
	for (guint i = 0; i < r->load->len; i++) {
		const struct store_report_load *l = r->load->pdata[i];

		out_pad(l->owner, 28);
		printf("%6lld %7lld %6lld\n", (long long)l->active,
		       (long long)l->created, (long long)l->solved);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_group(JsonBuilder *b, const struct report_group *g)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "key");
	if (g->key != NULL)
		json_builder_add_string_value(b, g->key);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "cases");
	json_builder_add_int_value(b, g->cases);
	json_builder_set_member_name(b, "solved");
	json_builder_add_int_value(b, g->solved);
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct report_time *t = &g->time[k];

		json_builder_set_member_name(b,
			slaconf_kind_name((enum slaconf_kind)k));
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "n");
		json_builder_add_int_value(b, t->n);
		json_builder_set_member_name(b, "median_secs");
		json_builder_add_int_value(b, t->median);
		json_builder_set_member_name(b, "p90_secs");
		json_builder_add_int_value(b, t->p90);
		json_builder_set_member_name(b, "with_target");
		json_builder_add_int_value(b, t->with_target);
		json_builder_set_member_name(b, "met");
		json_builder_add_int_value(b, t->met);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

static void
json_counts(JsonBuilder *b, const char *name, GPtrArray *counts)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < counts->len; i++) {
		const struct store_report_count *c = counts->pdata[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "key");
		if (c->key != NULL)
			json_builder_add_string_value(b, c->key);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "cases");
		json_builder_add_int_value(b, c->n);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_time_member(JsonBuilder *b, const char *name, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	time_format_iso(t, buf, sizeof(buf));
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, buf);
}

static void
json_backlog(JsonBuilder *b, const struct report *r)
{
	json_builder_set_member_name(b, "backlog");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->backlog->len; i++) {
		const struct report_backlog *bl =
			&g_array_index(r->backlog, struct report_backlog, i);

		json_builder_begin_object(b);
		json_time_member(b, "at", bl->at);
		json_builder_set_member_name(b, "open");
		json_builder_add_int_value(b, bl->open);
		for (int a = 0; a < REPORT_AGES; a++) {
			json_builder_set_member_name(b, out_age_keys[a]);
			json_builder_add_int_value(b, bl->age[a]);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_load(JsonBuilder *b, const struct report *r)
{
	json_builder_set_member_name(b, "load");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->load->len; i++) {
		const struct store_report_load *l = r->load->pdata[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "owner");
		if (l->owner != NULL)
			json_builder_add_string_value(b, l->owner);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "active");
		json_builder_add_int_value(b, l->active);
		json_builder_set_member_name(b, "created");
		json_builder_add_int_value(b, l->created);
		json_builder_set_member_name(b, "solved");
		json_builder_add_int_value(b, l->solved);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

void
cli_report_json(const struct report *r)
{
	JsonBuilder *b = case_json_begin();

	json_time_member(b, "from", r->from);
	json_time_member(b, "to", r->to);
	json_builder_set_member_name(b, "by");
	json_builder_add_string_value(b, report_by_name(r->by));
	json_builder_set_member_name(b, "step_secs");
	json_builder_add_int_value(b, r->step_secs);
	json_builder_set_member_name(b, "total");
	json_group(b, &r->total);
	json_builder_set_member_name(b, "groups");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->groups->len; i++)
		json_group(b, r->groups->pdata[i]);
	json_builder_end_array(b);
	json_backlog(b, r);
	json_counts(b, "by_type", r->by_type);
	json_counts(b, "by_source", r->by_source);
	json_counts(b, "by_side", r->by_side);
	json_load(b, r);
	cli_json_print(case_json_end(b));
}

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

/* One cell: quoted when it holds a comma, quote or line break; a cell a
 * spreadsheet would take for a formula gets a leading apostrophe. */
static void
csv_cell(const char *v, int last)
{
	const char *s = v != NULL ? v : "";
	int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';

	if (formula || strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		if (formula)
			putchar('\'');
		for (const char *p = s; *p != '\0'; p++) {
			if (*p == '"')
				putchar('"');
			putchar(*p);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void
csv_int(int64_t v, int last)
{
	printf("%lld%c", (long long)v, last ? '\n' : ',');
}

static void
csv_group(const char *key, const struct report_group *g)
{
	csv_cell("times", 0);
	csv_cell(key, 0);
	csv_int(g->cases, 0);
	csv_int(g->solved, 0);
	for (int k = 0; k < SLACONF_KINDS; k++) {
		const struct report_time *t = &g->time[k];

		csv_int(t->n, 0);
		csv_int(t->median, 0);
		csv_int(t->p90, 0);
		csv_int(t->with_target, 0);
		csv_int(t->met, k == SLACONF_KINDS - 1);
	}
}

static void
csv_counts(const char *section, GPtrArray *counts)
{
	for (guint i = 0; i < counts->len; i++) {
		const struct store_report_count *c = counts->pdata[i];

		csv_cell(section, 0);
		csv_cell(c->key != NULL ? c->key : "(none)", 0);
		csv_int(c->n, 1);
	}
}

void
cli_report_csv(const struct report *r)
{
	char at[TIME_ISO_SIZE];

	puts("section,key,cases,solved,first_response_n,"
	     "first_response_median_secs,first_response_p90_secs,"
	     "first_response_with_target,first_response_met,resolution_n,"
	     "resolution_median_secs,resolution_p90_secs,"
	     "resolution_with_target,resolution_met");
	csv_group("(all)", &r->total);
	for (guint i = 0; i < r->groups->len; i++) {
		const struct report_group *g = r->groups->pdata[i];

		csv_group(g->key, g);
	}
	puts("\nsection,at,open,age_0_1d,age_1_3d,age_3_7d,age_over_7d");
	for (guint i = 0; i < r->backlog->len; i++) {
		const struct report_backlog *b =
			&g_array_index(r->backlog, struct report_backlog, i);

		time_format_iso(b->at, at, sizeof(at));
		printf("backlog,%s,%lld", at, (long long)b->open);
		for (int a = 0; a < REPORT_AGES; a++)
			printf(",%lld", (long long)b->age[a]);
		putchar('\n');
	}
	puts("\nsection,key,cases");
	csv_counts("type", r->by_type);
	csv_counts("source", r->by_source);
	csv_counts("side", r->by_side);
	puts("\nsection,owner,active,created,solved");
	for (guint i = 0; i < r->load->len; i++) {
		const struct store_report_load *l = r->load->pdata[i];

		csv_cell("load", 0);
		csv_cell(l->owner != NULL ? l->owner : "(none)", 0);
		csv_int(l->active, 0);
		csv_int(l->created, 0);
		csv_int(l->solved, 1);
	}
}
