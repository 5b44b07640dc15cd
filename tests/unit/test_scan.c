/* test_scan.c - the bounds checked before GMime sees a message
 * (mime_scan()), the cut of overlong header fields, and what ingest does
 * with a message over a limit. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/mime.h"
#include "casemail/thread.h"

#include "ingestutil.h"

#define HDR "From: a@b.test\nSubject: s\nMessage-ID: <%s@b.test>\n"

static const struct mime_limits limits = { 100000, 10, 4, 2048 };

/* A multipart of n empty parts, boundary b. */
static char *
many_parts(int n, const char *b)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, HDR "Content-Type: multipart/mixed; "
			       "boundary=\"%s\"\n\n", b, b);
	for (int i = 0; i < n; i++)
		g_string_append_printf(s, "--%s\n\n", b);
	g_string_append_printf(s, "--%s--\n", b);
	return g_string_free(s, FALSE);
}

/* n multiparts inside each other, each with one text part at the bottom. */
static char *
nested(int n)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, HDR, n % 2 ? "deep" : "deep-even");
	for (int i = 0; i < n; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
				       "boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\nbottom\n");
	for (int i = n - 1; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	return g_string_free(s, FALSE);
}

/* A header block of exactly total bytes (blank line included). */
static char *
header_of(size_t total)
{
	GString *s = g_string_new("From: a@b.test\nX-Pad: ");
	size_t fixed = s->len + 2;  /* "\n" ending X-Pad, the blank line */

	for (size_t i = fixed; i < total; i++)
		g_string_append_c(s, 'x');
	g_string_append(s, "\n\nbody\n");
	return g_string_free(s, FALSE);
}

static int
scan(const char *raw, struct mime_scan_result *r, struct cm_error *err)
{
	return mime_scan(raw, strlen(raw), strlen(raw), &limits, r, err);
}

static void
expect_over(const char *raw, const char *reason)
{
	struct mime_scan_result r;
	struct cm_error err = { 0 };

	assert_int_equal(scan(raw, &r, &err), CM_EINPUT);
	if (strstr(err.msg, reason) == NULL)
		fail_msg("reason '%s' lacks '%s'", err.msg, reason);
}

static void
expect_within(const char *raw)
{
	struct mime_scan_result r;
	struct cm_error err = { 0 };

	if (scan(raw, &r, &err) != 0)
		fail_msg("refused: %s", err.msg);
}

static void
test_parts(void **state)
{
	char *at = many_parts(10, "=_b"), *over = many_parts(11, "=_b");
	struct mime_scan_result r;

	(void)state;
	expect_within(at);
	assert_int_equal(scan(at, &r, NULL), 0);
	assert_int_equal(r.parts, 10);
	assert_int_equal(r.depth, 1);
	expect_over(over, "max_parts: 11 parts (limit 10)");
	g_free(at);
	g_free(over);
	/* A boundary that cannot be read counts every "--" line. */
	expect_over(HDR "Content-Type: multipart/mixed\n\n"
		    "--a\n\n--b\n\n--c\n\n--d\n\n--e\n\n--f\n\n--g\n\n--h\n\n"
		    "--i\n\n--j\n\n--k\n\n", "max_parts: 11");
	/* RFC 2231 form, unquoted, folded, CRLF: all read. */
	expect_within(HDR "Content-Type: multipart/mixed;\r\n boundary*=x\r\n"
		      "\r\n--x\r\n\r\n--x--\r\n");
	/* Lines that only look like boundaries are not parts. */
	expect_within(HDR "Content-Type: multipart/mixed; boundary=abc\n\n"
		      "--ab\n--abd\n--abd\n--abd\n--abd\n--abd\n--abd\n"
		      "--abd\n--abd\n--abd\n--abd\n--abd\n--abd\n--abc--\n");
}

static void
test_depth(void **state)
{
	char *at = nested(4), *over = nested(5);
	struct mime_scan_result r;
	struct mime_message *m = NULL;

	(void)state;
	assert_int_equal(scan(at, &r, NULL), 0);
	assert_int_equal(r.depth, 4);
	expect_over(over, "max_depth: at least 5 nested levels (limit 4)");
	/* What the scan passes, GMime reads as the scan saw it. */
	assert_int_equal(mime_parse(at, strlen(at), &m, NULL), 0);
	assert_string_equal(m->text, "bottom");
	mime_message_free(&m);
	g_free(at);
	g_free(over);
	/* A forwarded message inside counts as a level; so does a bare part
	 * of a digest (a message by default). */
	expect_over(HDR "Content-Type: message/rfc822\n\n"
		    "Content-Type: message/rfc822\n\n"
		    "Content-Type: message/rfc822\n\n"
		    "Content-Type: multipart/mixed; boundary=z\n\n--z\n"
		    "Content-Type: multipart/mixed; boundary=y\n\n--y--\n",
		    "max_depth");
	expect_over(HDR "Content-Type: multipart/digest; boundary=d\n\n--d\n"
		    "\nContent-Type: multipart/mixed; boundary=c\n\n--c\n"
		    "Content-Type: multipart/mixed; boundary=e\n\n--e\n"
		    "Content-Type: multipart/mixed; boundary=f\n\n--f\n\n",
		    "max_depth");
	/* A closed multipart is left: siblings do not add up to depth. */
	expect_within(HDR "Content-Type: multipart/mixed; boundary=o\n\n"
		      "--o\nContent-Type: multipart/mixed; boundary=i1\n\n"
		      "--i1\n\n--i1--\n"
		      "--o\nContent-Type: multipart/mixed; boundary=i2\n\n"
		      "--i2\n\n--i2--\n--o--\n");
}

static void
test_header_and_size(void **state)
{
	char *at = header_of(2048), *over = header_of(2049);
	struct mime_scan_result r;

	(void)state;
	assert_int_equal(scan(at, &r, NULL), 0);
	assert_int_equal(r.header_bytes, 2048);
	assert_int_equal(r.top_header_len, 2048);
	expect_over(over, "max_header_bytes: a header of 2049 bytes "
		    "(limit 2048)");
	g_free(at);
	g_free(over);
	/* A part's header counts as well. */
	over = g_strdup_printf(HDR "Content-Type: multipart/mixed; boundary=p"
			       "\n\n--p\nX-Pad: %03000d\n\n--p--\n", "p", 0);
	expect_over(over, "max_header_bytes: a header of 3009 bytes");
	g_free(over);
	/* The message's size: its real one, even when only its start is
	 * at hand. */
	assert_int_equal(mime_scan("From: a\n\nx\n", 11, 100000, &limits, &r,
				   NULL), 0);
	assert_int_equal(mime_scan("From: a\n\nx\n", 11, 100001, &limits, &r,
				   NULL), CM_EINPUT);
}

static void
test_field_cut(void **state)
{
	GString *raw = g_string_new("From: a@b.test\nSubject: ");
	struct mime_message *m = NULL;

	(void)state;
	for (int i = 0; i < 300000; i++)
		g_string_append(raw, "Re: ");
	g_string_append(raw, "Pallet\nMessage-ID: <cut@b.test>\n\nbody\n");
	assert_int_equal(mime_parse(raw->str, raw->len, &m, NULL), 0);
	/* cut, noted, and the rest of the message read as before */
	assert_true(strlen(m->subject) <= MIME_MAX_FIELD_BYTES);
	assert_true(strlen(m->subject) > MIME_MAX_FIELD_BYTES - 100);
	assert_int_equal(m->warnings->len, 1);
	assert_non_null(strstr(m->warnings->pdata[0], "header field Subject "
			       "of 1200016 bytes cut"));
	assert_string_equal(m->message_id, "<cut@b.test>");
	assert_string_equal(m->text, "body");
	mime_message_free(&m);
	g_string_free(raw, TRUE);
}

/* The subject handling is linear: a megabyte of prefixes or 100,000
 * case numbers give the right answer (bench/hostile times them). */
static void
test_long_subjects(void **state)
{
	struct config *cfg = NULL;
	char *dir = testutil_tmpdir();
	char *path = testutil_write(dir, "c.conf", "[case]\naddress = "
				    "cases@desk.example\n");
	GString *s = g_string_new(NULL);
	char *clean;
	GArray *ids;

	(void)state;
	assert_int_equal(config_load(path, &cfg, NULL), 0);
	for (int i = 0; i < 262144; i++)
		g_string_append(s, i % 2 ? "Re: " : "AW:[CV7]");
	g_string_append(s, "Pallet");
	clean = thread_clean_subject(cfg, s->str);
	assert_string_equal(clean, "Pallet");
	g_free(clean);
	g_string_truncate(s, 0);
	for (int i = 1; i <= 100000; i++)
		g_string_append_printf(s, "CV%d [CV%d] ", i, 200000 - i);
	ids = thread_subject_cases(cfg, s->str);
	assert_int_equal(ids->len, 100);   /* the first 100, bracketed first */
	assert_int_equal(g_array_index(ids, int64_t, 0), 199999);
	assert_int_equal(g_array_index(ids, int64_t, 99), 199900);
	g_array_unref(ids);
	g_string_free(s, TRUE);
	g_free(path);
	config_free(&cfg);
	testutil_rmdir(dir);
}

/* ---- through ingest ----------------------------------------------------- */

static int
setup(void **state)
{
	return setup_conf(state, "[store]\nmax_parts = 10\nmax_depth = 4\n"
			  "max_header_bytes = 2048\n"
			  "max_message_bytes = 100000\n");
}

static void
expect_failed(struct fixture *fx, const char *raw, const char *mid,
	      const char *reason, int raw_kept)
{
	struct store_message *m;

	assert_int_equal(feed(fx, raw), INGEST_FAILED);
	m = msg(fx, mid);
	assert_non_null(m);
	assert_int_equal(m->state, STORE_MSG_FAILED);
	if (strstr(m->reason, reason) == NULL)
		fail_msg("reason '%s' lacks '%s'", m->reason, reason);
	assert_int_equal(m->raw_sha256 != NULL, raw_kept);
	assert_non_null(strstr(m->reason, "(limit "));
	assert_string_equal(m->from.address, "a@b.test");
	store_message_free(&m);
}

static void
test_ingest_limits(void **state)
{
	struct fixture *fx = *state;
	char *raw = many_parts(11, "x");
	GString *big = g_string_new(NULL);

	expect_failed(fx, raw, "<x@b.test>", "max_parts: 11 parts", 1);
	g_free(raw);
	raw = nested(5);
	expect_failed(fx, raw, "<deep@b.test>", "max_depth", 1);
	g_free(raw);
	g_string_printf(big, HDR "\n", "big");
	while (big->len <= 100000)
		g_string_append(big, "0123456789012345678901234567890123456789\n");
	expect_failed(fx, big->str, "<big@b.test>", "max_message_bytes: "
		      "1000", 0);
	g_string_free(big, TRUE);
	/* just under every limit: filed */
	raw = many_parts(10, "y");
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	g_free(raw);
	raw = nested(4);
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	g_free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_header_and_size),
		cmocka_unit_test(test_field_cut),
		cmocka_unit_test(test_long_subjects),
		cmocka_unit_test_setup_teardown(test_ingest_limits, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
