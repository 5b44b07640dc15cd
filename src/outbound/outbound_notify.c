/*
 * outbound_notify.c - mail the desk sends by itself: notifications of a
 * new message on a case to its people, acknowledgements of new cases and
 * confirmations of unsubscriptions.
 */
#include "outbound_private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "casemail/agent.h"
#include "casemail/attach.h"
#include "casemail/case.h"
#include "casemail/log.h"
#include "casemail/mailtoken.h"
#include "casemail/thread.h"
#include "casemail/timeutil.h"

/* An attachment left out of the notification of m: logged and recorded on
 * the case, so nobody wonders where a customer's file went. */
static int
ob_file_skipped(const struct outbound *o, const struct outbound_case *oc,
		const struct store_message *m, const char *name,
		const char *why, int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };

	log_warnx("case=%s msgid=%s: attachment '%s' not sent with the "
		  "notification: %s", oc->num, m->message_id, name, why);
	return case_event_add(&ctx, oc->c->id, "attachment not sent", NULL,
			      name, why, err);
}

/* Attach what fits in [smtp] max_attach_bytes; name everything. */
static int
ob_files_of_message(const struct outbound *o, const struct outbound_case *oc,
		    const struct store_message *m, struct outbound_files *f,
		    int64_t now, struct cm_error *err)
{
	int64_t budget = o->cfg->smtp_max_attach_bytes;
	int rc = 0;

	for (guint i = 0; rc == 0 && m->attachments != NULL &&
			  i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];
		const char *name = a->filename != NULL ? a->filename : "attachment";
		GStatBuf st = { 0 };
		char *why, *path;

		outbound_files_name(f, name);
		/* Not kept (over [store] max_attachment_bytes): the text
		 * already says so, nothing was lost here. */
		if (a->sha256 == NULL)
			continue;
		if (a->size > budget) {
			why = g_strdup_printf("%lld bytes, over [smtp] "
					      "max_attach_bytes", (long long)
					      a->size);
			rc = ob_file_skipped(o, oc, m, name, why, now, err);
			g_free(why);
			continue;
		}
		/* By reference: the row holds a marker, the sender puts the
		 * blob in (compose.h); here only whether it is there. */
		path = attach_path(o->cfg->store_attachments, a->sha256);
		if (g_stat(path, &st) != 0)
			why = g_strdup_printf("the stored file: %s",
					      g_strerror(errno));
		else if ((int64_t)st.st_size != a->size)
			why = g_strdup("the stored file is damaged");
		else
			why = NULL;
		if (why != NULL) {
			rc = ob_file_skipped(o, oc, m, name, why, now, err);
			g_free(why);
			g_free(path);
			continue;
		}
		g_free(path);
		budget -= a->size;
		outbound_files_add_ref(f, name, a->content_type, a->sha256);
	}
	return rc;
}

/* The List-Unsubscribe URI for who on oc: the case number and who's
 * signed token (mailtoken.h), so only the mail who got can stop who's
 * notifications. */
static int
ob_unsubscribe_uri(struct outbound *o, const struct outbound_case *oc,
		   const char *who, char **uri_r, struct cm_error *err)
{
	const char *desk = outbound_desk_address(o), *at = strrchr(desk, '@');
	char mac[MSGID_MAC_HEX + 1], *lower;
	const char *key;
	int rc = outbound_key(o, &key, err);

	*uri_r = NULL;
	if (rc != 0)
		return rc;
	mailtoken_unsubscribe(key, oc->c->id, who, mac);
	lower = g_ascii_strdown(oc->num, -1);
	*uri_r = g_strdup_printf("mailto:%.*s+" THREAD_UNSUBSCRIBE_TAG
				 "%s-%s%s?subject=unsubscribe",
				 (int)(at - desk), desk, lower, mac, at);
	g_free(lower);
	return 0;
}

static int
ob_notify_one(struct outbound *o, const struct outbound_case *oc,
	      const struct store_message *m, const char *who,
	      GHashTable *vars, const struct outbound_files *files,
	      int64_t due, int64_t now, struct cm_error *err)
{
	struct compose_address to = { NULL, who };
	char *uri = NULL;
	struct outbound_mail om = {
		.kind = "notify", .oc = oc, .to = &to, .n_to = 1,
		.author = m->from.name != NULL ? m->from.name
					       : m->from.address,
		.answering = m->message_id, .auto_generated = 1,
		.files = files, .recipient = who, .due = due,
		.why_later = due > now ? OUTBOUND_DEFERRED : NULL,
	};
	int rc = ob_unsubscribe_uri(o, oc, who, &uri, err);

	om.list_unsubscribe = uri;
	if (rc == 0)
		rc = outbound_queue_template(o, template_find(o->templates,
							      "notify"),
					     vars, &om, now, err);
	g_free(uri);
	return rc;
}

/* who is over the rate limit: the notification waits until due; logged,
 * and an event on the case. */
static int
ob_deferred(struct outbound *o, const struct outbound_case *oc,
	    const struct store_message *m, const char *who, int64_t due,
	    int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };
	char when[TIME_ISO_SIZE], *why;
	int rc;

	time_format_iso(due, when, sizeof(when));
	log_warnx("case=%s msgid=%s: notification to %s deferred until %s: "
		  "over the rate limit", oc->num, m->message_id, who, when);
	why = g_strdup_printf("over the rate limit: waits until %s", when);
	rc = case_event_add(&ctx, oc->c->id, "notification deferred", NULL,
			    who, why, err);
	g_free(why);
	return rc;
}

/* The notifications after [smtp] max_attach_notifications name the
 * files and say where they are. */
static void
ob_files_withheld(GHashTable *vars, const struct outbound_files *f)
{
	char *names = g_strdup_printf("%s (not attached to this mail: "
				      "ask the desk for them, or see the "
				      "case)", f->names->str);

	outbound_set(vars, "message.attachments", names);
	g_free(names);
}

static int
ob_files_withheld_event(struct outbound *o, const struct outbound_case *oc,
			const struct store_message *m, int people,
			int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };
	char *why = g_strdup_printf("%d notifications without the files: "
				    "over [smtp] max_attach_notifications",
				    people);
	int rc;

	log_warnx("case=%s msgid=%s: attachments not sent: %s", oc->num,
		  m->message_id, why);
	rc = case_event_add(&ctx, oc->c->id, "attachments not sent", NULL,
			    NULL, why, err);
	g_free(why);
	return rc;
}

static int
ob_notify(struct outbound *o, int64_t case_id, const struct store_message *m,
	  int64_t now, int desk_only, struct cm_error *err)
{
	struct outbound_case oc;
	struct outbound_files files;
	GHashTable *vars = NULL;
	GPtrArray *all = NULL;
	const char *why;
	int64_t due = now;
	int rc, with_files = 0, without = 0;
	struct store_agent *agent = NULL;
	struct store_message named;

	if (template_find(o->templates, "notify") == NULL)
		return 0;
	/* A registered agent's message is told under the registered name. */
	if (m->from.address != NULL &&
	    (rc = agent_find(o->store, m->from.address, &agent, err)) != 0)
		return rc;
	if (agent != NULL) {
		named = *m;
		named.from.name = agent->name;
		m = &named;
	}
	/* An internal message (the outside team's) is the desk's alone,
	 * whoever asks for it to be told. */
	desk_only = desk_only || m->internal;
	outbound_files_init(&files);
	rc = outbound_case_load(o, case_id, &oc, err);
	if (rc == 0) {
		all = outbound_audience(o, &oc, desk_only);
		rc = ob_files_of_message(o, &oc, m, &files, now, err);
		vars = outbound_case_vars(o, &oc);
		outbound_message_vars(o, vars, m, files.names->str);
	}
	for (guint i = 0; rc == 0 && i < all->len; i++) {
		const char *who = all->pdata[i];

		rc = outbound_excluded(o, m, who, now, &why, err);
		if (rc == 0 && why == NULL)
			rc = outbound_allowed(o, case_id, who, now, &due, err);
		if (rc != 0 || why != NULL)
			continue;
		if (due > now)
			rc = ob_deferred(o, &oc, m, who, due, now, err);
		/* Past [smtp] max_attach_notifications: the files are
		 * named only. */
		if (rc == 0 && files.parts->len > 0 &&
		    with_files >= o->cfg->smtp_max_attach_notifications &&
		    without++ == 0)
			ob_files_withheld(vars, &files);
		if (rc == 0)
			rc = ob_notify_one(o, &oc, m, who, vars,
					   without > 0 ? NULL : &files, due,
					   now, err);
		with_files += rc == 0 && without == 0;
	}
	if (rc == 0 && without > 0)
		rc = ob_files_withheld_event(o, &oc, m, without, now, err);
	if (all != NULL)
		g_ptr_array_unref(all);
	if (vars != NULL)
		g_hash_table_unref(vars);
	outbound_files_clear(&files);
	outbound_case_clear(&oc);
	store_agent_free(&agent);
	return rc;
}

int
outbound_notify(struct outbound *o, int64_t case_id,
		const struct store_message *m, int64_t now,
		struct cm_error *err)
{
	return ob_notify(o, case_id, m, now, 0, err);
}

int
outbound_notify_desk(struct outbound *o, int64_t case_id,
		     const struct store_message *m, int64_t now,
		     struct cm_error *err)
{
	return ob_notify(o, case_id, m, now, 1, err);
}

/* ---- acknowledgements and confirmations --------------------------------- */

/* A system mail from the desk to one person about a case.  For a stranger
 * (an acknowledgement: the sender may be forged) the mail quotes nothing
 * of theirs but the case number and a short, cleaned subject and name. */
static int
ob_system_mail(struct outbound *o, int64_t case_id, const char *tname,
	       const char *kind, const char *who, const char *who_name,
	       int stranger, const char *answering, int64_t now,
	       struct cm_error *err)
{
	const struct template *t = template_find(o->templates, tname);
	struct outbound_case oc;
	char *name = stranger ? outbound_short_text(who_name,
						    OUTBOUND_SHORT_NAME)
			      : NULL;
	struct compose_address to = { stranger ? name : who_name, who };
	struct outbound_mail om = {
		.kind = kind, .oc = &oc, .to = &to, .n_to = 1,
		.answering = answering, .auto_generated = 1, .recipient = who,
	};
	GHashTable *vars;
	int rc = 0;

	if (t != NULL)
		rc = outbound_case_load(o, case_id, &oc, err);
	if (t != NULL && rc == 0) {
		vars = outbound_case_vars(o, &oc);
		if (stranger) {
			outbound_stranger_vars(vars, &oc);
			om.topic = g_hash_table_lookup(vars, "case.subject");
		}
		rc = outbound_queue_template(o, t, vars, &om, now, err);
		g_hash_table_unref(vars);
	}
	if (t != NULL)
		outbound_case_clear(&oc);
	g_free(name);
	return rc;
}

/* Take a token from each acknowledgement bucket of who: its address, its
 * domain, the desk's.  *which_r names the first that is empty, or NULL. */
static int
ob_ack_allowed(struct outbound *o, const char *who, int64_t now,
	       const char **which_r, struct cm_error *err)
{
	const struct config *cfg = o->cfg;
	const char *at = strrchr(who, '@');
	char *key[3] = {
		g_strdup_printf("ack:%s", who),
		g_strdup_printf("ack-domain:%s", at != NULL ? at + 1 : who),
		g_strdup("ack-desk"),
	};
	const double limit[3] = { cfg->case_ack_per_address_hour,
				  cfg->case_ack_per_domain_hour,
				  cfg->case_ack_per_hour };
	static const char *const what[3] = {
		"[case] ack_per_address_hour", "[case] ack_per_domain_hour",
		"[case] ack_per_hour",
	};
	int ok = 1, rc = 0;

	*which_r = NULL;
	for (int i = 0; i < 3; i++) {
		if (rc == 0 && ok)
			rc = store_rate_take(o->store, key[i], limit[i],
					     limit[i], now, &ok, err);
		if (rc == 0 && !ok && *which_r == NULL)
			*which_r = what[i];
		g_free(key[i]);
	}
	return rc;
}

/* An acknowledgement over a limit: logged, and an event on the case (the
 * case itself is opened as always). */
static int
ob_ack_skipped(struct outbound *o, int64_t case_id,
	       const struct store_message *m, const char *which, int64_t now,
	       struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };
	char num[CASENUM_BUF_SIZE], *why;
	int rc;

	case_format_number(o->cfg, case_id, num, sizeof(num));
	log_warnx("case=%s msgid=%s: acknowledgement to %s not sent: over %s",
		  num, m->message_id, m->from.address, which);
	why = g_strdup_printf("over %s", which);
	rc = case_event_add(&ctx, case_id, "not acknowledged", NULL,
			    m->from.address, why, err);
	g_free(why);
	return rc;
}

int
outbound_acknowledge(struct outbound *o, int64_t case_id,
		     const struct store_message *m, int64_t now,
		     struct cm_error *err)
{
	const char *who = m->from.address, *which = NULL;
	int due = 0, rc;

	if (who == NULL || config_is_org_address(o->cfg, who) ||
	    outbound_is_desk(o, who) ||
	    template_find(o->templates, "acknowledge") == NULL)
		return 0;
	rc = store_ack_due(o->store, who, now, o->cfg->case_ack_interval_secs,
			   &due, err);
	if (rc != 0 || !due)
		return rc;
	rc = ob_ack_allowed(o, who, now, &which, err);
	if (rc == 0 && which != NULL)
		return ob_ack_skipped(o, case_id, m, which, now, err);
	if (rc == 0)
		rc = store_ack_mark(o->store, who, now, err);
	if (rc == 0)
		rc = ob_system_mail(o, case_id, "acknowledge", "ack", who,
				    m->from.name, 1, m->message_id, now, err);
	return rc;
}

int
outbound_confirm_unsubscribe(struct outbound *o, int64_t case_id,
			     const char *address, int64_t now,
			     struct cm_error *err)
{
	return ob_system_mail(o, case_id, "unsubscribed", "confirm", address,
			      NULL, 0, NULL, now, err);
}

int
outbound_public_note(struct outbound *o, const struct case_ctx *ctx,
		     int64_t id, const char *text, struct cm_error *err)
{
	struct store_message *m = NULL;
	int rc = case_add_note(ctx, id, text, 1, &m, err);

	if (rc == 0)
		rc = outbound_notify(o, id, m, ctx->now, err);
	store_message_free(&m);
	return rc;
}
