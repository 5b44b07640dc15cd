/*
 * web_limit.h - the sign-in limits of casemail-web ([web] login_failures,
 * login_client_failures, login_window): no libmicrohttpd, no store, so
 * the unit test drives the rule with its own clock.
 */
#ifndef CASEMAIL_WEB_LIMIT_H
#define CASEMAIL_WEB_LIMIT_H

#include <glib.h>
#include <stdint.h>

struct web_limit;

enum web_limit_verdict {
	WEB_LIMIT_OK,
	WEB_LIMIT_ACCOUNT,   /* the account had too many failures */
	WEB_LIMIT_CLIENT,    /* the client address had too many */
};

/* per_account failures per account, per_client per client address (0:
 * no limit), each within window_secs of the key's first failure. */
struct web_limit *web_limit_new(int per_account, int per_client,
				int window_secs);
void web_limit_free(struct web_limit **l);

/* Whether a sign-in for account (NULL: none to count) from client may be
 * tried at now.  Thread-safe, as are the others. */
enum web_limit_verdict web_limit_check(struct web_limit *l,
				       const char *account,
				       const char *client, int64_t now);
/* Count a failed or refused sign-in (account NULL: the client only). */
void web_limit_failed(struct web_limit *l, const char *account,
		      const char *client, int64_t now);
/* A successful sign-in: the account's count is cleared. */
void web_limit_succeeded(struct web_limit *l, const char *account);

#endif
