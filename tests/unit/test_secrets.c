/*
 * test_secrets.c - the signing key and secret files: too little key
 * material refused, the automatic key file, files others may read or swap
 * refused, and the modes of what the store creates whatever the umask.
 */
#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "casemail/attach.h"
#include "casemail/msgid.h"
#include "casemail/random.h"

/* Write text to dir/name with mode; returns the path (g_free). */
static char *
write_mode(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = testutil_write(dir, name, text);

	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* A config whose database lives in dir, with extra config text. */
static struct config *
conf_in(const char *dir, const char *extra)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	char *text = g_strdup_printf("[case]\naddress = cases@desk.example\n%s",
				     extra != NULL ? extra : "");
	char *path = testutil_write(dir, "casemail.conf", text);

	if (config_load(path, &cfg, &err) != 0)
		fail_msg("config: %s", err.msg);
	g_free(path);
	g_free(text);
	return cfg;
}

/* msgid_key() with secret_file = a file holding text; returns its code
 * and checks that a refusal names the file. */
static int
key_from(const char *dir, const char *text, char **key_r)
{
	struct cm_error err = { 0 };
	char *path = write_mode(dir, "msgid.secret", text, 0600);
	struct config *cfg = conf_in(dir, "secret_file = msgid.secret\n");
	int rc = msgid_key(NULL, cfg, key_r, &err);

	if (rc != 0 && strstr(err.msg, path) == NULL)
		fail_msg("refusal '%s' does not name %s", err.msg, path);
	if (rc != 0)
		assert_null(*key_r);
	config_free(&cfg);
	g_free(path);
	return rc;
}

static void
test_key_length(void **state)
{
	char *dir = testutil_tmpdir();
	char *key = NULL, *hex63 = g_strnfill(63, 'a'), *hex64;
	char *raw31 = g_strnfill(31, 'x'), *raw32 = g_strnfill(32, 'x');
	char *line;

	(void)state;
	/* The README's old set-up made the file before filling it. */
	assert_int_equal(key_from(dir, "", &key), CM_ECONFIG);
	assert_int_equal(key_from(dir, "\n", &key), CM_ECONFIG);
	/* Hex digits count half: 63 of them are 31.5 bytes. */
	assert_int_equal(key_from(dir, hex63, &key), CM_ECONFIG);
	hex64 = g_strconcat(hex63, "f", NULL);
	line = g_strconcat(hex64, "\n", NULL);
	assert_int_equal(key_from(dir, line, &key), 0);
	assert_string_equal(key, hex64);   /* the line as written */
	g_free(key);
	key = NULL;
	/* Any other line counts its bytes. */
	assert_int_equal(key_from(dir, raw31, &key), CM_ECONFIG);
	assert_int_equal(key_from(dir, raw32, &key), 0);
	assert_string_equal(key, raw32);
	g_free(key);
	key = NULL;
	/* What counts is the first line, not the file. */
	g_free(line);
	line = g_strconcat(raw31, "\n", raw32, NULL);
	assert_int_equal(key_from(dir, line, &key), CM_ECONFIG);
	g_free(line);
	g_free(hex63);
	g_free(hex64);
	g_free(raw31);
	g_free(raw32);
	testutil_rmdir(dir);
}

static void
test_key_check_message(void **state)
{
	struct cm_error err = { 0 };

	(void)state;
	assert_int_equal(msgid_key_check("/etc/k", "abcd", &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, "/etc/k"));
	assert_non_null(strstr(err.msg, "2 bytes"));
	assert_non_null(strstr(err.msg, "openssl rand -hex 32"));
}

/* Read path's whole content (g_free). */
static char *
slurp(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* Names in dir other than the ones expected. */
static int
count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	int n = 0;

	assert_non_null(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

static void
test_key_file_created(void **state)
{
	struct cm_error err = { 0 };
	char *dir = testutil_tmpdir();
	struct config *cfg = conf_in(dir, NULL);
	char *path = msgid_key_path(cfg), *key1 = NULL, *key2 = NULL, *text;
	struct stat st;

	(void)state;
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(msgid_key(NULL, cfg, &key1, &err), 0);
	/* Beside the database, private, 32 random bytes as 64 hex digits. */
	assert_true(g_str_has_suffix(path, "/" MSGID_KEY_FILE));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	text = slurp(path);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	assert_int_equal(strncmp(text, key1, 64), 0);
	/* Read, not made again, on the next start. */
	assert_int_equal(msgid_key(NULL, cfg, &key2, &err), 0);
	assert_string_equal(key1, key2);
	/* No temporary file left: the config, the key. */
	assert_int_equal(count_entries(dir), 2);
	/* A key file others may read is refused like any secret. */
	assert_int_equal(chmod(path, 0640), 0);
	g_free(key2);
	key2 = NULL;
	assert_int_equal(msgid_key(NULL, cfg, &key2, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, path));
	assert_null(key2);
	/* A key file cut short is refused, not replaced. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(g_file_set_contents(path, "0123\n", -1, NULL));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(msgid_key(NULL, cfg, &key2, &err), CM_ECONFIG);
	g_free(text);
	g_free(key1);
	g_free(path);
	config_free(&cfg);
	testutil_rmdir(dir);
}

#define RACERS 8

/* Several processes starting at once on a store without a key agree on
 * one. */
static void
test_key_file_race(void **state)
{
	char *dir = testutil_tmpdir();
	struct config *cfg = conf_in(dir, NULL);
	int fds[RACERS][2];
	char keys[RACERS][80];
	pid_t pids[RACERS];

	(void)state;
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct cm_error err = { 0 };
			char *key = NULL;
			int rc = msgid_key(NULL, cfg, &key, &err);

			if (rc == 0 && write(fds[i][1], key, strlen(key)) < 0)
				rc = 1;
			_exit(rc == 0 ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < RACERS; i++) {
		int status = 0;
		ssize_t n = read(fds[i][0], keys[i], sizeof(keys[i]) - 1);

		assert_true(n > 0);
		keys[i][n] = '\0';
		close(fds[i][0]);
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_string_equal(keys[i], keys[0]);
	}
	assert_int_equal(count_entries(dir), 2);
	config_free(&cfg);
	testutil_rmdir(dir);
}

static void
test_secret_file_refusals(void **state)
{
	struct cm_error err = { 0 };
	char *dir = testutil_tmpdir();
	char *ok = write_mode(dir, "ok", "pw\nignored\n", 0600);
	char *group = write_mode(dir, "group", "pw\n", 0640);
	char *other = write_mode(dir, "other", "pw\n", 0604);
	char *link = g_build_filename(dir, "link", NULL);
	char *fifo = g_build_filename(dir, "fifo", NULL);
	char *big, *big_text = g_strnfill(CONFIG_SECRET_MAX_BYTES + 1, 'x');
	char *secret = NULL;

	(void)state;
	assert_int_equal(config_read_secret(ok, &secret, &err), 0);
	assert_string_equal(secret, "pw");
	g_free(secret);
	secret = NULL;
	assert_int_equal(config_read_secret(group, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, group));
	assert_non_null(strstr(err.msg, "0640"));
	assert_null(secret);
	assert_int_equal(config_read_secret(other, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, "0604"));
	/* A symbolic link, even to a good file: not followed. */
	assert_int_equal(symlink(ok, link), 0);
	assert_int_equal(config_read_secret(link, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, link));
	/* A directory or a FIFO: refused at once (a FIFO must not hang). */
	assert_int_equal(config_read_secret(dir, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, "regular file"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(config_read_secret(fifo, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, "regular file"));
	/* One byte over the limit. */
	big = write_mode(dir, "big", big_text, 0600);
	assert_int_equal(config_read_secret(big, &secret, &err), CM_ECONFIG);
	assert_non_null(strstr(err.msg, big));
	big_text[CONFIG_SECRET_MAX_BYTES] = '\0';
	g_free(big);
	big = write_mode(dir, "big", big_text, 0600);
	assert_int_equal(config_read_secret(big, &secret, &err), 0);
	assert_int_equal(strlen(secret), CONFIG_SECRET_MAX_BYTES);
	g_free(secret);
	g_free(big);
	g_free(big_text);
	g_free(ok);
	g_free(group);
	g_free(other);
	g_free(link);
	g_free(fifo);
	testutil_rmdir(dir);
}

static void
assert_mode(const char *path, mode_t want)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != want)
		fail_msg("%s: mode %04o, want %04o", path,
			 (unsigned)(st.st_mode & 07777), (unsigned)want);
}

/* The store and the attachments are private whatever the umask of the
 * caller (a test, or a library user who never set one). */
static void
test_modes_under_umask_022(void **state)
{
	struct cm_error err = { 0 };
	struct testutil_env env;
	mode_t old = umask(022);
	char sha[ATTACH_SHA256_HEX], *wal, *shm, *blob, *fan;
	int created = 0;

	(void)state;
	testutil_env_open(&env, NULL);
	assert_int_equal(store_begin(env.store, &err), 0);
	assert_int_equal(store_setting_set(env.store, "k", "v", &err), 0);
	assert_int_equal(store_commit(env.store, &err), 0);
	wal = g_strconcat(env.cfg->store_database, "-wal", NULL);
	shm = g_strconcat(env.cfg->store_database, "-shm", NULL);
	assert_mode(env.cfg->store_database, 0600);
	assert_mode(wal, 0600);
	assert_mode(shm, 0600);
	assert_int_equal(attach_put(env.cfg->store_attachments, "data", 4, 0,
				    sha, &created, &err), 0);
	blob = attach_path(env.cfg->store_attachments, sha);
	fan = g_path_get_dirname(blob);
	assert_mode(env.cfg->store_attachments, 0700);
	assert_mode(fan, 0700);
	assert_mode(blob, 0600);
	umask(old);
	g_free(wal);
	g_free(shm);
	g_free(blob);
	g_free(fan);
	testutil_env_close(&env);
}

/* Every Message-ID has its own nonce from getrandom(), and only our key
 * makes a signature that verifies. */
static void
test_msgid_random(void **state)
{
	const char *key = "0123456789abcdef0123456789abcdef"
			  "0123456789abcdef0123456789abcdef";
	char *a = msgid_make(key, "desk.example", 7, "x@y.example");
	char *b = msgid_make(key, "desk.example", 7, "x@y.example");
	char hex[65];
	int64_t id = 0;

	(void)state;
	assert_string_not_equal(a, b);
	assert_true(msgid_verify(key, "desk.example", a, &id));
	assert_int_equal(id, 7);
	assert_false(msgid_verify("another key of thirty-two bytes!",
				  "desk.example", a, &id));
	random_hex(hex, 32);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
	g_free(a);
	g_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_length),
		cmocka_unit_test(test_key_check_message),
		cmocka_unit_test(test_key_file_created),
		cmocka_unit_test(test_key_file_race),
		cmocka_unit_test(test_secret_file_refusals),
		cmocka_unit_test(test_modes_under_umask_022),
		cmocka_unit_test(test_msgid_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
