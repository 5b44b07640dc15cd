/*
 * store_agent.h - the registered agents: the desk's people with a display
 * name and a signature (schema: the agents table).  Addresses are compared
 * without regard to case.  Rules about names and who may act live in
 * agent.h; this is storage only.
 *
 * Ownership: records returned are the caller's (store_agent_free(), or
 * g_ptr_array_unref() for a list); arguments are borrowed.
 */
#ifndef CASEMAIL_STORE_AGENT_H
#define CASEMAIL_STORE_AGENT_H

#include <glib.h>
#include <stdint.h>

#include "casemail/error.h"
#include "casemail/store.h"

struct store_agent {
	char *address;      /* lower case */
	char *name;
	char *signature;    /* or NULL */
	int disabled;
	int64_t created_at;
	int64_t updated_at;
};

void store_agent_free(struct store_agent **a);

/* Register a (address, name, signature; disabled is ignored) at now.
 * CM_EREFUSED when the address is registered already. */
int store_agent_add(struct store *s, const struct store_agent *a, int64_t now,
		    struct cm_error *err);

/*
 * Change the agent at address: name and signature when not NULL (a
 * signature of "" removes it), disabled when not negative.  CM_ENOTFOUND
 * when there is no such agent.
 */
int store_agent_update(struct store *s, const char *address,
		       const char *name, const char *signature, int disabled,
		       int64_t now, struct cm_error *err);

/* Delete the agent at address; CM_ENOTFOUND when there is none. */
int store_agent_remove(struct store *s, const char *address,
		       struct cm_error *err);

/* The agent at address into *a_r, or CM_ENOTFOUND (*a_r NULL). */
int store_agent_get(struct store *s, const char *address,
		    struct store_agent **a_r, struct cm_error *err);

/* Every agent, by address, as a new array of struct store_agent *. */
int store_agent_list(struct store *s, GPtrArray **list_r,
		     struct cm_error *err);

/* How many agents are registered, disabled ones included. */
int store_agent_count(struct store *s, int64_t *n_r, struct cm_error *err);

#endif
