/* log.c - one-line logging to stderr. */
#include "casemail/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_progname = "casemail";
static int log_debug_on;

void
log_init(const char *progname)
{
	if (progname != NULL)
		log_progname = progname;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

/*
 * Build the whole line first and write it with one call, so that lines from
 * concurrent processes sharing stderr (the journal) do not interleave.
 */
static void
log_vline(const char *level, int with_errno, int saved_errno, const char *fmt,
	  va_list ap)
{
	char line[2048];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s%s", log_progname,
		     level, level[0] != '\0' ? ": " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (with_errno) {
		size_t len = strlen(line);
		char why[256];

		/* strerror() may share one buffer between threads. */
		if (strerror_r(saved_errno, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "error %d", saved_errno);
		snprintf(line + len, sizeof(line) - len, ": %s", why);
	}
	/* Never let a control character from message content split the line. */
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	fprintf(stderr, "%s\n", line);
}

#define LOG_FN(name, level, with_errno, guard)                   \
	void name(const char *fmt, ...)                          \
	{                                                        \
		int saved = errno;                               \
		va_list ap;                                      \
		if (!(guard))                                    \
			return;                                  \
		va_start(ap, fmt);                               \
		log_vline(level, with_errno, saved, fmt, ap);    \
		va_end(ap);                                      \
		errno = saved;                                   \
	}

LOG_FN(log_debug, "debug", 0, log_debug_on)
LOG_FN(log_info, "", 0, 1)
LOG_FN(log_warn, "warning", 1, 1)
LOG_FN(log_warnx, "warning", 0, 1)
LOG_FN(log_err, "error", 1, 1)
LOG_FN(log_errx, "error", 0, 1)
