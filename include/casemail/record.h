/*
 * record.h - records that own strings.  A record type lists the char *
 * fields it owns once, in a static table of struct record_string next to
 * the code that fills them; record_free() frees them with the record, and
 * a reader of table rows (store_cols_text()) fills them from the columns
 * the table names.  Adding a field is then one line, and freeing it
 * cannot be forgotten.
 */
#ifndef CASEMAIL_RECORD_H
#define CASEMAIL_RECORD_H

#include <stddef.h>

/* A string field a record owns. */
struct record_string {
	size_t offset;  /* offsetof() the char * in the record */
	int column;     /* the row's column a reader fills it from, or
			 * RECORD_NO_COLUMN where no row reader does */
};

#define RECORD_NO_COLUMN (-1)

/* The table entry for a string no row reader fills. */
#define RECORD_STRING(type, field) { offsetof(type, field), RECORD_NO_COLUMN }

/*
 * Free the n strings of rec that strings[] names, then rec itself (with
 * g_free()).  NULL rec does nothing.  Fields the table does not name
 * (arrays, bytes) are the caller's to free first.
 */
void record_free(void *rec, const struct record_string *strings, size_t n);

#endif
