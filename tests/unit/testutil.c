/* testutil.c - temp dirs and a ready store for unit tests. */
/* libopendkim's header uses the BSD types (u_char, u_int). */
#define _DEFAULT_SOURCE

#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include <opendkim/dkim.h>
#include <string.h>

char *
testutil_tmpdir(void)
{
	char *dir = g_dir_make_tmp("casemail-test-XXXXXX", NULL);

	assert_non_null(dir);
	return dir;
}

static void
testutil_rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *child = g_build_filename(path, name, NULL);

			testutil_rm_tree(child);
			g_free(child);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

void
testutil_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	testutil_rm_tree(dir);
	g_free(dir);
}

char *
testutil_write(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

void
testutil_env_open(struct testutil_env *env, const char *extra_conf)
{
	struct cm_error err = { 0 };
	struct store_options opt = { 0 };
	char *text, *path;

	memset(env, 0, sizeof(*env));
	env->dir = testutil_tmpdir();
	/* DKIM keys from a file of the test's own (empty unless a test
	 * adds keys with testutil_dkim_key()): no test asks DNS. */
	text = g_strdup_printf("[case]\naddress = cases@desk.example\n"
			       "organization_domains = desk.example\n%s\n"
			       "[trust]\ndkim_key_file = dkim-keys\n",
			       extra_conf != NULL ? extra_conf : "");
	g_free(testutil_write(env->dir, "dkim-keys", ""));
	path = testutil_write(env->dir, "casemail.conf", text);
	if (config_load(path, &env->cfg, &err) != 0)
		fail_msg("config: %s", err.msg);
	opt.busy_timeout_ms = 1000;
	opt.cfg = env->cfg;
	if (store_open(env->cfg->store_database, &opt, &env->store, &err) != 0)
		fail_msg("store: %s", err.msg);
	g_free(text);
	g_free(path);
}

void
testutil_env_close(struct testutil_env *env)
{
	store_close(&env->store);
	config_free(&env->cfg);
	testutil_rmdir(env->dir);
	env->dir = NULL;
}

/* ---- DKIM ---------------------------------------------------------------- */

char *
testutil_dkim_key(const char *dir, const char *selector, const char *domain)
{
	char *key = g_build_filename(dir, "dkim-key.pem", NULL);
	char *keys = g_build_filename(dir, "dkim-keys", NULL);
	char *cmd, *pem = NULL, *pub = NULL, *line;
	int status = -1;
	FILE *f;

	cmd = g_strdup_printf("sh -c 'openssl genrsa -out \"%s\" 1024 "
			      "2>/dev/null && openssl rsa -in \"%s\" -pubout "
			      "-outform DER 2>/dev/null | base64 -w0'",
			      key, key);
	assert_true(g_spawn_command_line_sync(cmd, &pub, NULL, &status, NULL));
	assert_int_equal(status, 0);
	assert_true(g_file_get_contents(key, &pem, NULL, NULL));
	line = g_strdup_printf("%s._domainkey.%s v=DKIM1; k=rsa; p=%s\n",
			       selector, domain, g_strstrip(pub));
	f = fopen(keys, "a");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
	g_remove(key);
	g_free(line);
	g_free(pub);
	g_free(cmd);
	g_free(keys);
	g_free(key);
	return pem;
}

char *
testutil_dkim_sign(const char *raw, const char *pem, const char *selector,
		   const char *domain)
{
	return testutil_dkim_sign_len(raw, pem, selector, domain, -1);
}

char *
testutil_dkim_sign_len(const char *raw, const char *pem, const char *selector,
		       const char *domain, ssize_t body_len)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	DKIM_STAT st;
	DKIM *dkim;
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	char *out;

	assert_non_null(lib);
	dkim = dkim_sign(lib, (const unsigned char *)"test", NULL,
			 (dkim_sigkey_t)pem, (const unsigned char *)selector,
			 (const unsigned char *)domain, DKIM_CANON_RELAXED,
			 DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, body_len, &st);
	assert_non_null(dkim);
	assert_int_equal(dkim_chunk(dkim, (unsigned char *)raw, strlen(raw)),
			 DKIM_STAT_OK);
	assert_int_equal(dkim_chunk(dkim, NULL, 0), DKIM_STAT_OK);
	assert_int_equal(dkim_eom(dkim, NULL), DKIM_STAT_OK);
	assert_int_equal(dkim_getsighdr_d(dkim, strlen("DKIM-Signature: "),
					  &hdr, &hlen), DKIM_STAT_OK);
	out = g_strdup_printf("DKIM-Signature: %.*s\r\n%s", (int)hlen,
			      (const char *)hdr, raw);
	dkim_free(dkim);
	dkim_close(lib);
	return out;
}
