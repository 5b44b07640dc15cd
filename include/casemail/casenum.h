/*
 * casenum.h - case numbers such as CV000123 (pure functions, no I/O).
 *
 * A case number is the configured prefix (letters, any case) followed by
 * 1 to CASENUM_MAX_DIGITS decimal digits naming a sequence greater than zero.
 * "CV123", "cv000123" and "CV000123" all name case 123.
 */
#ifndef CASEMAIL_CASENUM_H
#define CASEMAIL_CASENUM_H

#include <stddef.h>
#include <stdint.h>

#include "casemail/error.h"

/* More digits than this cannot be a case of ours (and would overflow). */
#define CASENUM_MAX_DIGITS 15
/* Room for the longest prefix, the digits and the NUL. */
#define CASENUM_BUF_SIZE 32

/*
 * Parse text as a whole case number with the given prefix.  Returns 0 and
 * sets *seq_r, or CM_EUSAGE with a message saying what was expected.
 */
int casenum_parse(const char *prefix, const char *text, int64_t *seq_r,
		  struct cm_error *err);

/*
 * Format seq as prefix + zero-padded digits into buf (at least
 * CASENUM_BUF_SIZE bytes).  A sequence wider than digits is not truncated.
 */
void casenum_format(const char *prefix, int digits, int64_t seq, char *buf,
		    size_t size);

#endif
