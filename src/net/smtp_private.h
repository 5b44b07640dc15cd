/*
 * smtp_private.h - what the smtp*.c files share; not part of the
 * module's contract, and nothing outside src/net/smtp*.c includes it.
 *
 *   smtp.c        the session (URL, options, QUIT), sending one message,
 *                 and the result for each recipient
 *   smtp_reply.c  reading the transaction from libcurl's debug callback:
 *                 which reply answers which command
 */
#ifndef CASEMAIL_SMTP_PRIVATE_H
#define CASEMAIL_SMTP_PRIVATE_H

#include <stddef.h>

#include <curl/curl.h>
#include <glib.h>

#include "casemail/smtp.h"

/*
 * Reply text kept for the case history.  RFC 5321 4.5.3.1.5 allows 512
 * octets per reply line; multi-line replies are joined and cut here.
 */
#define SMTP_REPLY_TEXT_MAX 512

/* What the next complete server reply answers: the last command sent. */
enum smtp_expect {
	SMTP_EXPECT_OTHER,    /* greeting, EHLO, STARTTLS, AUTH, QUIT */
	SMTP_EXPECT_MAIL,
	SMTP_EXPECT_RCPT,
	SMTP_EXPECT_DATA,     /* 354 to go on, or a refusal of DATA */
	SMTP_EXPECT_DATA_END, /* the reply to the final "." */
};

struct smtp_reply {
	int code;   /* 0: no reply seen */
	char *text; /* "550 5.1.1 no such user": one clean line */
};

/*
 * The server's side of one transaction, read from libcurl's debug
 * callback.  libcurl reports only the last refusal, and with ALLOWFAILS
 * not even that, so this transcript is where per-recipient answers come
 * from.
 */
struct smtp_trace {
	enum smtp_expect expect;
	size_t rcpt_cur;          /* index the next RCPT reply belongs to */
	size_t rcpt_sent;         /* RCPT commands seen */
	size_t n_rcpts;
	struct smtp_reply mail;
	struct smtp_reply *rcpt;  /* n_rcpts of them */
	struct smtp_reply data;   /* DATA itself refused */
	struct smtp_reply data_end;
	GString *line;            /* reply line not yet complete */
	GString *text;            /* a multi-line reply so far */
};

/*
 * s as one clean line for the case history and logs: no control
 * characters, valid UTF-8, at most max bytes.  Caller g_free()s.
 */
char *smtp_clean_line(const char *s, size_t max);

/*
 * libcurl's CURLOPT_DEBUGFUNCTION with the struct smtp_trace as arg: the
 * server's replies and our commands go into the trace.
 */
int smtp_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
		  void *arg);

#endif
