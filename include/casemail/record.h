/*
 * record.h - records that own their fields.  A record type lists every
 * field it owns once, in a static table of struct record_field next to
 * the code that fills them: strings, arrays, bytes, hash tables and
 * nested records, each by kind.  record_free() and record_clear() free
 * them with the record, and a reader of table rows (store_cols_text())
 * fills the strings from the columns the table names.  Adding a field is
 * then one line, and freeing it cannot be forgotten.
 */
#ifndef CASEMAIL_RECORD_H
#define CASEMAIL_RECORD_H

#include <stddef.h>

/* How a record owns a field, and so how it is freed. */
enum record_kind {
	RECORD_KIND_STRING = 0, /* char *, g_free() */
	RECORD_KIND_PTR_ARRAY,  /* GPtrArray *, g_ptr_array_unref() */
	RECORD_KIND_ARRAY,      /* GArray *, g_array_unref() */
	RECORD_KIND_BYTES,      /* GBytes *, g_bytes_unref() */
	RECORD_KIND_HASH_TABLE, /* GHashTable *, g_hash_table_unref() */
	RECORD_KIND_RECORD,     /* struct x *, freed by the entry's clear */
};

/* A field a record owns. */
struct record_field {
	size_t offset;  /* offsetof() the pointer in the record */
	int column;     /* for a string: the row's column a reader fills it
			 * from, or RECORD_NO_COLUMN where no row reader
			 * does; RECORD_NO_COLUMN for the other kinds */
	enum record_kind kind;
	/* RECORD_KIND_RECORD only: x_free(&field)-style, given the
	 * address of the field (a struct x **). */
	void (*clear)(void *pp);
};

#define RECORD_NO_COLUMN (-1)

/* The table entries, one per owned field. */
#define RECORD_FIELD_(type, field, column, kind, clear) \
	{ offsetof(type, field), column, kind, clear }
/* A string a row reader fills from column. */
#define RECORD_COLUMN(type, field, column) \
	RECORD_FIELD_(type, field, column, RECORD_KIND_STRING, NULL)
#define RECORD_STRING(type, field) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, RECORD_KIND_STRING, NULL)
#define RECORD_PTR_ARRAY(type, field) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, \
		      RECORD_KIND_PTR_ARRAY, NULL)
#define RECORD_ARRAY(type, field) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, \
		      RECORD_KIND_ARRAY, NULL)
#define RECORD_BYTES(type, field) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, \
		      RECORD_KIND_BYTES, NULL)
#define RECORD_HASH_TABLE(type, field) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, \
		      RECORD_KIND_HASH_TABLE, NULL)
#define RECORD_NESTED(type, field, clear) \
	RECORD_FIELD_(type, field, RECORD_NO_COLUMN, \
		      RECORD_KIND_RECORD, clear)

/*
 * Free the n fields of rec that fields[] names (a NULL field is skipped),
 * then rec itself (with g_free()).  NULL rec does nothing.  Fields the
 * table does not name are the caller's to free first.
 */
void record_free(void *rec, const struct record_field *fields, size_t n);

/*
 * The x_free(&p) of a record: pp is a struct x ** (NULL, or pointing at
 * NULL, does nothing).  Sets *pp to NULL, then frees the record as
 * record_free() does.
 */
void record_clear(void *pp, const struct record_field *fields, size_t n);

#endif
