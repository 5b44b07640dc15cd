/* testutil.c - temp dirs and a ready store for unit tests. */
#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
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
	text = g_strdup_printf("[case]\naddress = cases@desk.example\n"
			       "organization_domains = desk.example\n%s",
			       extra_conf != NULL ? extra_conf : "");
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
