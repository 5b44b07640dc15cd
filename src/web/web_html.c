/*
 * web_html.c - casemail-web's output: the page frame and the style
 * sheet, around the one escaping function every printed value goes
 * through and the small formatter built on it (web_esc.c).
 *
 * There is no inline script or style anywhere (the Content-Security-Policy
 * forbids both), so an escaped value can only ever be text.
 */
#include "web_private.h"

#include "casemail/timeutil.h"

void
web_put_time(struct web_req *r, int64_t t)
{
	char buf[TIME_ISO_SIZE];

	if (t == 0) {
		g_string_append(r->out, "-");
		return;
	}
	time_format_zone(t, r->web->cfg->case_timezone, buf, sizeof(buf));
	web_esc(r->out, buf);
}

void
web_csrf_field(struct web_req *r)
{
	if (r->session != NULL)
		web_put(r->out, "<input type=\"hidden\" name=\"csrf\" "
			"value=\"%s\">", r->session->csrf);
}

static const struct {
	const char *view, *label;
} web_nav_views[] = {
	{ "active", "Active" }, { "mine", "Mine" }, { "new", "New" },
	{ "overdue", "Overdue" }, { "breaching", "Breaching" },
	{ "watched", "Watched" },
	{ "recent", "Recent" }, { "all", "All" },
};

static void
web_nav(struct web_req *r)
{
	GString *o = r->out;

	web_put(o, "<header><nav><a class=\"brand\" href=\"/cases\">%s</a>",
		r->web->cfg->case_desk_name);
	for (size_t i = 0; i < G_N_ELEMENTS(web_nav_views); i++)
		web_put(o, " <a href=\"/cases?view=%s\">%s</a>",
			web_nav_views[i].view, web_nav_views[i].label);
	web_put(o, " <a href=\"/reports\">Reports</a>"
		"<form class=\"search\" method=\"get\" action=\"/cases\">"
		"<input type=\"search\" name=\"q\" placeholder=\"Search\" "
		"value=\"%s\"><input type=\"hidden\" name=\"view\" "
		"value=\"all\"></form>", web_query(r, "q"));
	web_put(o, "<form id=\"logout\" method=\"post\" action=\"/logout\">"
		"<span class=\"who\">%s</span> ",
		r->actor_name != NULL ? r->actor_name : r->session->agent);
	web_csrf_field(r);
	g_string_append(o, "<button type=\"submit\">Sign out</button></form>"
			"</nav></header>\n");
}

void
web_page_begin(struct web_req *r, const char *title)
{
	web_put(r->out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width\">"
		"<title>%s</title>"
		"<link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n",
		title);
	if (r->session != NULL)
		web_nav(r);
	g_string_append(r->out, "<main>\n");
}

void
web_page_end(struct web_req *r)
{
	g_string_append(r->out, "</main></body></html>\n");
}

const char web_style_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;"
	"background:#f6f7f9}\n"
	"header{background:#1f3a5f;padding:.5em 1em}\n"
	"header a,header .who{color:#fff;margin-right:.8em;"
	"text-decoration:none}\n"
	"header .brand{font-weight:bold;margin-right:1.5em}\n"
	"header form{display:inline;margin-left:1em}\n"
	"#logout{float:right}\n"
	"main{padding:1em 1.5em}\n"
	"table.cases{border-collapse:collapse;width:100%;background:#fff}\n"
	"table.cases th,table.cases td{border-bottom:1px solid #dde1e6;"
	"padding:.35em .5em;text-align:left;white-space:nowrap}\n"
	"table.cases td.subject{white-space:normal;width:100%}\n"
	"tr.case:hover{background:#eef3fa}\n"
	".prio-high,.prio-urgent{color:#b3261e;font-weight:bold}\n"
	".status-solved{color:#5b6b7b}\n"
	".filters{margin-bottom:1em}.filters label{margin-right:.6em}\n"
	".layout{display:flex;gap:1.5em;align-items:flex-start}\n"
	".layout>.main{flex:3;min-width:0}.layout>aside{flex:1}\n"
	"aside section,.thread,.box{background:#fff;border:1px solid #dde1e6;"
	"border-radius:4px;padding:.6em .9em;margin-bottom:1em}\n"
	"div.message{border-bottom:1px solid #e3e6ea;padding:.5em 0}\n"
	"div.message.internal{background:#fffbe6}\n"
	"div.message pre,pre.preview{white-space:pre-wrap;"
	"font:13px/1.4 ui-monospace,monospace;margin:.4em 0}\n"
	".meta{color:#5b6b7b;font-size:12px}\n"
	"form.action{margin:.5em 0}\n"
	"form.action.inline{display:inline;margin:0}\n"
	"textarea{width:100%;min-height:5em}\n"
	".error{background:#fdecea;border:1px solid #f5c2c0;padding:.6em;"
	"border-radius:4px}\n"
	".notice{background:#e8f4ea;border:1px solid #b9dfc0;padding:.6em;"
	"border-radius:4px}\n"
	"#login{max-width:22em;margin:4em auto;background:#fff;padding:1.5em;"
	"border:1px solid #dde1e6;border-radius:4px}\n"
	"#login input{display:block;width:100%;margin:.3em 0 .8em}\n"
	"ol.history{padding-left:1.2em;font-size:13px}\n"
	".pager{margin-top:.8em}\n";
