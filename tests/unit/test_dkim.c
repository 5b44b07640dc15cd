/*
 * test_dkim.c - in-process DKIM verification against keys made at run
 * time (openssl) and read through the key-file query method, no DNS.
 */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/dkim.h"

static const char *const msg =
	"From: Anna <anna@example.com>\r\n"
	"To: cases@desk.example\r\n"
	"Subject: Re: [CV000001] parcel\r\n"
	"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	"Message-ID: <m1@example.com>\r\n"
	"\r\n"
	"/resolve\r\nThe parcel arrived.\r\n";

struct keys {
	char *dir, *file, *pem_example, *pem_evil;
};

static int
setup(void **state)
{
	struct keys *k = g_new0(struct keys, 1);

	k->dir = testutil_tmpdir();
	k->file = g_build_filename(k->dir, "dkim-keys", NULL);
	k->pem_example = testutil_dkim_key(k->dir, "sel1", "example.com");
	k->pem_evil = testutil_dkim_key(k->dir, "s", "evil.test");
	*state = k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	g_free(k->file);
	g_free(k->pem_example);
	g_free(k->pem_evil);
	testutil_rmdir(k->dir);
	g_free(k);
	return 0;
}

static void
check(const struct keys *k, const char *raw, struct dkim_report *rep)
{
	struct cm_error err = { 0 };

	assert_int_equal(dkim_check_message(raw, strlen(raw), k->file, 5, rep,
					    &err), 0);
}

static void
test_valid(void **state)
{
	struct keys *k = *state;
	char *signed_msg = testutil_dkim_sign(msg, k->pem_example, "sel1",
					      "example.com");
	struct dkim_report rep;

	check(k, signed_msg, &rep);
	assert_int_equal(rep.nsigs, 1);
	assert_int_equal(rep.nchecked, 1);
	assert_true(rep.sigs[0].pass);
	assert_string_equal(rep.sigs[0].domain, "example.com");
	assert_string_equal(rep.sigs[0].why, "");
	assert_string_equal(rep.summary, "1 of 1 signature passed");
	g_free(signed_msg);
}

static void
test_changed_body(void **state)
{
	struct keys *k = *state;
	char *signed_msg = testutil_dkim_sign(msg, k->pem_example, "sel1",
					      "example.com");
	char *p = strstr(signed_msg, "/resolve");
	struct dkim_report rep;

	memcpy(p, "/reopen!", 8);
	check(k, signed_msg, &rep);
	assert_int_equal(rep.nsigs, 1);
	assert_false(rep.sigs[0].pass);
	assert_string_equal(rep.sigs[0].domain, "example.com");
	assert_string_not_equal(rep.sigs[0].why, "");
	g_free(signed_msg);

	/* A changed signed header fails too. */
	signed_msg = testutil_dkim_sign(msg, k->pem_example, "sel1",
					"example.com");
	p = strstr(signed_msg, "From: Anna <anna@");
	memcpy(p, "From: Evil <evil@", 17);
	check(k, signed_msg, &rep);
	assert_false(rep.sigs[0].pass);
	g_free(signed_msg);
}

/* l=: a signature over part of the body proves nothing (anything may
 * follow it); so does one made with a key marked for testing. */
static void
test_partial_body(void **state)
{
	struct keys *k = *state;
	char *signed_msg = testutil_dkim_sign_len(msg, k->pem_example, "sel1",
						  "example.com", 0);
	struct dkim_report rep;

	check(k, signed_msg, &rep);
	assert_int_equal(rep.nchecked, 1);
	assert_false(rep.sigs[0].pass);
	assert_non_null(strstr(rep.sigs[0].why, "part of the body"));
	g_free(signed_msg);
}

static void
test_other_domain(void **state)
{
	struct keys *k = *state;
	/* evil.test's own key signs a mail From example.com: the signature
	 * is good, but for evil.test (trust.c decides it does not align). */
	char *signed_msg = testutil_dkim_sign(msg, k->pem_evil, "s",
					      "evil.test");
	struct dkim_report rep;

	check(k, signed_msg, &rep);
	assert_int_equal(rep.nsigs, 1);
	assert_true(rep.sigs[0].pass);
	assert_string_equal(rep.sigs[0].domain, "evil.test");
	g_free(signed_msg);

	/* A signature claiming example.com made with evil.test's key. */
	signed_msg = testutil_dkim_sign(msg, k->pem_evil, "sel1",
					"example.com");
	check(k, signed_msg, &rep);
	assert_false(rep.sigs[0].pass);
	assert_string_equal(rep.sigs[0].domain, "example.com");
	g_free(signed_msg);

	/* A selector that is not in the key file. */
	signed_msg = testutil_dkim_sign(msg, k->pem_example, "nokey",
					"example.com");
	check(k, signed_msg, &rep);
	assert_false(rep.sigs[0].pass);
	g_free(signed_msg);
}

static void
test_no_signature(void **state)
{
	struct keys *k = *state;
	struct dkim_report rep;
	const char *junk = "not a message at all";

	check(k, msg, &rep);
	assert_int_equal(rep.nsigs, 0);
	assert_int_equal(rep.nchecked, 0);
	assert_string_equal(rep.summary, "no signature");
	check(k, junk, &rep);
	assert_int_equal(rep.nsigs, 0);
	/* A signature header that is garbage. */
	check(k, "DKIM-Signature: v=1; d=(((; b=\r\nFrom: a@b.c\r\n\r\nx\r\n",
	      &rep);
	assert_true(rep.nchecked == 0 || !rep.sigs[0].pass);
}

/* More signatures than DKIM_MAX_SIGS: all counted, only the first (top)
 * ones looked at, so the good one at the bottom is never reached. */
static void
test_many_signatures(void **state)
{
	struct keys *k = *state;
	char *m = testutil_dkim_sign(msg, k->pem_example, "sel1",
				     "example.com");
	struct dkim_report rep;
	int pass = 0;

	for (int i = 0; i < DKIM_MAX_SIGS + 2; i++) {
		char *next = testutil_dkim_sign(m, k->pem_evil, "nokey",
						"evil.test");

		g_free(m);
		m = next;
	}
	check(k, m, &rep);
	assert_int_equal(rep.nsigs, DKIM_MAX_SIGS + 3);
	assert_int_equal(rep.nchecked, DKIM_MAX_SIGS);
	for (int i = 0; i < rep.nchecked; i++)
		pass += rep.sigs[i].pass;
	assert_int_equal(pass, 0);
	assert_non_null(strstr(rep.summary, "not checked"));
	g_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_changed_body),
		cmocka_unit_test(test_partial_body),
		cmocka_unit_test(test_other_domain),
		cmocka_unit_test(test_no_signature),
		cmocka_unit_test(test_many_signatures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
