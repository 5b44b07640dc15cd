/*
 * quote.h - the visible part of a reply: what its author wrote, without
 * the quoted history and the signature below it.
 *
 * Removed: trailing "> " quoted blocks with their attribution ("On ...
 * wrote:", also folded over several lines, in English, Chinese, Dutch,
 * French, German, Italian, Norwegian, Polish, Portuguese, Russian,
 * Spanish, Swedish, Ukrainian and a few more, and Gmail's numeric-date
 * form); history without quote marks below an attribution; Outlook's
 * "-----Original Message-----" and localized "From: / Sent: / To: /
 * Subject:" header blocks, "________" separators; "-- " signatures,
 * "-Name" sign-offs, mailing-list footers and mobile footers ("Sent from
 * my iPhone", "Get Outlook for Android" and their translations); an
 * attribution and quote on top of a bottom-posted answer.
 *
 * Kept: interleaved answers with the quotes they answer; forwarded
 * messages ("---------- Forwarded message ---------", "Begin forwarded
 * message:"), whole, since mail forwarded to a case is usually the case;
 * and the whole body when nothing but history is found, so nothing the
 * author sent disappears.  Outlook forwards carry no marker in the body
 * and are trimmed like replies.
 *
 * Line-by-line with bounded look-ahead: linear in the input, no
 * backtracking regular expressions.
 */
#ifndef CASEMAIL_QUOTE_H
#define CASEMAIL_QUOTE_H

/*
 * The visible text of body (UTF-8; LF or CRLF line ends), with LF line
 * ends and without blank lines at either end.  Never NULL for a non-NULL
 * body; NULL for NULL.  Caller g_free()s.
 */
char *quote_visible(const char *body);

#endif
