/*
 * test_fid_tnef.c - winmail.dat unpacking (src/mail/tnef*.c through mime_parse)
 * against the tnef corpus's expectations (MimeKit's tests).
 *
 * Usage: test_fid_tnef CORPUS/tnef DISAGREEMENTS-tnef.md
 *
 * For every message with a .expected.json, the full parse (mime_parse on
 * the .eml) must keep the winmail.dat whole and add after it the files
 * of `extracted_files` (size and MD5 of each) under the names of
 * `attachment_names` (as a multiset).  The body inside the stream
 * (message.rtf/.html/.txt) is held against tnef_unpack() on the kept
 * winmail.dat, line ends normalised: those are MimeKit's decoded text,
 * and we store no body from the stream.  Messages without expectations
 * (real Outlook mail) must parse.
 *
 * Where we judge an expectation wrong, DISAGREEMENTS-tnef.md lists it:
 * its table rows "| message | file | kind | theirs | ours | why |" are
 * read here, and a listed row is not skipped but checked by its kind's
 * own rule against the corpus's bytes:
 *   crlf         their file is ours with CR LF turned into LF;
 *   iid          their file is ours after the 16-byte IID of IStorage;
 *   placeholder  their file is Outlook's "not supported" placeholder,
 *                which we do not store (file = the expected file name);
 *   names        their name list is empty though `extracted_files` holds
 *                files: the names of those files are the expectation
 *                (file = "*").
 * Prints a table and fails below the floors.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/mime.h"
#include "casemail/tnef.h"

/* Every message with expectations, by name and by bytes. */
#define FID_FLOOR_NAMES 19
#define FID_FLOOR_BYTES 19
#define FID_FLOOR_BODIES 16

static const char fid_placeholder[] =
	"This attachment is a MAPI 1.0 embedded message";
/* IID_IStorage, {0000000B-0000-0000-C000-000000000046}, as stored. */
static const guint8 fid_iid_storage[16] = {
	0x0b, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46,
};

struct fid_file {
	char *name;
	gint64 size;
	char *md5;
};

struct fid_case {
	const char *dir;
	char *message;
	GPtrArray *names;     /* char *: attachment_names */
	GPtrArray *files;     /* struct fid_file *: extracted_files */
	GHashTable *listed;   /* "message\tfile\tkind" -> hits */
	GBytes *winmail;      /* our kept winmail.dat */
	GPtrArray *ours;      /* const struct mime_part *: after it */
	GString *notes;
};

struct fid_totals {
	int messages, names_match, names_listed;
	int bytes_ok, files_match, files_listed, files_total;
	int bodies_ok, bodies_total, robust_failed;
};

/* ---- reading ------------------------------------------------------------ */

static void
fid_file_free(gpointer p)
{
	struct fid_file *f = p;

	g_free(f->name);
	g_free(f->md5);
	g_free(f);
}

static GBytes *
fid_read(const char *dir, const char *name, const char *suffix)
{
	char *path = g_strdup_printf("%s/%s%s", dir, name, suffix);
	char *data = NULL;
	gsize len = 0;
	GBytes *b = NULL;

	if (g_file_get_contents(path, &data, &len, NULL))
		b = g_bytes_new_take(data, len);
	g_free(path);
	return b;
}

/* The bytes of an expected file: spaces are '_' in the directory. */
static GBytes *
fid_expected_bytes(const struct fid_case *c, const char *name)
{
	char *disk = g_strdelimit(g_strdup(name), " ", '_');
	char *rel = g_strdup_printf("%s.expected.files/%s", c->message, disk);
	GBytes *b = fid_read(c->dir, rel, "");

	g_free(rel);
	g_free(disk);
	return b;
}

static int
fid_load_expect(struct fid_case *c)
{
	char *path = g_strdup_printf("%s/%s.expected.json", c->dir, c->message);
	JsonParser *jp = json_parser_new();
	JsonObject *o;
	JsonArray *a;
	int ok = json_parser_load_from_file(jp, path, NULL);

	c->names = g_ptr_array_new_with_free_func(g_free);
	c->files = g_ptr_array_new_with_free_func(fid_file_free);
	if (ok) {
		o = json_node_get_object(json_parser_get_root(jp));
		a = json_object_get_array_member(o, "attachment_names");
		for (guint i = 0; i < json_array_get_length(a); i++)
			g_ptr_array_add(c->names, g_strdup(
				json_array_get_string_element(a, i)));
		a = json_object_get_array_member(o, "extracted_files");
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *f = json_array_get_object_element(a, i);
			struct fid_file *ef = g_new0(struct fid_file, 1);

			ef->name = g_strdup(json_object_get_string_member(f, "name"));
			ef->size = json_object_get_int_member(f, "size");
			ef->md5 = g_strdup(json_object_get_string_member(f, "md5"));
			g_ptr_array_add(c->files, ef);
		}
	}
	g_object_unref(jp);
	g_free(path);
	return ok;
}

static void
fid_load_listed(GHashTable *listed, const char *path)
{
	char *text = NULL;
	char **lines;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		fprintf(stderr, "cannot read %s\n", path);
		return;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **cells = (*l)[0] == '|' ? g_strsplit(*l, "|", 8) : NULL;

		if (cells != NULL && g_strv_length(cells) >= 5 &&
		    strstr(cells[1], "---") == NULL &&
		    strcmp(g_strstrip(cells[1]), "message") != 0)
			g_hash_table_insert(listed, g_strdup_printf("%s\t%s\t%s",
				g_strstrip(cells[1]), g_strstrip(cells[2]),
				g_strstrip(cells[3])), GINT_TO_POINTER(0));
		g_strfreev(cells);
	}
	g_strfreev(lines);
	g_free(text);
}

/* Whether (message, file, kind) is listed; counts the use. */
static int
fid_listed(const struct fid_case *c, const char *file, const char *kind)
{
	char *key = g_strdup_printf("%s\t%s\t%s", c->message, file, kind);
	gpointer hits;
	int yes = g_hash_table_lookup_extended(c->listed, key, NULL, &hits);

	if (yes)
		g_hash_table_replace(c->listed, g_strdup(key),
				     GINT_TO_POINTER(GPOINTER_TO_INT(hits) + 1));
	g_free(key);
	return yes;
}

/* ---- comparing ---------------------------------------------------------- */

static char *
fid_md5(GBytes *b)
{
	return g_compute_checksum_for_bytes(G_CHECKSUM_MD5, b);
}

static GBytes *
fid_lf(GBytes *b)
{
	gsize n;
	const char *d = g_bytes_get_data(b, &n);
	GByteArray *out = g_byte_array_sized_new((guint)n);

	for (gsize i = 0; i < n; i++)
		if (!(d[i] == '\r' && i + 1 < n && d[i + 1] == '\n'))
			g_byte_array_append(out, (const guint8 *)d + i, 1);
	return g_byte_array_free_to_bytes(out);
}

static int
fid_is_body(const char *name)
{
	return strcmp(name, "message.rtf") == 0 ||
	       strcmp(name, "message.html") == 0 ||
	       strcmp(name, "message.txt") == 0;
}

/* "Untitled Attachment.N": N, else 0. */
static int
fid_untitled_n(const char *name)
{
	size_t n = strlen(TNEF_UNTITLED);

	if (strncmp(name, TNEF_UNTITLED ".", n + 1) != 0)
		return 0;
	return atoi(name + n + 1);
}

static int
fid_is_placeholder(const struct fid_case *c, const char *name)
{
	GBytes *b = fid_expected_bytes(c, name);
	int yes = b != NULL && g_bytes_get_size(b) >= strlen(fid_placeholder) &&
		  memcmp(g_bytes_get_data(b, NULL), fid_placeholder,
			 strlen(fid_placeholder)) == 0;

	if (b != NULL)
		g_bytes_unref(b);
	return yes;
}

static int
fid_cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
fid_same_names(GPtrArray *a, GPtrArray *b)
{
	int same = a->len == b->len;

	g_ptr_array_sort(a, fid_cmp_str);
	g_ptr_array_sort(b, fid_cmp_str);
	for (guint i = 0; same && i < a->len; i++)
		same = strcmp(a->pdata[i], b->pdata[i]) == 0;
	return same;
}

/* The expected names with the listed corrections; *listed_r if any. */
static GPtrArray *
fid_expected_names(struct fid_case *c, int *listed_r)
{
	GPtrArray *want = g_ptr_array_new_with_free_func(g_free);

	*listed_r = 0;
	if (c->names->len == 0 && fid_listed(c, "*", "names")) {
		*listed_r = 1;
		for (guint i = 0; i < c->files->len; i++) {
			const struct fid_file *f = c->files->pdata[i];

			if (!fid_is_body(f->name))
				g_ptr_array_add(want, fid_untitled_n(f->name)
					? g_strdup(TNEF_UNTITLED) : g_strdup(f->name));
		}
		return want;
	}
	for (guint i = 0; i < c->names->len; i++)
		g_ptr_array_add(want, g_strdup(c->names->pdata[i]));
	for (guint i = 0; i < c->files->len; i++) {
		const struct fid_file *f = c->files->pdata[i];
		guint j;

		if (!fid_listed(c, f->name, "placeholder") ||
		    !g_ptr_array_find_with_equal_func(want, TNEF_UNTITLED,
						      g_str_equal, &j))
			continue;
		*listed_r = 1;
		g_ptr_array_remove_index(want, j);
	}
	return want;
}

static void
fid_check_names(struct fid_case *c, struct fid_totals *t)
{
	int listed;
	GPtrArray *want = fid_expected_names(c, &listed);
	GPtrArray *got = g_ptr_array_new();

	for (guint i = 0; i < c->ours->len; i++)
		g_ptr_array_add(got, ((const struct mime_part *)
				      c->ours->pdata[i])->filename);
	if (fid_same_names(want, got)) {
		t->names_match += !listed;
		t->names_listed += listed;
		g_string_append(c->notes, listed ? " names:listed" : "");
	} else {
		g_string_append_printf(c->notes, " NAMES: want %u got %u",
				       want->len, got->len);
	}
	g_ptr_array_unref(want);
	g_ptr_array_unref(got);
}

/* Our part for an expected file: by name, or the N-th unnamed one
 * counting only the unnamed files that are not listed placeholders. */
static const struct mime_part *
fid_our_file(struct fid_case *c, const struct fid_file *f)
{
	int n = fid_untitled_n(f->name), rank = 0, seen = 0;

	for (guint i = 0; n > 0 && i < c->files->len; i++) {
		const struct fid_file *g = c->files->pdata[i];
		int m = fid_untitled_n(g->name);

		if (m > 0 && m < n && !fid_listed(c, g->name, "placeholder"))
			rank++;
	}
	for (guint i = 0; i < c->ours->len; i++) {
		const struct mime_part *p = c->ours->pdata[i];

		if (n == 0 && strcmp(p->filename, f->name) == 0)
			return p;
		if (n > 0 && strcmp(p->filename, TNEF_UNTITLED) == 0 &&
		    seen++ == rank)
			return p;
	}
	return NULL;
}

/* A listed file: does its kind's rule hold on the corpus's bytes? */
static int
fid_listed_rule(struct fid_case *c, const struct fid_file *f, GBytes *ours)
{
	GBytes *theirs = fid_expected_bytes(c, f->name), *lf;
	gsize tn, on;
	const guint8 *td, *od = g_bytes_get_data(ours, &on);
	int ok = 0;

	if (theirs == NULL)
		return 0;
	td = g_bytes_get_data(theirs, &tn);
	if (fid_listed(c, f->name, "crlf")) {
		lf = fid_lf(ours);
		ok = g_bytes_get_size(lf) < on && g_bytes_equal(lf, theirs);
		g_bytes_unref(lf);
	} else if (fid_listed(c, f->name, "iid")) {
		ok = tn == on + 16 && memcmp(td, fid_iid_storage, 16) == 0 &&
		     memcmp(td + 16, od, on) == 0;
	}
	g_bytes_unref(theirs);
	return ok;
}

/* 1 match, 2 listed, 0 wrong. */
static int
fid_check_file(struct fid_case *c, const struct fid_file *f)
{
	const struct mime_part *p;
	char *md5;
	int r;

	if (fid_listed(c, f->name, "placeholder"))
		return fid_is_placeholder(c, f->name) ? 2 : 0;
	if ((p = fid_our_file(c, f)) == NULL)
		return 0;
	md5 = fid_md5(p->data);
	r = (gint64)g_bytes_get_size(p->data) == f->size &&
	    strcmp(md5, f->md5) == 0;
	g_free(md5);
	if (!r && fid_listed_rule(c, f, p->data))
		r = 2;
	return r;
}

static void
fid_check_files(struct fid_case *c, struct fid_totals *t)
{
	int want = 0, match = 0, listed = 0;

	for (guint i = 0; i < c->files->len; i++) {
		const struct fid_file *f = c->files->pdata[i];
		int r;

		if (fid_is_body(f->name))
			continue;
		want++;
		r = fid_check_file(c, f);
		match += r == 1;
		listed += r == 2;
		if (r == 0)
			g_string_append_printf(c->notes, " FILE:%s", f->name);
	}
	t->files_total += want;
	t->files_match += match;
	t->files_listed += listed;
	if (match + listed == want)
		t->bytes_ok++;
	if (listed > 0)
		g_string_append_printf(c->notes, " files:%d-listed", listed);
	printf(" %4d/%-4d", match + listed, want);
}

/* The body: tnef_unpack on the kept winmail.dat, line ends aside. */
static void
fid_check_bodies(struct fid_case *c, struct fid_totals *t)
{
	struct tnef_result *r = NULL;
	int want = 0, ok = 0;

	if (tnef_unpack(g_bytes_get_data(c->winmail, NULL),
			g_bytes_get_size(c->winmail), &r, NULL) != 0)
		g_string_append(c->notes, " UNPACK");
	for (guint i = 0; i < c->files->len; i++) {
		const struct fid_file *f = c->files->pdata[i];
		GBytes *ours = NULL, *theirs, *a, *b;

		if (!fid_is_body(f->name))
			continue;
		want++;
		if (r != NULL)
			ours = strcmp(f->name, "message.rtf") == 0 ? r->body_rtf
			     : strcmp(f->name, "message.html") == 0 ? r->body_html
			     : r->body_text;
		theirs = fid_expected_bytes(c, f->name);
		if (ours == NULL || theirs == NULL) {
			g_string_append_printf(c->notes, " BODY:%s", f->name);
		} else {
			a = fid_lf(ours);
			b = fid_lf(theirs);
			ok += g_bytes_equal(a, b);
			if (!g_bytes_equal(a, b))
				g_string_append_printf(c->notes, " BODY:%s",
						       f->name);
			g_bytes_unref(a);
			g_bytes_unref(b);
		}
		if (theirs != NULL)
			g_bytes_unref(theirs);
	}
	tnef_result_free(&r);
	t->bodies_total += want;
	t->bodies_ok += ok;
	printf(" %4d/%-4d", ok, want);
}

/* ---- one message ---------------------------------------------------------- */

/* Parse the .eml; find the kept winmail.dat and what follows it. */
static struct mime_message *
fid_parse(struct fid_case *c)
{
	GBytes *eml = fid_read(c->dir, c->message, ".eml");
	struct mime_message *m = NULL;
	struct cm_error err = { 0 };

	c->ours = g_ptr_array_new();
	if (eml == NULL || mime_parse(g_bytes_get_data(eml, NULL),
				      g_bytes_get_size(eml), &m, &err) != 0) {
		g_string_append_printf(c->notes, " PARSE:%s", err.msg);
	} else {
		for (guint i = 0; i < m->parts->len; i++) {
			const struct mime_part *p = m->parts->pdata[i];

			if (c->winmail != NULL)
				g_ptr_array_add(c->ours, (gpointer)p);
			else if (tnef_is_tnef(p->content_type, p->filename))
				c->winmail = g_bytes_ref(p->data);
		}
	}
	if (eml != NULL)
		g_bytes_unref(eml);
	return m;
}

static void
fid_one(const char *dir, const char *message, GHashTable *listed,
	struct fid_totals *t)
{
	struct fid_case c = { .dir = dir, .message = g_strdup(message),
			      .listed = listed, .notes = g_string_new(NULL) };
	struct mime_message *m = NULL;
	GBytes *raw = fid_read(dir, message, ".winmail.dat");
	int before = t->names_match + t->names_listed;

	t->messages++;
	printf("%-24s", message);
	if (!fid_load_expect(&c) || (m = fid_parse(&c)) == NULL ||
	    c.winmail == NULL || raw == NULL || !g_bytes_equal(raw, c.winmail)) {
		printf("  winmail.dat not kept whole, or no expectation\n");
	} else {
		if (m->warnings->len > 0)
			g_string_append_printf(c.notes, " warnings:%u",
					       m->warnings->len);
		fid_check_names(&c, t);
		printf(" %-6s", t->names_match + t->names_listed > before
		       ? "ok" : "WRONG");
		fid_check_files(&c, t);
		fid_check_bodies(&c, t);
		printf("  %s\n", c.notes->str);
	}
	mime_message_free(&m);
	if (raw != NULL)
		g_bytes_unref(raw);
	if (c.winmail != NULL)
		g_bytes_unref(c.winmail);
	if (c.ours != NULL)
		g_ptr_array_unref(c.ours);
	if (c.names != NULL)
		g_ptr_array_unref(c.names);
	if (c.files != NULL)
		g_ptr_array_unref(c.files);
	g_string_free(c.notes, TRUE);
	g_free(c.message);
}

/* A message without expectations: it parses, and what came out. */
static void
fid_robust(const char *dir, const char *message, struct fid_totals *t)
{
	struct fid_case c = { .dir = dir, .message = (char *)message,
			      .notes = g_string_new(NULL) };
	struct mime_message *m = fid_parse(&c);

	printf("%-24s  parse %s, winmail.dat %s, %u files after it,"
	       " %u warnings%s\n", message, m != NULL ? "ok" : "FAILED",
	       c.winmail != NULL ? "kept" : "MISSING", c.ours->len,
	       m != NULL ? m->warnings->len : 0, c.notes->str);
	for (guint i = 0; m != NULL && i < c.ours->len; i++) {
		const struct mime_part *p = c.ours->pdata[i];

		printf("%24s    %s (%s, %zu bytes)\n", "", p->filename,
		       p->content_type, g_bytes_get_size(p->data));
	}
	t->robust_failed += m == NULL || c.winmail == NULL;
	mime_message_free(&m);
	if (c.winmail != NULL)
		g_bytes_unref(c.winmail);
	g_ptr_array_unref(c.ours);
	g_string_free(c.notes, TRUE);
}

/* ---- the run -------------------------------------------------------------- */

static GPtrArray *
fid_messages(const char *dir, const char *suffix)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, suffix))
			g_ptr_array_add(out, g_strndup(name, strlen(name) -
						       strlen(suffix)));
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(out, fid_cmp_str);
	return out;
}

static int
fid_summary(const struct fid_totals *t, GHashTable *listed)
{
	GHashTableIter it;
	gpointer key, hits;
	int names = t->names_match + t->names_listed;

	printf("\nnames matched  %2d of %d (%d as listed)   floor %d\n", names,
	       t->messages, t->names_listed, FID_FLOOR_NAMES);
	printf("bytes matched  %2d of %d (files %d + %d listed of %d)   "
	       "floor %d\n", t->bytes_ok, t->messages, t->files_match,
	       t->files_listed, t->files_total, FID_FLOOR_BYTES);
	printf("bodies matched %2d of %d (line ends aside)   floor %d\n",
	       t->bodies_ok, t->bodies_total, FID_FLOOR_BODIES);
	g_hash_table_iter_init(&it, listed);
	while (g_hash_table_iter_next(&it, &key, &hits))
		if (GPOINTER_TO_INT(hits) == 0)
			printf("note: listed disagreement no longer used: %s\n",
			       (char *)key);
	return names < FID_FLOOR_NAMES || t->bytes_ok < FID_FLOOR_BYTES ||
	       t->bodies_ok < FID_FLOOR_BODIES || t->robust_failed > 0;
}

int
main(int argc, char **argv)
{
	GHashTable *listed;
	GPtrArray *with, *all;
	struct fid_totals t = { 0 };
	int failed;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS/tnef DISAGREEMENTS-tnef.md\n",
			argv[0]);
		return 2;
	}
	if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		printf("no corpus at %s: skipped\n", argv[1]);
		return 77;
	}
	mime_init();
	listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fid_load_listed(listed, argv[2]);
	with = fid_messages(argv[1], ".expected.json");
	all = fid_messages(argv[1], ".eml");
	printf("%-24s %-6s %9s %9s  %s\n", "message", "names", "files", "bodies",
	       "notes");
	for (guint i = 0; i < with->len; i++)
		fid_one(argv[1], with->pdata[i], listed, &t);
	printf("\nwithout expectations (must parse, keep winmail.dat):\n");
	for (guint i = 0; i < all->len; i++)
		if (!g_ptr_array_find_with_equal_func(with, all->pdata[i],
						      g_str_equal, NULL))
			fid_robust(argv[1], all->pdata[i], &t);
	failed = fid_summary(&t, listed);
	g_ptr_array_unref(with);
	g_ptr_array_unref(all);
	g_hash_table_unref(listed);
	return failed ? 1 : 0;
}
