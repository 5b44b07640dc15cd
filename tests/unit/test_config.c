/* test_config.c - casemail.conf loading, defaults and errors. */
#include "testutil.h"

#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/strv.h"

static struct config *
load_ok(const char *dir, const char *text)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	char *path = testutil_write(dir, "casemail.conf", text);

	if (config_load(path, &cfg, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	g_free(path);
	return cfg;
}

/* Load text, expect CM_ECONFIG and every needle in the message. */
static void
load_bad(const char *dir, const char *text, const char *n1, const char *n2)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	char *path = testutil_write(dir, "casemail.conf", text);

	assert_int_equal(config_load(path, &cfg, &err), CM_ECONFIG);
	assert_null(cfg);
	if (strstr(err.msg, path) == NULL || strstr(err.msg, n1) == NULL ||
	    (n2 != NULL && strstr(err.msg, n2) == NULL))
		fail_msg("message '%s' lacks '%s'/'%s'", err.msg, n1,
			 n2 != NULL ? n2 : "");
	g_free(path);
}

static void
test_defaults(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir, "# nothing set\n");
	char *db = g_build_filename(dir, "casemail.db", NULL);

	(void)state;
	assert_string_equal(cfg->case_prefix, "CV");
	assert_int_equal(cfg->case_digits, 6);
	assert_null(cfg->case_address);
	assert_null(cfg->org_domains[0]);
	assert_string_equal(cfg->case_types[0], "damaged");
	assert_true(config_has_type(cfg, "wismo"));
	assert_true(config_has_type(cfg, "other"));
	assert_false(config_has_type(cfg, "bogus"));
	assert_string_equal(cfg->store_database, db);
	assert_int_equal(cfg->store_busy_timeout_ms, 5000);
	g_free(db);
	config_free(&cfg);
	assert_null(cfg);
	testutil_rmdir(dir);
}

static void
test_values(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir,
		"[case]\nprefix = tk\ndigits = 4\naddress = cases@desk.example\n"
		"organization_domains = Desk.Example, , other.test\n"
		"types = a, b ,c\n[store]\ndatabase = /var/lib/x.db\n"
		"attachments = att\nbusy_timeout_ms = 0\n");
	char *att = g_build_filename(dir, "att", NULL);

	(void)state;
	assert_string_equal(cfg->case_prefix, "TK");
	assert_int_equal(cfg->case_digits, 4);
	assert_string_equal(cfg->case_address, "cases@desk.example");
	assert_string_equal(cfg->org_domains[0], "desk.example");
	assert_string_equal(cfg->org_domains[1], "other.test");
	assert_null(cfg->org_domains[2]);
	assert_string_equal(cfg->case_types[2], "c");
	assert_string_equal(cfg->store_database, "/var/lib/x.db");
	assert_string_equal(cfg->store_attachments, att);
	assert_true(config_is_org_address(cfg, "agent@desk.example"));
	assert_true(config_is_org_address(cfg, "agent@MAIL.desk.example"));
	assert_false(config_is_org_address(cfg, "x@notdesk.example"));
	assert_false(config_is_org_address(cfg, "x@desk.example.evil"));
	assert_false(config_is_org_address(cfg, "no-at-sign"));
	g_free(att);
	config_free(&cfg);
	testutil_rmdir(dir);
}

/* "$CREDENTIALS_DIRECTORY/NAME" resolves at load time, and only to a file
 * directly in that directory. */
/* Each enum key's words load as the constants config.h lists, in order. */
static void
test_enums(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir, "");

	(void)state;
	assert_int_equal(cfg->case_reply_to_solved, CONFIG_REPLY_SOLVED_REOPEN);
	assert_int_equal(cfg->case_accept_from, CONFIG_ACCEPT_PARTICIPANTS);
	assert_int_equal(cfg->imap_tls, CONFIG_IMAP_TLS_IMAPS);
	assert_int_equal(cfg->smtp_tls, CONFIG_SMTP_TLS_URL);
	assert_int_equal(cfg->smtp_bounce_clear_days, 7);
	assert_int_equal(cfg->smtp_sessions, 2);
	assert_int_equal(cfg->smtp_lease_secs, 300);
	config_free(&cfg);
	cfg = load_ok(dir, "[smtp]\nbounce_clear_days = 365\n");
	assert_int_equal(cfg->smtp_bounce_clear_days, 365);
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\nreply_to_solved = note\n"
		      "accept_from = Anyone\n[imap]\ntls = none\n"
		      "[smtp]\ntls = starttls\n");
	assert_int_equal(cfg->case_reply_to_solved, CONFIG_REPLY_SOLVED_NOTE);
	assert_int_equal(cfg->case_accept_from, CONFIG_ACCEPT_ANYONE);
	assert_int_equal(cfg->imap_tls, CONFIG_IMAP_TLS_NONE);
	assert_int_equal(cfg->smtp_tls, CONFIG_SMTP_TLS_STARTTLS);
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\nreply_to_solved = new\n"
		      "[imap]\ntls = starttls\n");
	assert_int_equal(cfg->case_reply_to_solved, CONFIG_REPLY_SOLVED_NEW);
	assert_int_equal(cfg->imap_tls, CONFIG_IMAP_TLS_STARTTLS);
	config_free(&cfg);
	/* Ownership (issue 15): defaults, the other words, and just past. */
	cfg = load_ok(dir, "");
	assert_int_equal(cfg->case_creator_owns, 1);
	assert_int_equal(cfg->case_sides, CONFIG_SIDES_TWO);
	assert_null(cfg->case_desk_lead);
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\ncreator_owns = no\nsides = None\n"
		      "desk_lead = Lead@Desk.example\n");
	assert_int_equal(cfg->case_creator_owns, 0);
	assert_int_equal(cfg->case_sides, CONFIG_SIDES_NONE);
	assert_non_null(cfg->case_desk_lead);
	config_free(&cfg);
	load_bad(dir, "[case]\nsides = one\n", "[case] sides", "two");
	load_bad(dir, "[case]\ncreator_owns = maybe\n", "[case] creator_owns",
		 NULL);
	load_bad(dir, "[case]\ndesk_lead = not an address\n",
		 "[case] desk_lead", NULL);
	testutil_rmdir(dir);
}

/* [web] (casemail-web): defaults, and each bound just past. */
static void
test_web(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg;
	char *long_listen;

	(void)state;
	cfg = load_ok(dir, "");
	assert_string_equal(cfg->web_listen, "127.0.0.1:8080");
	assert_int_equal(cfg->web_allow_remote, 0);
	assert_null(cfg->web_trusted_proxy);
	assert_string_equal(cfg->web_trusted_header, "X-Remote-User");
	assert_int_equal(cfg->web_session_ttl_secs, 28800);
	assert_int_equal(cfg->web_secure_cookies, 1);
	assert_int_equal(cfg->web_login_failures, 5);
	assert_int_equal(cfg->web_login_client_failures, 20);
	assert_int_equal(cfg->web_login_window_secs, 900);
	config_free(&cfg);
	cfg = load_ok(dir, "[web]\nlogin_failures = 1000\n"
		      "login_client_failures = 0\nlogin_window = 86400\n");
	assert_int_equal(cfg->web_login_failures, 1000);
	assert_int_equal(cfg->web_login_client_failures, 0);
	assert_int_equal(cfg->web_login_window_secs, 86400);
	config_free(&cfg);
	load_bad(dir, "[web]\nlogin_failures = 1001\n",
		 "[web] login_failures", NULL);
	load_bad(dir, "[web]\nlogin_failures = 0\n",
		 "[web] login_failures", NULL);
	load_bad(dir, "[web]\nlogin_client_failures = 100001\n",
		 "[web] login_client_failures", NULL);
	load_bad(dir, "[web]\nlogin_window = 86401\n",
		 "[web] login_window", NULL);
	load_bad(dir, "[web]\nlogin_window = 9\n", "[web] login_window",
		 NULL);
	cfg = load_ok(dir, "[web]\nsession_ttl = 2592000\n"
		      "secure_cookies = no\ntrusted_proxy = 10.0.0.5\n");
	assert_int_equal(cfg->web_session_ttl_secs, 2592000);
	assert_int_equal(cfg->web_secure_cookies, 0);
	assert_string_equal(cfg->web_trusted_proxy, "10.0.0.5");
	config_free(&cfg);
	load_bad(dir, "[web]\nsession_ttl = 2592001\n", "[web] session_ttl",
		 NULL);
	load_bad(dir, "[web]\nsession_ttl = 299\n", "[web] session_ttl",
		 NULL);
	/* 65 bytes: one over the limit. */
	long_listen = g_strdup_printf("[web]\nlisten = %s:80\n",
				      "127.000000000000000000000000000000000000"
				      "00000000000000000000.1");
	load_bad(dir, long_listen, "[web] listen", NULL);
	g_free(long_listen);
	testutil_rmdir(dir);
}

static void
test_credentials(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	/* Outside the service the file loads; only reading the secret fails. */
	cfg = load_ok(dir, "[imap]\npassword_file = $CREDENTIALS_DIRECTORY/imap\n");
	assert_string_equal(cfg->imap_password_file, "$CREDENTIALS_DIRECTORY/imap");
	{
		struct cm_error err = { 0 };
		char *secret = NULL;

		assert_int_equal(config_read_secret(cfg->imap_password_file,
						    &secret, &err), CM_ECONFIG);
		assert_null(secret);
		assert_non_null(strstr(err.msg, "not set"));
	}
	config_free(&cfg);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/casemaild.service", 1);
	cfg = load_ok(dir, "[imap]\npassword_file = $CREDENTIALS_DIRECTORY/imap\n"
		      "[smtp]\npassword_file = $CREDENTIALS_DIRECTORY/smtp-pw\n");
	assert_string_equal(cfg->imap_password_file,
			    "/run/credentials/casemaild.service/imap");
	assert_string_equal(cfg->smtp_password_file,
			    "/run/credentials/casemaild.service/smtp-pw");
	config_free(&cfg);
	load_bad(dir, "[imap]\npassword_file = $CREDENTIALS_DIRECTORY/../x\n",
		 "[imap] password_file", "plain credential name");
	load_bad(dir, "[imap]\npassword_file = $CREDENTIALS_DIRECTORY/a/b\n",
		 "[imap] password_file", "plain credential name");
	load_bad(dir, "[smtp]\npassword_file = $CREDENTIALS_DIRECTORY/\n",
		 "[smtp] password_file", "plain credential name");
	unsetenv("CREDENTIALS_DIRECTORY");
	testutil_rmdir(dir);
}

static void
test_errors(void **state)
{
	char *dir = testutil_tmpdir();

	(void)state;
	load_bad(dir, "[smtp]\nurl = http://mail.example\n", "[smtp] url",
		 "smtp://");
	load_bad(dir, "[smtp]\nurl = smtp://m.example\nuser = desk\n",
		 "[smtp] user", "password_file");
	load_bad(dir, "[case]\ndigits = abc\n", "[case] digits", "integer");
	load_bad(dir, "[case]\ndigits = 0\n", "[case] digits", NULL);
	load_bad(dir, "[case]\ndigits = 13\n", "[case] digits", NULL);
	load_bad(dir, "[case]\nprefix = C1\n", "[case] prefix", "letters");
	load_bad(dir, "[case]\naddress = not an address\n", "[case] address",
		 NULL);
	load_bad(dir, "[case]\ntypes = , ,\n", "[case] types", "empty");
	load_bad(dir, "[case]\ncolour = red\n", "[case] colour", "unknown key");
	load_bad(dir, "[smtpd]\nurl = x\n", "[smtpd]", "unknown group");
	load_bad(dir, "[store]\ndatabase =\n", "[store] database", "empty");
	/* A bouncing mark lasts 1 to 365 days: just outside both ends. */
	load_bad(dir, "[smtp]\nbounce_clear_days = 366\n",
		 "[smtp] bounce_clear_days", NULL);
	load_bad(dir, "[smtp]\nbounce_clear_days = 0\n",
		 "[smtp] bounce_clear_days", NULL);
	/* 1 to 8 sessions, leases of 30 s to a day: just outside. */
	load_bad(dir, "[smtp]\nsessions = 9\n", "[smtp] sessions", NULL);
	load_bad(dir, "[smtp]\nsessions = 0\n", "[smtp] sessions", NULL);
	load_bad(dir, "[smtp]\nlease = 86401\n", "[smtp] lease", NULL);
	load_bad(dir, "[smtp]\nlease = 29\n", "[smtp] lease", NULL);
	load_bad(dir, "[store]\nbusy_timeout_ms = -5\n",
		 "[store] busy_timeout_ms", NULL);
	load_bad(dir, "this is not ini\n", "", NULL);
	testutil_rmdir(dir);
}

/* [store] max_parts, max_depth, max_header_bytes: defaults, the edges,
 * and just over them. */
static void
test_parse_limits(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir, "");

	(void)state;
	assert_int_equal(cfg->store_max_parts, 1000);
	assert_int_equal(cfg->store_max_depth, 32);
	assert_int_equal(cfg->store_max_header_bytes, 1048576);
	config_free(&cfg);
	cfg = load_ok(dir, "[store]\nmax_parts = 10000\nmax_depth = 100\n"
		      "max_header_bytes = 16777216\n");
	assert_int_equal(cfg->store_max_parts, 10000);
	assert_int_equal(cfg->store_max_depth, 100);
	assert_int_equal(cfg->store_max_header_bytes, 16777216);
	config_free(&cfg);
	load_bad(dir, "[store]\nmax_parts = 10001\n", "[store] max_parts",
		 "between 1 and 10000");
	load_bad(dir, "[store]\nmax_parts = 0\n", "[store] max_parts", NULL);
	load_bad(dir, "[store]\nmax_depth = 101\n", "[store] max_depth",
		 "between 1 and 100");
	load_bad(dir, "[store]\nmax_header_bytes = 16777217\n",
		 "[store] max_header_bytes", "between 1024 and 16777216");
	load_bad(dir, "[store]\nmax_header_bytes = 1023\n",
		 "[store] max_header_bytes", NULL);
	testutil_rmdir(dir);
}

/* [trust] partner_domains: domains only, never free mail; [case]
 * max_new_participants within 0..1000. */
static void
test_trust_and_participants(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir, "");

	(void)state;
	assert_int_equal(cfg->case_max_new_participants, 10);
	assert_null(cfg->trust_partner_domains[0]);
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\nmax_new_participants = 1000\n"
		      "[trust]\npartner_domains = Trucks.Example, "
		      "xn--bcher-kva.example\n");
	assert_int_equal(cfg->case_max_new_participants, 1000);
	assert_string_equal(cfg->trust_partner_domains[0], "trucks.example");
	assert_string_equal(cfg->trust_partner_domains[1],
			    "xn--bcher-kva.example");
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\nmax_new_participants = 0\n");
	assert_int_equal(cfg->case_max_new_participants, 0);
	config_free(&cfg);
	load_bad(dir, "[case]\nmax_new_participants = 1001\n",
		 "[case] max_new_participants", "between 0 and 1000");
	load_bad(dir, "[case]\nmax_new_participants = -1\n",
		 "[case] max_new_participants", NULL);
	load_bad(dir, "[trust]\npartner_domains = trucks.example, gmail.com\n",
		 "[trust] partner_domains", "gmail.com is a free-mail domain");
	load_bad(dir, "[trust]\npartner_domains = GMX.de\n",
		 "[trust] partner_domains", "free-mail");
	load_bad(dir, "[trust]\npartner_domains = yahoo.co.uk\n",
		 "[trust] partner_domains", "free-mail");
	load_bad(dir, "[trust]\npartner_domains = eu.hotmail.com\n",
		 "[trust] partner_domains", "free-mail");
	load_bad(dir, "[trust]\npartner_domains = example\n",
		 "[trust] partner_domains", "not a domain");
	load_bad(dir, "[trust]\npartner_domains = *.example.com\n",
		 "[trust] partner_domains", "not a domain");
	load_bad(dir, "[trust]\npartner_domains = a@example.com\n",
		 "[trust] partner_domains", "not a domain");
	load_bad(dir, "[trust]\npartner_domains = example.com.\n",
		 "[trust] partner_domains", "not a domain");
	testutil_rmdir(dir);
}

/* What config_warn_cleartext(cfg) writes on stderr (g_free). */
static char *
cleartext_warnings(const char *dir, const struct config *cfg)
{
	char *path = g_build_filename(dir, "stderr.txt", NULL), *text = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	config_warn_cleartext(cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_free(path);
	return text;
}

/* Load text, which must be accepted, and return its cleartext warnings. */
static char *
load_warnings(const char *dir, const char *text)
{
	struct config *cfg = load_ok(dir, text);
	char *w = cleartext_warnings(dir, cfg);

	config_free(&cfg);
	return w;
}

/*
 * Issue 13, item 7: IMAP without TLS, or an smtp:// URL that upgrades only
 * if the server offers STARTTLS, to a host that is not this machine is a
 * configuration error unless allow_cleartext = yes, which warns at every
 * start.  Loopback (127.0.0.0/8, ::1, localhost) is fine and quiet.
 */
static void
test_cleartext(void **state)
{
	static const char *const loopback[] = {
		"127.0.0.1", "127.8.9.10", "localhost", "LocalHost", "::1",
		"[::1]",
	};
	static const char *const remote[] = {
		"imap.example.com", "10.0.0.1", "128.0.0.1", "::2",
		"localhost.evil.example", "127.0.0.1.evil.example",
	};
	char *dir = testutil_tmpdir(), *text, *w;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(remote); i++) {
		text = g_strdup_printf("[imap]\nhost = %s\ntls = none\n",
				       remote[i]);
		load_bad(dir, text, "[imap] tls = none", "allow_cleartext");
		g_free(text);
		text = g_strdup_printf("[imap]\nhost = %s\ntls = none\n"
				       "allow_cleartext = yes\n", remote[i]);
		w = load_warnings(dir, text);
		if (strstr(w, "warning: [imap] allow_cleartext") == NULL ||
		    strstr(w, remote[i]) == NULL)
			fail_msg("no warning for %s: '%s'", remote[i], w);
		g_free(w);
		g_free(text);
		/* TLS to the same host: fine, and quiet. */
		text = g_strdup_printf("[imap]\nhost = %s\ntls = starttls\n",
				       remote[i]);
		w = load_warnings(dir, text);
		assert_string_equal(w, "");
		g_free(w);
		g_free(text);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(loopback); i++) {
		const char *h = loopback[i];
		int v6 = strchr(h, ':') != NULL && h[0] != '[';

		text = g_strdup_printf("[imap]\nhost = %s\ntls = none\n"
				       "[smtp]\nurl = smtp://%s%s%s:25\n", h,
				       v6 ? "[" : "", h, v6 ? "]" : "");
		w = load_warnings(dir, text);
		if (w[0] != '\0')
			fail_msg("%s: unexpected warning '%s'", h, w);
		g_free(w);
		g_free(text);
	}
	load_bad(dir, "[smtp]\nurl = smtp://smtp.example.com:587\n",
		 "[smtp] url", "allow_cleartext");
	load_bad(dir, "[smtp]\nurl = smtp://127.0.0.1.evil.example\n",
		 "[smtp] url", "allow_cleartext");
	w = load_warnings(dir, "[smtp]\nurl = smtp://smtp.example.com:587\n"
			  "allow_cleartext = yes\n");
	assert_non_null(strstr(w, "warning: [smtp] allow_cleartext"));
	g_free(w);
	w = load_warnings(dir, "[smtp]\nurl = smtp://smtp.example.com:587\n"
			  "tls = starttls\n");
	assert_string_equal(w, "");
	g_free(w);
	w = load_warnings(dir, "[smtp]\nurl = smtps://smtp.example.com\n");
	assert_string_equal(w, "");
	g_free(w);
	/* One group's permission is not the other's. */
	load_bad(dir, "[imap]\nhost = imap.example.com\ntls = none\n"
		 "[smtp]\nallow_cleartext = yes\n", "[imap] tls", NULL);
	load_bad(dir, "[imap]\nallow_cleartext = maybe\n",
		 "[imap] allow_cleartext", NULL);
	load_bad(dir, "[smtp]\nallow_cleartext = 2\n",
		 "[smtp] allow_cleartext", NULL);
	testutil_rmdir(dir);
}

static void
test_missing_file(void **state)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load("/nonexistent/casemail.conf", &cfg, &err),
			 CM_ECONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/casemail.conf"));
	/* Where else a configuration comes from, and where to start one. */
	assert_non_null(strstr(err.msg, "-c FILE"));
	assert_non_null(strstr(err.msg, "$CASEMAIL_CONFIG"));
	assert_non_null(strstr(err.msg, "casemail.conf.example"));
}

static void
test_timezone(void **state)
{
	char *dir = testutil_tmpdir();
	char *text;
	struct config *cfg;

	(void)state;
	cfg = load_ok(dir, "# nothing set\n");
	assert_null(cfg->case_timezone);       /* the system's */
	config_free(&cfg);
	cfg = load_ok(dir, "[case]\ntimezone = Europe/Berlin\n");
	assert_string_equal(cfg->case_timezone, "Europe/Berlin");
	config_free(&cfg);
	load_bad(dir, "[case]\ntimezone = Mars/Olympus\n", "timezone",
		 "unknown time zone 'Mars/Olympus'");
	/* 64 characters is the limit: just over it is too long. */
	text = g_strdup_printf("[case]\ntimezone = %s\n",
			       "Europe/Berlin/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(strlen("Europe/Berlin/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 65);
	load_bad(dir, text, "timezone", "value too long");
	g_free(text);
	testutil_rmdir(dir);
}

static void
test_choose_path(void **state)
{
	(void)state;
	unsetenv("CASEMAIL_CONFIG");
	assert_string_equal(config_choose_path(NULL), CONFIG_DEFAULT_PATH);
	setenv("CASEMAIL_CONFIG", "/tmp/env.conf", 1);
	assert_string_equal(config_choose_path(NULL), "/tmp/env.conf");
	assert_string_equal(config_choose_path("/x.conf"), "/x.conf");
	setenv("CASEMAIL_CONFIG", "", 1);
	assert_string_equal(config_choose_path(NULL), CONFIG_DEFAULT_PATH);
	unsetenv("CASEMAIL_CONFIG");
}

static void
test_trust(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = load_ok(dir, "");
	GString *long_id = g_string_new("[trust]\nauthserv_ids = a, ");
	char *keys;

	(void)state;
	assert_null(cfg->trust_authserv_ids[0]);
	assert_false(cfg->trust_topmost);
	assert_true(cfg->trust_dkim_verify);
	assert_null(cfg->trust_dkim_key_file);
	assert_int_equal(cfg->trust_dkim_timeout_secs, 5);
	config_free(&cfg);
	cfg = load_ok(dir, "[trust]\nauthserv_ids = MX.Desk.Example, "
		      "mx.google.com\ntrust_topmost = yes\ndkim_verify = no\n"
		      "dkim_key_file = keys.txt\ndkim_timeout = 60\n");
	keys = g_build_filename(dir, "keys.txt", NULL);
	assert_string_equal(cfg->trust_authserv_ids[0], "mx.desk.example");
	assert_string_equal(cfg->trust_authserv_ids[1], "mx.google.com");
	assert_null(cfg->trust_authserv_ids[2]);
	assert_true(cfg->trust_topmost);
	assert_false(cfg->trust_dkim_verify);
	assert_string_equal(cfg->trust_dkim_key_file, keys);
	assert_int_equal(cfg->trust_dkim_timeout_secs, 60);
	config_free(&cfg);
	g_free(keys);
	load_bad(dir, "[trust]\ndkim_timeout = 61\n", "[trust] dkim_timeout",
		 "between 1 and 60");
	load_bad(dir, "[trust]\ndkim_timeout = 0\n", "dkim_timeout", NULL);
	load_bad(dir, "[trust]\ntrust_topmost = maybe\n", "trust_topmost",
		 "yes or no");
	load_bad(dir, "[trust]\nauthserv_ids = mx.example; dkim=pass\n",
		 "authserv_ids", "not a server name");
	load_bad(dir, "[trust]\nauthserv_ids = a b\n", "authserv_ids",
		 "not a server name");
	/* CONFIG_AUTHSERV_ID_MAX bytes are fine, one more is not. */
	for (int i = 0; i < CONFIG_AUTHSERV_ID_MAX; i++)
		g_string_append_c(long_id, 'x');
	cfg = load_ok(dir, long_id->str);
	config_free(&cfg);
	g_string_append(long_id, "x\n");
	load_bad(dir, long_id->str, "authserv_ids", "longer than 255");
	g_string_free(long_id, TRUE);
	testutil_rmdir(dir);
}

/* The one splitter of comma-separated lists (keys, filters, templates). */
static void
test_split_list(void **state)
{
	char **v;

	(void)state;
	v = strv_split_list(" a ,b,, c\t,");
	assert_int_equal(g_strv_length(v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	g_strfreev(v);
	v = strv_split_list(" , ,");
	assert_null(v[0]);
	g_strfreev(v);
	v = strv_split_list("");
	assert_null(v[0]);
	g_strfreev(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_list),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_trust_and_participants),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_cleartext),
		cmocka_unit_test(test_choose_path),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_web),
		cmocka_unit_test(test_timezone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
