/* addr.c - bare mail address checks. */
#include "casemail/addr.h"

#include <glib.h>
#include <string.h>

static int
addr_char_ok(unsigned char c)
{
	return c > ' ' && c != 0x7f && c != '<' && c != '>' && c != ',' &&
	       c != '"' && c != '(' && c != ')' && c != ';' && c != '\\';
}

int
addr_normalize(const char *text, char **addr_r, struct cm_error *err)
{
	const char *at;
	size_t len;

	*addr_r = NULL;
	if (text == NULL)
		text = "";
	len = strlen(text);
	at = strrchr(text, '@');
	if (len == 0 || len > ADDR_MAX_LEN || at == NULL || at == text ||
	    at[1] == '\0' || strchr(text, '@') != at || at[1] == '.' ||
	    text[len - 1] == '.')
		goto bad;
	for (const char *p = text; *p != '\0'; p++)
		if (!addr_char_ok((unsigned char)*p))
			goto bad;
	if (!g_utf8_validate(text, -1, NULL))
		goto bad;
	*addr_r = g_utf8_strdown(text, -1);
	return 0;
bad:
	return cm_error_set(err, CM_EUSAGE,
			    "'%s' is not a mail address (expected user@domain)",
			    text);
}
