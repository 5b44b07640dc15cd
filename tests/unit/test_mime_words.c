/*
 * test_mime_words.c - header text, filenames and bodies that GMime 3.2.13
 * reads wrong on its own: runs of base64 encoded words, base64 bodies
 * with odd padding, ISO-2022-JP with Microsoft's characters, raw 8-bit
 * headers in the message's own legacy charset.
 */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/mime.h"

static struct mime_message *
parse(const char *raw)
{
	struct mime_message *m = NULL;
	struct cm_error err = { 0 };

	if (mime_parse(raw, strlen(raw), &m, &err) != 0)
		fail_msg("parse: %s", err.msg);
	return m;
}

/* "=?charset?B?...?=" of len bytes of s (caller g_free()s). */
static char *
bword(const char *charset, const char *s, size_t len)
{
	char *b64 = g_base64_encode((const guchar *)s, len);
	char *w = g_strdup_printf("=?%s?B?%s?=", charset, b64);

	g_free(b64);
	return w;
}

static int
leaf_names(const struct mime_leaf *leaf, void *ctx)
{
	g_string_append_printf(ctx, "%s;", leaf->filename != NULL
			       ? leaf->filename : "-");
	return 0;
}

/* The filenames mime_walk_leaves() reports, "a;b;". */
static char *
walk_names(const char *raw)
{
	GString *s = g_string_new(NULL);

	assert_int_equal(mime_walk_leaves(raw, strlen(raw), leaf_names, s,
					  NULL), 0);
	return g_string_free(s, FALSE);
}

/* ---- defect 1: runs of encoded words, base64 padding -------------------- */

static void
test_split_base64_words(void **state)
{
	const char *name = "Pr\xc3\xbc" "fbericht 2026 \xe2\x80\x93 endg\xc3\xbc"
			   "ltig.pdf";
	/* the second word starts inside the three bytes of the dash */
	char *w1 = bword("UTF-8", name, 19), *w2 = bword("utf-8", name + 19,
							 strlen(name) - 19);
	char *raw, *names;
	struct mime_message *m;
	const struct mime_part *p;

	(void)state;
	raw = g_strdup_printf(
		"From: =?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?B?IE3DvGxsZXI=?= "
		"<j@x.test>\n"
		"To: \"=?UTF-8?B?SsO8cmdlbg==?=\n =?UTF-8?B?IE3DvGxsZXI=?=\" "
		"<m@x.test>\n"
		"Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?= and\n"
		"  =?utf-8?B?b2LD?=\n =?utf-8?B?pHI=?=\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
		"--B\nContent-Type: text/plain\n\nsee attached\n"
		"--B\nContent-Type: application/pdf; name=\"%s\n %s\"\n"
		"Content-Disposition: attachment; filename=\"%s\n %s\"\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		"--B--\n", w1, w2, w1, w2);
	m = parse(raw);
	assert_string_equal(m->subject, "Hello world and ob\xc3\xa4r");
	assert_string_equal(m->from.name, "J\xc3\xbcrgen M\xc3\xbcller");
	assert_string_equal(((struct mime_address *)m->to->pdata[0])->name,
			    "J\xc3\xbcrgen M\xc3\xbcller");
	assert_int_equal(m->parts->len, 1);
	p = m->parts->pdata[0];
	assert_string_equal(p->filename, name);
	mime_message_free(&m);
	names = walk_names(raw);
	assert_non_null(strstr(names, name));
	g_free(names);
	g_free(raw);
	g_free(w1);
	g_free(w2);
}

static void
test_base64_body_padding(void **state)
{
	struct mime_message *m;

	(void)state;
	/* a pad in mid-stream (chunks joined), then a chunk without one */
	m = parse("From: a@x.test\nSubject: s\nMIME-Version: 1.0\n"
		  "Content-Type: text/plain; charset=utf-8\n"
		  "Content-Transfer-Encoding: base64\n\n"
		  "SGVsbG8=\nIHdvcmxk\nISBHcsO8w59lIGF1cyBLw7ZsbiBhbSBSaGVpbg\n");
	assert_string_equal(m->text,
			    "Hello world! Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6"
			    "ln am Rhein");
	mime_message_free(&m);
	/* text after the pad is no base64: it ends the data (RFC 2045) */
	m = parse("From: a@x.test\nSubject: s\nMIME-Version: 1.0\n"
		  "Content-Type: text/plain\nContent-Transfer-Encoding: base64"
		  "\n\nSGVsbG8= ignore this\n");
	assert_string_equal(m->text, "Hello");
	mime_message_free(&m);
	/* an empty base64 part (its stream's data is NULL: UBSan once
	 * caught NULL + 0 here under the ingest fuzzer) */
	m = parse("From: a@x.test\nSubject: s\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: text/plain\nContent-Transfer-Encoding: base64"
		  "\n\n--b\nContent-Type: application/octet-stream\n"
		  "Content-Transfer-Encoding: base64\n\n--b--\n");
	assert_non_null(m);
	mime_message_free(&m);
}

/* A body of many pads, each followed by more base64, decodes every
 * chunk in linear time (the rest was once scanned after each pad:
 * 26 s for 600 KB). */
static void
test_base64_many_pads(void **state)
{
	GString *raw = g_string_new("From: a@x.test\nSubject: s\n"
				    "MIME-Version: 1.0\nContent-Type: text/plain"
				    "\nContent-Transfer-Encoding: base64\n\n");
	gint64 t0 = g_get_monotonic_time();
	struct mime_message *m;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 200000; i++)
		g_string_append(raw, i % 40 == 39 ? "QQ=\n" : "QQ=");
	m = parse(raw->str);
	for (const char *p = m->text; *p == 'A'; p++)
		n++;
	assert_int_equal(n, 200000);
	assert_int_equal(strlen(m->text), 200000);
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	mime_message_free(&m);
	g_string_free(raw, TRUE);
}

/* ---- defect 5: ISO-2022-JP as Microsoft writes it ----------------------- */

static void
test_iso2022jp_microsoft(void **state)
{
	char *sjis_word = bword("ISO-2022-JP", "\x89\xef\x8b\x63", 4);
	char *raw = g_strdup_printf(
		"From: a@x.test\nSubject: %s\nMIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=ISO-2022-JP\n\n"
		/* circled one, roman two, (kabu), then "kaigi" */
		"\x1b$B-!-6-j2q5D\x1b(B end\n"
		/* an unassigned pair: one U+FFFD, the rest still read */
		"\x1b$B/!2q5D\x1b(B ok\n", sjis_word);
	struct mime_message *m = parse(raw);

	(void)state;
	assert_string_equal(m->text,
			    "\xe2\x91\xa0\xe2\x85\xa1\xe3\x88\xb1\xe4\xbc\x9a"
			    "\xe8\xad\xb0 end\n\xef\xbf\xbd\xe4\xbc\x9a\xe8\xad"
			    "\xb0 ok");
	/* labelled ISO-2022-JP, written in Shift_JIS */
	assert_string_equal(m->subject, "\xe4\xbc\x9a\xe8\xad\xb0");
	mime_message_free(&m);
	g_free(raw);
	g_free(sjis_word);
}

/* ---- defect 6: raw 8-bit headers in the message's legacy charset -------- */

static void
test_raw_legacy_headers(void **state)
{
	const char *raw =
		"From: \xc0\xee\xc0\xf6 <li@x.test>\n"
		"Subject: \xc4\xe3\xba\xc3\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
		"--B\nContent-Type: text/plain; charset=gb2312\n\n"
		"\xc4\xe3\xba\xc3\n"
		"--B\nContent-Type: application/pdf; name=\"\xb1\xa8\xb8\xe6.pdf\"\n"
		"Content-Disposition: attachment; filename=\"\xb1\xa8\xb8\xe6.pdf\"\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		"--B--\n";
	struct mime_message *m = parse(raw);
	char *names;

	(void)state;
	assert_string_equal(m->subject, "\xe4\xbd\xa0\xe5\xa5\xbd");
	assert_string_equal(m->from.name, "\xe6\x9d\x8e\xe4\xb8\xbd");
	assert_string_equal(m->text, "\xe4\xbd\xa0\xe5\xa5\xbd");
	assert_int_equal(m->parts->len, 1);
	assert_string_equal(((struct mime_part *)m->parts->pdata[0])->filename,
			    "\xe6\x8a\xa5\xe5\x91\x8a.pdf");
	mime_message_free(&m);
	names = walk_names(raw);
	assert_non_null(strstr(names, ";\xe6\x8a\xa5\xe5\x91\x8a.pdf;"));
	g_free(names);
	/* Shift_JIS declared by a part, and Latin-1 that reads in no
	 * declared charset cleanly stays windows-1252 */
	m = parse("From: a@x.test\nSubject: \x89\xef\x8b\x63\n"
		  "Content-Type: text/plain; charset=Shift_JIS\n\nx\n");
	assert_string_equal(m->subject, "\xe4\xbc\x9a\xe8\xad\xb0");
	mime_message_free(&m);
	m = parse("From: a@x.test\nSubject: Gr\xf6\xdf" "e\n"
		  "Content-Type: text/plain; charset=Shift_JIS\n\nx\n");
	assert_string_equal(m->subject, "Gr\xc3\xb6\xc3\x9f" "e");
	mime_message_free(&m);
}

/* A field full of unterminated words, and of words in ever other
 * charsets: read in time, valid UTF-8. */
static void
test_hostile_words(void **state)
{
	static const char *const shapes[] = { "=?x?Q?a", "=?a?Q?b?= =?b?B?Yw==?= " };
	(void)state;

	for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
		GString *raw = g_string_new("From: a@x.test\nSubject: ");
		gint64 t0 = g_get_monotonic_time();
		struct mime_message *m;

		while (raw->len < 100000)
			g_string_append(raw, shapes[i]);
		g_string_append(raw, "\n\nbody\n");
		m = parse(raw->str);
		assert_true(g_utf8_validate(m->subject, -1, NULL));
		assert_true(g_get_monotonic_time() - t0 < 20 * G_USEC_PER_SEC);
		mime_message_free(&m);
		g_string_free(raw, TRUE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_base64_words),
		cmocka_unit_test(test_base64_body_padding),
		cmocka_unit_test(test_base64_many_pads),
		cmocka_unit_test(test_iso2022jp_microsoft),
		cmocka_unit_test(test_raw_legacy_headers),
		cmocka_unit_test(test_hostile_words),
	};

	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
