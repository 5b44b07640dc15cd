/*
 * ingest.c - the inbound pipeline (see ingest.h for the order of steps).
 *
 * Every message leaves a one-line decision record (stored with it and
 * logged), so "why is this mail on that case?" always has an answer.
 */
#include "casemail/ingest.h"

#include <stdarg.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/attach.h"
#include "casemail/case.h"
#include "casemail/classify.h"
#include "casemail/log.h"
#include "casemail/mime.h"
#include "casemail/msgid.h"
#include "casemail/outbound.h"
#include "casemail/template.h"
#include "casemail/quote.h"
#include "casemail/thread.h"

/* Local parts of system addresses that never become participants. */
static const char *const ingest_system_locals[] = {
	"noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon",
	"postmaster", NULL,
};

/* What ingest_parse() works out without the store. */
struct ingest_parsed {
	const char *raw;          /* borrowed */
	size_t len;
	char raw_sha[ATTACH_SHA256_HEX];
	struct mime_message *mm;  /* NULL when the parse failed */
	int parse_rc;             /* ... and why */
	char parse_error[CM_ERROR_MSG_MAX];
	char *visible;            /* mm->text without quoted history */
};

struct ingest_job {
	struct ingest *ing;
	struct ingest_parsed *parsed;  /* raw bytes, digest, parse */
	const struct ingest_source *src;
	int64_t now;
	int trusted;              /* an agent released it: skip who-may-post */
	struct mime_message *mm;  /* parsed->mm once the parse is noted */
	int raw_kept;
	int too_big;
	GString *decision;
	int64_t case_id;
	char num[CASENUM_BUF_SIZE];
	const char *state;        /* stored | held | ignored | failed */
	char *reason;
	enum ingest_outcome outcome;
	int new_case;             /* this mail opened its case */
	int64_t signed_case;      /* the case one of our signed IDs names */
};

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

int
ingest_outcome_for_review(enum ingest_outcome o)
{
	return o == INGEST_HELD || o == INGEST_FAILED ||
	       o == INGEST_DUPLICATE_HELD;
}

static void
job_note(struct ingest_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
job_note(struct ingest_job *job, const char *fmt, ...)
{
	va_list ap;

	g_string_append(job->decision, " -> ");
	va_start(ap, fmt);
	g_string_append_vprintf(job->decision, fmt, ap);
	va_end(ap);
}

static void
job_set_case(struct ingest_job *job, int64_t id)
{
	job->case_id = id;
	case_format_number(job->ing->cfg, id, job->num, sizeof(job->num));
}

static void
job_ctx(struct ingest_job *job, struct case_ctx *ctx)
{
	ctx->store = job->ing->store;
	ctx->cfg = job->ing->cfg;
	ctx->actor = job->mm != NULL && job->mm->from.address != NULL
			     ? job->mm->from.address : "casemaild";
	ctx->now = job->now;
}

static int
job_case_exists(struct ingest_job *job, int64_t id, int *exists_r,
		struct cm_error *err)
{
	int solved;
	/* One indexed row, not the whole case with its roles: this runs
	 * for every subject tag and reference of every mail. */
	int rc = store_case_is_solved(job->ing->store, id, &solved, err);

	*exists_r = rc == 0;
	return rc == CM_ENOTFOUND ? 0 : rc;
}

/* ---- keeping the raw message and the attachments ----------------------- */

static int
job_keep_raw(struct ingest_job *job, struct cm_error *err)
{
	const struct config *cfg = job->ing->cfg;
	const struct ingest_parsed *p = job->parsed;
	int rc;

	if (p->len > (size_t)cfg->store_max_message_bytes) {
		job->too_big = 1;
		return 0;
	}
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
	if (job->too_big)
		a->skipped = g_strdup("message over max_message_bytes");
	else if (size > (gsize)cfg->store_max_attachment_bytes)
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

static char *
job_refs_text(GPtrArray *refs)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < refs->len; i++) {
		if (i > 0)
			g_string_append_c(s, ' ');
		g_string_append(s, refs->pdata[i]);
	}
	return g_string_free(s, s->len == 0);
}

static struct store_message *
job_message_row(struct ingest_job *job)
{
	struct store_message *m = store_message_new();
	const struct mime_message *mm = job->mm;

	m->case_id = job->case_id;
	m->message_id = g_strdup(mm->message_id);
	m->direction = g_strdup("in");
	m->state = g_strdup(job->state);
	m->reason = g_strdup(job->reason);
	m->from.name = g_strdup(mm->from.name);
	m->from.address = g_strdup(mm->from.address);
	job_copy_addrs(m->to, mm->to);
	job_copy_addrs(m->cc, mm->cc);
	m->subject = g_strdup(mm->subject);
	m->date = mm->date;
	m->received_at = job->now;
	m->in_reply_to = g_strdup(mm->in_reply_to);
	m->references = job_refs_text(mm->references);
	m->body = g_strdup(job->parsed->visible);
	m->body_full = g_strdup(mm->text);
	m->raw_sha256 = job->raw_kept ? g_strdup(job->parsed->raw_sha) : NULL;
	m->decision = g_strdup(job->decision->str);
	m->size = (int64_t)job->parsed->len;
	if (job->src != NULL && job->src->mailbox != NULL) {
		m->mailbox = g_strdup(job->src->mailbox);
		m->uidvalidity = job->src->uidvalidity;
		m->uid = job->src->uid;
	}
	return m;
}

/* ---- what a stored mail causes: notifications, acks, commands ------- */

/*
 * "/escalation" (any template name) as the first body line of a mail
 * from our own organisation, then "key: value" lines: the fields.
 * Returns the template name (g_free) and fills fields, or NULL.
 */
static char *
job_command(struct ingest_job *job, GHashTable *fields)
{
	const char *text = job->mm->text, *nl;
	char *name, **lines;

	if (text == NULL || job->ing->out == NULL ||
	    !config_is_org_address(job->ing->cfg, job->mm->from.address))
		return NULL;
	while (*text == ' ' || *text == '\n' || *text == '\t')
		text++;
	if (*text != '/')
		return NULL;
	nl = strchr(text, '\n');
	name = g_strstrip(g_strndup(text + 1, nl != NULL ? (gsize)(nl - text - 1)
							  : strlen(text + 1)));
	if (name[0] == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
				      != strlen(name) ||
	    template_find(job->ing->out->templates, name) == NULL) {
		g_free(name);
		return NULL;
	}
	lines = g_strsplit(nl != NULL ? nl + 1 : "", "\n", 200);
	for (char **l = lines; *l != NULL; l++) {
		char *colon = strchr(*l, ':');

		/* The fields end at the first line of any other form. */
		if (colon == NULL || colon == *l)
			break;
		*colon = '\0';
		g_hash_table_replace(fields, g_ascii_strdown(g_strstrip(*l), -1),
				     g_strdup(g_strstrip(colon + 1)));
	}
	g_strfreev(lines);
	return name;
}

static int
job_run_command(struct ingest_job *job, const char *name, GHashTable *fields,
		struct cm_error *err)
{
	struct outbound_reply r = { 0 };
	struct cm_error cerr = { 0 };
	int rc;

	r.template_name = name;
	r.fields = fields;
	r.actor = job->mm->from.address;
	r.actor_name = job->mm->from.name;
	rc = outbound_reply(job->ing->out, job->case_id, &r, job->now, NULL,
			    &cerr);
	if (rc == CM_EUSAGE) {
		/* The agent's mistake (say, a field missing): on the case,
		 * for them to see, not a failed message. */
		struct case_ctx ctx;

		job_ctx(job, &ctx);
		job_note(job, "command /%s refused: %s", name, cerr.msg);
		return case_event_add(&ctx, job->case_id, "command refused", NULL,
				      name, cerr.msg, err);
	}
	if (rc != 0 && err != NULL)
		*err = cerr;
	if (rc == 0)
		job_note(job, "command /%s sent", name);
	return rc;
}

static int
job_mail_out(struct ingest_job *job, const struct store_message *m,
	     struct cm_error *err)
{
	struct outbound *out = job->ing->out;
	GHashTable *fields;
	char *command;
	int queued, rc = 0;

	if (out == NULL || job->case_id == 0)
		return 0;
	queued = out->queued;
	fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	command = job_command(job, fields);
	if (command != NULL)
		rc = job_run_command(job, command, fields, err);
	/* An agent's command mail carries what the template needs (a
	 * caller's phone, say): the desk may see it, the customer not. */
	if (rc == 0 && command != NULL)
		rc = outbound_notify_desk(out, job->case_id, m, job->now, err);
	else if (rc == 0)
		rc = outbound_notify(out, job->case_id, m, job->now, err);
	if (rc == 0 && job->new_case)
		rc = outbound_acknowledge(out, job->case_id, m, job->now, err);
	if (rc == 0 && out->queued > queued)
		job_note(job, "%d mails queued", out->queued - queued);
	g_hash_table_unref(fields);
	g_free(command);
	return rc;
}

static int
job_store_row(struct ingest_job *job, int with_attachments,
	      struct cm_error *err)
{
	struct store_message *m;
	int rc = 0;

	job_note(job, "%s", job->state);
	m = job_message_row(job);
	if (with_attachments)
		rc = job_attachments(job, m, err);
	if (rc == 0)
		rc = store_message_insert(job->ing->store, m, NULL, err);
	if (rc == 0 && job->outcome == INGEST_STORED)
		rc = job_mail_out(job, m, err);
	store_message_free(&m);
	return rc;
}

/* ---- participants, events --------------------------------------------- */

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

	job_ctx(job, &ctx);
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

static int
job_participants(struct ingest_job *job, struct cm_error *err)
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

static int
job_event(struct ingest_job *job, const char *what, const char *new_value,
	  const char *detail, struct cm_error *err)
{
	struct case_ctx ctx;

	job_ctx(job, &ctx);
	return store_event_add(job->ing->store, job->case_id, job->now,
			       ctx.actor, what, NULL, new_value, detail, err);
}

static int
job_skipped_events(struct ingest_job *job, struct cm_error *err)
{
	char *detail;
	int rc = 0;

	if (job->too_big) {
		detail = g_strdup_printf("message of %zu bytes is over "
					 "max_message_bytes: raw copy and "
					 "attachments not stored",
					 job->parsed->len);
		rc = job_event(job, "skipped", NULL, detail, err);
		g_free(detail);
		return rc;
	}
	for (guint i = 0; rc == 0 && i < job->mm->parts->len; i++) {
		const struct mime_part *p = job->mm->parts->pdata[i];

		if (g_bytes_get_size(p->data) <=
		    (gsize)job->ing->cfg->store_max_attachment_bytes)
			continue;
		detail = g_strdup_printf("attachment %s (%zu bytes) is over "
					 "max_attachment_bytes: not stored",
					 p->filename != NULL ? p->filename : "(no name)",
					 g_bytes_get_size(p->data));
		rc = job_event(job, "skipped", NULL, detail, err);
		g_free(detail);
	}
	return rc;
}

/* ---- threading ---------------------------------------------------------- */

static GPtrArray *
job_all_refs(struct ingest_job *job)
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
		rc = job_case_exists(job, g_array_index(ids, int64_t, i),
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
	rc = job_case_exists(job, id, &exists, err);
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
	refs = job_all_refs(job);
	for (guint i = refs->len; i > 0 && id == 0; i--)
		if (!msgid_verify(key, msgid_domain(job->ing->cfg),
				  refs->pdata[i - 1], &id))
			id = 0;
	g_ptr_array_unref(refs);
	if (id != 0 && (rc = job_case_exists(job, id, &exists, err)) == 0 &&
	    exists)
		job->signed_case = id;
	return rc;
}

static int
job_thread(struct ingest_job *job, struct cm_error *err)
{
	GPtrArray *refs = job_all_refs(job);
	int64_t by_tag = 0, by_refs = 0, by_plus = 0;
	char other[CASENUM_BUF_SIZE];
	int rc;

	rc = job_case_by_subject(job, &by_tag, err);
	if (rc == 0)
		rc = store_case_of_message_ids(job->ing->store, refs, &by_refs, err);
	if (rc == 0)
		rc = job_case_by_plus(job, &by_plus, err);
	g_ptr_array_unref(refs);
	if (rc != 0)
		return rc;
	if (rc == 0)
		rc = job_case_by_signature(job, err);
	if (rc != 0)
		return rc;
	if (job->signed_case != 0) {
		job_set_case(job, job->signed_case);
		job_note(job, "threaded by our signed Message-ID to %s", job->num);
		if (by_tag != 0 && by_tag != job->signed_case) {
			case_format_number(job->ing->cfg, by_tag, other, sizeof(other));
			job_note(job, "subject tag %s ignored: the signed "
				 "reference wins", other);
		}
	} else if (by_tag != 0) {
		job_set_case(job, by_tag);
		job_note(job, "threaded by subject tag %s", job->num);
		if (by_refs != 0 && by_refs != by_tag) {
			case_format_number(job->ing->cfg, by_refs, other, sizeof(other));
			job_note(job, "references point to %s: the tag wins "
				 "(references not signed by us)", other);
		}
	} else if (by_refs != 0) {
		job_set_case(job, by_refs);
		job_note(job, "threaded by References/In-Reply-To to %s", job->num);
	} else if (by_plus != 0) {
		job_set_case(job, by_plus);
		job_note(job, "threaded by plus address to %s", job->num);
	}
	return 0;
}

/* ---- policy: who may post, solved cases, floods ------------------------ */

static int
job_may_post(struct ingest_job *job, int *ok_r, struct cm_error *err)
{
	GPtrArray *refs = job_all_refs(job);
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

static int
job_flooding(struct ingest_job *job, int *flood_r, struct cm_error *err)
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

static int
job_hold(struct ingest_job *job, char *reason, struct cm_error *err)
{
	job->state = "held";
	job->reason = reason;
	job->outcome = INGEST_HELD;
	job_note(job, "held: %s", reason);
	return job_store_row(job, 0, err);
}

/* A reply to a Solved case: [case] reply_to_solved. */
static int
job_solved_policy(struct ingest_job *job, struct cm_error *err)
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
		job_note(job, "%s is solved: a new case (reply_to_solved = new)",
			 job->num);
		job->case_id = 0;
		return 0;
	}
	if (policy == CONFIG_REPLY_SOLVED_NOTE) {
		job_note(job, "%s stays solved (reply_to_solved = note)", job->num);
		return 0;
	}
	job_ctx(job, &ctx);
	job_note(job, "reopened %s", job->num);
	return case_reopen(&ctx, job->case_id, err);
}

static int
job_new_case(struct ingest_job *job, struct cm_error *err)
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
	job_ctx(job, &ctx);
	rc = case_create(&ctx, &f, &id, err);
	g_free(subject);
	if (rc != 0)
		return rc;
	job_set_case(job, id);
	job->new_case = 1;
	job_note(job, "new case %s", job->num);
	return 0;
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
			rc = job_event(job, "bounce", who, detail, err);
		g_free(detail);
	}
	if (rc == 0 && job->case_id != 0 && job->mm->dsn_recipients->len == 0)
		rc = job_event(job, "bounce", NULL, job->mm->subject, err);
	return rc;
}

static int
job_noise(struct ingest_job *job, enum classify_kind kind, const char *why,
	  struct cm_error *err)
{
	int rc = 0;

	job->state = "ignored";
	job->outcome = INGEST_IGNORED;
	job->reason = g_strdup_printf("%s: %s", classify_name(kind), why);
	job_note(job, "%s (%s)", classify_name(kind), why);
	if (kind != CLASSIFY_OWN)
		rc = job_thread(job, err);
	if (rc == 0 && kind == CLASSIFY_BOUNCE)
		rc = job_bounce(job, err);
	else if (rc == 0 && kind == CLASSIFY_AUTOREPLY && job->case_id != 0)
		rc = job_event(job, "auto-reply", job->mm->from.address,
			       job->mm->subject, err);
	if (rc == 0)
		rc = job_store_row(job, 0, err);
	return rc;
}

/* ---- the pipeline ------------------------------------------------------- */

static int
job_accept(struct ingest_job *job, struct cm_error *err)
{
	int rc = 0, ok = 1;

	if (job->case_id != 0)
		rc = job_may_post(job, &ok, err);
	if (rc == 0 && !ok)
		return job_hold(job, g_strdup_printf("sender %s is not on case "
				"%s", job->mm->from.address != NULL
				? job->mm->from.address : "(none)", job->num), err);
	if (rc == 0 && job->case_id != 0)
		rc = job_solved_policy(job, err);
	if (rc == 0 && job->case_id == 0)
		rc = job_new_case(job, err);
	if (rc == 0)
		rc = job_participants(job, err);
	if (rc == 0)
		rc = job_event(job, "mail", job->mm->from.address,
			       job->mm->subject, err);
	if (rc == 0)
		rc = job_skipped_events(job, err);
	job->state = "stored";
	job->outcome = INGEST_STORED;
	if (rc == 0)
		rc = job_store_row(job, 1, err);
	return rc;
}

/* The case an "unsubscribe-CV000123" plus address names, or 0. */
static int64_t
job_unsubscribe_case(struct ingest_job *job, GPtrArray *addrs)
{
	const struct config *cfg = job->ing->cfg;

	for (guint i = 0; i < addrs->len; i++) {
		const struct mime_address *a = addrs->pdata[i];
		const char *plus = strchr(a->address, '+');
		const char *at = strrchr(a->address, '@');
		char tok[CASENUM_BUF_SIZE];
		int64_t id;

		if (plus == NULL || at == NULL || at < plus ||
		    !thread_is_case_address(cfg, a->address) ||
		    g_ascii_strncasecmp(plus + 1, "unsubscribe-", 12) != 0)
			continue;
		plus += 12;
		if (at - plus - 1 <= 0 || (size_t)(at - plus) >= sizeof(tok))
			continue;
		memcpy(tok, plus + 1, (size_t)(at - plus - 1));
		tok[at - plus - 1] = '\0';
		if (casenum_parse(cfg->case_prefix, tok, &id, NULL) == 0)
			return id;
	}
	return 0;
}

/* List-Unsubscribe: stop this person's notifications for that case only. */
static int
job_unsubscribe(struct ingest_job *job, int *done_r, struct cm_error *err)
{
	int64_t id = job_unsubscribe_case(job, job->mm->to);
	struct case_ctx ctx;
	int exists = 0, changed = 0, rc;

	*done_r = 0;
	if (id == 0)
		id = job_unsubscribe_case(job, job->mm->cc);
	if (id == 0 || (rc = job_case_exists(job, id, &exists, err)) != 0 ||
	    !exists)
		return id == 0 || exists ? 0 : rc;
	job_set_case(job, id);
	rc = store_participant_subscribe(job->ing->store, id,
					 job->mm->from.address, 0, &changed, err);
	job_ctx(job, &ctx);
	if (rc == 0 && changed)
		rc = case_event_add(&ctx, id, "unsubscribed",
				    job->mm->from.address, NULL, NULL, err);
	/* Confirmed once: a second request changes nothing and says nothing. */
	if (rc == 0 && changed && job->ing->out != NULL)
		rc = outbound_confirm_unsubscribe(job->ing->out, id,
						  job->mm->from.address,
						  job->now, err);
	job_note(job, "unsubscribe from %s%s", job->num,
		 changed ? "" : " (already)");
	job->state = "ignored";
	job->outcome = INGEST_IGNORED;
	*done_r = 1;
	if (rc == 0)
		rc = job_store_row(job, 0, err);
	return rc;
}

static int
job_run(struct ingest_job *job, struct cm_error *err)
{
	struct store_message *dup = NULL;
	enum classify_kind kind;
	const char *why = NULL;
	int rc, flood, done = 0;

	if ((rc = job_keep_raw(job, err)) != 0)
		return rc;
	if (job->parsed->mm == NULL)
		return cm_error_set(err, job->parsed->parse_rc, "%s",
				    job->parsed->parse_error);
	job->mm = job->parsed->mm;
	job_note(job, "parsed %s", job->mm->message_id);
	rc = store_message_get(job->ing->store, job->mm->message_id, 0, &dup,
			       NULL);
	if (rc == 0) {
		/* A re-fetch after a crash goes where the first run sent it. */
		job->outcome = strcmp(dup->state, "held") == 0 ||
			       strcmp(dup->state, "failed") == 0
				       ? INGEST_DUPLICATE_HELD : INGEST_DUPLICATE;
		job_note(job, "duplicate: already %s", dup->state);
		store_message_free(&dup);
		return 0;
	}
	/* Without a sender there is nobody to thread, answer or trust. */
	if (job->mm->from.address == NULL)
		return cm_error_set(err, CM_EINPUT, "no sender address (From)");
	if ((rc = job_unsubscribe(job, &done, err)) != 0 || done)
		return rc;
	kind = classify_message(job->mm, job->ing->cfg, &why);
	if (kind != CLASSIFY_PERSON)
		return job_noise(job, kind, why, err);
	if ((rc = job_flooding(job, &flood, err)) != 0)
		return rc;
	if (flood)
		return job_hold(job, g_strdup_printf("sender sent over %d "
				"messages in the last hour",
				job->ing->cfg->case_max_messages_per_hour), err);
	if ((rc = job_thread(job, err)) != 0)
		return rc;
	return job_accept(job, err);
}

/* Infrastructure trouble: the batch must be retried, not the message held. */
static int
ingest_is_infra(int rc)
{
	return rc == CM_ETEMP || rc == CM_ESTORE;
}

/* Record a message we could not handle, with its raw copy and the reason. */
static int
job_record_failure(struct ingest_job *job, const char *why,
		   struct cm_error *err)
{
	struct store_message *m = store_message_new();
	int rc;

	if (job->mm != NULL) {
		m->message_id = g_strdup(job->mm->message_id);
		m->subject = g_strdup(job->mm->subject);
		m->from.address = g_strdup(job->mm->from.address);
		m->from.name = g_strdup(job->mm->from.name);
	} else {
		m->message_id = g_strdup_printf("<sha256.%.40s@casemail.invalid>",
						job->parsed->raw_sha);
	}
	m->direction = g_strdup("in");
	m->state = g_strdup("failed");
	m->reason = g_strdup(why);
	m->received_at = job->now;
	m->raw_sha256 = job->raw_kept ? g_strdup(job->parsed->raw_sha) : NULL;
	job_note(job, "failed: %s", why);
	m->decision = g_strdup(job->decision->str);
	m->size = (int64_t)job->parsed->len;
	rc = store_savepoint(job->ing->store, err);
	/* The message's own savepoint was rolled back, raw copy and all:
	 * keep it again, or the record would point at nothing. */
	if (rc == 0 && job->raw_kept)
		rc = store_blob_put_data(job->ing->store, job->parsed->raw_sha,
					 job->parsed->raw, job->parsed->len, err);
	if (rc == 0)
		rc = store_message_insert(job->ing->store, m, NULL, err);
	if (rc == 0)
		rc = store_savepoint_release(job->ing->store, err);
	else
		store_savepoint_rollback(job->ing->store);
	store_message_free(&m);
	/* Already recorded (a re-fetch): it stays where the first went. */
	job->outcome = rc == CM_EREFUSED ? INGEST_DUPLICATE_HELD : INGEST_FAILED;
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
		g_string_printf(job->decision, "fetched %s uid %lld", src->mailbox,
				(long long)src->uid);
	else
		g_string_printf(job->decision, "received %s",
				src != NULL && src->origin != NULL ? src->origin
								   : "from stdin");
}

static void
job_free(struct ingest_job *job)
{
	g_string_free(job->decision, TRUE);
	g_free(job->reason);
}

struct ingest_parsed *
ingest_parse(const char *raw, size_t len)
{
	struct ingest_parsed *p = g_new0(struct ingest_parsed, 1);
	struct cm_error err = { 0 };

	p->raw = raw;
	p->len = len;
	attach_sha256_hex(raw, len, p->raw_sha);
	p->parse_rc = mime_parse(raw, len, &p->mm, &err);
	if (p->parse_rc != 0)
		g_strlcpy(p->parse_error, err.msg, sizeof(p->parse_error));
	else
		p->visible = quote_visible(p->mm->text);
	return p;
}

void
ingest_parsed_free(struct ingest_parsed **pp)
{
	struct ingest_parsed *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	mime_message_free(&p->mm);
	g_free(p->visible);
	g_free(p);
	*pp = NULL;
}

int
ingest_apply(struct ingest *ing, struct ingest_parsed *parsed,
	     const struct ingest_source *src, int64_t now,
	     enum ingest_outcome *outcome_r, struct cm_error *err)
{
	struct ingest_job job;
	int rc;

	job_init(&job, ing, parsed, src, now);
	rc = ingest_job_run(&job, outcome_r, err);
	job_free(&job);
	return rc;
}

int
ingest_message(struct ingest *ing, const char *raw, size_t len,
	       const struct ingest_source *src, int64_t now,
	       enum ingest_outcome *outcome_r, struct cm_error *err)
{
	struct ingest_parsed *parsed = ingest_parse(raw, len);
	int rc = ingest_apply(ing, parsed, src, now, outcome_r, err);

	ingest_parsed_free(&parsed);
	return rc;
}

int
ingest_reprocess(struct ingest *ing, int64_t message_row, int trusted,
		 int64_t now, enum ingest_outcome *outcome_r,
		 struct cm_error *err)
{
	struct store_message *m = NULL;
	struct ingest_source src = { 0 };
	struct ingest_job job;
	char *raw = NULL;
	size_t len = 0;
	int rc;

	if ((rc = store_message_get(ing->store, NULL, message_row, &m, err)) != 0)
		return rc;
	if (strcmp(m->state, "stored") == 0 || m->raw_sha256 == NULL) {
		rc = cm_error_set(err, CM_EREFUSED, "message %s %s", m->message_id,
				  m->raw_sha256 == NULL ? "has no raw copy"
							: "is already stored");
		store_message_free(&m);
		return rc;
	}
	rc = store_blob_get_data(ing->store, m->raw_sha256, &raw, &len, err);
	if (rc == 0)
		rc = store_message_delete(ing->store, m->id, err);
	src.mailbox = m->mailbox;
	src.uidvalidity = m->uidvalidity;
	src.uid = m->uid;
	src.origin = "the kept raw copy";
	if (rc == 0) {
		struct ingest_parsed *parsed = ingest_parse(raw, len);

		job_init(&job, ing, parsed, &src, now);
		job.trusted = trusted;
		rc = ingest_job_run(&job, outcome_r, err);
		job_free(&job);
		ingest_parsed_free(&parsed);
	}
	store_message_free(&m);
	g_free(raw);
	return rc;
}
