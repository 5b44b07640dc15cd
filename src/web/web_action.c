/*
 * web_action.c - the case page's forms and what they do: reply with a
 * template (preview, then send), note, assign, watch, solve or reopen,
 * merge; and edit, unassign, unwatch (web_edit.c).  Each POST runs in one transaction through the same case_* and
 * outbound_* calls as casectl, as the signed-in agent, then redirects
 * back to the case (POST, redirect, GET: a reload sends nothing twice).
 */
#include "web_private.h"

#include <microhttpd.h>
#include <string.h>

#include "casemail/case_merge.h"
#include "casemail/casenum.h"
#include "casemail/log.h"
#include "casemail/outbound.h"
#include "casemail/template.h"

/* Form fields named set.KEY carry the template's Requires: values. */
#define WEB_SET_PREFIX "set."

void
web_ctx(struct web_req *r, struct case_ctx *ctx)
{
	ctx->store = r->store;
	ctx->cfg = r->web->cfg;
	ctx->actor = r->session->agent;
	ctx->now = r->now;
}

static int
web_templates(struct web_req *r, GPtrArray **list_r)
{
	return template_load_dir_or_none(r->web->cfg->templates_dir,
					 TEMPLATE_MISSING_QUIET, list_r,
					 &r->err);
}

/* What the agent types for a template's Requires: entry: "field.X" and
 * "caller.X" are given as X (outbound_reply()'s fields); anything else
 * comes from the case, NULL. */
static const char *
web_reply_key(const char *req)
{
	if (g_str_has_prefix(req, "field."))
		return req + strlen("field.");
	if (g_str_has_prefix(req, "caller."))
		return req + strlen("caller.");
	return NULL;
}

/* Whether template t requires the value the agent types as key. */
static int
web_template_wants(const struct template *t, const char *key)
{
	for (guint j = 0; j < t->requires->len; j++)
		if (g_strcmp0(web_reply_key(t->requires->pdata[j]), key) == 0)
			return 1;
	return 0;
}

/* One input per value any template requires, each named for the
 * templates that need it (the form works without script: pick a
 * template, fill in what it names, preview). */
static void
web_reply_inputs(struct web_req *r, GPtrArray *templates)
{
	GPtrArray *keys = g_ptr_array_new();

	for (guint i = 0; i < templates->len; i++) {
		const struct template *t = templates->pdata[i];

		for (guint j = 0; j < t->requires->len; j++) {
			const char *key = web_reply_key(t->requires->pdata[j]);

			if (key != NULL && !g_ptr_array_find_with_equal_func(
					keys, key, g_str_equal, NULL))
				g_ptr_array_add(keys, (gpointer)key);
		}
	}
	for (guint k = 0; k < keys->len; k++) {
		const char *key = keys->pdata[k];
		char *name = g_strconcat(WEB_SET_PREFIX, key, NULL);
		GString *who = g_string_new(NULL);

		for (guint i = 0; i < templates->len; i++) {
			const struct template *t = templates->pdata[i];

			if (web_template_wants(t, key))
				g_string_append_printf(who, "%s%s",
						       who->len ? ", " : "",
						       t->name);
		}
		web_put(r->out, "<label>%s <span class=\"meta\">(%s)</span> "
			"<input name=\"%s\" value=\"%s\"></label><br>", key,
			who->str, name, web_form(r, name));
		g_string_free(who, TRUE);
		g_free(name);
	}
	g_ptr_array_unref(keys);
}

static void
web_reply_form(struct web_req *r, const char *num, GPtrArray *templates,
	       const struct web_reply_state *st)
{
	const char *chosen = st != NULL ? st->template_name : NULL;

	web_put(r->out, "<section class=\"box\"><h2>Reply</h2>");
	if (st != NULL && st->problem != NULL)
		web_put(r->out, "<p class=\"error\">%s</p>", st->problem);
	if (st != NULL && st->preview != NULL)
		web_put(r->out, "<p>Preview: nothing is sent until you press "
			"Send.</p><pre class=\"preview\">%s</pre>",
			st->preview);
	web_put(r->out, "<form id=\"reply\" class=\"action\" method=\"post\" "
		"action=\"/case/%s/reply\">", num);
	web_csrf_field(r);
	g_string_append(r->out, "<label>Template <select name=\"template\">"
			"<option value=\"\">(free text)</option>");
	for (guint i = 0; i < templates->len; i++) {
		const struct template *t = templates->pdata[i];

		web_put(r->out, "<option value=\"%s\"%R>%s%R%s</option>",
			t->name, g_strcmp0(chosen, t->name) == 0
			? " selected" : "", t->name,
			t->description != NULL ? ": " : "",
			t->description);
	}
	g_string_append(r->out, "</select></label><br>");
	web_reply_inputs(r, templates);
	web_put(r->out, "<label>Text<textarea name=\"text\">%s</textarea>"
		"</label><button type=\"submit\" name=\"preview\" value=\"1\">"
		"Preview</button>", st != NULL ? st->text : NULL);
	if (st != NULL && st->preview != NULL)
		g_string_append(r->out, " <button type=\"submit\" name=\"send\" "
				"value=\"1\">Send</button>");
	g_string_append(r->out, "</form></section>\n");
}

/* A small form posting to /case/NUM/ACTION with one button. */
static void
web_button_form(struct web_req *r, const char *num, const char *id,
		const char *action, const char *fields, const char *label)
{
	web_put(r->out, "<form id=\"%s\" class=\"action\" method=\"post\" "
		"action=\"/case/%s/%s\">", id, num, action);
	web_csrf_field(r);
	web_put(r->out, "%R<button type=\"submit\">%s</button></form>",
		fields, label);
}

int
web_case_forms(struct web_req *r, const struct store_case *c,
	       const char *num, const struct web_reply_state *reply)
{
	GPtrArray *templates = NULL;
	int watching = case_role_of(c, r->session->agent) != NULL &&
		       strcmp(case_role_of(c, r->session->agent),
			      "watcher") == 0;
	int rc = web_templates(r, &templates);

	if (rc != 0)
		return rc;
	web_reply_form(r, num, templates, reply);
	g_ptr_array_unref(templates);
	web_put(r->out, "<section class=\"box\"><h2>Note</h2>"
		"<form id=\"note\" class=\"action\" method=\"post\" "
		"action=\"/case/%s/note\">", num);
	web_csrf_field(r);
	g_string_append(r->out, "<textarea name=\"text\" required></textarea>"
			"<label><input type=\"checkbox\" name=\"public\" "
			"value=\"1\"> public (mailed to the case's people)"
			"</label> <button type=\"submit\">Add note</button>"
			"</form></section>\n<section class=\"box\">"
			"<h2>Work</h2>");
	web_edit_form(r, c, num);
	web_put(r->out, "<form id=\"assign\" class=\"action\" method=\"post\" "
		"action=\"/case/%s/assign\">", num);
	web_csrf_field(r);
	web_put(r->out, "<label>Owner <input type=\"email\" name=\"owner\" "
		"value=\"%s\"></label> <label>Side <select name=\"side\">"
		"<option value=\"\">their own</option><option>shipper"
		"</option><option>carrier</option></select></label> "
		"<button type=\"submit\">Assign</button></form>",
		r->session->agent);
	web_button_form(r, num, "watch", "watch", watching
			? "<input type=\"hidden\" name=\"stop\" value=\"1\">"
			: "", watching ? "Stop watching" : "Watch");
	if (c->status == STORE_CASE_ACTIVE)
		web_button_form(r, num, "solve", "solve", "", "Solve");
	else
		web_button_form(r, num, "reopen", "reopen", "", "Reopen");
	web_button_form(r, num, "merge", "merge", "<label>Merge into case "
			"<input name=\"into\" size=\"10\" required></label> ",
			"Merge");
	g_string_append(r->out, "</section>\n");
	return 0;
}

/* ---- actions ----------------------------------------------------------- */

/* The set.KEY fields of the form, as the template's values. */
static GHashTable *
web_reply_fields(struct web_req *r)
{
	GHashTable *f = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, r->form);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (g_str_has_prefix(k, WEB_SET_PREFIX) &&
		    ((const char *)v)[0] != '\0')
			g_hash_table_replace(f, g_strdup((char *)k +
						strlen(WEB_SET_PREFIX)),
					     g_strdup(v));
	return f;
}

/* Render (preview) or queue the reply; in the caller's transaction. */
static int
web_reply_run(struct web_req *r, int64_t id, int preview,
	      GString *rendered)
{
	const char *tmpl = web_form(r, "template"), *text = web_form(r, "text");
	struct outbound_reply_req q = { 0 };
	struct outbound out;
	GPtrArray *templates = NULL;
	int rc = web_templates(r, &templates);

	if (rc != 0)
		return rc;
	q.template_name = tmpl != NULL && tmpl[0] != '\0' ? tmpl : NULL;
	q.text = text != NULL && text[0] != '\0' ? text : NULL;
	if (q.template_name == NULL && q.text == NULL) {
		g_ptr_array_unref(templates);
		return cm_error_set(&r->err, CM_EUSAGE, "choose a template or "
				    "write a text");
	}
	q.fields = web_reply_fields(r);
	q.actor = r->session->agent;
	q.actor_name = r->actor_name;
	outbound_init(&out, r->store, r->web->cfg, templates);
	rc = outbound_reply(&out, id, &q, r->now, preview ? rendered : NULL,
			    &r->err);
	outbound_clear(&out);
	g_hash_table_unref(q.fields);
	g_ptr_array_unref(templates);
	return rc;
}

static int
web_act_note(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	const char *text = web_form(r, "text");
	struct outbound out;
	GPtrArray *templates = NULL;
	int rc;

	if (text == NULL || text[0] == '\0')
		return cm_error_set(&r->err, CM_EUSAGE, "the note is empty");
	if (web_form(r, "public") == NULL)
		return case_note(ctx, id, text, &r->err);
	if ((rc = web_templates(r, &templates)) != 0)
		return rc;
	outbound_init(&out, r->store, r->web->cfg, templates);
	rc = outbound_public_note(&out, ctx, id, text, &r->err);
	outbound_clear(&out);
	g_ptr_array_unref(templates);
	return rc;
}

static int
web_act_assign(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	const char *owner = web_form(r, "owner"), *side = web_form(r, "side");

	if (owner == NULL || owner[0] == '\0')
		owner = r->session->agent;
	return case_assign(ctx, id, owner, side != NULL && side[0] != '\0'
			   ? side : NULL, NULL, &r->err);
}

static int
web_act_watch(struct web_req *r, const struct case_ctx *ctx, int64_t id)
{
	int changed;

	if (web_form(r, "stop") != NULL)
		return case_unwatch(ctx, id, r->session->agent, &changed,
				    &r->err);
	return case_watch(ctx, id, r->session->agent, &changed, &r->err);
}

static int
web_act_merge(struct web_req *r, const struct case_ctx *ctx, int64_t id,
	      int64_t *final_r)
{
	const char *into = web_form(r, "into");
	struct store_merge_counts n;
	int64_t into_id;
	int rc;

	if (into == NULL)
		return cm_error_set(&r->err, CM_EUSAGE, "merge into which "
				    "case?");
	rc = case_parse_number(r->web->cfg, into, &into_id, &r->err);
	if (rc == 0)
		rc = case_merge(ctx, id, into_id, final_r, &n, &r->err);
	return rc;
}

/* Run one action in a transaction; *go_r: the case to show after. */
static int
web_act(struct web_req *r, int64_t id, const char *action, int64_t *go_r,
	const char **done_r)
{
	struct case_ctx ctx;
	int rc;

	web_ctx(r, &ctx);
	*go_r = id;
	if ((rc = store_begin(r->store, &r->err)) != 0)
		return rc;
	if (strcmp(action, "reply") == 0) {
		rc = web_reply_run(r, id, 0, NULL);
		*done_r = "Reply queued.";
	} else if (strcmp(action, "note") == 0) {
		rc = web_act_note(r, &ctx, id);
		*done_r = "Note added.";
	} else if (strcmp(action, "assign") == 0) {
		rc = web_act_assign(r, &ctx, id);
		*done_r = "Owner set.";
	} else if (strcmp(action, "watch") == 0) {
		rc = web_act_watch(r, &ctx, id);
		*done_r = "Watching changed.";
	} else if (strcmp(action, "edit") == 0) {
		rc = web_act_edit(r, &ctx, id);
		*done_r = "Case updated.";
	} else if (strcmp(action, "unassign") == 0) {
		rc = web_act_unassign(r, &ctx, id);
		*done_r = "Owner removed.";
	} else if (strcmp(action, "unwatch") == 0) {
		rc = web_act_unwatch(r, &ctx, id);
		*done_r = "Watcher removed.";
	} else if (strcmp(action, "solve") == 0) {
		rc = case_solve(&ctx, id, &r->err);
		*done_r = "Solved.";
	} else if (strcmp(action, "reopen") == 0) {
		rc = case_reopen(&ctx, id, &r->err);
		*done_r = "Reopened.";
	} else if (strcmp(action, "merge") == 0) {
		rc = web_act_merge(r, &ctx, id, go_r);
		*done_r = "Merged into this case.";
	} else {
		rc = cm_error_set(&r->err, CM_ENOTFOUND, "no action '%s'",
				  action);
	}
	if (rc == 0)
		rc = store_commit(r->store, &r->err);
	if (rc != 0)
		store_rollback(r->store);
	return rc;
}

/* The reply form's Preview: render in a transaction that is rolled back,
 * and show the case with the message and a Send button. */
static void
web_reply_preview(struct web_req *r, int64_t id)
{
	struct web_reply_state st = { web_form(r, "template"),
				      web_form(r, "text"), NULL, NULL };
	GString *rendered = g_string_new(NULL);
	int rc = store_begin(r->store, &r->err);

	if (rc == 0)
		rc = web_reply_run(r, id, 1, rendered);
	store_rollback(r->store);
	if (rc == CM_EUSAGE || rc == CM_EREFUSED) {
		st.problem = r->err.msg;
		r->status = MHD_HTTP_BAD_REQUEST;
	} else if (rc != 0) {
		web_fail(r, &r->err);
		g_string_free(rendered, TRUE);
		return;
	} else {
		st.preview = rendered->str;
	}
	web_case_page_reply(r, id, &st);
	g_string_free(rendered, TRUE);
}

void
web_case_action(struct web_req *r, int64_t id, const char *action)
{
	char num[CASENUM_BUF_SIZE], *to, *esc;
	const char *done = NULL;
	int64_t go = id;
	int rc;

	if (strcmp(action, "reply") == 0 && web_form(r, "send") == NULL) {
		web_reply_preview(r, id);
		return;
	}
	rc = web_act(r, id, action, &go, &done);
	case_format_number(r->web->cfg, id, num, sizeof(num));
	if (rc == CM_EUSAGE && strcmp(action, "reply") == 0) {
		struct web_reply_state st = { web_form(r, "template"),
					      web_form(r, "text"), NULL,
					      r->err.msg };

		r->status = MHD_HTTP_BAD_REQUEST;
		web_case_page_reply(r, id, &st);
		return;
	}
	if (rc != 0) {
		web_fail(r, &r->err);
		return;
	}
	log_info("web: case=%s %s by %s", num, action, r->session->agent);
	case_format_number(r->web->cfg, go, num, sizeof(num));
	esc = g_uri_escape_string(done, NULL, FALSE);
	to = g_strdup_printf("/case/%s?done=%s", num, esc);
	web_redirect(r, to);
	g_free(esc);
	g_free(to);
}
