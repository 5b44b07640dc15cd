/*
 * test_tnef.c - winmail.dat unpacking (src/mail/tnef*.c) on streams built
 * here: the ordinary cases, then hostile ones (truncated, empty, garbage,
 * lengths and counts far beyond the bytes, damaged compressed RTF; the
 * truncated and garbage ones held to what tnef.h promises, see
 * assert_unpack_bounded), and the hook through mime_parse.  Run under ASan and valgrind as well.
 */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/mime.h"
#include "casemail/tnef.h"

/* ---- building streams (MS-OXTNEF) ------------------------------------------ */

#define LVL_MSG 1
#define LVL_ATT 2
#define ATT_REND 0x00069002u      /* attAttachRendData */
#define ATT_TITLE 0x00018010u     /* attAttachTitle */
#define ATT_DATA 0x0006800Fu      /* attAttachData */
#define ATT_MAPI 0x00069005u      /* attAttachment */
#define ATT_MSG_MAPI 0x00069003u  /* attMAPIProps */
#define ATT_CODEPAGE 0x00069007u  /* attOemCodepage */
#define PT_STRING8 0x001Eu
#define PT_UNICODE 0x001Fu
#define PT_BINARY 0x0102u
#define PT_OBJECT 0x000Du
#define PT_LONG 0x0003u
#define TAG(type, id) ((uint32_t)(id) << 16 | (type))

static void
put32(GByteArray *b, uint32_t v)
{
	guint8 x[4] = { v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff, v >> 24 };

	g_byte_array_append(b, x, 4);
}

static void
put16(GByteArray *b, unsigned v)
{
	guint8 x[2] = { v & 0xff, v >> 8 & 0xff };

	g_byte_array_append(b, x, 2);
}

static GByteArray *
stream_new(void)
{
	GByteArray *b = g_byte_array_new();

	put32(b, 0x223E9F78u);
	put16(b, 0x0001);
	return b;
}

/* An attribute with its length and checksum as they should be. */
static void
attr(GByteArray *b, guint8 level, uint32_t id, const void *data, size_t len)
{
	unsigned sum = 0;

	g_byte_array_append(b, &level, 1);
	put32(b, id);
	put32(b, (uint32_t)len);
	g_byte_array_append(b, data, (guint)len);
	for (size_t i = 0; i < len; i++)
		sum += ((const guint8 *)data)[i];
	put16(b, sum & 0xffff);
}

static void
attr_str(GByteArray *b, uint32_t id, const char *s)
{
	attr(b, LVL_ATT, id, s, strlen(s) + 1);
}

static void
new_file(GByteArray *b)
{
	static const guint8 rend[14] = { 1 };

	attr(b, LVL_ATT, ATT_REND, rend, sizeof(rend));
}

/* MAPI property blocks: count, then properties. */
static void
pad4(GByteArray *b)
{
	static const guint8 zero[3];

	if (b->len % 4 != 0)
		g_byte_array_append(b, zero, 4 - b->len % 4);
}

static void
prop_var(GByteArray *m, uint32_t tag, const void *data, size_t len)
{
	put32(m, tag);
	put32(m, 1);
	put32(m, (uint32_t)len);
	g_byte_array_append(m, data, (guint)len);
	pad4(m);
}

/* A UTF-16LE string (with its NUL) from UTF-8. */
static void
prop_unicode(GByteArray *m, unsigned id, const char *utf8)
{
	glong n;
	gunichar2 *u = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);

	prop_var(m, TAG(PT_UNICODE, id), u, (size_t)(n + 1) * 2);
	g_free(u);
}

static GByteArray *
mapi_new(uint32_t count)
{
	GByteArray *m = g_byte_array_new();

	put32(m, count);
	return m;
}

static void
attr_mapi(GByteArray *b, uint32_t id, GByteArray *m)
{
	attr(b, LVL_ATT, id, m->data, m->len);
	g_byte_array_unref(m);
}

/* ---- reading results ---------------------------------------------------- */

static struct tnef_result *
unpack_ok(GByteArray *b)
{
	struct tnef_result *r = NULL;
	struct cm_error err = { 0 };

	if (tnef_unpack(b->data, b->len, &r, &err) != 0)
		fail_msg("unpack: %s", err.msg);
	return r;
}

static const struct tnef_file *
file_at(const struct tnef_result *r, guint i)
{
	assert_true(i < r->files->len);
	return r->files->pdata[i];
}

static void
assert_data(const struct tnef_file *f, const char *want, size_t len)
{
	gsize n;
	const void *d = g_bytes_get_data(f->data, &n);

	assert_int_equal(n, len);
	if (len > 0)
		assert_memory_equal(d, want, len);
}

/* A stream of two ordinary files, for cutting up. */
static GByteArray *
two_files(void)
{
	GByteArray *b = stream_new();

	new_file(b);
	attr_str(b, ATT_TITLE, "notes.txt");
	attr(b, LVL_ATT, ATT_DATA, "hello\r\n", 7);
	new_file(b);
	attr_str(b, ATT_TITLE, "b.bin");
	attr(b, LVL_ATT, ATT_DATA, "\x00\x01\x02", 3);
	return b;
}

/* ---- ordinary streams ---------------------------------------------------- */

static void
test_files_in_order(void **state)
{
	GByteArray *b = two_files();
	struct tnef_result *r = unpack_ok(b);

	(void)state;
	assert_int_equal(r->files->len, 2);
	assert_string_equal(file_at(r, 0)->name, "notes.txt");
	assert_string_equal(file_at(r, 0)->content_type, "text/plain");
	assert_data(file_at(r, 0), "hello\r\n", 7);
	assert_string_equal(file_at(r, 1)->name, "b.bin");
	assert_string_equal(file_at(r, 1)->content_type,
			    "application/octet-stream");
	assert_data(file_at(r, 1), "\x00\x01\x02", 3);
	assert_int_equal(r->trailing_bytes, 0);
	tnef_result_free(&r);
	assert_null(r);
	g_byte_array_unref(b);
}

/* The MAPI long name beats the 8.3 title; named properties (whose long
 * names libytnef 2.0 rejects) and other types are walked past. */
static void
test_long_name_and_mapi(void **state)
{
	GByteArray *b = stream_new(), *m = mapi_new(4);
	char name[201];

	(void)state;
	memset(name, 'n', 200);
	name[200] = '\0';
	put32(m, TAG(PT_LONG, 0x8005));       /* named, by a long name */
	g_byte_array_append(m, (const guint8 *)"0123456789abcdef", 16);
	put32(m, 1);
	put32(m, 200);
	g_byte_array_append(m, (const guint8 *)name, 200);
	put32(m, 7);
	put32(m, TAG(0x0007, 0x0e99));        /* PT_APPTIME: 8 bytes */
	g_byte_array_append(m, (const guint8 *)"\1\2\3\4\5\6\7\x8", 8);
	prop_unicode(m, 0x3707, "Résumé for the case.docx");
	prop_var(m, TAG(PT_STRING8, 0x370E), "Application/PDF", 16);
	new_file(b);
	attr_str(b, ATT_TITLE, "RESUME~1.DOC");
	attr(b, LVL_ATT, ATT_DATA, "%PDF", 4);
	attr_mapi(b, ATT_MAPI, m);
	{
		struct tnef_result *r = unpack_ok(b);

		assert_string_equal(file_at(r, 0)->name,
				    "Résumé for the case.docx");
		assert_string_equal(file_at(r, 0)->content_type,
				    "application/pdf");
		tnef_result_free(&r);
	}
	g_byte_array_unref(b);
}

static void
test_untitled_and_unsafe_names(void **state)
{
	GByteArray *b = stream_new();
	struct tnef_result *r;

	(void)state;
	new_file(b);
	attr(b, LVL_ATT, ATT_DATA, "x", 1);
	new_file(b);
	attr_str(b, ATT_TITLE, "..\\..\\windows\\evil.exe");
	new_file(b);
	attr_str(b, ATT_TITLE, "");
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 3);
	assert_string_equal(file_at(r, 0)->name, TNEF_UNTITLED);
	assert_string_equal(file_at(r, 1)->name, "evil.exe");
	assert_data(file_at(r, 1), "", 0);
	assert_string_equal(file_at(r, 2)->name, TNEF_UNTITLED);
	tnef_result_free(&r);
	g_byte_array_unref(b);
}

/* 8-bit names are in attOemCodepage; a Unicode one may hold a surrogate
 * pair (kept) and a lone surrogate (U+FFFD). */
static void
test_codepages(void **state)
{
	static const guint8 cp1251[8] = { 0xe3, 0x04 };  /* 1251 */
	static const guint8 lone[] = { 'a', 0, 0x00, 0xd8, 'b', 0, 0, 0 };
	GByteArray *b = stream_new(), *m = mapi_new(1);
	struct tnef_result *r;

	(void)state;
	attr(b, LVL_MSG, ATT_CODEPAGE, cp1251, sizeof(cp1251));
	new_file(b);
	attr_str(b, ATT_TITLE, "\xcf\xf0\xe8\xe2\xe5\xf2.txt");
	new_file(b);
	prop_unicode(m, 0x3707, "smile \xf0\x9f\x98\x80.txt");
	attr_mapi(b, ATT_MAPI, m);
	new_file(b);
	m = mapi_new(1);
	prop_var(m, TAG(PT_UNICODE, 0x3707), lone, sizeof(lone));
	attr_mapi(b, ATT_MAPI, m);
	r = unpack_ok(b);
	assert_string_equal(file_at(r, 0)->name, "Привет.txt");
	assert_string_equal(file_at(r, 1)->name, "smile \xf0\x9f\x98\x80.txt");
	assert_string_equal(file_at(r, 2)->name, "a\xef\xbf\xbd" "b");
	tnef_result_free(&r);
	g_byte_array_unref(b);
}

/* An embedded message: the object without its IID, not the placeholder
 * attAttachData; a 1 MiB MAPI value (libytnef 2.0 stops at 512 KiB) and
 * a 1.5 MiB attAttachData. */
static void
test_objects_and_big_values(void **state)
{
	GByteArray *b = stream_new(), *m = mapi_new(1), *obj = g_byte_array_new();
	guint8 *big = g_malloc(3u << 19);
	struct tnef_result *r;

	(void)state;
	g_byte_array_append(obj, (const guint8 *)"IIDIIDIIDIIDIIDI", 16);
	put32(obj, 0x223E9F78u);
	prop_var(m, TAG(PT_OBJECT, 0x3701), obj->data, obj->len);
	new_file(b);
	attr_str(b, ATT_TITLE, "Untitled Attachment");
	attr_str(b, ATT_DATA, "This attachment is a MAPI 1.0 embedded message");
	attr_mapi(b, ATT_MAPI, m);
	memset(big, 0xab, 3u << 19);
	m = mapi_new(1);
	prop_var(m, TAG(PT_BINARY, 0x3701), big, 1u << 20);
	new_file(b);
	attr_mapi(b, ATT_MAPI, m);
	new_file(b);
	attr_str(b, ATT_TITLE, "big.bin");
	attr(b, LVL_ATT, ATT_DATA, big, 3u << 19);
	r = unpack_ok(b);
	assert_data(file_at(r, 0), "\x78\x9f\x3e\x22", 4);
	assert_string_equal(file_at(r, 0)->content_type, "application/ms-tnef");
	assert_int_equal(g_bytes_get_size(file_at(r, 1)->data), 1u << 20);
	assert_int_equal(g_bytes_get_size(file_at(r, 2)->data), 3u << 19);
	tnef_result_free(&r);
	g_byte_array_unref(obj);
	g_byte_array_unref(b);
	g_free(big);
}

/* An empty attAttachData is an empty file (libytnef alone would stop);
 * a repeated one is ignored (libytnef alone would leak the first). */
static void
test_empty_and_repeated_attributes(void **state)
{
	GByteArray *b = stream_new();
	struct tnef_result *r;

	(void)state;
	new_file(b);
	attr_str(b, ATT_TITLE, "EMPTY.BAT");
	attr(b, LVL_ATT, ATT_DATA, "", 0);
	new_file(b);
	attr_str(b, ATT_TITLE, "first.txt");
	attr_str(b, ATT_TITLE, "second.txt");
	attr(b, LVL_ATT, ATT_DATA, "one", 3);
	attr(b, LVL_ATT, ATT_DATA, "two", 3);
	/* Before any file: libytnef keeps it aside; nothing leaks. */
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 2);
	assert_data(file_at(r, 0), "", 0);
	assert_string_equal(file_at(r, 1)->name, "first.txt");
	assert_data(file_at(r, 1), "one", 3);
	tnef_result_free(&r);
	g_byte_array_unref(b);

	b = stream_new();
	attr_str(b, ATT_TITLE, "orphan.txt");
	attr(b, LVL_ATT, ATT_DATA, "orphan", 6);
	new_file(b);
	attr(b, LVL_ATT, ATT_DATA, "real", 4);
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 1);
	assert_data(file_at(r, 0), "real", 4);
	tnef_result_free(&r);
	g_byte_array_unref(b);
}

/* ---- hostile streams ----------------------------------------------------- */

/* A name as tnef.h promises it: mime_safe_filename()'s rules (so passing
 * it through again changes nothing), hence non-empty valid UTF-8 without
 * control characters. */
static void
assert_safe_name(const char *name)
{
	char *again;

	assert_non_null(name);
	assert_true(g_utf8_validate(name, -1, NULL));
	for (const char *p = name; *p != '\0'; p++)
		assert_false(g_ascii_iscntrl(*p));
	again = mime_safe_filename(name);
	assert_non_null(again);
	assert_string_equal(again, name);
	g_free(again);
}

/*
 * What tnef_unpack() promises for any len bytes: CM_EINPUT with a reason
 * and no result, or a result no bigger than its input: at most
 * TNEF_MAX_FILES files, whose bytes (each a slice of the stream) add up
 * to at most len, with safe names, lower-case types and bare content IDs;
 * text bodies at most 3/2 of len (UTF-16 made UTF-8), the RTF body within
 * its bound.  Returns the number of files.
 */
static guint
assert_unpack_bounded(const guint8 *data, size_t len)
{
	struct tnef_result *r = NULL;
	struct cm_error err = { 0 };
	size_t total = 0;
	guint n;

	if (tnef_unpack(data, len, &r, &err) != 0) {
		assert_int_equal(err.code, CM_EINPUT);
		assert_true(err.msg[0] != '\0');
		assert_null(r);
		return 0;
	}
	assert_true(r->files->len <= TNEF_MAX_FILES);
	assert_true(r->trailing_bytes <= len);
	for (guint i = 0; i < r->files->len; i++) {
		const struct tnef_file *f = r->files->pdata[i];
		char *lower = g_ascii_strdown(f->content_type, -1);

		assert_safe_name(f->name);
		assert_string_equal(f->content_type, lower);
		assert_non_null(strchr(f->content_type, '/'));
		if (f->content_id != NULL)
			assert_null(strpbrk(f->content_id, "<> "));
		total += g_bytes_get_size(f->data);
		g_free(lower);
	}
	assert_true(total <= len);
	if (r->body_text != NULL)
		assert_true(g_bytes_get_size(r->body_text) <= len / 2 * 3);
	if (r->body_html != NULL)
		assert_true(g_bytes_get_size(r->body_html) <= len / 2 * 3);
	if (r->body_rtf != NULL)
		assert_true(g_bytes_get_size(r->body_rtf) <= TNEF_MAX_BODY_BYTES);
	n = r->files->len;
	tnef_result_free(&r);
	return n;
}

static void
test_not_tnef(void **state)
{
	struct tnef_result *r = NULL;
	struct cm_error err = { 0 };
	static const guint8 sig_only[6] = { 0x78, 0x9f, 0x3e, 0x22, 1, 0 };

	(void)state;
	assert_int_equal(tnef_unpack("", 0, &r, &err), CM_EINPUT);
	assert_int_equal(tnef_unpack("x", 1, &r, &err), CM_EINPUT);
	assert_int_equal(tnef_unpack("\x78\x9f\x3e", 3, &r, &err), CM_EINPUT);
	assert_int_equal(tnef_unpack(sig_only, 6, &r, &err), CM_EINPUT);
	assert_int_equal(tnef_unpack("GIF89a....", 10, &r, &err), CM_EINPUT);
	assert_null(r);
}

/* Every prefix of a good stream: no crash, never more than it holds. */
static void
test_truncated(void **state)
{
	GByteArray *b = two_files();

	(void)state;
	for (guint len = 0; len <= b->len; len++)
		assert_true(assert_unpack_bounded(b->data, len) <= 2);
	g_byte_array_unref(b);
}

/* Lengths far beyond the bytes: never allocated, never read. */
static void
test_huge_declared_lengths(void **state)
{
	GByteArray *b = two_files(), *m;
	struct tnef_result *r;
	guint good = b->len;

	(void)state;
	/* An attribute claiming 4 GiB ends the stream there. */
	g_byte_array_append(b, (const guint8 *)"\x02\x0f\x80\x06\x00", 5);
	put32(b, 0xFFFFFFF0u);
	g_byte_array_append(b, (const guint8 *)"tail", 4);
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 2);
	assert_int_equal(r->trailing_bytes, b->len - good);
	tnef_result_free(&r);
	g_byte_array_unref(b);

	/* A MAPI block with impossible counts and value lengths. */
	b = stream_new();
	m = mapi_new(0xFFFFFFFFu);
	put32(m, TAG(PT_BINARY, 0x3701));
	put32(m, 0xFFFFFFFFu);               /* values */
	put32(m, 0x7FFFFFF0u);               /* length */
	g_byte_array_append(m, (const guint8 *)"abc", 3);
	new_file(b);
	attr(b, LVL_ATT, ATT_DATA, "kept", 4);
	attr_mapi(b, ATT_MAPI, m);
	m = mapi_new(2);
	put32(m, TAG(PT_STRING8 | 0x1000, 0x3707));  /* multi-valued */
	put32(m, 0x40000000u);
	put32(m, 2);
	attr_mapi(b, ATT_MAPI, m);
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 1);
	assert_data(file_at(r, 0), "kept", 4);
	tnef_result_free(&r);
	g_byte_array_unref(b);
}

static void
test_bad_checksum_and_levels(void **state)
{
	GByteArray *b = two_files();
	struct tnef_result *r;

	(void)state;
	b->data[b->len - 1] ^= 0x55;         /* the last checksum */
	r = unpack_ok(b);
	assert_int_equal(r->files->len, 2);  /* the last file lost its data */
	assert_data(file_at(r, 1), "", 0);
	assert_true(r->trailing_bytes > 0);
	tnef_result_free(&r);
	b->data[b->len - 1] ^= 0x55;
	b->data[6] = 9;                      /* no such level: nothing whole */
	assert_int_equal(tnef_unpack(b->data, b->len, &r, NULL), CM_EINPUT);
	g_byte_array_unref(b);
}

static void
test_count_limits(void **state)
{
	GByteArray *b = stream_new();
	struct tnef_result *r = NULL;
	struct cm_error err = { 0 };

	(void)state;
	for (int i = 0; i <= TNEF_MAX_FILES; i++)
		new_file(b);
	assert_int_equal(tnef_unpack(b->data, b->len, &r, &err), CM_EINPUT);
	assert_non_null(strstr(err.msg, "files"));
	g_byte_array_unref(b);
	b = stream_new();
	new_file(b);
	for (int i = 0; i <= TNEF_MAX_ATTRIBUTES; i++)
		attr(b, LVL_MSG, 0x00018004u, "s", 1);
	assert_int_equal(tnef_unpack(b->data, b->len, &r, &err), CM_EINPUT);
	assert_non_null(strstr(err.msg, "attributes"));
	g_byte_array_unref(b);
}

static void
random_bytes(GRand *rand, void *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((guint8 *)out)[i] = (guint8)g_rand_int(rand);
}

/* Well framed (lengths and checksums right), hostile contents: a random
 * code page, and random bytes for the title, the MAPI long name (UTF-16
 * code units, lone surrogates included), MIME tag, content ID and data. */
static GByteArray *
garbage_framed(GRand *rand)
{
	GByteArray *b = stream_new(), *m = mapi_new(3);
	guint8 junk[64], cp[4];
	gunichar2 name[32];

	random_bytes(rand, name, sizeof(name));
	prop_var(m, TAG(PT_UNICODE, 0x3707), name, sizeof(name));
	random_bytes(rand, junk, sizeof(junk));
	prop_var(m, TAG(PT_STRING8, 0x370E), junk, sizeof(junk));
	random_bytes(rand, junk, sizeof(junk));
	prop_var(m, TAG(PT_STRING8, 0x3712), junk, sizeof(junk));
	random_bytes(rand, cp, sizeof(cp));
	attr(b, LVL_MSG, ATT_CODEPAGE, cp, sizeof(cp));
	new_file(b);
	random_bytes(rand, junk, sizeof(junk));
	attr(b, LVL_ATT, ATT_TITLE, junk, sizeof(junk));
	attr(b, LVL_ATT, ATT_DATA, junk, (size_t)g_rand_int_range(rand, 0, 64));
	attr_mapi(b, ATT_MAPI, m);
	return b;
}

/* One hostile stream: a good one with bytes flipped, random bytes after
 * the header, or well-framed random contents. */
static GByteArray *
garbage_stream(GRand *rand, const GByteArray *base, int round)
{
	GByteArray *b;

	if (round % 3 == 2)
		return garbage_framed(rand);
	b = g_byte_array_new();
	if (round % 3 == 0) {
		g_byte_array_append(b, base->data, base->len);
		for (int k = 0; k < 4; k++)
			b->data[g_rand_int_range(rand, 6, (gint32)b->len)] =
				(guint8)g_rand_int(rand);
	} else {
		g_byte_array_append(b, base->data, 6);
		g_byte_array_set_size(b, 6 + (guint)g_rand_int_range(rand, 0, 600));
		random_bytes(rand, b->data + 6, b->len - 6);
	}
	return b;
}

/* Hostile streams, many times: no crash, every answer within
 * assert_unpack_bounded()'s promises, the input left alone. */
static void
test_garbage(void **state)
{
	GRand *rand = g_rand_new_with_seed(20261129);
	GByteArray *base = two_files();
	guint with_files = 0;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		GByteArray *b = garbage_stream(rand, base, round);
		guint8 *copy = g_memdup2(b->data, b->len);

		with_files += assert_unpack_bounded(b->data, b->len) > 0;
		assert_memory_equal(b->data, copy, b->len);
		g_free(copy);
		g_byte_array_unref(b);
	}
	print_message("garbage: %u of 3000 streams gave files\n", with_files);
	/* Not vacuous: many of them unpack. */
	assert_true(with_files > 500);
	g_byte_array_unref(base);
	g_rand_free(rand);
}

/* ---- compressed RTF -------------------------------------------------------- */

static GByteArray *
rtf_header(uint32_t comp, uint32_t raw, const char *type)
{
	GByteArray *b = g_byte_array_new();

	put32(b, comp);
	put32(b, raw);
	g_byte_array_append(b, (const guint8 *)type, 4);
	put32(b, 0);                         /* CRC, not checked */
	return b;
}

static void
test_rtf(void **state)
{
	/* A reference to "{\rtf1" in the initial dictionary, four
	 * literals, then the end marker (a reference to the write
	 * position, 207 + 10). */
	static const guint8 lzfu[] = { 0x21, 0x00, 0x04, ' ', 'h', 'i', '}',
				       0x0D, 0x90 };
	GByteArray *b = rtf_header(12 + sizeof(lzfu), 10, "LZFu");
	GBytes *out = NULL;

	(void)state;
	g_byte_array_append(b, lzfu, sizeof(lzfu));
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1000, &out,
					     NULL), 0);
	assert_int_equal(g_bytes_get_size(out), 10);
	assert_memory_equal(g_bytes_get_data(out, NULL), "{\\rtf1 hi}", 10);
	g_bytes_unref(out);
	/* Cut in the middle of the reference: what was decoded, no more. */
	assert_int_equal(tnef_rtf_decompress(b->data, 16 + 2, 1000, &out,
					     NULL), CM_EINPUT);
	b->data[0] = 12 + 2;
	assert_int_equal(tnef_rtf_decompress(b->data, 16 + 2, 1000, &out,
					     NULL), 0);
	assert_int_equal(g_bytes_get_size(out), 0);
	g_bytes_unref(out);
	g_byte_array_unref(b);
}

static void
test_rtf_hostile(void **state)
{
	GByteArray *b;
	GBytes *out = NULL;
	guint8 refs[1 + 16];

	(void)state;
	/* A declared size far over the bound, and one over the bytes. */
	b = rtf_header(12, 0xFFFFFFFFu, "LZFu");
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1 << 20, &out,
					     NULL), CM_EINPUT);
	g_byte_array_unref(b);
	b = rtf_header(12 + 4, 1000, "MELA");
	g_byte_array_append(b, (const guint8 *)"{\\rt", 4);
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1 << 20, &out,
					     NULL), CM_EINPUT);
	g_byte_array_unref(b);
	b = rtf_header(0xFFFFFFF0u, 10, "LZFu");
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1 << 20, &out,
					     NULL), CM_EINPUT);
	g_byte_array_unref(b);
	b = rtf_header(12, 10, "ZZZZ");
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1 << 20, &out,
					     NULL), CM_EINPUT);
	g_byte_array_unref(b);
	assert_int_equal(tnef_rtf_decompress("abc", 3, 10, &out, NULL),
			 CM_EINPUT);
	/* Eight maximal references: output stops at the declared size. */
	refs[0] = 0xFF;
	for (int i = 0; i < 8; i++) {
		refs[1 + 2 * i] = 0x00;
		refs[2 + 2 * i] = 0x0F;
	}
	b = rtf_header(12 + sizeof(refs), 50, "LZFu");
	g_byte_array_append(b, refs, sizeof(refs));
	assert_int_equal(tnef_rtf_decompress(b->data, b->len, 1 << 20, &out,
					     NULL), 0);
	assert_int_equal(g_bytes_get_size(out), 50);
	g_bytes_unref(out);
	g_byte_array_unref(b);
}

/* ---- the hook through mime_parse ------------------------------------------- */

static struct mime_message *
parse_with_winmail(const guint8 *tnef, size_t len, const char *type)
{
	char *b64 = g_base64_encode(tnef, len);
	char *raw = g_strdup_printf(
		"From: a@b.test\nSubject: tnef\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=XX\n\n"
		"--XX\nContent-Type: text/plain\n\nSee attached.\n"
		"--XX\nContent-Type: %s; name=\"winmail.dat\"\n"
		"Content-Disposition: attachment; filename=\"winmail.dat\"\n"
		"Content-Transfer-Encoding: base64\n\n%s\n--XX--\n", type, b64);
	struct mime_message *m = NULL;
	struct cm_error err = { 0 };

	if (mime_parse(raw, strlen(raw), &m, &err) != 0)
		fail_msg("parse: %s", err.msg);
	g_free(raw);
	g_free(b64);
	return m;
}

static void
test_hook(void **state)
{
	GByteArray *b = two_files();
	struct mime_message *m;
	const struct mime_part *p;

	(void)state;
	m = parse_with_winmail(b->data, b->len, "application/ms-tnef");
	assert_int_equal(m->parts->len, 3);
	p = m->parts->pdata[0];
	assert_string_equal(p->filename, "winmail.dat");
	assert_int_equal(g_bytes_get_size(p->data), b->len);
	p = m->parts->pdata[1];
	assert_string_equal(p->filename, "notes.txt");
	assert_false(p->inline_part);
	assert_int_equal(m->warnings->len, 0);
	assert_string_equal(m->text, "See attached.");
	mime_message_free(&m);

	/* Damaged: winmail.dat kept alone, and a warning says why. */
	b->data[0] = 'X';
	m = parse_with_winmail(b->data, b->len, "application/octet-stream");
	assert_int_equal(m->parts->len, 1);
	assert_int_equal(m->warnings->len, 1);
	assert_non_null(strstr(m->warnings->pdata[0], "winmail.dat"));
	mime_message_free(&m);
	g_byte_array_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_in_order),
		cmocka_unit_test(test_long_name_and_mapi),
		cmocka_unit_test(test_untitled_and_unsafe_names),
		cmocka_unit_test(test_codepages),
		cmocka_unit_test(test_objects_and_big_values),
		cmocka_unit_test(test_empty_and_repeated_attributes),
		cmocka_unit_test(test_not_tnef),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_huge_declared_lengths),
		cmocka_unit_test(test_bad_checksum_and_levels),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_rtf),
		cmocka_unit_test(test_rtf_hostile),
		cmocka_unit_test(test_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
