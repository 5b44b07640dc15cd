/*
 * ingest_policy.c - the pipeline's decisions about a mail: unsubscribe
 * requests, noise (our own mail, bounces, auto-replies), the flood limit,
 * who may post to a case, replies to solved cases, holding for review,
 * and who becomes a participant.
 */
#include <limits.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/case.h"
#include "casemail/classify.h"
#include "casemail/mailtoken.h"
#include "casemail/outbound.h"
#include "casemail/thread.h"
#include "casemail/trust.h"

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

/*
 * Membership is by exact address: a domain-mate of someone on the case is
 * a stranger (a free-mail domain is shared by millions), except at a
 * partner domain ([trust] partner_domains), whose addresses are
 * colleagues of each other.
 */
static int
job_is_member(struct ingest_job *job, int *known_r, struct cm_error *err)
{
	const char *from = job->mm->from.address;
	const char *partner = trust_partner_domain(job->ing->cfg, from);
	int rc = store_case_knows_address(job->ing->store, job->case_id, from,
					  known_r, err);

	if (rc != 0 || *known_r || partner == NULL)
		return rc;
	rc = store_case_knows_domain(job->ing->store, job->case_id, partner,
				     known_r, err);
	if (rc == 0 && *known_r)
		ingest_job_note(job, "partner domain %s is on %s", partner,
				job->num);
	return rc;
}

int
ingest_job_may_post(struct ingest_job *job, int *ok_r, struct cm_error *err)
{
	GPtrArray *refs;
	int rc;
	int64_t sent_case = 0;

	/* Our own organisation's people are the desk's agents, once the
	 * verdict proves the From address is theirs. */
	*ok_r = job->trusted ||
		(config_is_org_address(job->ing->cfg, job->mm->from.address) &&
		 job->verdict.verified) ||
		job->ing->cfg->case_accept_from == CONFIG_ACCEPT_ANYONE;
	if (*ok_r)
		return 0;
	if ((rc = job_is_member(job, ok_r, err)) != 0 || *ok_r)
		return rc;
	/* Only mail the case itself sent proves anything: any other
	 * Message-ID on a case may be known to anyone in the thread.  It
	 * proves only that the sender holds a copy (forwarded, say): a
	 * reply, not a say in who is on the case or what it does. */
	if (job->signed_case != job->case_id) {
		refs = ingest_job_all_refs(job);
		rc = store_case_of_sent_ids(job->ing->store, refs,
					    &sent_case, err);
		g_ptr_array_unref(refs);
	}
	if (rc == 0 && (job->signed_case == job->case_id ||
			sent_case == job->case_id)) {
		*ok_r = job->by_signed_ref = 1;
		ingest_job_note(job, "sender not on %s: a reply by reference "
				"(adds nobody, runs no command)", job->num);
	}
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

/*
 * Our own domains are ones we know to be signed: a mail claiming one of
 * their addresses without proof is held (and its mail command refused),
 * unless an agent released it.
 */
int
ingest_job_unproven_org(struct ingest_job *job, int *held_r,
			struct cm_error *err)
{
	char *command, *reason;

	*held_r = 0;
	if (job->trusted || job->verdict.verified ||
	    !config_is_org_address(job->ing->cfg, job->mm->from.address))
		return 0;
	command = ingest_job_command_of(job);
	reason = g_strdup_printf("organisation address not proven (%s)%s%s%s",
				 job->verdict.text, command != NULL
				 ? "; mail command /" : "",
				 command != NULL ? command : "",
				 command != NULL ? " refused" : "");
	g_free(command);
	*held_r = 1;
	return ingest_job_hold(job, reason, err);
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

/* Addresses a "not added" event names at most (it always counts all):
 * a hostile Cc list must not make the case's history unreadable. */
#define INGEST_UNADDED_NAMED 10

/* The To and Cc addresses of one mail as they are handled. */
struct job_people {
	GHashTable *seen;    /* addresses handled already (a mail may name
			      * one twice) */
	int by_ref;          /* a reply by reference: adds nobody */
	int added;           /* people new to the case added so far */
	int refused;         /* people new to the case not added */
	GString *named;      /* the first INGEST_UNADDED_NAMED of those */
};

/* Add the new person addr, or count and name them as not added. */
static int
job_add_new(struct ingest_job *job, struct job_people *pp, const char *addr,
	    const char *name, struct cm_error *err)
{
	struct case_ctx ctx;
	int changed;

	if (!pp->by_ref &&
	    pp->added < job->ing->cfg->case_max_new_participants) {
		pp->added++;
		ingest_job_ctx(job, &ctx);
		return case_add_participant(&ctx, job->case_id, addr, name,
					    &changed, err);
	}
	if (pp->refused++ < INGEST_UNADDED_NAMED)
		g_string_append_printf(pp->named, "%s%s",
				       pp->named->len > 0 ? ", " : "", addr);
	return 0;
}

/* The case's outside team never becomes one of its people (case.c
 * would refuse it): *skip_r set, and the case says why. */
static int
job_outside_skip(struct ingest_job *job, const char *addr, int *skip_r,
		 struct cm_error *err)
{
	char *detail;
	int rc = store_outside_has(job->ing->store, job->case_id, addr, skip_r,
				   err);

	if (rc != 0 || !*skip_r)
		return rc;
	ingest_job_note(job, "%s not added: the outside team of %s", addr,
			job->num);
	detail = g_strdup_printf("%s in From/To/Cc not added: the outside "
				 "team is never one of the case's people",
				 addr);
	rc = ingest_job_event(job, "not added", NULL, detail, err);
	g_free(detail);
	return rc;
}

static int
job_add_people(struct ingest_job *job, struct job_people *pp, GPtrArray *list,
	       struct cm_error *err)
{
	struct case_ctx ctx;
	int changed, known, skip, rc = 0;

	ingest_job_ctx(job, &ctx);
	for (guint i = 0; rc == 0 && i < list->len; i++) {
		const struct mime_address *a = list->pdata[i];
		char *addr = NULL;

		if (addr_normalize(a->address, &addr, NULL) != 0)
			continue;
		if (ingest_is_system(job->ing->cfg, addr) ||
		    g_hash_table_contains(pp->seen, addr)) {
			g_free(addr);
			continue;
		}
		g_hash_table_add(pp->seen, addr);  /* owns addr now */
		if ((rc = job_outside_skip(job, addr, &skip, err)) != 0 ||
		    skip)
			continue;
		rc = store_case_knows_address(job->ing->store, job->case_id,
					      addr, &known, err);
		/* Someone on the case already (an owner, say) is no new
		 * person: their participant role costs nothing. */
		if (rc == 0 && known && !pp->by_ref)
			rc = case_add_participant(&ctx, job->case_id, addr,
						  a->name, &changed, err);
		else if (rc == 0 && !known)
			rc = job_add_new(job, pp, addr, a->name, err);
	}
	return rc;
}

/* The record of the people a mail named but did not add. */
static int
job_unadded_event(struct ingest_job *job, const struct job_people *pp,
		  struct cm_error *err)
{
	char *detail;
	int rc;

	if (pp->refused == 0)
		return 0;
	detail = g_strdup_printf(
		"%d address%s in To/Cc not added (%s): %s%s", pp->refused,
		pp->refused == 1 ? "" : "es",
		pp->by_ref ? "a reply by reference from someone not "
				     "on the case adds nobody"
				   : "over [case] max_new_participants",
		pp->named->str,
		pp->refused > INGEST_UNADDED_NAMED ? ", ..." : "");
	ingest_job_note(job, "%d not added as participants", pp->refused);
	rc = ingest_job_event(job, "not added", NULL, detail, err);
	g_free(detail);
	return rc;
}

/*
 * The sender of an accepted mail joins the case (they are on it, open it,
 * or are an agent or a partner's colleague), but not one admitted only by
 * reference: a copy of our mail is easily had (forwarded, or the attacker
 * was Cc'd once), and a participant gets every later notification.  An
 * agent adds them if they belong (casectl).
 */
int
ingest_job_participants(struct ingest_job *job, struct cm_error *err)
{
	struct job_people pp = { 0 };
	struct case_ctx ctx;
	char *addr = NULL;
	int changed, skip = 0, rc = 0;

	/* A reference to a solved case may have opened a new one
	 * (reply_to_solved = new): that case is the sender's own. */
	pp.by_ref = job->by_signed_ref && !job->new_case;
	pp.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pp.named = g_string_new(NULL);
	ingest_job_ctx(job, &ctx);
	/* The sender counts against no limit, and is not named twice. */
	if (addr_normalize(job->mm->from.address, &addr, NULL) == 0 &&
	    !ingest_is_system(job->ing->cfg, addr) && !pp.by_ref &&
	    (rc = job_outside_skip(job, addr, &skip, err)) == 0 && !skip)
		rc = case_add_participant(&ctx, job->case_id, addr,
					  job->mm->from.name, &changed, err);
	if (addr != NULL)
		g_hash_table_add(pp.seen, addr);
	if (rc == 0)
		rc = job_add_people(job, &pp, job->mm->to, err);
	if (rc == 0)
		rc = job_add_people(job, &pp, job->mm->cc, err);
	/* Those the parser only counted are not added either. */
	pp.refused += (int)MIN(job->mm->addresses_unread, (unsigned)INT_MAX / 2);
	if (rc == 0)
		rc = job_unadded_event(job, &pp, err);
	g_hash_table_unref(pp.seen);
	g_string_free(pp.named, TRUE);
	return rc;
}
