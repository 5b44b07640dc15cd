/*
 * outbound_digest.c - the daily follow-up digest: one mail per owner
 * listing their overdue and stale cases.
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/timeutil.h"

/* The overdue and stale cases of rows[from..to) as text lines. */
static void
ob_digest_lists(const struct outbound *o, GPtrArray *rows, guint from,
		guint to, int64_t now, GString *overdue, GString *stale)
{
	char num[CASENUM_BUF_SIZE], when[64];

	for (guint i = from; i < to; i++) {
		const struct store_digest_row *r = rows->pdata[i];
		GString *into = r->follow_up != 0 && r->follow_up < now
					? overdue : stale;

		case_format_number(o->cfg, r->case_id, num, sizeof(num));
		time_format_iso(into == overdue ? r->follow_up : r->last_activity,
				when, sizeof(when));
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
	char count[32];

	ob_digest_lists(o, rows, from, to, now, overdue, stale);
	g_snprintf(count, sizeof(count), "%u", to - from);
	outbound_set(vars, "digest.count", count);
	outbound_set(vars, "digest.overdue", overdue->str);
	outbound_set(vars, "digest.stale", stale->str);
	outbound_set(vars, "desk.name", o->cfg->case_desk_name);
	outbound_set(vars, "desk.address", outbound_desk_address(o));
	outbound_set(vars, "digest.notice", o->digest_notice);
	g_string_free(overdue, TRUE);
	g_string_free(stale, TRUE);
	return vars;
}

/* One digest: rows[from..to), which share their owner. */
static int
ob_digest_one(struct outbound *o, const struct template *t, GPtrArray *rows,
	      guint from, guint to, int64_t now, struct cm_error *err)
{
	const struct store_digest_row *first = rows->pdata[from];
	struct compose_address rcpt = { first->owner_name, first->owner };
	struct outbound_mail om = {
		.kind = "digest", .to = &rcpt, .n_to = 1, .auto_generated = 1,
		.recipient = first->owner,
	};
	GHashTable *vars = ob_digest_vars(o, rows, from, to, now);
	int rc = outbound_queue_template(o, t, vars, &om, now, err);

	g_hash_table_unref(vars);
	return rc;
}

/* What the digest says about the mailbox (OUTBOUND_ALERT_KEY), into
 * o->digest_notice for ob_digest_vars(). */
static int
ob_digest_notice(struct outbound *o, struct cm_error *err)
{
	char *why = NULL;
	int rc = store_setting_get(o->store, OUTBOUND_ALERT_KEY, &why, err);

	g_free(o->digest_notice);
	o->digest_notice = NULL;
	/* With an admin to tell, the owners are left alone. */
	if (rc == 0 && why != NULL && why[0] != '\0' &&
	    o->cfg->oauth2_admin == NULL)
		o->digest_notice = g_strdup_printf(
			"The case mailbox is NOT being read (or will not be "
			"once its connection drops): %s.  Mail to the desk "
			"waits in the mailbox until an administrator logs in "
			"again (casectl oauth login).\n", why);
	g_free(why);
	return rc;
}

int
outbound_mailbox_alert(struct outbound *o, const char *why, int64_t now,
		       struct cm_error *err)
{
	char *cur = NULL;
	int rc = store_setting_get(o->store, OUTBOUND_ALERT_KEY, &cur, err);
	int told = rc == 0 && cur != NULL && cur[0] != '\0';

	g_free(cur);
	if (rc != 0)
		return rc;
	if (why == NULL)  /* the mailbox is read again: next time, tell */
		return told ? store_setting_set(o->store, OUTBOUND_ALERT_KEY, "",
						err) : 0;
	if (told)
		return 0;
	if (o->cfg->oauth2_admin != NULL) {
		struct compose_address to = { NULL, o->cfg->oauth2_admin };
		char *subject = g_strdup_printf("%s: the case mailbox is not "
						"being read",
						o->cfg->case_desk_name);
		char *body = g_strdup_printf(
			"casemail cannot log in to the case mailbox, so no new "
			"mail is being read (or will not be, once the current "
			"connection drops):\n\n  %s\n\nOn the server, as the "
			"user casemaild runs as, run:\n\n  casectl oauth login"
			"\n\nThe service resumes within seconds, without a "
			"restart.  Until then mail to the desk waits in the "
			"mailbox.\n", why);
		struct outbound_mail om = {
			.kind = "alert", .to = &to, .n_to = 1, .subject = subject,
			.body = body, .auto_generated = 1,
			.recipient = o->cfg->oauth2_admin,
		};
		char *mid = NULL;

		rc = outbound_new_msgid(o, 0, om.recipient, &mid, err);
		om.message_id = mid;
		if (rc == 0)
			rc = outbound_queue(o, &om, now, NULL, err);
		g_free(mid);
		g_free(subject);
		g_free(body);
	}
	if (rc == 0)
		rc = store_setting_set(o->store, OUTBOUND_ALERT_KEY, why, err);
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
	rc = ob_digest_notice(o, err);
	if (rc == 0)
		rc = store_digest_rows(o->store, now, stale_before, &rows, err);
	/* Rows come ordered by owner: one mail per run of the same owner. */
	for (guint i = 1; rc == 0 && i <= rows->len; i++) {
		if (i < rows->len &&
		    strcmp(((struct store_digest_row *)rows->pdata[i])->owner,
			   ((struct store_digest_row *)rows->pdata[from])->owner) == 0)
			continue;
		rc = ob_digest_one(o, t, rows, from, i, now, err);
		if (rc == 0)
			(*mails_r)++;
		from = i;
	}
	if (rows != NULL)
		g_ptr_array_unref(rows);
	g_clear_pointer(&o->digest_notice, g_free);
	return rc;
}
