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
	assert_string_equal(m->text, "Palette beschädigt");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
