/*
 * strv.h - lists of strings held in a GPtrArray (the shape our parsers and
 * templates collect them in).
 */
#ifndef CASEMAIL_STRV_H
#define CASEMAIL_STRV_H

#include <glib.h>

/*
 * The strings of strings (each a char *, none NULL) in order, with sep
 * between each two.  Returns a new string the caller frees with g_free();
 * an empty list gives "".
 */
char *strv_join(const GPtrArray *strings, const char *sep);

#endif
