/*
 * ingest_parse.c - the first half of ingest (see ingest.h): what needs no
 * store and no struct ingest, so the poll runs it on its own thread while
 * the worker stores the chunk before.  The raw bytes' SHA-256, the
 * bounded scan (limits of [store]), the GMime parse and the visible text;
 * a message refused by the scan keeps only its header's parse, for the
 * record of who sent it.
 */
#define _GNU_SOURCE  /* memmem() */
#include "ingest_private.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/log.h"
#include "casemail/quote.h"
#include "casemail/record.h"

static void
ingest_mm_clear(void *mmp)
{
	mime_message_free(mmp);
}

/* raw is borrowed: the caller's. */
static const struct record_field ingest_parsed_fields[] = {
	RECORD_NESTED(struct ingest_parsed, mm, ingest_mm_clear),
	RECORD_NESTED(struct ingest_parsed, head, ingest_mm_clear),
	RECORD_STRING(struct ingest_parsed, visible),
};

/* The header block of a message refused by the scan, for the record of
 * who sent it, if the block itself is within bounds. */
static void
ingest_parse_head(struct ingest_parsed *p, const struct mime_limits *lim,
		  const struct mime_scan_result *scan)
{
	size_t n = scan->top_header_len;

	if (n > 0 && n <= lim->max_header_bytes && n <= p->len &&
	    mime_parse(p->raw, n, &p->head, NULL) != 0)
		p->head = NULL;
}

/*
 * TEST HOOK, compiled into every build: with CASEMAIL_TEST_CRASH_ON set to a
 * non-empty string, parsing a message whose raw bytes contain it aborts
 * the process, as a parser bug would (tests/integration/test_poison.py).
 * It is in the shipped binary so the test exercises the binary that ships;
 * it gives nothing to anyone who could not already set the daemon's
 * environment (and with it LD_PRELOAD), and costs one getenv() per process.
 */
static void
ingest_test_crash_hook(const char *raw, size_t len)
{
	static gsize once;
	static const char *needle;

	if (g_once_init_enter(&once)) {
		needle = getenv("CASEMAIL_TEST_CRASH_ON");
		if (needle != NULL && *needle == '\0')
			needle = NULL;
		g_once_init_leave(&once, 1);
	}
	if (needle != NULL && memmem(raw, len, needle, strlen(needle)) != NULL) {
		log_errx("CASEMAIL_TEST_CRASH_ON: the test hook aborts the "
			 "parse of a %zu-byte message", len);
		abort();
	}
}

static struct ingest_parsed *
ingest_parsed_new(const char *raw, size_t len, size_t size)
{
	struct ingest_parsed *p = g_new0(struct ingest_parsed, 1);

	p->raw = raw;
	p->len = len;
	p->size = MAX(size, len);
	attach_sha256_hex(raw, len, p->raw_sha);
	return p;
}

struct ingest_parsed *
ingest_parse_refused(const struct config *cfg, const char *raw, size_t len,
		     size_t size, const char *reason)
{
	struct ingest_parsed *p = ingest_parsed_new(raw, len, size);

	/* The header block alone, for its Message-ID and sender: the
	 * message keeps its identity (the crash was its body's, most
	 * likely; if it was the header's, the caller passes no cfg). */
	if (cfg != NULL) {
		const struct mime_limits lim = {
			(size_t)cfg->store_max_message_bytes,
			cfg->store_max_parts, cfg->store_max_depth,
			(size_t)cfg->store_max_header_bytes,
		};
		struct mime_scan_result scan;

		(void)mime_scan(raw, len, p->size, &lim, &scan, NULL);
		ingest_parse_head(p, &lim, &scan);
	}
	p->parse_rc = CM_EINPUT;
	g_strlcpy(p->parse_error, reason, sizeof(p->parse_error));
	return p;
}

struct ingest_parsed *
ingest_parse(const struct config *cfg, const char *raw, size_t len,
	     size_t size)
{
	struct ingest_parsed *p = ingest_parsed_new(raw, len, size);
	const struct mime_limits lim = {
		(size_t)cfg->store_max_message_bytes, cfg->store_max_parts,
		cfg->store_max_depth, (size_t)cfg->store_max_header_bytes,
	};
	struct mime_scan_result scan;
	struct cm_error err = { 0 };

	ingest_test_crash_hook(raw, len);
	p->parse_rc = mime_scan(raw, len, p->size, &lim, &scan, &err);
	if (p->parse_rc != 0)
		ingest_parse_head(p, &lim, &scan);
	else
		p->parse_rc = mime_parse(raw, len, &p->mm, &err);
	if (p->parse_rc != 0)
		g_strlcpy(p->parse_error, err.msg, sizeof(p->parse_error));
	else
		p->visible = quote_visible(p->mm->text);
	return p;
}

void
ingest_parsed_free(struct ingest_parsed **pp)
{
	record_clear(pp, ingest_parsed_fields,
		     G_N_ELEMENTS(ingest_parsed_fields));
}
