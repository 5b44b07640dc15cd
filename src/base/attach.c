/* attach.c - content-addressed blob files. */
/* syncfs(2) */
#define _GNU_SOURCE
#include "casemail/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <gnutls/crypto.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
attach_path(const char *dir, const char *sha256)
{
	/* One level of 256 directories: a second level would cost a mkdir
	 * per blob for the first million blobs, and ext4's hashed
	 * directories hold tens of thousands of names each without pain. */
	char a[3] = { sha256[0], sha256[1], 0 };

	return g_build_filename(dir, a, sha256, NULL);
}

int
attach_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
attach_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* An I/O error on path: a full disk says so in the one wording every
 * layer uses (error.h); anything else is CM_ETEMP with errno's text. */
static int
attach_io_err(struct cm_error *err, const char *op, const char *path)
{
	int e = errno;
	char *what;
	int rc;

	if (!cm_errno_is_disk_full(e))
		return cm_error_set(err, CM_ETEMP, "attachments: %s %s: %s", op,
				    path, g_strerror(e));
	what = g_strdup_printf("attachments: %s %s", op, path);
	rc = cm_error_disk_full(err, what);
	g_free(what);
	return rc;
}

/*
 * Make dir and any missing parents, mode 0700, and fsync the parent of each
 * directory made: a new fan-out directory's name lives in its parent, and
 * a blob under it is durable only once that name is.  Returns 0 or -1 with
 * errno set.
 */
static int
attach_mkdir_durable(const char *dir)
{
	char *parent = g_path_get_dirname(dir);
	int rc = 0;

	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST) {
			g_free(parent);
			return 0;
		}
		if (errno != ENOENT || strcmp(parent, dir) == 0 ||
		    attach_mkdir_durable(parent) != 0 ||
		    (mkdir(dir, 0700) != 0 && errno != EEXIST))
			rc = -1;
	}
	if (rc == 0)
		rc = attach_fsync_dir(parent);
	g_free(parent);
	return rc;
}

/* Write tmp in the target directory, fsync, rename, fsync the directory
 * (the fsyncs left to attach_sync() when deferred). */
static int
attach_write_file(const char *path, const void *data, size_t len,
		  int deferred, struct cm_error *err)
{
	char *dir = g_path_get_dirname(path);
	char *tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* The fan-out directories are made on first use only.  Explicit
	 * private modes (0700, files 0600): a caller's umask of 022 must not
	 * make customers' attachments readable by every local user. */
	if (fd < 0 && errno == ENOENT) {
		if (attach_mkdir_durable(dir) != 0) {
			rc = cm_errno_is_disk_full(errno)
				     ? attach_io_err(err, "create", dir)
				     : cm_error_set(err, CM_ESTORE,
						    "attachments: cannot "
						    "create %s: %s", dir,
						    g_strerror(errno));
			g_free(tmp);
			g_free(dir);
			return rc;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0 || attach_write_all(fd, data, len) != 0 ||
	    (!deferred && fsync(fd) != 0))
		rc = attach_io_err(err, "write", tmp);
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = attach_io_err(err, "close", tmp);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = attach_io_err(err, "rename", path);
	if (rc == 0 && !deferred && attach_fsync_dir(dir) != 0)
		rc = attach_io_err(err, "fsync", dir);
	if (rc != 0)
		g_unlink(tmp);
	g_free(tmp);
	g_free(dir);
	return rc;
}

void
attach_sha256_hex(const void *data, size_t len, char hex_r[ATTACH_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	GChecksum *ck;
	gsize n = sizeof(md);

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, md) != 0) {
		/* Not expected (SHA-256 is always built in); stay correct. */
		ck = g_checksum_new(G_CHECKSUM_SHA256);
		g_checksum_update(ck, data, len);
		g_checksum_get_digest(ck, md, &n);
		g_checksum_free(ck);
	}
	for (size_t i = 0; i < sizeof(md); i++) {
		hex_r[2 * i] = digits[md[i] >> 4];
		hex_r[2 * i + 1] = digits[md[i] & 15];
	}
	hex_r[64] = '\0';
}

int
attach_put(const char *dir, const void *data, size_t len, int deferred,
	   char sha_r[ATTACH_SHA256_HEX], int *created_r, struct cm_error *err)
{
	char *path;
	struct stat st;
	int rc = 0;

	*created_r = 0;
	attach_sha256_hex(data, len, sha_r);
	path = attach_path(dir, sha_r);
	/* Same name, same size: the same bytes.  A short file (cut by a
	 * power loss before its sync) is written again. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == len) {
		g_free(path);
		return 0;
	}
	rc = attach_write_file(path, data, len, deferred, err);
	if (rc == 0)
		*created_r = 1;
	g_free(path);
	return rc;
}

int
attach_get(const char *dir, const char *sha256, char **data_r, size_t *len_r,
	   struct cm_error *err)
{
	char *path;
	GError *gerr = NULL;
	gsize len = 0;
	int rc = 0;

	*data_r = NULL;
	if (sha256 == NULL || strlen(sha256) != 64 ||
	    strspn(sha256, "0123456789abcdef") != 64)
		return cm_error_set(err, CM_EINPUT, "attachments: bad blob name");
	path = attach_path(dir, sha256);
	if (!g_file_get_contents(path, data_r, &len, &gerr)) {
		rc = cm_error_set(err, CM_ENOTFOUND, "attachments: %s",
				  gerr->message);
		g_error_free(gerr);
	}
	*len_r = len;
	g_free(path);
	return rc;
}

int
attach_sync(const char *dir, struct cm_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0) {
		/* Nothing was ever written there. */
		if (errno == ENOENT)
			return 0;
		return cm_error_set(err, CM_ESTORE, "attachments: open %s: %s",
				    dir, g_strerror(errno));
	}
	if (syncfs(fd) != 0)
		rc = attach_io_err(err, "syncfs", dir);
	close(fd);
	return rc;
}
