/*
 * web_list.c - GET /cases: casectl list's views and filters as a page.
 *
 * Query: view (active, mine, new, overdue, breaching, watched, recent,
 * all), status,
 * owner, type, priority, source, watcher (comma-separated values, any may
 * match), field.NAME, q (search words; a case number among them finds
 * that case) and page.  Values are checked and spelled by the same rule
 * as casectl's (case_match_canon()).
 */
#include "web_private.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/case_fields.h"
#include "casemail/casenum.h"
#include "casemail/strv.h"

/* Deeper pages than this are a search's job, not paging's. */
#define WEB_LIST_MAX_PAGE 100

static const struct {
	const char *param;
	enum store_match_key key;
} web_filters[] = {
	{ "status", STORE_MATCH_STATUS }, { "type", STORE_MATCH_TYPE },
	{ "priority", STORE_MATCH_PRIORITY }, { "source", STORE_MATCH_SOURCE },
	{ "owner", STORE_MATCH_OWNER }, { "watcher", STORE_MATCH_WATCHER },
	{ "shipment", STORE_MATCH_SHIPMENT },
};

/* The filters of one list request; the strings are owned here. */
struct web_list {
	struct store_filter f;
	const char *view_name;
	GArray *matches;        /* struct store_match */
	GPtrArray *owned;       /* char ** value arrays and strings */
	int breaching;          /* view breaching: past a service level */
	char *side;
	int page;
};

/* Add the comma-separated values of raw for key (field: its name). */
static int
web_list_match(struct web_req *r, struct web_list *l,
	       enum store_match_key key, const char *field, const char *raw)
{
	char **items = strv_split_list(raw);
	GPtrArray *vals = g_ptr_array_new();
	struct store_match m = { .key = key };
	int rc = 0;

	for (char **p = items; rc == 0 && *p != NULL; p++) {
		char *canon = NULL;

		rc = case_match_canon(r->web->cfg, key, field, *p, &canon,
				      &r->err);
		if (rc == 0)
			g_ptr_array_add(vals, canon);
	}
	g_strfreev(items);
	g_ptr_array_add(vals, NULL);
	if (rc != 0 || vals->len == 1) {
		g_strfreev((char **)g_ptr_array_free(vals, FALSE));
		return rc;
	}
	m.n_values = vals->len - 1;
	m.values = (const char *const *)vals->pdata;
	m.field = field;
	g_ptr_array_add(l->owned, g_ptr_array_free(vals, FALSE));
	g_array_append_val(l->matches, m);
	return 0;
}

static void
web_list_free_owned(gpointer p)
{
	g_strfreev(p);
}

static int
web_list_view(struct web_req *r, struct web_list *l)
{
	const char *v = web_query(r, "view");
	const char *q = web_query(r, "q");

	l->view_name = q != NULL && q[0] != '\0' ? "all" : "active";
	if (v != NULL && v[0] != '\0')
		l->view_name = v;
	if (case_view_parse(l->view_name, &l->f.view, &l->breaching) == 0)
		return 0;
	return cm_error_set(&r->err, CM_EUSAGE, "unknown view '%s' (one of: "
			    "active, mine, new, overdue, breaching, watched, "
			    "recent, all)", l->view_name);
}

/* Every field.NAME=VALUE argument of the query. */
struct web_list_fields {
	struct web_req *r;
	struct web_list *l;
	int rc;
};

static enum MHD_Result
web_list_field_arg(void *cls, enum MHD_ValueKind kind, const char *key,
		   const char *value)
{
	struct web_list_fields *wf = cls;

	(void)kind;
	if (value == NULL || !g_str_has_prefix(key, "field.") ||
	    value[0] == '\0')
		return MHD_YES;
	wf->rc = web_list_match(wf->r, wf->l, STORE_MATCH_FIELD,
				key + strlen("field."), value);
	return wf->rc == 0 ? MHD_YES : MHD_NO;
}

static int
web_list_parse(struct web_req *r, struct web_list *l)
{
	const char *q = web_query(r, "q"), *page = web_query(r, "page");
	struct web_list_fields wf = { r, l, 0 };
	int rc = web_list_view(r, l);

	for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(web_filters); i++) {
		const char *v = web_query(r, web_filters[i].param);

		if (v != NULL && v[0] != '\0')
			rc = web_list_match(r, l, web_filters[i].key, NULL, v);
	}
	if (rc == 0) {
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
					  web_list_field_arg, &wf);
		rc = wf.rc;
	}
	if (rc == 0 && q != NULL && q[0] != '\0')
		case_filter_text(r->web->cfg, &l->f, q);
	if (rc == 0 && page != NULL)
		l->page = CLAMP(atoi(page), 0, WEB_LIST_MAX_PAGE);
	if (rc == 0)
		rc = case_filter_as(r->store, &l->f, r->session->agent,
				    &l->side);
	l->f.matches = (const struct store_match *)(void *)l->matches->data;
	l->f.n_matches = l->matches->len;
	l->f.limit = (l->page + 1) * WEB_LIST_ROWS + 1;
	return rc;
}

/* The filter form, filled in with what was asked. */
static void
web_list_form(struct web_req *r, const struct web_list *l)
{
	GString *o = r->out;

	web_put(o, "<form class=\"filters\" method=\"get\" action=\"/cases\">"
		"<input type=\"hidden\" name=\"view\" value=\"%s\">",
		l->view_name);
	for (size_t i = 0; i < G_N_ELEMENTS(web_filters); i++)
		web_put(o, "<label>%s <input name=\"%s\" size=\"12\" "
			"value=\"%s\"></label>", web_filters[i].param,
			web_filters[i].param,
			web_query(r, web_filters[i].param));
	web_put(o, "<label>words <input name=\"q\" value=\"%s\"></label>"
		"<button type=\"submit\">Filter</button></form>\n",
		web_query(r, "q"));
}

static void
web_list_row(struct web_req *r, const struct store_case *c)
{
	char num[CASENUM_BUF_SIZE];
	GString *owners = g_string_new(NULL);

	case_format_number(r->web->cfg, c->id, num, sizeof(num));
	for (guint i = 0; i < c->owners->len; i++) {
		const struct store_person *p = c->owners->pdata[i];

		g_string_append_printf(owners, "%s%s", i > 0 ? ", " : "",
				       p->address);
	}
	web_put(r->out, "<tr class=\"case status-%s\"><td><a class=\"case-link\" "
		"href=\"/case/%s\">%s</a></td><td>%s</td>"
		"<td class=\"prio-%s\">%s</td><td>%s</td><td>%s</td><td>",
		store_case_status_name(c->status), num, num,
		store_case_status_name(c->status), c->priority, c->priority,
		c->type, owners->str);
	web_put_time(r, c->updated_at);
	web_put(r->out, "</td><td class=\"subject\"><a href=\"/case/%s\">%s"
		"</a></td></tr>\n", num, c->subject);
	g_string_free(owners, TRUE);
}

/* The link to another page of the same list. */
static void
web_list_pager(struct web_req *r, const struct web_list *l, int more)
{
	GString *q = g_string_new(NULL);
	const char *args[] = { "view", "q", "status", "type", "priority",
			       "source", "owner", "watcher", "shipment" };

	for (size_t i = 0; i < G_N_ELEMENTS(args); i++) {
		const char *v = i == 0 ? l->view_name : web_query(r, args[i]);

		if (v != NULL && v[0] != '\0') {
			char *e = g_uri_escape_string(v, NULL, FALSE);

			g_string_append_printf(q, "%s=%s&", args[i], e);
			g_free(e);
		}
	}
	g_string_append(r->out, "<p class=\"pager\">");
	if (l->page > 0)
		web_put(r->out, "<a href=\"/cases?%spage=%d\">Newer</a> ",
			q->str, l->page - 1);
	if (more && l->page < WEB_LIST_MAX_PAGE)
		web_put(r->out, "<a href=\"/cases?%spage=%d\">Older</a>",
			q->str, l->page + 1);
	g_string_append(r->out, "</p>\n");
	g_string_free(q, TRUE);
}

static int
web_list_rows(struct web_req *r, struct web_list *l, GArray *ids)
{
	guint first = (guint)l->page * WEB_LIST_ROWS;
	guint last = MIN(ids->len, first + WEB_LIST_ROWS);
	int rc = 0;

	web_put(r->out, "<table class=\"cases\"><thead><tr><th>Case</th>"
		"<th>Status</th><th>Priority</th><th>Type</th><th>Owners</th>"
		"<th>Updated</th><th>Subject</th></tr></thead><tbody>\n");
	for (guint i = first; rc == 0 && i < last; i++) {
		struct store_case *c = NULL;

		rc = store_case_get(r->store, g_array_index(ids, int64_t, i),
				    &c, &r->err);
		if (rc == 0)
			web_list_row(r, c);
		store_case_free(&c);
	}
	g_string_append(r->out, "</tbody></table>\n");
	if (rc == 0 && last == first)
		g_string_append(r->out, "<p class=\"none\">No cases.</p>\n");
	if (rc == 0)
		web_list_pager(r, l, ids->len > last);
	return rc;
}

void
web_list_page(struct web_req *r)
{
	struct web_list l = { 0 };
	GArray *ids = NULL;
	char *title;
	int rc;

	store_filter_init(&l.f, r->now);
	l.matches = g_array_new(FALSE, TRUE, sizeof(struct store_match));
	l.owned = g_ptr_array_new_with_free_func(web_list_free_owned);
	rc = web_list_parse(r, &l);
	if (rc == 0 && l.breaching)
		rc = web_sla_breaching(r, &l.f, &ids);
	else if (rc == 0)
		rc = store_case_list(r->store, &l.f, &ids, &r->err);
	if (rc == 0) {
		title = g_strdup_printf("Cases: %s", l.view_name);
		web_page_begin(r, title);
		web_put(r->out, "<h1>%s</h1>", title);
		g_free(title);
		web_list_form(r, &l);
		rc = web_list_rows(r, &l, ids);
		web_page_end(r);
	}
	if (rc != 0)
		web_fail(r, &r->err);
	if (ids != NULL)
		g_array_unref(ids);
	g_array_unref(l.matches);
	g_ptr_array_unref(l.owned);
	g_free(l.side);
}
