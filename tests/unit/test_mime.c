/* test_mime.c - GMime parsing into struct mime_message. */
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

static void
test_headers(void **state)
{
	struct mime_message *m = parse(
		"From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <Joerg@Carrier.TEST>\n"
		"To: cases@desk.example, \"Ops, Team\" <ops@acme.test>\n"
		"Cc: grp: a@x.test, b@x.test;\n"
		"Subject: =?UTF-8?B?W0NWMDAwMDAxXSBTY2jDpGRlbg==?=\n"
		"Date: Sun, 29 Nov 2026 10:00:00 +0100\n"
		"Message-ID: <abc@carrier.test>\n"
		"In-Reply-To: <first@acme.test>\n"
		"References: <root@acme.test> <first@acme.test>\n"
		"\nHello\r\n");

	(void)state;
	assert_string_equal(m->from.name, "Jörg Müller");
	assert_string_equal(m->from.address, "joerg@carrier.test");
	assert_string_equal(m->subject, "[CV000001] Schäden");
	assert_int_equal(m->to->len, 2);
	assert_string_equal(((struct mime_address *)m->to->pdata[1])->name,
			    "Ops, Team");
	assert_int_equal(m->cc->len, 2);
	assert_int_equal(m->date, 1795942800LL);
	assert_string_equal(m->message_id, "<abc@carrier.test>");
	assert_string_equal(m->in_reply_to, "<first@acme.test>");
	assert_int_equal(m->references->len, 2);
	assert_string_equal(m->references->pdata[0], "<root@acme.test>");
	assert_string_equal(m->text, "Hello");
	mime_message_free(&m);
}

static void
test_derived_message_id(void **state)
{
	const char *raw = "From: a@b.test\nSubject: no id\n\nbody\n";
	struct mime_message *a = parse(raw), *b = parse(raw);

	(void)state;
	assert_true(a->message_id_derived);
	assert_string_equal(a->message_id, b->message_id);
	assert_non_null(strstr(a->message_id, "@casemail.invalid>"));
	mime_message_free(&a);
	mime_message_free(&b);
}

static void
test_structure(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nSubject: photos\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"\n\n"
		"--XX\nContent-Type: multipart/alternative; boundary=\"YY\"\n\n"
		"--YY\nContent-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n\nPalette besch=E4digt\n"
		"--YY\nContent-Type: multipart/related; boundary=\"ZZ\"\n\n"
		"--ZZ\nContent-Type: text/html\n\n<p>Palette <b>besch&auml;digt</b></p>\n"
		"--ZZ\nContent-Type: image/png\nContent-ID: <img1@x>\n"
		"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
		"--ZZ--\n--YY--\n"
		"--XX\nContent-Type: application/pdf\n"
		"Content-Disposition: attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd%E2%82%AC.pdf\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		"--XX\nContent-Type: message/rfc822\n\n"
		"From: c@d.test\nSubject: original\n\nfirst mail\n"
		"--XX--\n");
	const struct mime_part *img, *pdf, *eml;

	(void)state;
	/* the forwarded mail's text follows the body, searchable */
	assert_string_equal(m->text, "Palette beschädigt\n\n"
			    "---------- Forwarded message ----------\n"
			    "From: c@d.test\nSubject: original\n\nfirst mail");
	assert_false(m->text_from_html);
	assert_int_equal(m->parts->len, 3);
	img = m->parts->pdata[0];
	pdf = m->parts->pdata[1];
	eml = m->parts->pdata[2];
	assert_string_equal(img->content_type, "image/png");
	assert_string_equal(img->content_id, "img1@x");
	assert_true(img->inline_part);
	assert_int_equal(g_bytes_get_size(img->data), 8);
	assert_string_equal(pdf->filename, "passwd€.pdf");
	assert_false(pdf->inline_part);
	assert_int_equal(g_bytes_get_size(pdf->data), 9);
	assert_string_equal(eml->content_type, "message/rfc822");
	assert_string_equal(eml->filename, "original.eml");
	mime_message_free(&m);
}

static void
test_html_only_and_hostile(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nSubject: bad\r\n =?UTF-8?Q?line=0D=0ABcc:_x@evil?=\n"
		"Content-Type: text/html; charset=utf-8\n\n"
		"<html><head><style>p{}</style><script>alert(1)</script></head>"
		"<body><p>Hello</p><p>World</p></body></html>\n");

	(void)state;
	assert_null(strchr(m->subject, '\n'));
	assert_null(strchr(m->subject, '\r'));
	assert_true(m->text_from_html);
	assert_non_null(strstr(m->text, "Hello"));
	assert_null(strstr(m->text, "alert"));
	mime_message_free(&m);
}

static void
test_invalid_utf8_and_deep(void **state)
{
	GString *raw = g_string_new("From: a@b.test\nSubject: deep\n"
				    "Content-Type: text/plain; charset=utf-8\n\n"
				    "bad \xff\xfe bytes\n");
	struct mime_message *m = parse(raw->str);

	(void)state;
	assert_true(g_utf8_validate(m->text, -1, NULL));
	mime_message_free(&m);
	/* 200 nested multiparts: bounded walk, a warning, no crash */
	g_string_assign(raw, "From: a@b.test\nSubject: nest\n");
	for (int i = 0; i < 200; i++)
		g_string_append_printf(raw, "Content-Type: multipart/mixed; "
				       "boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(raw, "Content-Type: text/plain\n\ninner\n");
	m = parse(raw->str);
	assert_true(m->warnings->len > 0);
	mime_message_free(&m);
	g_string_free(raw, TRUE);
}

static void
test_safe_filename(void **state)
{
	char *s;

	(void)state;
	s = mime_safe_filename("../../etc/passwd");
	assert_string_equal(s, "passwd");
	g_free(s);
	s = mime_safe_filename("C:\\Users\\x\\..\\.hidden\r\n.txt");
	assert_string_equal(s, "hidden .txt");
	g_free(s);
	assert_null(mime_safe_filename("..."));
	assert_null(mime_safe_filename(NULL));
	s = mime_safe_filename("a:b*c?.pdf");
	assert_string_equal(s, "a_b_c_.pdf");
	g_free(s);
}

/* The body of a one-part message with the given headers and bytes. */
static char *
body_of(const char *headers, const char *body)
{
	char *raw = g_strdup_printf("From: a@b.test\nSubject: t\n%s\n%s",
				    headers, body);
	struct mime_message *m = parse(raw);
	char *text = g_strdup(m->text);

	assert_true(g_utf8_validate(m->text, -1, NULL));
	mime_message_free(&m);
	g_free(raw);
	return text;
}

static void
test_charset_hostile(void **state)
{
	char *t;

	(void)state;
	/* UTF-8 with one broken byte: the byte becomes U+FFFD, not a stop */
	t = body_of("Content-Type: text/plain; charset=utf-8\n",
		    "Gr\xc3\xbc\xff\xc3\x9f" "e\n");
	assert_string_equal(t, "Grü\xef\xbf\xbdße");
	g_free(t);
	/* charset lie: declared UTF-8, every 8-bit byte Latin-1 */
	t = body_of("Content-Type: text/plain; charset=utf-8\n",
		    "M\xfcller \x93quoted\x94\n");
	assert_string_equal(t, "Müller \xe2\x80\x9cquoted\xe2\x80\x9d");
	g_free(t);
	/* undeclared 8-bit, and a charset nobody knows */
	t = body_of("", "Fr\xf6sche\n");
	assert_string_equal(t, "Frösche");
	g_free(t);
	t = body_of("Content-Type: text/plain; charset=x-no-such-charset\n",
		    "Fr\xf6sche und Gr\xc3\xbc\xc3\x9f" "e\n");
	assert_string_equal(t, "Fr\xef\xbf\xbdsche und Grüße");
	g_free(t);
	/* a real charset with an undecodable sequence keeps the rest */
	t = body_of("Content-Type: text/plain; charset=shift_jis\n",
		    "\x93\xfa\x96{ \x85\xff ok\n");
	assert_non_null(strstr(t, "日本"));
	assert_non_null(strstr(t, "\xef\xbf\xbd"));
	assert_non_null(strstr(t, " ok"));
	g_free(t);
	/* UTF-16LE and ISO-2022-JP bodies, windows-1252 smart quotes */
	t = body_of("Content-Type: text/plain; charset=utf-16le\n"
		    "Content-Transfer-Encoding: base64\n", "RwByAPwA3wBlAA==\n");
	assert_string_equal(t, "Grüße");
	g_free(t);
	t = body_of("Content-Type: text/plain; charset=iso-2022-jp\n"
		    "Content-Transfer-Encoding: base64\n", "GyRCMnE1RCRON28bKEI=\n");
	assert_string_equal(t, "会議の件");
	g_free(t);
}

static void
test_header_charsets(void **state)
{
	struct mime_message *m;

	(void)state;
	m = parse("From: =?iso-8859-1?Q?J\xfcrgen?= <j@x.test>\n"
		  "To: Heinz M\xfcller <h@x.test>, =?gb2312?B?xOO6ww==?= <n@x.test>\n"
		  "Subject: =?utf-7?Q?Gr+APwA3w-e?= =?iso-2022-jp?B?GyRCMnE1RCRON28bKEI=?=\n"
		  "\nbody\n");
	/* raw 8-bit inside a Q word, and raw Latin-1 outside any word */
	assert_string_equal(m->from.name, "Jürgen");
	assert_string_equal(((struct mime_address *)m->to->pdata[0])->name,
			    "Heinz Müller");
	assert_string_equal(((struct mime_address *)m->to->pdata[1])->name,
			    "你好");
	assert_string_equal(m->subject, "Grüße会議の件");
	mime_message_free(&m);
	/* broken encoded words: no crash, valid UTF-8, the sender kept */
	m = parse("From: =?utf-8?B?not base64 <x@y.test>\n"
		  "Subject: =?x-bogus?Q?abc?= =?utf-8?Q?unterminated\xff\n\nb\n");
	assert_true(g_utf8_validate(m->subject, -1, NULL));
	assert_string_equal(m->from.address, "x@y.test");
	mime_message_free(&m);
}

static void
test_filenames(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nSubject: f\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
		"--B\nContent-Type: text/plain\n\nsee attached\n"
		"--B\nContent-Type: application/pdf\n"
		"Content-Disposition: attachment;\n"
		" filename*0*=iso-8859-1''Pr%FCfbericht%20;\n filename*1=\"2026.pdf\"\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		"--B\nContent-Type: image/png; name=\"=?UTF-8?Q?Sch=C3=A4den.png?=\"\n"
		"Content-ID: <img@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
		"--B--\n");
	const struct mime_part *pdf, *png;

	(void)state;
	assert_int_equal(m->parts->len, 2);
	pdf = m->parts->pdata[0];
	png = m->parts->pdata[1];
	assert_string_equal(pdf->filename, "Prüfbericht 2026.pdf");
	assert_string_equal(png->filename, "Schäden.png");
	assert_true(png->inline_part);
	assert_string_equal(png->content_id, "img@x");
	mime_message_free(&m);
}

static void
test_forwarded_and_uuencoded(void **state)
{
	/* base64 message/rfc822 (GMime leaves it a plain part) and a file
	 * pasted into the text as a uuencoded block */
	const char *fwd = "From: Old <old@x.test>\nSubject: Schaden 4711\n\n"
			  "Palette nass\n";
	char *inner = g_base64_encode((const guchar *)fwd, strlen(fwd));
	char *raw = g_strdup_printf(
		"From: a@b.test\nSubject: fwd\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
		"--B\nContent-Type: text/plain\n\nsee below\n\n"
		"begin 644 hello.txt\n,:&5L;&\\@=V]R;&0*\n`\nend\n\nbye\n"
		"--B\nContent-Type: message/rfc822\n"
		"Content-Transfer-Encoding: base64\n\n%s\n--B--\n", inner);
	struct mime_message *m = parse(raw);
	const struct mime_part *uu, *eml;

	(void)state;
	assert_int_equal(m->parts->len, 2);
	uu = m->parts->pdata[0];
	eml = m->parts->pdata[1];
	assert_string_equal(uu->filename, "hello.txt");
	assert_int_equal(g_bytes_get_size(uu->data), 12);
	assert_memory_equal(g_bytes_get_data(uu->data, NULL), "hello world\n", 12);
	assert_null(strstr(m->text, "begin 644"));
	assert_non_null(strstr(m->text, "see below"));
	assert_non_null(strstr(m->text, "bye"));
	assert_string_equal(eml->content_type, "message/rfc822");
	assert_string_equal(eml->filename, "Schaden 4711.eml");
	assert_non_null(strstr(m->text, "Subject: Schaden 4711\n\nPalette nass"));
	mime_message_free(&m);
	g_free(raw);
	g_free(inner);
}

static int
collect_leaf(const struct mime_leaf *leaf, void *ctx)
{
	g_string_append_printf(ctx, "%s:%d:%s:%zu;", leaf->path, leaf->kind,
			       leaf->content_type, g_bytes_get_size(leaf->data));
	return 0;
}

static int
stop_at_first(const struct mime_leaf *leaf, void *ctx)
{
	(void)leaf;
	(*(int *)ctx)++;
	return 1;
}

static void
test_walk_leaves(void **state)
{
	const char *raw =
		"From: a@b.test\nSubject: leaves\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"X\"\n\n"
		"--X\nContent-Type: multipart/alternative; boundary=\"Y\"\n\n"
		"--Y\nContent-Type: text/plain\n\nplain\n"
		"--Y\nContent-Type: text/html\n\n<p>html</p>\n--Y--\n"
		"--X\nContent-Type: message/rfc822\n\n"
		"Subject: inner\nContent-Type: text/plain\n\ninner text\n"
		"--X--\n";
	GString *seen = g_string_new(NULL);
	struct cm_error err = { 0 };
	int calls = 0;

	(void)state;
	assert_int_equal(mime_walk_leaves(raw, strlen(raw), collect_leaf, seen,
					  &err), 0);
	/* every text alternative, the message, then its own leaf */
	assert_string_equal(seen->str, "1.1.1:0:text/plain:5;1.1.2:0:text/html:11;"
			    "1.2:2:message/rfc822:51;1.2.1:0:text/plain:10;");
	assert_int_equal(mime_walk_leaves(raw, strlen(raw), stop_at_first,
					  &calls, &err), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(mime_walk_leaves("", 0, collect_leaf, seen, &err),
			 CM_EINPUT);
	g_string_free(seen, TRUE);
}

static void
test_headerless_and_broken_multipart(void **state)
{
	struct mime_message *m;

	(void)state;
	/* no header at all: read as a body, not refused */
	m = parse("This message has no headers.\nThe text is the body.\n");
	assert_string_equal(m->text,
			    "This message has no headers.\nThe text is the body.");
	mime_message_free(&m);
	/* a boundary that never occurs: the text is kept, not dropped */
	m = parse("From: a@b.test\nSubject: b\n"
		  "Content-Type: multipart/mixed; boundary=\"nowhere\"\n\n"
		  "--elsewhere\nContent-Type: text/plain\n\nthe words\n");
	assert_non_null(strstr(m->text, "the words"));
	mime_message_free(&m);
}

/* A Cc list past 1000 addresses: the first 1000 are read, the rest are
 * counted and said, never dropped without a word. */
static void
test_address_bomb(void **state)
{
	GString *raw = g_string_new("From: a@b.test\nSubject: many\nCc: ");
	struct mime_message *m;

	(void)state;
	for (int i = 0; i < 1001; i++)
		g_string_append_printf(raw, "%sp%d@x.test", i > 0 ? ", " : "",
				       i);
	g_string_append(raw, "\nTo: t@x.test\n\nbody\n");
	m = parse(raw->str);
	assert_int_equal(m->cc->len, 1000);
	assert_int_equal(m->to->len, 1);
	assert_int_equal(m->addresses_unread, 1);
	assert_true(m->warnings->len >= 1);
	assert_non_null(strstr(g_ptr_array_index(m->warnings,
						  m->warnings->len - 1),
			       "1 addresses in To/Cc"));
	mime_message_free(&m);
	g_string_free(raw, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_derived_message_id),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_html_only_and_hostile),
		cmocka_unit_test(test_invalid_utf8_and_deep),
		cmocka_unit_test(test_safe_filename),
		cmocka_unit_test(test_charset_hostile),
		cmocka_unit_test(test_header_charsets),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_forwarded_and_uuencoded),
		cmocka_unit_test(test_walk_leaves),
		cmocka_unit_test(test_headerless_and_broken_multipart),
		cmocka_unit_test(test_address_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
