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
#include "casemail/outbound.h"
#include "casemail/thread.h"

#include "ingest_private.h"

/* ---- unsubscribe ------------------------------------------------------- */

/* List-Unsubscribe: stop this person's notifications for that case only. */
int
ingest_job_unsubscribe(struct ingest_job *job, int *done_r,
		       struct cm_error *err)
{
	const struct config *cfg = job->ing->cfg;
	int64_t id = thread_unsubscribe_case(cfg, job->mm->to);
	struct case_ctx ctx;
	int exists = 0, changed = 0, rc;

	*done_r = 0;
	if (id == 0)
		id = thread_unsubscribe_case(cfg, job->mm->cc);
	if (id == 0 ||
	    (rc = ingest_job_case_exists(job, id, &exists, err)) != 0 ||
	    !exists)
		return id == 0 || exists ? 0 : rc;
	ingest_job_set_case(job, id);
	rc = store_participant_subscribe(job->ing->store, id,
					 job->mm->from.address, 0, &changed,
					 err);
	ingest_job_ctx(job, &ctx);
	if (rc == 0 && changed)
		rc = case_event_add(&ctx, id, "unsubscribed",
				    job->mm->from.address, NULL, NULL, err);
	/* Confirmed once: a second request changes nothing and says nothing. */
	if (rc == 0 && changed && job->ing->out != NULL)
		rc = outbound_confirm_unsubscribe(job->ing->out, id,
						  job->mm->from.address,
						  job->now, err);
	ingest_job_note(job, "unsubscribe from %s%s", job->num,
			changed ? "" : " (already)");
	*done_r = 1;
	if (rc == 0)
		rc = ingest_job_store_row(job, INGEST_IGNORED, 0, err);
	return rc;
}

/* ---- noise: our own mail, bounces, auto-replies ------------------------ */

static int
job_bounce(struct ingest_job *job, struct cm_error *err)
{
	int rc = 0;

	for (guint i = 0; rc == 0 && i < job->mm->dsn_recipients->len; i++) {
		const char *who = job->mm->dsn_recipients->pdata[i];
		char *detail = g_strdup_printf("delivery to %s failed", who);

		rc = store_person_set_bouncing(job->ing->store, who, err);
		if (rc == 0 && job->case_id != 0)
			rc = ingest_job_event(job, "bounce", who, detail,
					      err);
		g_free(detail);
	}
	if (rc == 0 && job->case_id != 0 && job->mm->dsn_recipients->len == 0)
		rc = ingest_job_event(job, "bounce", NULL, job->mm->subject,
				      err);
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

	/* Our own organisation's people are the desk's agents, once the
	 * verdict proves the From address is theirs. */
	*ok_r = job->trusted || job->signed_case == job->case_id ||
		(config_is_org_address(job->ing->cfg, job->mm->from.address) &&
		 job->verdict.verified) ||
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
