/* msgid.c - signed Message-IDs for outgoing mail (see msgid.h). */
/* explicit_bzero(3) */
#define _DEFAULT_SOURCE
#include "casemail/msgid.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/log.h"
#include "casemail/random.h"

/* 48 random bits: the nonce keeps two mails to one person on one case
 * apart; it is not what makes the ID unforgeable (the MAC is). */
#define MSGID_NONCE_HEX 12

const char *
msgid_domain(const struct config *cfg)
{
	const char *at = cfg->case_address != NULL
				 ? strrchr(cfg->case_address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : "casemail.invalid";
}

/*
 * Bytes of key material in a key line.  `openssl rand -hex 32` writes 64
 * hex digits for 32 random bytes, so a line of hex digits only counts
 * half its length; any other line counts its bytes.  The HMAC key is the
 * line as written either way (so keys made before this rule still verify
 * the Message-IDs they signed).
 */
static size_t
msgid_key_bytes(const char *line)
{
	size_t n = strlen(line);

	return strspn(line, "0123456789abcdefABCDEF") == n ? n / 2 : n;
}

int
msgid_key_check(const char *path, const char *line, struct cm_error *err)
{
	size_t bytes = msgid_key_bytes(line);

	if (bytes < MSGID_KEY_MIN_BYTES)
		return cm_error_set(err, CM_ECONFIG, "%s: the signing key has "
				    "%zu bytes of key material, at least %d "
				    "are needed (make one with: openssl rand "
				    "-hex 32 > %s)", path, bytes,
				    MSGID_KEY_MIN_BYTES, path);
	if (strlen(line) > MSGID_KEY_MAX)
		return cm_error_set(err, CM_ECONFIG, "%s: a signing key over "
				    "%d bytes", path, MSGID_KEY_MAX);
	return 0;
}

/* The key file beside the database: DBDIR/casemail.key. */
char *
msgid_key_path(const struct config *cfg)
{
	char *dir = g_path_get_dirname(cfg->store_database);
	char *path = g_build_filename(dir, MSGID_KEY_FILE, NULL);

	g_free(dir);
	return path;
}

static int
msgid_fsync_dir(const char *path)
{
	char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	g_free(dir);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

/*
 * Write a new key to a private temporary file, then link() it to path:
 * link fails if path exists, so of two processes starting at once one
 * key wins and the loser reads it.  The key is on disk (fsync) before its
 * name is; the directory is synced after.  *created_r: ours won.
 */
static int
msgid_key_create(const char *path, int *created_r, struct cm_error *err)
{
	char hex[2 * MSGID_KEY_MIN_BYTES + 2], nonce[17];
	char *tmp;
	int fd, rc = 0;

	*created_r = 0;
	random_hex(hex, MSGID_KEY_MIN_BYTES);
	strcat(hex, "\n");
	random_hex(nonce, 8);
	tmp = g_strdup_printf("%s.tmp.%s", path, nonce);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
	    fsync(fd) != 0)
		rc = cm_error_set(err, CM_ECONFIG, "%s: cannot write a new "
				  "signing key: %s", tmp, g_strerror(errno));
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = cm_error_set(err, CM_ECONFIG, "%s: %s", tmp,
				  g_strerror(errno));
	if (rc == 0 && link(tmp, path) == 0)
		*created_r = 1;
	else if (rc == 0 && errno != EEXIST)
		rc = cm_error_set(err, CM_ECONFIG, "%s: cannot create the "
				  "signing key: %s", path, g_strerror(errno));
	if (fd >= 0)
		unlink(tmp);
	if (rc == 0 && *created_r && msgid_fsync_dir(path) != 0)
		rc = cm_error_set(err, CM_ECONFIG, "%s: fsync of its "
				  "directory: %s", path, g_strerror(errno));
	explicit_bzero(hex, sizeof(hex));
	g_free(tmp);
	return rc;
}

/* Read the key file, making it first if there is none. */
static int
msgid_key_file(const char *path, char **key_r, struct cm_error *err)
{
	int created = 0, rc;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = msgid_key_create(path, &created, err);
		if (rc != 0)
			return rc;
		if (created)
			log_info("created the signing key %s (mode 0600)",
				 path);
	}
	return config_read_secret(path, key_r, err);
}

int
msgid_key(struct store *s, const struct config *cfg, char **key_r,
	  struct cm_error *err)
{
	char *path = cfg->case_secret_file != NULL
			     ? g_strdup(cfg->case_secret_file)
			     : msgid_key_path(cfg);
	int rc;

	/* The store no longer holds a key: the one older versions kept in
	 * its settings came from a predictable generator. */
	(void)s;
	*key_r = NULL;
	rc = cfg->case_secret_file != NULL
		     ? config_read_secret(path, key_r, err)
		     : msgid_key_file(path, key_r, err);
	if (rc == 0 && (rc = msgid_key_check(path, *key_r, err)) != 0) {
		explicit_bzero(*key_r, strlen(*key_r));
		g_free(*key_r);
		*key_r = NULL;
	}
	g_free(path);
	return rc;
}

int
msgid_key_ready(const struct config *cfg, struct cm_error *err)
{
	char *key = NULL;
	int rc;

	if (cfg->case_secret_file != NULL &&
	    g_str_has_prefix(cfg->case_secret_file, "$"))
		return 0;
	rc = msgid_key(NULL, cfg, &key, err);
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	g_free(key);
	return rc;
}

static void
msgid_rcpt_tag(const char *recipient, char out[9])
{
	char *lower, *sum;

	if (recipient == NULL || recipient[0] == '\0') {
		g_strlcpy(out, "0", 9);
		return;
	}
	lower = g_ascii_strdown(recipient, -1);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, lower, -1);
	g_strlcpy(out, sum, 9);
	g_free(sum);
	g_free(lower);
}

void
msgid_mac(const char *key, const char *text, char out[MSGID_MAC_HEX + 1])
{
	char *mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256,
					      (const guchar *)key, strlen(key),
					      text, -1);

	g_strlcpy(out, mac, MSGID_MAC_HEX + 1);
	g_free(mac);
}

char *
msgid_make(const char *key, const char *domain, int64_t case_id,
	   const char *recipient)
{
	char rcpt[9], mac[MSGID_MAC_HEX + 1], nonce[MSGID_NONCE_HEX + 1];
	char *body, *mid;

	msgid_rcpt_tag(recipient, rcpt);
	random_hex(nonce, MSGID_NONCE_HEX / 2);
	body = g_strdup_printf("cm.%lld.%s.%s", (long long)case_id, rcpt,
			       nonce);
	msgid_mac(key, body, mac);
	mid = g_strdup_printf("<%s.%s@%s>", body, mac, domain);
	g_free(body);
	return mid;
}

char *
msgid_loop_value(const char *key, const char *desk_address)
{
	char *lower = g_ascii_strdown(desk_address, -1);
	char *text = g_strconcat("casemail-loop\n", lower, NULL);
	char *mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256,
					      (const guchar *)key, strlen(key),
					      text, -1);
	char *value = g_strdup_printf("%s; id=%.*s", lower, MSGID_LOOP_ID_HEX,
				      mac);

	g_free(mac);
	g_free(text);
	g_free(lower);
	return value;
}

/* Compare in constant time: the MAC must not leak digit by digit. */
int
msgid_mac_equal(const char *a, const char *b)
{
	unsigned diff = 0;

	for (size_t i = 0; i < MSGID_MAC_HEX; i++)
		diff |= (unsigned)(g_ascii_tolower(a[i]) ^ g_ascii_tolower(b[i]));
	return diff == 0;
}

int
msgid_verify(const char *key, const char *domain, const char *mid,
	     int64_t *case_id_r)
{
	char *id, *at, *dot, mac[MSGID_MAC_HEX + 1];
	long long case_id;
	int ok = 0;

	if (mid == NULL || key == NULL)
		return 0;
	id = g_strdup(mid[0] == '<' ? mid + 1 : mid);
	if (id[0] != '\0' && id[strlen(id) - 1] == '>')
		id[strlen(id) - 1] = '\0';
	at = strrchr(id, '@');
	if (at == NULL || g_ascii_strcasecmp(at + 1, domain) != 0 ||
	    strncmp(id, "cm.", 3) != 0)
		goto out;
	*at = '\0';
	dot = strrchr(id, '.');
	if (dot == NULL || strlen(dot + 1) != MSGID_MAC_HEX)
		goto out;
	*dot = '\0';
	msgid_mac(key, id, mac);
	if (!msgid_mac_equal(mac, dot + 1))
		goto out;
	if (sscanf(id, "cm.%lld.", &case_id) != 1 || case_id <= 0)
		goto out;
	*case_id_r = case_id;
	ok = 1;
out:
	g_free(id);
	return ok;
}
