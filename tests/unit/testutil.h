/* testutil.h - helpers shared by the cmocka unit tests. */
#ifndef CASEMAIL_TESTUTIL_H
#define CASEMAIL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "casemail/config.h"
#include "casemail/store.h"

/* A fresh temporary directory; caller frees with testutil_rmdir(). */
char *testutil_tmpdir(void);
/* Remove a directory tree made by testutil_tmpdir() and free the path. */
void testutil_rmdir(char *dir);
/* Write text to dir/name; returns the path (caller g_free()s). */
char *testutil_write(const char *dir, const char *name, const char *text);

/* A config + open store in a temp dir, for store and model tests. */
struct testutil_env {
	char *dir;
	struct config *cfg;
	struct store *store;
};

/* Set up with the given extra config text (may be NULL). */
void testutil_env_open(struct testutil_env *env, const char *extra_conf);
void testutil_env_close(struct testutil_env *env);

/* Run call (an int expression) in its own transaction on store, as
 * casectl does: committed when it returns 0, else rolled back.  The
 * call's code, or the commit's. */
#define TESTUTIL_TX(store, call)                                         \
	({                                                               \
		int rc_ = store_begin((store), NULL);                    \
		if (rc_ == 0)                                            \
			rc_ = (call);                                    \
		if (rc_ == 0)                                            \
			rc_ = store_commit((store), NULL);               \
		else                                                     \
			store_rollback((store));                         \
		rc_;                                                     \
	})

/*
 * DKIM for tests: make an RSA key (openssl), append its public half to
 * dir/dkim-keys as "selector._domainkey.domain v=DKIM1; k=rsa; p=..."
 * (the key-file format of [trust] dkim_key_file) and return the private
 * key as PEM (g_free).
 */
char *testutil_dkim_key(const char *dir, const char *selector,
			const char *domain);
/* raw with a DKIM-Signature by d=domain, s=selector (relaxed/relaxed,
 * rsa-sha256) on top; g_free(). */
char *testutil_dkim_sign(const char *raw, const char *pem,
			 const char *selector, const char *domain);
/* The same with an l= tag: only the first body_len bytes of the
 * canonical body signed (-1: all of it). */
char *testutil_dkim_sign_len(const char *raw, const char *pem,
			     const char *selector, const char *domain,
			     ssize_t body_len);

#endif
