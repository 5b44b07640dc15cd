/* record.c - freeing records by their table of owned strings (record.h). */
#include "casemail/record.h"

#include <glib.h>

void
record_free(void *rec, const struct record_string *strings, size_t n)
{
	if (rec == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		g_free(*(char **)((char *)rec + strings[i].offset));
	g_free(rec);
}
