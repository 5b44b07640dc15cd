/*
 * quote.c - the visible part of a reply.  This file reads lines (what is
 * a signature, a footer, a marker, a header block, an attribution);
 * quote_visible.c walks them (steps 1 to 5 below).
 *
 * The body is split into lines once; every later look at a line is
 * bounded (markers are short, look-ahead is a few lines), so the work is
 * linear in the body whatever its shape.  No regular expressions: the
 * email_reply_parser corpus carries a 700 KB line of '>' that makes
 * backtracking patterns take minutes.
 *
 * 1. Walk down to the first line that begins history ("cut"): an
 *    "-----Original Message-----" marker, an Outlook header block, an
 *    underscore separator in front of headers or a list footer, or an
 *    attribution ("On ... wrote:") that is NOT followed by "> " lines.
 *    An attribution that IS followed by quoted lines belongs to that quote
 *    and stays with it: whether the quote goes is known only at the end.
 *    A signature ("-- ") or a mobile footer ends the author's text too,
 *    but the walk goes on below it looking for a forward.
 * 2. A forwarded message ("---------- Forwarded message ---------",
 *    "Begin forwarded message:") is kept with everything below it: mail
 *    forwarded to a case address usually IS the case.  Only the lines
 *    between the author's text and the forward (a signature) go.
 * 3. Walk up from the cut and drop trailing blocks of "> " lines with
 *    their attributions, then rules and a "-Name" sign-off; quotes with
 *    answers below them (interleaved replies) stay.
 * 4. Bottom posting: an attribution and its quote at the very top,
 *    followed by the answer and no further quote, go too.
 * 5. A reply that is only history keeps everything: nothing the author
 *    sent may disappear.
 */
#include "casemail/quote.h"

#include <glib.h>
#include <string.h>

#include "quote_phrases.h"
#include "quote_private.h"

/* Attributions, headers and markers are short; longer lines are prose. */
#define MAX_MARKER_LINE 400
/* Clients fold an attribution over up to three lines (name, <address>). */
#define MAX_ATTR_LINES 3
/*
 * HTML conversion of a Gmail attribution with a mailto link spreads it
 * over up to six lines with blanks, the verb alone on the last one.
 */
#define MAX_ATTR_SPAN 6
/* Footers are one short line ("Sent from my iPhone"). */
#define MAX_FOOTER_LINE 100
/* Outlook puts Sent:/Date: and To:/Subject: within this many lines of From:. */
#define HEADER_LOOKAHEAD 4
/* Outlook and Mailman separators are long; short runs are decoration. */
#define MIN_UNDERSCORES 20
/* Outlook.com draws its rule with five or more dashes ("-----"). */
#define MIN_RULE_DASHES 5
/* Under a rule: From, Sent/Date, To, Cc, Subject, one a line. */
#define MAX_RULE_HEADERS 6
/* Labels ("Gesendet", "Lähettäjä", "发件人") fit; a colon further in is prose. */
#define MAX_LABEL 32
/* A "-Name" sign-off: a dash and one to three words. */
#define MAX_SIGNOFF_LINE 40

enum label {
	LABEL_NONE,
	LABEL_FROM,
	LABEL_SENT, /* Sent: or Date: */
	LABEL_TO,   /* To:, Cc: or Subject: */
};

static gboolean
is_space_at(const char *s, size_t len)
{
	return (len >= 1 && (s[0] == ' ' || s[0] == '\t')) ||
	       (len >= 2 && (unsigned char)s[0] == 0xC2 &&
		(unsigned char)s[1] == 0xA0);
}

/* Trim blanks (NBSP included: French puts one before the colon). */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space_at(*s, *len)) {
		size_t w = (*s)[0] == ' ' || (*s)[0] == '\t' ? 1 : 2;

		*s += w;
		*len -= w;
	}
	for (;;) {
		if (*len >= 1 && ((*s)[*len - 1] == ' ' ||
				  (*s)[*len - 1] == '\t'))
			*len -= 1;
		else if (*len >= 2 && (unsigned char)(*s)[*len - 2] == 0xC2 &&
			 (unsigned char)(*s)[*len - 1] == 0xA0)
			*len -= 2;
		else
			break;
	}
}

static void
trim_chars(const char **s, size_t *len, const char *set)
{
	while (*len > 0 && strchr(set, (*s)[0]) != NULL) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && strchr(set, (*s)[*len - 1]) != NULL)
		(*len)--;
}

/* The line's text, trimmed, at most MAX_MARKER_LINE bytes of it. */
static void
line_text(const struct line *l, const char **s, size_t *len)
{
	*s = l->s;
	*len = MIN(l->len, (size_t)MAX_MARKER_LINE);
	trim(s, len);
}

/* line_text() with the bytes of strip taken off both ends, then trimmed. */
static void
line_text_without(const struct line *l, const char *strip, const char **s,
		  size_t *len)
{
	line_text(l, s, len);
	trim_chars(s, len, strip);
	trim(s, len);
}

/* ASCII case-insensitive; other bytes must match exactly. */
static gboolean
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && g_ascii_strncasecmp(s, prefix, plen) == 0;
}

static gboolean
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t slen = strlen(suffix);

	return len >= slen &&
	       g_ascii_strncasecmp(s + len - slen, suffix, slen) == 0;
}

static gboolean
contains(const char *s, size_t len, const char *word)
{
	return g_strstr_len(s, (gssize)len, word) != NULL;
}

static gboolean
equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && has_prefix(s, len, word);
}

/* Whether match(s, len, word) holds for a word of list: equals or contains. */
static gboolean
matches_any(const char *s, size_t len, const char *const *list,
	    gboolean (*match)(const char *s, size_t len, const char *word))
{
	for (; *list != NULL; list++)
		if (match(s, len, *list))
			return TRUE;
	return FALSE;
}

/* Strip a trailing ':' or the full-width '：' of CJK text. */
static gboolean
strip_colon(const char **s, size_t *len)
{
	if (has_suffix(*s, *len, ":"))
		*len -= 1;
	else if (has_suffix(*s, *len, "："))
		*len -= strlen("：");
	else
		return FALSE;
	trim(s, len);
	return TRUE;
}

static enum line_kind
classify(const char *s, size_t len)
{
	const char *p = s;
	size_t n = len;

	trim(&p, &n);
	if (n == 0)
		return LINE_BLANK;
	if (p[0] != '>')
		return LINE_TEXT;
	/*
	 * "<addr\n>:" is the tail of a folded attribution, not a quote
	 * (Gmail breaks long "<address>" forms that way).
	 */
	p++;
	n--;
	trim(&p, &n);
	return n == 1 && p[0] == ':' ? LINE_TEXT : LINE_QUOTED;
}

GArray *
quote_split_lines(const char *body)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(struct line));
	const char *p = body;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		struct line l = {p, nl != NULL ? (size_t)(nl - p) : strlen(p),
				 LINE_BLANK, FALSE};

		if (l.len > 0 && p[l.len - 1] == '\r')
			l.len--;
		l.kind = classify(l.s, l.len);
		g_array_append_val(lines, l);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines;
}

size_t
quote_next_nonblank(const struct line *l, size_t i, size_t n)
{
	while (i < n && l[i].kind == LINE_BLANK)
		i++;
	return i;
}

/* ---- signatures and footers ---------------------------------------- */

/* "-- " (many clients drop the space, so "--" too). */
gboolean
quote_is_signature(const struct line *l)
{
	if (l->len < 2 || l->s[0] != '-' || l->s[1] != '-')
		return FALSE;
	for (size_t i = 2; i < l->len; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return FALSE;
	return TRUE;
}

/* Words of s[0..len) split at spaces into w (at most max), or -1. */
static int
split_words(const char *s, size_t len, const char **w, size_t *wlen,
	    int max)
{
	int n = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && s[j] != ' ')
			j++;
		if (j > i) {
			if (n == max)
				return -1;
			w[n] = s + i;
			wlen[n++] = j - i;
		}
		i = j + 1;
	}
	return n;
}

/* "Android", or "Android" glued to a link ("iOShttps://aka.ms/..."). */
static gboolean
is_platform(const char *w, size_t wlen)
{
	for (const char *const *p = outlook_platforms; *p != NULL; p++) {
		size_t plen = strlen(*p);

		if (has_prefix(w, wlen, *p) &&
		    (wlen == plen || strchr("<([h", w[plen]) != NULL))
			return TRUE;
	}
	return FALSE;
}

/* "Get Outlook for Android", "Outlook für iOS herunterladen", .... */
static gboolean
is_outlook_footer(const char *s, size_t len)
{
	const char *w[6];
	size_t wlen[6];
	int n = split_words(s, len, w, wlen, 6), i = 0, p;

	while (i < n && i < 2 &&
	       matches_any(w[i], wlen[i], outlook_verbs, equals))
		i++;
	if (i + 2 >= n || !equals(w[i], wlen[i], "Outlook") ||
	    !matches_any(w[i + 1], wlen[i + 1], outlook_preps, equals))
		return FALSE;
	p = i + 2;
	/* Polish: "Outlook dla systemu Android". */
	if (p + 1 < n && equals(w[p], wlen[p], "systemu"))
		p++;
	if (!is_platform(w[p], wlen[p]))
		return FALSE;
	return p + 1 == n ||
	       (p + 2 == n &&
		matches_any(w[p + 1], wlen[p + 1], outlook_after, equals));
}

/* "Sent from my iPhone" but not "Sent from my desk, is much easier." */
gboolean
quote_is_footer(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (len > MAX_FOOTER_LINE || l->kind != LINE_TEXT)
		return FALSE;
	trim(&s, &len);
	trim_chars(&s, &len, "(<*_)>");
	if (is_outlook_footer(s, len))
		return TRUE;
	if (has_suffix(s, len, "から送信"))
		return TRUE; /* Japanese: "iPhoneから送信" */
	for (const char *const *f = footer_prefixes; *f != NULL; f++) {
		if (!has_prefix(s, len, *f))
			continue;
		return !contains(s, len, ", ") && !contains(s, len, ". ");
	}
	return FALSE;
}

/*
 * "-Abhishek Kona" as the last line: a dash, no space, and one to three
 * words, each starting with a capital (or a non-ASCII letter), so that
 * "-restart the server" stays.
 */
gboolean
quote_is_signoff(const struct line *l)
{
	const char *s, *w[3];
	size_t len, wlen[3];
	int n;

	line_text(l, &s, &len);
	if (len < 2 || len > MAX_SIGNOFF_LINE || s[0] != '-')
		return FALSE;
	if ((n = split_words(s + 1, len - 1, w, wlen, 3)) < 1 || w[0] != s + 1)
		return FALSE;
	for (int i = 0; i < n; i++)
		if (!g_ascii_isupper(w[i][0]) && (unsigned char)w[i][0] < 0x80)
			return FALSE;
	for (size_t i = 1; i < len; i++)
		if (g_ascii_isdigit(s[i]) || strchr(".,:;!?@()", s[i]) != NULL)
			return FALSE;
	return TRUE;
}

/* ---- markers and header blocks -------------------------------------- */

/* The words between the dashes of "-----Original Message-----", or FALSE. */
static gboolean
dashed_words(const struct line *l, const char **s, size_t *len)
{
	line_text(l, s, len);
	trim_chars(s, len, "*_");
	if (*len < 4 || (*s)[0] != '-' || (*s)[1] != '-' ||
	    (*s)[*len - 1] != '-')
		return FALSE;
	trim_chars(s, len, "- ");
	return TRUE;
}

/* "-----Original Message-----", "*-------- Original Message --------*". */
gboolean
quote_is_original_marker(const struct line *l)
{
	const char *s;
	size_t len;

	return l->kind == LINE_TEXT && dashed_words(l, &s, &len) &&
	       matches_any(s, len, original_markers, equals);
}

/* "*From:* x", "De : x", "发件人：x": which header label starts the line. */
static enum label
line_label(const struct line *l)
{
	const char *s = l->s, *colon, *wide;
	size_t len = MIN(l->len, (size_t)MAX_LABEL);

	if (l->kind != LINE_TEXT)
		return LABEL_NONE;
	colon = memchr(s, ':', len);
	wide = g_strstr_len(s, (gssize)len, "：");
	if (colon == NULL || (wide != NULL && wide < colon))
		colon = wide;
	if (colon == NULL)
		return LABEL_NONE;
	len = (size_t)(colon - s);
	trim(&s, &len);
	trim_chars(&s, &len, "*");
	trim(&s, &len);
	if (matches_any(s, len, from_labels, equals))
		return LABEL_FROM;
	if (matches_any(s, len, sent_labels, equals))
		return LABEL_SENT;
	if (matches_any(s, len, to_labels, equals))
		return LABEL_TO;
	return LABEL_NONE;
}

/* From: followed closely by Sent:/Date: and To:/Subject: (any order). */
gboolean
quote_is_header_block(const struct line *l, size_t i, size_t n)
{
	gboolean sent = FALSE, to = FALSE;

	if (line_label(&l[i]) != LABEL_FROM)
		return FALSE;
	for (size_t j = i + 1; j < n && j <= i + HEADER_LOOKAHEAD; j++) {
		enum label lab = line_label(&l[j]);

		sent = sent || lab == LABEL_SENT;
		to = to || lab == LABEL_TO;
	}
	return sent && to;
}

/* A line of at least min copies of c and nothing else. */
static gboolean
is_rule_of(const struct line *l, char c, size_t min)
{
	const char *s = l->s;
	size_t len = l->len;

	trim(&s, &len);
	if (len < min)
		return FALSE;
	for (size_t i = 0; i < len; i++)
		if (s[i] != c)
			return FALSE;
	return TRUE;
}

static gboolean
is_underscores(const struct line *l)
{
	return is_rule_of(l, '_', MIN_UNDERSCORES);
}

/*
 * A rule, then header lines only (Outlook.com and Hotmail write Date:,
 * Subject:, From:, To: in an order of their own): history when From,
 * Sent/Date and To/Subject are all among them.
 */
gboolean
quote_is_rule_header_block(const struct line *l, size_t i, size_t n)
{
	gboolean from = FALSE, sent = FALSE, to = FALSE;
	size_t j;

	if (l[i].kind != LINE_TEXT || (!is_underscores(&l[i]) &&
				       !is_rule_of(&l[i], '-', MIN_RULE_DASHES)))
		return FALSE;
	j = quote_next_nonblank(l, i + 1, n);
	for (size_t k = j; k < n && k < j + MAX_RULE_HEADERS; k++) {
		enum label lab = line_label(&l[k]);

		if (lab == LABEL_NONE)
			break;
		from = from || lab == LABEL_FROM;
		sent = sent || lab == LABEL_SENT;
		to = to || lab == LABEL_TO;
	}
	return from && sent && to;
}

/* "______" then a From: header, or Mailman's "<list> mailing list". */
gboolean
quote_is_underscore_cut(const struct line *l, size_t i, size_t n)
{
	if (!is_underscores(&l[i]))
		return FALSE;
	for (size_t j = i + 1; j < n && j <= i + 2; j++) {
		const char *s;
		size_t len;

		line_text(&l[j], &s, &len);
		if (line_label(&l[j]) == LABEL_FROM ||
		    has_suffix(s, len, "mailing list"))
			return TRUE;
	}
	return FALSE;
}

/* "---------- Forwarded message ---------" or "Begin forwarded message:". */
gboolean
quote_is_forward_marker(const struct line *l)
{
	const char *s;
	size_t len;

	if (dashed_words(l, &s, &len))
		return matches_any(s, len, forward_markers, equals);
	if (l->kind == LINE_QUOTED)
		line_text_without(l, ">", &s, &len);
	else
		line_text(l, &s, &len);
	return strip_colon(&s, &len) &&
	       matches_any(s, len, forward_openers, equals);
}

/*
 * A forward starts at l[i]: its marker as text, or as the first line of
 * a quote block that no attribution introduces (Apple Mail quotes the
 * forwarded message; a quoted forward under "On ... wrote:" is history).
 */
gboolean
quote_is_forward_start(const struct line *l, size_t i, size_t prev)
{
	if (!quote_is_forward_marker(&l[i]))
		return FALSE;
	if (l[i].kind != LINE_QUOTED)
		return TRUE;
	return prev == (size_t)-1 ||
	       (l[prev].kind != LINE_QUOTED && !l[prev].attr);
}

/* ---- attributions --------------------------------------------------- */

static gboolean
is_opener(const struct line *l)
{
	const char *s;
	size_t len;

	line_text_without(l, "-*", &s, &len);
	if (len > 0 && g_ascii_isdigit(s[0]))
		return TRUE;
	for (const char *const *o = openers; *o != NULL; o++)
		if (has_prefix(s, len, *o))
			return TRUE;
	return matches_any(s, len, leading_verbs, contains);
}

/* Does the text contain a digit (a date) or an '@' (an address)? */
static gboolean
has_evidence(const struct line *l, size_t k, gboolean *at_r)
{
	gboolean digit = FALSE;

	*at_r = FALSE;
	for (size_t i = 0; i < k; i++) {
		for (size_t j = 0; j < l[i].len; j++) {
			*at_r = *at_r || l[i].s[j] == '@';
			digit = digit || g_ascii_isdigit(l[i].s[j]);
		}
	}
	return *at_r || digit;
}

static gboolean
ends_with_verb(const char *s, size_t len)
{
	for (const char *const *v = final_verbs; *v != NULL; v++) {
		size_t vlen = strlen(*v);

		/* "<a@b.c>wrote:" is fine, "rewrote:" is not. */
		if (has_suffix(s, len, *v) &&
		    (len == vlen || !g_ascii_isalpha(s[len - vlen - 1]) ||
		     !g_ascii_isalpha((*v)[0])))
			return TRUE;
	}
	return FALSE;
}

static gboolean
has_leading_verb(const struct line *l, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (matches_any(l[i].s, l[i].len, leading_verbs, contains))
			return TRUE;
	return FALSE;
}

/*
 * Is lines l[0..k) an attribution?  It ends in a colon (or, Zoho's
 * "---- On ... wrote ----", in dashes), names a date or an address, and
 * either ends with the verb or has a verb-first form with an address.
 */
static gboolean
is_attribution(const struct line *l, size_t k)
{
	const char *s;
	size_t len;
	gboolean colon, at;

	line_text(&l[k - 1], &s, &len);
	colon = len > 0 && s[len - 1] == '-';
	if (colon)
		trim_chars(&s, &len, "- ");
	else
		colon = strip_colon(&s, &len);
	if (!colon || !has_evidence(l, k, &at))
		return FALSE;
	if (ends_with_verb(s, len))
		return TRUE;
	return has_leading_verb(l, k) && (at || is_opener(&l[0]));
}

/* "wrote:" or "> wrote:" alone: the end of a widely folded attribution. */
static gboolean
is_bare_verb(const struct line *l)
{
	const char *s;
	size_t len;

	line_text_without(l, ">", &s, &len);
	return strip_colon(&s, &len) &&
	       matches_any(s, len, final_verbs, equals);
}

/* Digits then sep, count times: the "2013/7/20" of Gmail's dates. */
static size_t
numeric_date_len(const char *s, size_t len)
{
	size_t i = 0;

	for (int part = 0; part < 3; part++) {
		size_t start = i;

		while (i < len && g_ascii_isdigit(s[i]))
			i++;
		if (i - start < 1 || i - start > 4 ||
		    (part == 0 && i - start != 4))
			return 0;
		if (part < 2 && (i >= len || (s[i] != '-' && s[i] != '/')))
			return 0;
		if (part < 2)
			i++;
	}
	return i < len && s[i] == ' ' ? i : 0;
}

/*
 * Gmail's localized attribution, which has no verb (and, converted from
 * HTML, sometimes no colon): "2013/7/20 Sam <s@ex.org>" or "2016-03-03
 * 17:21 GMT+01:00 Sam".  The date must lead; the time zone or an address
 * must follow.  Blank lines around it tell it from a line of a log.
 */
static gboolean
is_dated_attribution(const struct line *l, size_t i, size_t n)
{
	const char *s;
	size_t len, d;

	if ((i > 0 && l[i - 1].kind != LINE_BLANK) ||
	    (i + 1 < n && l[i + 1].kind == LINE_TEXT))
		return FALSE;
	line_text(&l[i], &s, &len);
	if ((d = numeric_date_len(s, len)) == 0)
		return FALSE;
	strip_colon(&s, &len);
	return contains(s + d, len - d, " GMT") ||
	       (has_suffix(s, len, ">") && contains(s, len, "@"));
}

/* Lines of an attribution starting at l[i], or 0. */
size_t
quote_attribution_at(const struct line *l, size_t i, size_t n)
{
	gboolean opener = is_opener(&l[i]), blanks = FALSE, at;

	if (is_dated_attribution(l, i, n))
		return 1;
	for (size_t k = 1; k <= (opener ? MAX_ATTR_SPAN : 1) && i + k <= n;
	     k++) {
		const struct line *last = &l[i + k - 1];

		if (last->len > MAX_MARKER_LINE || (k == 1 &&
						    last->kind != LINE_TEXT))
			return 0;
		if (last->kind == LINE_BLANK) {
			blanks = TRUE;
			continue;
		}
		/* Past three lines, over blanks or onto "> wrote:": the verb
		 * must stand alone, the mark of a folded attribution. */
		if (last->kind == LINE_QUOTED || k > MAX_ATTR_LINES || blanks) {
			if (is_bare_verb(last))
				return has_evidence(&l[i], k, &at) ? k : 0;
			if (last->kind == LINE_QUOTED)
				return 0;
			continue;
		}
		if (is_attribution(&l[i], k))
			return k;
	}
	return 0;
}

/*
 * Lines of an unmarked attribution ending at l[end - 1]: a paragraph of
 * at most three lines ending in a colon with an address in it, like
 * Gmail's "2016-10-24 15:36 GMT+02:00 Name <\nname@example.org>:".
 */
size_t
quote_loose_attribution(const struct line *l, size_t end)
{
	const char *s;
	size_t len, start = end, k;
	gboolean at;

	line_text(&l[end - 1], &s, &len);
	if (!strip_colon(&s, &len))
		return 0;
	while (start > 0 && end - start < MAX_ATTR_LINES &&
	       l[start - 1].kind == LINE_TEXT &&
	       l[start - 1].len <= MAX_MARKER_LINE)
		start--;
	if (start > 0 && l[start - 1].kind == LINE_TEXT)
		return 0; /* part of a longer paragraph: the author's prose */
	k = end - start;
	return has_evidence(&l[start], k, &at) && at ? k : 0;
}
