/*
 * bench_floor - the floor under casemaild --once: fetch every message of
 * a mailbox and parse it with GMime, storing nothing.  bench/ingest
 * compares casemaild against it.
 *
 *   bench_floor HOST PORT USER PASSWORD_FILE [MAILBOX] [BATCH]
 *
 * Prints "floor N messages S s R msg/s" on stdout.  Plain IMAP (no TLS):
 * it is meant for the private Dovecot that bench/ingest starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casemail/config.h"
#include "casemail/imap.h"
#include "casemail/mime.h"

struct floor_ctx {
	long messages;
	long long bytes;
};

static int
floor_one(uint32_t uid, const char *data, size_t len, void *ctx)
{
	struct floor_ctx *f = ctx;
	struct mime_message *m = NULL;

	(void)uid;
	if (mime_parse(data, len, &m, NULL) == 0)
		mime_message_free(&m);
	f->messages++;
	f->bytes += (long long)len;
	return 0;
}

static double
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
floor_run(struct imap *im, const char *mailbox, size_t batch,
	  struct floor_ctx *f, struct cm_error *err)
{
	uint32_t validity, uidnext;
	GArray *uids = NULL;
	int rc;

	rc = imap_select(im, mailbox, &validity, &uidnext, err);
	if (rc == 0)
		rc = imap_uids_after(im, 0, &uids, err);
	for (guint i = 0; rc == 0 && i < uids->len; i += (guint)batch) {
		size_t n = MIN(batch, uids->len - i);

		rc = imap_fetch(im, &g_array_index(uids, guint32, i), n,
				floor_one, f, err);
	}
	if (uids != NULL)
		g_array_unref(uids);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cm_error err = { 0 };
	struct imap_conf conf = { 0 };
	struct floor_ctx f = { 0 };
	struct imap *im = NULL;
	char *password = NULL;
	double t0;
	int rc;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_floor HOST PORT USER "
			"PASSWORD_FILE [MAILBOX] [BATCH]\n");
		return 2;
	}
	conf.host = argv[1];
	conf.port = atoi(argv[2]);
	conf.tls = IMAP_TLS_NONE;
	conf.user = argv[3];
	conf.timeout_secs = 60;
	if (config_read_secret(argv[4], &password, &err) != 0) {
		fprintf(stderr, "bench_floor: %s\n", err.msg);
		return 1;
	}
	conf.password = password;
	mime_init();
	t0 = now_secs();
	rc = imap_connect(&conf, &im, &err);
	if (rc == 0)
		rc = floor_run(im, argc > 5 ? argv[5] : "INBOX",
			       argc > 6 ? (size_t)atoi(argv[6]) : 500, &f, &err);
	imap_close(&im);
	g_free(password);
	if (rc != 0) {
		fprintf(stderr, "bench_floor: %s\n", err.msg);
		return 1;
	}
	t0 = now_secs() - t0;
	printf("floor %ld messages %.3f s %.0f msg/s %.1f MiB\n", f.messages,
	       t0, (double)f.messages / t0, (double)f.bytes / 1048576.0);
	return 0;
}
