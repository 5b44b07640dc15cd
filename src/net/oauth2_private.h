/*
 * oauth2_private.h - what the oauth2*.c files share; not part of the
 * module's contract (casemail/oauth2.h).
 *
 *   oauth2.c        the token source: cache, refresh, backoff, states
 *   oauth2_http.c   one form POST to an endpoint, reading its JSON reply
 *   oauth2_file.c   atomic writes, the refresh token and the state file
 *   oauth2_login.c  casectl oauth login: device and PKCE flows
 */
#ifndef CASEMAIL_OAUTH2_PRIVATE_H
#define CASEMAIL_OAUTH2_PRIVATE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "casemail/oauth2.h"

/* Connect and whole-request limit for the token endpoint. */
#define OAUTH2_HTTP_TIMEOUT_SECS 30

/* What one POST brought back. */
struct oauth2_http {
	long status;      /* HTTP status; 0 when no answer came */
	GString *body;    /* at most OAUTH2_REPLY_MAX_BYTES */
};

/*
 * POST form (name, value pairs, NULL-terminated; values are escaped
 * here) to url, TLS verified against ca_file (NULL: system trust).
 * Returns 0 with *res filled whenever the server answered (any status),
 * CM_ETEMP with err (no secret in it) when it did not.  res->body is
 * freed with oauth2_http_clear().
 */
int oauth2_http_post(const char *url, const char *ca_file,
		     const char *const *form, struct oauth2_http *res,
		     struct cm_error *err);
void oauth2_http_clear(struct oauth2_http *res);

/*
 * A POST to the token endpoint with the client's id (and secret, when
 * secret is non-NULL) added to form, parsed into r.  0 when the server
 * gave a JSON answer (r->error set for a refusal), CM_ETEMP when it did
 * not answer or answered 5xx or garbage.
 */
int oauth2_token_request(const struct config *cfg, const char *secret,
			 const char *const *form, struct oauth2_reply *r,
			 struct cm_error *err);

/* The client secret from client_secret_file, or NULL when none is
 * configured (*secret_r, wipe and g_free()). */
int oauth2_client_secret(const struct config *cfg, char **secret_r,
			 struct cm_error *err);

/* Save a (new) refresh token to refresh_token_file, mode 0600. */
int oauth2_save_refresh(const struct config *cfg, const char *token,
			struct cm_error *err);

/* Write the state file: state, valid_until and last_refresh (0: never),
 * last_error (may be ""). Failures are logged once, not returned. */
void oauth2_state_write(const struct config *cfg, const char *state,
			int64_t valid_until, int64_t last_refresh,
			const char *last_error);

/*
 * Server text for an admin's terminal or a log line: printable UTF-8 on
 * one line, at most max bytes, cut on a character boundary.  Controls
 * (C0, C1, DEL), format characters (bidi overrides) and line breaks
 * become a space, bytes that are not UTF-8 a '?'.  Never NULL (g_free).
 */
char *oauth2_clean(const char *s, size_t max);

/* JSON member name of o as a whole number (also a quoted one; a
 * fraction rounds up), def when absent or not a number within
 * +-G_MAXINT32.  Callers still check their own range. */
int64_t oauth2_json_int(JsonObject *o, const char *name, int64_t def);

/*
 * The loopback listener of the authorization code login, on lfd (a
 * listening socket): reads up to OAUTH2_LISTEN_CONNS connections at
 * once, each for at most conn_ms in all, so a silent or slow local
 * client neither holds it nor delays the browser.  Only "GET /callback"
 * with state ends it: 1 with *code_r (wipe, g_free), negative with err
 * when the redirect says the login was refused.  0 once
 * g_get_monotonic_time() reaches deadline.
 */
int oauth2_redirect_wait(int lfd, const char *state, int64_t deadline,
			 int conn_ms, char **code_r, struct cm_error *err);

/* A token as the server sent it is one line of visible ASCII. */
int oauth2_token_ok(const char *t);

#endif
