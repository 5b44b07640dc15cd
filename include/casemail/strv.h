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

/*
 * The items of a comma-separated list (a configuration list, a filter's
 * values, a template header), each trimmed of white space, empty ones
 * left out.  A new NULL-terminated array the caller frees with
 * g_strfreev(); no item gives an empty array.
 */
char **strv_split_list(const char *list);

#endif
