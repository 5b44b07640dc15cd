/*
 * ingest_thread.c - threading: the store lookups that find the case a
 * mail belongs to, on top of the pure parts in thread.c, and opening a
 * new case when none is found.
 *
 * Order of trust: a reference that is one of our signed Message-IDs,
 * then a case tag in the subject, then References/In-Reply-To found among
 * stored or sent mail, then a plus address.
 */
#include <string.h>

#include "casemail/case.h"
#include "casemail/case_merge.h"
#include "casemail/msgid.h"
#include "casemail/outbound.h"
#include "casemail/thread.h"

#include "ingest_private.h"

int
ingest_job_case_exists(struct ingest_job *job, int64_t id, int *exists_r,
		       struct cm_error *err)
{
	int solved;
	/* One indexed row, not the whole case with its roles: this runs
	 * for every subject tag and reference of every mail. */
	int rc = store_case_is_solved(job->ing->store, id, &solved, err);

	*exists_r = rc == 0;
	return rc == CM_ENOTFOUND ? 0 : rc;
}

GPtrArray *
ingest_job_all_refs(struct ingest_job *job)
{
	GPtrArray *refs = g_ptr_array_new();

	for (guint i = 0; i < job->mm->references->len; i++)
		g_ptr_array_add(refs, job->mm->references->pdata[i]);
	if (job->mm->in_reply_to != NULL)
		g_ptr_array_add(refs, job->mm->in_reply_to);
	if (job->mm->dsn_original_id != NULL)
		g_ptr_array_add(refs, job->mm->dsn_original_id);
	return refs;
}

static int
job_case_by_subject(struct ingest_job *job, int64_t *id_r,
		    struct cm_error *err)
{
	GArray *ids = thread_subject_cases(job->ing->cfg, job->mm->subject);
	int rc = 0, exists = 0;

	*id_r = 0;
	/* A number that names no case is ignored: try the next one. */
	for (guint i = 0; rc == 0 && i < ids->len && !exists; i++) {
		rc = ingest_job_case_exists(job,
					    g_array_index(ids, int64_t, i),
					    &exists, err);
		if (exists)
			*id_r = g_array_index(ids, int64_t, i);
	}
	g_array_unref(ids);
	return rc;
}

static int
job_case_by_plus(struct ingest_job *job, int64_t *id_r, struct cm_error *err)
{
	int64_t id = thread_plus_case(job->ing->cfg, job->mm->to);
	int exists = 0, rc;

	if (id == 0)
		id = thread_plus_case(job->ing->cfg, job->mm->cc);
	*id_r = 0;
	if (id == 0)
		return 0;
	rc = ingest_job_case_exists(job, id, &exists, err);
	if (exists)
		*id_r = id;
	return rc;
}

/* A reference that is one of our signed Message-IDs names its case. */
static int
job_case_by_signature(struct ingest_job *job, struct cm_error *err)
{
	GPtrArray *refs;
	const char *key;
	int64_t id = 0;
	int exists = 0, rc;

	job->signed_case = 0;
	if (job->ing->out == NULL)
		return 0;
	if ((rc = outbound_key(job->ing->out, &key, err)) != 0)
		return rc;
	refs = ingest_job_all_refs(job);
	for (guint i = refs->len; i > 0 && id == 0; i--)
		if (!msgid_verify(key, msgid_domain(job->ing->cfg),
				  refs->pdata[i - 1], &id))
			id = 0;
	g_ptr_array_unref(refs);
	if (id != 0 &&
	    (rc = ingest_job_case_exists(job, id, &exists, err)) == 0 &&
	    exists)
		job->signed_case = id;
	return rc;
}

/* The cases the subject tag, the references and a plus address name. */
static int
job_thread_lookup(struct ingest_job *job, int64_t *by_tag_r,
		  int64_t *by_refs_r, int64_t *by_plus_r, struct cm_error *err)
{
	GPtrArray *refs = ingest_job_all_refs(job);
	int rc;

	rc = job_case_by_subject(job, by_tag_r, err);
	if (rc == 0)
		rc = store_case_of_message_ids(job->ing->store, refs, by_refs_r,
					       err);
	if (rc == 0)
		rc = job_case_by_plus(job, by_plus_r, err);
	g_ptr_array_unref(refs);
	return rc;
}

/* A merged case is a pointer: mail for it goes to the case it went
 * into (following the chain), and the decision record says so. */
static int
job_follow_merge(struct ingest_job *job, int64_t *id, struct cm_error *err)
{
	char from[CASENUM_BUF_SIZE], to[CASENUM_BUF_SIZE];
	int64_t final = 0;
	int rc;

	if (*id == 0)
		return 0;
	if ((rc = store_case_resolve(job->ing->store, *id, &final, err)) != 0)
		return rc;
	if (final != *id) {
		case_format_number(job->ing->cfg, *id, from, sizeof(from));
		case_format_number(job->ing->cfg, final, to, sizeof(to));
		ingest_job_note(job, "%s was merged into %s", from, to);
		*id = final;
	}
	return 0;
}

int
ingest_job_thread(struct ingest_job *job, struct cm_error *err)
{
	int64_t by_tag = 0, by_refs = 0, by_plus = 0;
	char other[CASENUM_BUF_SIZE];
	int rc;

	rc = job_thread_lookup(job, &by_tag, &by_refs, &by_plus, err);
	if (rc == 0)
		rc = job_case_by_signature(job, err);
	if (rc == 0)
		rc = job_follow_merge(job, &job->signed_case, err);
	if (rc == 0)
		rc = job_follow_merge(job, &by_tag, err);
	if (rc == 0)
		rc = job_follow_merge(job, &by_refs, err);
	if (rc == 0)
		rc = job_follow_merge(job, &by_plus, err);
	if (rc != 0)
		return rc;
	if (job->signed_case != 0) {
		ingest_job_set_case(job, job->signed_case);
		ingest_job_note(job, "threaded by our signed Message-ID to %s",
				job->num);
		if (by_tag != 0 && by_tag != job->signed_case) {
			case_format_number(job->ing->cfg, by_tag, other,
					   sizeof(other));
			ingest_job_note(job, "subject tag %s ignored: the "
					"signed reference wins", other);
		}
	} else if (by_tag != 0) {
		ingest_job_set_case(job, by_tag);
		ingest_job_note(job, "threaded by subject tag %s", job->num);
		if (by_refs != 0 && by_refs != by_tag) {
			case_format_number(job->ing->cfg, by_refs, other,
					   sizeof(other));
			ingest_job_note(job, "references point to %s: the tag "
					"wins (references not signed by us)",
					other);
		}
	} else if (by_refs != 0) {
		ingest_job_set_case(job, by_refs);
		ingest_job_note(job, "threaded by References/In-Reply-To to %s",
				job->num);
	} else if (by_plus != 0) {
		ingest_job_set_case(job, by_plus);
		ingest_job_note(job, "threaded by plus address to %s",
				job->num);
	}
	return 0;
}

/* A new conversation about the shipment of an Active case: noted on
 * both (not merged: an agent decides). */
static int
job_quoted_refs(struct ingest_job *job, const struct case_ctx *ctx,
		struct cm_error *err)
{
	int n = 0;
	int rc = case_note_quoted_refs(ctx, job->case_id, job->mm->subject,
				       job->mm->text, &n, err);

	if (rc == 0 && n > 0)
		ingest_job_note(job, "quotes the shipment reference of %d "
				"Active case%s (noted on both)", n,
				n == 1 ? "" : "s");
	return rc;
}

int
ingest_job_new_case(struct ingest_job *job, struct cm_error *err)
{
	char *subject = thread_clean_subject(job->ing->cfg, job->mm->subject);
	struct case_fields f = { 0 };
	struct case_ctx ctx;
	int64_t id = 0;
	int rc;

	/* Keep subjects within the model's limit, on a character boundary. */
	if (strlen(subject) > CASE_SUBJECT_MAX) {
		const char *end = g_utf8_find_prev_char(subject,
							subject + CASE_SUBJECT_MAX);

		subject[end != NULL ? end - subject : 0] = '\0';
	}
	f.subject = subject;
	f.source = "email";
	ingest_job_ctx(job, &ctx);
	rc = case_create(&ctx, &f, &id, err);
	g_free(subject);
	if (rc != 0)
		return rc;
	ingest_job_set_case(job, id);
	job->new_case = 1;
	ingest_job_note(job, "new case %s", job->num);
	return job_quoted_refs(job, &ctx, err);
}
