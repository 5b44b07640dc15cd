/*
 * quote.h - the visible part of a reply: what its author wrote, without
 * the quoted history and the signature below it.
 *
 * Recognised: "> " quoted blocks, "On ... wrote:" attribution lines (also
 * folded over two lines, and their German, French, Spanish, Dutch,
 * Swedish, ... forms), Outlook's "-----Original Message-----" and
 * "From: / Sent: / To: / Subject:" header blocks, "________" separators,
 * "-- " signatures and "Sent from my iPhone"-style footers.
 *
 * Line-by-line with bounded look-ahead: linear in the input, no
 * backtracking regular expressions.  A reply that is only a quote keeps
 * everything, so nothing the author sent disappears.
 */
#ifndef CASEMAIL_QUOTE_H
#define CASEMAIL_QUOTE_H

/*
 * The visible text of body (UTF-8, LF line ends), trimmed of trailing
 * blank lines.  Never NULL for a non-NULL body; NULL for NULL.
 * Caller g_free()s.
 */
char *quote_visible(const char *body);

#endif
