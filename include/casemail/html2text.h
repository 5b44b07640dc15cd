/*
 * html2text.h - an HTML body turned into readable plain text, with
 * libxml2's HTML parser (never regexes).
 *
 * Kept: paragraphs and line breaks, headings, lists ("- " / "1. "),
 * blockquotes as "> " quotes (Gmail's gmail_quote, Apple Mail's and
 * Thunderbird's type="cite" included), links as "text <url>" (the URL
 * alone when it is the text; no javascript:, data: or cid: targets),
 * table rows one per line with cells separated by " | ", entities
 * decoded.  A horizontal rule, and each of Outlook's marks in front of
 * the quoted original (divRplyFwdMsg, the border-top header block,
 * OLK_SRC_BODY_SECTION), is a line of 32 underscores, as in Outlook's own
 * text bodies, so quote_visible() finds the header block below it.
 * Dropped: script, style, head, title, comments, hidden elements and
 * templates.  Whitespace is collapsed as a browser would; at most one
 * blank line in a row.
 *
 * Bounded: input past HTML2TEXT_MAX_INPUT bytes is cut (and a note is
 * appended), the tree walk stops at HTML2TEXT_MAX_DEPTH levels and the
 * output at HTML2TEXT_MAX_OUTPUT bytes, so hostile HTML costs at most a
 * few hundred milliseconds and a few tens of MiB.
 */
#ifndef CASEMAIL_HTML2TEXT_H
#define CASEMAIL_HTML2TEXT_H

#include <stddef.h>

#include "casemail/error.h"

#define HTML2TEXT_MAX_INPUT (8u * 1024 * 1024)
#define HTML2TEXT_MAX_DEPTH 256
#define HTML2TEXT_MAX_OUTPUT (2u * 1024 * 1024)

/*
 * Initialise libxml2 once, from the main thread, before any thread
 * converts HTML (its global setup is not safe to race).  Idempotent.
 */
void html2text_init(void);

/*
 * Convert len bytes of UTF-8 HTML into text.  On 0, *text_r is valid UTF-8
 * without a trailing newline (caller g_free()s).  CM_EINPUT when libxml2
 * cannot make a document of it at all (then *text_r is NULL).
 */
int html2text(const char *html, size_t len, char **text_r,
	      struct cm_error *err);

#endif
