/*
 * html2text_private.h - what the html2text*.c files share; not part of
 * the module's contract, and nothing outside src/mail/html2text*.c
 * includes it.
 *
 *   html2text.c        the SAX handlers: what each element does, hidden
 *                      parts, links' targets, lists, tables; the parse
 *   html2text_out.c    the writer: owed line breaks and spaces, quote
 *                      marks and bullets, <pre> text, rules, link targets
 *   html2text_input.c  what libxml2 is given: bounded, valid UTF-8, cut
 *                      before a tag whose attributes would cost too much
 */
#ifndef CASEMAIL_HTML2TEXT_PRIVATE_H
#define CASEMAIL_HTML2TEXT_PRIVATE_H

#include <glib.h>
#include <libxml/HTMLparser.h>

#include "casemail/html2text.h"

/*
 * A horizontal rule, and the line Outlook puts above the quoted original
 * in its text bodies: quote.c cuts there when a From: header follows.
 */
#define RULE_LINE "________________________________"
/* Two breaks = one blank line, the most we ever emit in a row. */
#define MAX_BREAKS 2

enum tag_kind {
	TAG_INLINE, /* unknown tags too: their text flows on */
	TAG_DROP,   /* never rendered: script, style, head, ... */
	TAG_BLOCK,  /* starts and ends a line */
	TAG_PARA,   /* a block with a blank line around it */
	TAG_BR,
	TAG_LINK,
	TAG_LIST_UL,
	TAG_LIST_OL,
	TAG_ITEM,
	TAG_QUOTE,
	TAG_PRE,
	TAG_ROW,
	TAG_CELL,
	TAG_RULE,   /* <hr>: a line of RULE_LINE */
};

/* State an element changes and restores when it closes. */
struct frame {
	enum tag_kind kind;
	gboolean list_ordered;
	long list_item;
	int cells;
	gboolean cell_sep;
	char *href; /* owned; non-NULL only for the outermost link */
};

/* The writer: output plus what is owed before the next visible text. */
struct h2t {
	GString *out;
	size_t max_out;	     /* output bytes allowed before the note */
	gboolean full;	     /* max_out reached: stop parsing */
	gboolean started;    /* something visible has been written */
	int breaks;	     /* line breaks owed, 0..MAX_BREAKS */
	int break_quote;     /* lowest quote depth while breaks were owed */
	gboolean space;	     /* collapsed whitespace owed */
	gboolean cell_sep;   /* " | " owed before the next cell's text */
	int quote;	     /* blockquote depth */
	size_t rule_end;     /* output length right after the last rule */
	int pre;	     /* pre depth: whitespace is kept */
	GString *pre_ws;     /* pre whitespace held until text follows it */
	int list_depth;
	gboolean list_ordered;
	long list_item;	     /* number of the last item in this list */
	char bullet[48];     /* written after the next line start */
	gboolean bullet_owed;
	int cells;	     /* cells seen in the current table row */
	gboolean in_link;
	gboolean link_marked; /* link_mark is where the link text starts */
	size_t link_mark;
	htmlParserCtxtPtr ctxt;
	int depth;	     /* open elements */
	int skip_depth;	     /* inside a dropped element opened at this depth */
	gboolean stopped;    /* parse stopped early: too deep or too broken */
	long stray_cost;     /* stack entries libxml2 scanned for stray tags */
	struct frame frames[HTML2TEXT_MAX_DEPTH]; /* one per open element */
};

/* Owe n line breaks (max semantics: block edges do not add up). */
void html2text_owe_breaks(struct h2t *h, int n);
/* A <br> or a newline in <pre>: these do add up, to one blank line. */
void html2text_owe_hard_break(struct h2t *h);
/* Flowing text: any whitespace run becomes one owed space. */
void html2text_emit_flow(struct h2t *h, const char *s, size_t n);
/* Preformatted text: newlines are hard breaks, other whitespace is kept
 * but held back until text follows. */
void html2text_emit_pre(struct h2t *h, const char *s, size_t n);
/* A rule on a line of its own; one for an <hr> and the marker after it. */
void html2text_emit_rule(struct h2t *h);
/* Close a link whose text was written from link_mark on, showing href
 * unless the text already says it. */
void html2text_link_close(struct h2t *h, const char *href);

/*
 * The input to hand to libxml2 for html[0..*len): at most
 * HTML2TEXT_MAX_INPUT bytes, no byte order mark, valid UTF-8, cut before
 * a tag whose attributes would cost libxml2 too much.  *len is updated,
 * *cut_r says whether anything was cut; a copy, when one was needed, is
 * in *copy_r (caller g_free()s).
 */
const char *html2text_sane_input(const char *html, size_t *len,
				 gboolean *cut_r, char **copy_r);

#endif
