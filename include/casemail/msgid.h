/*
 * msgid.h - the Message-IDs of the mail we send: they encode the case and
 * the recipient and carry an HMAC, so a reply that quotes one in
 * References proves it answers our mail (threading and who may post
 * trust it) without any lookup.
 *
 *   <cm.<case>.<rcpt>.<nonce>.<mac>@<domain>>
 *
 * case: the case sequence in decimal; rcpt: the first 8 hex digits of
 * SHA-256 of the lower-cased recipient address ("0" for none); nonce: 12
 * random hex digits; mac: the first 16 hex digits of HMAC-SHA256(key,
 * "cm.<case>.<rcpt>.<nonce>").  domain: the case address's domain.
 */
#ifndef CASEMAIL_MSGID_H
#define CASEMAIL_MSGID_H

#include <stdint.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"

/* Longest HMAC key we read from a file. */
#define MSGID_KEY_MAX 4096
/* Hex digits of HMAC-SHA256 we keep: 64 bits, and every guess at one
 * costs the guesser a mail. */
#define MSGID_MAC_HEX 16

/*
 * The signing key: [case] secret_file if configured (refused when others
 * may read it), else a random key kept in the store's settings (created
 * on first use; needs an open transaction then).  Caller g_free()s.
 */
int msgid_key(struct store *s, const struct config *cfg, char **key_r,
	      struct cm_error *err);

/* Our Message-ID domain: the case address's, or "casemail.invalid". */
const char *msgid_domain(const struct config *cfg);

/* A new signed Message-ID (with <>) for case_id and recipient (may be
 * NULL).  Caller g_free()s. */
char *msgid_make(const char *key, const char *domain, int64_t case_id,
		 const char *recipient);

/*
 * Nonzero when mid (with or without <>) is one of ours with a valid
 * signature; then *case_id_r is its case.
 */
int msgid_verify(const char *key, const char *domain, const char *mid,
		 int64_t *case_id_r);

/*
 * The first MSGID_MAC_HEX lower-case hex digits of HMAC-SHA256(key, text)
 * into out: the one signature of everything we sign (Message-IDs and the
 * tokens of mailtoken.h), each over text with its own prefix.
 */
void msgid_mac(const char *key, const char *text,
	       char out[MSGID_MAC_HEX + 1]);

/* Nonzero when the first MSGID_MAC_HEX characters of a and b are equal
 * (ASCII case ignored), in time that does not depend on where they
 * differ.  Both must hold at least MSGID_MAC_HEX characters. */
int msgid_mac_equal(const char *a, const char *b);

#endif
