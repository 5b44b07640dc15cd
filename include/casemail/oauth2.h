/*
 * oauth2.h - OAuth2 access tokens for IMAP and SMTP (RFC 6749): fetched
 * from the [oauth2] token endpoint with libcurl, parsed with json-glib,
 * kept in memory only, refreshed before they expire; and the one-time
 * logins (device authorization, RFC 8628; authorization code with PKCE,
 * RFC 7636) that store the refresh token.  No SQL and no policy.
 *
 * Secrets: an access or refresh token, or the client secret, never goes
 * into a log line, an error message or the state file.  The refresh
 * token lives in [oauth2] refresh_token_file (read with the rules of
 * password files, config_read_secret()); when the server rotates it the
 * new one replaces the file atomically (temporary file, fsync, rename,
 * fsync of the directory).  The state file holds what casectl status
 * shows: state, valid until, last refresh, last error.
 *
 * Transport: https:// with the certificate and host verified (against
 * [oauth2] tls_ca_file or the system trust); http:// only to loopback
 * (config_load() refuses anything else).
 *
 * Threads: a struct oauth2 has its own lock; any thread may ask it for a
 * token (the fetcher and the outbox's SMTP sessions share one through
 * oauth2_shared()).
 */
#ifndef CASEMAIL_OAUTH2_H
#define CASEMAIL_OAUTH2_H

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "casemail/config.h"
#include "casemail/error.h"

/* An access token is refreshed when less than this, or a tenth of its
 * life, is left: a server that checks it a little later must still
 * take it.  A token that lives 2 s is therefore fetched for each use. */
#define OAUTH2_REFRESH_MARGIN_SECS 60
/* Token endpoint down: wait 2 s, doubling, at most 5 minutes. */
#define OAUTH2_BACKOFF_MIN_SECS 2
#define OAUTH2_BACKOFF_MAX_SECS 300
/* A reply over this is not a token reply. */
#define OAUTH2_REPLY_MAX_BYTES 65536
/* Longest token we take: they go into SASL strings and files. */
#define OAUTH2_TOKEN_MAX_BYTES 16384

/* Where the token source stands; the words are oauth2_state_name()'s. */
enum oauth2_state {
	OAUTH2_STATE_NONE,      /* nothing fetched yet */
	OAUTH2_STATE_VALID,     /* an access token is held */
	OAUTH2_STATE_DOWN,      /* token endpoint unreachable: backing off */
	OAUTH2_STATE_REJECTED,  /* refresh token refused: login needed */
	OAUTH2_STATE_NO_LOGIN,  /* no refresh token stored yet */
	OAUTH2_STATE_ERROR,     /* client refused or other configuration */
};

/* What a token reply said (oauth2_parse_reply()); strings g_free()d by
 * oauth2_reply_clear(). */
struct oauth2_reply {
	char *access_token;
	char *refresh_token;     /* NULL: the server did not rotate it */
	int64_t expires_in;      /* seconds; 3600 when the server is silent */
	char *error;             /* RFC 6749 5.2 error code, or NULL */
	char *error_description; /* cleaned to one printable line */
};

/*
 * Parse a token endpoint reply (a JSON object of len bytes): success
 * fields, or error and error_description.  A success without a
 * Bearer-type, well-formed access token is CM_EINPUT.  Returns 0 when
 * the body is a JSON object (error replies too), CM_EINPUT otherwise.
 */
int oauth2_parse_reply(const char *body, size_t len, struct oauth2_reply *r,
		       struct cm_error *err);
void oauth2_reply_clear(struct oauth2_reply *r);

/* Nonzero when a token obtained at issued and expiring at expires must
 * be refreshed before use at now (see OAUTH2_REFRESH_MARGIN_SECS). */
int oauth2_needs_refresh(int64_t now, int64_t issued, int64_t expires);

/* The backoff after failures consecutive failures (1 or more). */
int oauth2_backoff_secs(int failures);

/*
 * Write len bytes to path atomically: a temporary file in the same
 * directory with mode, fsync, rename over path, fsync of the directory.
 * CM_ETEMP (disk full) or CM_ECONFIG (cannot write there) naming path.
 */
int oauth2_write_atomic(const char *path, const char *data, size_t len,
			int mode, struct cm_error *err);

struct oauth2;

/* A token source for cfg's [oauth2] (borrowed until oauth2_free()). */
struct oauth2 *oauth2_new(const struct config *cfg);
void oauth2_free(struct oauth2 **o);

/*
 * The process's token source for cfg (created on first use): the IMAP
 * fetcher and the SMTP sessions share one access token.  A configuration
 * loaded again gets a new one.  oauth2_shared_clear() frees them all
 * (at exit, after every thread that used one has stopped).
 */
struct oauth2 *oauth2_shared(const struct config *cfg);
void oauth2_shared_clear(void);

/*
 * A usable access token into *token_r (caller wipes and g_free()s).
 * refused: the token the server just refused (or NULL): if it is still
 * the one held, it is dropped and a new one fetched, once.
 * Errors: CM_ETEMP (endpoint down, backing off: err says until when),
 * CM_EREFUSED (the refresh token was refused, or none is stored yet: an
 * admin must run "casectl oauth login"; the file is read again at each
 * call, so a new login is picked up at once), CM_ECONFIG (the client is
 * refused, the secret file unreadable).  Each change of state is logged
 * once, never each call.
 */
int oauth2_token(struct oauth2 *o, const char *refused, char **token_r,
		 struct cm_error *err);

/* The current state and, for status lines, a short description of it
 * (no secret) into buf. */
enum oauth2_state oauth2_describe(struct oauth2 *o, char *buf, size_t size);

/* Wipe and free a secret string (a token, a password); accepts NULL
 * and clears the pointer. */
void oauth2_secret_free(char **s);

/* "valid", "down", "rejected", ... for state. */
const char *oauth2_state_name(enum oauth2_state state);

/* The XOAUTH2 initial response (before base64): "user=U\1auth=Bearer
 * T\1\1"; caller wipes and g_free()s. */
char *oauth2_xoauth2_string(const char *user, const char *token);

/*
 * The state file as key/value pairs (state, provider, grant,
 * valid_until, last_refresh, last_error, updated) into a new table
 * (g_hash_table_unref()); CM_ENOTFOUND when there is none yet.
 */
int oauth2_state_read(const struct config *cfg, GHashTable **state_r,
		      struct cm_error *err);

/*
 * casectl oauth login: run the configured grant once and save the
 * refresh token.  Device: prints "open: URL" and "code: CODE" to out,
 * polls.  Authorization code: listens on 127.0.0.1:port (0: any free
 * port) for the redirect to /callback, prints "open: URL", checks the
 * state, exchanges the code with its PKCE verifier.  Ends with "saved
 * refresh token to PATH".  client_credentials needs no login: CM_EUSAGE
 * saying so.  CM_ETEMP for a network failure, CM_EREFUSED when the
 * login was denied or ran out of time.
 */
int oauth2_login(const struct config *cfg, int port, FILE *out,
		 struct cm_error *err);

#endif
