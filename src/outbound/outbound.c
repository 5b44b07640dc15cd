/*
 * outbound.c - the outbound context, the variables templates see, and
 * building and queueing one mail, which every kind of mail goes through
 * (see outbound.h and outbound_private.h).
 */
#include "outbound_private.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/msgid.h"
#include "casemail/timeutil.h"

void
outbound_init(struct outbound *o, struct store *store,
	      const struct config *cfg, GPtrArray *templates)
{
	memset(o, 0, sizeof(*o));
	o->store = store;
	o->cfg = cfg;
	o->templates = templates;
}

void
outbound_clear(struct outbound *o)
{
	g_free(o->key);
	o->key = NULL;
}

int
outbound_key(struct outbound *o, const char **key_r, struct cm_error *err)
{
	int rc = 0;

	if (o->key == NULL)
		rc = msgid_key(o->store, o->cfg, &o->key, err);
	*key_r = o->key;
	return rc;
}

int
outbound_new_msgid(struct outbound *o, int64_t case_id, const char *rcpt,
		   char **mid_r, struct cm_error *err)
{
	const char *key = NULL;
	int rc = outbound_key(o, &key, err);

	*mid_r = rc == 0 ? msgid_make(key, msgid_domain(o->cfg), case_id, rcpt)
			 : NULL;
	return rc;
}

const char *
outbound_desk_address(const struct outbound *o)
{
	return o->cfg->case_address != NULL ? o->cfg->case_address
					     : "casemail@casemail.invalid";
}

int
outbound_loop_value(struct outbound *o, char **loop_r, struct cm_error *err)
{
	const char *key = NULL;
	int rc = outbound_key(o, &key, err);

	*loop_r = rc == 0 ? msgid_loop_value(key, outbound_desk_address(o))
			  : NULL;
	return rc;
}

int
outbound_classify_self(struct outbound *o, const struct mime_message *m,
		       struct classify_self *self, char **loop_r,
		       struct cm_error *err)
{
	const char *key = NULL;
	int64_t id = 0;
	int rc;

	memset(self, 0, sizeof(*self));
	*loop_r = NULL;
	if ((rc = outbound_loop_value(o, loop_r, err)) != 0 ||
	    (rc = outbound_key(o, &key, err)) != 0)
		return rc;
	self->loop = *loop_r;
	self->msgid_ours = m->message_id != NULL &&
			   msgid_verify(key, msgid_domain(o->cfg),
					m->message_id, &id);
	return 0;
}

/* ---- the case ----------------------------------------------------------- */

int
outbound_case_load(struct outbound *o, int64_t case_id,
		   struct outbound_case *oc, struct cm_error *err)
{
	int rc;

	memset(oc, 0, sizeof(*oc));
	rc = store_case_get(o->store, case_id, &oc->c, err);
	if (rc == 0)
		rc = store_messages_get(o->store, case_id, &oc->msgs, err);
	if (rc == 0) {
		case_format_number(o->cfg, case_id, oc->num, sizeof(oc->num));
		oc->topic_index = compose_thread_index(oc->c->created_at, oc->num);
	}
	return rc;
}

void
outbound_case_clear(struct outbound_case *oc)
{
	store_case_free(&oc->c);
	if (oc->msgs != NULL)
		g_ptr_array_unref(oc->msgs);
	g_free(oc->topic_index);
}

/* ---- variables ---------------------------------------------------------- */

void
outbound_set(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_replace(vars, g_strdup(name),
			     g_strdup(value != NULL ? value : ""));
}

static char *
ob_people_text(GPtrArray *people, int with_side)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < people->len; i++) {
		const struct store_person *p = people->pdata[i];

		if (s->len > 0)
			g_string_append(s, ", ");
		g_string_append(s, p->address);
		if (with_side && p->side != NULL)
			g_string_append_printf(s, " (%s)", p->side);
	}
	return g_string_free(s, FALSE);
}

/* In the desk's zone: people read these ([case] timezone). */
static char *
ob_time_text(const struct outbound *o, int64_t t)
{
	char buf[64] = "";

	if (t != 0)
		time_format_zone(t, o->cfg->case_timezone, buf, sizeof(buf));
	return g_strdup(buf);
}

/* vars[name] = text, and text freed. */
static void
ob_set_take(GHashTable *vars, const char *name, char *text)
{
	outbound_set(vars, name, text);
	g_free(text);
}

static void
ob_owner_var(GHashTable *v, const char *name, const struct store_case *c,
	     const char *side)
{
	const struct store_person *p = case_owner_of(c, side);

	outbound_set(v, name, p != NULL ? p->address : NULL);
}

GHashTable *
outbound_case_vars(const struct outbound *o, const struct outbound_case *oc)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	const struct store_case *c = oc->c;
	const char *rname, *raddr;

	outbound_set(v, "case.number", oc->num);
	outbound_set(v, "case.subject", c->subject);
	outbound_set(v, "case.type", c->type);
	outbound_set(v, "case.status", c->waiting_on != NULL
		     ? "pending" : store_case_status_name(c->status));
	outbound_set(v, "case.priority", c->priority);
	outbound_set(v, "case.kind", c->kind);
	outbound_set(v, "case.shipment", c->shipment);
	outbound_set(v, "case.crm_shipper", c->crm_shipper);
	outbound_set(v, "case.crm_carrier", c->crm_carrier);
	ob_set_take(v, "case.follow_up", ob_time_text(o, c->follow_up));
	ob_set_take(v, "case.created", ob_time_text(o, c->created_at));
	ob_set_take(v, "case.owners", ob_people_text(c->owners, 1));
	ob_owner_var(v, "case.owner_shipper", c, "shipper");
	ob_owner_var(v, "case.owner_carrier", c, "carrier");
	outbound_field_vars(o, c->id, v);
	outbound_requester(oc->msgs, c, &rname, &raddr);
	outbound_set(v, "requester.name", rname != NULL ? rname : raddr);
	outbound_set(v, "requester.email", raddr);
	outbound_contact_vars(v, c, rname, raddr);
	outbound_set(v, "desk.name", o->cfg->case_desk_name);
	outbound_set(v, "desk.address", outbound_desk_address(o));
	return v;
}

void
outbound_message_vars(const struct outbound *o, GHashTable *v,
		      const struct store_message *m,
		      const char *attachment_names)
{
	outbound_set(v, "message.author", m->from.name != NULL
					  ? m->from.name : m->from.address);
	outbound_set(v, "message.author_email", m->from.address);
	outbound_set(v, "message.text", m->body != NULL ? m->body
							: m->body_full);
	ob_set_take(v, "message.date", ob_time_text(o, m->date != 0 ? m->date
							: m->received_at));
	outbound_set(v, "message.attachments", attachment_names);
}

char *
outbound_short_text(const char *text, long max_chars)
{
	char *clean = compose_clean(text), *out;
	const char *p = g_strstrip(clean);
	GString *s = g_string_new(NULL);
	long n = 0;

	/* Control characters are spaces now; a run of spaces becomes one. */
	for (; *p != '\0' && n < max_chars; p = g_utf8_next_char(p)) {
		if (*p == ' ' && s->len > 0 && s->str[s->len - 1] == ' ')
			continue;
		g_string_append_len(s, p, g_utf8_next_char(p) - p);
		n++;
	}
	if (*p != '\0')
		g_string_append(s, "...");
	out = g_string_free(s, FALSE);
	g_free(clean);
	return out;
}

void
outbound_stranger_vars(GHashTable *v, const struct outbound_case *oc)
{
	const char *rname, *raddr;
	char *subject = outbound_short_text(oc->c->subject,
					    OUTBOUND_SHORT_SUBJECT);

	outbound_set(v, "case.subject", subject);
	g_free(subject);
	outbound_requester(oc->msgs, oc->c, &rname, &raddr);
	ob_set_take(v, "requester.name",
		    outbound_short_text(rname != NULL ? rname : raddr,
					OUTBOUND_SHORT_NAME));
}

/* ---- attachments -------------------------------------------------------- */

void
outbound_files_init(struct outbound_files *f)
{
	f->parts = g_array_new(FALSE, TRUE, sizeof(struct compose_attachment));
	f->bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	f->strings = g_ptr_array_new_with_free_func(g_free);
	f->names = g_string_new(NULL);
}

void
outbound_files_clear(struct outbound_files *f)
{
	g_array_unref(f->parts);
	g_ptr_array_unref(f->bytes);
	g_ptr_array_unref(f->strings);
	g_string_free(f->names, TRUE);
}

void
outbound_files_add(struct outbound_files *f, const char *filename,
		   const char *type, GBytes *data)
{
	struct compose_attachment a = { filename, type, data, NULL };

	g_array_append_val(f->parts, a);
	g_ptr_array_add(f->bytes, data);
}

void
outbound_files_add_ref(struct outbound_files *f, const char *filename,
		       const char *type, const char *sha256)
{
	struct compose_attachment a = { filename, type, NULL, sha256 };

	g_array_append_val(f->parts, a);
}

void
outbound_files_name(struct outbound_files *f, const char *name)
{
	if (f->names->len > 0)
		g_string_append(f->names, ", ");
	g_string_append(f->names, name);
}

/* ---- building and queueing one mail ------------------------------------- */

static char *
ob_from_name(const struct outbound *o, const char *author)
{
	if (author == NULL || author[0] == '\0')
		return g_strdup(o->cfg->case_desk_name);
	return g_strdup_printf("%s via %s", author, o->cfg->case_desk_name);
}

/* References for a case's thread: its first message and the one answered. */
static void
ob_thread(const struct outbound_case *oc, const char *answering,
	  const char *refs[2], struct compose_mail *cm)
{
	size_t n = 0;

	/* The thread's root: the first message the case's people saw (an
	 * internal note's Message-ID is nobody's business outside). */
	for (guint i = 0; i < oc->msgs->len && n == 0; i++) {
		const struct store_message *m = oc->msgs->pdata[i];

		if (g_strcmp0(m->direction, "internal") != 0)
			refs[n++] = m->message_id;
	}
	if (answering != NULL && (n == 0 || strcmp(refs[0], answering) != 0))
		refs[n++] = answering;
	cm->references = refs;
	cm->n_references = n;
	cm->in_reply_to = answering != NULL ? answering
			  : n > 0 ? refs[n - 1] : NULL;
}

/* Fill cm from om; cm borrows from_name and refs. */
static void
ob_compose(const struct outbound *o, const struct outbound_mail *om,
	   const char *from_name, const char *loop, const char *refs[2],
	   struct compose_mail *cm)
{
	const char *desk = outbound_desk_address(o);

	cm->from.name = from_name;
	cm->from.address = desk;
	cm->loop_token = loop;
	cm->to = om->to;
	cm->n_to = om->n_to;
	cm->cc = om->cc;
	cm->n_cc = om->n_cc;
	cm->subject = om->subject;
	cm->body = om->body;
	cm->message_id = om->message_id;
	cm->auto_generated = om->auto_generated;
	cm->list_unsubscribe = om->list_unsubscribe;
	if (om->files != NULL) {
		cm->attachments = (const struct compose_attachment *)
			(void *)om->files->parts->data;
		cm->n_attachments = om->files->parts->len;
	}
	if (om->oc == NULL)
		return;
	/* About a case: answers come back to the desk, in the case's
	 * thread, and name the case. */
	cm->reply_to = desk;
	cm->thread_topic = om->topic != NULL ? om->topic
					     : om->oc->c->subject;
	cm->thread_index = om->oc->topic_index;
	cm->case_number = om->oc->num;
	ob_thread(om->oc, om->answering, refs, cm);
}

/* The envelope recipients: every To, then every Cc address. */
static GPtrArray *
ob_envelope(const struct outbound_mail *om)
{
	GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);

	for (size_t i = 0; i < om->n_to; i++)
		g_ptr_array_add(rcpts, g_strdup(om->to[i].address));
	for (size_t i = 0; i < om->n_cc; i++)
		g_ptr_array_add(rcpts, g_strdup(om->cc[i].address));
	return rcpts;
}

static int
ob_outbox_add(struct outbound *o, const struct outbound_mail *om,
	      GBytes *raw, int64_t now, struct cm_error *err)
{
	struct store_outbox ob = { 0 };
	GPtrArray *rcpts = ob_envelope(om);
	int rc;

	ob.case_id = om->oc != NULL ? om->oc->c->id : 0;
	ob.kind = (char *)om->kind;
	ob.message_id = (char *)om->message_id;
	ob.env_from = (char *)(o->cfg->smtp_from != NULL
			       ? o->cfg->smtp_from : outbound_desk_address(o));
	ob.raw = raw;
	/* A deferred mail's age ([smtp] max_age) counts from when it is due. */
	ob.created_at = om->due > now ? om->due : now;
	ob.next_attempt_at = ob.created_at;
	ob.last_error = (char *)om->why_later;
	rc = store_outbox_add(o->store, &ob, (const char *const *)rcpts->pdata,
			      rcpts->len, om->recipient, NULL, err);
	g_ptr_array_unref(rcpts);
	if (rc == 0)
		o->queued++;
	return rc;
}

int
outbound_queue(struct outbound *o, const struct outbound_mail *om,
	       int64_t now, GString *preview_r, struct cm_error *err)
{
	struct compose_mail cm = { 0 };
	char *from_name = ob_from_name(o, om->author), *loop = NULL;
	const char *refs[2];
	GBytes *raw = NULL;
	int rc = outbound_loop_value(o, &loop, err);

	ob_compose(o, om, from_name, loop, refs, &cm);
	cm.date = now;
	if (rc == 0)
		rc = compose_build(&cm, &raw, err);
	if (rc == 0 && preview_r != NULL) {
		/* What the sender will send: the files put in. */
		GPtrArray *skipped = NULL;
		GBytes *full = compose_expand(raw, o->cfg->store_attachments,
					      o->cfg->smtp_max_attach_bytes,
					      &skipped);
		gsize len;
		const char *data = g_bytes_get_data(full, &len);

		g_string_append_len(preview_r, data, (gssize)len);
		g_bytes_unref(full);
		if (skipped != NULL)
			g_ptr_array_unref(skipped);
	} else if (rc == 0) {
		rc = ob_outbox_add(o, om, raw, now, err);
	}
	if (raw != NULL)
		g_bytes_unref(raw);
	g_free(from_name);
	g_free(loop);
	return rc;
}

int
outbound_queue_template(struct outbound *o, const struct template *t,
			GHashTable *vars, struct outbound_mail *om,
			int64_t now, struct cm_error *err)
{
	const struct compose_address *to = &om->to[0];
	char *subject = NULL, *body = NULL, *mid = NULL;
	int rc;

	outbound_set(vars, "recipient.email", to->address);
	outbound_set(vars, "recipient.name", to->name != NULL ? to->name
							       : to->address);
	rc = template_render(t, vars, &subject, &body, err);
	if (rc == 0)
		rc = outbound_new_msgid(o, om->oc != NULL ? om->oc->c->id : 0,
					om->recipient, &mid, err);
	if (rc == 0) {
		om->subject = subject;
		om->body = body;
		om->message_id = mid;
		rc = outbound_queue(o, om, now, NULL, err);
		om->subject = om->body = om->message_id = NULL;
	}
	g_free(mid);
	g_free(subject);
	g_free(body);
	return rc;
}
