/*
 * log.h - one line per event on stderr.
 *
 * Lines look like "casemaild: warning: store: database is locked".  Callers
 * put "case=CV000123 msgid=<...>" in the text where they have them.
 * log_warn()/log_err() append strerror(errno); the *x variants do not.
 *
 * Threads: the log_debug() ... log_errx() calls may be made from any thread
 * at any time (the poll's store worker logs beside the poll); each line is
 * built in a local buffer and written with one stdio call, which locks the
 * stream.  log_init() and log_set_debug() set process-wide state: call them
 * at start-up (or on reload, from the main thread) before other threads
 * log.  errno is preserved across every call.
 */
#ifndef CASEMAIL_LOG_H
#define CASEMAIL_LOG_H

#define CM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set the program name printed at the start of every line (borrowed). */
void log_init(const char *progname);
/* Enable or disable debug lines. */
void log_set_debug(int on);

void log_debug(const char *fmt, ...) CM_PRINTF(1, 2);
void log_info(const char *fmt, ...) CM_PRINTF(1, 2);
void log_warn(const char *fmt, ...) CM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) CM_PRINTF(1, 2);
void log_err(const char *fmt, ...) CM_PRINTF(1, 2);
void log_errx(const char *fmt, ...) CM_PRINTF(1, 2);

#endif
