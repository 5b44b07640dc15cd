/*
 * ingest_private.h - what the files of the inbound pipeline share.  Not
 * part of the module's contract (that is casemail/ingest.h); nothing
 * outside src/inbound/ingest*.c includes it.
 *
 * The pipeline is one struct ingest_job per message, handed from step to
 * step; the files split it by job:
 *
 *   ingest.c          the pipeline itself: the order of the steps, the
 *                     raw copy, attachments and message row, the failure
 *                     record, job set-up, and the entry points of ingest.h
 *   ingest_parse.c    ingest_parse(): hash, bounded scan, GMime parse and
 *                     visible text, with no store (runs on the poll's
 *                     thread); the CASEMAIL_TEST_CRASH_ON test hook
 *   ingest_thread.c   threading: which case a mail belongs to (our signed
 *                     Message-IDs, subject tags, References, plus
 *                     addresses) and opening a new case
 *   ingest_policy.c   the decisions: unsubscribe requests, noise (own
 *                     mail, bounces, auto-replies), the flood limit, who
 *                     may post, replies to solved cases, holding for
 *                     review, and who becomes a participant
 *   ingest_command.c  what a stored mail causes: an agent's "/template"
 *                     command, notifications, acknowledgements
 *
 * Functions named ingest_job_* are shared between these files; job_*
 * ones stay inside one.  A job lives on the thread that runs
 * ingest_apply() (see ingest.h) and is never shared.
 */
#ifndef CASEMAIL_INGEST_PRIVATE_H
#define CASEMAIL_INGEST_PRIVATE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "casemail/attach.h"
#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/classify.h"
#include "casemail/ingest.h"
#include "casemail/mime.h"
#include "casemail/store.h"
#include "casemail/trust.h"

/* What ingest_parse() works out without the store. */
struct ingest_parsed {
	const char *raw;          /* borrowed */
	size_t len;
	size_t size;              /* the message's; > len: raw is its start */
	char raw_sha[ATTACH_SHA256_HEX];
	struct mime_message *mm;  /* NULL when the parse failed */
	int parse_rc;             /* ... and why */
	char parse_error[CM_ERROR_MSG_MAX];
	char *visible;            /* mm->text without quoted history */
	/* Over a [store] limit (mime_scan()): not parsed, only its header
	 * block when that is within bounds, for the record of it. */
	struct mime_message *head;
};

/* One message on its way through the pipeline. */
struct ingest_job {
	struct ingest *ing;
	struct ingest_parsed *parsed;  /* raw bytes, digest, parse */
	const struct ingest_source *src;
	int64_t now;
	int trusted;              /* an agent released it: skip who-may-post */
	struct mime_message *mm;  /* parsed->mm once the parse is noted */
	int raw_kept;
	GString *decision;
	int64_t case_id;
	char num[CASENUM_BUF_SIZE];
	char *reason;
	enum ingest_outcome outcome;
	int new_case;             /* this mail opened its case */
	int64_t signed_case;      /* the case one of our signed IDs names */
	/*
	 * Accepted only because it references mail the case sent (a signed
	 * Message-ID, or one in sent_ids), from someone not on the case:
	 * adds no participants and runs no mail command.
	 */
	int by_signed_ref;
	/* The escalation's sub-thread (ingest_job_outside()): stored as
	 * internal, adds no participants, runs no command, tells the desk's
	 * own people only. */
	int outside;
	/* ... and verified as from the outside team's own address: the
	 * team may post without who-may-post. */
	int team_proven;
	/* Who the sender is (trust.h): set before any decision is made. */
	struct trust_verdict verdict;
	int judged;               /* verdict was computed */
};

/*
 * Every function below that returns int returns 0 or a CM_E* code with
 * err filled; the pipeline decides from the code whether the message
 * failed (rolled back and recorded) or the store did (batch retried).
 */

/* ---- ingest.c: the job and its record ---------------------------------- */

/* Add " -> " and a step to the decision record. */
void ingest_job_note(struct ingest_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Put the job on case id (also formats job->num). */
void ingest_job_set_case(struct ingest_job *job, int64_t id);

/* A case_ctx for changes made by this mail (the sender is the actor). */
void ingest_job_ctx(struct ingest_job *job, struct case_ctx *ctx);

/* An audit event on the job's case, by the sender. */
int ingest_job_event(struct ingest_job *job, const char *what,
		     const char *new_value, const char *detail,
		     struct cm_error *err);

/*
 * Settle the job as outcome (INGEST_STORED, _HELD or _IGNORED) and write
 * its message row (with attachments if asked); for a stored mail, then
 * queue what it causes (ingest_job_mail_out()).
 */
int ingest_job_store_row(struct ingest_job *job, enum ingest_outcome outcome,
			 int with_attachments, struct cm_error *err);

/* ---- ingest_thread.c: which case ---------------------------------------- */

/* *exists_r: case id exists.  Not finding it is no error. */
int ingest_job_case_exists(struct ingest_job *job, int64_t id, int *exists_r,
			   struct cm_error *err);

/* References, In-Reply-To and a DSN's original Message-ID, oldest first:
 * a new GPtrArray of borrowed strings (caller unrefs). */
GPtrArray *ingest_job_all_refs(struct ingest_job *job);

/* Find the case the mail belongs to (job->case_id stays 0 if none) and
 * note how; sets job->signed_case. */
int ingest_job_thread(struct ingest_job *job, struct cm_error *err);

/* Open a new case from the mail's subject and put the job on it. */
int ingest_job_new_case(struct ingest_job *job, struct cm_error *err);

/* ---- ingest_policy.c: the decisions ------------------------------------- */

/* An unsubscribe request to a plus address: handled and stored as
 * ignored, *done_r set; otherwise nothing happens. */
int ingest_job_unsubscribe(struct ingest_job *job, int *done_r,
			   struct cm_error *err);

/* Own mail, a bounce or an auto-reply: threaded where possible, noted on
 * its case, stored as ignored, nobody notified. */
int ingest_job_noise(struct ingest_job *job, enum classify_kind kind,
		     const char *why, struct cm_error *err);

/* *flood_r: the sender is over [case] max_messages_per_hour. */
int ingest_job_flooding(struct ingest_job *job, int *flood_r,
			struct cm_error *err);

/* *ok_r: the sender may post to job->case_id (sets job->by_signed_ref
 * when only a reference to the case's own mail admits it). */
int ingest_job_may_post(struct ingest_job *job, int *ok_r,
			struct cm_error *err);

/* A mail from an organisation address whose sender is not verified:
 * held for review with the reason (*held_r set), nothing else done. */
int ingest_job_unproven_org(struct ingest_job *job, int *held_r,
			    struct cm_error *err);

/* Store the mail as held for review; takes reason (g_free()d later). */
int ingest_job_hold(struct ingest_job *job, char *reason,
		    struct cm_error *err);

/* [case] reply_to_solved for a reply to a solved case: reopen it, leave
 * it, or clear job->case_id so that a new case is opened. */
int ingest_job_solved_policy(struct ingest_job *job, struct cm_error *err);

/*
 * From, To and Cc become participants of the case, except system
 * addresses; To and Cc add at most [case] max_new_participants people
 * not yet on the case, and a mail accepted by signed reference adds
 * nobody.  Addresses not added are listed in a "not added" event.
 */
int ingest_job_participants(struct ingest_job *job, struct cm_error *err);

/* ---- ingest_command.c: what a stored mail causes ------------------------ */

/* The mail command job's mail carries (the template a "/name" first
 * line of an organisation sender names), or NULL; caller g_free()s. */
char *ingest_job_command_of(struct ingest_job *job);

/* A mail command, notifications and the acknowledgement of a new case,
 * queued for the stored row m (nothing without ing->out). */
int ingest_job_mail_out(struct ingest_job *job, const struct store_message *m,
			struct cm_error *err);

/*
 * Set job->outside when the mail is the escalation's sub-thread, for the
 * desk only: it answers a message stored internal on the job's case (the
 * escalation, the team's reply), whoever sent it, or its verified sender
 * is on the case's outside team (job->team_proven too).  An unverified
 * From of the team answering nothing internal is not the team's.
 */
int ingest_job_outside(struct ingest_job *job, struct cm_error *err);

#endif
