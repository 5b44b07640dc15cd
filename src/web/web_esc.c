/*
 * web_esc.c - the one escaping function every value casemail-web prints
 * goes through, and the small formatter built on it (web_private.h).  In
 * the library, not the program, so the pages built outside web_http.c's
 * requests (the reports page) and their unit tests share them.
 *
 * There is no inline script or style anywhere (the Content-Security-Policy
 * forbids both), so an escaped value can only ever be text.
 */
#include "web_private.h"

#include <stdarg.h>
#include <string.h>

void
web_esc(GString *out, const char *text)
{
	char *valid;

	if (text == NULL)
		return;
	/* Invalid bytes become U+FFFD: a browser guessing another charset
	 * could otherwise read markup into them. */
	valid = g_utf8_make_valid(text, -1);
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				break;
			if (c == 0x7f)
				break;
			g_string_append_c(out, (char)c);
		}
	}
	g_free(valid);
}

void
web_put(GString *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		switch (*++p) {
		case 's': web_esc(out, va_arg(ap, const char *)); break;
		case 'R': g_string_append(out, va_arg(ap, const char *)); break;
		case 'd': g_string_append_printf(out, "%d", va_arg(ap, int));
			break;
		case 'D':
			g_string_append_printf(out, "%" G_GINT64_FORMAT,
					       va_arg(ap, int64_t));
			break;
		case '%': g_string_append_c(out, '%'); break;
		default:
			/* Our own format strings only: a bug. */
			g_assert_not_reached();
		}
	}
	va_end(ap);
}
