/*
 * web_api.h - casemail-web's JSON API under /api/v1 (docs/casemail-api.7),
 * independent of the HTTP server: the server hands each request here and
 * writes back the status and the JSON.
 *
 * Who asks: a bearer token of an API client (webauth.h), which acts as
 * its agent.  What it may do: list, search and show cases, create a case
 * (source "api"), add a note, reply with a template, solve, all through
 * the case model and outbound functions casectl uses.  Every answer is a
 * JSON object; an error is {"error": {"code": C, "message": M}} with C one
 * of the WEB_API_E* words below and the HTTP status that goes with it.
 *
 * Thread rules: any thread, each with its own store handle in env.
 */
#ifndef CASEMAIL_WEB_API_H
#define CASEMAIL_WEB_API_H

#include <stddef.h>
#include <stdint.h>

#include "casemail/config.h"
#include "casemail/store.h"

/* The error codes, stable: clients branch on them. */
#define WEB_API_EUNAUTHORIZED "unauthorized"   /* 401 */
#define WEB_API_EFORBIDDEN "forbidden"         /* 403 */
#define WEB_API_ENOTFOUND "not_found"          /* 404 */
#define WEB_API_EBADREQUEST "bad_request"      /* 400; 405, 413 */
#define WEB_API_ECONFLICT "conflict"           /* 409 */
#define WEB_API_EINTERNAL "internal"           /* 500, 503 when busy */

/* A page of cases: 100 by default (casectl list's), 1000 at most. */
#define WEB_API_LIST_DEFAULT 100
#define WEB_API_LIST_MAX 1000
/* Paging further than this is a search that should be narrower. */
#define WEB_API_OFFSET_MAX 100000

/* What a request runs with; all borrowed. */
struct web_api_env {
	struct store *store;
	const struct config *cfg;   /* [web] max_body, templates, fields */
	int64_t now;
};

/*
 * Answer one request: method ("GET", "POST"), path after "/api/v1"
 * ("/cases", "/cases/CV000001/notes"), query without the '?' (NULL for
 * none), body of body_len bytes (NULL for none; not NUL-terminated) and
 * bearer_token from the Authorization header (NULL when there is none).
 * Sets *status_r to the HTTP status and *json_r to the answer (g_free()).
 * Returns 0 whenever there is an answer, errors included; a negative
 * CM_E* only if not even an error could be built (never in practice).
 */
int web_api_dispatch(const struct web_api_env *env, const char *method,
		     const char *path, const char *query, const char *body,
		     size_t body_len, const char *bearer_token, int *status_r,
		     char **json_r);

/* An error answer {"error":{"code":code,"message":message}} for what
 * the server refuses before web_api_dispatch() (a body over [web]
 * max_body: 413 with WEB_API_EBADREQUEST).  g_free(). */
char *web_api_error_json(const char *code, const char *message);

#endif
