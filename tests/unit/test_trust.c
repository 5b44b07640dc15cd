/*
 * test_trust.c - the sender verdict: which Authentication-Results count,
 * what proves a From address, and our own DKIM check via a key file.
 */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "casemail/mime.h"
#include "casemail/trust.h"

#define TRUSTED "[trust]\nauthserv_ids = mx.desk.example\ndkim_verify = no\n"
#define TOPMOST "[trust]\ntrust_topmost = yes\ndkim_verify = no\n"
#define AR "Authentication-Results: "

struct trust_case {
	const char *name;
	const char *conf;
	const char *headers;     /* above From */
	const char *from;        /* the From header's value */
	int verified;
	enum trust_method method;
	enum trust_source source;
	const char *needle;      /* in the verdict text */
};

static const struct trust_case cases[] = {
	{ "trusted id, dmarc pass", TRUSTED,
	  AR "mx.desk.example; dmarc=pass (p=reject) header.from=example.com\r\n",
	  "anna@example.com", 1, TRUST_DMARC, TRUST_SRC_AUTHRES,
	  "verified anna@example.com: dmarc=pass header.from=example.com "
	  "(Authentication-Results of mx.desk.example)" },
	/* A header added on top of a signed (here: vouched-for) mail: the
	 * verdict covers the copy below, so neither is believed. */
	{ "a second To added on top", TRUSTED,
	  AR "mx.desk.example; dmarc=pass header.from=example.com\r\n"
	  "To: mallory@evil.example\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_NONE,
	  "To appears more than once" },
	{ "a second Subject added on top", TRUSTED,
	  AR "mx.desk.example; dmarc=pass header.from=example.com\r\n"
	  "Subject: [CV000009] new target\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_NONE,
	  "Subject appears more than once" },
	{ "id compared without case", TRUSTED,
	  AR "MX.Desk.Example; dmarc=pass header.from=Example.COM\r\n",
	  "anna@example.com", 1, TRUST_DMARC, TRUST_SRC_AUTHRES, "verified" },
	{ "untrusted id, pass ignored", TRUSTED,
	  AR "evil.test; dmarc=pass header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_NONE,
	  "no trusted Authentication-Results; own DKIM check off" },
	{ "forged pass below a trusted fail", TRUSTED,
	  AR "mx.desk.example; dmarc=fail header.from=example.com\r\n"
	  AR "mx.desk.example; dmarc=pass header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "dmarc=fail" },
	{ "untrusted pass above a trusted none", TRUSTED,
	  AR "evil.test; dmarc=pass header.from=example.com\r\n"
	  AR "mx.desk.example; none\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "not verified anna@example.com: none" },
	{ "unreadable trusted header ends the search", TRUSTED,
	  AR "mx.desk.example; dmarc=pass header.from=(\r\n"
	  AR "mx.desk.example; dmarc=pass header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_NONE, "unreadable" },
	{ "dmarc fail", TRUSTED,
	  AR "mx.desk.example; dmarc=fail (p=reject) header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "not verified anna@example.com: dmarc=fail" },
	{ "dmarc pass for another domain", TRUSTED,
	  AR "mx.desk.example; dmarc=pass header.from=evil.test\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "header.from=evil.test" },
	{ "dkim pass, not aligned", TRUSTED,
	  AR "mx.desk.example; dkim=pass header.d=evil.test header.s=s\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "dkim=pass header.d=evil.test (not aligned)" },
	{ "dkim pass, look-alike domain", TRUSTED,
	  AR "mx.desk.example; dkim=pass header.d=badexample.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "not aligned" },
	{ "dkim pass for a top-level name", TRUSTED,
	  AR "mx.desk.example; dkim=pass header.d=com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "not aligned" },
	{ "dkim pass, subdomain aligned", TRUSTED,
	  AR "mx.desk.example; dkim=fail header.d=example.com; "
	  "dkim=pass header.d=mail.example.com\r\n",
	  "anna@example.com", 1, TRUST_DKIM, TRUST_SRC_AUTHRES,
	  "verified anna@example.com: dkim=pass header.d=mail.example.com" },
	{ "dkim pass, header.i only (Gmail)",
	  "[trust]\nauthserv_ids = mx.google.com\ndkim_verify = no\n",
	  AR "mx.google.com;\r\n dkim=pass header.i=@example.com "
	  "header.s=20230601 header.b=Ab12;\r\n spf=pass (google.com: domain "
	  "of anna@example.com designates 192.0.2.1 as permitted sender) "
	  "smtp.mailfrom=anna@example.com;\r\n dmarc=pass (p=NONE sp=NONE "
	  "dis=NONE) header.from=sub.example.com\r\n",
	  "anna@sub.example.com", 1, TRUST_DKIM, TRUST_SRC_AUTHRES,
	  "(Authentication-Results of mx.google.com)" },
	{ "auth=pass of the From address", TRUSTED,
	  AR "mx.desk.example; auth=pass smtp.auth=anna@example.com\r\n",
	  "anna@example.com", 1, TRUST_AUTH, TRUST_SRC_AUTHRES,
	  "auth=pass smtp.auth=anna@example.com" },
	{ "auth=pass of another mailbox of the From domain", TRUSTED,
	  AR "mx.desk.example; auth=pass smtp.auth=bob@example.com\r\n",
	  "anna@example.com", 1, TRUST_AUTH, TRUST_SRC_AUTHRES, "verified" },
	{ "auth=pass of another domain", TRUSTED,
	  AR "mx.desk.example; auth=pass smtp.auth=mallory@evil.test\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "(not of the From domain)" },
	{ "auth=pass with a bare login name", TRUSTED,
	  AR "mx.desk.example; auth=pass smtp.auth=anna\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES,
	  "not verified" },
	{ "two From addresses", TRUSTED,
	  AR "mx.desk.example; dmarc=pass header.from=example.com\r\n",
	  "anna@example.com, mallory@evil.test", 0, TRUST_NONE,
	  TRUST_SRC_NONE, "From has 2 addresses" },
	{ "trust_topmost: Microsoft 365, no authserv-id", TOPMOST,
	  AR "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=example.com; "
	  "dkim=pass (signature was verified) header.d=example.com;"
	  "dmarc=pass action=none header.from=example.com;"
	  "compauth=pass reason=100\r\n",
	  "anna@example.com", 1, TRUST_DKIM, TRUST_SRC_AUTHRES,
	  "(topmost Authentication-Results, no authserv-id)" },
	{ "trust_topmost: a pass below the topmost is ignored", TOPMOST,
	  AR "spf=fail smtp.mailfrom=example.com; dmarc=fail action=quarantine"
	  " header.from=example.com\r\n"
	  AR "dmarc=pass header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_AUTHRES, "dmarc=fail" },
	{ "trust_topmost: an unreadable topmost proves nothing", TOPMOST,
	  AR "garbage !!\r\n"
	  AR "dmarc=pass header.from=example.com\r\n",
	  "anna@example.com", 0, TRUST_NONE, TRUST_SRC_NONE, "unreadable" },
	{ "no header at all", TRUSTED, "", "anna@example.com", 0, TRUST_NONE,
	  TRUST_SRC_NONE, "not verified anna@example.com: no trusted" },
};

static struct config *
load_config(const char *dir, const char *text)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	char *path = testutil_write(dir, "casemail.conf", text);

	if (config_load(path, &cfg, &err) != 0)
		fail_msg("config: %s", err.msg);
	g_free(path);
	return cfg;
}

/* Judge raw under cfg; the parse must succeed. */
static void
judge(const struct config *cfg, const char *raw, struct trust_verdict *v)
{
	struct mime_message *mm = NULL;
	struct cm_error err = { 0 };

	assert_int_equal(mime_parse(raw, strlen(raw), &mm, &err), 0);
	assert_int_equal(trust_judge(cfg, raw, strlen(raw), mm, v, &err), 0);
	assert_true(g_utf8_validate(v->text, -1, NULL));
	for (const char *p = v->text; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20);
	mime_message_free(&mm);
}

static void
test_table(void **state)
{
	char *dir = testutil_tmpdir();

	(void)state;
	mime_init();
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct trust_case *c = &cases[i];
		struct config *cfg = load_config(dir, c->conf);
		char *raw = g_strdup_printf("%sFrom: %s\r\nTo: cases@desk.example"
					    "\r\nSubject: x\r\n\r\n/resolve\r\n",
					    c->headers, c->from);
		struct trust_verdict v;

		judge(cfg, raw, &v);
		if (v.verified != c->verified || v.method != c->method ||
		    v.source != c->source || strstr(v.text, c->needle) == NULL)
			fail_msg("%s: verified %d method %d source %d '%s'",
				 c->name, v.verified, v.method, v.source,
				 v.text);
		g_free(raw);
		config_free(&cfg);
	}
	testutil_rmdir(dir);
}

/* Without a trusted verdict: our own DKIM check, keys from a file. */
static void
test_own_dkim(void **state)
{
	char *dir = testutil_tmpdir();
	char *pem = testutil_dkim_key(dir, "sel1", "example.com");
	char *evil = testutil_dkim_key(dir, "s", "evil.test");
	struct config *cfg = load_config(dir, "[trust]\nauthserv_ids = "
					 "mx.desk.example\ndkim_key_file = "
					 "dkim-keys\n");
	const char *msg = "From: Anna <anna@example.com>\r\n"
			  "To: cases@desk.example\r\nSubject: x\r\n\r\n"
			  "/resolve\r\n";
	char *raw = testutil_dkim_sign(msg, pem, "sel1", "example.com");
	char *other = testutil_dkim_sign(msg, evil, "s", "evil.test");
	char *trusted_fail;
	struct trust_verdict v;

	(void)state;
	mime_init();
	judge(cfg, raw, &v);
	assert_true(v.verified);
	assert_int_equal(v.method, TRUST_DKIM);
	assert_int_equal(v.source, TRUST_SRC_DKIM);
	assert_non_null(strstr(v.text, "own DKIM check: 1 of 1 signature "
				"passed"));
	assert_non_null(strstr(v.text, "signature passed; d=example.com passed"));
	/* A changed body. */
	memcpy(strstr(raw, "/resolve"), "/reopen!", 8);
	judge(cfg, raw, &v);
	assert_false(v.verified);
	assert_int_equal(v.source, TRUST_SRC_DKIM);
	/* Good signature, other domain: does not align. */
	judge(cfg, other, &v);
	assert_false(v.verified);
	assert_non_null(strstr(v.text, "d=evil.test passed, not aligned"));
	/* No signature. */
	judge(cfg, msg, &v);
	assert_false(v.verified);
	assert_non_null(strstr(v.text, "no signature"));
	/* A trusted verdict is final: a good signature does not overrule
	 * the trusted server's fail. */
	g_free(raw);
	raw = testutil_dkim_sign(msg, pem, "sel1", "example.com");
	trusted_fail = g_strconcat(AR "mx.desk.example; dkim=fail "
				   "header.d=example.com\r\n", raw, NULL);
	judge(cfg, trusted_fail, &v);
	assert_false(v.verified);
	assert_int_equal(v.source, TRUST_SRC_AUTHRES);
	g_free(trusted_fail);
	g_free(raw);
	g_free(other);
	g_free(pem);
	g_free(evil);
	config_free(&cfg);
	testutil_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_own_dkim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
