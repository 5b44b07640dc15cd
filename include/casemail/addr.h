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

/*
 * Nonzero if domain equals parent or is a subdomain of it ("eu.example.com"
 * in "example.com"), compared without regard to ASCII case.  Both may be
 * NULL (then 0).
 */
int addr_domain_in(const char *domain, const char *parent);

/*
 * Nonzero if domain (or a domain it is a subdomain of) is a well-known
 * free-mail or disposable-mail provider, where anyone can have an address:
 * sharing such a domain says nothing about who someone works for.  The
 * list (addr.c) holds exact domains (gmail.com, web.de, qq.com, ...) and
 * brands registered under many country suffixes (yahoo, hotmail, live,
 * outlook, gmx, yandex, aol: "brand.SUFFIX" where SUFFIX is a two-letter
 * country code, com or net, or co., com. or ne. before a country code).
 * NULL gives 0.
 */
int addr_is_free_mail_domain(const char *domain);

#endif
