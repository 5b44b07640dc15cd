/*
 * agent.h - the rules about agents as people: what a display name and a
 * signature may hold, and who may act once agents are registered.
 *
 * Names and signatures are typed by people and end up in mail headers and
 * bodies: they are checked here (UTF-8, no control characters in a name,
 * bounded), and the From header is still built by GMime, which encodes
 * whatever remains (compose.c).
 *
 * Once any agent is registered (casectl agent add), an acting address
 * (casectl --as, $CASEMAIL_USER) must be one of them and not disabled:
 * a typo is refused instead of silently becoming a new person.  A desk
 * with no agents registered works as before.
 */
#ifndef CASEMAIL_AGENT_H
#define CASEMAIL_AGENT_H

#include <stddef.h>

#include "casemail/error.h"
#include "casemail/store.h"
#include "casemail/store_agent.h"

/* A display name, like [case] desk_name: a name, not a paragraph. */
#define AGENT_NAME_MAX_CHARS 100
/* A signature is a few lines, not a letterhead with a logo. */
#define AGENT_SIGNATURE_MAX_BYTES 4096

/* 0 when name is a usable display name (not blank, valid UTF-8, no
 * control characters, at most AGENT_NAME_MAX_CHARS); else CM_EUSAGE
 * saying why. */
int agent_check_name(const char *name, struct cm_error *err);

/*
 * The signature in data (len bytes, e.g. a file's contents) made ready to
 * store: CRLF and CR line ends become LF, trailing white space and blank
 * lines go.  CM_EUSAGE when it is over AGENT_SIGNATURE_MAX_BYTES, not
 * UTF-8, or holds a control character other than tab and newline.  "" is
 * a valid (empty) signature.  *sig_r is g_free()d by the caller.
 */
int agent_clean_signature(const char *data, size_t len, char **sig_r,
			  struct cm_error *err);

/*
 * Whether address may act: 0 when no agent is registered at all, or when
 * address is a registered agent who is not disabled; CM_EREFUSED naming
 * the address otherwise (or a store error).
 */
int agent_may_act(struct store *s, const char *address,
		  struct cm_error *err);

/* The registered, enabled agent at address in *a_r, else *a_r NULL and 0
 * (an unknown address is not an error here); a store error otherwise. */
int agent_find(struct store *s, const char *address, struct store_agent **a_r,
	       struct cm_error *err);

/* The owners, watchers and participants of c who are registered agents
 * get the agent's registered name (shown and in JSON).  The common
 * codes. */
int agent_case_names(struct store *s, struct store_case *c,
		     struct cm_error *err);

#endif
