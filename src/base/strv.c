/* strv.c - lists of strings in a GPtrArray (strv.h). */
#include "casemail/strv.h"

char *
strv_join(const GPtrArray *strings, const char *sep)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < strings->len; i++) {
		if (i > 0)
			g_string_append(s, sep);
		g_string_append(s, g_ptr_array_index(strings, i));
	}
	return g_string_free(s, FALSE);
}
