/*
 * error.h - status codes and the caller-owned error record.
 *
 * Every fallible function returns 0 or a negative CM_E* code and, when given
 * a non-NULL struct cm_error, fills it with a one-line message.  The message
 * lives inside the struct, so nothing ever needs freeing.  The code tells the
 * caller what to do next; cm_exit_code() maps it to a process exit status.
 */
#ifndef CASEMAIL_ERROR_H
#define CASEMAIL_ERROR_H

#include <stddef.h>

enum cm_status {
	CM_OK = 0,
	CM_EUSAGE = -1,    /* the caller asked for something malformed (exit 2) */
	CM_ENOTFOUND = -2, /* no such case, person or row (exit 1) */
	CM_EREFUSED = -3,  /* well-formed but against the rules (exit 1) */
	CM_ETEMP = -4,     /* try again later: busy database, network (exit 75) */
	CM_EINPUT = -5,    /* bad data from outside, e.g. a message (exit 65) */
	CM_ECONFIG = -6,   /* configuration file missing or wrong (exit 78) */
	CM_ESTORE = -7,    /* store unusable: corrupt, read-only, missing (exit 74) */
	CM_EINTERNAL = -8, /* our own bug or out of memory (exit 70) */
};

#define CM_ERROR_MSG_MAX 512

struct cm_error {
	int code;
	char msg[CM_ERROR_MSG_MAX];
};

/* Clear an error record. */
void cm_error_clear(struct cm_error *err);

/*
 * Record code and a printf-style message in err (which may be NULL).
 * Returns code, so callers can write `return cm_error_set(err, ...)`.
 */
int cm_error_set(struct cm_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with "prefix: " (keeps the code). */
void cm_error_prefix(struct cm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The process exit status for a CM_* code (sysexits-compatible). */
int cm_exit_code(int code);

/*
 * The exit status for a mail transfer agent's pipe (casemaild ingest):
 * 0 for CM_OK, 65 (EX_DATAERR: bounce) for CM_EINPUT, the only code that
 * says the message itself is refused, and 75 (EX_TEMPFAIL: try again
 * later) for everything else, so that a broken configuration or store
 * defers the mail instead of bouncing it.
 */
int cm_exit_code_mta(int code);

/*
 * Record a full disk (ENOSPC, EDQUOT, SQLITE_FULL) in err as CM_ETEMP with
 * one wording wherever it happens: "WHAT: disk full (...)".  Returns
 * CM_ETEMP.
 */
int cm_error_disk_full(struct cm_error *err, const char *what);

/* Nonzero for an errno that means the disk (or the quota) is full. */
int cm_errno_is_disk_full(int errnum);

/* A short constant name for a code, e.g. "not found". */
const char *cm_status_str(int code);

#endif
