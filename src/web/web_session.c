/*
 * web_session.c - who is at the browser: sessions in a cookie, the
 * trusted single sign-on header, the login form, CSRF tokens, sign-out.
 *
 * The cookie holds a random token; the store keeps only its SHA-256, so
 * the cookie is bound to one row: signing out deletes the row and the
 * cookie, copied or not, signs nobody in again.  Each session has its own
 * CSRF token, which every POST form carries; a token of another session
 * (another agent's page) does not pass.  The login form, which has no
 * session yet, is protected by a token in its own short-lived cookie that
 * the form must repeat (a page elsewhere can neither read nor set it).
 */
#include "web_private.h"

#include <microhttpd.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/agent.h"
#include "casemail/log.h"
#include "casemail/random.h"
#include "casemail/webauth.h"

/* A login form is filled in within this; then it is reloaded. */
#define WEB_LOGIN_FORM_SECS 3600
/* What a wrong password and a refused sign-in both say. */
#define WEB_LOGIN_FAILED "Wrong email or password."

int
web_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static char *
web_token_hash(const char *token)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

/* "Set-Cookie" for name=value, max_age seconds (0: delete it). */
static void
web_set_cookie(struct web_req *r, const char *name, const char *value,
	       int max_age)
{
	char *c = g_strdup_printf("%s=%s; Path=/; Max-Age=%d; HttpOnly; "
				  "SameSite=Strict%s", name, value, max_age,
				  r->web->cfg->web_secure_cookies
				  ? "; Secure" : "");

	web_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
	g_free(c);
}

/* The agent's display name, for the page header. */
static void
web_session_name(struct web_req *r)
{
	struct store_agent *a = NULL;

	if (agent_find(r->store, r->session->agent, &a, NULL) == 0 &&
	    a != NULL)
		r->actor_name = g_strdup(a->name);
	store_agent_free(&a);
}

/* A new session for agent: its row, and the cookie for it. */
static int
web_session_new(struct web_req *r, const char *agent)
{
	char token[2 * WEB_TOKEN_BYTES + 1], csrf[2 * WEB_TOKEN_BYTES + 1];
	struct store_websession ws = { 0 };
	int rc;

	random_hex(token, WEB_TOKEN_BYTES);
	random_hex(csrf, WEB_TOKEN_BYTES);
	ws.id_hash = web_token_hash(token);
	ws.agent = (char *)agent;
	ws.csrf = csrf;
	ws.created_at = r->now;
	ws.expires_at = r->now + r->web->cfg->web_session_ttl_secs;
	rc = store_begin(r->store, &r->err);
	if (rc == 0)
		rc = store_websession_purge(r->store, r->now, NULL, &r->err);
	if (rc == 0)
		rc = store_websession_add(r->store, &ws, &r->err);
	if (rc == 0)
		rc = store_commit(r->store, &r->err);
	if (rc != 0)
		store_rollback(r->store);
	if (rc == 0) {
		store_websession_free(&r->session);
		rc = store_websession_get(r->store, ws.id_hash, r->now,
					  &r->session, &r->err);
	}
	if (rc == 0) {
		web_set_cookie(r, WEB_COOKIE_SESSION, token,
			       r->web->cfg->web_session_ttl_secs);
		log_info("web: %s signed in from %s", agent, r->client_ip);
	}
	g_free(ws.id_hash);
	return rc;
}

/* From the configured proxy only: the agent its header names. */
static int
web_session_trusted(struct web_req *r)
{
	const struct config *cfg = r->web->cfg;
	const char *who;
	struct store_agent *a = NULL;
	char *addr = NULL;
	int rc;

	if (cfg->web_trusted_proxy == NULL ||
	    strcmp(cfg->web_trusted_proxy, r->client_ip) != 0 ||
	    (who = web_header(r, cfg->web_trusted_header)) == NULL)
		return 0;
	if (addr_normalize(who, &addr, NULL) != 0)
		return 0;
	/* The proxy's word for who it is, and our session agreeing. */
	if (r->session != NULL && strcmp(r->session->agent, addr) == 0) {
		g_free(addr);
		return 0;
	}
	rc = agent_find(r->store, addr, &a, &r->err);
	if (rc == 0 && a == NULL)
		log_warnx("web: %s from the proxy %s is no enabled agent",
			  addr, r->client_ip);
	else if (rc == 0)
		rc = web_session_new(r, a->address);
	store_agent_free(&a);
	g_free(addr);
	return rc;
}

int
web_session_load(struct web_req *r)
{
	const char *token = web_cookie(r, WEB_COOKIE_SESSION);
	struct store_agent *a = NULL;
	char *hash;
	int rc = 0;

	if (token != NULL && strlen(token) == 2 * WEB_TOKEN_BYTES) {
		hash = web_token_hash(token);
		rc = store_websession_get(r->store, hash, r->now, &r->session,
					  &r->err);
		g_free(hash);
		if (rc == CM_ENOTFOUND)
			rc = 0;
	}
	/* An agent disabled since they signed in is out at once. */
	if (rc == 0 && r->session != NULL) {
		rc = agent_find(r->store, r->session->agent, &a, &r->err);
		if (rc == 0 && a == NULL)
			store_websession_free(&r->session);
		store_agent_free(&a);
	}
	if (rc == 0)
		rc = web_session_trusted(r);
	if (rc == 0 && r->session != NULL)
		web_session_name(r);
	return rc;
}

int
web_csrf_ok(struct web_req *r)
{
	const char *t = web_form(r, "csrf");

	return r->session != NULL && t != NULL &&
	       web_token_equal(t, r->session->csrf);
}

static void
web_login_form(struct web_req *r, const char *email, const char *problem)
{
	const char *had = web_cookie(r, WEB_COOKIE_LOGIN);
	char token[2 * WEB_TOKEN_BYTES + 1];

	/* Keep the browser's token: a second login page loading meanwhile
	 * (another tab, a redirected favicon) must not void the first. */
	if (had != NULL && strlen(had) == 2 * WEB_TOKEN_BYTES &&
	    strspn(had, "0123456789abcdef") == 2 * WEB_TOKEN_BYTES)
		g_strlcpy(token, had, sizeof(token));
	else
		random_hex(token, WEB_TOKEN_BYTES);
	web_set_cookie(r, WEB_COOKIE_LOGIN, token, WEB_LOGIN_FORM_SECS);
	web_page_begin(r, "Sign in");
	web_put(r->out, "<form id=\"login\" method=\"post\" action=\"/login\">"
		"<h1>%s</h1>", r->web->cfg->case_desk_name);
	if (problem != NULL)
		web_put(r->out, "<p class=\"error\">%s</p>", problem);
	web_put(r->out, "<input type=\"hidden\" name=\"login_csrf\" "
		"value=\"%s\"><label>Email <input type=\"email\" "
		"name=\"email\" value=\"%s\" autocomplete=\"username\" "
		"required></label><label>Password <input type=\"password\" "
		"name=\"password\" autocomplete=\"current-password\" "
		"required></label><button type=\"submit\">Sign in</button>"
		"</form>", token, email);
	web_page_end(r);
}

void
web_login_page(struct web_req *r)
{
	web_login_form(r, NULL, NULL);
}

/* Whether too many sign-ins failed for addr (NULL: not an address) or
 * from this client: then this one is refused unchecked, logged, and
 * counted against the client. */
static int
web_login_limited(struct web_req *r, const char *addr)
{
	enum web_limit_verdict v;

	if (r->web->limit == NULL)
		return 0;
	v = web_limit_check(r->web->limit, addr, r->client_ip, r->now);
	if (v == WEB_LIMIT_OK)
		return 0;
	log_warnx("web: sign-in for %s from %s refused: too many failed "
		  "sign-ins for this %s", addr != NULL ? addr : "(no address)",
		  r->client_ip, v == WEB_LIMIT_ACCOUNT ? "account"
		  : "client address");
	web_limit_failed(r->web->limit, NULL, r->client_ip, r->now);
	return 1;
}

void
web_login_post(struct web_req *r)
{
	const char *email = web_form(r, "email");
	const char *password = web_form(r, "password");
	const char *form_token = web_form(r, "login_csrf");
	const char *cookie_token = web_cookie(r, WEB_COOKIE_LOGIN);
	char *addr = NULL;
	int ok = 0;

	if (form_token == NULL || cookie_token == NULL ||
	    !web_token_equal(form_token, cookie_token)) {
		log_warnx("web: login from %s refused: no valid form token",
			  r->client_ip);
		r->status = MHD_HTTP_FORBIDDEN;
		web_login_form(r, email, "This form has expired: please "
			       "sign in again.");
		return;
	}
	if (email != NULL)
		(void)addr_normalize(email, &addr, NULL);
	if (web_login_limited(r, addr)) {
		r->status = MHD_HTTP_UNAUTHORIZED;
		web_login_form(r, email, WEB_LOGIN_FAILED);
		g_free(addr);
		return;
	}
	if (addr != NULL && password != NULL &&
	    agent_password_check(r->store, addr, password, &ok,
				 &r->err) != 0) {
		g_free(addr);
		web_fail(r, &r->err);
		return;
	}
	if (!ok) {
		log_warnx("web: failed sign-in for %s from %s",
			  addr != NULL ? addr : "(no address)", r->client_ip);
		if (r->web->limit != NULL)
			web_limit_failed(r->web->limit, addr, r->client_ip,
					 r->now);
		r->status = MHD_HTTP_UNAUTHORIZED;
		web_login_form(r, email, WEB_LOGIN_FAILED);
	} else if (web_session_new(r, addr) != 0) {
		web_fail(r, &r->err);
	} else {
		if (r->web->limit != NULL)
			web_limit_succeeded(r->web->limit, addr);
		web_set_cookie(r, WEB_COOKIE_LOGIN, "", 0);
		web_redirect(r, "/cases");
	}
	g_free(addr);
}

void
web_logout_post(struct web_req *r)
{
	int rc;

	rc = store_websession_delete(r->store, r->session->id_hash, &r->err);
	if (rc != 0) {
		web_fail(r, &r->err);
		return;
	}
	log_info("web: %s signed out", r->session->agent);
	web_set_cookie(r, WEB_COOKIE_SESSION, "", 0);
	web_redirect(r, "/login");
}
