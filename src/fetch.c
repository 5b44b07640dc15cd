/* fetch.c - the poll cycle: UIDVALIDITY, batches, commit, then move. */
#include "casemail/fetch.h"

#include <stdio.h>
#include <string.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"

/*
 * One batch on its way through a poll: fetched and parsed on the
 * connection's thread, stored in one transaction on a worker thread while
 * the connection fetches and parses the next batch, and moved on the
 * server only after that transaction committed.  Two cores do the work of
 * two (the parse and the store take about as long as each other), and at
 * most two batches are in memory.
 */
struct fetch_batch {
	struct ingest *ing;
	const char *mailbox;
	int64_t uidvalidity;
	struct imap_batch *raw;
	struct ingest_parsed **parsed; /* one per message of raw */
	GArray *processed;   /* guint32 uids for the processed mailbox */
	GArray *review;      /* guint32 uids for the review mailbox */
	uint32_t last_uid;   /* the highest UID seen up to this batch */
	int rc;              /* the store's verdict, set by the worker */
	struct cm_error err;
};

int
fetch_imap_conf(const struct config *cfg, struct imap_conf *conf,
		char **password_r, struct cm_error *err)
{
	memset(conf, 0, sizeof(*conf));
	*password_r = NULL;
	if (cfg->imap_host == NULL || cfg->imap_user == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] host and user "
				    "are needed to fetch mail", cfg->path);
	if (cfg->imap_password_file == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] password_file "
				    "is needed to fetch mail", cfg->path);
	conf->host = cfg->imap_host;
	conf->tls = strcmp(cfg->imap_tls, "imaps") == 0 ? IMAP_TLS_IMAPS :
		    strcmp(cfg->imap_tls, "starttls") == 0 ? IMAP_TLS_STARTTLS :
		    IMAP_TLS_NONE;
	conf->port = cfg->imap_port != 0 ? cfg->imap_port :
		     conf->tls == IMAP_TLS_IMAPS ? 993 : 143;
	conf->tls_verify = cfg->imap_tls_verify;
	conf->ca_file = cfg->imap_ca_file;
	conf->user = cfg->imap_user;
	conf->timeout_secs = cfg->imap_timeout_secs;
	if (config_read_secret(cfg->imap_password_file, password_r, err) != 0)
		return CM_ECONFIG;
	conf->password = *password_r;
	return 0;
}

static void
fetch_batch_free(struct fetch_batch **bp)
{
	struct fetch_batch *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; b->raw != NULL && i < imap_batch_count(b->raw); i++)
		ingest_parsed_free(&b->parsed[i]);
	g_free(b->parsed);
	imap_batch_free(&b->raw);
	g_array_unref(b->processed);
	g_array_unref(b->review);
	g_free(b);
	*bp = NULL;
}

/* On the connection's thread: FETCH these UIDs and parse what came. */
static int
fetch_prepare(struct imap *im, const struct fetch_batch *proto,
	      const uint32_t *uids, size_t n, struct fetch_batch **b_r,
	      struct cm_error *err)
{
	struct fetch_batch *b = g_new0(struct fetch_batch, 1);
	size_t count;
	int rc;

	*b_r = NULL;
	b->ing = proto->ing;
	b->mailbox = proto->mailbox;
	b->uidvalidity = proto->uidvalidity;
	b->last_uid = proto->last_uid;
	b->processed = g_array_new(FALSE, FALSE, sizeof(guint32));
	b->review = g_array_new(FALSE, FALSE, sizeof(guint32));
	if ((rc = imap_fetch_batch(im, uids, n, &b->raw, err)) != 0) {
		fetch_batch_free(&b);
		return rc;
	}
	count = imap_batch_count(b->raw);
	b->parsed = g_new0(struct ingest_parsed *, MAX(count, 1));
	for (size_t i = 0; i < count; i++) {
		const char *data;
		size_t len;
		uint32_t uid;

		imap_batch_get(b->raw, i, &uid, &data, &len);
		b->parsed[i] = ingest_parse(data, len);
		b->last_uid = MAX(b->last_uid, uid);
	}
	*b_r = b;
	return 0;
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
		if (rc != 0)
			return rc;
		g_array_append_val(ingest_outcome_for_review(out) ? b->review
								   : b->processed, uid);
	}
	return 0;
}

/*
 * On the worker thread: the whole batch in one transaction.  Files
 * first, then the rows naming them (synchronous=FULL); the server hears
 * of it only after this returned 0.
 */
static int
fetch_store(struct fetch_batch *b, struct cm_error *err)
{
	struct store *s = b->ing->store;
	int rc;

	if (imap_batch_count(b->raw) == 0)
		return 0;   /* nothing arrived: the UIDs were gone */
	/* The write lock is taken only now, after the FETCH arrived, so
	 * casectl never waits on the network. */
	rc = store_begin(s, err);
	if (rc == 0)
		rc = fetch_store_messages(b, err);
	if (rc == 0)
		rc = store_mailbox_set(s, b->mailbox, b->uidvalidity,
				       b->last_uid, err);
	if (rc == 0)
		rc = ingest_sync(b->ing, err);
	if (rc == 0)
		rc = store_commit(s, err);
	if (rc != 0)
		store_rollback(s);
	return rc;
}

static gpointer
fetch_store_thread(gpointer data)
{
	struct fetch_batch *b = data;

	b->rc = fetch_store(b, &b->err);
	return NULL;
}

/* A re-fetched message keeps the destination its first outcome chose. */
static int
fetch_move(struct imap *im, const struct config *cfg,
	   const struct fetch_batch *b, struct cm_error *err)
{
	int rc = 0;

	if (b->processed->len > 0)
		rc = imap_move(im, (const uint32_t *)(void *)b->processed->data,
			       b->processed->len, cfg->imap_processed_mailbox, err);
	if (rc == 0 && b->review->len > 0)
		rc = imap_move(im, (const uint32_t *)(void *)b->review->data,
			       b->review->len, cfg->imap_review_mailbox, err);
	return rc;
}

static int
fetch_select(struct imap *im, struct fetch_batch *b, struct cm_error *err)
{
	const struct config *cfg = b->ing->cfg;
	int64_t known_validity = 0, last = 0;
	uint32_t validity = 0, uidnext = 0;
	int rc;

	if ((rc = imap_ensure_mailbox(im, cfg->imap_processed_mailbox, err)) != 0 ||
	    (rc = imap_ensure_mailbox(im, cfg->imap_review_mailbox, err)) != 0 ||
	    (rc = imap_select(im, cfg->imap_mailbox, &validity, &uidnext, err)) != 0)
		return rc;
	rc = store_mailbox_get(b->ing->store, cfg->imap_mailbox,
			       &known_validity, &last, err);
	if (rc == 0 && known_validity != 0 && known_validity != validity) {
		log_warnx("imap: %s UIDVALIDITY changed %lld -> %u: rescanning "
			  "(Message-IDs keep it free of duplicates)",
			  cfg->imap_mailbox, (long long)known_validity, validity);
		last = 0;
	}
	b->uidvalidity = validity;
	b->last_uid = (uint32_t)last;
	return rc;
}

/* Where a poll stands: the UIDs to do and the batch fetched last. */
struct fetch_poll {
	struct imap *im;
	struct ingest *ing;
	GArray *uids;
	guint next;          /* index in uids of the next batch */
	struct fetch_batch proto;
};

/* Fetch and parse the next batch; *b_r is NULL when none is left or a
 * stop was asked for. */
static int
fetch_next(struct fetch_poll *p, struct fetch_batch **b_r,
	   struct cm_error *err)
{
	size_t n;
	int rc;

	*b_r = NULL;
	if (p->next >= p->uids->len ||
	    (p->ing->stop != NULL && *p->ing->stop))
		return 0;
	n = MIN((guint)p->ing->cfg->imap_batch, p->uids->len - p->next);
	rc = fetch_prepare(p->im, &p->proto,
			   &g_array_index(p->uids, guint32, p->next), n, b_r,
			   err);
	if (rc == 0) {
		p->next += (guint)n;
		p->proto.last_uid = (*b_r)->last_uid;
	}
	return rc;
}

/*
 * Store cur on a worker thread while this thread moves what the last
 * round committed (done) and fetches the next batch.  On return cur
 * has been stored (cur->rc) and *next_r is the next batch or NULL.
 */
static int
fetch_round(struct fetch_poll *p, struct fetch_batch *cur,
	    struct fetch_batch **done, struct fetch_batch **next_r,
	    struct cm_error *err)
{
	GThread *worker = g_thread_try_new("casemail-store",
					   fetch_store_thread, cur, NULL);
	int rc = 0;

	*next_r = NULL;
	if (worker == NULL)   /* no thread to be had: one thing at a time */
		fetch_store_thread(cur);
	if (*done != NULL) {
		rc = fetch_move(p->im, p->ing->cfg, *done, err);
		fetch_batch_free(done);
	}
	if (rc == 0)
		rc = fetch_next(p, next_r, err);
	if (worker != NULL)
		g_thread_join(worker);
	/* The store's trouble is the one to report: it stops the poll. */
	if (cur->rc != 0) {
		if (err != NULL)
			*err = cur->err;
		rc = cur->rc;
	}
	return rc;
}

int
fetch_poll(struct imap *im, struct ingest *ing, struct cm_error *err)
{
	struct fetch_poll p = { 0 };
	struct fetch_batch *cur = NULL, *done = NULL, *next = NULL;
	int rc;

	p.im = im;
	p.ing = ing;
	p.proto.ing = ing;
	p.proto.mailbox = ing->cfg->imap_mailbox;
	rc = fetch_select(im, &p.proto, err);
	/*
	 * Everything still in the mailbox, not only UIDs past the last one:
	 * a message committed but not moved before a crash is still here,
	 * and must be moved now (ingest sees it as a duplicate).
	 */
	if (rc == 0)
		rc = imap_uids_after(im, 0, &p.uids, err);
	if (rc == 0)
		rc = fetch_next(&p, &cur, err);
	while (rc == 0 && cur != NULL) {
		rc = fetch_round(&p, cur, &done, &next, err);
		if (cur->rc == 0)
			done = cur;
		else
			fetch_batch_free(&cur);
		cur = next;
		next = NULL;
	}
	if (rc == 0 && done != NULL)
		rc = fetch_move(im, ing->cfg, done, err);
	fetch_batch_free(&done);
	fetch_batch_free(&cur);
	if (p.uids != NULL)
		g_array_unref(p.uids);
	return rc;
}

int
fetch_once(struct ingest *ing, struct cm_error *err)
{
	struct imap_conf conf;
	struct imap *im = NULL;
	char *password = NULL;
	int rc;

	rc = fetch_imap_conf(ing->cfg, &conf, &password, err);
	if (rc == 0)
		rc = imap_connect(&conf, &im, err);
	if (rc == 0)
		rc = fetch_poll(im, ing, err);
	imap_close(&im);
	if (password != NULL)
		memset(password, 0, strlen(password));
	g_free(password);
	return rc;
}

/* The fetcher's states, logged once each time they change. */
enum fetch_state {
	FETCH_CONNECTING,
	FETCH_IDLING,
	FETCH_POLLING,
	FETCH_BACKING_OFF,
};

struct fetch_loop {
	struct ingest *ing;
	volatile int *stop;
	fetch_hook_cb hook;
	void *hook_ctx;
	enum fetch_state state;
	int logged;
	char last_error[CM_ERROR_MSG_MAX];
	int backoff_secs;
};

static void
fetch_state_set(struct fetch_loop *l, enum fetch_state st, const char *detail)
{
	static const char *const names[] = {
		"connecting", "idling", "polling", "backing off",
	};

	if (l->logged && l->state == st)
		return;
	l->state = st;
	l->logged = 1;
	log_info("imap: %s%s%s", names[st], detail != NULL ? ": " : "",
		 detail != NULL ? detail : "");
}

/* Sleep secs seconds in one-second slices, so a stop is seen quickly;
 * the hook hears that we are alive every FETCH_ALIVE_SECS. */
#define FETCH_ALIVE_SECS 10
static void
fetch_sleep(struct fetch_loop *l, int secs)
{
	for (int i = 0; i < secs && !*l->stop; i++) {
		if (l->hook != NULL && i % FETCH_ALIVE_SECS == 0)
			l->hook(l->hook_ctx, 0, l->last_error);
		g_usleep(G_USEC_PER_SEC);
	}
}

static void
fetch_failed(struct fetch_loop *l, int rc, const struct cm_error *e)
{
	char detail[CM_ERROR_MSG_MAX + 64];

	/* The same error again is not news: only the first is logged. */
	if (strcmp(l->last_error, e->msg) != 0) {
		log_errx("%s", e->msg);
		g_strlcpy(l->last_error, e->msg, sizeof(l->last_error));
	}
	if (rc == CM_ECONFIG)
		l->backoff_secs = FETCH_BACKOFF_MAX_SECS;
	snprintf(detail, sizeof(detail), "retrying in %d s", l->backoff_secs);
	fetch_state_set(l, FETCH_BACKING_OFF, detail);
	fetch_sleep(l, l->backoff_secs);
	l->backoff_secs = MIN(l->backoff_secs * 2, FETCH_BACKOFF_MAX_SECS);
}

/* One connected session: poll, wait for news, poll again, until trouble. */
static int
fetch_session(struct fetch_loop *l, struct imap *im, struct cm_error *err)
{
	const struct config *cfg = l->ing->cfg;
	int use_idle = cfg->imap_idle && imap_has_idle(im);
	/* Waits come in slices so the hook runs every FETCH_HOOK_SECS. */
	int slice = l->hook != NULL ? FETCH_HOOK_SECS : FETCH_IDLE_REISSUE_SECS;
	int rc = 0, poll = 1, changed, since_poll = 0, secs;

	while (rc == 0 && !*l->stop) {
		if (poll) {
			if ((rc = fetch_poll(im, l->ing, err)) != 0)
				break;
			/* A session that works resets the backoff and error. */
			l->backoff_secs = FETCH_BACKOFF_MIN_SECS;
			l->last_error[0] = '\0';
			since_poll = 0;
		}
		if (l->hook != NULL)
			l->hook(l->hook_ctx, poll, l->last_error);
		if (use_idle) {
			fetch_state_set(l, FETCH_IDLING, NULL);
			changed = 0;
			rc = imap_idle(im, slice, l->stop, &changed, err);
			poll = changed;
			continue;
		}
		fetch_state_set(l, FETCH_POLLING, NULL);
		secs = MIN(cfg->imap_poll_interval_secs - since_poll, slice);
		fetch_sleep(l, secs);
		since_poll += secs;
		poll = since_poll >= cfg->imap_poll_interval_secs;
		if (!poll && !*l->stop)
			rc = imap_noop(im, err);
	}
	return rc;
}

int
fetch_run(struct ingest *ing, volatile int *stop, fetch_hook_cb hook,
	  void *hook_ctx, struct cm_error *err)
{
	struct fetch_loop l = { 0 };
	struct cm_error e;
	struct imap_conf conf;
	struct imap *im;
	char *password;
	int rc;

	(void)err;
	l.ing = ing;
	l.stop = stop;
	l.hook = hook;
	l.hook_ctx = hook_ctx;
	l.backoff_secs = FETCH_BACKOFF_MIN_SECS;
	ing->stop = stop;
	while (!*stop) {
		cm_error_clear(&e);
		im = NULL;
		password = NULL;
		fetch_state_set(&l, FETCH_CONNECTING, ing->cfg->imap_host);
		/* The password file is read each time: it may be rotated. */
		rc = fetch_imap_conf(ing->cfg, &conf, &password, &e);
		if (rc == 0)
			rc = imap_connect(&conf, &im, &e);
		if (password != NULL)
			memset(password, 0, strlen(password));
		g_free(password);
		if (rc == 0)
			rc = fetch_session(&l, im, &e);
		imap_close(&im);
		if (rc != 0 && !*stop)
			fetch_failed(&l, rc, &e);
	}
	ing->stop = NULL;
	return 0;
}
