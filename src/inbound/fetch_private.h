/*
 * fetch_private.h - what the two files of the IMAP poll share:
 *
 *   fetch_chunk.c  one chunk of mail: where its messages go (moves), its
 *                  fetch and parse on the connection's thread, and the
 *                  worker thread (the pipe) that stores and commits it
 *   fetch.c        the poll: UIDVALIDITY, cutting the mailbox into
 *                  chunks, counting attempts, moving what is committed,
 *                  and the reconnect loop the daemon runs
 *
 * Not part of the module's contract (casemail/fetch.h).
 */
#ifndef CASEMAIL_FETCH_PRIVATE_H
#define CASEMAIL_FETCH_PRIVATE_H

#include <glib.h>
#include <stdint.h>

#include "casemail/fetch.h"
#include "casemail/imap.h"
#include "casemail/ingest.h"

/*
 * A poll works in chunks.  This thread, which owns the connection, fetches
 * and parses each chunk and hands it to a worker thread that stores it,
 * and meanwhile fetches the next one and moves what is committed; the
 * worker may have FETCH_AHEAD chunks waiting, so a slow MOVE does not
 * leave it idle.  Parsing and storing a mail take about as long as each
 * other, so the two cores each do half of the work.  A chunk is at most
 * [imap] batch messages and FETCH_CHUNK_BYTES of mail (one message
 * however big), which bounds memory whatever the mailbox holds.  The
 * worker commits once [imap] batch messages are in (a bigger transaction
 * writes each changed page once for many mails), whenever no chunk is
 * waiting for it (the write lock is never held while this thread waits
 * for the server), and the poll's end commits the rest.  A message is
 * moved on the server only after the commit that holds it.
 */
#define FETCH_CHUNK_BYTES (2u << 20)
#define FETCH_AHEAD 4

/*
 * Poison messages.  A message that crashes the parser (or anything else
 * between its fetch and the commit of its outcome) would be fetched first
 * again by the restarted daemon and crash it again, for ever.  So before
 * a chunk is parsed, the attempt of each of its messages is counted in
 * fetch_attempts and COMMITTED (synchronous=FULL); the transaction that
 * commits a message's outcome deletes its count.  A count left over at
 * the next poll means the process died holding that message.
 *
 * Where the count is written: the poll's thread has lent the one store
 * connection to the worker, which holds the write lock in an open
 * transaction while it stores earlier chunks.  A second connection on
 * this thread would wait for that lock until the worker ran out of work,
 * and parsing and storing would take turns instead of overlapping.  The
 * count is therefore a small item that this thread puts at the FRONT of
 * the worker's queue: the worker takes it right after the chunk in hand,
 * writes the counts in its open transaction and commits (what it stored
 * so far is good and commits with them; see fetch_stored() in fetch.c),
 * and the chunk is parsed meanwhile the worker stores the chunks queued
 * behind.
 * One more small commit per chunk (at most [imap] batch messages or 2 MiB).
 * It cannot be done on the worker after the parse: the point is to have
 * the count on disk before the parser runs.
 *
 * A crash counts every message of the chunk being parsed and of the
 * chunks not yet committed, most of them innocent.  So a message with a
 * count (a suspect) is fetched, counted and parsed in a chunk of its own,
 * and while a suspect's chunk is in flight the next count waits behind
 * it in the queue: the suspect is committed (its count cleared) before
 * anything else is parsed, and its count only grows when it is itself
 * the one that dies.  An innocent message is counted at most once by
 * someone else's crash.  One that reaches FETCH_MAX_ATTEMPTS is not
 * parsed again: only its header block is read, once, so it keeps its
 * Message-ID (a kill from outside may have counted an innocent message),
 * and it is recorded as failed with its raw copy and goes to the review
 * mailbox; its count stays, so if the
 * move is lost it is set aside again, never parsed.  A poll that fails
 * without a crash (the store, the server) takes back the counts it added
 * for messages with no outcome, as far as the store lets it.
 */
#define FETCH_MAX_ATTEMPTS 3
#define FETCH_POISON_REASON "crashed the parser 3 times"

/*
 * A message over [store] max_message_bytes is never read whole (one FETCH
 * answer is held in memory whole): it comes alone in its chunk, only its
 * first FETCH_HEAD_BYTES are fetched, for the record of who sent it, and
 * ingest records it as failed, so it is moved to the review mailbox.
 */
#define FETCH_HEAD_BYTES (64u << 10)

/* UIDs by where they go on the server. */
struct fetch_moves {
	GArray *processed;   /* guint32 uids for the processed mailbox */
	GArray *review;      /* guint32 uids for the review mailbox */
};

struct fetch_batch {
	struct ingest *ing;
	const char *mailbox;
	int64_t uidvalidity;
	GHashTable *attempts;  /* borrowed, read only: counts at poll start */
	GArray *mark;        /* a count item: the guint32 UIDs to count */
	int suspect;         /* a chunk of one message that has a count */
	uint32_t head_size;  /* a chunk of one message too big to read whole:
			      * its real size (only its head was fetched) */
	struct imap_batch *raw;
	struct ingest_parsed **parsed; /* one per message of raw */
	struct fetch_moves out;  /* where its messages go, once stored */
	uint32_t last_uid;   /* the highest UID seen up to this chunk */
	int commit;          /* commit after this chunk */
	int committed;       /* the worker committed after it */
	int skipped;         /* not stored: an earlier chunk failed */
	int rc;              /* the store's verdict, set by the worker */
	struct cm_error err;
};

/*
 * The worker's side: chunks arrive on todo in order and go back on done
 * with their verdict.  After a failure (the transaction is rolled back)
 * the rest are only passed back, marked skipped.  The end marker stops it.
 */
struct fetch_pipe {
	GAsyncQueue *todo;
	GAsyncQueue *done;
	GThread *worker;     /* NULL: the caller stores chunks itself */
	int failed;
	guint in_flight;     /* handed over, not yet back */
	guint suspects;      /* suspects' chunks among them */
	struct ingest_stats at_begin;  /* when the transaction began */
};

/* ---- fetch_chunk.c: the moves of a chunk ------------------------------ */

void fetch_moves_init(struct fetch_moves *m);
/* Append from's UIDs to m. */
void fetch_moves_add(struct fetch_moves *m, const struct fetch_moves *from);
/* Empty m, keeping its arrays. */
void fetch_moves_clear(struct fetch_moves *m);
void fetch_moves_free(struct fetch_moves *m);

/* ---- fetch_chunk.c: a chunk on the connection's thread ------------------ */

/* A message's count at the start of the poll (0: none). */
int fetch_attempts_of(GHashTable *attempts, uint32_t uid);
/* Nonzero if a message of size bytes is over [store] max_message_bytes:
 * it is fetched as its first FETCH_HEAD_BYTES only. */
int fetch_too_big(const struct config *cfg, uint32_t size);
/* A new chunk with proto's poll-wide fields; free with fetch_batch_free(). */
struct fetch_batch *fetch_batch_new(const struct fetch_batch *proto);
void fetch_batch_free(struct fetch_batch **bp);
/* FETCH uids (sizes: their RFC822.SIZE) into a new chunk *b_r. */
int fetch_prepare(struct imap *im, const struct fetch_batch *proto,
		  const uint32_t *uids, const uint32_t *sizes, size_t n,
		  struct fetch_batch **b_r, struct cm_error *err);
/* The UIDs of b to count before its parse (all but the poison); the
 * caller frees the array. */
GArray *fetch_to_count(const struct fetch_batch *b);
/* Parse b's messages (its counts are committed); poison is only hashed. */
void fetch_parse(struct fetch_batch *b);

/* ---- fetch_chunk.c: the store worker ----------------------------------- */

/* Commit the open transaction (blobs synced first). */
int fetch_commit(struct ingest *ing, struct cm_error *err);
void fetch_pipe_start(struct fetch_pipe *w);
/* Hand b to the worker, at the front of its queue if front. */
void fetch_pipe_push(struct fetch_pipe *w, struct fetch_batch *b, int front);
/* A chunk the worker is done with; NULL if none (and !wait). */
struct fetch_batch *fetch_pipe_pop(struct fetch_pipe *w, int wait);
void fetch_pipe_stop(struct fetch_pipe *w);
void fetch_pipe_free(struct fetch_pipe *w);

#endif
