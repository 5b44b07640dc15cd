/*
 * test_oauth2.c - the OAuth2 token source: token replies parsed (and
 * refused), when to refresh, the backoff, the atomic write, the [oauth2]
 * section's checks, and against the tests' own authorization server
 * (tests/integration/oauthsrv.py on 127.0.0.1): rotation saved, a
 * revoked refresh token stopping without a second request until a new
 * login, a token endpoint that is down asked again only after the
 * backoff, and no token in any log line or in the state file.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "casemail/log.h"
#include "casemail/oauth2.h"
#include "casemail/outbound.h"

/* ---- replies ---------------------------------------------------------- */

static int
parse(const char *json, struct oauth2_reply *r)
{
	struct cm_error err = { 0 };

	return oauth2_parse_reply(json, strlen(json), r, &err);
}

static void
test_parse(void **state)
{
	static const struct { const char *in; int64_t want; } lives[] = {
		{ "1e300", 3600 }, { "-1e300", 3600 }, { "9.3e18", 3600 },
		{ "120.2", 121 }, { "true", 3600 },
	};
	struct oauth2_reply r;

	(void)state;
	assert_int_equal(parse("{\"access_token\":\"at-1\",\"token_type\":"
			       "\"Bearer\",\"expires_in\":3599,"
			       "\"refresh_token\":\"rt-1\"}", &r), 0);
	assert_string_equal(r.access_token, "at-1");
	assert_string_equal(r.refresh_token, "rt-1");
	assert_int_equal(r.expires_in, 3599);
	assert_null(r.error);
	oauth2_reply_clear(&r);
	/* A quoted number (seen in the wild), no refresh token, no type. */
	assert_int_equal(parse("{\"access_token\":\"at\",\"expires_in\":"
			       "\"120\"}", &r), 0);
	assert_int_equal(r.expires_in, 120);
	assert_null(r.refresh_token);
	oauth2_reply_clear(&r);
	/* A hostile number is range-checked before any cast (1e300 would
	 * be undefined behaviour); a fraction of a second rounds up. */
	for (size_t i = 0; i < G_N_ELEMENTS(lives); i++) {
		char *json = g_strdup_printf("{\"access_token\":\"at\","
					     "\"expires_in\":%s}", lives[i].in);

		assert_int_equal(parse(json, &r), 0);
		assert_int_equal(r.expires_in, lives[i].want);
		oauth2_reply_clear(&r);
		g_free(json);
	}
	/* Silent about the lifetime: an hour. */
	assert_int_equal(parse("{\"access_token\":\"at\"}", &r), 0);
	assert_int_equal(r.expires_in, 3600);
	oauth2_reply_clear(&r);
	/* Errors are replies too, with a clean description. */
	assert_int_equal(parse("{\"error\":\"invalid_grant\",\"error_"
			       "description\":\"AADSTS70000: gone\\nnow\"}",
			       &r), 0);
	assert_string_equal(r.error, "invalid_grant");
	assert_string_equal(r.error_description, "AADSTS70000: gone now");
	assert_null(r.access_token);
	oauth2_reply_clear(&r);
	/* Not ours to use. */
	assert_int_equal(parse("<html>502</html>", &r), CM_EINPUT);
	assert_int_equal(parse("[1,2]", &r), CM_EINPUT);
	assert_int_equal(parse("{\"token_type\":\"Bearer\"}", &r), CM_EINPUT);
	assert_int_equal(parse("{\"access_token\":\"a b\"}", &r), CM_EINPUT);
	assert_int_equal(parse("{\"access_token\":\"at\",\"token_type\":"
			       "\"mac\"}", &r), CM_EINPUT);
	assert_int_equal(parse("{\"access_token\":\"at\",\"refresh_token\":"
			       "\"r\\u0001t\"}", &r), CM_EINPUT);
	assert_int_equal(parse("{\"access_token\":42}", &r), CM_EINPUT);
	assert_null(r.access_token);
}

/* A token just over the limit is refused, one at it taken. */
static void
test_parse_limits(void **state)
{
	struct oauth2_reply r;
	char *tok = g_strnfill(OAUTH2_TOKEN_MAX_BYTES, 'a');
	char *json = g_strdup_printf("{\"access_token\":\"%s\"}", tok);
	char *big = g_strdup_printf("{\"access_token\":\"%sa\"}", tok);

	(void)state;
	assert_int_equal(parse(json, &r), 0);
	oauth2_reply_clear(&r);
	assert_int_equal(parse(big, &r), CM_EINPUT);
	g_free(tok);
	g_free(json);
	g_free(big);
}

static void
test_refresh_decision(void **state)
{
	(void)state;
	/* An hour's token: kept until six minutes (a tenth) are left. */
	assert_false(oauth2_needs_refresh(1000, 1000, 4600));
	assert_false(oauth2_needs_refresh(4239, 1000, 4600));
	assert_true(oauth2_needs_refresh(4240, 1000, 4600));
	assert_true(oauth2_needs_refresh(5000, 1000, 4600));
	/* Five minutes: refreshed in its last minute. */
	assert_false(oauth2_needs_refresh(1000, 1000, 1300));
	assert_true(oauth2_needs_refresh(1240, 1000, 1300));
	/* Two seconds: never worth using, always refreshed. */
	assert_true(oauth2_needs_refresh(1000, 1000, 1002));
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(oauth2_backoff_secs(1), OAUTH2_BACKOFF_MIN_SECS);
	assert_int_equal(oauth2_backoff_secs(2), 2 * OAUTH2_BACKOFF_MIN_SECS);
	assert_int_equal(oauth2_backoff_secs(3), 4 * OAUTH2_BACKOFF_MIN_SECS);
	assert_int_equal(oauth2_backoff_secs(9), OAUTH2_BACKOFF_MAX_SECS);
	assert_int_equal(oauth2_backoff_secs(1000), OAUTH2_BACKOFF_MAX_SECS);
}

static void
test_xoauth2_string(void **state)
{
	char *s = oauth2_xoauth2_string("box@desk.example", "tok");

	(void)state;
	assert_string_equal(s, "user=box@desk.example\001auth=Bearer tok\001\001");
	g_free(s);
}

/* ---- files ------------------------------------------------------------ */

static void
test_atomic_write(void **state)
{
	struct cm_error err = { 0 };
	char *dir = testutil_tmpdir(), *path = g_build_filename(dir, "rt", NULL);
	char *text = NULL;
	struct stat st;
	GDir *d;
	int n = 0;

	(void)state;
	assert_int_equal(oauth2_write_atomic(path, "one\n", 4, 0600, &err), 0);
	assert_int_equal(oauth2_write_atomic(path, "two\n", 4, 0600, &err), 0);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_string_equal(text, "two\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* No temporary file left behind. */
	d = g_dir_open(dir, 0, NULL);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	assert_int_equal(n, 1);
	/* A directory that is not there: an error naming the file. */
	g_free(text);
	text = g_build_filename(dir, "none", "rt", NULL);
	assert_int_equal(oauth2_write_atomic(text, "x", 1, 0600, &err),
			 CM_ECONFIG);
	assert_non_null(strstr(err.msg, text));
	g_free(text);
	g_free(path);
	testutil_rmdir(dir);
}

/* ---- configuration ---------------------------------------------------- */

static int
load(const char *dir, const char *text, struct config **cfg_r,
     struct cm_error *err)
{
	char *path = testutil_write(dir, "casemail.conf", text);
	int rc;

	*cfg_r = NULL;
	rc = config_load(path, cfg_r, err);
	g_free(path);
	return rc;
}

#define BASE "[case]\naddress = cases@desk.example\n" \
	"[imap]\nhost = imap.example\nuser = box@desk.example\nauth = oauth2\n"

static void
expect_bad(const char *dir, const char *text, const char *needle)
{
	struct cm_error err = { 0 };
	struct config *cfg;

	assert_int_equal(load(dir, text, &cfg, &err), CM_ECONFIG);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void
test_config_microsoft(void **state)
{
	char *dir = testutil_tmpdir();
	struct cm_error err = { 0 };
	struct config *cfg;

	(void)state;
	/* With a secret: client credentials for the tenant, app scope. */
	{
		char *secret = testutil_write(dir, "secret", "s3cret\n");

		assert_int_equal(chmod(secret, 0600), 0);
		g_free(secret);
	}
	assert_int_equal(load(dir, BASE "[oauth2]\nprovider = microsoft\n"
			      "tenant = contoso.onmicrosoft.com\nclient_id = "
			      "abc\nclient_secret_file = secret\n", &cfg, &err),
			 0);
	assert_int_equal(cfg->oauth2_grant, CONFIG_GRANT_CLIENT_CREDENTIALS);
	assert_string_equal(cfg->oauth2_token_url, "https://login."
			    "microsoftonline.com/contoso.onmicrosoft.com/"
			    "oauth2/v2.0/token");
	assert_string_equal(cfg->oauth2_scopes,
			    "https://outlook.office365.com/.default");
	assert_non_null(strstr(cfg->oauth2_state_file, "/oauth2-state"));
	config_free(&cfg);
	/* Without: the device grant, delegated scopes, any tenant. */
	assert_int_equal(load(dir, BASE "[oauth2]\nprovider = microsoft\n"
			      "client_id = abc\nscopes = a, b  c\n", &cfg, &err),
			 0);
	assert_int_equal(cfg->oauth2_grant, CONFIG_GRANT_DEVICE);
	assert_string_equal(cfg->oauth2_scopes, "a b c");
	assert_non_null(strstr(cfg->oauth2_device_url, "/organizations/"));
	config_free(&cfg);
	/* A refresh token from a (read-only) credential: the state file
	 * goes where the service may write. */
	assert_int_equal(load(dir, BASE "[oauth2]\nprovider = microsoft\n"
			      "client_id = abc\nrefresh_token_file = "
			      "$CREDENTIALS_DIRECTORY/rt\n", &cfg, &err), 0);
	assert_string_equal(cfg->oauth2_state_file,
			    "/var/lib/casemail/oauth2-state");
	config_free(&cfg);
	/* Client credentials need a real tenant. */
	expect_bad(dir, BASE "[oauth2]\nprovider = microsoft\nclient_id = abc\n"
		   "client_secret_file = secret\n", "tenant");
	testutil_rmdir(dir);
}

static void
test_config_checks(void **state)
{
	char *dir = testutil_tmpdir();
	struct cm_error err = { 0 };
	struct config *cfg;

	(void)state;
	expect_bad(dir, BASE, "provider");
	expect_bad(dir, BASE "[oauth2]\nprovider = yahoo\nclient_id = a\n",
		   "provider");
	expect_bad(dir, BASE "[oauth2]\nprovider = google\n", "client_id");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n",
		   "grant");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n"
		   "grant = device\n", "token_url");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n"
		   "grant = device\ntoken_url = https://t.example/token\n",
		   "device_url");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n"
		   "grant = authorization_code\ntoken_url = https://t.example/"
		   "\n", "authorize_url");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n"
		   "grant = client_credentials\ntoken_url = https://t.example/"
		   "\n", "client_secret_file");
	expect_bad(dir, BASE "[oauth2]\nprovider = generic\nclient_id = a\n"
		   "grant = bogus\n", "grant");
	/* Tokens in clear only to this machine. */
	expect_bad(dir, BASE "[oauth2]\nprovider = google\nclient_id = a\n"
		   "token_url = http://auth.example/token\n", "https://");
	assert_int_equal(load(dir, BASE "[oauth2]\nprovider = google\n"
			      "client_id = a\ntoken_url = http://127.0.0.1:9/t"
			      "\n", &cfg, &err), 0);
	assert_int_equal(cfg->oauth2_grant, CONFIG_GRANT_AUTHORIZATION_CODE);
	assert_string_equal(cfg->oauth2_scopes, "https://mail.google.com/");
	config_free(&cfg);
	/* SMTP with oauth2 needs its user and URL. */
	expect_bad(dir, BASE "[smtp]\nauth = oauth2\nurl = smtps://s.example\n"
		   "[oauth2]\nprovider = google\nclient_id = a\n", "[smtp] user");
	/* Unused [oauth2] is left alone; no password_file needed with
	 * oauth2 on SMTP. */
	assert_int_equal(load(dir, "[case]\naddress = c@d.example\n[smtp]\n"
			      "url = smtps://s.example\nuser = u\nauth = oauth2\n"
			      "[oauth2]\nprovider = google\nclient_id = a\n",
			      &cfg, &err), 0);
	config_free(&cfg);
	testutil_rmdir(dir);
}

/* Lengths at the limit pass, one byte over fails. */
static void
test_config_limits(void **state)
{
	char *dir = testutil_tmpdir(), *id = g_strnfill(255, 'i');
	char *path = g_strnfill(2048 - 18, 'u');
	char *url = g_strdup_printf("https://t.example/%s", path);
	char *text;
	struct cm_error err = { 0 };
	struct config *cfg;

	(void)state;
	text = g_strdup_printf(BASE "[oauth2]\nprovider = google\nclient_id = "
			       "%s\ntoken_url = %s\n", id, url);
	assert_int_equal(load(dir, text, &cfg, &err), 0);
	config_free(&cfg);
	g_free(text);
	text = g_strdup_printf(BASE "[oauth2]\nprovider = google\nclient_id = "
			       "%si\n", id);
	expect_bad(dir, text, "client_id");
	g_free(text);
	text = g_strdup_printf(BASE "[oauth2]\nprovider = google\nclient_id = "
			       "a\ntoken_url = %su\n", url);
	expect_bad(dir, text, "token_url");
	g_free(text);
	g_free(id);
	g_free(path);
	g_free(url);
	testutil_rmdir(dir);
}

/* ---- against the tests' authorization server -------------------------- */

struct srv {
	char *dir;
	char *state_dir;
	char *base;   /* http://127.0.0.1:PORT */
	struct config *cfg;
	int log_fd, saved_stderr;
	char *log_path;
};

static void
srv_cmd(struct srv *s, const char *extra)
{
	const char *tdir = getenv("TEMPLATES_DIR");
	char *src = g_path_get_dirname(tdir);
	char *cmd = g_strdup_printf("/usr/bin/python3 %s/tests/integration/"
				    "oauthsrv.py --state-dir %s %s", src,
				    s->state_dir, extra);

	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(src);
}

/* POST form to the server's admin path; the answer is not needed. */
static void
srv_admin(struct srv *s, const char *path, const char *form)
{
	char *url = g_strconcat(s->base, path, NULL);
	FILE *null = fopen("/dev/null", "w");
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	fclose(null);
	g_free(url);
}

/* How many /token calls the server has seen. */
static int
srv_token_calls(struct srv *s)
{
	char *url = g_strconcat(s->base, "/admin/stats", NULL);
	char *out = g_build_filename(s->dir, "stats.json", NULL);
	FILE *f = fopen(out, "w");
	CURL *c = curl_easy_init();
	char *text = NULL, *p;
	int n;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	fclose(f);
	assert_true(g_file_get_contents(out, &text, NULL, NULL));
	p = strstr(text, "\"token_calls\": ");
	assert_non_null(p);
	n = atoi(p + strlen("\"token_calls\": "));
	g_free(text);
	g_free(out);
	g_free(url);
	return n;
}

static int
srv_setup(void **state)
{
	struct srv *s = g_new0(struct srv, 1);
	struct cm_error err = { 0 };
	char *port = NULL, *text, *path, *pf;

	s->dir = testutil_tmpdir();
	s->state_dir = g_build_filename(s->dir, "srv", NULL);
	srv_cmd(s, "--daemon --rotate");
	pf = g_build_filename(s->state_dir, "port", NULL);
	assert_true(g_file_get_contents(pf, &port, NULL, NULL));
	g_strstrip(port);
	s->base = g_strdup_printf("http://127.0.0.1:%s", port);
	text = g_strdup_printf(BASE "[oauth2]\nprovider = generic\ngrant = "
			       "device\nclient_id = casemail-public\n"
			       "token_url = %s/token\ndevice_url = %s/devicecode"
			       "\nrefresh_token_file = rt\n", s->base, s->base);
	path = testutil_write(s->dir, "casemail.conf", text);
	assert_int_equal(config_load(path, &s->cfg, &err), 0);
	/* Every log line of the test goes to a file we read afterwards. */
	s->log_path = g_build_filename(s->dir, "log", NULL);
	fflush(stderr);
	s->saved_stderr = dup(2);
	s->log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(s->log_fd, 2);
	g_free(port);
	g_free(pf);
	g_free(text);
	g_free(path);
	*state = s;
	return 0;
}

static int
srv_teardown(void **state)
{
	struct srv *s = *state;

	fflush(stderr);
	dup2(s->saved_stderr, 2);
	close(s->saved_stderr);
	close(s->log_fd);
	/* SIGKILL: the server's own stop waits for idle connections. */
	{
		char *pf = g_build_filename(s->state_dir, "pid", NULL), *pid;

		assert_true(g_file_get_contents(pf, &pid, NULL, NULL));
		kill((pid_t)atoi(pid), SIGKILL);
		g_free(pid);
		g_free(pf);
	}
	config_free(&s->cfg);
	g_free(s->base);
	g_free(s->state_dir);
	g_free(s->log_path);
	testutil_rmdir(s->dir);
	g_free(s);
	return 0;
}

/* A refresh token the way casectl oauth login gets one: the device
 * grant approved by the server's admin endpoint.  Returns it (g_free). */
static char *
srv_login(struct srv *s)
{
	char *code, *path = g_build_filename(s->dir, "login.out", NULL);
	char *text = NULL, *rt = NULL, *p;
	struct cm_error err = { 0 };
	FILE *out = fopen(path, "w+");
	int status = 0;
	pid_t pid;

	srv_admin(s, "/admin/config", "interval=1");
	pid = fork();
	if (pid == 0)
		_exit(oauth2_login(s->cfg, 0, out, &err) == 0 ? 0 : 1);
	/* Wait for the code line, approve it, wait for the child. */
	for (int i = 0; i < 100; i++) {
		g_usleep(50000);
		g_free(text);
		text = NULL;
		g_file_get_contents(path, &text, NULL, NULL);
		if (text != NULL && strstr(text, "code: ") != NULL)
			break;
	}
	p = strstr(text, "code: ");
	assert_non_null(p);
	code = g_strdup_printf("user_code=%.*s", (int)strcspn(p + 6, "\n"),
			       p + 6);
	srv_admin(s, "/admin/approve", code);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fclose(out);
	g_free(text);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_non_null(strstr(text, "saved refresh token to "));
	assert_true(g_file_get_contents(s->cfg->oauth2_refresh_token_file, &rt,
					NULL, NULL));
	g_strstrip(rt);
	g_free(code);
	g_free(text);
	g_free(path);
	return rt;
}

/* Nothing that looks like one of the server's tokens in file path. */
static void
assert_no_tokens(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	if (strstr(text, "cmat-") != NULL || strstr(text, "cmrt-") != NULL)
		fail_msg("a token in %s:\n%s", path, text);
	g_free(text);
}

static void
test_rotation_and_revocation(void **state)
{
	struct srv *s = *state;
	struct cm_error err = { 0 };
	struct oauth2 *o = oauth2_new(s->cfg);
	char *rt0 = srv_login(s), *rt1 = NULL, *tok = NULL, *tok2 = NULL;
	char *form, *log = NULL;
	int calls;

	/* A token; the server rotates the refresh token: saved, 0600. */
	assert_int_equal(oauth2_token(o, NULL, &tok, &err), 0);
	assert_true(g_file_get_contents(s->cfg->oauth2_refresh_token_file,
					&rt1, NULL, NULL));
	g_strstrip(rt1);
	assert_string_not_equal(rt0, rt1);
	/* Used again while valid: no request. */
	calls = srv_token_calls(s);
	assert_int_equal(oauth2_token(o, NULL, &tok2, &err), 0);
	assert_string_equal(tok, tok2);
	assert_int_equal(srv_token_calls(s), calls);
	oauth2_secret_free(&tok2);
	/* Refused by a server: one new token. */
	assert_int_equal(oauth2_token(o, tok, &tok2, &err), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(srv_token_calls(s), calls + 1);
	/* The refresh token revoked: CM_EREFUSED, said once, and not sent
	 * again while the file holds the same one. */
	form = g_strdup_printf("all=both");
	srv_admin(s, "/admin/revoke", form);
	oauth2_secret_free(&tok);
	assert_int_equal(oauth2_token(o, tok2, &tok, &err), CM_EREFUSED);
	assert_non_null(strstr(err.msg, "run casectl oauth login"));
	calls = srv_token_calls(s);
	for (int i = 0; i < 5; i++)
		assert_int_equal(oauth2_token(o, NULL, &tok, &err), CM_EREFUSED);
	assert_int_equal(srv_token_calls(s), calls);
	/* A new login is picked up without a restart. */
	g_free(rt0);
	rt0 = srv_login(s);
	assert_int_equal(oauth2_token(o, NULL, &tok, &err), 0);
	fflush(stderr);
	assert_true(g_file_get_contents(s->log_path, &log, NULL, NULL));
	{
		const char *p = strstr(log, "refresh token rejected");

		assert_non_null(p);
		assert_null(strstr(p + 1, "refresh token rejected"));
	}
	assert_no_tokens(s->log_path);
	assert_no_tokens(s->cfg->oauth2_state_file);
	g_free(log);
	g_free(form);
	g_free(rt0);
	g_free(rt1);
	oauth2_secret_free(&tok);
	oauth2_secret_free(&tok2);
	oauth2_free(&o);
}

static void
test_endpoint_down(void **state)
{
	struct srv *s = *state;
	struct cm_error err = { 0 };
	struct oauth2 *o = oauth2_new(s->cfg);
	char *rt = srv_login(s), *tok = NULL, *text = NULL;
	int calls;

	srv_admin(s, "/admin/config", "down=true");
	calls = srv_token_calls(s);
	assert_int_equal(oauth2_token(o, NULL, &tok, &err), CM_ETEMP);
	/* Within the backoff nobody asks the server. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(oauth2_token(o, NULL, &tok, &err), CM_ETEMP);
	assert_int_equal(srv_token_calls(s), calls + 1);
	assert_true(g_file_get_contents(s->cfg->oauth2_state_file, &text, NULL,
					NULL));
	assert_non_null(strstr(text, "state=down"));
	g_free(text);
	/* Back up: after the backoff, a token again. */
	srv_admin(s, "/admin/config", "down=false");
	g_usleep((OAUTH2_BACKOFF_MIN_SECS + 1) * G_USEC_PER_SEC);
	assert_int_equal(oauth2_token(o, NULL, &tok, &err), 0);
	assert_true(g_file_get_contents(s->cfg->oauth2_state_file, &text, NULL,
					NULL));
	assert_non_null(strstr(text, "state=valid"));
	assert_no_tokens(s->log_path);
	assert_no_tokens(s->cfg->oauth2_state_file);
	g_free(text);
	g_free(rt);
	oauth2_secret_free(&tok);
	oauth2_free(&o);
}

/* The alert goes to the admin once per loss, not at every round. */
static void
test_mailbox_alert(void **state)
{
	struct testutil_env env;
	struct cm_error err = { 0 };
	struct outbound o;
	int64_t queued = 0, failed = 0;
	char *v = NULL;

	(void)state;
	testutil_env_open(&env, "[oauth2]\nadmin = it@desk.example\n");
	outbound_init(&o, env.store, env.cfg, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_begin(env.store, &err), 0);
		assert_int_equal(outbound_mailbox_alert(&o, "oauth2: refresh "
							"token rejected", 1000 + i,
							&err), 0);
		assert_int_equal(store_commit(env.store, &err), 0);
	}
	assert_int_equal(store_outbox_counts(env.store, &queued, &failed, &err),
			 0);
	assert_int_equal(queued, 1);
	/* Read again: cleared, and the next loss is told again. */
	assert_int_equal(store_begin(env.store, &err), 0);
	assert_int_equal(outbound_mailbox_alert(&o, NULL, 2000, &err), 0);
	assert_int_equal(store_setting_get(env.store, OUTBOUND_ALERT_KEY, &v,
					   &err), 0);
	assert_string_equal(v, "");
	assert_int_equal(outbound_mailbox_alert(&o, "again", 2001, &err), 0);
	assert_int_equal(store_commit(env.store, &err), 0);
	assert_int_equal(store_outbox_counts(env.store, &queued, &failed, &err),
			 0);
	assert_int_equal(queued, 2);
	g_free(v);
	outbound_clear(&o);
	testutil_env_close(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_refresh_decision),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_xoauth2_string),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_config_microsoft),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_mailbox_alert),
		cmocka_unit_test_setup_teardown(test_rotation_and_revocation,
						srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_down, srv_setup,
						srv_teardown),
	};

	log_init("test_oauth2");
	log_set_debug(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
