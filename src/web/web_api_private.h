/*
 * web_api_private.h - what web_api.c (the request: who, what, errors)
 * and web_api_cases.c (the endpoints) share.
 */
#ifndef CASEMAIL_WEB_API_PRIVATE_H
#define CASEMAIL_WEB_API_PRIVATE_H

#include <json-glib/json-glib.h>

#include "casemail/case.h"
#include "casemail/error.h"
#include "casemail/web_api.h"

/* One request being answered. */
struct api_req {
	const struct web_api_env *env;
	char *agent;              /* who the token acts as */
	GHashTable *query;        /* name -> value, both unescaped */
	JsonParser *parser;       /* the body's, or NULL */
	JsonObject *body;         /* POST: the body's object */
	int64_t case_id;          /* /cases/NUMBER..., else 0 */
	struct cm_error err;      /* for the model's calls */
	int status;
	JsonNode *answer;         /* the result (or the error) */
};

/* A handler's result: API_DONE with req->answer set, or API_FAILED
 * after api_fail() set the error answer. */
enum { API_DONE = 0, API_FAILED = 1 };

/* Answer status with {"error":{"code":code,"message":...}}; returns
 * API_FAILED. */
int api_fail(struct api_req *req, int status, const char *code,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The answer for a CM_E* code rc with req->err's message (not found 404,
 * a usage or input error 400, against the rules 409, busy 503, else
 * 500); returns API_FAILED. */
int api_fail_cm(struct api_req *req, int rc);

/* Answer status with node (taken). Returns API_DONE. */
int api_answer(struct api_req *req, int status, JsonNode *node);

/* The case with its relations as casectl show --json prints it (with
 * messages and events when full), as the answer with status. */
int api_answer_case(struct api_req *req, int status, int64_t id, int full);

/* fn(req, data) in one transaction: all of it or nothing.  Returns fn's
 * result (API_DONE or API_FAILED). */
int api_write(struct api_req *req, int (*fn)(struct api_req *, void *),
	      void *data);

/* A case context acting as the token's agent at env->now. */
void api_ctx(const struct api_req *req, struct case_ctx *ctx);

/*
 * The body's members are all in allowed (NULL-terminated): API_FAILED
 * (400) naming the first that is not, so a typo is not silently ignored.
 */
int api_body_only(struct api_req *req, const char *const *allowed);

/* Member name of the body as a string into *v_r (NULL when absent):
 * API_FAILED (400) when it is there but not a string, or missing and
 * required. */
int api_body_string(struct api_req *req, const char *name, int required,
		    const char **v_r);

/* Member name as a boolean (absent: 0). */
int api_body_bool(struct api_req *req, const char *name, int *v_r);

/* Member name, an object of strings, into *table_r (a new
 * GHashTable of g_strdup()ed names and values; NULL when absent). */
int api_body_strings(struct api_req *req, const char *name,
		     GHashTable **table_r);

/* A query string is a few filters, not a document. */
#define API_QUERY_MAX_BYTES 8192

/* Parse query "a=b&c=d" (percent-escapes, '+' a space; a later name
 * wins) into into (g_strdup()ed names and values): 0, or -1 when it is
 * malformed, not UTF-8 or over API_QUERY_MAX_BYTES. */
int api_query_parse(const char *query, GHashTable *into);

/* The endpoints (web_api_cases.c). */
int api_cases_list(struct api_req *req);
int api_case_show(struct api_req *req);
int api_case_create(struct api_req *req);
int api_case_note(struct api_req *req);
int api_case_reply(struct api_req *req);
int api_case_solve(struct api_req *req);

#endif
