/*
 * test_webhtml.c - casemail-web's small rules: escaping (web_esc(),
 * web_put()), form bodies, listen addresses and token comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "web_private.h"

static char *
esc(const char *text)
{
	GString *out = g_string_new(NULL);

	web_esc(out, text);
	return g_string_free(out, FALSE);
}

static void
test_escape(void **state)
{
	char *s;
	GString *o = g_string_new(NULL);

	(void)state;
	s = esc("<script>alert('x')</script> & \"q\"");
	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
			    "&gt; &amp; &quot;q&quot;");
	g_free(s);
	/* Control characters go (but newline and tab); DEL too. */
	s = esc("a\x01\x1b[31mb\nc\td\x7f");
	assert_string_equal(s, "a[31mb\nc\td");
	g_free(s);
	/* Invalid UTF-8 becomes U+FFFD, never a byte a browser may guess. */
	s = esc("caf\xe9 <");
	assert_string_equal(s, "caf\xef\xbf\xbd &lt;");
	g_free(s);
	s = esc(NULL);
	assert_string_equal(s, "");
	g_free(s);
	/* web_put: %s escapes, %R does not, numbers as numbers. */
	web_put(o, "<a href=\"/case/%s\">%s</a>%R %d %D %%", "CV1\"",
		"<b>", "<br>", 42, (int64_t)1 << 40);
	assert_string_equal(o->str, "<a href=\"/case/CV1&quot;\">&lt;b&gt;"
			    "</a><br> 42 1099511627776 %");
	g_string_free(o, TRUE);
}

static void
test_form(void **state)
{
	const char body[] = "a=1&b=x+y%20z&empty=&flag&csrf=%3Cz%3E&a=2";
	GHashTable *f = web_parse_form(body, strlen(body));

	(void)state;
	assert_non_null(f);
	assert_string_equal(g_hash_table_lookup(f, "a"), "2");
	assert_string_equal(g_hash_table_lookup(f, "b"), "x y z");
	assert_string_equal(g_hash_table_lookup(f, "empty"), "");
	assert_string_equal(g_hash_table_lookup(f, "flag"), "");
	assert_string_equal(g_hash_table_lookup(f, "csrf"), "<z>");
	g_hash_table_unref(f);
	/* A NUL, raw or escaped, and a broken escape are refused. */
	assert_null(web_parse_form("a=b\0c", 5));
	assert_null(web_parse_form("a=%00", 5));
	assert_null(web_parse_form("a=%zz", 5));
	f = web_parse_form("", 0);
	assert_non_null(f);
	assert_int_equal(g_hash_table_size(f), 0);
	g_hash_table_unref(f);
}

static void
test_listen(void **state)
{
	struct sockaddr_storage ss;
	struct cm_error err = { 0 };
	unsigned len;

	(void)state;
	assert_int_equal(web_listen_parse("127.0.0.1:8080", 0, &ss, &len,
					  &err), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(web_listen_parse("[::1]:8080", 0, &ss, &len, &err),
			 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(web_listen_parse("127.8.9.10:1", 0, &ss, &len, &err),
			 0);
	/* Not loopback: only with allow_remote. */
	assert_int_equal(web_listen_parse("0.0.0.0:8080", 0, &ss, &len, &err),
			 CM_ECONFIG);
	assert_non_null(strstr(err.msg, "allow_remote"));
	assert_int_equal(web_listen_parse("0.0.0.0:8080", 1, &ss, &len, &err),
			 0);
	assert_int_equal(web_listen_parse("[::]:80", 0, &ss, &len, &err),
			 CM_ECONFIG);
	/* Malformed: no port, port 0 or past 65535, a name, bad brackets. */
	assert_int_equal(web_listen_parse("127.0.0.1", 0, &ss, &len, &err),
			 CM_ECONFIG);
	assert_int_equal(web_listen_parse("127.0.0.1:0", 0, &ss, &len, &err),
			 CM_ECONFIG);
	assert_int_equal(web_listen_parse("127.0.0.1:65536", 0, &ss, &len,
					  &err), CM_ECONFIG);
	assert_int_equal(web_listen_parse("localhost:80", 0, &ss, &len, &err),
			 CM_ECONFIG);
	assert_int_equal(web_listen_parse("[::1:80", 0, &ss, &len, &err),
			 CM_ECONFIG);
	assert_int_equal(web_listen_parse(":80", 0, &ss, &len, &err),
			 CM_ECONFIG);
}

static void
test_token_equal(void **state)
{
	(void)state;
	assert_true(web_token_equal("abc", "abc"));
	assert_false(web_token_equal("abc", "abd"));
	assert_false(web_token_equal("abc", "ab"));
	assert_false(web_token_equal("", "a"));
	assert_true(web_token_equal("", ""));
}

/* Sign-in limits: at the limit still allowed, one failure more refused,
 * for the rest of the window only; a success clears the account; the
 * client limit holds across accounts, and 0 turns it off. */
static void
test_login_limit(void **state)
{
	struct web_limit *l = web_limit_new(3, 5, 900);
	int64_t t0 = 1000000;

	(void)state;
	assert_int_equal(web_limit_check(l, "a@x.test", "10.0.0.1", t0),
			 WEB_LIMIT_OK);
	for (int i = 0; i < 2; i++)
		web_limit_failed(l, "a@x.test", "10.0.0.1", t0 + i);
	/* Two failures: the third try (at the limit) may be made. */
	assert_int_equal(web_limit_check(l, "a@x.test", "10.0.0.1", t0 + 2),
			 WEB_LIMIT_OK);
	web_limit_failed(l, "a@x.test", "10.0.0.1", t0 + 2);
	/* Three: the fourth is refused, for this account only. */
	assert_int_equal(web_limit_check(l, "a@x.test", "10.0.0.1", t0 + 3),
			 WEB_LIMIT_ACCOUNT);
	assert_int_equal(web_limit_check(l, "a@x.test", "10.9.9.9", t0 + 3),
			 WEB_LIMIT_ACCOUNT);
	assert_int_equal(web_limit_check(l, "b@x.test", "10.0.0.1", t0 + 3),
			 WEB_LIMIT_OK);
	/* The window runs from the first failure: just before its end
	 * still refused, at its end open again. */
	assert_int_equal(web_limit_check(l, "a@x.test", "10.0.0.2",
					 t0 + 899), WEB_LIMIT_ACCOUNT);
	assert_int_equal(web_limit_check(l, "a@x.test", "10.0.0.2",
					 t0 + 900), WEB_LIMIT_OK);
	/* A success clears the account's count. */
	web_limit_failed(l, "c@x.test", "10.0.0.3", t0);
	web_limit_failed(l, "c@x.test", "10.0.0.3", t0);
	web_limit_failed(l, "c@x.test", "10.0.0.3", t0);
	assert_int_equal(web_limit_check(l, "c@x.test", "10.0.0.4", t0),
			 WEB_LIMIT_ACCOUNT);
	web_limit_succeeded(l, "c@x.test");
	assert_int_equal(web_limit_check(l, "c@x.test", "10.0.0.4", t0),
			 WEB_LIMIT_OK);
	/* Client 10.0.0.1 has 3 failures; 4 is under its limit of 5,
	 * 5 is at it: then every account is refused from there. */
	web_limit_failed(l, "d@x.test", "10.0.0.1", t0 + 5);
	assert_int_equal(web_limit_check(l, "e@x.test", "10.0.0.1", t0 + 5),
			 WEB_LIMIT_OK);
	web_limit_failed(l, NULL, "10.0.0.1", t0 + 6);
	assert_int_equal(web_limit_check(l, "e@x.test", "10.0.0.1", t0 + 6),
			 WEB_LIMIT_CLIENT);
	assert_int_equal(web_limit_check(l, NULL, "10.0.0.1",
					 t0 + 6), WEB_LIMIT_CLIENT);
	assert_int_equal(web_limit_check(l, "e@x.test", "10.0.0.7", t0 + 6),
			 WEB_LIMIT_OK);
	web_limit_free(&l);
	assert_null(l);

	/* login_client_failures = 0: no client limit. */
	l = web_limit_new(2, 0, 60);
	for (int i = 0; i < 50; i++)
		web_limit_failed(l, NULL, "10.0.0.1", t0);
	web_limit_failed(l, "f@x.test", "10.0.0.1", t0);
	assert_int_equal(web_limit_check(l, "f@x.test", "10.0.0.1", t0),
			 WEB_LIMIT_OK);
	web_limit_failed(l, "f@x.test", "10.0.0.1", t0);
	assert_int_equal(web_limit_check(l, "f@x.test", "10.0.0.1", t0),
			 WEB_LIMIT_ACCOUNT);
	web_limit_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_login_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
