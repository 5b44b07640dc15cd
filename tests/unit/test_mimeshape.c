/*
 * test_mimeshape.c - real-mail shapes that mime_parse() once read wrong
 * (issue 16): a blank plain alternative, mailboxes GMime drops, HTML
 * beside the body, a missing From, junk before the header, an old-style
 * "Name (user@host)" recipient and a multipart whose boundary was lost.
 * Every mail here is written for the test.
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

static const struct mime_address *
addr_at(GPtrArray *list, guint i)
{
	assert_true(i < list->len);
	return list->pdata[i];
}

/* Does some warning hold needle? */
static int
has_warning(const struct mime_message *m, const char *needle)
{
	for (guint i = 0; i < m->warnings->len; i++)
		if (strstr(m->warnings->pdata[i], needle) != NULL)
			return 1;
	return 0;
}

/* 2: a plain alternative of white space only must not win over the HTML. */
static void
test_blank_plain_alternative(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nSubject: blank\nMIME-Version: 1.0\n"
		"Content-Type: multipart/alternative; boundary=\"A\"\n\n"
		"--A\nContent-Type: text/plain; charset=utf-8\n\n \n\t\n\n"
		"--A\nContent-Type: text/html; charset=utf-8\n\n"
		"<html><body><p>The crate is <b>wet</b>.</p></body></html>\n"
		"--A--\n");

	(void)state;
	assert_non_null(strstr(m->text, "The crate is wet."));
	assert_true(m->text_from_html);
	mime_message_free(&m);
	/* the same blank plain part beside HTML in a mixed multipart */
	m = parse("From: a@b.test\nSubject: blank\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=\"M\"\n\n"
		  "--M\nContent-Type: text/plain\n\n\n"
		  "--M\nContent-Type: text/html\n\n<p>Only here</p>\n"
		  "--M--\n");
	assert_string_equal(m->text, "Only here");
	mime_message_free(&m);
}

/* 3: specials in a display name, raw 8-bit bytes in an address. */
static void
test_mailbox_specials_and_8bit(void **state)
{
	struct mime_message *m = parse(
		"From: [EXT] Bob Baker <bob@baker.test>\n"
		"To: Ops: Night Shift <night@desk.test>, day@desk.test\n"
		"Cc: Dora <d\xf6rte@mail.test>, carl@x.test\n"
		"Subject: specials\n\nbody\n");

	(void)state;
	assert_string_equal(m->from.address, "bob@baker.test");
	assert_non_null(m->from.name);
	assert_non_null(strstr(m->from.name, "Bob Baker"));
	assert_int_equal(m->from_count, 1);
	assert_int_equal(m->to->len, 2);
	assert_string_equal(addr_at(m->to, 0)->address, "night@desk.test");
	assert_string_equal(addr_at(m->to, 1)->address, "day@desk.test");
	assert_int_equal(m->cc->len, 2);
	assert_string_equal(addr_at(m->cc, 0)->address, "d\xc3\xb6rte@mail.test");
	assert_string_equal(addr_at(m->cc, 0)->name, "Dora");
	assert_string_equal(addr_at(m->cc, 1)->address, "carl@x.test");
	mime_message_free(&m);
	/* a comma in an unquoted name does not split the mailbox */
	m = parse("From: Doe, Jane [HQ] <jane@hq.test>\nSubject: x\n\nb\n");
	assert_string_equal(m->from.address, "jane@hq.test");
	assert_string_equal(m->from.name, "Doe, Jane [HQ]");
	mime_message_free(&m);
	/* a well-formed group stays as GMime reads it */
	m = parse("From: a@b.test\nTo: team: x@t.test, y@t.test;\n"
		  "Subject: g\n\nb\n");
	assert_int_equal(m->to->len, 2);
	mime_message_free(&m);
}

/* The lenient reading keeps the bound on a field's addresses. */
static void
test_lenient_address_bomb(void **state)
{
	GString *raw = g_string_new("From: a@b.test\nSubject: many\nCc: ");
	struct mime_message *m;

	(void)state;
	for (int i = 0; i < 1001; i++)
		g_string_append_printf(raw, "%s[EXT] P%d <p%d@x.test>",
				       i > 0 ? ", " : "", i, i);
	g_string_append(raw, "\n\nbody\n");
	m = parse(raw->str);
	assert_int_equal(m->cc->len, 1000);
	assert_int_equal(m->addresses_unread, 1);
	assert_string_equal(addr_at(m->cc, 999)->address, "p999@x.test");
	assert_string_equal(addr_at(m->cc, 999)->name, "[EXT] P999");
	mime_message_free(&m);
	g_string_free(raw, TRUE);
}

/* 4: HTML that is not the chosen body is kept as a part, not lost. */
static void
test_html_beside_body(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nSubject: two\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"M\"\n\n"
		"--M\nContent-Type: text/plain\n\nSee the table below.\n"
		"--M\nContent-Type: text/html\n\n<table><tr><td>42 pallets"
		"</td></tr></table>\n"
		"--M--\n");
	const struct mime_part *p;

	(void)state;
	assert_string_equal(m->text, "See the table below.");
	assert_int_equal(m->parts->len, 1);
	p = m->parts->pdata[0];
	assert_string_equal(p->content_type, "text/html");
	assert_non_null(g_strstr_len(g_bytes_get_data(p->data, NULL),
				     (gssize)g_bytes_get_size(p->data),
				     "42 pallets"));
	mime_message_free(&m);
	/* a second HTML body part (no plain at all): the first is the text,
	 * the second a part */
	m = parse("From: a@b.test\nSubject: two\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=\"M\"\n\n"
		  "--M\nContent-Type: text/html\n\n<p>first page</p>\n"
		  "--M\nContent-Type: image/png\nContent-Transfer-Encoding: "
		  "base64\n\niVBORw0KGgo=\n"
		  "--M\nContent-Type: text/html\n\n<p>second page</p>\n"
		  "--M--\n");
	assert_non_null(strstr(m->text, "first page"));
	assert_int_equal(m->parts->len, 2);
	p = m->parts->pdata[1];
	assert_string_equal(p->content_type, "text/html");
	assert_non_null(g_strstr_len(g_bytes_get_data(p->data, NULL),
				     (gssize)g_bytes_get_size(p->data),
				     "second page"));
	mime_message_free(&m);
	/* an HTML alternative of the plain body is the same text: no part */
	m = parse("From: a@b.test\nSubject: alt\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/alternative; boundary=\"A\"\n\n"
		  "--A\nContent-Type: text/plain\n\nsame\n"
		  "--A\nContent-Type: text/html\n\n<p>same</p>\n--A--\n");
	assert_string_equal(m->text, "same");
	assert_int_equal(m->parts->len, 0);
	mime_message_free(&m);
}

/* 8: no From: Reply-To, then Sender, then Return-Path, said in warnings;
 * from_count stays the From's (0), so nothing can verify the stand-in. */
static void
test_sender_fallback(void **state)
{
	struct mime_message *m = parse(
		"Sender: relay@lists.test\nReply-To: Rita <rita@shop.test>\n"
		"Return-Path: <bounce@lists.test>\nSubject: nofrom\n\nbody\n");

	(void)state;
	assert_string_equal(m->from.address, "rita@shop.test");
	assert_string_equal(m->from.name, "Rita");
	assert_int_equal(m->from_count, 0);
	assert_true(has_warning(m, "Reply-To"));
	mime_message_free(&m);
	m = parse("Sender: relay@lists.test\nReturn-Path: <b@lists.test>\n"
		  "Subject: nofrom\n\nbody\n");
	assert_string_equal(m->from.address, "relay@lists.test");
	assert_true(has_warning(m, "Sender"));
	mime_message_free(&m);
	m = parse("Return-Path: <b@lists.test>\nSubject: nofrom\n\nbody\n");
	assert_string_equal(m->from.address, "b@lists.test");
	assert_true(has_warning(m, "Return-Path"));
	mime_message_free(&m);
	/* a null Return-Path is nobody */
	m = parse("Return-Path: <>\nSubject: nofrom\n\nbody\n");
	assert_null(m->from.address);
	mime_message_free(&m);
	/* a From wins, no word */
	m = parse("From: f@x.test\nReply-To: r@x.test\nSubject: s\n\nb\n");
	assert_string_equal(m->from.address, "f@x.test");
	assert_int_equal(m->warnings->len, 0);
	mime_message_free(&m);
}

/* 9: lines before the header (an mbox "From " line, a pasted banner). */
static void
test_junk_before_header(void **state)
{
	struct mime_message *m = parse(
		"From bob@baker.test Mon Nov 30 10:00:00 2026\n"
		"From: Bob <bob@baker.test>\nTo: desk@x.test\n"
		"Subject: after the envelope\n"
		"Date: Mon, 30 Nov 2026 10:00:00 +0000\n\nthe body\n");

	(void)state;
	assert_string_equal(m->from.address, "bob@baker.test");
	assert_string_equal(m->subject, "after the envelope");
	assert_string_equal(m->text, "the body");
	assert_true(has_warning(m, "before the header"));
	mime_message_free(&m);
	m = parse("*** forwarded by the scanner ***\n"
		  "-----------------------------\n"
		  "Received: from x by y; Mon, 30 Nov 2026 10:00:00 +0000\n"
		  "From: c@d.test\nSubject: banner\n\nbody two\n");
	assert_string_equal(m->from.address, "c@d.test");
	assert_string_equal(m->text, "body two");
	mime_message_free(&m);
	/* a body-only blob gets no header invented from a line that looks
	 * like one */
	m = parse("Dear team,\nNote: the truck is late.\nRegards\n");
	assert_null(m->from.address);
	assert_string_equal(m->subject, "");
	assert_non_null(strstr(m->text, "Dear team,"));
	assert_non_null(strstr(m->text, "Note: the truck is late."));
	assert_false(has_warning(m, "before the header"));
	mime_message_free(&m);
}

/* 10: "Name (user@host)": the address is in the comment. */
static void
test_address_in_comment(void **state)
{
	struct mime_message *m = parse(
		"From: a@b.test\nTo: Carl Carrier (carl@trucks.test)\n"
		"Cc: =?ISO-8859-1?Q?J=F6rg?= (joerg@x.test), plain@x.test\n"
		"Subject: old\n\nb\n");

	(void)state;
	assert_int_equal(m->to->len, 1);
	assert_string_equal(addr_at(m->to, 0)->address, "carl@trucks.test");
	assert_string_equal(addr_at(m->to, 0)->name, "Carl Carrier");
	assert_int_equal(m->cc->len, 2);
	assert_string_equal(addr_at(m->cc, 0)->address, "joerg@x.test");
	assert_string_equal(addr_at(m->cc, 0)->name, "J\xc3\xb6rg");
	assert_string_equal(addr_at(m->cc, 1)->address, "plain@x.test");
	mime_message_free(&m);
	/* the RFC 822 form "user@host (Name)" keeps reading as before */
	m = parse("From: carl@trucks.test (Carl Carrier)\nSubject: s\n\nb\n");
	assert_string_equal(m->from.address, "carl@trucks.test");
	assert_string_equal(m->from.name, "Carl Carrier");
	mime_message_free(&m);
}

/* 11: the boundary parameter fell off (folded without indentation). */
static const char lost_boundary[] =
	"From: a@b.test\nSubject: lost\nMIME-Version: 1.0\n"
	"Content-Type: multipart/alternative;\n"
	"boundary=\"----=_Part_7\"\n\n"
	"------=_Part_7\nContent-Type: text/plain; charset=utf-8\n\n"
	"Plain words only.\n"
	"------=_Part_7\nContent-Type: text/html; charset=utf-8\n\n"
	"<p>Html words only.</p>\n"
	"------=_Part_7--\n";

static int
collect_leaf(const struct mime_leaf *leaf, void *ctx)
{
	g_string_append_printf(ctx, "%s:%s;", leaf->path, leaf->content_type);
	return 0;
}

static void
test_lost_boundary(void **state)
{
	struct mime_message *m = parse(lost_boundary);
	GString *seen = g_string_new(NULL);
	struct cm_error err = { 0 };

	(void)state;
	assert_string_equal(m->text, "Plain words only.");
	mime_message_free(&m);
	/* the leaf walk sees the parts too */
	assert_int_equal(mime_walk_leaves(lost_boundary, strlen(lost_boundary),
					  collect_leaf, seen, &err), 0);
	assert_string_equal(seen->str, "1.1:text/plain;1.2:text/html;");
	g_string_free(seen, TRUE);
	/* a mixed one keeps its attachment as a part */
	m = parse("From: a@b.test\nSubject: lost\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed;\nboundary=XY\n\n"
		  "--XY\nContent-Type: text/plain\n\nsee file\n"
		  "--XY\nContent-Type: application/pdf; name=a.pdf\n"
		  "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--XY--\n");
	assert_string_equal(m->text, "see file");
	assert_int_equal(m->parts->len, 1);
	mime_message_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank_plain_alternative),
		cmocka_unit_test(test_mailbox_specials_and_8bit),
		cmocka_unit_test(test_lenient_address_bomb),
		cmocka_unit_test(test_html_beside_body),
		cmocka_unit_test(test_sender_fallback),
		cmocka_unit_test(test_junk_before_header),
		cmocka_unit_test(test_address_in_comment),
		cmocka_unit_test(test_lost_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
