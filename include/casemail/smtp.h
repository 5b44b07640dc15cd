/*
 * smtp.h - an SMTP client session (libcurl): one connection reused for
 * many mails, each sent with its own envelope.  No SQL and no policy:
 * outbox.c decides what to send and what a failure means for the case.
 *
 * TLS: smtps:// URLs, or smtp:// with STARTTLS required (tls = starttls)
 * or not used (tls = none, loopback tests only).  With tls_verify the
 * server certificate and host name are checked against ca_file or the
 * system trust (libcurl over GnuTLS does verify).
 */
#ifndef CASEMAIL_SMTP_H
#define CASEMAIL_SMTP_H

#include <stddef.h>

#include <glib.h>

#include "casemail/error.h"

enum smtp_tls {
	SMTP_TLS_URL,       /* as the URL says: smtps:// is TLS, smtp:// plain */
	SMTP_TLS_STARTTLS,  /* smtp:// upgraded with STARTTLS, required */
};

/* Connection settings; every pointer is borrowed for the session. */
struct smtp_conf {
	const char *url;         /* smtp://host:port or smtps://host:port */
	enum smtp_tls tls;
	int tls_verify;
	const char *ca_file;     /* NULL: the system trust */
	const char *user;        /* NULL: no AUTH */
	const char *password;
	/* Non-NULL: AUTH XOAUTH2 as user with this OAuth2 access token
	 * (password unused); copied, so it may be freed after smtp_open() */
	const char *access_token;
	int timeout_secs;        /* connect and per-transaction */
	const char *helo_domain; /* NULL: libcurl's default */
};

/* What happened to one recipient of one transaction. */
enum smtp_rcpt_status {
	SMTP_RCPT_OK,         /* accepted (250 to DATA) */
	SMTP_RCPT_TEMPFAIL,   /* 4xx or the connection failed: retry later */
	SMTP_RCPT_PERMFAIL,   /* 5xx: final for this recipient */
};

struct smtp_rcpt_result {
	char *address;                 /* as given */
	enum smtp_rcpt_status status;
	int code;                      /* SMTP reply code, 0 if none */
	char *text;                    /* one line for the case history */
};

struct smtp;

/* A session; nothing is connected until the first smtp_send(). */
int smtp_open(const struct smtp_conf *conf, struct smtp **smtp_r,
	      struct cm_error *err);

/* QUIT (best effort) and free; accepts NULL and clears the pointer. */
void smtp_close(struct smtp **smtp);

/*
 * Send one RFC 5322 message (len bytes, CRLF or LF line ends) from
 * envelope sender from (may be "" for a null return path) to rcpts.
 * Fills *results_r with one struct smtp_rcpt_result per recipient, in
 * order (caller frees with smtp_results_free()).  Recipients the server
 * refuses do not stop the others; a recipient is only OK when the whole
 * transaction was accepted.  Returns 0 when every recipient has an
 * answer (whatever it is), CM_ETEMP when the connection failed before
 * that (all results TEMPFAIL), CM_EUSAGE for bad arguments (a CR or LF
 * in an address).
 */
int smtp_send(struct smtp *smtp, const char *from, const char *const *rcpts,
	      size_t n_rcpts, const char *data, size_t len,
	      GPtrArray **results_r, struct cm_error *err);

/* Nonzero when the last smtp_send() or smtp_check() failed because the
 * server refused our credentials (AUTH answered 535): with an OAuth2
 * token, fetch a new one and open a new session. */
int smtp_login_denied(const struct smtp *smtp);

/* Nonzero when the last smtp_send() or smtp_check() failed because it
 * needed a new connection, which a session with an access token opens in
 * its first transfer only (it would log in with a token that may have
 * run out): open a new session with a current token and send again.
 * The mail was not taken.  QUIT at smtp_close() never connects either. */
int smtp_connection_lost(const struct smtp *smtp);

/*
 * Connect, EHLO, TLS and AUTH as configured, then NOOP: checks the
 * settings without sending mail (casemaild check --connect).  CM_ECONFIG
 * when the login or the certificate was refused, CM_ETEMP otherwise.
 */
int smtp_check(struct smtp *smtp, struct cm_error *err);

/*
 * A new results array with one struct smtp_rcpt_result per recipient, in
 * order: address copied, status SMTP_RCPT_OK, code 0, text NULL, for the
 * caller to fill in (rcpts may be NULL when n_rcpts is 0).  Free with
 * smtp_results_free(), which frees the results too.
 */
GPtrArray *smtp_results_new(const char *const *rcpts, size_t n_rcpts);

/* Free results and every result in it; accepts NULL and clears it. */
void smtp_results_free(GPtrArray **results);

#endif
