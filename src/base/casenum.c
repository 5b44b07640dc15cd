/* casenum.c - parse and format case numbers. */
#include "casemail/casenum.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int
casenum_parse(const char *prefix, const char *text, int64_t *seq_r,
	      struct cm_error *err)
{
	size_t plen = strlen(prefix);
	const char *p;
	int64_t seq = 0;
	size_t ndigits = 0;

	if (text == NULL || strncasecmp(text, prefix, plen) != 0)
		goto bad;
	for (p = text + plen; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) ||
		    ++ndigits > CASENUM_MAX_DIGITS)
			goto bad;
		seq = seq * 10 + (*p - '0');
	}
	if (ndigits == 0 || seq == 0)
		goto bad;
	*seq_r = seq;
	return 0;
bad:
	return cm_error_set(err, CM_EUSAGE,
			    "'%s' is not a case number (expected %s followed "
			    "by digits, e.g. %s000123)",
			    text != NULL ? text : "", prefix, prefix);
}

void
casenum_format(const char *prefix, int digits, int64_t seq, char *buf,
	       size_t size)
{
	snprintf(buf, size, "%s%0*" PRId64, prefix, digits, seq);
}
