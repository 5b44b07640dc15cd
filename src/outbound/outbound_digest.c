/*
 * outbound_digest.c - the daily follow-up digest: one mail per owner
 * listing their overdue and stale cases, and one to the desk lead ([case]
 * desk_lead) listing every unowned and every overdue case.
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/timeutil.h"

/* The overdue and stale cases of rows[from..to) as text lines. */
static void
ob_digest_lists(const struct outbound *o, GPtrArray *rows, guint from,
		guint to, int64_t now, GString *overdue, GString *stale,
		GString *unowned)
{
	char num[CASENUM_BUF_SIZE], when[64];

	for (guint i = from; i < to; i++) {
		const struct store_digest_row *r = rows->pdata[i];
		GString *into = r->follow_up != 0 && r->follow_up < now
					? overdue : r->unowned ? unowned : stale;

		case_format_number(o->cfg, r->case_id, num, sizeof(num));
		time_format_zone(into == overdue ? r->follow_up
						 : r->last_activity,
				 o->cfg->case_timezone, when, sizeof(when));
		g_string_append_printf(into, "  %s  %s  (%s %s)\n", num, r->subject,
				       into == overdue ? "follow-up was due"
						       : "last activity", when);
	}
}

/* The digest.* and desk.* variables for rows[from..to) (new table). */
static GHashTable *
ob_digest_vars(const struct outbound *o, GPtrArray *rows, guint from,
	       guint to, int64_t now)
{
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 g_free);
	GString *overdue = g_string_new(NULL), *stale = g_string_new(NULL);
	GString *unowned = g_string_new(NULL);
	char count[32];

	ob_digest_lists(o, rows, from, to, now, overdue, stale, unowned);
	g_snprintf(count, sizeof(count), "%u", to - from);
	outbound_set(vars, "digest.count", count);
	outbound_set(vars, "digest.overdue", overdue->str);
	outbound_set(vars, "digest.stale", stale->str);
	outbound_set(vars, "digest.unowned", unowned->str);
	outbound_set(vars, "desk.name", o->cfg->case_desk_name);
	outbound_set(vars, "desk.address", outbound_desk_address(o));
	g_string_free(overdue, TRUE);
	g_string_free(stale, TRUE);
	g_string_free(unowned, TRUE);
	return vars;
}

/* One digest: rows[from..to) to who (NULL: their shared owner). */
static int
ob_digest_one(struct outbound *o, const struct template *t, GPtrArray *rows,
	      guint from, guint to, const char *who, int64_t now,
	      struct cm_error *err)
{
	const struct store_digest_row *first = rows->pdata[from];
	struct compose_address rcpt = { who != NULL ? NULL : first->owner_name,
					who != NULL ? who : first->owner };
	struct outbound_mail om = {
		.kind = "digest", .to = &rcpt, .n_to = 1, .auto_generated = 1,
		.recipient = rcpt.address,
	};
	GHashTable *vars = ob_digest_vars(o, rows, from, to, now);
	int rc = outbound_queue_template(o, t, vars, &om, now, err);

	g_hash_table_unref(vars);
	return rc;
}

/* The desk lead's list: every unowned and every overdue Active case. */
static int
ob_digest_lead(struct outbound *o, const struct template *t, int64_t now,
	       int *mails_r, struct cm_error *err)
{
	GPtrArray *rows = NULL;
	int rc;

	if (o->cfg->case_desk_lead == NULL)
		return 0;
	rc = store_lead_rows(o->store, now, &rows, err);
	if (rc == 0 && rows->len > 0)
		rc = ob_digest_one(o, t, rows, 0, rows->len,
				   o->cfg->case_desk_lead, now, err);
	if (rc == 0 && rows->len > 0)
		(*mails_r)++;
	if (rows != NULL)
		g_ptr_array_unref(rows);
	return rc;
}

int
outbound_digest(struct outbound *o, int64_t now, int64_t stale_before,
		int *mails_r, struct cm_error *err)
{
	const struct template *t = template_find(o->templates, "digest");
	GPtrArray *rows = NULL;
	guint from = 0;
	int rc;

	*mails_r = 0;
	if (t == NULL)
		return 0;
	rc = store_digest_rows(o->store, now, stale_before, &rows, err);
	/* Rows come ordered by owner: one mail per run of the same owner. */
	for (guint i = 1; rc == 0 && i <= rows->len; i++) {
		if (i < rows->len &&
		    strcmp(((struct store_digest_row *)rows->pdata[i])->owner,
			   ((struct store_digest_row *)rows->pdata[from])->owner) == 0)
			continue;
		rc = ob_digest_one(o, t, rows, from, i, NULL, now, err);
		if (rc == 0)
			(*mails_r)++;
		from = i;
	}
	if (rows != NULL)
		g_ptr_array_unref(rows);
	if (rc == 0)
		rc = ob_digest_lead(o, t, now, mails_r, err);
	return rc;
}
