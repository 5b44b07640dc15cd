/*
 * web_case.c - GET /case/NUMBER: the case with its thread (visible replies;
 * the full text of one message on demand), attachments, people, due
 * times, history, and the forms of its actions (web_action.c); and
 * GET /attachment/MESSAGE/N, an attachment as a download.
 */
#include "web_private.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/attach.h"
#include "casemail/casenum.h"
#include "casemail/template.h"

/* Content types a browser may show inline without running anything;
 * everything else is served as a download of octets. */
static const char *const web_safe_types[] = {
	"text/plain", "image/png", "image/jpeg", "image/gif",
	"application/pdf",
};

static void
web_case_fact(struct web_req *r, const char *label, const char *value)
{
	if (value != NULL && value[0] != '\0')
		web_put(r->out, "<dt>%s</dt><dd>%s</dd>", label, value);
}

static int
web_case_facts(struct web_req *r, const struct store_case *c)
{
	GString *o = r->out;

	g_string_append(o, "<section class=\"facts\"><h2>Case</h2><dl>");
	web_case_fact(r, "Status", store_case_status_name(c->status));
	web_case_fact(r, "Waiting on", c->waiting_on);
	web_case_fact(r, "Priority", c->priority);
	web_case_fact(r, "Type", c->type);
	web_case_fact(r, "Kind", c->kind);
	web_case_fact(r, "Source", c->source);
	web_case_fact(r, "Shipment", c->shipment);
	web_case_fact(r, "CRM shipper", c->crm_shipper);
	web_case_fact(r, "CRM carrier", c->crm_carrier);
	web_case_fact(r, "Created by", c->creator);
	g_string_append(o, "<dt>Created</dt><dd>");
	web_put_time(r, c->created_at);
	g_string_append(o, "</dd></dl></section>");
	/* Due times: the follow-up the desk set, and when it was solved. */
	g_string_append(o, "<section class=\"due\"><h2>Due</h2><dl>"
			"<dt>Follow-up</dt><dd>");
	web_put_time(r, c->follow_up);
	if (c->follow_up != 0 && c->follow_up < r->now &&
	    c->status == STORE_CASE_ACTIVE)
		g_string_append(o, " <strong>overdue</strong>");
	g_string_append(o, "</dd><dt>Last message</dt><dd>");
	web_put_time(r, c->last_message_at);
	g_string_append(o, "</dd><dt>Solved</dt><dd>");
	web_put_time(r, c->solved_at);
	g_string_append(o, "</dd>");
	if (web_sla_due(r, c->id) != 0)
		return -1;
	g_string_append(o, "</dl></section>");
	return 0;
}

/* remove: the action of each person's remove button ("unassign",
 * "unwatch"), or NULL for none. */
static void
web_case_people_list(struct web_req *r, const char *num, const char *label,
		     GPtrArray *ps, int sides, const char *remove)
{
	if (ps->len == 0)
		return;
	web_put(r->out, "<dt>%s</dt>", label);
	for (guint i = 0; i < ps->len; i++) {
		const struct store_person *p = ps->pdata[i];

		web_put(r->out, "<dd>%s", p->name != NULL ? p->name : "");
		web_put(r->out, p->name != NULL ? " &lt;%s&gt;" : "%s",
			p->address);
		if (sides && p->side != NULL)
			web_put(r->out, " (%s)", p->side);
		if (remove != NULL)
			web_remove_button(r, num, remove, strcmp(remove,
					  "unassign") == 0 ? "owner" : "user",
					  p->address, "Remove");
		g_string_append(r->out, "</dd>");
	}
}

static void
web_case_people(struct web_req *r, const struct store_case *c,
		const char *num)
{
	const struct store_contact *ct = c->contact;

	g_string_append(r->out, "<section class=\"people\"><h2>People</h2>"
			"<dl>");
	web_case_people_list(r, num, "Owners", c->owners, 1, "unassign");
	web_case_people_list(r, num, "Watchers", c->watchers, 0, "unwatch");
	web_case_people_list(r, num, "Participants", c->participants, 1,
			     NULL);
	web_case_fact(r, "Requester", ct->requester_address);
	web_case_fact(r, "Caller", ct->caller_name);
	web_case_fact(r, "Company", ct->caller_company);
	web_case_fact(r, "Phone", ct->caller_phone);
	for (guint i = 0; i < c->outside->len; i++)
		web_case_fact(r, "Outside team", c->outside->pdata[i]);
	g_string_append(r->out, "</dl></section>");
}

static void
web_case_message(struct web_req *r, const char *num,
		 const struct store_message *m, int64_t full)
{
	int internal = strcmp(m->direction, "internal") == 0 || m->internal;

	web_put(r->out, "<div class=\"message %s%s\" id=\"m%D\">"
		"<p class=\"meta\"><strong>%s</strong> ",
		m->direction, internal ? " internal" : "", m->id,
		m->from.name != NULL ? m->from.name : m->from.address);
	if (m->from.name != NULL)
		web_put(r->out, "&lt;%s&gt; ", m->from.address);
	web_put_time(r, m->date != 0 ? m->date : m->received_at);
	web_put(r->out, " &middot; %s", internal ? "internal" : m->direction);
	if (m->subject != NULL)
		web_put(r->out, " &middot; %s", m->subject);
	g_string_append(r->out, "</p>");
	web_put(r->out, "<pre>%s</pre>", full == m->id && m->body_full != NULL
		? m->body_full : m->body);
	if (full != m->id && m->body_full != NULL &&
	    g_strcmp0(m->body_full, m->body) != 0)
		web_put(r->out, "<p><a class=\"full-text\" href=\"/case/%s?"
			"full=%D#m%D\">Full text</a></p>", num, m->id, m->id);
	for (guint i = 0; i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];

		if (a->sha256 == NULL) {
			web_put(r->out, "<p class=\"meta\">Attachment %s not "
				"kept: %s</p>", a->filename, a->skipped);
			continue;
		}
		web_put(r->out, "<p class=\"attachment\"><a href=\"/attachment/"
			"%D/%d\">%s</a> <span class=\"meta\">%s, %D bytes"
			"</span></p>", m->id, (int)i,
			a->filename != NULL ? a->filename : "attachment",
			a->content_type, a->size);
	}
	g_string_append(r->out, "</div>\n");
}

static int
web_case_thread(struct web_req *r, const struct store_case *c,
		const char *num)
{
	const char *f = web_query(r, "full");
	int64_t full = f != NULL ? g_ascii_strtoll(f, NULL, 10) : 0;
	GPtrArray *msgs = NULL;
	int rc = store_messages_get(r->store, c->id, &msgs, &r->err);

	if (rc != 0)
		return rc;
	g_string_append(r->out, "<div class=\"thread\"><h2>Thread</h2>");
	for (guint i = 0; i < msgs->len; i++)
		web_case_message(r, num, msgs->pdata[i], full);
	if (msgs->len == 0)
		g_string_append(r->out, "<p>No messages yet.</p>");
	g_string_append(r->out, "</div>\n");
	g_ptr_array_unref(msgs);
	return 0;
}

static int
web_case_history(struct web_req *r, int64_t id)
{
	GPtrArray *ev = NULL;
	int rc = store_events_get(r->store, id, &ev, &r->err);

	if (rc != 0)
		return rc;
	g_string_append(r->out, "<section class=\"history\"><h2>History</h2>"
			"<ol class=\"history\">");
	for (guint i = 0; i < ev->len; i++) {
		const struct store_event *e = ev->pdata[i];

		g_string_append(r->out, "<li>");
		web_put_time(r, e->at);
		web_put(r->out, " %s: %s", e->actor != NULL ? e->actor
			: "unknown", e->what);
		if (e->old_value != NULL || e->new_value != NULL)
			web_put(r->out, " %s &rarr; %s",
				e->old_value != NULL ? e->old_value : "-",
				e->new_value != NULL ? e->new_value : "-");
		if (e->detail != NULL)
			web_put(r->out, " (%s)", e->detail);
		g_string_append(r->out, "</li>");
	}
	g_string_append(r->out, "</ol></section>");
	g_ptr_array_unref(ev);
	return 0;
}

void
web_case_page(struct web_req *r, int64_t id)
{
	web_case_page_reply(r, id, NULL);
}

void
web_case_page_reply(struct web_req *r, int64_t id,
		    const struct web_reply_state *reply)
{
	struct store_case *c = NULL;
	char num[CASENUM_BUF_SIZE], *title;
	const char *done = web_query(r, "done");
	int rc = store_case_get(r->store, id, &c, &r->err);

	if (rc != 0) {
		web_fail(r, &r->err);
		return;
	}
	case_format_number(r->web->cfg, id, num, sizeof(num));
	title = g_strdup_printf("%s %s", num, c->subject);
	web_page_begin(r, title);
	g_free(title);
	web_put(r->out, "<h1><span class=\"case-number\">%s</span> %s</h1>",
		num, c->subject);
	if (done != NULL)
		web_put(r->out, "<p class=\"notice\">%s</p>", done);
	g_string_append(r->out, "<div class=\"layout\"><div class=\"main\">");
	rc = web_case_thread(r, c, num);
	if (rc == 0)
		rc = web_case_forms(r, c, num, reply);
	g_string_append(r->out, "</div><aside>");
	if (rc == 0) {
		rc = web_case_facts(r, c);
		web_case_people(r, c, num);
		if (rc == 0)
			rc = web_case_history(r, id);
	}
	g_string_append(r->out, "</aside></div>");
	web_page_end(r);
	store_case_free(&c);
	if (rc != 0)
		web_fail(r, &r->err);
}

/* ---- attachments ------------------------------------------------------ */

static const char *
web_safe_type(const char *type)
{
	for (size_t i = 0; type != NULL && i < G_N_ELEMENTS(web_safe_types);
	     i++)
		if (g_ascii_strcasecmp(type, web_safe_types[i]) == 0)
			return web_safe_types[i];
	return "application/octet-stream";
}

/* filename for Content-Disposition: printable ASCII without quotes or
 * backslashes (others become '_'), and the UTF-8 name as RFC 5987's
 * filename* so browsers keep it. */
static char *
web_disposition(const char *name)
{
	char *ascii = g_strdup(name != NULL && name[0] != '\0' ? name
						: "attachment");
	char *utf8 = g_utf8_make_valid(ascii, -1);
	char *enc = g_uri_escape_string(utf8, NULL, FALSE);
	char *out;

	for (char *p = ascii; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
		    *p == '"' || *p == '\\' || *p == ';')
			*p = '_';
	out = g_strdup_printf("attachment; filename=\"%s\"; "
			      "filename*=UTF-8''%s", ascii, enc);
	g_free(ascii);
	g_free(utf8);
	g_free(enc);
	return out;
}

void
web_attachment(struct web_req *r, const char *rest)
{
	char *end = NULL;
	int64_t mid = g_ascii_strtoll(rest, &end, 10);
	long n = end != NULL && *end == '/' ? strtol(end + 1, &end, 10) : -1;
	struct store_message *m = NULL;
	const struct store_attachment *a;
	char *data = NULL, *disp;
	size_t len = 0;

	if (mid <= 0 || n < 0 || end == NULL || *end != '\0' ||
	    store_message_get(r->store, NULL, mid, &m, &r->err) != 0 ||
	    m->case_id == 0 || (guint)n >= m->attachments->len ||
	    ((const struct store_attachment *)
	     m->attachments->pdata[n])->sha256 == NULL) {
		store_message_free(&m);
		web_error_page(r, MHD_HTTP_NOT_FOUND, "no such attachment");
		return;
	}
	a = m->attachments->pdata[n];
	if (attach_get(r->web->cfg->store_attachments, a->sha256, &data, &len,
		       &r->err) != 0) {
		store_message_free(&m);
		web_fail(r, &r->err);
		return;
	}
	r->out_bytes = g_bytes_new_take(data, len);
	r->content_type = web_safe_type(a->content_type);
	disp = web_disposition(a->filename);
	web_add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	g_free(disp);
	store_message_free(&m);
}
