/*
 * outbound_reply.c - an agent's free reply or canned response on a case:
 * rendered, queued, stored on the case as an outgoing message, the
 * template's status applied, and the people it did not go to notified.
 */
#include "outbound_private.h"

#include <gio/gio.h>
#include <string.h>

#include "casemail/agent.h"
#include "casemail/attach.h"
#include "casemail/case.h"

struct ob_reply {
	struct outbound_case oc;
	const struct template *t;    /* NULL: a free reply */
	GHashTable *vars;
	char *subject, *body, *mid;
	GPtrArray *to, *cc;          /* char * */
	GPtrArray *withheld;         /* char *: an escalation's refused */
	int escalation;              /* outbound_is_escalation() */
	struct outbound_files files;
	const char *signature;       /* the registered agent's, or NULL */
};

static void
ob_reply_clear(struct ob_reply *rp)
{
	outbound_case_clear(&rp->oc);
	if (rp->vars != NULL)
		g_hash_table_unref(rp->vars);
	g_free(rp->subject);
	g_free(rp->body);
	g_free(rp->mid);
	if (rp->to != NULL)
		g_ptr_array_unref(rp->to);
	if (rp->cc != NULL)
		g_ptr_array_unref(rp->cc);
	if (rp->withheld != NULL)
		g_ptr_array_unref(rp->withheld);
	outbound_files_clear(&rp->files);
}

/* ---- rendering ---------------------------------------------------------- */

static void
ob_reply_vars(struct outbound *o, struct ob_reply *rp,
	      const struct outbound_reply_req *r)
{
	GHashTableIter it;
	gpointer k, v;

	rp->vars = outbound_case_vars(o, &rp->oc);
	outbound_set(rp->vars, "agent.email", r->actor);
	outbound_set(rp->vars, "agent.name", r->actor_name != NULL
					     ? r->actor_name : r->actor);
	outbound_set(rp->vars, "agent.signature", rp->signature);
	if (r->text != NULL)
		outbound_set(rp->vars, "field.text", r->text);
	outbound_caller_fields(rp->vars, r->fields);
	if (r->fields == NULL)
		return;
	g_hash_table_iter_init(&it, r->fields);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		char *name = g_strdup_printf("field.%s", (const char *)k);

		outbound_set(rp->vars, name, v);
		g_free(name);
	}
}

static int
ob_reply_text(struct ob_reply *rp, const struct outbound_reply_req *r,
	      struct cm_error *err)
{
	if (r->text == NULL || r->text[0] == '\0')
		return cm_error_set(err, CM_EUSAGE, "a reply needs --text or "
				    "--template");
	rp->subject = g_strdup_printf("[%s] %s", rp->oc.num, rp->oc.c->subject);
	/* A free reply is signed as a mail program would: "-- " and the
	 * agent's signature, which the reader's program can fold away. */
	rp->body = rp->signature != NULL
		? g_strdup_printf("%s\n\n-- \n%s", r->text, rp->signature)
		: g_strdup(r->text);
	return 0;
}

static int
ob_reply_render(struct outbound *o, struct ob_reply *rp,
		const struct outbound_reply_req *r, struct cm_error *err)
{
	char **missing;
	char *list;
	int rc;

	if (r->template_name == NULL)
		return ob_reply_text(rp, r, err);
	rp->t = template_find(o->templates, r->template_name);
	if (rp->t == NULL)
		return cm_error_set(err, CM_EUSAGE, "no template '%s' in %s "
				    "(see casectl templates)", r->template_name,
				    o->cfg->templates_dir);
	missing = template_missing(rp->t, rp->vars);
	if (missing != NULL) {
		list = g_strjoinv(", ", missing);
		rc = cm_error_set(err, CM_EUSAGE, "template %s needs %s (give "
				  "them with --set NAME=VALUE%s)", rp->t->name,
				  list, strstr(list, "caller.") != NULL
				  ? "; caller.X: --set X=VALUE, or record it "
				    "with casectl set CASE --caller-X" : "");
		g_free(list);
		g_strfreev(missing);
		return rc;
	}
	return template_render(rp->t, rp->vars, &rp->subject, &rp->body, err);
}

/* ---- recipients --------------------------------------------------------- */

/* The escalation role is the case's team or the one the agent names
 * (outbound_escalation_team()), not always the configured one. */
static void
ob_reply_roles(struct outbound *o, struct ob_reply *rp,
	       const struct outbound_reply_req *r, GPtrArray *roles,
	       GPtrArray *out)
{
	for (guint i = 0; i < roles->len; i++)
		if (strcmp(roles->pdata[i], "escalation") == 0)
			outbound_escalation_team(o, &rp->oc, r, out);
		else
			outbound_role(o, &rp->oc, roles->pdata[i], out);
}

/* Add what of from is neither the desk, nor the agent, nor in skip. */
static void
ob_reply_keep(struct outbound *o, GPtrArray *from, const char *actor,
	      GPtrArray *skip, GPtrArray *into)
{
	for (guint i = 0; i < from->len; i++)
		if (!outbound_is_desk(o, from->pdata[i]) &&
		    (skip == NULL || !outbound_has(skip, from->pdata[i])) &&
		    g_ascii_strcasecmp(from->pdata[i], actor) != 0)
			outbound_add_unique(into, from->pdata[i]);
}

static void
ob_reply_recipients(struct outbound *o, struct ob_reply *rp,
		    const struct outbound_reply_req *r)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *cc = g_ptr_array_new_with_free_func(g_free);

	if (rp->t != NULL) {
		ob_reply_roles(o, rp, r, rp->t->to, to);
		ob_reply_roles(o, rp, r, rp->t->cc, cc);
	} else if (rp->escalation) {
		outbound_escalation_team(o, &rp->oc, r, to);
		outbound_role(o, &rp->oc, "owners", cc);
	} else {
		outbound_role(o, &rp->oc, "requester", to);
		outbound_role(o, &rp->oc, "participants", cc);
	}
	for (size_t i = 0; i < r->n_to; i++)
		outbound_add_unique(to, r->to[i]);
	/* Never the desk, never the agent sending it, never twice. */
	rp->to = g_ptr_array_new_with_free_func(g_free);
	rp->cc = g_ptr_array_new_with_free_func(g_free);
	ob_reply_keep(o, to, r->actor, NULL, rp->to);
	ob_reply_keep(o, cc, r->actor, rp->to, rp->cc);
	rp->withheld = g_ptr_array_new_with_free_func(g_free);
	if (rp->escalation) {
		outbound_escalation_filter(o, rp->oc.c, r, rp->to, rp->withheld);
		outbound_escalation_filter(o, rp->oc.c, r, rp->cc, rp->withheld);
	}
	g_ptr_array_unref(to);
	g_ptr_array_unref(cc);
}

/*
 * Whether a reply is addressed to the case's outside people.  One that is
 * not (an escalation to the outside support team) is for the desk only:
 * its notification must not carry the caller's details to the customer
 * or the carrier.
 */
static int
ob_reply_to_customer(const struct ob_reply *rp)
{
	static const char *const roles[] = { "requester", "participants",
					     "shipper", "carrier", NULL };
	GPtrArray *lists[2];

	if (rp->escalation)
		return 0;
	if (rp->t == NULL)
		return 1;
	lists[0] = rp->t->to;
	lists[1] = rp->t->cc;
	for (int l = 0; l < 2; l++)
		for (guint i = 0; i < lists[l]->len; i++)
			if (g_strv_contains(roles, lists[l]->pdata[i]))
				return 1;
	return 0;
}

/* ---- attachments -------------------------------------------------------- */

static int
ob_reply_files(struct ob_reply *rp, const struct outbound_reply_req *r,
	       struct cm_error *err)
{
	for (size_t i = 0; i < r->n_attach; i++) {
		GError *gerr = NULL;
		char *data = NULL, *base, *type;
		gsize len;
		int rc;

		if (!g_file_get_contents(r->attach_files[i], &data, &len, &gerr)) {
			rc = cm_error_set(err, CM_EUSAGE, "--attach %s: %s",
					  r->attach_files[i], gerr->message);
			g_error_free(gerr);
			return rc;
		}
		base = g_path_get_basename(r->attach_files[i]);
		type = g_content_type_guess(base, (const guchar *)data, len, NULL);
		/* The parts borrow their name and type from the list. */
		g_ptr_array_add(rp->files.strings, base);
		g_ptr_array_add(rp->files.strings, type);
		outbound_files_add(&rp->files, base, type,
				   g_bytes_new_take(data, len));
		outbound_files_name(&rp->files, base);
	}
	return 0;
}

/* ---- queueing and storing ----------------------------------------------- */

/* The Message-ID of the last mail that came in on the case, or NULL. */
static const char *
ob_last_inbound(GPtrArray *msgs)
{
	for (guint i = msgs->len; i > 0; i--) {
		const struct store_message *m = msgs->pdata[i - 1];

		if (g_strcmp0(m->direction, "in") == 0)
			return m->message_id;
	}
	return NULL;
}

/* list (char *) as compose addresses borrowing from it; g_free(). */
static struct compose_address *
ob_compose_addresses(GPtrArray *list)
{
	struct compose_address *a = g_new0(struct compose_address,
					   list->len + 1);

	for (guint i = 0; i < list->len; i++)
		a[i].address = list->pdata[i];
	return a;
}

static int
ob_reply_queue(struct outbound *o, struct ob_reply *rp,
	       const struct outbound_reply_req *r, int64_t now, GString *preview_r,
	       struct cm_error *err)
{
	struct compose_address *to = ob_compose_addresses(rp->to);
	struct compose_address *cc = ob_compose_addresses(rp->cc);
	struct outbound_mail om = {
		.kind = rp->t != NULL ? "template" : "reply", .oc = &rp->oc,
		.author = r->actor_name != NULL ? r->actor_name : r->actor,
		.to = to, .n_to = rp->to->len, .cc = cc, .n_cc = rp->cc->len,
		.subject = rp->subject, .body = rp->body,
		.message_id = rp->mid, .files = &rp->files,
		.answering = ob_last_inbound(rp->oc.msgs),
	};
	int rc = outbound_queue(o, &om, now, preview_r, err);

	g_free(to);
	g_free(cc);
	return rc;
}

/* list (char *) into addrs (struct store_address *). */
static void
ob_store_addresses(GPtrArray *list, GPtrArray *addrs)
{
	for (guint i = 0; i < list->len; i++) {
		struct store_address *a = g_new0(struct store_address, 1);

		a->address = g_strdup(list->pdata[i]);
		g_ptr_array_add(addrs, a);
	}
}

/* The reply's attachments: files kept, and listed on m. */
static int
ob_reply_store_files(struct outbound *o, struct ob_reply *rp,
		     struct store_message *m, struct cm_error *err)
{
	int rc = 0;

	for (guint i = 0; rc == 0 && i < rp->files.parts->len; i++) {
		const struct compose_attachment *ca = &g_array_index(
			rp->files.parts, struct compose_attachment, i);
		struct store_attachment *a = g_new0(struct store_attachment, 1);
		char sha[ATTACH_SHA256_HEX];
		gsize len;
		const void *data = g_bytes_get_data(ca->data, &len);
		int created;

		a->filename = g_strdup(ca->filename);
		a->content_type = g_strdup(ca->content_type);
		a->size = (int64_t)len;
		g_ptr_array_add(m->attachments, a);
		rc = attach_put(o->cfg->store_attachments, data, len, 0, sha,
				&created, err);
		if (rc == 0)
			rc = store_blob_add(o->store, sha, (int64_t)len, err);
		if (rc == 0)
			a->sha256 = g_strdup(sha);
	}
	return rc;
}

/* The reply as an outgoing message of the case, its attachments kept. */
static int
ob_reply_store(struct outbound *o, struct ob_reply *rp,
	       const struct outbound_reply_req *r, int64_t now,
	       struct store_message **m_r, struct cm_error *err)
{
	struct store_message *m = store_message_new();
	int rc;

	m->case_id = rp->oc.c->id;
	m->message_id = g_strdup(rp->mid);
	m->direction = g_strdup("out");
	m->state = STORE_MSG_STORED;
	m->internal = rp->escalation;
	m->from.name = g_strdup(r->actor_name);
	m->from.address = g_ascii_strdown(r->actor, -1);
	ob_store_addresses(rp->to, m->to);
	ob_store_addresses(rp->cc, m->cc);
	m->subject = g_strdup(rp->subject);
	m->date = m->received_at = now;
	m->body = g_strdup(rp->body);
	m->body_full = g_strdup(rp->body);
	m->decision = rp->t != NULL
		? g_strdup_printf("sent by %s with template %s", r->actor, rp->t->name)
		: g_strdup_printf("sent by %s", r->actor);
	rc = ob_reply_store_files(o, rp, m, err);
	if (rc == 0)
		rc = store_message_insert(o->store, m, NULL, err);
	if (rc == 0)
		*m_r = m;
	else
		store_message_free(&m);
	return rc;
}

/* Somebody to send it to; an escalation's team none of the case's
 * people (checked before anything is queued). */
static int
ob_reply_check_recipients(const struct outbound *o, const struct ob_reply *rp,
			  struct cm_error *err)
{
	int rc = 0;

	if (rp->escalation &&
	    (rc = outbound_escalation_check(o, rp->oc.c, rp->to, err)) == 0)
		rc = outbound_escalation_check(o, rp->oc.c, rp->cc, err);
	if (rc == 0 && rp->to->len == 0 && rp->cc->len == 0)
		rc = cm_error_set(err, CM_EUSAGE, "case %s: nobody to send "
				  "this to (give --to EMAIL)", rp->oc.num);
	return rc;
}

/* Render, check and address the reply, and give it a Message-ID. */
static int
ob_reply_prepare(struct outbound *o, int64_t case_id, struct ob_reply *rp,
		 const struct outbound_reply_req *r, struct cm_error *err)
{
	int rc = outbound_case_load(o, case_id, &rp->oc, err);

	if (rc == 0) {
		ob_reply_vars(o, rp, r);
		rc = ob_reply_render(o, rp, r, err);
		rp->escalation = outbound_is_escalation(rp->t, r);
	}
	if (rc == 0) {
		ob_reply_recipients(o, rp, r);
		rc = ob_reply_check_recipients(o, rp, err);
	}
	if (rc == 0)
		rc = ob_reply_files(rp, r, err);
	if (rc == 0)
		rc = outbound_new_msgid(o, case_id, NULL, &rp->mid, err);
	return rc;
}

/* What a sent reply changes on its case: the event, the status, and the
 * people told of it. */
static int
ob_reply_record(struct outbound *o, const struct ob_reply *rp,
		const struct outbound_reply_req *r, const struct store_message *m,
		int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, r->actor, now };
	int64_t case_id = rp->oc.c->id;
	int rc;

	rc = case_event_add(&ctx, case_id, "reply", NULL,
			    rp->t != NULL ? rp->t->name : "text", NULL, err);
	if (rc == 0)
		rc = case_apply_template_status(&ctx, rp->oc.c, rp->t != NULL
						? rp->t->sets_status : NULL,
						err);
	if (rc == 0 && rp->escalation) {
		GPtrArray *sent = g_ptr_array_new();

		g_ptr_array_extend(sent, rp->to, NULL, NULL);
		g_ptr_array_extend(sent, rp->cc, NULL, NULL);
		rc = outbound_escalation_record(o, rp->oc.c, r, sent,
						rp->withheld, now, err);
		g_ptr_array_unref(sent);
	}
	if (rc == 0 && ob_reply_to_customer(rp))
		rc = outbound_notify(o, case_id, m, now, err);
	else if (rc == 0)
		rc = outbound_notify_desk(o, case_id, m, now, err);
	return rc;
}

int
outbound_reply(struct outbound *o, int64_t case_id,
	       const struct outbound_reply_req *r, int64_t now, GString *preview_r,
	       struct cm_error *err)
{
	struct outbound_reply_req named = *r;
	struct store_agent *agent = NULL;
	struct ob_reply rp;
	struct store_message *m = NULL;
	int rc;

	memset(&rp, 0, sizeof(rp));
	outbound_files_init(&rp.files);
	/* A registered agent writes under the registered name (not the
	 * display name of a mail command's From) and signs with it. */
	rc = agent_find(o->store, r->actor, &agent, err);
	if (rc == 0 && agent != NULL) {
		named.actor_name = agent->name;
		rp.signature = agent->signature;
		r = &named;
	}
	if (rc == 0)
		rc = ob_reply_prepare(o, case_id, &rp, r, err);
	if (rc == 0)
		rc = ob_reply_queue(o, &rp, r, now, preview_r, err);
	if (rc == 0 && preview_r == NULL)
		rc = ob_reply_store(o, &rp, r, now, &m, err);
	if (rc == 0 && m != NULL)
		rc = ob_reply_record(o, &rp, r, m, now, err);
	store_message_free(&m);
	ob_reply_clear(&rp);
	store_agent_free(&agent);
	return rc;
}
