/*
 * webauth.h - who is asking, for casemail-web and its JSON API: agents'
 * passwords and the API clients' bearer tokens.
 *
 * Passwords are hashed with Argon2id (libsodium's crypto_pwhash_str, its
 * "interactive" limits: about 64 MiB and a tenth of a second per
 * attempt, which is what makes a stolen store slow to guess from).
 * Checking costs the same whether or not the agent exists, so timing does
 * not tell which addresses are agents.
 *
 * An API token is 32 random bytes (256 bits), shown once when the client
 * is made, and stored only as its SHA-256: a token that long needs no slow
 * hash, and a fast one lets every request be checked cheaply.  A client
 * acts as one agent; a revoked client, or one whose agent is disabled or
 * gone, is refused.
 *
 * Thread rules: any thread, each with its own store handle.
 */
#ifndef CASEMAIL_WEBAUTH_H
#define CASEMAIL_WEBAUTH_H

#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

/* A password shorter than this is refused when set: a guess away. */
#define WEBAUTH_PASSWORD_MIN_BYTES 10
/* Longer is no safer and only makes each check cost more to read. */
#define WEBAUTH_PASSWORD_MAX_BYTES 1024
/* A client's name: letters, digits, '.', '_', '-', at most this long. */
#define WEBAUTH_CLIENT_NAME_MAX 64
/* Tokens look like "cm_" and 43 base64url characters. */
#define WEBAUTH_TOKEN_PREFIX "cm_"

/*
 * Set the password of the registered agent at address (UTF-8, between
 * WEBAUTH_PASSWORD_MIN_BYTES and _MAX_BYTES, no control characters:
 * CM_EUSAGE otherwise) to an Argon2id hash of it, at now.  CM_ENOTFOUND
 * when no agent has that address; CM_EINTERNAL when hashing fails (out of
 * memory).
 */
int agent_password_set(struct store *s, const char *address,
		       const char *password, struct cm_error *err);

/*
 * Whether password is the password of the enabled agent at address: *ok_r
 * 1 or 0.  An unknown or disabled agent, or one without a password, is 0
 * (not an error), after the same work as a real check.  Returns 0, or a
 * store error (*ok_r 0).
 */
int agent_password_check(struct store *s, const char *address,
			 const char *password, int *ok_r,
			 struct cm_error *err);

/*
 * Make API client name acting as the registered, enabled agent: a new
 * token in *token_r (g_free(); shown to the person once, never stored).
 * CM_EUSAGE for a bad name, CM_ENOTFOUND for an unknown or disabled
 * agent, CM_EREFUSED when the name is taken.
 */
int apiclient_create(struct store *s, const char *name, const char *agent,
		     char **token_r, struct cm_error *err);

/* Revoke client name at now: its token stops working at once.
 * CM_ENOTFOUND, or CM_EREFUSED when revoked already. */
int apiclient_revoke(struct store *s, const char *name, int64_t now,
		     struct cm_error *err);

/*
 * The agent that token acts as, into *agent_r (g_free()), its last use
 * recorded at now.  CM_EREFUSED (*agent_r NULL) when the token is
 * malformed, unknown or revoked, or its agent is disabled or gone; a store
 * error otherwise.
 */
int apiclient_check(struct store *s, const char *token, int64_t now,
		    char **agent_r, struct cm_error *err);

#endif
