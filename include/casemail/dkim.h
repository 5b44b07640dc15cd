/*
 * dkim.h - check the DKIM signatures (RFC 6376) of a raw message in
 * process, with libopendkim.
 *
 * The public keys come from DNS, or from a key file (libopendkim's file
 * query method: one line per key, "selector._domainkey.domain", white
 * space, the TXT record's text), for tests and closed networks.
 *
 * This module only says which signature passed for which domain; whether
 * that domain vouches for a sender is trust.c's question.  The work is
 * bounded: at most DKIM_MAX_SIGS signatures are checked (each may need a
 * DNS lookup of at most timeout_secs), the rest are counted.
 *
 * Threads: dkim_check_message() may run on any thread, several at once.
 * The library handles it uses are made once per key source under a lock
 * and live as long as the process (a handful: one per key file or DNS
 * timeout ever configured); each message gets a handle of its own.
 */
#ifndef CASEMAIL_DKIM_H
#define CASEMAIL_DKIM_H

#include <stddef.h>

#include "casemail/error.h"

/* Real mail carries one to three signatures (author, list, ESP). */
#define DKIM_MAX_SIGS 8
/* A d= longer than a DNS name is no domain. */
#define DKIM_DOMAIN_MAX 256
#define DKIM_WHY_MAX 128

struct dkim_sig_report {
	char domain[DKIM_DOMAIN_MAX]; /* d=, lower case; "" if unreadable */
	int pass;                     /* signature and body hash verified */
	char why[DKIM_WHY_MAX];       /* why not, "" when it passed */
};

struct dkim_report {
	int nsigs;      /* DKIM-Signature fields found */
	int nchecked;   /* of those, reported in sigs[] (<= DKIM_MAX_SIGS) */
	struct dkim_sig_report sigs[DKIM_MAX_SIGS];
	/* One line on the message as a whole: "no signature", "1 of 2
	 * signatures passed", or why it could not be checked. */
	char summary[DKIM_WHY_MAX];
};

/*
 * Check the signatures of raw (len bytes, CRLF or LF line ends).  With
 * key_file non-NULL the keys are read from it, otherwise looked up in DNS
 * with timeout_secs per lookup.  Always fills *rep; a bad, broken or
 * unverifiable signature or message is no error, only a report.
 * Returns 0, or CM_EINTERNAL when libopendkim cannot be set up.
 */
int dkim_check_message(const char *raw, size_t len, const char *key_file,
		       int timeout_secs, struct dkim_report *rep,
		       struct cm_error *err);

#endif
