/*
 * store_auth.h - what signing in rests on: an agent's password hash (the
 * agents table's password_hash) and the API's clients with their token
 * hashes (the api_clients table).  Storage only: hashing, checking and the
 * rules are webauth.h's.  Nothing here ever sees a password or a token in
 * clear.
 *
 * Ownership: strings and records returned are the caller's (g_free(),
 * store_apiclient_free(), g_ptr_array_unref() for a list); arguments are
 * borrowed.
 */
#ifndef CASEMAIL_STORE_AUTH_H
#define CASEMAIL_STORE_AUTH_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

/* Set the password hash of the agent at address (NULL removes it).
 * CM_ENOTFOUND when there is no such agent. */
int store_agent_set_password_hash(struct store *s, const char *address,
				  const char *hash, int64_t now,
				  struct cm_error *err);

/*
 * The password hash of the agent at address into *hash_r (NULL when it
 * has none) and whether the agent is disabled into *disabled_r.
 * CM_ENOTFOUND when there is no such agent.
 */
int store_agent_password_hash(struct store *s, const char *address,
			      char **hash_r, int *disabled_r,
			      struct cm_error *err);

struct store_apiclient {
	char *name;
	char *agent;          /* lower case */
	int64_t created_at;
	int64_t revoked_at;   /* 0: in use */
	int64_t last_used_at; /* 0: never */
};

void store_apiclient_free(struct store_apiclient **c);

/* Add client name acting as agent, with its token's hash, at now.
 * CM_EREFUSED when the name is taken (revoked clients keep theirs). */
int store_apiclient_add(struct store *s, const char *name,
			const char *token_hash, const char *agent,
			int64_t now, struct cm_error *err);

/* Revoke client name at now.  CM_ENOTFOUND when there is no such client,
 * CM_EREFUSED when it is revoked already. */
int store_apiclient_revoke(struct store *s, const char *name, int64_t now,
			   struct cm_error *err);

/* How exactly a client's last use is kept (seconds). */
#define STORE_APICLIENT_USE_STEP_SECS 60

/*
 * The client whose token hashes to token_hash and is not revoked into
 * *c_r, its last use set to now when the one recorded is
 * STORE_APICLIENT_USE_STEP_SECS or more before; CM_ENOTFOUND (*c_r NULL)
 * when there is none.
 */
int store_apiclient_use(struct store *s, const char *token_hash, int64_t now,
			struct store_apiclient **c_r, struct cm_error *err);

/* Every client, revoked ones too, by name, as a new array of struct
 * store_apiclient *. */
int store_apiclient_list(struct store *s, GPtrArray **list_r,
			 struct cm_error *err);

#endif
