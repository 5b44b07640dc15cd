/*
 * addr.h - plain mail addresses given on the command line or in headers.
 */
#ifndef CASEMAIL_ADDR_H
#define CASEMAIL_ADDR_H

#include "casemail/error.h"

/* Longest address we accept (RFC 5321 path limit). */
#define ADDR_MAX_LEN 254

/*
 * Check that text is a bare address (local@domain, no spaces, controls,
 * angle brackets or commas) and return it lower-cased in *addr_r, which the
 * caller frees with g_free().  Returns CM_EUSAGE naming the text otherwise.
 */
int addr_normalize(const char *text, char **addr_r, struct cm_error *err);

#endif
