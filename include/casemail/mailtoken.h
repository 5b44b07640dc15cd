/*
 * mailtoken.h - signed tokens in the addresses our mail carries, so that
 * what comes back to such an address proves it answers that mail and
 * names the person it was for.  Both are signed like our Message-IDs
 * (msgid_mac(): the same key, HMAC-SHA256, 16 lower-case hex digits),
 * each over text with its own prefix, so one can never pass for another:
 *
 *   envelope sender (VERP)   LOCAL+bounce-<row>-<mac>@DOMAIN
 *                            mac over "bounce.<row>.<recipient>"
 *   List-Unsubscribe         LOCAL+unsubscribe-<case number>-<mac>@DOMAIN
 *                            mac over "unsubscribe.<case>.<recipient>"
 *
 * row: the outbox row (decimal); case: the case sequence (decimal);
 * recipient: the lower-cased address the mail went to.  The bounce
 * address holds no recipient: whoever checks it names one (the delivery
 * report's Final-Recipient), and the MAC holds only for the right one.
 * The outbox sends one SMTP transaction per recipient, so each sees only
 * its own envelope sender.
 */
#ifndef CASEMAIL_MAILTOKEN_H
#define CASEMAIL_MAILTOKEN_H

#include <stdint.h>

#include "casemail/msgid.h"

/* RFC 5321 4.5.3.1.1: the longest local part. */
#define MAILTOKEN_LOCAL_MAX 64
/* The plus tag of a bounce address (thread.h has the unsubscribe one). */
#define MAILTOKEN_BOUNCE_TAG "bounce-"

/*
 * The envelope sender for outbox row to recipient, built on base
 * ("cases@desk.example" gives "cases+bounce-12-<mac>@desk.example"), or
 * NULL when base is no address, the local part would be longer than
 * MAILTOKEN_LOCAL_MAX or the address than ADDR_MAX_LEN (the caller then
 * sends from base).  Caller
 * g_free()s.
 */
char *mailtoken_bounce_address(const char *key, const char *base,
			       int64_t row, const char *recipient);

/*
 * Nonzero when address is a bounce address on base whose MAC holds for
 * recipient; then *row_r is its outbox row.  Plus tag and domain match
 * regardless of ASCII case.
 */
int mailtoken_bounce_verify(const char *key, const char *base,
			    const char *address, const char *recipient,
			    int64_t *row_r);

/* The unsubscribe token of recipient on case_id into out. */
void mailtoken_unsubscribe(const char *key, int64_t case_id,
			   const char *recipient,
			   char out[MSGID_MAC_HEX + 1]);

/* Nonzero when token (NULL: none) is recipient's unsubscribe token for
 * case_id. */
int mailtoken_unsubscribe_verify(const char *key, int64_t case_id,
				 const char *recipient, const char *token);

#endif
