/*
 * webauth.c - agents' passwords and API tokens (see webauth.h).
 */
#include "casemail/webauth.h"

#include <sodium.h>
#include <string.h>

#include "casemail/agent.h"
#include "casemail/store_auth.h"
#include "casemail/timeutil.h"

/* 32 bytes of token: 256 bits, beyond guessing, in 43 base64url chars. */
#define WEBAUTH_TOKEN_BYTES 32

static int
webauth_init(struct cm_error *err)
{
	/* sodium_init() is safe to call again and from several threads;
	 * it only fails when the library cannot start at all. */
	if (sodium_init() < 0)
		return cm_error_set(err, CM_EINTERNAL, "libsodium does not "
				    "start");
	return 0;
}

static int
webauth_check_password_text(const char *password, struct cm_error *err)
{
	size_t len = password != NULL ? strlen(password) : 0;

	if (len < WEBAUTH_PASSWORD_MIN_BYTES)
		return cm_error_set(err, CM_EUSAGE, "the password is shorter "
				    "than %d bytes", WEBAUTH_PASSWORD_MIN_BYTES);
	if (len > WEBAUTH_PASSWORD_MAX_BYTES)
		return cm_error_set(err, CM_EUSAGE, "the password is longer "
				    "than %d bytes", WEBAUTH_PASSWORD_MAX_BYTES);
	if (!g_utf8_validate(password, (gssize)len, NULL))
		return cm_error_set(err, CM_EUSAGE, "the password is not "
				    "UTF-8");
	for (const char *p = password; *p != '\0'; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return cm_error_set(err, CM_EUSAGE, "the password "
					    "holds a control character");
	return 0;
}

static int
webauth_hash(const char *password, char out[crypto_pwhash_STRBYTES],
	     struct cm_error *err)
{
	if (crypto_pwhash_str(out, password, strlen(password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return cm_error_set(err, CM_EINTERNAL, "hashing the password "
				    "failed (out of memory)");
	return 0;
}

int
agent_password_set(struct store *s, const char *address,
		   const char *password, struct cm_error *err)
{
	char hash[crypto_pwhash_STRBYTES];
	int rc;

	if ((rc = webauth_check_password_text(password, err)) != 0 ||
	    (rc = webauth_init(err)) != 0 ||
	    (rc = webauth_hash(password, hash, err)) != 0)
		return rc;
	rc = store_agent_set_password_hash(s, address, hash, time_now(), err);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * A hash of nothing anyone knows, made once: checked against when there
 * is no real hash, so that an unknown address costs what a known one does.
 */
static gpointer
webauth_make_decoy(gpointer unused)
{
	char *decoy = g_malloc(crypto_pwhash_STRBYTES);
	unsigned char seed[16];

	(void)unused;
	randombytes_buf(seed, sizeof(seed));
	if (crypto_pwhash_str(decoy, (const char *)seed, sizeof(seed),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		decoy[0] = '\0';
	return decoy;
}

int
agent_password_check(struct store *s, const char *address,
		     const char *password, int *ok_r, struct cm_error *err)
{
	static GOnce decoy_once = G_ONCE_INIT;
	const char *decoy;
	char *hash = NULL;
	int disabled = 0, rc;
	size_t len;

	*ok_r = 0;
	if ((rc = webauth_init(err)) != 0)
		return rc;
	decoy = g_once(&decoy_once, webauth_make_decoy, NULL);
	rc = store_agent_password_hash(s, address, &hash, &disabled, err);
	if (rc == CM_ENOTFOUND) {
		cm_error_clear(err);
		rc = 0;
	}
	if (rc != 0)
		return rc;
	len = password != NULL ? strlen(password) : 0;
	if (hash != NULL && !disabled && password != NULL &&
	    len <= WEBAUTH_PASSWORD_MAX_BYTES)
		*ok_r = crypto_pwhash_str_verify(hash, password, len) == 0;
	else if (decoy[0] != '\0' &&
		 crypto_pwhash_str_verify(decoy, "", 0) == 0)
		*ok_r = 0;   /* the work is the point, not the answer */
	g_free(hash);
	return 0;
}

/* The SHA-256 of token as lower-case hex, into out (65 bytes). */
static void
webauth_token_hash(const char *token, char out[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)token,
			   strlen(token));
	sodium_bin2hex(out, crypto_hash_sha256_BYTES * 2 + 1, digest,
		       sizeof(digest));
}

static int
webauth_check_client_name(const char *name, struct cm_error *err)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > WEBAUTH_CLIENT_NAME_MAX ||
	    name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] != '\0')
		return cm_error_set(err, CM_EUSAGE, "an API client's name is 1 "
				    "to %d letters, digits, '.', '_' or '-'",
				    WEBAUTH_CLIENT_NAME_MAX);
	return 0;
}

int
apiclient_create(struct store *s, const char *name, const char *agent,
		 char **token_r, struct cm_error *err)
{
	unsigned char raw[WEBAUTH_TOKEN_BYTES];
	char b64[sodium_base64_ENCODED_LEN(WEBAUTH_TOKEN_BYTES,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	struct store_agent *a = NULL;
	char *token;
	int rc;

	*token_r = NULL;
	if ((rc = webauth_check_client_name(name, err)) != 0 ||
	    (rc = webauth_init(err)) != 0 ||
	    (rc = agent_find(s, agent, &a, err)) != 0)
		return rc;
	if (a == NULL)
		return cm_error_set(err, CM_ENOTFOUND, "%s is not a registered, "
				    "enabled agent (see casectl agent list)",
				    agent);
	store_agent_free(&a);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token = g_strconcat(WEBAUTH_TOKEN_PREFIX, b64, NULL);
	sodium_memzero(b64, sizeof(b64));
	webauth_token_hash(token, hash);
	rc = store_apiclient_add(s, name, hash, agent, time_now(), err);
	if (rc != 0) {
		sodium_memzero(token, strlen(token));
		g_free(token);
		return rc;
	}
	*token_r = token;
	return 0;
}

int
apiclient_revoke(struct store *s, const char *name, int64_t now,
		 struct cm_error *err)
{
	return store_apiclient_revoke(s, name, now, err);
}

int
apiclient_check(struct store *s, const char *token, int64_t now,
		char **agent_r, struct cm_error *err)
{
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	struct store_apiclient *c = NULL;
	struct store_agent *a = NULL;
	int rc;

	*agent_r = NULL;
	if (token == NULL || !g_str_has_prefix(token, WEBAUTH_TOKEN_PREFIX) ||
	    strlen(token) > 128)
		return cm_error_set(err, CM_EREFUSED, "not an API token");
	if ((rc = webauth_init(err)) != 0)
		return rc;
	/* The lookup is by the hash: an index lookup on a value no one
	 * can steer, so no string comparison leaks the token's prefix. */
	webauth_token_hash(token, hash);
	rc = store_apiclient_use(s, hash, now, &c, err);
	if (rc == CM_ENOTFOUND)
		return cm_error_set(err, CM_EREFUSED, "unknown or revoked API "
				    "token");
	if (rc != 0)
		return rc;
	if ((rc = agent_find(s, c->agent, &a, err)) == 0 && a == NULL)
		rc = cm_error_set(err, CM_EREFUSED, "API client %s acts as %s, "
				  "who is no longer an enabled agent", c->name,
				  c->agent);
	if (rc == 0)
		*agent_r = g_strdup(c->agent);
	store_agent_free(&a);
	store_apiclient_free(&c);
	return rc;
}
