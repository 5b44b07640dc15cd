/*
 * dkim.c - DKIM verification with libopendkim: one library handle per key
 * source (DNS with a timeout, or a key file), made once; one verifying
 * handle per message, fed the raw bytes and asked for every signature's
 * domain and result.
 */
/* libopendkim's header uses the BSD types (u_char, u_int). */
#define _DEFAULT_SOURCE

#include "casemail/dkim.h"

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/types.h>

#include <opendkim/dkim.h>

/* Handles by key source ("file:PATH" or "dns:SECS"), never freed: a
 * verifying handle may be in use on another thread at any time, and the
 * number of sources a process ever sees is tiny. */
static GMutex dkim_libs_lock;
static GHashTable *dkim_libs;

/* More signatures than DKIM_MAX_SIGS: the rest are not looked at, so a
 * message cannot make us do unbounded key lookups. */
static DKIM_CBSTAT
dkim_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	(void)dkim;
	for (int i = DKIM_MAX_SIGS; i < nsigs; i++)
		dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

static DKIM_LIB *
dkim_lib_new(const char *key_file, int timeout_secs)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	/* Mail read from a file may have bare LF line ends. */
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	unsigned int timeout = (unsigned int)timeout_secs;
	dkim_query_t qtype = DKIM_QUERY_FILE;
	int ok;

	if (lib == NULL)
		return NULL;
	ok = dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
			  sizeof(flags)) == DKIM_STAT_OK &&
	     dkim_set_prescreen(lib, dkim_prescreen) == DKIM_STAT_OK;
	if (ok && key_file != NULL)
		ok = dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD,
				  &qtype, sizeof(qtype)) == DKIM_STAT_OK &&
		     dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
				  (void *)key_file, strlen(key_file)) ==
			     DKIM_STAT_OK;
	else if (ok)
		ok = dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT,
				  &timeout, sizeof(timeout)) == DKIM_STAT_OK;
	if (!ok) {
		dkim_close(lib);
		return NULL;
	}
	return lib;
}

static DKIM_LIB *
dkim_lib_get(const char *key_file, int timeout_secs)
{
	char *name = key_file != NULL ? g_strdup_printf("file:%s", key_file)
				      : g_strdup_printf("dns:%d", timeout_secs);
	DKIM_LIB *lib;

	g_mutex_lock(&dkim_libs_lock);
	if (dkim_libs == NULL)
		dkim_libs = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, NULL);
	lib = g_hash_table_lookup(dkim_libs, name);
	if (lib == NULL && (lib = dkim_lib_new(key_file, timeout_secs)) != NULL)
		g_hash_table_insert(dkim_libs, g_steal_pointer(&name), lib);
	g_mutex_unlock(&dkim_libs_lock);
	g_free(name);
	return lib;
}

/* d= as shown: a DNS name in lower case, or "" (it came from the sender). */
static void
dkim_copy_domain(char *out, const unsigned char *d)
{
	size_t n = d != NULL ? strlen((const char *)d) : 0;

	out[0] = '\0';
	if (n == 0 || n >= DKIM_DOMAIN_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(d[i]) && d[i] != '.' && d[i] != '-' &&
		    d[i] != '_')
			return;
	for (size_t i = 0; i <= n; i++)
		out[i] = g_ascii_tolower(d[i]);
}

/*
 * Nonzero if sig has an l= tag: it may sign only part of the body, and
 * whatever follows was added by anyone and may be all a reader sees.  The
 * library measures the canonical body only up to l=, so "l= covers it
 * all" cannot be told here: any l= proves nothing (the big senders do not
 * use it).
 */
static int
dkim_sig_partial(DKIM *dkim, DKIM_SIGINFO *sig)
{
	ssize_t msglen = -1, canonlen = -1, signlen = -1;

	if (dkim_sig_getcanonlen(dkim, sig, &msglen, &canonlen,
				 &signlen) != DKIM_STAT_OK)
		return 1;
	return signlen != -1;
}

static void
dkim_sig_report(DKIM *dkim, DKIM_SIGINFO *sig, struct dkim_sig_report *r)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int error = dkim_sig_geterror(sig);
	const char *why = NULL;
	int partial = dkim_sig_partial(dkim, sig);
	/* t=y: the signer says its key is only being tried out. */
	int testkey = (flags & DKIM_SIGFLAG_TESTKEY) != 0;

	dkim_copy_domain(r->domain, dkim_sig_getdomain(sig));
	r->pass = (flags & DKIM_SIGFLAG_PASSED) != 0 &&
		  dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH &&
		  (flags & DKIM_SIGFLAG_IGNORE) == 0 && !partial && !testkey;
	if (r->pass)
		return;
	if ((flags & DKIM_SIGFLAG_IGNORE) != 0)
		why = "not checked";
	else if (partial && (flags & DKIM_SIGFLAG_PASSED) != 0)
		why = "an l= tag: may sign only part of the body";
	else if (testkey && (flags & DKIM_SIGFLAG_PASSED) != 0)
		why = "a test key (t=y)";
	else if (error != DKIM_SIGERROR_OK)
		why = dkim_sig_geterrorstr(error);
	else if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
		why = "body hash mismatch";
	g_strlcpy(r->why, why != NULL ? why : "signature did not verify",
		  sizeof(r->why));
}

static void
dkim_report_sigs(DKIM *dkim, struct dkim_report *rep)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0, passed = 0;

	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	rep->nsigs = nsigs;
	for (int i = 0; i < nsigs && rep->nchecked < DKIM_MAX_SIGS; i++) {
		dkim_sig_report(dkim, sigs[i], &rep->sigs[rep->nchecked]);
		passed += rep->sigs[rep->nchecked++].pass;
	}
	if (nsigs == 0)
		g_strlcpy(rep->summary, "no signature", sizeof(rep->summary));
	else
		snprintf(rep->summary, sizeof(rep->summary),
			 "%d of %d signature%s passed%s", passed, nsigs,
			 nsigs == 1 ? "" : "s",
			 nsigs > DKIM_MAX_SIGS ? " (the rest not checked)" : "");
}

int
dkim_check_message(const char *raw, size_t len, const char *key_file,
		   int timeout_secs, struct dkim_report *rep,
		   struct cm_error *err)
{
	DKIM_LIB *lib = dkim_lib_get(key_file, timeout_secs);
	DKIM_STAT st = DKIM_STAT_OK;
	DKIM *dkim;
	bool testkey = false;

	memset(rep, 0, sizeof(*rep));
	if (lib == NULL) {
		g_strlcpy(rep->summary, "DKIM library unavailable",
			  sizeof(rep->summary));
		return cm_error_set(err, CM_EINTERNAL,
				    "libopendkim: cannot set up the library");
	}
	dkim = dkim_verify(lib, (const unsigned char *)"casemail", NULL, &st);
	if (dkim == NULL) {
		g_strlcpy(rep->summary, "DKIM library unavailable",
			  sizeof(rep->summary));
		return cm_error_set(err, CM_EINTERNAL, "libopendkim: %s",
				    dkim_getresultstr(st));
	}
	/* The library does not write to the buffer; its prototype is old. */
	st = dkim_chunk(dkim, (unsigned char *)(uintptr_t)raw, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, &testkey);
	dkim_report_sigs(dkim, rep);
	/* No signature list (a header that is no message, say): say why. */
	if (rep->nsigs == 0 && st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
		snprintf(rep->summary, sizeof(rep->summary),
			 "not checked: %s", dkim_getresultstr(st));
	dkim_free(dkim);
	return 0;
}
