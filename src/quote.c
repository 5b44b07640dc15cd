/*
 * quote.c - the visible part of a reply.
 *
 * Two passes over the lines, both linear.  The first walks down and stops
 * at the first line that begins the history or the signature ("cut"):
 * a signature or mobile footer, an "-----Original Message-----" marker, an
 * Outlook header block, an underscore separator in front of headers or a
 * list footer, or an attribution ("On ... wrote:") that is NOT followed by
 * "> " lines.  An attribution that IS followed by quoted lines belongs to
 * that quote and stays with it: whether the quote goes is only known at
 * the end.  The second pass walks up from the cut and drops a trailing
 * block of "> " lines with its attribution, so quotes with answers below
 * them (interleaved replies, bottom posting) stay.
 *
 * Every look at a line is bounded (markers are short, look-ahead is a few
 * lines), so the work is linear in the body whatever its shape.
 *
 * Forwarded messages ("---------- Forwarded message ----------") are not
 * cut on purpose: mail forwarded to a case address usually IS the case.
 */
#include "casemail/quote.h"

#include <glib.h>
#include <string.h>

/* Attributions, headers and markers are short; longer lines are prose. */
#define MAX_MARKER_LINE 400
/* Clients fold an attribution over up to three lines (name, <address>). */
#define MAX_ATTR_LINES 3
/* Footers are one short line ("Sent from my iPhone"). */
#define MAX_FOOTER_LINE 100
/* Outlook puts Sent:/Date: and To:/Subject: within this many lines of From:. */
#define HEADER_LOOKAHEAD 4
/* Outlook and Mailman separators are long; short runs are decoration. */
#define MIN_UNDERSCORES 20
/* Labels ("Gesendet", "Lähettäjä") fit; a colon further in is prose. */
#define MAX_LABEL 24

enum line_kind { LINE_BLANK, LINE_TEXT, LINE_QUOTED };

struct line {
	const char *s;
	size_t len; /* without the newline and a trailing CR */
	enum line_kind kind;
	gboolean attr; /* attribution of the quote that follows it */
};

enum label {
	LABEL_NONE,
	LABEL_FROM,
	LABEL_SENT, /* Sent: or Date: */
	LABEL_TO,   /* To:, Cc: or Subject: */
};

static const char *const from_labels[] = {
	"From", "Von", "De", "Från", "Fra", "Van", "Da", "Od", "От",
	"Lähettäjä", "Feladó", NULL,
};
static const char *const sent_labels[] = {
	"Sent", "Date", "Gesendet", "Datum", "Envoyé", "Enviado", "Fecha",
	"Skickat", "Sendt", "Dato", "Verzonden", "Inviato", "Data", "Wysłano",
	"Odesláno", "Отправлено", "Дата", "Lähetetty", "Päivämäärä", NULL,
};
static const char *const to_labels[] = {
	"To", "Cc", "Subject", "An", "Betreff", "À", "A", "Objet", "Para",
	"Asunto", "Till", "Ämne", "Til", "Emne", "Aan", "Onderwerp", "Oggetto",
	"Do", "Temat", "Komu", "Předmět", "Кому", "Тема", "Vastaanottaja",
	"Aihe", NULL,
};

/* Between the dashes of "-----Original Message-----" and its kin. */
static const char *const original_markers[] = {
	"Original Message", "Original", "Ursprüngliche Nachricht",
	"Originalnachricht", "Message d'origine", "Message d’origine",
	"Mensaje original", "Messaggio originale", "Mensagem original",
	"Oorspronkelijk bericht", "Originalmeddelande", "Opprinnelig melding",
	"Oprindelig meddelelse", "Alkuperäinen viesti", "Wiadomość oryginalna",
	"Původní zpráva", "Исходное сообщение", "原始邮件", "元のメッセージ",
	NULL,
};

static const char *const footer_prefixes[] = {
	"Sent from my ", "Sent from Yahoo Mail", "Sent from Mail for ",
	"Sent from Windows Mail", "Sent from Mailbox", "Sent from Outlook",
	"Sent from Samsung", "Sent via ", "Sent with ", "Get Outlook for ",
	"Get [Outlook for ", "Von meinem ", "Gesendet von meinem ",
	"Envoyé de mon ", "Envoyé depuis mon ", "Enviado desde mi ",
	"Enviado do meu ", "Enviado de meu ", "Verzonden vanaf mijn ",
	"Verstuurd vanaf mijn ", "Verzonden met ", "Skickat från min ",
	"Sendt fra min ", "Inviato da ", "Wysłane z ", "Odesláno z ",
	"Lähetetty ", "Отправлено с ", "发自我的", "從我的", NULL,
};

/* Attribution endings: the verb comes last ("... wrote:"). */
static const char *const final_verbs[] = {
	"wrote", "writes", "schrieb", "a écrit", "escribió", "schreef",
	"geschreven", "skrev", "ha scritto", "escreveu", "pisze", "napisał",
	"napisała", "napisał(a)", "napsal", "napsala", "napsal(a)",
	"kirjoitti", "написал", "написала", "написал(а)", "пише", "a scris",
	"írta", "のメッセージ", "写道", "寫道", NULL,
};

/* Verbs that come before the name ("Am ... schrieb Max <m@x.de>:"). */
static const char *const leading_verbs[] = {
	" schrieb ", " skrev ", " schreef ", " a écrit ", " escribió ",
	" написал ", " napisał ", NULL,
};

/* How attributions begin when they are folded over several lines. */
static const char *const openers[] = {
	"On ", "Am ", "Le ", "El ", "Op ", "Den ", "Il ", "Em ", "W dniu ",
	"Dnia ", "At ", "På ", "Dne ", NULL,
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
equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && has_prefix(s, len, word);
}

static gboolean
in_list(const char *s, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (equals(s, len, *list))
			return TRUE;
	return FALSE;
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

static GArray *
split_lines(const char *body)
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

/* "-- " (many clients drop the space, so "--" too). */
static gboolean
is_signature(const struct line *l)
{
	if (l->len < 2 || l->s[0] != '-' || l->s[1] != '-')
		return FALSE;
	for (size_t i = 2; i < l->len; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return FALSE;
	return TRUE;
}

/* "Sent from my iPhone" but not "Sent from my desk, is much easier." */
static gboolean
is_footer(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (len > MAX_FOOTER_LINE)
		return FALSE;
	trim(&s, &len);
	trim_chars(&s, &len, "(<*_)>");
	for (const char *const *f = footer_prefixes; *f != NULL; f++) {
		if (!has_prefix(s, len, *f))
			continue;
		return g_strstr_len(s, (gssize)len, ", ") == NULL &&
		       g_strstr_len(s, (gssize)len, ". ") == NULL;
	}
	return FALSE;
}

/* "-----Original Message-----", "*-------- Original Message --------*". */
static gboolean
is_original_marker(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	if (len > MAX_MARKER_LINE)
		return FALSE;
	trim(&s, &len);
	trim_chars(&s, &len, "*_");
	if (len < 4 || s[0] != '-' || s[1] != '-' || s[len - 1] != '-')
		return FALSE;
	trim_chars(&s, &len, "- ");
	return in_list(s, len, original_markers);
}

/* "*From:* x", "De : x": which header label the line starts with. */
static enum label
line_label(const struct line *l)
{
	const char *s = l->s, *colon;
	size_t len = MIN(l->len, (size_t)MAX_LABEL);

	if (l->kind != LINE_TEXT)
		return LABEL_NONE;
	if ((colon = memchr(s, ':', len)) == NULL)
		return LABEL_NONE;
	len = (size_t)(colon - s);
	trim(&s, &len);
	trim_chars(&s, &len, "*");
	trim(&s, &len);
	if (in_list(s, len, from_labels))
		return LABEL_FROM;
	if (in_list(s, len, sent_labels))
		return LABEL_SENT;
	if (in_list(s, len, to_labels))
		return LABEL_TO;
	return LABEL_NONE;
}

/* From: followed closely by Sent:/Date: and To:/Subject: (any order). */
static gboolean
is_header_block(const struct line *l, size_t i, size_t n)
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

static gboolean
is_underscores(const struct line *l)
{
	const char *s = l->s;
	size_t len = l->len;

	trim(&s, &len);
	if (len < MIN_UNDERSCORES)
		return FALSE;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			return FALSE;
	return TRUE;
}

/* "______" then a From: header, or Mailman's "<list> mailing list". */
static gboolean
is_underscore_cut(const struct line *l, size_t i, size_t n)
{
	if (!is_underscores(&l[i]))
		return FALSE;
	for (size_t j = i + 1; j < n && j <= i + 2; j++) {
		const char *s = l[j].s;
		size_t len = MIN(l[j].len, (size_t)MAX_MARKER_LINE);

		trim(&s, &len);
		if (line_label(&l[j]) == LABEL_FROM ||
		    has_suffix(s, len, "mailing list"))
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_opener(const struct line *l)
{
	const char *s = l->s;
	size_t len = MIN(l->len, (size_t)MAX_MARKER_LINE);

	trim(&s, &len);
	trim_chars(&s, &len, "-*");
	trim(&s, &len);
	if (len > 0 && g_ascii_isdigit(s[0]))
		return TRUE;
	for (const char *const *o = openers; *o != NULL; o++)
		if (has_prefix(s, len, *o))
			return TRUE;
	for (const char *const *v = leading_verbs; *v != NULL; v++)
		if (g_strstr_len(s, (gssize)len, *v) != NULL)
			return TRUE;
	return FALSE;
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
		for (const char *const *v = leading_verbs; *v != NULL; v++)
			if (g_strstr_len(l[i].s, (gssize)l[i].len, *v) != NULL)
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
	const char *s = l[k - 1].s;
	size_t len = l[k - 1].len;
	gboolean colon = FALSE, at;

	trim(&s, &len);
	if (len > 0 && s[len - 1] == '-') {
		trim_chars(&s, &len, "- ");
		colon = TRUE;
	} else if (has_suffix(s, len, ":") || has_suffix(s, len, "：")) {
		len -= s[len - 1] == ':' ? 1 : strlen("：");
		colon = TRUE;
	}
	trim(&s, &len);
	if (!colon || !has_evidence(l, k, &at))
		return FALSE;
	if (ends_with_verb(s, len))
		return TRUE;
	return has_leading_verb(l, k) && (at || is_opener(&l[0]));
}

/* Lines in an attribution starting at l[i], or 0. */
static size_t
attribution_at(const struct line *l, size_t i, size_t n)
{
	size_t maxk = is_opener(&l[i]) ? MAX_ATTR_LINES : 1;

	for (size_t k = 1; k <= maxk && i + k <= n; k++) {
		const struct line *last = &l[i + k - 1];

		if (last->kind != LINE_TEXT || last->len > MAX_MARKER_LINE)
			return 0;
		if (is_attribution(&l[i], k))
			return k;
	}
	return 0;
}

static size_t
next_nonblank(const struct line *l, size_t i, size_t n)
{
	while (i < n && l[i].kind == LINE_BLANK)
		i++;
	return i;
}

/* A line that starts history or a signature, not counting footers. */
static gboolean
is_history_start(const struct line *l, size_t i, size_t n)
{
	return is_signature(&l[i]) || is_original_marker(&l[i]) ||
	       is_header_block(l, i, n) || is_underscore_cut(l, i, n);
}

/*
 * A footer only when nothing of the author's follows: the end, a quote,
 * history, another footer.  "Sent from my laptop it works" stays.
 */
static gboolean
is_footer_cut(const struct line *l, size_t i, size_t n)
{
	size_t j;

	if (!is_footer(&l[i]))
		return FALSE;
	j = next_nonblank(l, i + 1, n);
	return j == n || l[j].kind == LINE_QUOTED || is_footer(&l[j]) ||
	       is_history_start(l, j, n) || attribution_at(l, j, n) > 0;
}

/* First pass: the first line of history or signature (n if none). */
static size_t
find_cut(struct line *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k, j;

		if (l[i].kind != LINE_TEXT)
			continue;
		if (is_history_start(l, i, n) || is_footer_cut(l, i, n))
			return i;
		if ((k = attribution_at(l, i, n)) == 0)
			continue;
		j = next_nonblank(l, i + k, n);
		if (j == n || l[j].kind != LINE_QUOTED)
			return i; /* history without quote marks */
		for (j = i; j < i + k; j++)
			l[j].attr = TRUE;
		i += k - 1;
	}
	return n;
}

/*
 * Lines of an unmarked attribution ending at l[end - 1]: a paragraph of
 * at most three lines ending in a colon with an address in it, like
 * Gmail's "2016-10-24 15:36 GMT+02:00 Name <\nname@example.org>:".
 */
static size_t
loose_attribution(const struct line *l, size_t end)
{
	const char *s = l[end - 1].s;
	size_t len = l[end - 1].len, start = end, k;
	gboolean at;

	trim(&s, &len);
	if (!has_suffix(s, len, ":") && !has_suffix(s, len, "："))
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

/* Second pass: drop trailing "> " blocks and their attributions. */
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
			b -= loose_attribution(l, b);
		}
		end = b;
	}
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

static char *
join_lines(const struct line *l, size_t start, size_t end)
{
	GString *out = g_string_new(NULL);

	for (size_t i = start; i < end; i++) {
		if (i > start)
			g_string_append_c(out, '\n');
		g_string_append_len(out, l[i].s, (gssize)l[i].len);
	}
	return g_string_free(out, FALSE);
}

char *
quote_visible(const char *body)
{
	GArray *arr;
	struct line *l;
	size_t n, start = 0, end;
	char *text;

	if (body == NULL)
		return NULL;
	arr = split_lines(body);
	l = (struct line *)(void *)arr->data;
	n = arr->len;
	end = drop_trailing_quotes(l, find_cut(l, n));
	while (end > 0 && is_blank_or_rule(&l[end - 1]))
		end--;
	while (start < end && l[start].kind == LINE_BLANK)
		start++;
	if (start == end) {
		/* Only a quote (or only a signature): keep what was sent. */
		end = n;
		while (end > 0 && l[end - 1].kind == LINE_BLANK)
			end--;
		while (start < end && l[start].kind == LINE_BLANK)
			start++;
	}
	text = join_lines(l, start, end);
	g_array_free(arr, TRUE);
	return text;
}
