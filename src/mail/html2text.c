/*
 * html2text.c - HTML bodies to plain text with libxml2's HTML parser.
 * This file: the SAX handlers and the parse; html2text_private.h names
 * the other html2text_*.c files.
 *
 * We drive libxml2's HTML parser with SAX callbacks instead of building a
 * tree and walking it.  Measured with libxml2 2.9.14 on 5 MB of small
 * paragraphs: the tree costs about 200 MiB and 300 ms to build, the
 * callbacks about 20 MiB and 150 ms, and the header promises tens of MiB.
 * The callbacks see the same parse (implied html/body, auto-closed tags,
 * decoded entities) that the tree would hold.
 *
 * Depth: building a tree, libxml2 stops at 256 levels unless given
 * HTML_PARSE_HUGE; with callbacks it has no limit, and its stack of open
 * names grows and is scanned on every stray end tag (quadratic).  So we
 * stop the parser ourselves at HTML2TEXT_MAX_DEPTH, as the tree builder
 * would, and say so with the truncation note.
 */
#include "casemail/html2text.h"

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <stdlib.h>
#include <string.h>

#include "html2text_private.h"

#define TRUNCATED_NOTE "[message truncated]"
/* What a note costs: the blank line in front of it plus its text. */
#define NOTE_BYTES (2 + sizeof(TRUNCATED_NOTE) - 1)
/*
 * Longer hrefs are data: URIs or tracking blobs that nobody reads; they
 * would only crowd out the text under the output limit.
 */
#define MAX_URL_BYTES 2048
/* Enough of a style attribute to find display:none; the rest is noise. */
#define MAX_STYLE_SCAN 1024
/* Bullets indent two spaces per nesting level, up to this many levels. */
#define MAX_LIST_INDENT 8
/*
 * libxml2 looks for a stray end tag ("</span>" with no open span) in its
 * whole stack of open elements: 8 MB of them 250 levels deep took a second
 * (2.9.14).  We charge each one its depth and stop the parse when this
 * budget is spent, about 100 ms of scanning; shallow junk never gets there.
 */
#define MAX_STRAY_END_COST (64L * 1024 * 1024)

/* libxml2 2.12 made the structured error handler take a const pointer. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *error_ptr;
#else
typedef xmlErrorPtr error_ptr;
#endif

static const int parse_options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
				 HTML_PARSE_IGNORE_ENC;

struct tag_rule {
	const char *name;
	enum tag_kind kind;
};

/* Sorted by name for bsearch(); libxml2 gives us lower-case names. */
static const struct tag_rule tag_rules[] = {
	{"a", TAG_LINK},	  {"address", TAG_BLOCK},
	{"article", TAG_BLOCK},	  {"aside", TAG_BLOCK},
	{"audio", TAG_DROP},	  {"blockquote", TAG_QUOTE},
	{"body", TAG_BLOCK},	  {"br", TAG_BR},
	{"canvas", TAG_DROP},	  {"caption", TAG_BLOCK},
	{"center", TAG_BLOCK},	  {"dd", TAG_BLOCK},
	{"details", TAG_BLOCK},	  {"dialog", TAG_BLOCK},
	{"dir", TAG_LIST_UL},	  {"div", TAG_BLOCK},
	{"dl", TAG_PARA},	  {"dt", TAG_BLOCK},
	{"embed", TAG_DROP},	  {"fieldset", TAG_BLOCK},
	{"figcaption", TAG_BLOCK}, {"figure", TAG_PARA},
	{"footer", TAG_BLOCK},	  {"form", TAG_BLOCK},
	{"h1", TAG_PARA},	  {"h2", TAG_PARA},
	{"h3", TAG_PARA},	  {"h4", TAG_PARA},
	{"h5", TAG_PARA},	  {"h6", TAG_PARA},
	{"head", TAG_DROP},	  {"header", TAG_BLOCK},
	{"hr", TAG_RULE},	  {"html", TAG_BLOCK},
	{"iframe", TAG_DROP},	  {"legend", TAG_BLOCK},
	{"li", TAG_ITEM},	  {"listing", TAG_PRE},
	{"main", TAG_BLOCK},	  {"menu", TAG_LIST_UL},
	{"nav", TAG_BLOCK},	  {"noscript", TAG_DROP},
	{"object", TAG_DROP},	  {"ol", TAG_LIST_OL},
	{"p", TAG_PARA},	  {"plaintext", TAG_PRE},
	{"pre", TAG_PRE},	  {"script", TAG_DROP},
	{"section", TAG_BLOCK},	  {"select", TAG_DROP},
	{"style", TAG_DROP},	  {"summary", TAG_BLOCK},
	{"svg", TAG_DROP},	  {"table", TAG_BLOCK},
	{"td", TAG_CELL},	  {"template", TAG_DROP},
	{"textarea", TAG_PRE},	  {"th", TAG_CELL},
	{"title", TAG_DROP},	  {"tr", TAG_ROW},
	{"ul", TAG_LIST_UL},	  {"video", TAG_DROP},
	{"xmp", TAG_PRE},
};

static int
rule_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag_rule *)elem)->name);
}

static enum tag_kind
tag_kind(const xmlChar *name)
{
	const struct tag_rule *r;

	r = bsearch(name, tag_rules, G_N_ELEMENTS(tag_rules),
		    sizeof(tag_rules[0]), rule_cmp);
	return r != NULL ? r->kind : TAG_INLINE;
}

/*
 * The first MAX_STYLE_SCAN bytes of a style attribute, lower case and
 * without whitespace, so "DISPLAY : none" reads "display:none".
 */
static void
style_squeeze(const char *style, char buf[MAX_STYLE_SCAN + 1])
{
	size_t n = 0;

	for (size_t i = 0; i < MAX_STYLE_SCAN && style[i] != '\0'; i++)
		if (!g_ascii_isspace(style[i]))
			buf[n++] = g_ascii_tolower(style[i]);
	buf[n] = '\0';
}

/*
 * An attribute's value from SAX's name/value list; "" for a bare
 * attribute (hidden), NULL when absent.  libxml2 lower-cases the names.
 */
static const char *
attr_value(const xmlChar **attrs, const char *name)
{
	for (; attrs != NULL && attrs[0] != NULL; attrs += 2)
		if (strcmp((const char *)attrs[0], name) == 0)
			return attrs[1] != NULL ? (const char *)attrs[1] : "";
	return NULL;
}

/* Hidden by the hidden attribute or an inline display:none. */
static gboolean
element_hidden(const xmlChar **attrs)
{
	const char *style;
	char squeezed[MAX_STYLE_SCAN + 1];

	if (attrs == NULL)
		return FALSE;
	if (attr_value(attrs, "hidden") != NULL)
		return TRUE;
	if ((style = attr_value(attrs, "style")) == NULL)
		return FALSE;
	style_squeeze(style, squeezed);
	return strstr(squeezed, "display:none") != NULL;
}

/*
 * Does this element start the quoted original of an Outlook reply?
 *  - Outlook on the web: <div id="divRplyFwdMsg"> holds the From:/Sent:
 *    block (usually after an <hr>, which is a rule already);
 *  - Outlook for Windows (Word HTML): the block sits in
 *    <div style="border:none;border-top:solid #E1E1E1 1.0pt;...">,
 *    whose top border is the visible line;
 *  - Outlook for Mac: <span id="OLK_SRC_BODY_SECTION"> wraps the header
 *    block and the original (on_comment covers the comment form); later
 *    versions and the new Outlook use
 *    <div id="mail-editor-reference-message-container">.
 * Each shows as a rule in front, as Outlook's own text bodies have it.
 */
static gboolean
element_starts_original(const xmlChar **attrs)
{
	const char *id = attr_value(attrs, "id");
	const char *style;
	char squeezed[MAX_STYLE_SCAN + 1];

	if (id != NULL && (g_ascii_strcasecmp(id, "divRplyFwdMsg") == 0 ||
			   g_ascii_strcasecmp(id, "OLK_SRC_BODY_SECTION") == 0 ||
			   g_ascii_strcasecmp(id, "mail-editor-reference-"
						  "message-container") == 0))
		return TRUE;
	if ((style = attr_value(attrs, "style")) == NULL)
		return FALSE;
	style_squeeze(style, squeezed);
	return strstr(squeezed, "border:none") != NULL &&
	       strstr(squeezed, "border-top:solid") != NULL;
}

/*
 * An href as a browser reads it: outer whitespace trimmed, tabs and line
 * breaks inside removed (the URL standard drops them).  NULL when other
 * whitespace or control characters remain: that is not an address a
 * reader can use, and showing it would break the text's lines.
 */
static char *
link_squeeze(const char *value)
{
	char *href = g_strstrip(g_strdup(value));
	size_t n = 0;

	for (size_t i = 0; href[i] != '\0'; i++) {
		unsigned char c = (unsigned char)href[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c <= ' ' || c == 0x7F ||
		    (c == 0xC2 && (unsigned char)href[i + 1] == 0xA0)) {
			g_free(href);
			return NULL;
		}
		href[n++] = href[i];
	}
	href[n] = '\0';
	return href;
}

/* The href worth showing, or NULL (owned by the caller: g_free). */
static char *
link_href(const xmlChar **attrs)
{
	const char *value = attr_value(attrs, "href");
	char *href;

	/* Cheap length check before copying: data: URIs run to megabytes. */
	if (value == NULL || strnlen(value, MAX_URL_BYTES + 1) > MAX_URL_BYTES)
		return NULL;
	href = link_squeeze(value);
	if (href == NULL || *href == '\0' || *href == '#' ||
	    g_ascii_strncasecmp(href, "javascript:", 11) == 0 ||
	    g_ascii_strncasecmp(href, "data:", 5) == 0 ||
	    g_ascii_strncasecmp(href, "cid:", 4) == 0) {
		g_free(href);
		return NULL;
	}
	return href;
}

static void
list_open(struct h2t *h, const xmlChar **attrs, gboolean ordered)
{
	const char *start = ordered ? attr_value(attrs, "start") : NULL;
	long first = 1;

	if (start != NULL) {
		first = strtol(start, NULL, 10);
		/* Keep item numbers printable and free of overflow. */
		first = CLAMP(first, -1000000L, 1000000L);
	}
	html2text_owe_breaks(h, h->list_depth == 0 ? 2 : 1);
	h->list_depth++;
	h->list_ordered = ordered;
	h->list_item = first - 1;
}

static void
item_open(struct h2t *h)
{
	int indent = MIN(MAX(h->list_depth - 1, 0), MAX_LIST_INDENT) * 2;

	html2text_owe_breaks(h, 1);
	h->list_item++;
	if (h->list_ordered)
		g_snprintf(h->bullet, sizeof(h->bullet), "%*s%ld. ", indent,
			   "", h->list_item);
	else
		g_snprintf(h->bullet, sizeof(h->bullet), "%*s- ", indent, "");
	h->bullet_owed = TRUE;
}

/* Opening side of an element; fr keeps what element_close restores. */
static void
element_open(struct h2t *h, const xmlChar **attrs, enum tag_kind kind,
	     struct frame *fr)
{
	fr->kind = kind;
	fr->list_ordered = h->list_ordered;
	fr->list_item = h->list_item;
	fr->cells = h->cells;
	fr->cell_sep = h->cell_sep;
	fr->href = NULL;
	if (kind != TAG_RULE && attrs != NULL && element_starts_original(attrs))
		html2text_emit_rule(h);
	switch (kind) {
	case TAG_BLOCK:
		html2text_owe_breaks(h, 1);
		break;
	case TAG_RULE:
		html2text_emit_rule(h);
		break;
	case TAG_PARA:
		html2text_owe_breaks(h, 2);
		break;
	case TAG_BR:
		html2text_owe_hard_break(h);
		break;
	case TAG_LINK:
		if (!h->in_link && (fr->href = link_href(attrs)) != NULL) {
			h->in_link = TRUE;
			h->link_marked = FALSE;
		}
		break;
	case TAG_LIST_UL:
	case TAG_LIST_OL:
		list_open(h, attrs, kind == TAG_LIST_OL);
		break;
	case TAG_ITEM:
		item_open(h);
		break;
	case TAG_QUOTE:
		html2text_owe_breaks(h, 2);
		h->quote++;
		break;
	case TAG_PRE:
		html2text_owe_breaks(h, 2);
		h->pre++;
		break;
	case TAG_ROW:
		html2text_owe_breaks(h, 1);
		h->cells = 0;
		h->cell_sep = FALSE;
		break;
	case TAG_CELL:
		/* Owed, not written: empty layout cells leave no trace. */
		h->cell_sep = h->cells++ > 0;
		break;
	default:
		break;
	}
}

static void
element_close(struct h2t *h, struct frame *fr)
{
	switch (fr->kind) {
	case TAG_BLOCK:
	case TAG_ROW:
		html2text_owe_breaks(h, 1);
		break;
	case TAG_ITEM:
		/* An empty item leaves no dangling bullet. */
		html2text_owe_breaks(h, 1);
		h->bullet_owed = FALSE;
		break;
	case TAG_PARA:
		html2text_owe_breaks(h, 2);
		break;
	case TAG_LINK:
		if (fr->href != NULL)
			html2text_link_close(h, fr->href);
		break;
	case TAG_LIST_UL:
	case TAG_LIST_OL:
		h->list_depth--;
		html2text_owe_breaks(h, h->list_depth == 0 ? 2 : 1);
		h->list_ordered = fr->list_ordered;
		h->list_item = fr->list_item;
		break;
	case TAG_QUOTE:
		html2text_owe_breaks(h, 2);
		h->quote--;
		html2text_owe_breaks(h, 2);
		break;
	case TAG_PRE:
		h->pre--;
		g_string_truncate(h->pre_ws, 0);
		html2text_owe_breaks(h, 2);
		break;
	default:
		break;
	}
	if (fr->kind == TAG_ROW) {
		h->cells = fr->cells;
		h->cell_sep = fr->cell_sep;
	}
	g_free(fr->href);
	fr->href = NULL;
}

static void
on_start(void *ud, const xmlChar *name, const xmlChar **attrs)
{
	struct h2t *h = ud;
	enum tag_kind kind;

	if (h->depth >= HTML2TEXT_MAX_DEPTH) {
		h->stopped = TRUE;
		xmlStopParser(h->ctxt);
		return;
	}
	h->depth++;
	if (h->skip_depth > 0 || h->full)
		return;
	kind = tag_kind(name);
	if (kind == TAG_DROP || element_hidden(attrs)) {
		h->skip_depth = h->depth;
		return;
	}
	element_open(h, attrs, kind, &h->frames[h->depth - 1]);
}

/* libxml2 closes every element it opened, implied and auto-closed ones too. */
static void
on_end(void *ud, const xmlChar *name)
{
	struct h2t *h = ud;

	(void)name;
	if (h->depth == 0)
		return;
	if (h->skip_depth > 0 || h->full) {
		if (h->skip_depth == h->depth)
			h->skip_depth = 0;
	} else {
		element_close(h, &h->frames[h->depth - 1]);
	}
	h->depth--;
}

/* Errors are expected (mail HTML); we only keep the stray tags' bill. */
static void
on_error(void *ud, error_ptr error)
{
	struct h2t *h = ud;

	if (error == NULL || error->code != XML_ERR_TAG_NAME_MISMATCH)
		return;
	h->stray_cost += h->depth + 1;
	if (h->stray_cost > MAX_STRAY_END_COST && !h->stopped) {
		h->stopped = TRUE;
		xmlStopParser(h->ctxt);
	}
}

/* Outlook for Mac's marker also comes as a comment. */
static void
on_comment(void *ud, const xmlChar *value)
{
	struct h2t *h = ud;

	if (h->skip_depth > 0 || h->full || value == NULL)
		return;
	if (strstr((const char *)value, "OLK_SRC_BODY_SECTION") != NULL)
		html2text_emit_rule(h);
}

static void
on_text(void *ud, const xmlChar *text, int len)
{
	struct h2t *h = ud;

	if (h->skip_depth > 0 || h->full || len <= 0)
		return;
	if (h->pre > 0)
		html2text_emit_pre(h, (const char *)text, (size_t)len);
	else
		html2text_emit_flow(h, (const char *)text, (size_t)len);
}

/*
 * One parse with our callbacks.  htmlCtxtReadMemory is the path
 * htmlReadMemory takes (the push parser of 2.9.14 drops a whole document
 * that opens with a stray end tag); we give its context our handler
 * table, which libxml2 2.9 has no constructor argument for.  UTF-8 is
 * forced and <meta charset> ignored: the MIME layer already converted the
 * part.  No tree is built, so nothing comes back to free.
 */
static int
parse(struct h2t *h, const char *src, size_t len)
{
	htmlSAXHandler sax;
	htmlDocPtr doc;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.comment = on_comment;
	/* The magic is what makes libxml2 call the structured handler. */
	sax.initialized = XML_SAX2_MAGIC;
	sax.serror = on_error;
	html2text_init();
	if ((h->ctxt = htmlNewParserCtxt()) == NULL)
		return -1;
	memcpy(h->ctxt->sax, &sax, sizeof(sax));
	h->ctxt->userData = h;
	/* Recovery is the point; on_error already saw what we care about. */
	doc = htmlCtxtReadMemory(h->ctxt, src, (int)len, NULL, "UTF-8",
				 parse_options);
	xmlFreeDoc(doc); /* NULL unless a future libxml2 builds one anyway */
	htmlFreeParserCtxt(h->ctxt);
	h->ctxt = NULL;
	return 0;
}

/*
 * Free the writer and return its text: with the note if anything was
 * cut, and guaranteed valid UTF-8.
 */
static char *
finish(struct h2t *h, gboolean cut)
{
	char *text;

	if (cut || h->full || h->stopped) {
		/* The limit may have cut between a separator and its text. */
		while (h->out->len > 0 &&
		       g_ascii_isspace(h->out->str[h->out->len - 1]))
			g_string_truncate(h->out, h->out->len - 1);
		if (h->out->len > 0)
			g_string_append(h->out, "\n\n");
		g_string_append(h->out, TRUNCATED_NOTE);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(h->frames); i++)
		g_free(h->frames[i].href);
	g_string_free(h->pre_ws, TRUE);
	text = g_string_free(h->out, FALSE);
	g_free(h);
	if (!g_utf8_validate(text, -1, NULL)) {
		char *valid = g_utf8_make_valid(text, -1);

		g_free(text);
		text = valid;
	}
	return text;
}

void
html2text_init(void)
{
	xmlInitParser(); /* idempotent; libxml2 wants it before first use */
}

int
html2text(const char *html, size_t len, char **text_r, struct cm_error *err)
{
	struct h2t *h;
	char *copy = NULL;
	const char *src;
	gboolean cut = FALSE;
	int rc = 0;

	*text_r = NULL;
	if (html == NULL && len > 0)
		return cm_error_set(err, CM_EUSAGE, "html2text: no input");
	h = g_new0(struct h2t, 1);
	h->out = g_string_sized_new(MIN(len, HTML2TEXT_MAX_OUTPUT) / 2 + 16);
	h->pre_ws = g_string_new(NULL);
	h->max_out = HTML2TEXT_MAX_OUTPUT - NOTE_BYTES;
	/* An empty body is an empty text, not a broken document. */
	if (len > 0) {
		src = html2text_sane_input(html, &len, &cut, &copy);
		rc = parse(h, src, len);
		g_free(copy);
	}
	*text_r = finish(h, cut);
	if (rc == 0)
		return 0;
	g_free(*text_r);
	*text_r = NULL;
	return cm_error_set(err, CM_EINPUT,
			    "html2text: libxml2 could not parse %zu bytes "
			    "of HTML", len);
}
