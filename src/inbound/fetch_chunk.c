/*
 * fetch_chunk.c - one chunk of the poll: its moves, its fetch and parse on
 * the connection's thread, and the worker thread that stores and commits
 * chunks (see fetch_private.h and the comment at FETCH_CHUNK_BYTES).
 */
#include "fetch_private.h"

#include <stdio.h>
#include <string.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"
G_STATIC_ASSERT(FETCH_MAX_ATTEMPTS == 3);   /* the reason says so */


void
fetch_moves_init(struct fetch_moves *m)
{
	m->processed = g_array_new(FALSE, FALSE, sizeof(guint32));
	m->review = g_array_new(FALSE, FALSE, sizeof(guint32));
}

void
fetch_moves_add(struct fetch_moves *m, const struct fetch_moves *from)
{
	g_array_append_vals(m->processed, from->processed->data,
			    from->processed->len);
	g_array_append_vals(m->review, from->review->data, from->review->len);
}

void
fetch_moves_clear(struct fetch_moves *m)
{
	g_array_set_size(m->processed, 0);
	g_array_set_size(m->review, 0);
}

void
fetch_moves_free(struct fetch_moves *m)
{
	g_array_unref(m->processed);
	g_array_unref(m->review);
}



void
fetch_batch_free(struct fetch_batch **bp)
{
	struct fetch_batch *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; b->parsed != NULL && i < imap_batch_count(b->raw);
	     i++)
		ingest_parsed_free(&b->parsed[i]);
	g_free(b->parsed);
	if (b->mark != NULL)
		g_array_unref(b->mark);
	imap_batch_free(&b->raw);
	fetch_moves_free(&b->out);
	g_free(b);
	*bp = NULL;
}


int
fetch_too_big(const struct config *cfg, uint32_t size)
{
	return size > (uint32_t)cfg->store_max_message_bytes;
}

/* A message's count at the start of the poll (0: none). */
int
fetch_attempts_of(GHashTable *attempts, uint32_t uid)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(attempts,
						   GUINT_TO_POINTER(uid)));
}

struct fetch_batch *
fetch_batch_new(const struct fetch_batch *proto)
{
	struct fetch_batch *b = g_new0(struct fetch_batch, 1);

	b->ing = proto->ing;
	b->mailbox = proto->mailbox;
	b->uidvalidity = proto->uidvalidity;
	b->attempts = proto->attempts;
	b->last_uid = proto->last_uid;
	fetch_moves_init(&b->out);
	return b;
}

/* On the connection's thread: FETCH these UIDs (sizes: their RFC822.SIZE). */
int
fetch_prepare(struct imap *im, const struct fetch_batch *proto,
	      const uint32_t *uids, const uint32_t *sizes, size_t n,
	      struct fetch_batch **b_r, struct cm_error *err)
{
	int head = n == 1 && fetch_too_big(proto->ing->cfg, sizes[0]);
	struct fetch_batch *b = fetch_batch_new(proto);
	int rc;

	*b_r = NULL;
	b->suspect = n == 1 && fetch_attempts_of(b->attempts, uids[0]) > 0;
	b->head_size = head ? sizes[0] : 0;
	if ((rc = imap_fetch_heads(im, uids, n, head ? FETCH_HEAD_BYTES : 0,
				   &b->raw, err)) != 0) {
		fetch_batch_free(&b);
		return rc;
	}
	*b_r = b;
	return 0;
}

/* The UIDs of b to count before its parse: all but the poison. */
GArray *
fetch_to_count(const struct fetch_batch *b)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (size_t i = 0; i < imap_batch_count(b->raw); i++) {
		const char *data;
		size_t len;
		uint32_t uid;

		imap_batch_get(b->raw, i, &uid, &data, &len);
		/* The poison's header is still parsed once: counted too. */
		if (fetch_attempts_of(b->attempts, uid) <= FETCH_MAX_ATTEMPTS)
			g_array_append_val(uids, uid);
	}
	return uids;
}

/* Parse the fetched chunk (its counts are committed); poison is only
 * hashed. */
void
fetch_parse(struct fetch_batch *b)
{
	size_t count = imap_batch_count(b->raw);

	b->parsed = g_new0(struct ingest_parsed *, MAX(count, 1));
	for (size_t i = 0; i < count; i++) {
		const char *data;
		size_t len, size;
		uint32_t uid;
		int n;

		imap_batch_get(b->raw, i, &uid, &data, &len);
		/* A message fetched as its head only keeps its real size. */
		size = b->head_size != 0 ? b->head_size : len;
		n = fetch_attempts_of(b->attempts, uid);
		if (n >= FETCH_MAX_ATTEMPTS) {
			log_warnx("imap: %s uid %u %s: not parsed again, set "
				  "aside for review", b->mailbox,
				  (unsigned)uid, FETCH_POISON_REASON);
			/* Its header once, for its identity; never again
			 * if that crashed too. */
			b->parsed[i] = ingest_parse_refused(
				n == FETCH_MAX_ATTEMPTS ? b->ing->cfg : NULL,
				data, len, size, FETCH_POISON_REASON);
		} else {
			b->parsed[i] = ingest_parse(b->ing->cfg, data, len,
						    size);
		}
		b->last_uid = MAX(b->last_uid, uid);
	}
}

static int
fetch_store_messages(struct fetch_batch *b, struct cm_error *err)
{
	for (size_t i = 0; i < imap_batch_count(b->raw); i++) {
		enum ingest_outcome out = INGEST_FAILED;
		struct ingest_source src = { b->mailbox, b->uidvalidity, 0, NULL };
		const char *data;
		size_t len;
		uint32_t uid;
		int rc;

		imap_batch_get(b->raw, i, &uid, &data, &len);
		src.uid = uid;
		rc = ingest_apply(b->ing, b->parsed[i], &src, time_now(), &out,
				  err);
		/* The outcome commits with this: the count has done its job.
		 * Poison keeps its count, so it is never parsed. */
		if (rc == 0 && fetch_attempts_of(b->attempts, uid) <
			       FETCH_MAX_ATTEMPTS)
			rc = store_attempts_clear(b->ing->store, b->mailbox,
						  b->uidvalidity, uid, err);
		if (rc != 0)
			return rc;
		g_array_append_val(ingest_outcome_for_review(out)
					   ? b->out.review : b->out.processed,
				   uid);
	}
	return 0;
}

/* Files first, then the rows naming them (synchronous=FULL). */
int
fetch_commit(struct ingest *ing, struct cm_error *err)
{
	int rc = ingest_sync(ing, err);

	if (rc == 0)
		rc = store_commit(ing->store, err);
	return rc;
}

/*
 * On the worker thread: the chunk into the open transaction (begun if
 * need be), committed when the chunk says so or when idle is set (no
 * chunk is waiting: the lock must not be held while the poll's thread
 * waits for the server).  On failure the whole transaction is rolled
 * back, earlier uncommitted chunks with it.
 */
static int
fetch_store(struct fetch_batch *b, int idle, struct cm_error *err)
{
	struct store *s = b->ing->store;
	int rc = 0;

	/* The write lock is taken only now, after the FETCH arrived, so
	 * casectl never waits on the network for the first chunk. */
	if (imap_batch_count(b->raw) > 0) {
		if (!store_in_transaction(s))
			rc = store_begin(s, err);
		if (rc == 0)
			rc = fetch_store_messages(b, err);
		if (rc == 0)
			rc = store_mailbox_set(s, b->mailbox, b->uidvalidity,
					       b->last_uid, err);
	}
	if (rc == 0 && (b->commit || idle) && store_in_transaction(s)) {
		rc = fetch_commit(b->ing, err);
		b->committed = rc == 0;
		if (b->committed)
			log_debug("imap: committed up to %s uid %u (%s)",
				  b->mailbox, (unsigned)b->last_uid,
				  b->commit ? "batch full or mailbox done"
					    : "caught up with the server");
	}
	if (rc != 0)
		store_rollback(s);
	return rc;
}

/* On the worker thread: count the attempts of b->mark and commit them,
 * with whatever the open transaction holds. */
static int
fetch_store_mark(struct fetch_batch *b, struct cm_error *err)
{
	struct store *s = b->ing->store;
	int rc = 0;

	if (!store_in_transaction(s))
		rc = store_begin(s, err);
	if (rc == 0)
		rc = store_attempts_add(s, b->mailbox, b->uidvalidity,
					(const uint32_t *)(void *)b->mark->data,
					b->mark->len, 1, time_now(), err);
	if (rc == 0)
		rc = fetch_commit(b->ing, err);
	b->committed = rc == 0;
	if (rc != 0)
		store_rollback(s);
	return rc;
}


static struct fetch_batch fetch_end_marker;

static void
fetch_pipe_store(struct fetch_pipe *w, struct fetch_batch *b)
{
	struct ingest *ing = b->ing;

	if (w->failed) {
		b->skipped = 1;
	} else {
		/* The counts say what was kept: a rollback takes back its
		 * share. */
		if (!store_in_transaction(ing->store))
			w->at_begin = ing->stats;
		/* Nothing queued behind this chunk: commit rather than wait
		 * for the network with the write lock held. */
		b->rc = b->mark != NULL
				? fetch_store_mark(b, &b->err)
				: fetch_store(b, g_async_queue_length(w->todo) <= 0,
					      &b->err);
		w->failed = b->rc != 0;
		if (w->failed) {
			log_warnx("imap: store failed: the messages of the "
				  "open transaction stay in %s for the next "
				  "poll", b->mailbox);
			ing->stats = w->at_begin;
		}
	}
	g_async_queue_push(w->done, b);
}

static gpointer
fetch_worker(gpointer data)
{
	struct fetch_pipe *w = data;
	struct fetch_batch *b;

	while ((b = g_async_queue_pop(w->todo)) != &fetch_end_marker)
		fetch_pipe_store(w, b);
	return NULL;
}

void
fetch_pipe_start(struct fetch_pipe *w)
{
	memset(w, 0, sizeof(*w));
	w->todo = g_async_queue_new();
	w->done = g_async_queue_new();
	/* No thread to be had: one thing at a time, on this thread. */
	w->worker = g_thread_try_new("casemail-store", fetch_worker, w, NULL);
}

/* Hand b over; with front, before the chunks already waiting. */
void
fetch_pipe_push(struct fetch_pipe *w, struct fetch_batch *b, int front)
{
	w->in_flight++;
	w->suspects += b->suspect;
	if (w->worker == NULL)
		fetch_pipe_store(w, b);
	else if (front)
		g_async_queue_push_front(w->todo, b);
	else
		g_async_queue_push(w->todo, b);
}

/* The next stored chunk, waiting for it when wait is set; NULL if none. */
struct fetch_batch *
fetch_pipe_pop(struct fetch_pipe *w, int wait)
{
	struct fetch_batch *b;

	if (w->in_flight == 0)
		return NULL;
	b = wait ? g_async_queue_pop(w->done) : g_async_queue_try_pop(w->done);
	if (b != NULL) {
		w->in_flight--;
		w->suspects -= b->suspect;
	}
	return b;
}

void
fetch_pipe_stop(struct fetch_pipe *w)
{
	if (w->worker != NULL) {
		g_async_queue_push(w->todo, &fetch_end_marker);
		g_thread_join(w->worker);
		w->worker = NULL;
	}
}

void
fetch_pipe_free(struct fetch_pipe *w)
{
	g_async_queue_unref(w->todo);
	g_async_queue_unref(w->done);
}
