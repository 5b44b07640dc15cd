/*
 * bench_smtp - mails per second through one smtp session (src/net/smtp.c).
 *
 *   bench_smtp URL N
 *
 * Sends N small mails (about 2 KB, one recipient) over one session to URL
 * (plain smtp://, no AUTH: meant for tests/integration/smtpsink.py, e.g.
 * `smtpsink.py DIR --daemon --discard`) and prints
 * "smtp N mails S s R mails/s" on stdout.  The first mail, which opens
 * the connection, is timed too.  Exit 1 if any mail is not accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casemail/smtp.h"

/* A typical short case reply: headers plus a few paragraphs. */
#define BENCH_MESSAGE_BYTES 2048
#define BENCH_TIMEOUT_SECS 30
#define BENCH_MAX_MAILS 10000000L

static double
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Headers, then body lines up to BENCH_MESSAGE_BYTES, CRLF throughout. */
static GString *
bench_message(void)
{
	GString *m = g_string_new(NULL);
	int line = 0;

	g_string_append(m,
		"From: Support Desk <desk@example.test>\r\n"
		"To: Customer <customer@example.test>\r\n"
		"Subject: [CV000123] Your shipment 1Z9F3A000001234\r\n"
		"Message-ID: <bench.1@example.test>\r\n"
		"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"\r\n");
	while (m->len < BENCH_MESSAGE_BYTES - 80)
		g_string_append_printf(m, "Line %02d: the pallet is on its way "
				       "and will be delivered tomorrow.\r\n",
				       ++line);
	return m;
}

static int
bench_run(struct smtp *s, long n, const GString *msg)
{
	static const char *const rcpt[] = { "customer@example.test" };

	for (long i = 0; i < n; i++) {
		struct cm_error err = { 0 };
		GPtrArray *res = NULL;
		const struct smtp_rcpt_result *r;
		int rc;

		rc = smtp_send(s, "desk@example.test", rcpt, 1, msg->str,
			       msg->len, &res, &err);
		r = res != NULL ? g_ptr_array_index(res, 0) : NULL;
		if (rc != 0 || r->status != SMTP_RCPT_OK) {
			fprintf(stderr, "bench_smtp: mail %ld: %s\n", i + 1,
				rc != 0 ? err.msg : r->text);
			smtp_results_free(&res);
			return -1;
		}
		smtp_results_free(&res);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct smtp_conf conf = { 0 };
	struct cm_error err = { 0 };
	struct smtp *s = NULL;
	GString *msg;
	double t0, secs;
	long n;
	int rc;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 1 ||
	    n > BENCH_MAX_MAILS) {
		fprintf(stderr, "usage: bench_smtp URL N\n");
		return 2;
	}
	conf.url = argv[1];
	conf.tls = SMTP_TLS_URL;
	conf.timeout_secs = BENCH_TIMEOUT_SECS;
	if (smtp_open(&conf, &s, &err) != 0) {
		fprintf(stderr, "bench_smtp: %s\n", err.msg);
		return 1;
	}
	msg = bench_message();
	t0 = now_secs();
	rc = bench_run(s, n, msg);
	secs = now_secs() - t0;
	smtp_close(&s);
	g_string_free(msg, TRUE);
	if (rc != 0)
		return 1;
	printf("smtp %ld mails %.3f s %.0f mails/s\n", n, secs,
	       secs > 0 ? (double)n / secs : 0.0);
	return 0;
}
