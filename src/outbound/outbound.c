/*
 * outbound.c - notifications, acknowledgements and replies, queued in the
 * outbox (see outbound.h).
 */
#include "casemail/outbound.h"

#include <gio/gio.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/attach.h"
#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/compose.h"
#include "casemail/log.h"
#include "casemail/msgid.h"
#include "casemail/template.h"
#include "casemail/timeutil.h"

/* What one queued mail needs beyond its body. */
struct ob_mail {
	const char *kind;
	int64_t case_id;
	struct compose_mail cm;
	GPtrArray *rcpts;        /* char *: envelope recipients */
	const char *recipient;   /* the one person it is for, or NULL */
};

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

static const char *
ob_desk_address(const struct outbound *o)
{
	return o->cfg->case_address != NULL ? o->cfg->case_address
					     : "casemail@casemail.invalid";
}

/* ---- variables ---------------------------------------------------------- */

static void
ob_set(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_replace(vars, g_strdup(name),
			     g_strdup(value != NULL ? value : ""));
}

static const struct store_person *
ob_owner(const struct store_case *c, const char *side)
{
	for (guint i = 0; i < c->owners->len; i++) {
		const struct store_person *p = c->owners->pdata[i];

		if (g_strcmp0(p->side, side) == 0)
			return p;
	}
	return NULL;
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

static char *
ob_time_text(int64_t t)
{
	char buf[64] = "";

	if (t != 0)
		time_format_iso(t, buf, sizeof(buf));
	return g_strdup(buf);
}

/* The person the case is for: the author of its first inbound mail,
 * else its creator when that is an address. */
static void
ob_requester(GPtrArray *msgs, const struct store_case *c,
	     const char **name_r, const char **addr_r)
{
	*name_r = NULL;
	*addr_r = NULL;
	for (guint i = 0; i < msgs->len; i++) {
		const struct store_message *m = msgs->pdata[i];

		if (g_strcmp0(m->direction, "in") == 0 && m->from.address) {
			*name_r = m->from.name;
			*addr_r = m->from.address;
			return;
		}
	}
	if (c->creator != NULL && strchr(c->creator, '@') != NULL)
		*addr_r = c->creator;
}

static GHashTable *
ob_case_vars(const struct outbound *o, const struct store_case *c,
	     GPtrArray *msgs)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	char num[CASENUM_BUF_SIZE], *t;
	const struct store_person *p;
	const char *rname, *raddr;

	case_format_number(o->cfg, c->id, num, sizeof(num));
	ob_set(v, "case.number", num);
	ob_set(v, "case.subject", c->subject);
	ob_set(v, "case.type", c->type);
	ob_set(v, "case.status", c->waiting_on != NULL ? "pending" : c->status);
	ob_set(v, "case.priority", c->priority);
	ob_set(v, "case.kind", c->kind);
	ob_set(v, "case.shipment", c->shipment);
	ob_set(v, "case.crm_shipper", c->crm_shipper);
	ob_set(v, "case.crm_carrier", c->crm_carrier);
	t = ob_time_text(c->follow_up);
	ob_set(v, "case.follow_up", t);
	g_free(t);
	t = ob_time_text(c->created_at);
	ob_set(v, "case.created", t);
	g_free(t);
	t = ob_people_text(c->owners, 1);
	ob_set(v, "case.owners", t);
	g_free(t);
	p = ob_owner(c, "shipper");
	ob_set(v, "case.owner_shipper", p != NULL ? p->address : NULL);
	p = ob_owner(c, "carrier");
	ob_set(v, "case.owner_carrier", p != NULL ? p->address : NULL);
	ob_requester(msgs, c, &rname, &raddr);
	ob_set(v, "requester.name", rname != NULL ? rname : raddr);
	ob_set(v, "requester.email", raddr);
	ob_set(v, "desk.name", o->cfg->case_desk_name);
	ob_set(v, "desk.address", ob_desk_address(o));
	return v;
}

static void
ob_message_vars(GHashTable *v, const struct store_message *m,
		const char *attachment_names)
{
	char *t = ob_time_text(m->date != 0 ? m->date : m->received_at);

	ob_set(v, "message.author", m->from.name != NULL ? m->from.name
						       : m->from.address);
	ob_set(v, "message.author_email", m->from.address);
	ob_set(v, "message.text", m->body != NULL ? m->body : m->body_full);
	ob_set(v, "message.date", t);
	ob_set(v, "message.attachments", attachment_names);
	g_free(t);
}

/* ---- queueing one mail -------------------------------------------------- */

static int
ob_queue(struct outbound *o, struct ob_mail *om, int64_t now,
	 GString *preview_r, struct cm_error *err)
{
	struct store_outbox ob = { 0 };
	GBytes *raw = NULL;
	int rc;

	om->cm.date = now;
	rc = compose_build(&om->cm, &raw, err);
	if (rc != 0)
		return rc;
	if (preview_r != NULL) {
		gsize len;
		const char *data = g_bytes_get_data(raw, &len);

		g_string_append_len(preview_r, data, (gssize)len);
		g_bytes_unref(raw);
		return 0;
	}
	ob.case_id = om->case_id;
	ob.kind = (char *)om->kind;
	ob.message_id = (char *)om->cm.message_id;
	ob.env_from = (char *)(o->cfg->smtp_from != NULL ? o->cfg->smtp_from
							 : ob_desk_address(o));
	ob.raw = raw;
	ob.created_at = now;
	ob.next_attempt_at = now;
	rc = store_outbox_add(o->store, &ob, (const char *const *)om->rcpts->pdata,
			      om->rcpts->len, om->recipient, NULL, err);
	g_bytes_unref(raw);
	if (rc == 0)
		o->queued++;
	return rc;
}

/* References for a case's thread: its first message and the one answered. */
static void
ob_thread(struct ob_mail *om, GPtrArray *msgs, const char *answering,
	  const char *refs[2])
{
	size_t n = 0;

	/* The thread's root: the first message the case's people saw (an
	 * internal note's Message-ID is nobody's business outside). */
	for (guint i = 0; i < msgs->len && n == 0; i++) {
		const struct store_message *m = msgs->pdata[i];

		if (g_strcmp0(m->direction, "internal") != 0)
			refs[n++] = m->message_id;
	}
	if (answering != NULL && (n == 0 || strcmp(refs[0], answering) != 0))
		refs[n++] = answering;
	om->cm.references = refs;
	om->cm.n_references = n;
	om->cm.in_reply_to = answering != NULL ? answering
			     : n > 0 ? refs[n - 1] : NULL;
}

/* ---- attachments of a message, for notifications ------------------------ */

struct ob_files {
	GArray *parts;         /* struct compose_attachment */
	GPtrArray *bytes;      /* GBytes * to unref */
	GPtrArray *strings;    /* char *: names and types the parts borrow */
	GString *names;        /* every attachment's name */
};

static void
ob_files_init(struct ob_files *f)
{
	f->parts = g_array_new(FALSE, TRUE, sizeof(struct compose_attachment));
	f->bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	f->strings = g_ptr_array_new_with_free_func(g_free);
	f->names = g_string_new(NULL);
}

static void
ob_files_clear(struct ob_files *f)
{
	g_array_unref(f->parts);
	g_ptr_array_unref(f->bytes);
	g_ptr_array_unref(f->strings);
	g_string_free(f->names, TRUE);
}

static void
ob_files_add(struct ob_files *f, const char *filename, const char *type,
	     GBytes *data)
{
	struct compose_attachment a = { filename, type, data };

	g_array_append_val(f->parts, a);
	g_ptr_array_add(f->bytes, data);
}

/* Attach what fits in [smtp] max_attach_bytes; name everything. */
static void
ob_files_of_message(const struct outbound *o, const struct store_message *m,
		    struct ob_files *f)
{
	int64_t budget = o->cfg->smtp_max_attach_bytes;

	for (guint i = 0; m->attachments != NULL && i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];
		const char *name = a->filename != NULL ? a->filename : "attachment";
		char *data = NULL;
		size_t len = 0;

		if (f->names->len > 0)
			g_string_append(f->names, ", ");
		g_string_append(f->names, name);
		if (a->sha256 == NULL || a->size > budget)
			continue;
		if (attach_get(o->cfg->store_attachments, a->sha256, &data, &len,
			       NULL) != 0)
			continue;
		budget -= (int64_t)len;
		ob_files_add(f, name, a->content_type,
			     g_bytes_new_take(data, len));
	}
}

/* ---- recipients --------------------------------------------------------- */

static int
ob_has(GPtrArray *list, const char *address)
{
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(list->pdata[i], address) == 0)
			return 1;
	return 0;
}

static void
ob_add_unique(GPtrArray *list, const char *address)
{
	if (address != NULL && address[0] != '\0' && !ob_has(list, address))
		g_ptr_array_add(list, g_ascii_strdown(address, -1));
}

/* Ours: the desk address itself, its plus forms, the envelope sender. */
static int
ob_is_desk(const struct outbound *o, const char *address)
{
	const char *desk = ob_desk_address(o);
	const char *at = strrchr(desk, '@'), *aat = strrchr(address, '@');
	size_t local = (size_t)(at - desk);

	if (g_ascii_strcasecmp(address, desk) == 0 ||
	    (o->cfg->smtp_from != NULL &&
	     g_ascii_strcasecmp(address, o->cfg->smtp_from) == 0))
		return 1;
	return aat != NULL && g_ascii_strncasecmp(address, desk, local) == 0 &&
	       address[local] == '+' && g_ascii_strcasecmp(aat, at) == 0;
}

static void
ob_role(const struct outbound *o, const struct store_case *c, GPtrArray *msgs,
	const char *role, GPtrArray *out)
{
	const char *rname, *raddr;
	const struct store_person *p;

	if (strcmp(role, "requester") == 0) {
		ob_requester(msgs, c, &rname, &raddr);
		ob_add_unique(out, raddr);
	} else if (strcmp(role, "participants") == 0) {
		for (guint i = 0; i < c->participants->len; i++) {
			p = c->participants->pdata[i];
			if (p->subscribed)
				ob_add_unique(out, p->address);
		}
	} else if (strcmp(role, "owners") == 0) {
		for (guint i = 0; i < c->owners->len; i++)
			ob_add_unique(out, ((struct store_person *)
					    c->owners->pdata[i])->address);
	} else if (strcmp(role, "watchers") == 0) {
		for (guint i = 0; i < c->watchers->len; i++)
			ob_add_unique(out, ((struct store_person *)
					    c->watchers->pdata[i])->address);
	} else if (strcmp(role, "shipper") == 0 || strcmp(role, "carrier") == 0) {
		p = ob_owner(c, role);
		ob_add_unique(out, p != NULL ? p->address : NULL);
	} else if (strcmp(role, "escalation") == 0) {
		ob_add_unique(out, o->cfg->case_escalation_address);
	} else if (strchr(role, '@') != NULL) {
		ob_add_unique(out, role);
	}
}

/* Everyone to be told of m, before the per-person exclusions; with
 * desk_only the desk's side (owners, watchers) alone. */
static GPtrArray *
ob_audience(const struct outbound *o, const struct store_case *c,
	    GPtrArray *msgs, int desk_only)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);

	ob_role(o, c, msgs, "owners", all);
	ob_role(o, c, msgs, "watchers", all);
	if (!desk_only)
		ob_role(o, c, msgs, "participants", all);
	return all;
}

static int
ob_excluded(const struct outbound *o, const struct store_message *m,
	    const char *who, const char **why_r, struct cm_error *err)
{
	int bouncing = 0, rc;

	*why_r = NULL;
	if (m->from.address != NULL &&
	    g_ascii_strcasecmp(m->from.address, who) == 0)
		*why_r = "the author";
	for (guint i = 0; *why_r == NULL && m->to != NULL && i < m->to->len; i++)
		if (g_ascii_strcasecmp(((struct store_address *)
			m->to->pdata[i])->address, who) == 0)
			*why_r = "got it directly";
	for (guint i = 0; *why_r == NULL && m->cc != NULL && i < m->cc->len; i++)
		if (g_ascii_strcasecmp(((struct store_address *)
			m->cc->pdata[i])->address, who) == 0)
			*why_r = "got it directly";
	if (*why_r == NULL && ob_is_desk(o, who))
		*why_r = "the desk";
	if (*why_r != NULL)
		return 0;
	rc = store_person_bouncing(o->store, who, &bouncing, err);
	if (rc == 0 && bouncing)
		*why_r = "bouncing";
	return rc;
}

/* The token buckets: per recipient and case, and for the whole desk. */
static int
ob_allowed(struct outbound *o, int64_t case_id, const char *who, int64_t now,
	   int *ok_r, struct cm_error *err)
{
	char *key = g_strdup_printf("rcpt:%s:%lld", who, (long long)case_id);
	double per_case = o->cfg->smtp_limit_per_case_hour;
	double global = o->cfg->smtp_limit_global_hour;
	int rc = store_rate_take(o->store, key, per_case, per_case, now, ok_r,
				 err);

	if (rc == 0 && *ok_r)
		rc = store_rate_take(o->store, "global", global, global, now,
				     ok_r, err);
	g_free(key);
	return rc;
}

/* ---- notifications ------------------------------------------------------ */

struct ob_case {
	struct store_case *c;
	GPtrArray *msgs;
	char num[CASENUM_BUF_SIZE];
	char *topic_index;
};

static int
ob_case_load(struct outbound *o, int64_t case_id, struct ob_case *oc,
	     struct cm_error *err)
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

static void
ob_case_clear(struct ob_case *oc)
{
	store_case_free(&oc->c);
	if (oc->msgs != NULL)
		g_ptr_array_unref(oc->msgs);
	g_free(oc->topic_index);
}

static char *
ob_from_name(const struct outbound *o, const char *author)
{
	if (author == NULL || author[0] == '\0')
		return g_strdup(o->cfg->case_desk_name);
	return g_strdup_printf("%s via %s", author, o->cfg->case_desk_name);
}

static char *
ob_unsubscribe_uri(const struct outbound *o, const char *num)
{
	const char *desk = ob_desk_address(o), *at = strrchr(desk, '@');
	char *lower = g_ascii_strdown(num, -1);
	char *uri = g_strdup_printf("mailto:%.*s+unsubscribe-%s%s?subject="
				    "unsubscribe", (int)(at - desk), desk,
				    lower, at);

	g_free(lower);
	return uri;
}

/* Fill the parts every mail about a case shares. */
static void
ob_mail_common(struct outbound *o, struct ob_case *oc, struct ob_mail *om,
	       const char *kind, char *from_name)
{
	om->kind = kind;
	om->case_id = oc->c->id;
	om->cm.from.name = from_name;
	om->cm.from.address = ob_desk_address(o);
	om->cm.reply_to = ob_desk_address(o);
	om->cm.thread_topic = oc->c->subject;
	om->cm.thread_index = oc->topic_index;
	om->cm.loop_token = ob_desk_address(o);
	om->cm.case_number = oc->num;
	om->rcpts = g_ptr_array_new_with_free_func(g_free);
}

static int
ob_notify_one(struct outbound *o, struct ob_case *oc,
	      const struct store_message *m, const char *who,
	      GHashTable *vars, struct ob_files *files, int64_t now,
	      struct cm_error *err)
{
	const struct template *t = template_find(o->templates, "notify");
	struct ob_mail om = { 0 };
	struct compose_address to = { NULL, who };
	char *subject = NULL, *body = NULL, *mid, *uri;
	const char *key, *refs[2];
	int rc;

	ob_set(vars, "recipient.email", who);
	ob_set(vars, "recipient.name", who);
	if ((rc = template_render(t, vars, &subject, &body, err)) != 0 ||
	    (rc = outbound_key(o, &key, err)) != 0) {
		g_free(subject);
		g_free(body);
		return rc;
	}
	mid = msgid_make(key, msgid_domain(o->cfg), oc->c->id, who);
	uri = ob_unsubscribe_uri(o, oc->num);
	ob_mail_common(o, oc, &om, "notify",
		       ob_from_name(o, m->from.name != NULL ? m->from.name
							   : m->from.address));
	om.cm.to = &to;
	om.cm.n_to = 1;
	om.cm.subject = subject;
	om.cm.body = body;
	om.cm.message_id = mid;
	om.cm.auto_generated = 1;
	om.cm.list_unsubscribe = uri;
	om.cm.attachments = (const struct compose_attachment *)(void *)files->parts->data;
	om.cm.n_attachments = files->parts->len;
	ob_thread(&om, oc->msgs, m->message_id, refs);
	om.recipient = who;
	g_ptr_array_add(om.rcpts, g_strdup(who));
	rc = ob_queue(o, &om, now, NULL, err);
	g_free((char *)om.cm.from.name);
	g_ptr_array_unref(om.rcpts);
	g_free(uri);
	g_free(mid);
	g_free(subject);
	g_free(body);
	return rc;
}

static int
ob_notify_event(struct outbound *o, int64_t case_id, const char *who,
		const char *why, int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { o->store, o->cfg, "casemail", now };

	return case_event_add(&ctx, case_id, "not notified", NULL, who, why,
			      err);
}

static int
ob_notify(struct outbound *o, int64_t case_id, const struct store_message *m,
	  int64_t now, int desk_only, struct cm_error *err)
{
	struct ob_case oc;
	struct ob_files files;
	GHashTable *vars = NULL;
	GPtrArray *all = NULL;
	const char *why;
	int rc, ok;

	if (template_find(o->templates, "notify") == NULL)
		return 0;
	ob_files_init(&files);
	rc = ob_case_load(o, case_id, &oc, err);
	if (rc == 0) {
		all = ob_audience(o, oc.c, oc.msgs, desk_only);
		ob_files_of_message(o, m, &files);
		vars = ob_case_vars(o, oc.c, oc.msgs);
		ob_message_vars(vars, m, files.names->str);
	}
	for (guint i = 0; rc == 0 && i < all->len; i++) {
		const char *who = all->pdata[i];

		rc = ob_excluded(o, m, who, &why, err);
		if (rc != 0 || why != NULL)
			continue;
		rc = ob_allowed(o, case_id, who, now, &ok, err);
		if (rc == 0 && !ok) {
			log_warnx("case=%s msgid=%s: notification to %s held "
				  "back: over the rate limit", oc.num,
				  m->message_id, who);
			rc = ob_notify_event(o, case_id, who, "over the rate "
					     "limit", now, err);
			continue;
		}
		if (rc == 0)
			rc = ob_notify_one(o, &oc, m, who, vars, &files, now,
					   err);
	}
	if (all != NULL)
		g_ptr_array_unref(all);
	if (vars != NULL)
		g_hash_table_unref(vars);
	ob_files_clear(&files);
	ob_case_clear(&oc);
	return rc;
}

int
outbound_notify(struct outbound *o, int64_t case_id,
		const struct store_message *m, int64_t now,
		struct cm_error *err)
{
	return ob_notify(o, case_id, m, now, 0, err);
}

int
outbound_notify_desk(struct outbound *o, int64_t case_id,
		     const struct store_message *m, int64_t now,
		     struct cm_error *err)
{
	return ob_notify(o, case_id, m, now, 1, err);
}

/* ---- acknowledgements and confirmations --------------------------------- */

/* A system mail from the desk to one person about a case. */
static int
ob_system_mail(struct outbound *o, int64_t case_id, const char *tname,
	       const char *kind, const char *who, const char *who_name,
	       const char *answering, int64_t now, struct cm_error *err)
{
	const struct template *t = template_find(o->templates, tname);
	struct ob_case oc;
	struct ob_mail om = { 0 };
	struct compose_address to = { who_name, who };
	GHashTable *vars = NULL;
	char *subject = NULL, *body = NULL, *mid = NULL;
	const char *key = NULL, *refs[2];
	int rc;

	if (t == NULL)
		return 0;
	rc = ob_case_load(o, case_id, &oc, err);
	if (rc == 0) {
		vars = ob_case_vars(o, oc.c, oc.msgs);
		ob_set(vars, "recipient.email", who);
		ob_set(vars, "recipient.name", who_name != NULL ? who_name : who);
		rc = template_render(t, vars, &subject, &body, err);
	}
	if (rc == 0)
		rc = outbound_key(o, &key, err);
	if (rc == 0) {
		mid = msgid_make(key, msgid_domain(o->cfg), case_id, who);
		ob_mail_common(o, &oc, &om, kind, ob_from_name(o, NULL));
		om.cm.to = &to;
		om.cm.n_to = 1;
		om.cm.subject = subject;
		om.cm.body = body;
		om.cm.message_id = mid;
		om.cm.auto_generated = 1;
		ob_thread(&om, oc.msgs, answering, refs);
		om.recipient = who;
		g_ptr_array_add(om.rcpts, g_strdup(who));
		rc = ob_queue(o, &om, now, NULL, err);
		g_free((char *)om.cm.from.name);
		g_ptr_array_unref(om.rcpts);
	}
	if (vars != NULL)
		g_hash_table_unref(vars);
	g_free(mid);
	g_free(subject);
	g_free(body);
	ob_case_clear(&oc);
	return rc;
}

int
outbound_acknowledge(struct outbound *o, int64_t case_id,
		     const struct store_message *m, int64_t now,
		     struct cm_error *err)
{
	const char *who = m->from.address;
	int due = 0, rc;

	if (who == NULL || config_is_org_address(o->cfg, who) ||
	    ob_is_desk(o, who) || template_find(o->templates, "acknowledge") == NULL)
		return 0;
	rc = store_ack_due(o->store, who, now, o->cfg->case_ack_interval_secs,
			   &due, err);
	if (rc != 0 || !due)
		return rc;
	rc = store_ack_mark(o->store, who, now, err);
	if (rc == 0)
		rc = ob_system_mail(o, case_id, "acknowledge", "ack", who,
				    m->from.name, m->message_id, now, err);
	return rc;
}

int
outbound_confirm_unsubscribe(struct outbound *o, int64_t case_id,
			     const char *address, int64_t now,
			     struct cm_error *err)
{
	return ob_system_mail(o, case_id, "unsubscribed", "confirm", address,
			      NULL, NULL, now, err);
}

/* ---- replies and canned responses --------------------------------------- */

struct ob_reply {
	struct ob_case oc;
	const struct template *t;
	GHashTable *vars;
	char *subject, *body, *mid;
	GPtrArray *to, *cc;          /* char * */
	struct ob_files files;
};

static void
ob_reply_clear(struct ob_reply *rp)
{
	ob_case_clear(&rp->oc);
	if (rp->vars != NULL)
		g_hash_table_unref(rp->vars);
	g_free(rp->subject);
	g_free(rp->body);
	g_free(rp->mid);
	if (rp->to != NULL)
		g_ptr_array_unref(rp->to);
	if (rp->cc != NULL)
		g_ptr_array_unref(rp->cc);
	ob_files_clear(&rp->files);
}

static void
ob_reply_vars(struct outbound *o, struct ob_reply *rp,
	      const struct outbound_reply *r)
{
	GHashTableIter it;
	gpointer k, v;

	rp->vars = ob_case_vars(o, rp->oc.c, rp->oc.msgs);
	ob_set(rp->vars, "agent.email", r->actor);
	ob_set(rp->vars, "agent.name", r->actor_name != NULL ? r->actor_name
							   : r->actor);
	if (r->text != NULL)
		ob_set(rp->vars, "field.text", r->text);
	if (r->fields == NULL)
		return;
	g_hash_table_iter_init(&it, r->fields);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		char *name = g_strdup_printf("field.%s", (const char *)k);

		ob_set(rp->vars, name, v);
		g_free(name);
	}
}

static int
ob_reply_render(struct outbound *o, struct ob_reply *rp,
		const struct outbound_reply *r, struct cm_error *err)
{
	char **missing;
	char *list;
	int rc;

	if (r->template_name == NULL) {
		if (r->text == NULL || r->text[0] == '\0')
			return cm_error_set(err, CM_EUSAGE, "a reply needs "
					    "--text or --template");
		rp->subject = g_strdup_printf("[%s] %s", rp->oc.num,
					      rp->oc.c->subject);
		rp->body = g_strdup(r->text);
		return 0;
	}
	rp->t = template_find(o->templates, r->template_name);
	if (rp->t == NULL)
		return cm_error_set(err, CM_EUSAGE, "no template '%s' in %s "
				    "(see casectl templates)", r->template_name,
				    o->cfg->templates_dir);
	missing = template_missing(rp->t, rp->vars);
	if (missing != NULL) {
		list = g_strjoinv(", ", missing);
		rc = cm_error_set(err, CM_EUSAGE, "template %s needs %s (give "
				  "them with --set NAME=VALUE)", rp->t->name,
				  list);
		g_free(list);
		g_strfreev(missing);
		return rc;
	}
	return template_render(rp->t, rp->vars, &rp->subject, &rp->body, err);
}

static void
ob_reply_recipients(struct outbound *o, struct ob_reply *rp,
		    const struct outbound_reply *r)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *cc = g_ptr_array_new_with_free_func(g_free);

	if (rp->t != NULL) {
		for (guint i = 0; i < rp->t->to->len; i++)
			ob_role(o, rp->oc.c, rp->oc.msgs, rp->t->to->pdata[i], to);
		for (guint i = 0; i < rp->t->cc->len; i++)
			ob_role(o, rp->oc.c, rp->oc.msgs, rp->t->cc->pdata[i], cc);
	} else {
		ob_role(o, rp->oc.c, rp->oc.msgs, "requester", to);
		ob_role(o, rp->oc.c, rp->oc.msgs, "participants", cc);
	}
	for (size_t i = 0; i < r->n_to; i++)
		ob_add_unique(to, r->to[i]);
	/* Never the desk, never the agent sending it, never twice. */
	rp->to = g_ptr_array_new_with_free_func(g_free);
	rp->cc = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < to->len; i++)
		if (!ob_is_desk(o, to->pdata[i]) &&
		    g_ascii_strcasecmp(to->pdata[i], r->actor) != 0)
			ob_add_unique(rp->to, to->pdata[i]);
	for (guint i = 0; i < cc->len; i++)
		if (!ob_is_desk(o, cc->pdata[i]) && !ob_has(rp->to, cc->pdata[i]) &&
		    g_ascii_strcasecmp(cc->pdata[i], r->actor) != 0)
			ob_add_unique(rp->cc, cc->pdata[i]);
	g_ptr_array_unref(to);
	g_ptr_array_unref(cc);
}

static int
ob_reply_files(struct ob_reply *rp, const struct outbound_reply *r,
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
		ob_files_add(&rp->files, base, type, g_bytes_new_take(data, len));
		if (rp->files.names->len > 0)
			g_string_append(rp->files.names, ", ");
		g_string_append(rp->files.names, base);
	}
	return 0;
}

static GPtrArray *
ob_addresses(GPtrArray *list)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < list->len; i++) {
		struct store_address *a = g_new0(struct store_address, 1);

		a->address = g_strdup(list->pdata[i]);
		g_ptr_array_add(out, a);
	}
	return out;
}

static void
ob_free_address(gpointer p)
{
	struct store_address *a = p;

	g_free(a->name);
	g_free(a->address);
	g_free(a);
}

/* The reply as an outgoing message of the case, its attachments kept. */
static int
ob_reply_store(struct outbound *o, struct ob_reply *rp,
	       const struct outbound_reply *r, int64_t now,
	       struct store_message **m_r, struct cm_error *err)
{
	struct store_message *m = store_message_new();
	int rc = 0;

	m->case_id = rp->oc.c->id;
	m->message_id = g_strdup(rp->mid);
	m->direction = g_strdup("out");
	m->state = g_strdup("stored");
	m->from.name = g_strdup(r->actor_name);
	m->from.address = g_ascii_strdown(r->actor, -1);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	m->to = ob_addresses(rp->to);
	m->cc = ob_addresses(rp->cc);
	g_ptr_array_set_free_func(m->to, ob_free_address);
	g_ptr_array_set_free_func(m->cc, ob_free_address);
	m->subject = g_strdup(rp->subject);
	m->date = m->received_at = now;
	m->body = g_strdup(rp->body);
	m->body_full = g_strdup(rp->body);
	m->decision = rp->t != NULL
		? g_strdup_printf("sent by %s with template %s", r->actor, rp->t->name)
		: g_strdup_printf("sent by %s", r->actor);
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
	if (rc == 0)
		rc = store_message_insert(o->store, m, NULL, err);
	if (rc == 0)
		*m_r = m;
	else
		store_message_free(&m);
	return rc;
}

static int
ob_reply_queue(struct outbound *o, struct ob_reply *rp,
	       const struct outbound_reply *r, int64_t now, GString *preview_r,
	       struct cm_error *err)
{
	struct ob_mail om = { 0 };
	struct compose_address *to = g_new0(struct compose_address, rp->to->len + 1);
	struct compose_address *cc = g_new0(struct compose_address, rp->cc->len + 1);
	const char *refs[2], *answering = NULL;
	int rc;

	for (guint i = rp->oc.msgs->len; i > 0 && answering == NULL; i--) {
		const struct store_message *m = rp->oc.msgs->pdata[i - 1];

		if (g_strcmp0(m->direction, "in") == 0)
			answering = m->message_id;
	}
	ob_mail_common(o, &rp->oc, &om, rp->t != NULL ? "template" : "reply",
		       ob_from_name(o, r->actor_name != NULL ? r->actor_name
							     : r->actor));
	for (guint i = 0; i < rp->to->len; i++) {
		to[i].address = rp->to->pdata[i];
		g_ptr_array_add(om.rcpts, g_strdup(rp->to->pdata[i]));
	}
	for (guint i = 0; i < rp->cc->len; i++) {
		cc[i].address = rp->cc->pdata[i];
		g_ptr_array_add(om.rcpts, g_strdup(rp->cc->pdata[i]));
	}
	om.cm.to = to;
	om.cm.n_to = rp->to->len;
	om.cm.cc = cc;
	om.cm.n_cc = rp->cc->len;
	om.cm.subject = rp->subject;
	om.cm.body = rp->body;
	om.cm.message_id = rp->mid;
	om.cm.attachments = (const struct compose_attachment *)(void *)rp->files.parts->data;
	om.cm.n_attachments = rp->files.parts->len;
	ob_thread(&om, rp->oc.msgs, answering, refs);
	rc = ob_queue(o, &om, now, preview_r, err);
	g_free((char *)om.cm.from.name);
	g_ptr_array_unref(om.rcpts);
	g_free(to);
	g_free(cc);
	return rc;
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

int
outbound_reply(struct outbound *o, int64_t case_id,
	       const struct outbound_reply *r, int64_t now, GString *preview_r,
	       struct cm_error *err)
{
	struct ob_reply rp;
	struct store_message *m = NULL;
	struct case_ctx ctx = { o->store, o->cfg, r->actor, now };
	const char *key = NULL;
	int rc;

	memset(&rp, 0, sizeof(rp));
	ob_files_init(&rp.files);
	rc = ob_case_load(o, case_id, &rp.oc, err);
	if (rc == 0) {
		ob_reply_vars(o, &rp, r);
		rc = ob_reply_render(o, &rp, r, err);
	}
	if (rc == 0) {
		ob_reply_recipients(o, &rp, r);
		if (rp.to->len == 0 && rp.cc->len == 0)
			rc = cm_error_set(err, CM_EUSAGE, "case %s: nobody to "
					  "send this to (give --to EMAIL)",
					  rp.oc.num);
	}
	if (rc == 0)
		rc = ob_reply_files(&rp, r, err);
	if (rc == 0 && (rc = outbound_key(o, &key, err)) == 0)
		rp.mid = msgid_make(key, msgid_domain(o->cfg), case_id, NULL);
	if (rc == 0)
		rc = ob_reply_queue(o, &rp, r, now, preview_r, err);
	if (rc == 0 && preview_r == NULL)
		rc = ob_reply_store(o, &rp, r, now, &m, err);
	if (rc == 0 && m != NULL)
		rc = case_event_add(&ctx, case_id, "reply", NULL,
				    rp.t != NULL ? rp.t->name : "text", NULL, err);
	if (rc == 0 && m != NULL)
		rc = case_apply_template_status(&ctx, rp.oc.c, rp.t != NULL
						? rp.t->sets_status : NULL,
						err);
	if (rc == 0 && m != NULL)
		rc = ob_notify(o, case_id, m, now, !ob_reply_to_customer(&rp),
			       err);
	store_message_free(&m);
	ob_reply_clear(&rp);
	return rc;
}

/* ---- the daily follow-up digest ----------------------------------------- */

static int
ob_digest_one(struct outbound *o, const struct template *t, GPtrArray *rows,
	      guint from, guint to, int64_t now, struct cm_error *err)
{
	const struct store_digest_row *first = rows->pdata[from];
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 g_free);
	GString *overdue = g_string_new(NULL), *stale = g_string_new(NULL);
	struct ob_mail om = { 0 };
	struct compose_address rcpt = { first->owner_name, first->owner };
	char num[CASENUM_BUF_SIZE], when[64], count[32];
	char *subject = NULL, *body = NULL, *mid = NULL;
	const char *key;
	int rc;

	for (guint i = from; i < to; i++) {
		const struct store_digest_row *r = rows->pdata[i];
		GString *into = r->follow_up != 0 && r->follow_up < now
					? overdue : stale;

		case_format_number(o->cfg, r->case_id, num, sizeof(num));
		time_format_iso(into == overdue ? r->follow_up : r->last_activity,
				when, sizeof(when));
		g_string_append_printf(into, "  %s  %s  (%s %s)\n", num, r->subject,
				       into == overdue ? "follow-up was due"
						       : "last activity", when);
	}
	g_snprintf(count, sizeof(count), "%u", to - from);
	ob_set(vars, "digest.count", count);
	ob_set(vars, "digest.overdue", overdue->str);
	ob_set(vars, "digest.stale", stale->str);
	ob_set(vars, "recipient.email", first->owner);
	ob_set(vars, "recipient.name", first->owner_name != NULL
					       ? first->owner_name : first->owner);
	ob_set(vars, "desk.name", o->cfg->case_desk_name);
	ob_set(vars, "desk.address", ob_desk_address(o));
	rc = template_render(t, vars, &subject, &body, err);
	if (rc == 0)
		rc = outbound_key(o, &key, err);
	if (rc == 0) {
		mid = msgid_make(key, msgid_domain(o->cfg), 0, first->owner);
		om.kind = "digest";
		om.cm.from.name = o->cfg->case_desk_name;
		om.cm.from.address = ob_desk_address(o);
		om.cm.to = &rcpt;
		om.cm.n_to = 1;
		om.cm.subject = subject;
		om.cm.body = body;
		om.cm.message_id = mid;
		om.cm.auto_generated = 1;
		om.cm.loop_token = ob_desk_address(o);
		om.recipient = first->owner;
		om.rcpts = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(om.rcpts, g_strdup(first->owner));
		rc = ob_queue(o, &om, now, NULL, err);
		g_ptr_array_unref(om.rcpts);
	}
	g_free(mid);
	g_free(subject);
	g_free(body);
	g_string_free(overdue, TRUE);
	g_string_free(stale, TRUE);
	g_hash_table_unref(vars);
	return rc;
}

int
outbound_digest(struct outbound *o, int64_t now, int64_t stale_before,
		int *mails_r, struct cm_error *err)
{
	const struct template *t = template_find(o->templates, "digest");
	GPtrArray *rows = NULL;
	guint from = 0;
	int rc;

	*mails_r = 0;
	if (t == NULL)
		return 0;
	rc = store_digest_rows(o->store, now, stale_before, &rows, err);
	/* Rows come ordered by owner: one mail per run of the same owner. */
	for (guint i = 1; rc == 0 && i <= rows->len; i++) {
		if (i < rows->len &&
		    strcmp(((struct store_digest_row *)rows->pdata[i])->owner,
			   ((struct store_digest_row *)rows->pdata[from])->owner) == 0)
			continue;
		rc = ob_digest_one(o, t, rows, from, i, now, err);
		if (rc == 0)
			(*mails_r)++;
		from = i;
	}
	if (rows != NULL)
		g_ptr_array_unref(rows);
	return rc;
}
