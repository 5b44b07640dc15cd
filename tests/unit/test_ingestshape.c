/*
 * test_ingestshape.c - real-mail shapes that once failed ingest whole
 * (issue 16): a From GMime could not read, no From at all, lines before
 * the header.  Each must now be stored on a case, and a stand-in sender
 * must stay unverified however the mail is vouched for.
 */
#include <glib.h>
#include <string.h>

#include "ingestutil.h"

/* A trusted server vouches for shop.test (dmarc=pass): it would verify a
 * From of that domain. */
#define TRUST_CONF "[trust]\nauthserv_ids = mx.desk.example\n" \
	"dkim_verify = no\n"
#define VOUCH "Authentication-Results: mx.desk.example; dmarc=pass " \
	"header.from=shop.test\n"

static int
setup(void **state)
{
	return setup_conf(state, TRUST_CONF);
}

/* 3: a From whose display name holds specials, with raw 8-bit bytes. */
static void
test_from_with_specials(void **state)
{
	struct fixture *fx = *state;
	struct store_message *m;

	assert_int_equal(feed(fx, "From: [EXT] R\xf6sli: Sales <sales@shop.test>\n"
			      "To: cases@desk.example\nSubject: quote\n"
			      "Message-ID: <q1@shop.test>\n\nthe quote\n"),
			 INGEST_STORED);
	m = msg(fx, "<q1@shop.test>");
	assert_int_equal(m->state, STORE_MSG_STORED);
	assert_string_equal(m->from.address, "sales@shop.test");
	assert_non_null(strstr(m->from.name, "Sales"));
	assert_true(g_utf8_validate(m->from.name, -1, NULL));
	store_message_free(&m);
	assert_true(case_of(fx, "<q1@shop.test>") > 0);
}

/* 8: no From: the Reply-To is the sender, recorded, and not verified
 * though the server vouches for its domain. */
static void
test_no_from(void **state)
{
	struct fixture *fx = *state;
	struct store_message *m;

	assert_int_equal(feed(fx, VOUCH "Reply-To: Rita <rita@shop.test>\n"
			      "To: cases@desk.example\nSubject: where is it\n"
			      "Message-ID: <nf1@shop.test>\n\nmy order\n"),
			 INGEST_STORED);
	m = msg(fx, "<nf1@shop.test>");
	assert_string_equal(m->from.address, "rita@shop.test");
	assert_non_null(strstr(m->decision, "taken from Reply-To"));
	assert_non_null(strstr(m->decision, "not verified"));
	assert_null(strstr(m->decision, "sender verified"));
	store_message_free(&m);
	/* the same vouch verifies a real From of that domain */
	assert_int_equal(feed(fx, VOUCH "From: Rita <rita@shop.test>\n"
			      "To: cases@desk.example\nSubject: again\n"
			      "Message-ID: <nf2@shop.test>\n\nmy order\n"),
			 INGEST_STORED);
	m = msg(fx, "<nf2@shop.test>");
	assert_non_null(strstr(m->decision, "sender verified"));
	store_message_free(&m);
	/* nothing to stand in: still refused */
	assert_int_equal(feed(fx, "To: cases@desk.example\nSubject: nobody\n"
			      "Message-ID: <nf3@x.test>\n\nwho\n"),
			 INGEST_FAILED);
}

/* 9: a banner pasted before the header. */
static void
test_banner_before_header(void **state)
{
	struct fixture *fx = *state;
	struct store_message *m;

	assert_int_equal(feed(fx, "=== scanned by the relay ===\n"
			      "Received: from shop.test by mx; Mon, 30 Nov 2026 "
			      "10:00:00 +0000\n"
			      "From: Sam <sam@shop.test>\nTo: cases@desk.example\n"
			      "Subject: banner\nMessage-ID: <b1@shop.test>\n\n"
			      "after the banner\n"), INGEST_STORED);
	m = msg(fx, "<b1@shop.test>");
	assert_string_equal(m->from.address, "sam@shop.test");
	assert_string_equal(m->subject, "banner");
	assert_non_null(strstr(m->decision, "before the header skipped"));
	store_message_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_from_with_specials, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_banner_before_header,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
