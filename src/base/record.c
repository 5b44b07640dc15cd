/* record.c - freeing records by their table of owned fields (record.h). */
#include "casemail/record.h"

#include <glib.h>

static void
record_field_free(void *slot, const struct record_field *f)
{
	void *v = *(void **)slot;

	if (v == NULL)
		return;
	switch (f->kind) {
	case RECORD_KIND_STRING:
		g_free(v);
		break;
	case RECORD_KIND_PTR_ARRAY:
		g_ptr_array_unref(v);
		break;
	case RECORD_KIND_ARRAY:
		g_array_unref(v);
		break;
	case RECORD_KIND_BYTES:
		g_bytes_unref(v);
		break;
	case RECORD_KIND_HASH_TABLE:
		g_hash_table_unref(v);
		break;
	case RECORD_KIND_RECORD:
		f->clear(slot);
		break;
	}
}

void
record_free(void *rec, const struct record_field *fields, size_t n)
{
	if (rec == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		record_field_free((char *)rec + fields[i].offset, &fields[i]);
	g_free(rec);
}

void
record_clear(void *pp, const struct record_field *fields, size_t n)
{
	if (pp != NULL)
		record_free(g_steal_pointer((void **)pp), fields, n);
}
