/*
 * ingest.c - the inbound pipeline (see ingest.h for the order of steps):
 * the steps in order, the raw copy, attachments and message row, the
 * failure record, and the entry points.  The parse half is in
 * ingest_parse.c; threading, policy and mail commands are in
 * ingest_thread.c, ingest_policy.c and ingest_command.c
 * (ingest_private.h says what each holds).
 *
 * Every message leaves a one-line decision record (stored with it and
 * logged), so "why is this mail on that case?" always has an answer.
 */
#define _GNU_SOURCE  /* memmem() */
#include "casemail/ingest.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/attach.h"
#include "casemail/case.h"
#include "casemail/classify.h"
#include "casemail/log.h"
#include "casemail/mime.h"
#include "casemail/outbound.h"
#include "casemail/quote.h"
#include "casemail/record.h"
#include "casemail/strv.h"

#include "ingest_private.h"

const char *
ingest_outcome_name(enum ingest_outcome o)
{
	switch (o) {
	case INGEST_STORED: return "stored";
	case INGEST_DUPLICATE: return "duplicate";
	case INGEST_DUPLICATE_HELD: return "duplicate (held)";
	case INGEST_HELD: return "held";
	case INGEST_IGNORED: return "ignored";
	case INGEST_FAILED: return "failed";
	}
	return "?";
}

void
ingest_init(struct ingest *ing, struct store *store,
	    const struct config *cfg, struct outbound *out)
{
	memset(ing, 0, sizeof(*ing));
	ing->store = store;
	ing->cfg = cfg;
	ing->out = out;
}

int
ingest_sync(struct ingest *ing, struct cm_error *err)
{
	int rc;

	if (ing->unsynced == 0)
		return 0;
	rc = attach_sync(ing->cfg->store_attachments, err);
	if (rc == 0)
		ing->unsynced = 0;
	return rc;
}

/* The message state a row written with outcome o gets (only the outcomes
 * ingest_job_store_row() takes write a row this way). */
static enum store_msg_state
job_outcome_state(enum ingest_outcome o)
{
	switch (o) {
	case INGEST_HELD: return STORE_MSG_HELD;
	case INGEST_IGNORED: return STORE_MSG_IGNORED;
	case INGEST_FAILED: return STORE_MSG_FAILED;
	case INGEST_STORED:
	case INGEST_DUPLICATE:
	case INGEST_DUPLICATE_HELD:
		break;
	}
	assert(o == INGEST_STORED);
	return STORE_MSG_STORED;
}

int
ingest_outcome_for_review(enum ingest_outcome o)
{
	return o == INGEST_HELD || o == INGEST_FAILED ||
	       o == INGEST_DUPLICATE_HELD;
}

void
ingest_job_note(struct ingest_job *job, const char *fmt, ...)
{
	va_list ap;

	g_string_append(job->decision, " -> ");
	va_start(ap, fmt);
	g_string_append_vprintf(job->decision, fmt, ap);
	va_end(ap);
}

void
ingest_job_set_case(struct ingest_job *job, int64_t id)
{
	job->case_id = id;
	case_format_number(job->ing->cfg, id, job->num, sizeof(job->num));
}

void
ingest_job_ctx(struct ingest_job *job, struct case_ctx *ctx)
{
	ctx->store = job->ing->store;
	ctx->cfg = job->ing->cfg;
	ctx->actor = job->mm != NULL && job->mm->from.address != NULL
			     ? job->mm->from.address : "casemaild";
	ctx->now = job->now;
}

int
ingest_job_event(struct ingest_job *job, const char *what,
		 const char *new_value, const char *detail,
		 struct cm_error *err)
{
	struct case_ctx ctx;

	ingest_job_ctx(job, &ctx);
	return store_event_add(job->ing->store, job->case_id, job->now,
			       ctx.actor, what, NULL, new_value, detail, err);
}

/* ---- keeping the raw message and the attachments ----------------------- */

static int
job_keep_raw(struct ingest_job *job, struct cm_error *err)
{
	const struct config *cfg = job->ing->cfg;
	const struct ingest_parsed *p = job->parsed;
	int rc;

	/* Over the limit (or only its start fetched): not kept, not parsed
	 * (mime_scan()); the IMAP server keeps it in the review mailbox. */
	if (p->size > (size_t)cfg->store_max_message_bytes)
		return 0;
	/* In the database, not a file: creating a file per message costs
	 * more than the rest of the ingest together. */
	rc = store_blob_put_data(job->ing->store, p->raw_sha, p->raw, p->len,
				 err);
	if (rc == 0)
		job->raw_kept = 1;
	return rc;
}

static int
job_keep_part(struct ingest_job *job, const struct mime_part *p,
	      struct store_attachment *a, struct cm_error *err)
{
	const struct config *cfg = job->ing->cfg;
	char sha[ATTACH_SHA256_HEX];
	gsize size;
	const void *data = g_bytes_get_data(p->data, &size);
	int created, rc;

	a->size = (int64_t)size;
	if (size > (gsize)cfg->store_max_attachment_bytes)
		a->skipped = g_strdup_printf("over max_attachment_bytes (%d)",
					     cfg->store_max_attachment_bytes);
	if (a->skipped != NULL)
		return 0;
	rc = attach_put(cfg->store_attachments, data, size,
			1, sha, &created, err);
	job->ing->unsynced += created;
	if (rc == 0)
		rc = store_blob_add(job->ing->store, sha, (int64_t)size, err);
	if (rc == 0)
		a->sha256 = g_strdup(sha);
	return rc;
}

static int
job_attachments(struct ingest_job *job, struct store_message *m,
		struct cm_error *err)
{
	for (guint i = 0; i < job->mm->parts->len; i++) {
		const struct mime_part *p = job->mm->parts->pdata[i];
		struct store_attachment *a = g_new0(struct store_attachment, 1);
		int rc;

		a->filename = g_strdup(p->filename);
		a->content_type = g_strdup(p->content_type);
		a->content_id = g_strdup(p->content_id);
		a->inline_part = p->inline_part;
		g_ptr_array_add(m->attachments, a);
		if ((rc = job_keep_part(job, p, a, err)) != 0)
			return rc;
	}
	return 0;
}

/* ---- the message row --------------------------------------------------- */

static void
job_copy_addrs(GPtrArray *to, GPtrArray *from)
{
	for (guint i = 0; i < from->len; i++) {
		const struct mime_address *a = from->pdata[i];
		struct store_address *sa = g_new0(struct store_address, 1);

		sa->name = g_strdup(a->name);
		sa->address = g_strdup(a->address);
		g_ptr_array_add(to, sa);
	}
}

static struct store_message *
job_message_row(struct ingest_job *job)
{
	struct store_message *m = store_message_new();
	const struct mime_message *mm = job->mm;

	m->case_id = job->case_id;
	m->message_id = g_strdup(mm->message_id);
	m->direction = g_strdup("in");
	m->state = job_outcome_state(job->outcome);
	m->internal = job->outside;
	m->reason = g_strdup(job->reason);
	m->from.name = g_strdup(mm->from.name);
	m->from.address = g_strdup(mm->from.address);
	job_copy_addrs(m->to, mm->to);
	job_copy_addrs(m->cc, mm->cc);
	m->subject = g_strdup(mm->subject);
	m->date = mm->date;
	m->received_at = job->now;
	m->in_reply_to = g_strdup(mm->in_reply_to);
	/* No References: header stores NULL, not "". */
	if (mm->references->len > 0)
		m->references = strv_join(mm->references, " ");
	m->body = g_strdup(job->parsed->visible);
	m->body_full = g_strdup(mm->text);
	m->raw_sha256 = job->raw_kept ? g_strdup(job->parsed->raw_sha) : NULL;
	m->decision = g_strdup(job->decision->str);
	m->size = (int64_t)job->parsed->size;
	if (job->judged) {
		m->sender_verified = job->verdict.verified;
		m->sender_verdict = g_strdup(job->verdict.text);
	}
	if (job->src != NULL && job->src->mailbox != NULL) {
		m->mailbox = g_strdup(job->src->mailbox);
		m->uidvalidity = job->src->uidvalidity;
		m->uid = job->src->uid;
	}
	return m;
}

int
ingest_job_store_row(struct ingest_job *job, enum ingest_outcome outcome,
		     int with_attachments, struct cm_error *err)
{
	struct store_message *m;
	int rc = 0;

	assert(outcome == INGEST_STORED || outcome == INGEST_HELD ||
	       outcome == INGEST_IGNORED);
	job->outcome = outcome;
	ingest_job_note(job, "%s", ingest_outcome_name(outcome));
	m = job_message_row(job);
	if (with_attachments)
		rc = job_attachments(job, m, err);
	if (rc == 0)
		rc = store_message_insert(job->ing->store, m, NULL, err);
	if (rc == 0 && job->outcome == INGEST_STORED)
		rc = ingest_job_mail_out(job, m, err);
	store_message_free(&m);
	return rc;
}

static int
job_skipped_events(struct ingest_job *job, struct cm_error *err)
{
	char *detail;
	int rc = 0;

	for (guint i = 0; rc == 0 && i < job->mm->parts->len; i++) {
		const struct mime_part *p = job->mm->parts->pdata[i];

		if (g_bytes_get_size(p->data) <=
		    (gsize)job->ing->cfg->store_max_attachment_bytes)
			continue;
		detail = g_strdup_printf("attachment %s (%zu bytes) is over "
					 "max_attachment_bytes: not stored",
					 p->filename != NULL ? p->filename : "(no name)",
					 g_bytes_get_size(p->data));
		rc = ingest_job_event(job, "skipped", NULL, detail, err);
		g_free(detail);
	}
	return rc;
}

/* ---- the pipeline ------------------------------------------------------ */

/*
 * Mailing-list mail (a List-Id header, RFC 2919) is posted to a case it
 * threads onto, under the same who-may-post rule as any reply, but never
 * opens a case (nor, so, is acknowledged: an acknowledgement to a list
 * goes to all its members) and adds no participants (the list's address
 * in To or Cc would get every update of the case).  Not for a mail an
 * agent released from review: that was their decision.
 */
static int
job_is_list(const struct ingest_job *job)
{
	return job->mm->list_id != NULL && !job->trusted;
}

/* A list mail that threads onto no case: kept as ignored, with why. */
static int
job_list_no_case(struct ingest_job *job, struct cm_error *err)
{
	/* The sender wrote the List-Id: a bounded piece of it is enough. */
	job->reason = g_strdup_printf("mailing-list mail (List-Id %.200s) "
				      "opens no case", job->mm->list_id);
	ingest_job_note(job, "%s", job->reason);
	return ingest_job_store_row(job, INGEST_IGNORED, 0, err);
}

static int
job_accept(struct ingest_job *job, struct cm_error *err)
{
	int rc, ok = 1, held;

	if ((rc = ingest_job_unproven_org(job, &held, err)) != 0 || held)
		return rc;
	if (job->case_id != 0)
		rc = ingest_job_outside(job, err);
	if (rc == 0 && job->case_id != 0 && !job->team_proven)
		rc = ingest_job_may_post(job, &ok, err);
	if (rc == 0 && !ok)
		return ingest_job_hold(job, g_strdup_printf(
			"sender %s is not on case %s",
			job->mm->from.address != NULL ? job->mm->from.address
						      : "(none)",
			job->num), err);
	if (rc == 0 && job->case_id != 0)
		rc = ingest_job_solved_policy(job, err);
	if (rc == 0 && job->case_id == 0 && job_is_list(job))
		return job_list_no_case(job, err);
	if (rc == 0 && job->case_id == 0)
		rc = ingest_job_new_case(job, err);
	if (rc == 0 && job_is_list(job))
		ingest_job_note(job, "mailing-list mail: no participants "
				"added from it");
	else if (rc == 0 && job->outside)
		ingest_job_note(job, "no participants added from it");
	else if (rc == 0)
		rc = ingest_job_participants(job, err);
	if (rc == 0)
		rc = ingest_job_event(job, "mail", job->mm->from.address,
				      job->mm->subject, err);
	if (rc == 0)
		rc = job_skipped_events(job, err);
	if (rc == 0)
		rc = ingest_job_store_row(job, INGEST_STORED, 1, err);
	return rc;
}

/* *dup_r nonzero when the Message-ID was handled before: a re-fetch after
 * a crash goes where the first run sent it.  A failed lookup is an error
 * (the batch is retried), never "not a duplicate": that would file the
 * mail twice and mail its people twice. */
static int
job_duplicate(struct ingest_job *job, int *dup_r, struct cm_error *err)
{
	struct store_message *dup = NULL;
	int rc = store_message_get(job->ing->store, job->mm->message_id, 0,
				   &dup, err);

	*dup_r = 0;
	if (rc == CM_ENOTFOUND) {
		cm_error_clear(err);
		return 0;
	}
	if (rc != 0) {
		log_warnx("msgid=%s duplicate check failed: %s",
			  job->mm->message_id, err != NULL ? err->msg : "");
		/* Retried with the batch, not held as this message's fault. */
		return rc == CM_ETEMP || rc == CM_ESTORE ? rc : CM_ESTORE;
	}
	job->outcome = dup->state == STORE_MSG_HELD ||
		       dup->state == STORE_MSG_FAILED
			       ? INGEST_DUPLICATE_HELD : INGEST_DUPLICATE;
	ingest_job_note(job, "duplicate: already %s",
			store_msg_state_name(dup->state));
	store_message_free(&dup);
	*dup_r = 1;
	return 0;
}

/* Person, auto-reply, bounce, or our own mail: only mail carrying this
 * desk's loop value or signature is ours (another desk's is not). */
static int
job_classify(struct ingest_job *job, enum classify_kind *kind_r,
	     const char **why_r, struct cm_error *err)
{
	struct classify_self self = { 0 };
	char *loop = NULL;
	int rc = job->ing->out != NULL
			 ? outbound_classify_self(job->ing->out, job->mm,
						  &self, &loop, err)
			 : 0;

	if (rc == 0)
		*kind_r = classify_message(job->mm, job->ing->cfg,
					   job->ing->out != NULL ? &self : NULL,
					   why_r);
	g_free(loop);
	return rc;
}

/* Who the sender is, before anything is decided (trust.h).  A DKIM
 * library that cannot be set up leaves the sender unverified. */
static void
job_judge(struct ingest_job *job)
{
	struct cm_error terr = { 0 };

	if (trust_judge(job->ing->cfg, job->parsed->raw, job->parsed->len,
			job->mm, &job->verdict, &terr) != 0)
		log_warnx("msgid=%s sender verdict: %s", job->mm->message_id,
			  terr.msg);
	job->judged = 1;
	ingest_job_note(job, "sender %s", job->verdict.text);
}

/* What the parse did not take as it came (a header field cut, parts not
 * walked) goes into the decision record. */
static void
job_note_warnings(struct ingest_job *job)
{
	for (guint i = 0; i < job->mm->warnings->len; i++)
		ingest_job_note(job, "%.300s",
				(const char *)job->mm->warnings->pdata[i]);
}

static int
job_run(struct ingest_job *job, struct cm_error *err)
{
	enum classify_kind kind;
	const char *why = NULL;
	int rc, flood, dup, done = 0;

	if ((rc = job_keep_raw(job, err)) != 0)
		return rc;
	if (job->parsed->mm == NULL) {
		/* Who sent it and its Message-ID, when its header could be
		 * read: the failure record shows them. */
		job->mm = job->parsed->head;
		return cm_error_set(err, job->parsed->parse_rc, "%s",
				    job->parsed->parse_error);
	}
	job->mm = job->parsed->mm;
	ingest_job_note(job, "parsed %s", job->mm->message_id);
	job_note_warnings(job);
	if ((rc = job_duplicate(job, &dup, err)) != 0 || dup)
		return rc;
	/* Without a sender there is nobody to thread, answer or trust. */
	if (job->mm->from.address == NULL)
		return cm_error_set(err, CM_EINPUT, "no sender address (From)");
	job_judge(job);
	if ((rc = ingest_job_unsubscribe(job, &done, err)) != 0 || done)
		return rc;
	if ((rc = job_classify(job, &kind, &why, err)) != 0)
		return rc;
	if (kind != CLASSIFY_PERSON)
		return ingest_job_noise(job, kind, why, err);
	if ((rc = ingest_job_flooding(job, &flood, err)) != 0)
		return rc;
	if (flood)
		return ingest_job_hold(job, g_strdup_printf(
			"sender sent over %d messages in the last hour",
			job->ing->cfg->case_max_messages_per_hour), err);
	if ((rc = ingest_job_thread(job, err)) != 0)
		return rc;
	return job_accept(job, err);
}

/* Infrastructure trouble: the batch must be retried, not the message held. */
static int
ingest_is_infra(int rc)
{
	return rc == CM_ETEMP || rc == CM_ESTORE;
}

/* The row that records a message we could not handle, and why. */
static struct store_message *
job_failure_row(struct ingest_job *job, const char *why)
{
	struct store_message *m = store_message_new();

	if (job->mm != NULL) {
		m->message_id = g_strdup(job->mm->message_id);
		m->subject = g_strdup(job->mm->subject);
		m->from.address = g_strdup(job->mm->from.address);
		m->from.name = g_strdup(job->mm->from.name);
	} else {
		m->message_id = g_strdup_printf(
			"<sha256.%.40s@casemail.invalid>", job->parsed->raw_sha);
	}
	m->direction = g_strdup("in");
	m->state = STORE_MSG_FAILED;
	m->reason = g_strdup(why);
	m->received_at = job->now;
	m->raw_sha256 = job->raw_kept ? g_strdup(job->parsed->raw_sha) : NULL;
	ingest_job_note(job, "failed: %s", why);
	m->decision = g_strdup(job->decision->str);
	m->size = (int64_t)job->parsed->size;
	return m;
}

/* Record a message we could not handle, with its raw copy and the reason. */
static int
job_record_failure(struct ingest_job *job, const char *why,
		   struct cm_error *err)
{
	struct store_message *m;
	int rc, found = 0;

	/* Read not even as far as its Message-ID (set aside unread): its
	 * bytes say whether it was recorded before, under its own ID. */
	if (job->mm == NULL && job->raw_kept &&
	    (rc = store_message_failed_raw(job->ing->store,
					   job->parsed->raw_sha, &found,
					   err)) != 0)
		return rc;
	if (found) {
		ingest_job_note(job, "duplicate: already failed (the same "
				"bytes)");
		job->outcome = INGEST_DUPLICATE_HELD;
		return 0;
	}
	m = job_failure_row(job, why);
	rc = store_savepoint(job->ing->store, err);

	/* The message's own savepoint was rolled back, raw copy and all:
	 * keep it again, or the record would point at nothing. */
	if (rc == 0 && job->raw_kept)
		rc = store_blob_put_data(job->ing->store, job->parsed->raw_sha,
					 job->parsed->raw, job->parsed->len,
					 err);
	if (rc == 0)
		rc = store_message_insert(job->ing->store, m, NULL, err);
	if (rc == 0)
		rc = store_savepoint_release(job->ing->store, err);
	else
		store_savepoint_rollback(job->ing->store);
	store_message_free(&m);
	/* Already recorded (a re-fetch): it stays where the first went. */
	job->outcome = rc == CM_EREFUSED ? INGEST_DUPLICATE_HELD
					 : INGEST_FAILED;
	return rc == CM_EREFUSED ? 0 : rc;
}

static void
job_log(struct ingest_job *job)
{
	log_info("case=%s msgid=%s %s: %s",
		 job->case_id != 0 ? job->num : "-",
		 job->mm != NULL ? job->mm->message_id : "-",
		 ingest_outcome_name(job->outcome), job->decision->str);
}

static void
job_count(struct ingest *ing, enum ingest_outcome o)
{
	switch (o) {
	case INGEST_STORED: ing->stats.stored++; break;
	case INGEST_DUPLICATE:
	case INGEST_DUPLICATE_HELD: ing->stats.duplicate++; break;
	case INGEST_HELD: ing->stats.held++; break;
	case INGEST_IGNORED: ing->stats.ignored++; break;
	case INGEST_FAILED: ing->stats.failed++; break;
	}
}

static int
ingest_job_run(struct ingest_job *job, enum ingest_outcome *outcome_r,
	       struct cm_error *err)
{
	struct cm_error merr = { 0 };
	int rc = store_savepoint(job->ing->store, err);

	if (rc != 0)
		return rc;
	rc = job_run(job, &merr);
	if (rc == 0) {
		rc = store_savepoint_release(job->ing->store, err);
	} else {
		store_savepoint_rollback(job->ing->store);
		if (ingest_is_infra(rc)) {
			if (err != NULL)
				*err = merr;
		} else {
			job->case_id = 0;
			rc = job_record_failure(job, merr.msg, err);
		}
	}
	if (rc == 0) {
		*outcome_r = job->outcome;
		job_count(job->ing, job->outcome);
		job_log(job);
	}
	return rc;
}

static void
job_init(struct ingest_job *job, struct ingest *ing,
	 struct ingest_parsed *parsed, const struct ingest_source *src,
	 int64_t now)
{
	memset(job, 0, sizeof(*job));
	job->ing = ing;
	job->parsed = parsed;
	job->src = src;
	job->now = now;
	job->decision = g_string_new(NULL);
	if (src != NULL && src->mailbox != NULL)
		g_string_printf(job->decision, "fetched %s uid %lld",
				src->mailbox, (long long)src->uid);
	else if (src != NULL && src->origin != NULL)
		g_string_printf(job->decision, "received %s", src->origin);
	else
		g_string_assign(job->decision, "received from stdin");
}

static void
job_free(struct ingest_job *job)
{
	g_string_free(job->decision, TRUE);
	g_free(job->reason);
}

/* Run parsed through the pipeline; trusted skips who-may-post. */
static int
job_apply(struct ingest *ing, struct ingest_parsed *parsed,
	  const struct ingest_source *src, int64_t now, int trusted,
	  enum ingest_outcome *outcome_r, struct cm_error *err)
{
	struct ingest_job job;
	int rc;

	job_init(&job, ing, parsed, src, now);
	job.trusted = trusted;
	rc = ingest_job_run(&job, outcome_r, err);
	job_free(&job);
	return rc;
}

int
ingest_apply(struct ingest *ing, struct ingest_parsed *parsed,
	     const struct ingest_source *src, int64_t now,
	     enum ingest_outcome *outcome_r, struct cm_error *err)
{
	return job_apply(ing, parsed, src, now, 0, outcome_r, err);
}

int
ingest_message(struct ingest *ing, const char *raw, size_t len,
	       const struct ingest_source *src, int64_t now,
	       enum ingest_outcome *outcome_r, struct cm_error *err)
{
	struct ingest_parsed *parsed = ingest_parse(ing->cfg, raw, len, len);
	int rc = ingest_apply(ing, parsed, src, now, outcome_r, err);

	ingest_parsed_free(&parsed);
	return rc;
}

/* The kept raw copy of m (caller g_free()s), or CM_EREFUSED when m has
 * none or is stored already. */
static int
job_kept_raw(struct ingest *ing, const struct store_message *m,
	     char **raw_r, size_t *len_r, struct cm_error *err)
{
	if (m->state == STORE_MSG_STORED || m->raw_sha256 == NULL)
		return cm_error_set(err, CM_EREFUSED, "message %s %s",
				    m->message_id, m->raw_sha256 == NULL
				    ? "has no raw copy" : "is already stored");
	return store_blob_get_data(ing->store, m->raw_sha256, raw_r, len_r,
				   err);
}

int
ingest_reprocess(struct ingest *ing, int64_t message_row, int trusted,
		 int64_t now, enum ingest_outcome *outcome_r,
		 struct cm_error *err)
{
	struct store_message *m = NULL;
	struct ingest_source src = { 0 };
	struct ingest_parsed *parsed;
	char *raw = NULL;
	size_t len = 0;
	int rc = store_message_get(ing->store, NULL, message_row, &m, err);

	if (rc != 0)
		return rc;
	rc = job_kept_raw(ing, m, &raw, &len, err);
	if (rc == 0)
		rc = store_message_delete(ing->store, m->id, err);
	src.mailbox = m->mailbox;
	src.uidvalidity = m->uidvalidity;
	src.uid = m->uid;
	src.origin = "the kept raw copy";
	if (rc == 0) {
		parsed = ingest_parse(ing->cfg, raw, len, len);
		rc = job_apply(ing, parsed, &src, now, trusted, outcome_r, err);
		ingest_parsed_free(&parsed);
	}
	store_message_free(&m);
	g_free(raw);
	return rc;
}
