/*
 * quote_visible.c - the visible part of a reply: the walk over the lines
 * that quote.c reads (see there for the steps), and the output.
 */
#include "casemail/quote.h"

#include <glib.h>
#include <string.h>

#include "quote_private.h"

/* ---- walking down --------------------------------------------------- */

/* A line that starts history, not counting footers and signatures. */
static gboolean
is_history_start(const struct line *l, size_t i, size_t n)
{
	return quote_is_original_marker(&l[i]) ||
	       quote_is_header_block(l, i, n) ||
	       quote_is_rule_header_block(l, i, n) ||
	       quote_is_underscore_cut(l, i, n);
}

/*
 * A footer only when nothing of the author's follows: the end, a quote,
 * history, a forward, another footer.  "Sent from my laptop it works"
 * stays.
 */
static gboolean
is_footer_cut(const struct line *l, size_t i, size_t n)
{
	size_t j;

	if (!quote_is_footer(&l[i]))
		return FALSE;
	j = quote_next_nonblank(l, i + 1, n);
	return j == n || l[j].kind == LINE_QUOTED || quote_is_footer(&l[j]) ||
	       quote_is_signature(&l[j]) || is_history_start(l, j, n) ||
	       quote_is_forward_marker(&l[j]) ||
	       quote_attribution_at(l, j, n) > 0;
}

/* Attribution lines l[i..i+k) belong to the quote below them. */
static void
mark_attribution(struct line *l, size_t i, size_t k)
{
	for (size_t j = i; j < i + k; j++) {
		l[j].attr = TRUE;
		if (l[j].kind == LINE_QUOTED)
			l[j].kind = LINE_TEXT; /* "> wrote:" */
	}
}

/*
 * Below a signature only a forward matters; history ends the search
 * (a forward inside it is old mail).  Returns the forward's line or n.
 */
static size_t
find_forward(const struct line *l, size_t i, size_t n)
{
	size_t prev = i - 1; /* the signature line, or the last non-blank */

	for (; i < n; i++) {
		if (quote_is_forward_start(l, i, prev))
			return i;
		if (l[i].kind == LINE_TEXT &&
		    (is_history_start(l, i, n) ||
		     quote_attribution_at(l, i, n) > 0))
			return n;
		if (l[i].kind != LINE_BLANK)
			prev = i;
	}
	return n;
}

/* First pass: where the author's text ends, and a forward if any. */
static void
find_cut(struct line *l, size_t n, struct cut *c)
{
	size_t prev = (size_t)-1; /* the last non-blank line */

	c->end = c->fwd = n;
	for (size_t i = 0; i < n; i++) {
		size_t k, j;

		if (quote_is_forward_start(l, i, prev)) {
			c->end = c->fwd = i;
			return;
		}
		if (l[i].kind != LINE_BLANK)
			prev = i;
		if (l[i].kind != LINE_TEXT)
			continue;
		if (quote_is_signature(&l[i]) || is_footer_cut(l, i, n)) {
			c->end = i;
			c->fwd = find_forward(l, i + 1, n);
			return;
		}
		k = quote_attribution_at(l, i, n);
		j = quote_next_nonblank(l, i + k, n);
		if (is_history_start(l, i, n) ||
		    (k > 0 && (j == n || l[j].kind != LINE_QUOTED))) {
			c->end = i; /* history, with or without quote marks */
			return;
		}
		if (k > 0) {
			mark_attribution(l, i, k);
			i += k - 1;
			prev = i;
		}
	}
}

/* ---- walking up ----------------------------------------------------- */

/* Drop trailing "> " blocks and their attributions. */
static size_t
drop_trailing_quotes(const struct line *l, size_t end)
{
	for (;;) {
		size_t e = end, b;

		while (e > 0 && l[e - 1].kind == LINE_BLANK)
			e--;
		if (e == 0 || l[e - 1].kind != LINE_QUOTED)
			return end;
		for (b = e; b > 0 && l[b - 1].kind != LINE_TEXT; b--)
			;
		if (b > 0 && l[b - 1].attr) {
			while (b > 0 && l[b - 1].attr)
				b--;
		} else if (b > 0) {
			b -= quote_loose_attribution(l, b);
		}
		end = b;
	}
}

/*
 * Bottom posting: "On ... wrote:" and its quote open the reply, the
 * answer follows, and no other quote does.  The quote is the previous
 * message, kept in full elsewhere; returns where the answer starts.
 * Interleaved answers (another quote below) keep their context.
 */
static size_t
skip_leading_quote(const struct line *l, size_t start, size_t end)
{
	size_t i = quote_next_nonblank(l, start, end);

	if (i == end || !l[i].attr)
		return start;
	while (i < end && l[i].attr)
		i++;
	while (i < end && l[i].kind != LINE_TEXT)
		i++;
	if (i == end)
		return start; /* only the quote: keep it */
	for (size_t j = i; j < end; j++)
		if (l[j].kind == LINE_QUOTED)
			return start;
	return i;
}

/*
 * Blank, or only rule characters ("-----", "____", "* * *").  U+1427, a
 * dot Gmail add-ons leave on a line of its own, counts as blank too.
 */
static gboolean
is_blank_or_rule(const struct line *l)
{
	static const char gmail_dot[] = "\xe1\x90\xa7";

	if (l->kind == LINE_BLANK)
		return TRUE;
	if (l->kind != LINE_TEXT)
		return FALSE;
	for (size_t i = 0; i < l->len; i++) {
		if (l->len - i >= 3 && memcmp(l->s + i, gmail_dot, 3) == 0)
			i += 2;
		else if (strchr("-_=*~#+ \t", l->s[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

/* The author's text l[start..end): trailing quotes, rules, sign-off go. */
static size_t
author_end(const struct line *l, size_t start, size_t end)
{
	end = drop_trailing_quotes(l, end);
	while (end > start && is_blank_or_rule(&l[end - 1]))
		end--;
	if (end > start && quote_is_signoff(&l[end - 1]) &&
	    end - 1 > start && l[end - 2].kind == LINE_BLANK) {
		end--;
		while (end > start && is_blank_or_rule(&l[end - 1]))
			end--;
	}
	return end;
}

/* ---- output --------------------------------------------------------- */

static void
append_lines(GString *out, const struct line *l, size_t start, size_t end)
{
	for (size_t i = start; i < end; i++) {
		if (out->len > 0 || i > start)
			g_string_append_c(out, '\n');
		g_string_append_len(out, l[i].s, (gssize)l[i].len);
	}
}

/* l[start..end) without blank lines at either end. */
static void
trim_range(const struct line *l, size_t *start, size_t *end)
{
	while (*end > *start && l[*end - 1].kind == LINE_BLANK)
		(*end)--;
	while (*start < *end && l[*start].kind == LINE_BLANK)
		(*start)++;
}

char *
quote_visible(const char *body)
{
	GArray *arr;
	struct line *l;
	struct cut c;
	size_t n, start, end, fend;
	GString *out;

	if (body == NULL)
		return NULL;
	arr = quote_split_lines(body);
	l = (struct line *)(void *)arr->data;
	n = arr->len;
	find_cut(l, n, &c);
	end = author_end(l, 0, c.end);
	start = skip_leading_quote(l, 0, end);
	trim_range(l, &start, &end);
	fend = n;
	trim_range(l, &c.fwd, &fend);
	if (start == end && c.fwd == fend) {
		/* Only history (or only a signature): keep what was sent. */
		start = 0;
		end = n;
		trim_range(l, &start, &end);
	}
	out = g_string_new(NULL);
	append_lines(out, l, start, end);
	if (start < end && c.fwd < fend)
		g_string_append_c(out, '\n');
	append_lines(out, l, c.fwd, fend);
	g_array_free(arr, TRUE);
	return g_string_free(out, FALSE);
}
