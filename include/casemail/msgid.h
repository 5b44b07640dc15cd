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
 * hex digits from getrandom(2); mac: the first 16 hex digits of HMAC-SHA256(key,
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
/* Least key material we accept: HMAC-SHA256's own block of strength. */
#define MSGID_KEY_MIN_BYTES 32
/* The key file made beside the database when no secret_file is set. */
#define MSGID_KEY_FILE "casemail.key"
/* Hex digits of HMAC-SHA256 we keep: 64 bits, and every guess at one
 * costs the guesser a mail. */
#define MSGID_MAC_HEX 16

/*
 * The signing key (caller g_free()s; it is the key file's first line).
 * From [case] secret_file if configured; else from DBDIR/casemail.key,
 * which the first caller creates with 32 bytes from getrandom(2) as 64
 * hex digits (mode 0600, created atomically: two processes starting at
 * once read the same key).  Either file is read by config_read_secret()
 * and must pass msgid_key_check().  CM_ECONFIG naming the file otherwise.
 * s is not used (kept for callers; the store holds no key).  Needs no
 * transaction.
 */
int msgid_key(struct store *s, const struct config *cfg, char **key_r,
	      struct cm_error *err);

/*
 * 0 if line (a key file's first line) holds at least
 * MSGID_KEY_MIN_BYTES of key material: a line of hex digits counts half
 * its length, any other line its bytes.  CM_ECONFIG naming path if not.
 */
int msgid_key_check(const char *path, const char *line,
		    struct cm_error *err);

/*
 * A start-up check: load the key (creating the key file if there is none)
 * and forget it.  A $CREDENTIALS_DIRECTORY/NAME secret_file outside the
 * service is not read, as with the password files (0 then).
 */
int msgid_key_ready(const struct config *cfg, struct cm_error *err);

/* DBDIR/casemail.key for the configured database (caller g_free()s). */
char *msgid_key_path(const struct config *cfg);

/* Our Message-ID domain: the case address's, or "casemail.invalid". */
const char *msgid_domain(const struct config *cfg);

/* A new signed Message-ID (with <>) for case_id and recipient (may be
 * NULL).  Caller g_free()s. */
char *msgid_make(const char *key, const char *domain, int64_t case_id,
		 const char *recipient);

/* Hex digits of the HMAC in our loop header's value (128 bits). */
#define MSGID_LOOP_ID_HEX 32

/*
 * This desk's MIME_LOOP_HEADER value: "<desk address>; id=<32 hex>", the
 * address lower-cased and id the start of HMAC-SHA256(key,
 * "casemail-loop\n" + address).  Another casemail desk (another address
 * or another key) has another value, so only mail that carries ours is
 * dropped as our own.  The value is in every mail we send and is not a
 * secret: a sender who copies it only gets their own mail dropped.
 * Caller g_free()s.
 */
char *msgid_loop_value(const char *key, const char *desk_address);

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
