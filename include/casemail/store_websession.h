/*
 * store_websession.h - casemail-web's sign-in sessions (schema: the
 * web_sessions table).  Storage only: the token, its hash and the cookie
 * are web_session.c's business; here a session is the hash of its token,
 * the agent it signs in, its CSRF token and its lifetime.
 *
 * Ownership: records returned are the caller's (store_websession_free());
 * arguments are borrowed.  Errors: the store's common codes (store.h).
 */
#ifndef CASEMAIL_STORE_WEBSESSION_H
#define CASEMAIL_STORE_WEBSESSION_H

#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

struct store_websession {
	char *id_hash;      /* hex SHA-256 of the cookie's token */
	char *agent;        /* the signed-in agent's address */
	char *csrf;         /* hex; every POST must carry it */
	int64_t created_at;
	int64_t expires_at;
};

void store_websession_free(struct store_websession **ws);

/* Record ws (all fields set).  CM_EREFUSED for a hash already stored. */
int store_websession_add(struct store *s, const struct store_websession *ws,
			 struct cm_error *err);

/* The session with id_hash that has not expired at now; CM_ENOTFOUND
 * when there is none (never was, logged out, or expired). */
int store_websession_get(struct store *s, const char *id_hash, int64_t now,
			 struct store_websession **ws_r, struct cm_error *err);

/* Delete the session with id_hash (logout); none is fine. */
int store_websession_delete(struct store *s, const char *id_hash,
			    struct cm_error *err);

/* Delete every session that expired before now; *n_r (may be NULL)
 * counts them. */
int store_websession_purge(struct store *s, int64_t now, int *n_r,
			   struct cm_error *err);

#endif
