/*
 * fuzz_ingest.c - one input is one raw message, run through the whole
 * inbound pipeline as the daemon runs it: ingest_message() (GMime parse,
 * HTML to text, quote trimming, noise classification, flood check,
 * threading by case number / plus address / References / subject, who
 * may post, the rows) on a real SQLite store in a temporary directory.
 *
 * The store is seeded once with two cases (seed_mail below), committed;
 * every input then runs in a transaction that is rolled back, so each
 * input meets the same store and a crash replays alone.  Threading onto
 * the seeds is reachable: ingest.dict carries their Message-IDs, case
 * numbers and the plus address.
 *
 * Besides the sanitizers, three things count as a finding (abort):
 *  - ingest_message() failing: it reports only store or disk trouble,
 *    which the daemon retries forever, so a message that causes it is a
 *    poison message;
 *  - a parse that is not valid UTF-8 where mime.h promises it;
 *  - a second parse of the same bytes that differs from the first.
 *
 * Attachments are not written (max_attachment_bytes = 0, empty ones
 * aside): they would only fill the disk, since every row is rolled back.
 *
 * Built two ways (CMakeLists.txt): with clang as a libFuzzer target, and
 * with any compiler as a replay program (replay.c) over files.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/ingest.h"
#include "casemail/mime.h"
#include "casemail/store.h"

#include "fuzz.h"

/* A fixed clock: the flood limit and the ack interval see the same time. */
#define FUZZ_NOW 1795942800

static const char fuzz_conf[] =
	"[case]\n"
	"address = cases@desk.example\n"
	"organization_domains = desk.example\n"
	"[store]\n"
	"database = casemail.db\n"
	"attachments = attachments\n"
	"max_attachment_bytes = 0\n";

/* What the fuzzed mail can thread onto: CV000001 and CV000002. */
static const char *const seed_mail[] = {
	"From: Sara Shipper <sara@acme.test>\n"
	"To: cases@desk.example\n"
	"Subject: Pallet crushed at Rotterdam\n"
	"Date: Mon, 6 Jan 2025 10:00:00 +0100\n"
	"Message-ID: <seed-1@acme.test>\n\n"
	"The pallet for order 4471 arrived crushed.\n",
	"From: Carl Carrier <carl@trucks.test>\n"
	"To: cases@desk.example\n"
	"Cc: Sara Shipper <sara@acme.test>\n"
	"Subject: Invoice 4471 is wrong\n"
	"Date: Mon, 6 Jan 2025 11:00:00 +0100\n"
	"Message-ID: <seed-2@trucks.test>\n"
	"Content-Type: text/html; charset=utf-8\n\n"
	"<p>The <b>invoice</b> is wrong.</p>\n",
	"From: Sara Shipper <sara@acme.test>\n"
	"To: cases+CV000001@desk.example\n"
	"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"
	"In-Reply-To: <seed-1@acme.test>\n"
	"References: <seed-1@acme.test>\n"
	"Message-ID: <seed-3@acme.test>\n\n"
	"Photos follow.\n\n> The pallet for order 4471 arrived crushed.\n",
};

static struct {
	/* Our own copy of stderr: -close_fd_mask=2 (which silences the
	 * pipeline's log lines) closes fd 2 after LLVMFuzzerInitialize. */
	FILE *diag;
	char *dir;
	struct config *cfg;
	struct store *store;
	struct ingest ing;
} fz;

static void
fuzz_die(const char *what, const char *detail)
{
	fprintf(fz.diag != NULL ? fz.diag : stderr, "fuzz_ingest: %s%s%s\n",
		what, detail != NULL ? ": " : "", detail != NULL ? detail : "");
	abort();
}

static void
fuzz_rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *child = g_build_filename(path, name, NULL);

			fuzz_rm_tree(child);
			g_free(child);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

static void
fuzz_cleanup(void)
{
	store_close(&fz.store);
	config_free(&fz.cfg);
	if (fz.dir != NULL)
		fuzz_rm_tree(fz.dir);
	g_free(fz.dir);
	fz.dir = NULL;
}

static void
fuzz_seed_store(void)
{
	struct cm_error err = { 0 };
	enum ingest_outcome out;

	if (store_begin(fz.store, &err) != 0)
		fuzz_die("seed begin", err.msg);
	for (size_t i = 0; i < G_N_ELEMENTS(seed_mail); i++) {
		if (ingest_message(&fz.ing, seed_mail[i], strlen(seed_mail[i]),
				   NULL, FUZZ_NOW - 3600, &out, &err) != 0)
			fuzz_die("seed ingest", err.msg);
		if (out != INGEST_STORED)
			fuzz_die("seed mail not stored", NULL);
	}
	if (ingest_sync(&fz.ing, &err) != 0 ||
	    store_commit(fz.store, &err) != 0)
		fuzz_die("seed commit", err.msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cm_error err = { 0 };
	struct store_options opt = { 0 };
	char *path;

	(void)argc;
	(void)argv;
	fz.diag = fdopen(dup(STDERR_FILENO), "w");
	if (fz.diag != NULL)
		setvbuf(fz.diag, NULL, _IONBF, 0);
	mime_init();
	fz.dir = g_dir_make_tmp("casemail-fuzz-XXXXXX", NULL);
	if (fz.dir == NULL)
		fuzz_die("no temporary directory", NULL);
	atexit(fuzz_cleanup);
	path = g_build_filename(fz.dir, "casemail.conf", NULL);
	if (!g_file_set_contents(path, fuzz_conf, -1, NULL))
		fuzz_die("cannot write the configuration", NULL);
	if (config_load(path, &fz.cfg, &err) != 0)
		fuzz_die("config", err.msg);
	g_free(path);
	opt.busy_timeout_ms = 1000;
	opt.cfg = fz.cfg;
	if (store_open(fz.cfg->store_database, &opt, &fz.store, &err) != 0)
		fuzz_die("store", err.msg);
	fz.ing.store = fz.store;
	fz.ing.cfg = fz.cfg;
	fuzz_seed_store();
	return 0;
}

static void
check_utf8(const char *what, const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		fuzz_die(what, "not valid UTF-8");
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* mime.h's promises, and the same answer twice. */
static void
check_parse(const char *data, size_t size)
{
	struct mime_message *a = NULL, *b = NULL;
	int rc_a = mime_parse(data, size, &a, NULL);
	int rc_b = mime_parse(data, size, &b, NULL);

	if (rc_a != rc_b)
		fuzz_die("a second parse returned another code", NULL);
	if (rc_a == 0) {
		check_utf8("subject", a->subject);
		check_utf8("from name", a->from.name);
		check_utf8("from address", a->from.address);
		check_utf8("message_id", a->message_id);
		check_utf8("text", a->text);
		if (!same_str(a->subject, b->subject) ||
		    !same_str(a->from.address, b->from.address) ||
		    !same_str(a->message_id, b->message_id) ||
		    !same_str(a->text, b->text) ||
		    a->parts->len != b->parts->len)
			fuzz_die("a second parse gave another message", NULL);
	}
	mime_message_free(&a);
	mime_message_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cm_error err = { 0 };
	struct ingest_source src = { .origin = "fuzz" };
	enum ingest_outcome out;
	const char *raw = (const char *)data;

	check_parse(raw, size);
	if (store_begin(fz.store, &err) != 0)
		fuzz_die("begin", err.msg);
	if (ingest_message(&fz.ing, raw, size, &src, FUZZ_NOW, &out, &err) != 0)
		fuzz_die("ingest_message failed (a poison message)", err.msg);
	store_rollback(fz.store);
	return 0;
}
