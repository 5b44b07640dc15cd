/*
 * authres.h - the Authentication-Results header field (RFC 8601) read
 * into plain data.
 *
 *   Authentication-Results: mx.example.org 1; dkim=pass (good sig)
 *       header.d=example.com header.s=sel; dmarc=pass header.from=example.com
 *
 * gives authserv-id "mx.example.org", version 1 and two results, each a
 * method, a result, an optional reason and its "ptype.property=value"
 * properties; comments are skipped.  A header without an authserv-id
 * (Microsoft 365 writes "spf=pass ...; dkim=pass ...") is read too, with
 * authserv_id NULL: whether such a header counts is the caller's choice.
 *
 * Pure: no I/O, no state, any thread.  The header is hostile input: its
 * length, the number of results and properties and the nesting of
 * comments are bounded, and anything that is not the syntax is refused
 * whole (a header we cannot read proves nothing).  Being read says
 * nothing about who wrote it: anybody can write this header.
 */
#ifndef CASEMAIL_AUTHRES_H
#define CASEMAIL_AUTHRES_H

#include <glib.h>

#include "casemail/error.h"

/* Real headers are a few hundred bytes; a long ARC-laden Gmail one is
 * under 2 KiB.  Longer is not a verdict. */
#define AUTHRES_MAX_LEN 8192
/* Results in one header: a server writes one per method it ran. */
#define AUTHRES_MAX_RESULTS 32
/* Properties of one result (header.d, header.i, header.s, header.b, ...). */
#define AUTHRES_MAX_PROPS 16
/* Nested comments "(a (b))" deeper than this are not a verdict. */
#define AUTHRES_MAX_COMMENT_DEPTH 8

struct authres_prop {
	/* "header", "smtp", "policy", ... (lower case); "" for a bare
	 * "key=value" some servers write (Microsoft's "action=none"). */
	char *ptype;
	char *property;   /* "d", "i", "from", "mailfrom", "auth" (lower case) */
	char *value;      /* as written, without quotes */
};

struct authres_result {
	char *method;         /* "dkim", "spf", "dmarc", "auth" (lower case) */
	int method_version;   /* "dkim/1": 1; 0 when not given */
	char *result;         /* "pass", "fail", "none", ... (lower case) */
	char *reason;         /* reason="...", or NULL */
	GPtrArray *props;     /* struct authres_prop * */
};

struct authres {
	char *authserv_id;    /* lower case; NULL when the header has none */
	int version;          /* 0 when not given */
	int none;             /* "id; none": no method was run */
	GPtrArray *results;   /* struct authres_result *, in header order */
};

/*
 * Read one header value (the part after "Authentication-Results:", may be
 * folded).  Returns 0 with a new *ar_r (free with authres_free()), or
 * CM_EINPUT with the reason in err when value is not the syntax or over
 * a limit above.
 */
int authres_parse(const char *value, struct authres **ar_r,
		  struct cm_error *err);

/* Free; accepts NULL and clears the pointer. */
void authres_free(struct authres **ar);

/*
 * The value of the first property ptype.property of r (both lower case),
 * or NULL.  Borrowed from r.
 */
const char *authres_prop(const struct authres_result *r, const char *ptype,
			 const char *property);

#endif
