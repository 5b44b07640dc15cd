/*
 * html2text_out.c - the writer of html2text.
 *
 * The writer is a tiny layout engine: line breaks are owed rather than
 * written, and paid only when the next visible character arrives.  That
 * keeps collapsing whitespace, "at most one blank line" and "no trailing
 * newline" in one place (begin_content) instead of being fixed up after.
 */
#include "casemail/html2text.h"

#include <string.h>

#include "html2text_private.h"

/* Append within the output limit, never splitting a UTF-8 sequence. */
static void
out_append(struct h2t *h, const char *s, size_t n)
{
	if (h->full)
		return;
	if (n > h->max_out - h->out->len) {
		n = h->max_out - h->out->len;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		h->full = TRUE;
		/* Nothing more can be shown: spare the rest of the parse. */
		if (h->ctxt != NULL)
			xmlStopParser(h->ctxt);
	}
	g_string_append_len(h->out, s, n);
}

/* "> " per quote level; a blank line in a quote ends on ">", no blank. */
static void
out_quote_prefix(struct h2t *h, int depth, gboolean blank_line)
{
	for (int i = 0; i < depth; i++) {
		gboolean bare = blank_line && i + 1 == depth;

		out_append(h, "> ", bare ? 1 : 2);
	}
}

/* Owe n line breaks (max semantics: block edges do not add up). */
void
html2text_owe_breaks(struct h2t *h, int n)
{
	h->break_quote = h->breaks == 0 ? h->quote
					: MIN(h->break_quote, h->quote);
	h->breaks = MAX(h->breaks, n);
}

/* A <br> or a newline in <pre>: these do add up, to one blank line. */
void
html2text_owe_hard_break(struct h2t *h)
{
	html2text_owe_breaks(h, MIN(h->breaks + 1, MAX_BREAKS));
}

/*
 * Pay what is owed before visible text: line breaks (the blank line
 * carries the quote marks of the shallower side), then quote prefix and
 * bullet on a fresh line, or else one space or a cell separator.
 */
static void
begin_content(struct h2t *h)
{
	gboolean new_line = !h->started || h->breaks > 0;

	/* Right under a rule, a paragraph's blank line would only part the
	 * rule from the header block it introduces. */
	if (h->started && h->out->len == h->rule_end)
		h->breaks = MIN(h->breaks, 1);
	if (h->started && h->breaks > 0) {
		out_append(h, "\n", 1);
		if (h->breaks > 1) {
			out_quote_prefix(h, MIN(h->break_quote, h->quote),
					 TRUE);
			out_append(h, "\n", 1);
		}
	}
	if (new_line) {
		out_quote_prefix(h, h->quote, FALSE);
		if (h->bullet_owed)
			out_append(h, h->bullet, strlen(h->bullet));
	} else if (h->cell_sep) {
		out_append(h, " | ", 3);
	} else if (h->space) {
		out_append(h, " ", 1);
	}
	h->started = TRUE;
	h->breaks = 0;
	h->space = FALSE;
	h->cell_sep = FALSE;
	h->bullet_owed = FALSE;
	if (h->in_link && !h->link_marked) {
		h->link_marked = TRUE;
		h->link_mark = h->out->len;
	}
}

/* Width of the whitespace character at s (0 if none); NBSP counts. */
static size_t
space_width(const char *s, size_t n)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
	    *s == '\f')
		return 1;
	if (n >= 2 && (unsigned char)s[0] == 0xC2 &&
	    (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

/* Flowing text: any whitespace run becomes one owed space. */
void
html2text_emit_flow(struct h2t *h, const char *s, size_t n)
{
	size_t i = 0, j, w;

	while (i < n && !h->full) {
		if ((w = space_width(s + i, n - i)) > 0) {
			h->space = TRUE;
			i += w;
			continue;
		}
		for (j = i + 1; j < n && space_width(s + j, n - j) == 0; j++)
			;
		begin_content(h);
		out_append(h, s + i, j - i);
		i = j;
	}
}

/*
 * Preformatted text: newlines are hard breaks, other whitespace is kept
 * but held back until text follows, so no line ends in blanks.
 */
void
html2text_emit_pre(struct h2t *h, const char *s, size_t n)
{
	size_t i = 0, j, w;

	while (i < n && !h->full) {
		if (s[i] == '\n') {
			g_string_truncate(h->pre_ws, 0);
			html2text_owe_hard_break(h);
			i++;
		} else if (s[i] == '\r') {
			i++;
		} else if ((w = space_width(s + i, n - i)) > 0) {
			/* NBSP becomes a plain space, like in flow text. */
			g_string_append_c(h->pre_ws, w == 1 ? s[i] : ' ');
			i += w;
		} else {
			for (j = i + 1;
			     j < n && space_width(s + j, n - j) == 0; j++)
				;
			begin_content(h);
			out_append(h, h->pre_ws->str, h->pre_ws->len);
			g_string_truncate(h->pre_ws, 0);
			out_append(h, s + i, j - i);
			i = j;
		}
	}
}

/* A rule on a line of its own; one for an <hr> and the marker after it. */
void
html2text_emit_rule(struct h2t *h)
{
	if (h->started && h->out->len == h->rule_end)
		return;
	html2text_owe_breaks(h, 2);
	begin_content(h);
	out_append(h, RULE_LINE, sizeof(RULE_LINE) - 1);
	h->rule_end = h->out->len;
	html2text_owe_breaks(h, 1);
}

/*
 * Close a link: its text was written from link_mark on.  Show the target
 * unless the text already says it: a bare URL, or a mailto: address.
 */
void
html2text_link_close(struct h2t *h, const char *href)
{
	const char *text = h->out->str + h->link_mark;
	size_t text_len = h->link_marked ? h->out->len - h->link_mark : 0;
	size_t show_len = strlen(href);
	gboolean had_space = h->space;

	h->in_link = FALSE;
	if (g_ascii_strncasecmp(href, "mailto:", 7) == 0) {
		href += 7;
		show_len = strcspn(href, "?");
	}
	if (h->full || (text_len == show_len &&
			g_ascii_strncasecmp(text, href, show_len) == 0))
		return;
	if (text_len == 0) {
		begin_content(h);
		out_append(h, href, show_len);
		return;
	}
	h->space = TRUE;
	begin_content(h);
	out_append(h, "<", 1);
	out_append(h, href, show_len);
	out_append(h, ">", 1);
	h->space = had_space;
}
