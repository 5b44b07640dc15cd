/*
 * config_secret.c - reading a password or key file: one open descriptor,
 * checked (a regular file, nobody else may read or change it) and read,
 * so what is checked is what is read.
 */
#include "config_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A secret in systemd's credentials directory: systemd owns those files
 * and, under PrivateUsers=, their owner may show as the overflow uid. */
static int
config_in_credentials(const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir != NULL ? strlen(dir) : 0;

	return n > 1 && dir[0] == '/' && strncmp(path, dir, n) == 0 &&
	       path[n] == '/' && strchr(path + n + 1, '/') == NULL;
}

/* Refuse a secret others may read, change or swap: checked on the open
 * descriptor, so what is checked is what is read. */
static int
config_secret_check(const char *path, const struct stat *st,
		    struct cm_error *err)
{
	if (!S_ISREG(st->st_mode))
		return cm_error_set(err, CM_ECONFIG, "%s: refusing a secret "
				    "file that is not a regular file", path);
	/* A password others can read is a password others have. */
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return cm_error_set(err, CM_ECONFIG,
				    "%s: refusing a secret file that group "
				    "or others can access (mode %04o): chmod "
				    "600 it", path, (unsigned)(st->st_mode & 07777));
	if (st->st_uid != geteuid() && st->st_uid != 0 &&
	    !config_in_credentials(path))
		return cm_error_set(err, CM_ECONFIG,
				    "%s: refusing a secret file owned by uid "
				    "%u (neither this user nor root)", path,
				    (unsigned)st->st_uid);
	if (st->st_size > CONFIG_SECRET_MAX_BYTES)
		return cm_error_set(err, CM_ECONFIG, "%s: a secret file of "
				    "%lld bytes (at most %d)", path,
				    (long long)st->st_size,
				    CONFIG_SECRET_MAX_BYTES);
	return 0;
}

/* Up to CONFIG_SECRET_MAX_BYTES of fd into a new NUL-terminated string. */
static int
config_secret_read_fd(const char *path, int fd, char **text_r,
		      struct cm_error *err)
{
	char *buf = g_malloc(CONFIG_SECRET_MAX_BYTES + 1);
	size_t len = 0;
	ssize_t n;

	*text_r = NULL;
	/* One byte more than allowed: a file that grew after fstat() is
	 * refused, not cut. */
	while (len <= CONFIG_SECRET_MAX_BYTES &&
	       (n = read(fd, buf + len, CONFIG_SECRET_MAX_BYTES + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_free(buf);
			return cm_error_set(err, CM_ECONFIG, "%s: %s", path,
					    g_strerror(errno));
		}
		len += (size_t)n;
	}
	if (len > CONFIG_SECRET_MAX_BYTES) {
		g_free(buf);
		return cm_error_set(err, CM_ECONFIG, "%s: a secret file over "
				    "%d bytes", path, CONFIG_SECRET_MAX_BYTES);
	}
	buf[len] = '\0';
	*text_r = buf;
	return 0;
}

int
config_read_secret(const char *path, char **secret_r, struct cm_error *err)
{
	struct stat st;
	char *text = NULL;
	int fd, rc;

	*secret_r = NULL;
	if (g_str_has_prefix(path, CONFIG_CREDS_PREFIX))
		return cm_error_set(err, CM_ECONFIG, "%s: $CREDENTIALS_DIRECTORY "
				    "is not set (systemd's LoadCredential= sets "
				    "it for the service)", path);
	/* O_NONBLOCK: a FIFO put in the file's place must not hang us
	 * before fstat() can refuse it (it changes nothing for files). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		cm_error_set(err, CM_ECONFIG, "%s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return CM_ECONFIG;
	}
	rc = config_secret_check(path, &st, err);
	if (rc == 0)
		rc = config_secret_read_fd(path, fd, &text, err);
	close(fd);
	if (rc != 0)
		return rc;
	/* One line; the trailing newline editors add is not part of it. */
	text[strcspn(text, "\r\n")] = '\0';
	*secret_r = text;
	return 0;
}
