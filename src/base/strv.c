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

char **
strv_split_list(const char *list)
{
	char **items = g_strsplit(list, ",", -1);
	guint n = 0;

	for (char **p = items; *p != NULL; p++) {
		g_strstrip(*p);
		if ((*p)[0] == '\0')
			g_free(*p);
		else
			items[n++] = *p;
	}
	items[n] = NULL;
	return items;
}
