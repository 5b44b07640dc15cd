/* error.c - status codes and error records. */
#include "casemail/error.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
cm_error_clear(struct cm_error *err)
{
	if (err == NULL)
		return;
	err->code = CM_OK;
	err->msg[0] = '\0';
}

int
cm_error_set(struct cm_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
cm_error_prefix(struct cm_error *err, const char *fmt, ...)
{
	char *prefix, *joined;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	prefix = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	joined = g_strdup_printf("%s: %s", prefix, err->msg);
	/* Truncation is fine: the message is a one-line diagnostic. */
	g_strlcpy(err->msg, joined, sizeof(err->msg));
	g_free(prefix);
	g_free(joined);
}

int
cm_exit_code(int code)
{
	switch (code) {
	case CM_OK:
		return 0;
	case CM_EUSAGE:
		return 2;
	case CM_ENOTFOUND:
	case CM_EREFUSED:
		return 1;
	case CM_ETEMP:
		return 75; /* EX_TEMPFAIL */
	case CM_EINPUT:
		return 65; /* EX_DATAERR */
	case CM_ECONFIG:
		return 78; /* EX_CONFIG */
	case CM_ESTORE:
		return 74; /* EX_IOERR */
	default:
		return 70; /* EX_SOFTWARE */
	}
}

int
cm_exit_code_mta(int code)
{
	if (code == CM_OK)
		return 0;
	return code == CM_EINPUT ? 65 : 75;
}

int
cm_error_disk_full(struct cm_error *err, const char *what)
{
	/* Space can be freed: a temporary failure (the MTA keeps the mail,
	 * the daemon retries), never a store error that bounces it. */
	return cm_error_set(err, CM_ETEMP, "%s: disk full (no space left on "
			    "the device, or over quota)", what);
}

int
cm_errno_is_disk_full(int errnum)
{
	return errnum == ENOSPC || errnum == EDQUOT;
}

const char *
cm_status_str(int code)
{
	switch (code) {
	case CM_OK: return "ok";
	case CM_EUSAGE: return "usage";
	case CM_ENOTFOUND: return "not found";
	case CM_EREFUSED: return "refused";
	case CM_ETEMP: return "temporary failure";
	case CM_EINPUT: return "bad input";
	case CM_ECONFIG: return "configuration error";
	case CM_ESTORE: return "store error";
	default: return "internal error";
	}
}
