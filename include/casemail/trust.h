/*
 * trust.h - is the sender of a message the one its From header names?
 *
 * A From header is text anybody can write.  What proves it is a verdict:
 *   - the Authentication-Results (RFC 8601) header of a server the
 *     administrator trusts ([trust] authserv_ids), only the topmost header
 *     of a trusted authserv-id, never one a sender could have written
 *     (any other id, or one below the trusted one); with [trust]
 *     trust_topmost the topmost header counts whatever its id (Microsoft
 *     365 writes none; safe only for a mailbox that only that server
 *     delivers to, because it puts its header on top of any the sender
 *     wrote);
 *   - otherwise our own DKIM check of the raw message (libopendkim; keys
 *     from DNS, or from [trust] dkim_key_file).
 * The sender is verified when DMARC passes for the From domain, a DKIM
 * signature passes whose d= aligns with the From domain (equal, or one a
 * subdomain of the other), or the trusted server says the sender logged
 * in to send (auth=pass, smtp.auth).
 *
 * Partner domains ([trust] partner_domains) are companies whose every
 * address may post to a case one of their colleagues is on; free-mail
 * domains are never partners (a configuration that lists one is refused).
 *
 * Threads: trust_judge() may run on any thread, several at once; it reads
 * cfg and shares nothing else (the DKIM library handle it uses is made
 * once, thread-safely).  The other functions are pure.
 */
#ifndef CASEMAIL_TRUST_H
#define CASEMAIL_TRUST_H

#include <stddef.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/mime.h"

/* What proved the sender (TRUST_NONE: nothing did). */
enum trust_method {
	TRUST_NONE,
	TRUST_DMARC,    /* dmarc=pass for the From domain */
	TRUST_DKIM,     /* dkim=pass with d= aligned with the From domain */
	TRUST_AUTH,     /* the trusted server: the sender logged in to send */
};

/* Whose verdict was used. */
enum trust_source {
	TRUST_SRC_NONE,     /* no verdict at all */
	TRUST_SRC_AUTHRES,  /* a trusted server's Authentication-Results */
	TRUST_SRC_DKIM,     /* our own DKIM check */
};

#define TRUST_TEXT_MAX 512

struct trust_verdict {
	int verified;                /* the From address is proven */
	enum trust_method method;
	enum trust_source source;
	/*
	 * One line for the decision record, the message row and casectl
	 * trace: what was found and where it came from, e.g.
	 * "verified: dmarc=pass header.from=example.com (Authentication-
	 * Results of mx.example.com)" or "not verified: no trusted
	 * Authentication-Results; DKIM: no signature".  Valid UTF-8, no
	 * control characters.
	 */
	char text[TRUST_TEXT_MAX];
};

/*
 * Judge the sender of the raw message (len bytes) whose parse is mm.
 * Always fills *v.  Bad or hostile input (a broken header, a bad
 * signature, a failed or temporarily failing DNS lookup) is no error: it
 * just leaves the sender unverified, with the reason in v->text.  Returns
 * 0, or CM_EINTERNAL if the DKIM library cannot be set up at all.
 */
int trust_judge(const struct config *cfg, const char *raw, size_t len,
		const struct mime_message *mm, struct trust_verdict *v,
		struct cm_error *err);

/*
 * Nonzero if domain (lower case) is a well-known free-mail domain, or a
 * subdomain of one (the list and its rules: addr_is_free_mail_domain()).
 */
int trust_is_free_mail(const char *domain);

/*
 * Nonzero if address's domain is one of [trust] partner_domains (or a
 * subdomain of one).  Free-mail domains never are.
 */
int trust_is_partner(const struct config *cfg, const char *address);

/*
 * The entry of [trust] partner_domains that address's domain is, or is a
 * subdomain of (borrowed from cfg), or NULL as for trust_is_partner().
 * Two addresses are colleagues when they have the same entry.
 */
const char *trust_partner_domain(const struct config *cfg,
				 const char *address);

#endif
