/*
 * template_private.h - what the template*.c files share; not part of the
 * module's contract, and nothing outside src/outbound/template*.c
 * includes it.
 *
 *   template.c         parsing a template file (the header block, the
 *                      body's syntax) and loading the directory
 *   template_lex.c     cutting a template string into tokens, sections
 *                      matched to their closing tags, in one pass
 *   template_render.c  rendering tokens with values; unfilled names
 */
#ifndef CASEMAIL_TEMPLATE_PRIVATE_H
#define CASEMAIL_TEMPLATE_PRIVATE_H

#include <glib.h>

#include "casemail/template.h"

enum tok_type {
	TOK_TEXT,
	TOK_VAR,       /* {{name}} */
	TOK_SECTION,   /* {{#name}} */
	TOK_INVERTED,  /* {{^name}} */
	TOK_CLOSE,     /* {{/name}} */
};

struct tok {
	enum tok_type type;
	const char *s;    /* the text, or the name; borrowed from the source */
	size_t len;
	int line;
	guint close;      /* TOK_SECTION, TOK_INVERTED: index of its TOK_CLOSE */
};

/* A CM_ECONFIG error "where:line: fmt..." in err; returns CM_ECONFIG. */
int template_err(struct cm_error *err, const char *where, int line,
		 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Whether c may be part of a value name: letters, digits, '_', '.', '-'. */
int template_is_name_char(char c);
/* Whether c is a space or a tab. */
int template_is_blank(char c);

/*
 * Cut src into tokens (struct tok, appended to toks), matching each
 * section to its closing tag.  first_line is the line src starts on and
 * where the file name, both for messages.  Returns 0 or CM_ECONFIG.
 */
int template_tokenize(const char *src, const char *where, int first_line,
		      GArray *toks, struct cm_error *err);
/* Check the syntax of src without keeping the tokens. */
int template_tokenize_check(const char *src, const char *where,
			    int first_line, struct cm_error *err);

#endif
