/*
 * ingest.h - the one pipeline every inbound message goes through, whether
 * it came from IMAP (casemaild --once / the daemon) or from a file or an
 * MTA pipe (casemaild ingest).
 *
 * raw bytes -> kept raw blob -> GMime parse -> duplicate check -> noise
 * (own mail, bounce, auto-reply) -> flood limit -> threading -> who may
 * post -> stored on a case (participants, attachments, audit) or held.
 *
 * ingest_message() runs inside the caller's transaction, in a savepoint of
 * its own: a message's changes are all there or none are.  The caller
 * calls ingest_sync() and commits (possibly many messages at once) and
 * only then tells the IMAP server.  A message that cannot be handled is
 * recorded as failed with its raw copy and a reason; only trouble with
 * the store or the disk is returned as an error (the caller rolls the
 * batch back and retries later).
 *
 * Ownership: a struct ingest owns nothing.  It borrows the store, the
 * configuration, the outbound and the stop flag, which must outlive it;
 * ingest_init() sets it up and there is nothing to free.
 *
 * Threads: a struct ingest is used by one thread at a time, the one that
 * may use its store connection: ingest_apply(), ingest_message(),
 * ingest_reprocess() and ingest_sync() run there, and so does the
 * outbound it mails through.  fetch_poll() lends the ingest, with its
 * store, to the poll's store worker for the length of the poll (see
 * fetch.h).  ingest_parse() touches no shared state and may run on any
 * thread.  *stop is the exception: a signal handler sets it, any thread
 * reads it.
 */
#ifndef CASEMAIL_INGEST_H
#define CASEMAIL_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"

enum ingest_outcome {
	INGEST_STORED,     /* on a case */
	INGEST_DUPLICATE,  /* this Message-ID was already handled */
	INGEST_DUPLICATE_HELD, /* ... and is waiting for review */
	INGEST_HELD,       /* kept for review (casectl review) */
	INGEST_IGNORED,    /* own mail, bounce or auto-reply: logged only */
	INGEST_FAILED,     /* could not be handled: raw kept for review */
};

struct ingest_stats {
	int stored, duplicate, held, ignored, failed;
};

/* Where a message came from (all optional, borrowed). */
struct ingest_source {
	const char *mailbox;
	int64_t uidvalidity;
	int64_t uid;
	const char *origin;   /* a file name, for the log */
};

struct outbound;

struct ingest {
	struct store *store;       /* borrowed */
	const struct config *cfg;  /* borrowed */
	/* Borrowed; NULL: nothing is mailed (no notifications, no
	 * acknowledgements, no mail commands, no signed-reference trust). */
	struct outbound *out;
	struct ingest_stats stats;
	/* Blob files are not fsynced one by one: the caller calls
	 * ingest_sync() before every commit. */
	int unsynced;              /* blobs written since the last sync */
	/* Borrowed, or NULL: once *stop is nonzero, a poll ends after the
	 * batch in hand is committed and moved (SIGTERM).  fetch_run() sets
	 * it for as long as it runs. */
	volatile sig_atomic_t *stop;
};

/*
 * Set ing up to file mail into store under cfg, mailing through out
 * (NULL: nothing is mailed).  All three are borrowed and must outlive
 * ing; the counts start at zero and stop at NULL.  Nothing to free.
 */
void ingest_init(struct ingest *ing, struct store *store,
		 const struct config *cfg, struct outbound *out);

/*
 * Ingest one raw message at time now.  Needs an open transaction.
 * *outcome_r says where it went.  Returns 0, or CM_ETEMP/CM_ESTORE when
 * the store or the disk failed (nothing of this message was written).
 */
int ingest_message(struct ingest *ing, const char *raw, size_t len,
		   const struct ingest_source *src, int64_t now,
		   enum ingest_outcome *outcome_r, struct cm_error *err);

/*
 * ingest_message() in two halves, for a caller that overlaps them (the
 * IMAP poll parses one batch while the previous one is stored).
 *
 * ingest_parse() does everything that needs no store and no ingest: the
 * raw bytes' SHA-256, the scan against cfg's [store] limits (mime_scan()),
 * the GMime parse and the visible text.  size is the message's size: len,
 * or more when raw is only its start (a message over max_message_bytes is
 * not fetched whole).  It never fails: a message that cannot be parsed,
 * or is over a limit and so is not parsed at all, carries its reason to
 * ingest_apply(), which records it as failed (a raw copy kept when it is
 * whole and within max_message_bytes).  It touches no shared
 * state, so it may run on another thread than ingest_apply().  raw is
 * borrowed and must outlive the result (free with ingest_parsed_free()).
 *
 * ingest_apply() is the rest, exactly as ingest_message() describes; the
 * parsed message is borrowed.
 */
struct ingest_parsed;

struct ingest_parsed *ingest_parse(const struct config *cfg, const char *raw,
				   size_t len, size_t size);
/*
 * A message not to be parsed (it crashed the parser before): the SHA-256
 * is taken and, with cfg, only its header block is parsed, for its
 * Message-ID and sender (NULL cfg: not even that, after a crash there);
 * ingest_apply() records it as failed with reason, and with its raw copy
 * when raw is the whole message (size, the message's real size, as in
 * ingest_parse(): a message fetched as its head only is recorded without
 * one).  raw is borrowed as in ingest_parse().
 */
struct ingest_parsed *ingest_parse_refused(const struct config *cfg,
					   const char *raw, size_t len,
					   size_t size, const char *reason);
void ingest_parsed_free(struct ingest_parsed **parsed);
int ingest_apply(struct ingest *ing, struct ingest_parsed *parsed,
		 const struct ingest_source *src, int64_t now,
		 enum ingest_outcome *outcome_r, struct cm_error *err);

/*
 * Run a kept message (held, failed or ignored) through the pipeline again
 * from its raw copy; with trusted, the who-may-post check is skipped (an
 * agent accepted it).  Needs an open transaction.
 */
int ingest_reprocess(struct ingest *ing, int64_t message_row, int trusted,
		     int64_t now, enum ingest_outcome *outcome_r,
		     struct cm_error *err);

/*
 * Make the blob files written since the last call durable.  Call it
 * before store_commit(): the rows may only name files already on disk.
 */
int ingest_sync(struct ingest *ing, struct cm_error *err);

/* "stored", "duplicate", "held", "ignored", "failed". */
const char *ingest_outcome_name(enum ingest_outcome o);

/* Nonzero when a message with this outcome belongs in the review mailbox. */
int ingest_outcome_for_review(enum ingest_outcome o);

#endif
