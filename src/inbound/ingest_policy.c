/*
 * ingest_policy.c - the pipeline's decisions about a mail: unsubscribe
 * requests, noise (our own mail, bounces, auto-replies), the flood limit,
 * who may post to a case, replies to solved cases, holding for review,
 * and who becomes a participant.
 */
#include <string.h>

#include "casemail/addr.h"
#include "casemail/case.h"
#include "casemail/classify.h"
#include "casemail/mailtoken.h"
#include "casemail/outbound.h"
#include "casemail/thread.h"

#include "ingest_private.h"

/* ---- unsubscribe ------------------------------------------------------- */

/* The signing key of our addresses (mailtoken.h); NULL without an
 * outbound context, and then no token is valid. */
static int
job_token_key(struct ingest_job *job, const char **key_r,
	      struct cm_error *err)
{
	*key_r = NULL;
	return job->ing->out != NULL ? outbound_key(job->ing->out, key_r, err)
				     : 0;
}

/* The person on case c whose unsubscribe token is token (borrowed from
 * c), or NULL. */
static const struct store_person *
job_token_owner(const char *key, const struct store_case *c,
		const char *token)
{
	GPtrArray *const lists[] = { c->participants, c->owners, c->watchers };

	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++) {
			const struct store_person *p = lists[l]->pdata[i];

			if (mailtoken_unsubscribe_verify(key, c->id, p->address,
							 token))
				return p;
		}
	return NULL;
}

/* Stop who's notifications on the job's case: audited and confirmed once
 * (a second request changes nothing and says nothing). */
static int
job_unsubscribe_person(struct ingest_job *job, const char *who,
		       struct cm_error *err)
{
	struct case_ctx ctx;
	int changed = 0;
	int rc = store_participant_subscribe(job->ing->store, job->case_id, who,
					     0, &changed, err);

	ingest_job_ctx(job, &ctx);
	if (rc == 0 && changed)
		rc = case_event_add(&ctx, job->case_id, "unsubscribed", who,
				    NULL, NULL, err);
	if (rc == 0 && changed && job->ing->out != NULL)
		rc = outbound_confirm_unsubscribe(job->ing->out, job->case_id,
						  who, job->now, err);
	ingest_job_note(job, "unsubscribe %s from %s%s", who, job->num,
			changed ? "" : " (already)");
	return rc;
}

/*
 * List-Unsubscribe: stop the notifications of the person the address's
 * token was made for, on that case only.  From says nothing here: anyone
 * can write it.  Without a valid token nobody is unsubscribed; the
 * request is stored as ignored with the reason (and logged with it).
 */
int
ingest_job_unsubscribe(struct ingest_job *job, int *done_r,
		       struct cm_error *err)
{
	const struct config *cfg = job->ing->cfg;
	const struct store_person *who = NULL;
	struct store_case *c = NULL;
	char *token = NULL;
	const char *key = NULL;
	int64_t id = thread_unsubscribe_case(cfg, job->mm->to, &token);
	int exists = 0, rc;

	*done_r = 0;
	if (id == 0)
		id = thread_unsubscribe_case(cfg, job->mm->cc, &token);
	if (id == 0 ||
	    (rc = ingest_job_case_exists(job, id, &exists, err)) != 0 ||
	    !exists) {
		g_free(token);
		return id == 0 || exists ? 0 : rc;
	}
	ingest_job_set_case(job, id);
	rc = job_token_key(job, &key, err);
	if (rc == 0 && key != NULL && token != NULL)
		rc = store_case_get(job->ing->store, id, &c, err);
	if (rc == 0 && c != NULL)
		who = job_token_owner(key, c, token);
	if (rc == 0 && who != NULL)
		rc = job_unsubscribe_person(job, who->address, err);
	else if (rc == 0) {
		job->reason = g_strdup_printf(
			"unsubscribe from %s ignored: %s", job->num,
			token == NULL ? "the address has no token"
				      : "the token is not valid for anyone "
					"on the case");
		ingest_job_note(job, "%s", job->reason);
	}
	*done_r = 1;
	if (rc == 0)
		rc = ingest_job_store_row(job, INGEST_IGNORED, 0, err);
	store_case_free(&c);
	g_free(token);
	return rc;
}

/* ---- noise: our own mail, bounces, auto-replies ------------------------ */

/* text as a bare lower-case address ("<a@b>" and spaces allowed), or
 * NULL. */
static char *
job_bare_address(const char *text)
{
	char *copy, *addr = NULL;

	if (text == NULL)
		return NULL;
	copy = g_strstrip(g_strdup(text));
	if (copy[0] == '<' && copy[strlen(copy) - 1] == '>') {
		copy[strlen(copy) - 1] = '\0';
		memmove(copy, copy + 1, strlen(copy));
	}
	if (addr_normalize(copy, &addr, NULL) != 0)
		addr = NULL;
	g_free(copy);
	return addr;
}

/*
 * Where a delivery report may have been sent: the envelope recipient the
 * receiving MTA wrote on top (Delivered-To, X-Original-To) and the To
 * header, which reporting MTAs set to the return path.  A sender can
 * write any of them; what counts is that one of them is a return path we
 * signed for the reported recipient (mailtoken.h).  A new array of
 * addresses (caller unrefs).
 */
static GPtrArray *
job_report_targets(const struct mime_message *mm)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	char *a;

	if ((a = job_bare_address(mm->delivered_to)) != NULL)
		g_ptr_array_add(out, a);
	if ((a = job_bare_address(mm->x_original_to)) != NULL)
		g_ptr_array_add(out, a);
	for (guint i = 0; i < mm->to->len; i++) {
		const struct mime_address *t = mm->to->pdata[i];

		if (t->address != NULL)
			g_ptr_array_add(out, g_strdup(t->address));
	}
	return out;
}

/* The outbox row a target signed for who names (0: none): on the
 * envelope sender we use, or the case address. */
static int64_t
job_signed_row(const struct config *cfg, const char *key, GPtrArray *targets,
	       const char *who)
{
	const char *bases[] = { cfg->smtp_from, cfg->case_address };
	int64_t row = 0;

	for (guint i = 0; i < targets->len; i++)
		for (size_t b = 0; b < G_N_ELEMENTS(bases); b++)
			if (bases[b] != NULL &&
			    mailtoken_bounce_verify(key, bases[b],
						    targets->pdata[i], who,
						    &row))
				return row;
	return 0;
}

/* Check the report on who; *why_r: why it marks nobody, else NULL
 * and *case_r the case of the mail that bounced (0: none). */
static int
job_bounce_check(struct ingest_job *job, const char *key, GPtrArray *targets,
		 const char *who, const char **why_r, int64_t *case_r,
		 struct cm_error *err)
{
	int64_t row = key != NULL
		? job_signed_row(job->ing->cfg, key, targets, who) : 0;
	int found = 0, rc;

	*case_r = 0;
	*why_r = "not sent to a return path signed for that recipient";
	if (row == 0)
		return 0;
	rc = store_outbox_rcpt_find(job->ing->store, row, who, &found, case_r,
				    err);
	*why_r = rc == 0 && !found ? "no recipient of the mail it names" : NULL;
	return rc;
}

/* Mark who bouncing: the report came back to the return path of a mail
 * of ours (on case_id, 0: none) to who. */
static int
job_bounce_mark(struct ingest_job *job, const char *who, int64_t case_id,
		struct cm_error *err)
{
	struct case_ctx ctx;
	char *detail = g_strdup_printf("delivery to %s failed", who);
	int rc = store_person_set_bouncing(job->ing->store, who, job->now,
					   err);

	ingest_job_ctx(job, &ctx);
	if (rc == 0 && case_id != 0)
		rc = case_event_add(&ctx, case_id, "bounce", NULL, who, detail,
				    err);
	ingest_job_note(job, "%s marked bouncing", who);
	g_free(detail);
	return rc;
}

/*
 * A delivery report marks a recipient bouncing only when it came to the
 * signed return path of a mail we sent that recipient; any other report
 * (anyone can write one) marks nobody, and the decision record and the
 * message's reason say why.
 */
static int
job_bounce(struct ingest_job *job, struct cm_error *err)
{
	GPtrArray *targets = job_report_targets(job->mm);
	GString *ignored = g_string_new(NULL);
	const char *key = NULL, *why = NULL;
	int64_t case_id = 0;
	int rc = job_token_key(job, &key, err);

	for (guint i = 0; rc == 0 && i < job->mm->dsn_recipients->len; i++) {
		char *who = job_bare_address(job->mm->dsn_recipients->pdata[i]);

		if (who == NULL)
			why = "not an address";
		else
			rc = job_bounce_check(job, key, targets, who, &why,
					      &case_id, err);
		if (rc == 0 && why == NULL)
			rc = job_bounce_mark(job, who, case_id, err);
		else if (rc == 0)
			g_string_append_printf(ignored, "%s%s: %s",
					       ignored->len > 0 ? "; " : "",
					       who != NULL ? who : "?", why);
		g_free(who);
	}
	if (rc == 0 && ignored->len > 0) {
		ingest_job_note(job, "report ignored for %s", ignored->str);
		char *reason = g_strdup_printf("%s; ignored for %s",
					       job->reason, ignored->str);

		g_free(job->reason);
		job->reason = reason;
	}
	if (rc == 0 && job->case_id != 0 && job->mm->dsn_recipients->len == 0)
		rc = ingest_job_event(job, "bounce", NULL, job->mm->subject,
				      err);
	g_string_free(ignored, TRUE);
	g_ptr_array_unref(targets);
	return rc;
}

int
ingest_job_noise(struct ingest_job *job, enum classify_kind kind,
		 const char *why, struct cm_error *err)
{
	int rc = 0;

	job->reason = g_strdup_printf("%s: %s", classify_name(kind), why);
	ingest_job_note(job, "%s (%s)", classify_name(kind), why);
	if (kind != CLASSIFY_OWN)
		rc = ingest_job_thread(job, err);
	if (rc == 0 && kind == CLASSIFY_BOUNCE)
		rc = job_bounce(job, err);
	else if (rc == 0 && kind == CLASSIFY_AUTOREPLY && job->case_id != 0)
		rc = ingest_job_event(job, "auto-reply",
				      job->mm->from.address, job->mm->subject,
				      err);
	if (rc == 0)
		rc = ingest_job_store_row(job, INGEST_IGNORED, 0, err);
	return rc;
}

/* ---- who may post, floods, solved cases -------------------------------- */

int
ingest_job_may_post(struct ingest_job *job, int *ok_r, struct cm_error *err)
{
	GPtrArray *refs = ingest_job_all_refs(job);
	int person = 0, domain = 0, rc;
	int64_t sent_case = 0;

	/* Our own organisation's people are the desk's agents. */
	*ok_r = job->trusted || job->signed_case == job->case_id ||
		config_is_org_address(job->ing->cfg, job->mm->from.address) ||
		job->ing->cfg->case_accept_from == CONFIG_ACCEPT_ANYONE;
	rc = *ok_r ? 0 : store_case_knows(job->ing->store, job->case_id,
					  job->mm->from.address, &person,
					  &domain, err);
	/* Only mail the case itself sent proves anything: any other
	 * Message-ID on a case may be known to anyone in the thread. */
	if (rc == 0 && !*ok_r && !person && !domain)
		rc = store_case_of_sent_ids(job->ing->store, refs,
					    &sent_case, err);
	g_ptr_array_unref(refs);
	if (rc == 0 && !*ok_r)
		*ok_r = person || domain || sent_case == job->case_id;
	return rc;
}

int
ingest_job_flooding(struct ingest_job *job, int *flood_r,
		    struct cm_error *err)
{
	int64_t n = 0;
	int rc;

	*flood_r = 0;
	if (job->trusted || job->mm->from.address == NULL)
		return 0;
	rc = store_sender_count_since(job->ing->store, job->mm->from.address,
				      job->now - 3600,
				      job->ing->cfg->case_max_messages_per_hour,
				      &n, err);
	*flood_r = rc == 0 && n >= job->ing->cfg->case_max_messages_per_hour;
	return rc;
}

int
ingest_job_hold(struct ingest_job *job, char *reason, struct cm_error *err)
{
	job->reason = reason;
	ingest_job_note(job, "held: %s", reason);
	return ingest_job_store_row(job, INGEST_HELD, 0, err);
}

/* A reply to a Solved case: [case] reply_to_solved. */
int
ingest_job_solved_policy(struct ingest_job *job, struct cm_error *err)
{
	enum config_reply_solved policy = job->ing->cfg->case_reply_to_solved;
	struct case_ctx ctx;
	int solved, rc;

	rc = store_case_is_solved(job->ing->store, job->case_id, &solved, err);
	if (rc != 0)
		return rc;
	if (!solved)
		return 0;
	if (policy == CONFIG_REPLY_SOLVED_NEW) {
		ingest_job_note(job, "%s is solved: a new case "
				"(reply_to_solved = new)", job->num);
		job->case_id = 0;
		return 0;
	}
	if (policy == CONFIG_REPLY_SOLVED_NOTE) {
		ingest_job_note(job, "%s stays solved (reply_to_solved = note)",
				job->num);
		return 0;
	}
	ingest_job_ctx(job, &ctx);
	ingest_job_note(job, "reopened %s", job->num);
	return case_reopen(&ctx, job->case_id, err);
}

/* ---- participants ------------------------------------------------------ */

/* Local parts of system addresses that never become participants. */
static const char *const ingest_system_locals[] = {
	"noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon",
	"postmaster", NULL,
};

static int
ingest_is_system(const struct config *cfg, const char *address)
{
	const char *at = strrchr(address, '@');

	if (thread_is_case_address(cfg, address))
		return 1;
	if (at == NULL || !config_is_org_address(cfg, address))
		return 0;
	for (int i = 0; ingest_system_locals[i] != NULL; i++)
		if ((size_t)(at - address) == strlen(ingest_system_locals[i]) &&
		    g_ascii_strncasecmp(address, ingest_system_locals[i],
					(size_t)(at - address)) == 0)
			return 1;
	return 0;
}

static int
job_add_people(struct ingest_job *job, GPtrArray *list, struct cm_error *err)
{
	struct case_ctx ctx;
	int changed, rc;

	ingest_job_ctx(job, &ctx);
	for (guint i = 0; i < list->len; i++) {
		const struct mime_address *a = list->pdata[i];
		char *addr = NULL;

		if (addr_normalize(a->address, &addr, NULL) != 0 ||
		    ingest_is_system(job->ing->cfg, addr)) {
			g_free(addr);
			continue;
		}
		rc = case_add_participant(&ctx, job->case_id, addr, a->name,
					  &changed, err);
		g_free(addr);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ingest_job_participants(struct ingest_job *job, struct cm_error *err)
{
	GPtrArray *from = g_ptr_array_new();
	int rc;

	g_ptr_array_add(from, &job->mm->from);
	rc = job_add_people(job, from, err);
	g_ptr_array_unref(from);
	if (rc == 0)
		rc = job_add_people(job, job->mm->to, err);
	if (rc == 0)
		rc = job_add_people(job, job->mm->cc, err);
	return rc;
}
