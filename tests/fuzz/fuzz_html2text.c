/*
 * fuzz_html2text.c - one input is one HTML body, straight into
 * html2text(), with the promises of html2text.h checked on every output:
 * valid UTF-8, within HTML2TEXT_MAX_OUTPUT, no trailing newline, and the
 * layout rules (no line ending in a blank, never two blank lines in a
 * row).  fuzz_ingest reaches html2text only through HTML-only mail; this
 * target spends all its time there.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/html2text.h"

#include "fuzz.h"

/* A copy of stderr that -close_fd_mask=2 leaves open (as in fuzz_ingest). */
static FILE *diag;

static void
broken(const char *why, const char *text)
{
	fprintf(diag != NULL ? diag : stderr,
		"fuzz_html2text: %s\n---\n%.2000s\n---\n", why, text);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag = fdopen(dup(STDERR_FILENO), "w");
	if (diag != NULL)
		setvbuf(diag, NULL, _IONBF, 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;
	size_t len;

	if (html2text((const char *)data, size, &text, NULL) != 0)
		return 0;
	len = strlen(text);
	if (!g_utf8_validate(text, -1, NULL))
		broken("not valid UTF-8", text);
	if (len > HTML2TEXT_MAX_OUTPUT)
		broken("over HTML2TEXT_MAX_OUTPUT", text);
	if (len > 0 && (text[len - 1] == '\n' || text[0] == '\n'))
		broken("a newline at the start or the end", text);
	if (strstr(text, "\n\n\n") != NULL)
		broken("two blank lines in a row", text);
	if (strstr(text, " \n") != NULL)
		broken("a line ending in a blank", text);
	g_free(text);
	return 0;
}
