/*
 * oauth2_file.c - the files of the token source: the refresh token
 * (read like a password file, written atomically when it rotates), the
 * client secret, and the state file casectl status reads.
 */
#include "oauth2_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casemail/attach.h"
#include "casemail/log.h"
#include "casemail/timeutil.h"

/* The state file is small; anything bigger is not ours. */
#define OAUTH2_STATE_MAX_BYTES 8192

/*
 * The file only replaces the old one once its bytes are on disk, and the
 * rename only counts once the directory is: after a crash there is the
 * old token or the new one, never half of either.
 */
int
oauth2_write_atomic(const char *path, const char *data, size_t len, int mode,
		    struct cm_error *err)
{
	char *tmp = g_strdup_printf("%s.tmpXXXXXX", path), *dir = NULL;
	int fd, rc = 0, saved;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = cm_error_set(err, CM_ECONFIG, "%s: cannot write beside "
				  "it: %s", path, g_strerror(errno));
		g_free(tmp);
		return rc;
	}
	/* g_mkstemp_full() honours the umask only partly: be exact. */
	if (fchmod(fd, (mode_t)mode) != 0 || attach_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		rc = cm_errno_is_disk_full(saved)
			? cm_error_set(err, CM_ETEMP, "%s: %s", path,
				       g_strerror(saved))
			: cm_error_set(err, CM_ECONFIG, "%s: %s", path,
				       g_strerror(saved));
		g_free(tmp);
		return rc;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = cm_error_set(err, CM_ECONFIG, "%s: %s", path,
				  g_strerror(errno));
		unlink(tmp);
	} else if ((dir = g_path_get_dirname(path)) == NULL ||
		   attach_fsync_dir(dir) != 0) {
		rc = cm_error_set(err, CM_ETEMP, "%s: fsync of its directory: "
				  "%s", path, g_strerror(errno));
	}
	g_free(dir);
	g_free(tmp);
	return rc;
}

int
oauth2_save_refresh(const struct config *cfg, const char *token,
		    struct cm_error *err)
{
	char *line = g_strconcat(token, "\n", NULL);
	int rc = oauth2_write_atomic(cfg->oauth2_refresh_token_file, line,
				     strlen(line), 0600, err);

	oauth2_secret_free(&line);
	return rc;
}

int
oauth2_client_secret(const struct config *cfg, char **secret_r,
		     struct cm_error *err)
{
	*secret_r = NULL;
	if (cfg->oauth2_client_secret_file == NULL)
		return 0;
	return config_read_secret(cfg->oauth2_client_secret_file, secret_r,
				  err);
}

/* Times in the state file: ISO 8601 for people, "never" for 0. */
static void
oauth2_iso(int64_t t, char *buf, size_t size)
{
	if (t == 0)
		g_strlcpy(buf, "never", size);
	else
		time_format_iso(t, buf, size);
}

static const char *const grant_words[] = {
	"client_credentials", "device", "authorization_code",
};
static const char *const provider_words[] = {
	"none", "microsoft", "google", "generic",
};

void
oauth2_state_write(const struct config *cfg, const char *state,
		   int64_t valid_until, int64_t last_refresh,
		   const char *last_error)
{
	char until[64], last[64], now[64];
	struct cm_error err = { 0 };
	char *text;

	oauth2_iso(valid_until, until, sizeof(until));
	oauth2_iso(last_refresh, last, sizeof(last));
	oauth2_iso(time_now(), now, sizeof(now));
	/* Never a token here: this file is for anyone who may run casectl. */
	text = g_strdup_printf("state=%s\nprovider=%s\ngrant=%s\n"
			       "valid_until=%s\nlast_refresh=%s\n"
			       "last_error=%s\nupdated=%s\n", state,
			       provider_words[cfg->oauth2_provider],
			       grant_words[cfg->oauth2_grant], until, last,
			       last_error != NULL ? last_error : "", now);
	if (oauth2_write_atomic(cfg->oauth2_state_file, text, strlen(text),
				0644, &err) != 0)
		log_warnx("oauth2: state file not written: %s", err.msg);
	g_free(text);
}

int
oauth2_state_read(const struct config *cfg, GHashTable **state_r,
		  struct cm_error *err)
{
	GHashTable *t;
	char *text = NULL, **lines;
	GError *gerr = NULL;
	gsize len = 0;

	*state_r = NULL;
	if (cfg->oauth2_state_file == NULL)
		return cm_error_set(err, CM_ENOTFOUND, "oauth2 is not used");
	if (!g_file_get_contents(cfg->oauth2_state_file, &text, &len, &gerr)) {
		int code = gerr->code == G_FILE_ERROR_NOENT ? CM_ENOTFOUND
							     : CM_ECONFIG;

		cm_error_set(err, code, "%s: %s", cfg->oauth2_state_file,
			     gerr->message);
		g_error_free(gerr);
		return code;
	}
	if (len > OAUTH2_STATE_MAX_BYTES) {
		g_free(text);
		return cm_error_set(err, CM_ECONFIG, "%s: too big for a state "
				    "file", cfg->oauth2_state_file);
	}
	t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *eq = strchr(*l, '=');

		if (eq != NULL && eq != *l)
			g_hash_table_replace(t, g_strndup(*l, (gsize)(eq - *l)),
					     g_strdup(eq + 1));
	}
	g_strfreev(lines);
	g_free(text);
	*state_r = t;
	return 0;
}
