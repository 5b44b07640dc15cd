/*
 * quote_private.h - what the quote*.c files share; not part of the
 * module's contract, and nothing outside src/mail/quote*.c includes it.
 *
 *   quote.c          reading lines: signatures and footers, markers and
 *                    header blocks, forwards, attributions
 *   quote_visible.c  the driver: walk down to the cut, walk up over
 *                    trailing quotes, put the visible text together
 */
#ifndef CASEMAIL_QUOTE_PRIVATE_H
#define CASEMAIL_QUOTE_PRIVATE_H

#include <glib.h>

#include "casemail/quote.h"

enum line_kind { LINE_BLANK, LINE_TEXT, LINE_QUOTED };

struct line {
	const char *s;
	size_t len; /* without the newline and a trailing CR */
	enum line_kind kind;
	gboolean attr; /* attribution of the quote that follows it */
};

/* Where the author's text ends and a forwarded message starts. */
struct cut {
	size_t end; /* the author's part is l[0..end) */
	size_t fwd; /* a forwarded message is l[fwd..n), or fwd == n */
};

/* The body cut into lines (struct line, pointing into body). */
GArray *quote_split_lines(const char *body);
/* The first index from i on (below n) that is not blank, or n. */
size_t quote_next_nonblank(const struct line *l, size_t i, size_t n);

/* "-- " (or "--"): a signature starts. */
gboolean quote_is_signature(const struct line *l);
/* A mobile or list footer ("Sent from my iPhone"). */
gboolean quote_is_footer(const struct line *l);
/* A "-Name" sign-off. */
gboolean quote_is_signoff(const struct line *l);
/* "-----Original Message-----" and its kin. */
gboolean quote_is_original_marker(const struct line *l);
/* An Outlook header block (From: with Sent:/To: below) starts at l[i]. */
gboolean quote_is_header_block(const struct line *l, size_t i, size_t n);
/* A rule (underscores or dashes) over header lines in any order. */
gboolean quote_is_rule_header_block(const struct line *l, size_t i, size_t n);
/* An underscore separator in front of headers or a list footer. */
gboolean quote_is_underscore_cut(const struct line *l, size_t i, size_t n);
/* "---------- Forwarded message ---------" and its kin. */
gboolean quote_is_forward_marker(const struct line *l);
/* A forwarded message starts at l[i] (prev: the nonblank line above). */
gboolean quote_is_forward_start(const struct line *l, size_t i, size_t prev);
/* The number of lines of an attribution starting at l[i], or 0. */
size_t quote_attribution_at(const struct line *l, size_t i, size_t n);
/* The number of lines of an unmarked attribution ending at l[end - 1],
 * or 0. */
size_t quote_loose_attribution(const struct line *l, size_t end);

#endif
