/*
 * thread.h - the pure parts of threading: case numbers in subjects and
 * plus addresses, and subjects without reply prefixes.  The store lookups
 * that complete the decision are in ingest_thread.c.
 */
#ifndef CASEMAIL_THREAD_H
#define CASEMAIL_THREAD_H

#include <glib.h>
#include <stdint.h>

#include "casemail/config.h"

/*
 * Case ids named in subject, best first: bracketed tags ("[CV000123]")
 * before bare ones ("CV123", "cv000123"), each in order of appearance,
 * without repeats, at most the first 100 (a subject naming more is no
 * reply to any one of them).  A GArray of int64_t (caller unrefs); may be
 * empty.  Time is linear in the subject's length.
 */
GArray *thread_subject_cases(const struct config *cfg, const char *subject);

/*
 * A case id from a plus address of the case mailbox among addresses
 * ("cases+CV000123@example.com" for cases@example.com), or 0.
 * addresses is a GPtrArray of struct mime_address *.
 */
int64_t thread_plus_case(const struct config *cfg, GPtrArray *addresses);

/* The plus part of the List-Unsubscribe address of a case, before the
 * case number and the recipient's token (see mailtoken.h):
 * "cases+unsubscribe-cv000123-<token>@example.com". */
#define THREAD_UNSUBSCRIBE_TAG "unsubscribe-"

/*
 * The case id from an unsubscribe plus address of the case mailbox among
 * addresses (as for thread_plus_case()), or 0; *token_r gets the token
 * after the case number (a new string; NULL when there is none).  Only
 * parsed here: whether the token is valid, and for whom, ingest checks.
 */
int64_t thread_unsubscribe_case(const struct config *cfg,
				GPtrArray *addresses, char **token_r);

/* Subject without leading Re:/Fwd:/AW:/SV:/TR:/WG:... prefixes and
 * without our [CV…] tags (caller g_free()s); "(no subject)" if empty. */
char *thread_clean_subject(const struct config *cfg, const char *subject);

/* Nonzero if address is the case mailbox or one of its plus forms. */
int thread_is_case_address(const struct config *cfg, const char *address);

#endif
