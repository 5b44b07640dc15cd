/*
 * web_private.h - what casemail-web's files share: the server, one
 * request and its answer, HTML output, sessions and the pages.
 *
 * Threads.  libmicrohttpd runs a small pool of threads; each request runs
 * start to end on one of them and uses that thread's own store handle
 * (web_store()), so no struct store is ever shared.  struct web is read
 * only once the server runs.
 */
#ifndef CASEMAIL_WEB_PRIVATE_H
#define CASEMAIL_WEB_PRIVATE_H

#include <glib.h>
#include <stdint.h>

#include "casemail/case.h"
#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"
#include "casemail/store_websession.h"
#include "web_limit.h"

/* Rows on one page of the case list. */
#define WEB_LIST_ROWS 100
/* The session cookie and the login form's own CSRF cookie. */
#define WEB_COOKIE_SESSION "cm_session"
#define WEB_COOKIE_LOGIN "cm_login"
/* Random bytes in a session token and a CSRF token (hex: twice). */
#define WEB_TOKEN_BYTES 32

struct web {
	struct config *cfg;
	int64_t (*clock)(void);     /* now, seconds */
	struct web_limit *limit;    /* sign-in limits, or NULL: none */
};

/* One request and the answer being built. */
struct web_req {
	const struct web *web;
	void *conn;                 /* struct MHD_Connection * */
	const char *method;         /* "GET", "POST" */
	const char *path;           /* without the query */
	GString *body;              /* the request body (POST) */
	GHashTable *form;           /* the body's form fields, or NULL */
	char client_ip[64];
	struct store *store;        /* this thread's (web_store()) */
	int64_t now;
	struct cm_error err;

	/* Signed in (web_session_load()), else NULL. */
	struct store_websession *session;
	char *actor_name;           /* the agent's display name */

	/* The answer. */
	int status;
	const char *content_type;
	GString *out;
	GBytes *out_bytes;          /* instead of out (attachments) */
	char *location;             /* a redirect */
	GPtrArray *headers;         /* "Name: value" strings, extra */
};

/* ---- web_http.c: requests -------------------------------------------- */

/* A query argument, or NULL. */
const char *web_query(struct web_req *r, const char *name);
/* A request header, or NULL. */
const char *web_header(struct web_req *r, const char *name);
/* A cookie, or NULL. */
const char *web_cookie(struct web_req *r, const char *name);
/* A form field of a POST, or NULL. */
const char *web_form(struct web_req *r, const char *name);
/* Add a response header (value must hold no CR or LF). */
void web_add_header(struct web_req *r, const char *name, const char *value);
/* Answer 303 See Other to location (a path of ours). */
void web_redirect(struct web_req *r, const char *location);
/* An error page with status and message (escaped). */
void web_error_page(struct web_req *r, int status, const char *message);
/* An error page for a failed call: status from err's code. */
void web_fail(struct web_req *r, const struct cm_error *err);

/* Parse an application/x-www-form-urlencoded body into a new table (key ->
 * value, later duplicates win); NULL for a malformed one. */
GHashTable *web_parse_form(const char *data, size_t len);

/* ---- web_html.c: output ---------------------------------------------- */

/* Append text to out with &, <, >, " and ' escaped, invalid UTF-8 made
 * valid and control characters but newline and tab dropped.  NULL:
 * nothing.  The only way a value reaches a page. */
void web_esc(GString *out, const char *text);

/*
 * Append fmt to out; the conversions are %s (a string, escaped with
 * web_esc()), %d (int), %D (int64_t), %R (a trusted fragment we built,
 * not escaped) and %%.  No other.
 */
void web_put(GString *out, const char *fmt, ...);

/* The page around the content: head (title escaped), the navigation for
 * the signed-in agent, and after web_page_end() the footer. */
void web_page_begin(struct web_req *r, const char *title);
void web_page_end(struct web_req *r);
/* A hidden CSRF field for a form of this session. */
void web_csrf_field(struct web_req *r);
/* A time as local "YYYY-MM-DD HH:MM" ([case] timezone), or "-" for 0. */
void web_put_time(struct web_req *r, int64_t t);

/* The style sheet (served as /style.css). */
extern const char web_style_css[];

/* ---- web_session.c: sign-in, sessions, CSRF --------------------------- */

/* Load the session of the request's cookie, or sign in through the
 * trusted proxy's header.  0 with r->session set or NULL; < 0 on a store
 * failure. */
int web_session_load(struct web_req *r);
/* Whether the POST carries the session's CSRF token (constant time). */
int web_csrf_ok(struct web_req *r);
/* GET and POST /login, POST /logout. */
void web_login_page(struct web_req *r);
void web_login_post(struct web_req *r);
void web_logout_post(struct web_req *r);

/* Whether a and b (NUL-terminated) are equal, in time that depends on
 * their lengths only. */
int web_token_equal(const char *a, const char *b);

/* ---- pages ------------------------------------------------------------ */

/* GET /cases (web_list.c). */
void web_list_page(struct web_req *r);
/* GET /case/NUMBER and its POST actions (web_case.c, web_action.c). */
void web_case_page(struct web_req *r, int64_t id);
void web_case_action(struct web_req *r, int64_t id, const char *action);
/* What the reply form shows again after a preview or a refusal. */
struct web_reply_state {
	const char *template_name;
	const char *text;
	const char *preview;     /* the rendered message, or NULL */
	const char *problem;     /* why it was refused, or NULL */
};
/* The forms of the case page's actions (web_action.c); reply NULL: an
 * empty reply form.  0, or a store error in r->err. */
int web_case_forms(struct web_req *r, const struct store_case *c,
		   const char *num, const struct web_reply_state *reply);
/* The case page with reply shown in its reply form (after a preview). */
void web_case_page_reply(struct web_req *r, int64_t id,
			 const struct web_reply_state *reply);
/* The edit form (type, priority, follow-up), a button that takes
 * address off the case (action "unassign" with field "owner", "unwatch"
 * with "user"), and what they do, in the caller's transaction
 * (web_edit.c).  0 or an error in r->err. */
void web_edit_form(struct web_req *r, const struct store_case *c,
		   const char *num);
void web_remove_button(struct web_req *r, const char *num,
		       const char *action, const char *field,
		       const char *address, const char *label);
int web_act_edit(struct web_req *r, const struct case_ctx *ctx, int64_t id);
int web_act_unassign(struct web_req *r, const struct case_ctx *ctx,
		     int64_t id);
int web_act_unwatch(struct web_req *r, const struct case_ctx *ctx,
		    int64_t id);
/* GET /attachment/MSG/N (web_case.c). */
void web_attachment(struct web_req *r, const char *rest);

/* Service levels (web_sla.c): the cases of f that breach a target at
 * f->now (*ids_r, caller unrefs); the <dt>/<dd> lines of case id's
 * clocks, nothing without targets.  0 or an error in r->err. */
int web_sla_breaching(struct web_req *r, const struct store_filter *f,
		      GArray **ids_r);
int web_sla_due(struct web_req *r, int64_t id);

/* A case context for the signed-in agent. */
void web_ctx(struct web_req *r, struct case_ctx *ctx);

/* ---- the server (web_http.c) ------------------------------------------ */

/* Start serving on cfg's [web] listen; runs until web_stop().  Errors at
 * start-up in err. */
struct web_server;
int web_server_start(struct web *w, struct web_server **srv_r,
		     struct cm_error *err);
void web_server_stop(struct web_server **srv);

/* Parse "host:port" / "[v6]:port" into a socket address; CM_ECONFIG
 * unless it is loopback or allow_remote. */
int web_listen_parse(const char *listen, int allow_remote, void *sa_r,
		     unsigned *sa_len_r, struct cm_error *err);

#endif
