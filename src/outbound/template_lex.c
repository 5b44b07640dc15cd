/*
 * template_lex.c - cut a template string into tokens in one pass; each
 * section's opening token learns the index of its closing token.
 */
#include "casemail/template.h"

#include <string.h>

#include "template_private.h"

/*
 * The tokenizer's position.  A section, inverted, closing or comment tag
 * alone on its line (only blanks around it) is "standalone", as in
 * Mustache: the whole line goes, so section markers on their own lines
 * leave no blank lines behind.
 */
struct lexer {
	const char *where;
	const char *p;           /* next byte to look at */
	const char *text_start;  /* start of the pending text token */
	const char *line_start;  /* first byte of the current line */
	const char *last_tag_end;
	int line;
	GArray *toks;            /* struct tok */
	GArray *open;            /* guint: indexes of unclosed sections */
};

static void
lex_add(struct lexer *lx, enum tok_type type, const char *s, size_t len,
	int line)
{
	struct tok t = { type, s, len, line, 0 };

	if (type == TOK_TEXT && len == 0)
		return;
	g_array_append_val(lx->toks, t);
}

static void
lex_newline(struct lexer *lx, const char *nl)
{
	lx->line++;
	lx->line_start = nl + 1;
}

/* Where a standalone tag ending at end stops eating: past its newline, or
 * NULL if something else follows it on the line. */
static const char *
standalone_end(const char *end)
{
	while (template_is_blank(*end))
		end++;
	if (*end == '\r' && end[1] == '\n')
		end++;
	if (*end == '\n')
		return end + 1;
	return *end == '\0' ? end : NULL;
}

/* Whether only blanks precede the tag at open on its line (line_start). */
static int
standalone_start(const struct lexer *lx, const char *line_start,
		 const char *open)
{
	const char *q;

	if (lx->last_tag_end != NULL && lx->last_tag_end > line_start)
		return 0;
	for (q = line_start; q < open; q++)
		if (!template_is_blank(*q))
			return 0;
	return 1;
}

/* Scan a comment's body (from p) to its "}}"; returns the byte after it. */
static const char *
lex_comment(struct lexer *lx, const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '}' && p[1] == '}')
			return p + 2;
		if (*p == '\n')
			lex_newline(lx, p);
	}
	return NULL;
}

/* Scan "name}}" (blanks allowed around the name) from p. */
static const char *
lex_name(struct lexer *lx, const char *p, int line, const char **name_r,
	 size_t *len_r, struct cm_error *err)
{
	const char *name;

	while (template_is_blank(*p))
		p++;
	name = p;
	while (template_is_name_char(*p))
		p++;
	*name_r = name;
	*len_r = (size_t)(p - name);
	while (template_is_blank(*p))
		p++;
	if (p[0] == '}' && p[1] == '}' && *len_r > 0)
		return p + 2;
	if (*p == '\0' || *p == '\n' || *p == '\r')
		template_err(err, lx->where, line,
			     "'{{' without '}}' on the same line");
	else if (p[0] == '}' && p[1] == '}')
		template_err(err, lx->where, line, "tag without a name");
	else
		template_err(err, lx->where, line,
			     "byte 0x%02x ('%c') in tag '{{%.*s' (names are "
			     "letters, digits, '_', '.' and '-')",
			     (unsigned char)*p, g_ascii_isprint(*p) ? *p : '?',
			     (int)*len_r, name);
	return NULL;
}

static int
lex_section(struct lexer *lx, char sigil, const char *name, size_t len,
	    int line, struct cm_error *err)
{
	const struct tok *top;
	guint idx = lx->toks->len;

	if (sigil == '#' || sigil == '^') {
		lex_add(lx, sigil == '#' ? TOK_SECTION : TOK_INVERTED, name,
			len, line);
		g_array_append_val(lx->open, idx);
		return 0;
	}
	if (lx->open->len == 0)
		return template_err(err, lx->where, line,
				    "'{{/%.*s}}' closes no open section",
				    (int)len, name);
	top = &g_array_index(lx->toks, struct tok,
			     g_array_index(lx->open, guint, lx->open->len - 1));
	if (top->len != len || memcmp(top->s, name, len) != 0)
		return template_err(err, lx->where, line,
				    "'{{/%.*s}}' does not match '{{%c%.*s}}' "
				    "opened on line %d", (int)len, name,
				    top->type == TOK_SECTION ? '#' : '^',
				    (int)top->len, top->s, top->line);
	g_array_index(lx->toks, struct tok,
		      g_array_index(lx->open, guint, lx->open->len - 1)).close =
		idx;
	g_array_set_size(lx->open, lx->open->len - 1);
	lex_add(lx, TOK_CLOSE, name, len, line);
	return 0;
}

/* One tag starting at open ("{{"); advances lx past it. */
static int
lex_tag(struct lexer *lx, const char *open, struct cm_error *err)
{
	const char *line_start = lx->line_start, *p = open + 2, *end, *next;
	const char *name = NULL;
	size_t len = 0;
	int line = lx->line;
	char sigil = '\0';

	while (template_is_blank(*p))
		p++;
	if (*p == '#' || *p == '^' || *p == '/' || *p == '!')
		sigil = *p++;
	if (sigil == '!')
		end = lex_comment(lx, p);
	else
		end = lex_name(lx, p, line, &name, &len, err);
	if (end == NULL) {
		if (sigil == '!')
			return template_err(err, lx->where, line,
					    "comment '{{!' is never closed "
					    "with '}}'");
		return CM_ECONFIG;
	}
	next = NULL;
	if (sigil != '\0' && standalone_start(lx, line_start, open))
		next = standalone_end(end);
	if (next != NULL) {
		lex_add(lx, TOK_TEXT, lx->text_start,
			(size_t)(line_start - lx->text_start), 0);
		if (next > end && next[-1] == '\n')
			lex_newline(lx, next - 1);
	} else {
		lex_add(lx, TOK_TEXT, lx->text_start,
			(size_t)(open - lx->text_start), 0);
		next = end;
	}
	lx->text_start = lx->p = lx->last_tag_end = next;
	if (sigil == '\0') {
		lex_add(lx, TOK_VAR, name, len, line);
		return 0;
	}
	if (sigil == '!')
		return 0;
	return lex_section(lx, sigil, name, len, line, err);
}

/*
 * Cut src into tokens (appended to toks).  first_line is the line src
 * starts on and where the file name, both for messages.
 */
int
template_tokenize(const char *src, const char *where, int first_line,
		  GArray *toks, struct cm_error *err)
{
	struct lexer lx = {
		.where = where, .p = src, .text_start = src,
		.line_start = src, .last_tag_end = NULL, .line = first_line,
		.toks = toks,
	};
	const struct tok *top;
	int rc = 0;

	lx.open = g_array_new(FALSE, FALSE, sizeof(guint));
	while (*lx.p != '\0') {
		if (lx.p[0] == '{' && lx.p[1] == '{') {
			rc = lex_tag(&lx, lx.p, err);
			if (rc < 0)
				goto out;
			continue;
		}
		if (*lx.p == '\n')
			lex_newline(&lx, lx.p);
		lx.p++;
	}
	lex_add(&lx, TOK_TEXT, lx.text_start, (size_t)(lx.p - lx.text_start),
		0);
	if (lx.open->len > 0) {
		top = &g_array_index(toks, struct tok,
				     g_array_index(lx.open, guint, 0));
		rc = template_err(err, where, top->line,
				  "section '{{%c%.*s}}' is never closed",
				  top->type == TOK_SECTION ? '#' : '^',
				  (int)top->len, top->s);
	}
out:
	g_array_unref(lx.open);
	return rc;
}

/* Check the syntax of src without keeping the tokens. */
int
template_tokenize_check(const char *src, const char *where, int first_line,
			struct cm_error *err)
{
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct tok));
	int rc;

	rc = template_tokenize(src, where, first_line, toks, err);
	g_array_unref(toks);
	return rc;
}
