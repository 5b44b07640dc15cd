/*
 * ingest_command.c - what a stored mail causes: an agent's mail command
 * ("/escalation" as the first body line, then "key: value" fields),
 * notifications and the acknowledgement of a new case.
 */
#include <string.h>

#include "casemail/addr.h"
#include "casemail/case.h"
#include "casemail/outbound.h"
#include "casemail/template.h"

#include "ingest_private.h"

/* Characters of a command name: those of template file names. */
#define INGEST_COMMAND_CHARS "abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
/* Body lines split off for the fields at most (the rest stays in the
 * last one): a command mail is short, a hostile body need not be. */
#define INGEST_COMMAND_MAX_LINES 200

/*
 * The template name of a "/name" first line (text starts at the '/';
 * nl ends the line or is NULL), or NULL when it names no template.
 * Caller g_free()s.
 */
static char *
job_command_name(struct ingest_job *job, const char *text, const char *nl)
{
	gsize n = nl != NULL ? (gsize)(nl - text - 1) : strlen(text + 1);
	char *name = g_strstrip(g_strndup(text + 1, n));

	if (name[0] == '\0' ||
	    strspn(name, INGEST_COMMAND_CHARS) != strlen(name) ||
	    template_find(job->ing->out->templates, name) == NULL) {
		g_free(name);
		return NULL;
	}
	return name;
}

/* "key: value" lines of body into fields (keys lower-cased). */
static void
job_command_fields(const char *body, GHashTable *fields)
{
	char **lines = g_strsplit(body, "\n", INGEST_COMMAND_MAX_LINES);

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
}

/*
 * "/escalation" (any template name) as the first body line of a mail
 * from our own organisation, then "key: value" lines: the fields.  It
 * runs only when the sender is verified (ingest_job_mail_out()).
 * Returns the template name (g_free) and fills fields, or NULL.
 */
static char *
job_command(struct ingest_job *job, GHashTable *fields)
{
	const char *text = job->mm->text, *nl;
	char *name;

	if (text == NULL || job->ing->out == NULL || job->outside ||
	    !config_is_org_address(job->ing->cfg, job->mm->from.address))
		return NULL;
	while (*text == ' ' || *text == '\n' || *text == '\t')
		text++;
	if (*text != '/')
		return NULL;
	nl = strchr(text, '\n');
	name = job_command_name(job, text, nl);
	/* A copy of our mail lets its holder reply, never act. */
	if (name != NULL && job->by_signed_ref) {
		ingest_job_note(job, "command /%s not run: a reply by "
				"reference", name);
		g_free(name);
		return NULL;
	}
	if (name != NULL)
		job_command_fields(nl != NULL ? nl + 1 : "", fields);
	return name;
}

int
ingest_job_outside(struct ingest_job *job, struct cm_error *err)
{
	GPtrArray *refs = ingest_job_all_refs(job);
	int64_t answered = 0;
	char *addr = NULL;
	int team = 0, rc;

	job->outside = job->team_proven = 0;
	/* An answer to an internal message is the escalation's sub-thread,
	 * whoever wrote it: a colleague of the team, its ticket system, an
	 * in-house tier 2.  Only the desk's own people may read it. */
	rc = store_case_of_internal_ids(job->ing->store, refs, &answered, err);
	g_ptr_array_unref(refs);
	if (rc == 0 && answered == job->case_id) {
		job->outside = 1;
		ingest_job_note(job, "answers an internal message of %s: "
				"internal", job->num);
	}
	if (rc == 0 && addr_normalize(job->mm->from.address, &addr, NULL) == 0)
		rc = store_outside_has(job->ing->store, job->case_id, addr,
				       &team, err);
	g_free(addr);
	if (rc != 0 || !team)
		return rc;
	/* A From anyone can write proves nothing: the team's own address
	 * counts only verified; else who-may-post decides, as for anyone. */
	if (job->verdict.verified) {
		job->outside = job->team_proven = 1;
		ingest_job_note(job, "from the outside team of %s (verified): "
				"internal", job->num);
	} else if (!job->outside)
		ingest_job_note(job, "From names the outside team of %s but is "
				"not verified and answers no internal message: "
				"the usual who-may-post rules", job->num);
	return 0;
}

char *
ingest_job_command_of(struct ingest_job *job)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal,
						   g_free, g_free);
	char *name = job_command(job, fields);

	g_hash_table_unref(fields);
	return name;
}

/* A command from a sender nobody proved (an agent released the mail):
 * the mail is posted, the command is not run, the case says why. */
static int
job_refuse_command(struct ingest_job *job, const char *name,
		   struct cm_error *err)
{
	struct case_ctx ctx;

	ingest_job_ctx(job, &ctx);
	ingest_job_note(job, "command /%s refused: sender not verified", name);
	return case_event_add(&ctx, job->case_id, "command refused", NULL,
			      name, job->verdict.text, err);
}

/*
 * The addresses of a command's "to:" line (comma-separated) into to;
 * CM_EUSAGE naming one that is none.  At most INGEST_COMMAND_MAX_TO.
 */
#define INGEST_COMMAND_MAX_TO 10
static int
job_command_to(GHashTable *fields, GPtrArray *to, struct cm_error *err)
{
	const char *line = g_hash_table_lookup(fields, "to");
	char **parts;
	int rc = 0;

	if (line == NULL || line[0] == '\0')
		return 0;
	parts = g_strsplit(line, ",", INGEST_COMMAND_MAX_TO + 1);
	if (g_strv_length(parts) > INGEST_COMMAND_MAX_TO)
		rc = cm_error_set(err, CM_EUSAGE, "to: names more than %d "
				  "addresses", INGEST_COMMAND_MAX_TO);
	for (char **p = parts; rc == 0 && *p != NULL; p++) {
		char *addr = NULL;

		if ((rc = addr_normalize(g_strstrip(*p), &addr, err)) == 0)
			g_ptr_array_add(to, addr);
	}
	g_strfreev(parts);
	return rc;
}

static int
job_run_command(struct ingest_job *job, const char *name, GHashTable *fields,
		struct cm_error *err)
{
	struct outbound_reply_req r = { 0 };
	struct cm_error cerr = { 0 };
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	int rc;

	r.template_name = name;
	r.fields = fields;
	r.actor = job->mm->from.address;
	r.actor_name = job->mm->from.name;
	rc = job_command_to(fields, to, &cerr);
	r.to = (const char *const *)to->pdata;
	r.n_to = to->len;
	if (rc == 0)
		rc = outbound_reply(job->ing->out, job->case_id, &r, job->now,
				    NULL, &cerr);
	g_ptr_array_unref(to);
	if (rc == CM_EUSAGE) {
		/* The agent's mistake (say, a field missing): on the case,
		 * for them to see, not a failed message. */
		struct case_ctx ctx;

		ingest_job_ctx(job, &ctx);
		ingest_job_note(job, "command /%s refused: %s", name,
				cerr.msg);
		return case_event_add(&ctx, job->case_id, "command refused",
				      NULL, name, cerr.msg, err);
	}
	if (rc != 0 && err != NULL)
		*err = cerr;
	if (rc == 0)
		ingest_job_note(job, "command /%s sent", name);
	return rc;
}

int
ingest_job_mail_out(struct ingest_job *job, const struct store_message *m,
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
	/* Mail commands act as the desk: only for a proven agent. */
	if (command != NULL && !job->verdict.verified)
		rc = job_refuse_command(job, command, err);
	else if (command != NULL)
		rc = job_run_command(job, command, fields, err);
	/* An agent's command mail carries what the template needs (a
	 * caller's phone, say): the desk may see it, the customer not; so
	 * does the outside team's mail (m is internal). */
	if (rc == 0 && (command != NULL || job->outside))
		rc = outbound_notify_desk(out, job->case_id, m, job->now, err);
	else if (rc == 0)
		rc = outbound_notify(out, job->case_id, m, job->now, err);
	if (rc == 0 && job->new_case && !job->outside)
		rc = outbound_acknowledge(out, job->case_id, m, job->now, err);
	if (rc == 0 && out->queued > queued)
		ingest_job_note(job, "%d mails queued",
				out->queued - queued);
	g_hash_table_unref(fields);
	g_free(command);
	return rc;
}
