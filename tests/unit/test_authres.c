/*
 * test_authres.c - the Authentication-Results parser on the shapes real
 * servers write, and on garbage.
 */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/authres.h"
#include "casemail/mime.h"

static struct authres *
parse_ok(const char *value)
{
	struct cm_error err = { 0 };
	struct authres *ar = NULL;

	if (authres_parse(value, &ar, &err) != 0)
		fail_msg("'%s': %s", value, err.msg);
	return ar;
}

static void
parse_bad(const char *value)
{
	struct cm_error err = { 0 };
	struct authres *ar = NULL;

	if (authres_parse(value, &ar, &err) != CM_EINPUT)
		fail_msg("'%s' was read", value);
	assert_null(ar);
	assert_non_null(strstr(err.msg, "Authentication-Results"));
}

static const struct authres_result *
result(const struct authres *ar, guint i)
{
	assert_true(i < ar->results->len);
	return ar->results->pdata[i];
}

static void
test_opendkim_opendmarc(void **state)
{
	/* OpenDKIM and OpenDMARC each add one header (folded as they fold). */
	struct authres *ar = parse_ok(
		"mail.desk.example; dkim=pass (2048-bit key; unprotected)\r\n"
		"\theader.d=example.com header.i=@example.com header.a=rsa-sha256"
		" header.s=sel1 header.b=\"AbC/d+e=\"");
	const struct authres_result *r;

	(void)state;
	assert_string_equal(ar->authserv_id, "mail.desk.example");
	assert_int_equal(ar->version, 0);
	assert_false(ar->none);
	assert_int_equal(ar->results->len, 1);
	r = result(ar, 0);
	assert_string_equal(r->method, "dkim");
	assert_string_equal(r->result, "pass");
	assert_null(r->reason);
	assert_int_equal(r->props->len, 5);
	assert_string_equal(authres_prop(r, "header", "d"), "example.com");
	assert_string_equal(authres_prop(r, "header", "i"), "@example.com");
	assert_string_equal(authres_prop(r, "header", "s"), "sel1");
	assert_string_equal(authres_prop(r, "header", "b"), "AbC/d+e=");
	assert_null(authres_prop(r, "header", "from"));
	authres_free(&ar);
	assert_null(ar);

	ar = parse_ok("mail.desk.example; dmarc=pass (p=reject dis=none) "
		      "header.from=example.com");
	r = result(ar, 0);
	assert_string_equal(r->method, "dmarc");
	assert_string_equal(r->result, "pass");
	assert_string_equal(authres_prop(r, "header", "from"), "example.com");
	authres_free(&ar);

	/* A version after the id, and "none". */
	ar = parse_ok("Mail.Desk.Example 1; none");
	assert_string_equal(ar->authserv_id, "mail.desk.example");
	assert_int_equal(ar->version, 1);
	assert_true(ar->none);
	assert_int_equal(ar->results->len, 0);
	authres_free(&ar);
	ar = parse_ok("mail.desk.example; dkim/1=fail reason=\"bad sig\" "
		      "header.d=example.com");
	r = result(ar, 0);
	assert_int_equal(r->method_version, 1);
	assert_string_equal(r->result, "fail");
	assert_string_equal(r->reason, "bad sig");
	authres_free(&ar);
}

static void
test_rspamd(void **state)
{
	struct authres *ar = parse_ok(
		"mx.desk.example;\n dkim=pass header.d=example.com header.s=dkim "
		"header.b=Xy12;\n spf=pass (mx.desk.example: domain of "
		"anna@example.com designates 192.0.2.1 as permitted sender) "
		"smtp.mailfrom=anna@example.com;\n dmarc=pass (policy=reject) "
		"header.from=example.com");

	(void)state;
	assert_int_equal(ar->results->len, 3);
	assert_string_equal(result(ar, 1)->method, "spf");
	assert_string_equal(authres_prop(result(ar, 1), "smtp", "mailfrom"),
			    "anna@example.com");
	assert_string_equal(result(ar, 2)->method, "dmarc");
	assert_string_equal(authres_prop(result(ar, 2), "header", "from"),
			    "example.com");
	authres_free(&ar);
}

static void
test_gmail(void **state)
{
	struct authres *ar = parse_ok(
		"mx.google.com;\r\n       dkim=pass header.i=@example.com "
		"header.s=20230601 header.b=Ab12Cd34;\r\n       spf=pass "
		"(google.com: domain of anna@example.com designates 2a00:1450::1 "
		"as permitted sender) smtp.mailfrom=anna@example.com;\r\n       "
		"dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com");
	const struct authres_result *r;

	(void)state;
	assert_string_equal(ar->authserv_id, "mx.google.com");
	assert_int_equal(ar->results->len, 3);
	r = result(ar, 0);
	assert_string_equal(r->method, "dkim");
	assert_string_equal(authres_prop(r, "header", "i"), "@example.com");
	assert_null(authres_prop(r, "header", "d"));
	r = result(ar, 2);
	assert_string_equal(r->result, "pass");
	assert_string_equal(authres_prop(r, "header", "from"), "example.com");
	authres_free(&ar);

	/* ARC's nested comment. */
	ar = parse_ok("mx.google.com; arc=pass (i=1 spf=pass spfdomain=x.test "
		      "dkim=pass dkdomain=x.test (nested (twice)) dmarc=pass "
		      "fromdomain=x.test)");
	assert_string_equal(result(ar, 0)->method, "arc");
	assert_int_equal(result(ar, 0)->props->len, 0);
	authres_free(&ar);
}

static void
test_microsoft(void **state)
{
	/* No authserv-id; "action=none" has no ptype; a trailing ";". */
	struct authres *ar = parse_ok(
		"spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=example.com; "
		"dkim=pass (signature was verified) header.d=example.com;"
		"dmarc=pass action=none header.from=example.com;"
		"compauth=pass reason=100;");
	const struct authres_result *r;

	(void)state;
	assert_null(ar->authserv_id);
	assert_int_equal(ar->results->len, 4);
	assert_string_equal(result(ar, 0)->method, "spf");
	assert_string_equal(authres_prop(result(ar, 0), "smtp", "mailfrom"),
			    "example.com");
	assert_string_equal(authres_prop(result(ar, 1), "header", "d"),
			    "example.com");
	r = result(ar, 2);
	assert_string_equal(r->method, "dmarc");
	assert_string_equal(authres_prop(r, "", "action"), "none");
	assert_string_equal(authres_prop(r, "header", "from"), "example.com");
	r = result(ar, 3);
	assert_string_equal(r->method, "compauth");
	assert_string_equal(r->reason, "100");
	authres_free(&ar);
}

static void
test_submission(void **state)
{
	struct authres *ar = parse_ok("mail.desk.example; auth=pass "
				      "smtp.auth=anna@desk.example");

	(void)state;
	assert_string_equal(result(ar, 0)->method, "auth");
	assert_string_equal(result(ar, 0)->result, "pass");
	assert_string_equal(authres_prop(result(ar, 0), "smtp", "auth"),
			    "anna@desk.example");
	authres_free(&ar);
	/* Quoted id, quoted value with an escaped quote. */
	/* An id that is no host name is no server's: quoted, or 8-bit
	 * that Unicode case folding would turn into a trusted one
	 * (U+212A KELVIN SIGN lower-cases to 'k'). */
	parse_bad("\"mx.desk.example\"; auth=pass smtp.auth=anna@desk.example");
	parse_bad("mx.des\xe2\x84\xaa.example; dmarc=pass header.from=x.test");
	ar = parse_ok("mx.desk; auth=pass smtp.auth=\"an\\\"na\"");
	assert_string_equal(ar->authserv_id, "mx.desk");
	assert_string_equal(authres_prop(result(ar, 0), "smtp", "auth"),
			    "an\"na");
	authres_free(&ar);
}

/* A result followed by a comment nested depth deep. */
static GString *
nested_comment(int depth)
{
	GString *s = g_string_new("mx.example; dkim=pass ");

	for (int i = 0; i < depth; i++)
		g_string_append_c(s, '(');
	for (int i = 0; i < depth; i++)
		g_string_append_c(s, ')');
	return s;
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", "   ", ";", "(only a comment)", "mx.example dkim=pass",
		"mx.example; =pass", "mx.example; dkim=", "mx.example; dkim pass",
		"mx.example; dkim=pass header.d", "mx.example; dkim=pass header.=x",
		"mx.example; dkim=pass header.d=", "mx.example; dkim=pass (open",
		"mx.example; dkim=pass \"open", "mx.example (x; dkim=pass",
		"mx.example 1234567; none", "mx.example; dkim/x=pass",
		"mx.example; dkim=pass)", "mx.example; none; dkim=pass",
		"mx.example; dkim=pass \x01", NULL,
	};
	GString *s;

	(void)state;
	for (int i = 0; bad[i] != NULL; i++)
		parse_bad(bad[i]);
	parse_bad(NULL);
	/* Comments nested just at the limit, and past it. */
	s = nested_comment(AUTHRES_MAX_COMMENT_DEPTH);
	authres_free((struct authres *[]){ parse_ok(s->str) });
	g_string_free(s, TRUE);
	s = nested_comment(AUTHRES_MAX_COMMENT_DEPTH + 1);
	parse_bad(s->str);
	/* The result and property limits: at them read, one over refused. */
	g_string_assign(s, "mx.example");
	for (int i = 0; i < AUTHRES_MAX_RESULTS; i++)
		g_string_append(s, "; spf=none");
	authres_free((struct authres *[]){ parse_ok(s->str) });
	g_string_append(s, "; spf=none");
	parse_bad(s->str);
	g_string_assign(s, "mx.example; dkim=pass");
	for (int i = 0; i < AUTHRES_MAX_PROPS; i++)
		g_string_append(s, " header.d=x");
	authres_free((struct authres *[]){ parse_ok(s->str) });
	g_string_append(s, " header.d=x");
	parse_bad(s->str);
	/* Length: at the limit read, one byte over refused. */
	g_string_assign(s, "mx.example; dkim=pass header.b=");
	while (s->len < AUTHRES_MAX_LEN)
		g_string_append_c(s, 'A');
	authres_free((struct authres *[]){ parse_ok(s->str) });
	g_string_append_c(s, 'A');
	parse_bad(s->str);
	g_string_free(s, TRUE);
}

/* Every byte value at every position of a real header: no crash, and
 * anything read has its fields set. */
static void
test_mutations(void **state)
{
	const char *base = "mx.google.com; dkim=pass (c) header.i=@x.test; "
			   "dmarc=pass header.from=x.test";
	size_t n = strlen(base);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (int b = 1; b < 256; b += 7) {
			char *v = g_strdup(base);
			struct authres *ar = NULL;

			v[i] = (char)b;
			if (authres_parse(v, &ar, NULL) == 0)
				for (guint k = 0; k < ar->results->len; k++) {
					assert_non_null(result(ar, k)->method);
					assert_non_null(result(ar, k)->result);
				}
			authres_free(&ar);
			g_free(v);
		}
}

/* The mime layer hands over every header, topmost first, single-line. */
static void
test_mime_headers(void **state)
{
	const char *raw =
		"Authentication-Results: mx.desk.example;\r\n"
		"\tdmarc=pass header.from=example.com\r\n"
		"Received: from x by y\r\n"
		"Authentication-Results: evil.test; dkim=pass\r\n"
		"From: Anna <anna@example.com>, bob@example.com\r\n"
		"Subject: hi\r\n\r\nbody\r\n";
	struct mime_message *mm = NULL;
	struct cm_error err = { 0 };

	(void)state;
	mime_init();
	assert_int_equal(mime_parse(raw, strlen(raw), &mm, &err), 0);
	assert_int_equal(mm->auth_results->len, 2);
	assert_string_equal(mm->auth_results->pdata[0],
			    "mx.desk.example; dmarc=pass header.from=example.com");
	assert_string_equal(mm->auth_results->pdata[1],
			    "evil.test; dkim=pass");
	assert_int_equal(mm->from_count, 2);
	mime_message_free(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opendkim_opendmarc),
		cmocka_unit_test(test_rspamd),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_microsoft),
		cmocka_unit_test(test_submission),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_mime_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
