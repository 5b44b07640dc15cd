/* fetch.c - the poll cycle: UIDVALIDITY, chunks, attempts, commit, then
 * move; and the reconnect loop (see fetch_private.h). */
#include "fetch_private.h"

#include <stdio.h>
#include <string.h>

#include "casemail/log.h"
#include "casemail/oauth2.h"
#include "casemail/timeutil.h"

int
fetch_imap_conf(const struct config *cfg, struct imap_conf *conf,
		char **password_r, struct cm_error *err)
{
	memset(conf, 0, sizeof(*conf));
	*password_r = NULL;
	if (cfg->imap_host == NULL || cfg->imap_user == NULL)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] host and user "
				    "are needed to fetch mail", cfg->path);
	if (cfg->imap_password_file == NULL &&
	    cfg->imap_auth != CONFIG_AUTH_OAUTH2)
		return cm_error_set(err, CM_ECONFIG, "%s: [imap] password_file "
				    "is needed to fetch mail", cfg->path);
	conf->host = cfg->imap_host;
	conf->tls = cfg->imap_tls == CONFIG_IMAP_TLS_IMAPS ? IMAP_TLS_IMAPS :
		    cfg->imap_tls == CONFIG_IMAP_TLS_STARTTLS ? IMAP_TLS_STARTTLS :
		    IMAP_TLS_NONE;
	conf->port = cfg->imap_port != 0 ? cfg->imap_port :
		     conf->tls == IMAP_TLS_IMAPS ? 993 : 143;
	conf->tls_verify = cfg->imap_tls_verify;
	conf->ca_file = cfg->imap_ca_file;
	conf->user = cfg->imap_user;
	conf->timeout_secs = cfg->imap_timeout_secs;
	if (cfg->imap_auth == CONFIG_AUTH_OAUTH2) {
		int rc = oauth2_token(oauth2_shared(cfg), NULL, password_r, err);

		conf->user = config_oauth2_user(cfg, 1);
		conf->access_token = *password_r;
		return rc;
	}
	if (config_read_secret(cfg->imap_password_file, password_r, err) != 0)
		return CM_ECONFIG;
	conf->password = *password_r;
	return 0;
}

int
fetch_connect(const struct config *cfg, struct imap **im_r,
	      struct cm_error *err)
{
	struct imap_conf conf;
	char *secret = NULL, *fresh = NULL;
	int rc;

	*im_r = NULL;
	rc = fetch_imap_conf(cfg, &conf, &secret, err);
	if (rc == 0)
		rc = imap_connect(&conf, im_r, err);
	/* A refused access token: one new one, one more try. */
	if (rc == CM_EREFUSED && conf.access_token != NULL) {
		rc = oauth2_token(oauth2_shared(cfg), secret, &fresh, err);
		conf.access_token = fresh;
		if (rc == 0)
			rc = imap_connect(&conf, im_r, err);
		/* A fresh token refused too: the account, not the token
		 * (no permission on the mailbox, IMAP switched off). */
		if (rc == CM_EREFUSED && fresh != NULL)
			err->code = rc = CM_ECONFIG;
	}
	oauth2_secret_free(&secret);
	oauth2_secret_free(&fresh);
	return rc;
}

/*
 * Committed UIDs wait to be moved in bulk: a MOVE costs the server
 * (Dovecot rewrites its index) about as much for 100 messages as for
 * 2,000.  Until they are moved they are simply fetched again after a
 * crash and found to be duplicates.
 */
#define FETCH_MOVE_MIN 2000

/* A re-fetched message keeps the destination its first outcome chose. */
static int
fetch_move(struct imap *im, const struct config *cfg, struct fetch_moves *m,
	   guint min, struct cm_error *err)
{
	int rc = 0;

	if (m->processed->len + m->review->len < MAX(min, 1))
		return 0;
	if (m->processed->len > 0)
		rc = imap_move(im, (const uint32_t *)(void *)m->processed->data,
			       m->processed->len, cfg->imap_processed_mailbox, err);
	if (rc == 0 && m->review->len > 0)
		rc = imap_move(im, (const uint32_t *)(void *)m->review->data,
			       m->review->len, cfg->imap_review_mailbox, err);
	if (rc == 0)
		fetch_moves_clear(m);
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

/* Where a poll stands. */
struct fetch_poll_state {
	struct imap *im;
	struct ingest *ing;
	GArray *uids;
	GArray *sizes;       /* guint32 RFC822.SIZE of uids[0 .. sized) */
	guint sized;
	guint next;          /* index in uids of the next chunk */
	guint uncommitted;   /* messages fetched since the last commit */
	struct fetch_batch proto;
	struct fetch_pipe pipe;
	struct fetch_moves stored;  /* in the open transaction */
	struct fetch_moves moves;   /* committed, not moved yet */
	GHashTable *attempts;       /* counts at the poll's start */
	GArray *counted;     /* guint32 UIDs whose count this poll added */
	int imap_failed;     /* the connection is no good any more */
	int store_rc;        /* the worker's first failure */
	struct cm_error store_err;
};

static int
fetch_suspect(const struct fetch_poll_state *p, guint i)
{
	return fetch_attempts_of(p->attempts,
				 g_array_index(p->uids, guint32, i)) > 0;
}

/* A message that comes in a chunk of its own: too big to be read whole,
 * or suspected of crashing the parser. */
static int
fetch_alone(const struct fetch_poll_state *p, guint i)
{
	return fetch_too_big(p->ing->cfg, g_array_index(p->sizes, guint32, i)) ||
	       fetch_suspect(p, i);
}

/* How many of the next UIDs make a chunk: see FETCH_CHUNK_BYTES.  Sizes
 * are asked for [imap] batch UIDs at a time and kept for the chunks after. */
static int
fetch_chunk_size(struct fetch_poll_state *p, size_t *n_r, struct cm_error *err)
{
	/* No transaction over [imap] batch messages. */
	size_t max = MIN((guint)p->ing->cfg->imap_batch - p->uncommitted,
			 p->uids->len - p->next);
	size_t n = 0, bytes = 0, ask;
	const uint32_t *sizes;
	int rc;

	*n_r = 0;
	if (p->sized < p->next + max) {
		p->sized = MAX(p->sized, p->next);
		ask = MIN((guint)p->ing->cfg->imap_batch,
			  p->uids->len - p->sized);
		g_array_set_size(p->sizes, p->sized + ask);
		rc = imap_sizes(p->im, &g_array_index(p->uids, guint32, p->sized),
				ask, &g_array_index(p->sizes, guint32, p->sized),
				err);
		if (rc != 0)
			return rc;
		p->sized += ask;
		max = MIN(max, p->sized - p->next);
	}
	sizes = &g_array_index(p->sizes, guint32, p->next);
	/* At least one message, however big: it has to come in somehow.
	 * One too big to be read whole (fetch_prepare(), fetch_chunk.c) or
	 * a suspect (see FETCH_MAX_ATTEMPTS) comes alone. */
	while (n < max && (n == 0 || (bytes + sizes[n] <= FETCH_CHUNK_BYTES &&
				      !fetch_alone(p, p->next) &&
				      !fetch_alone(p, p->next + n))))
		bytes += sizes[n++];
	*n_r = n;
	return 0;
}

/* A chunk back from the worker: its UIDs wait for their commit. */
static void
fetch_stored(struct fetch_poll_state *p, struct fetch_batch *b)
{
	if (b->skipped) {
		/* Nothing of it was stored. */
	} else if (b->rc != 0) {
		fetch_moves_clear(&p->stored);   /* rolled back */
		p->store_rc = b->rc;
		p->store_err = b->err;
	} else {
		if (b->mark != NULL)
			g_array_append_vals(p->counted, b->mark->data,
					    b->mark->len);
		fetch_moves_add(&p->stored, &b->out);
		if (b->committed) {
			fetch_moves_add(&p->moves, &p->stored);
			fetch_moves_clear(&p->stored);
		}
	}
	fetch_batch_free(&b);
}

/*
 * Count b's attempts and wait until the count is committed (see
 * FETCH_MAX_ATTEMPTS): ahead of the chunks waiting for the worker, unless
 * a suspect is among them, which must be committed first.  Returns
 * nonzero when b may be parsed; zero after a store failure.
 */
static int
fetch_count(struct fetch_poll_state *p, const struct fetch_batch *b)
{
	struct fetch_batch *m = fetch_batch_new(&p->proto), *d;
	int ok;

	m->mark = fetch_to_count(b);
	if (m->mark->len == 0) {     /* only poison: nothing is parsed */
		fetch_batch_free(&m);
		return 1;
	}
	fetch_pipe_push(&p->pipe, m, p->pipe.suspects == 0);
	while ((d = fetch_pipe_pop(&p->pipe, 1)) != m)
		fetch_stored(p, d);
	ok = m->rc == 0 && !m->skipped;
	fetch_stored(p, m);
	return ok && p->store_rc == 0;
}

/* Fetch, count and parse the next chunk; *b_r is NULL when none is left,
 * a stop was asked for or the store failed. */
static int
fetch_next(struct fetch_poll_state *p, struct fetch_batch **b_r,
	   struct cm_error *err)
{
	size_t n = 0;
	int rc;

	*b_r = NULL;
	if (p->next >= p->uids->len ||
	    (p->ing->stop != NULL && *p->ing->stop))
		return 0;
	rc = fetch_chunk_size(p, &n, err);
	if (rc == 0)
		rc = fetch_prepare(p->im, &p->proto,
				   &g_array_index(p->uids, guint32, p->next),
				   &g_array_index(p->sizes, guint32, p->next),
				   n, b_r, err);
	if (rc != 0) {
		p->imap_failed = 1;
		return rc;
	}
	if (!fetch_count(p, *b_r)) {
		fetch_batch_free(b_r);
		return 0;    /* the store failed: p->store_rc says how */
	}
	fetch_parse(*b_r);
	p->next += (guint)n;
	p->proto.last_uid = (*b_r)->last_uid;
	p->uncommitted += (guint)n;
	/* The last chunk commits too, unless a stop cuts the poll short:
	 * then fetch_finish() commits what is open. */
	(*b_r)->commit = p->uncommitted >= (guint)p->ing->cfg->imap_batch ||
			 p->next >= p->uids->len;
	if ((*b_r)->commit)
		p->uncommitted = 0;
	return 0;
}

/* Fetch, hand over and move until the mailbox is done or trouble. */
static int
fetch_loop(struct fetch_poll_state *p, struct cm_error *err)
{
	struct fetch_batch *b;
	int rc = 0;

	while (rc == 0 && p->store_rc == 0) {
		while ((b = fetch_pipe_pop(&p->pipe, 0)) != NULL)
			fetch_stored(p, b);
		if (p->store_rc != 0)
			break;
		if ((rc = fetch_move(p->im, p->ing->cfg, &p->moves,
				     FETCH_MOVE_MIN, err)) != 0) {
			p->imap_failed = 1;
			break;
		}
		if (p->pipe.in_flight >= FETCH_AHEAD) {
			fetch_stored(p, fetch_pipe_pop(&p->pipe, 1));
			continue;
		}
		if ((rc = fetch_next(p, &b, err)) != 0 || b == NULL)
			break;
		fetch_pipe_push(&p->pipe, b, 0);
	}
	/* Let the worker finish what it has; it commits nothing more than
	 * the chunks say, and fetch_finish() does the rest. */
	fetch_pipe_stop(&p->pipe);
	while ((b = fetch_pipe_pop(&p->pipe, 1)) != NULL)
		fetch_stored(p, b);
	/* The store's trouble is the one to report: it stopped the poll. */
	if (p->store_rc != 0) {
		if (err != NULL)
			*err = p->store_err;
		return p->store_rc;
	}
	return rc;
}

/*
 * A poll that failed without a crash takes back the counts it added: the
 * messages that got an outcome have none left, the others were not the
 * cause.  The store may be what failed: then they stay, and are logged.
 */
static void
fetch_uncount(struct fetch_poll_state *p)
{
	struct store *s = p->ing->store;
	struct cm_error e = { 0 };
	int rc;

	if (p->counted->len == 0)
		return;
	rc = store_begin(s, &e);
	if (rc == 0)
		rc = store_attempts_add(s, p->proto.mailbox, p->proto.uidvalidity,
					(const uint32_t *)(void *)p->counted->data,
					p->counted->len, -1, time_now(), &e);
	if (rc == 0)
		rc = store_commit(s, &e);
	if (rc != 0) {
		store_rollback(s);
		log_warnx("imap: %s: the attempts of up to %u messages stay "
			  "counted: %s", p->proto.mailbox, p->counted->len,
			  e.msg);
	}
	g_array_set_size(p->counted, 0);
}

/* The end of a poll: commit what is open, move what is committed. */
static int
fetch_finish(struct fetch_poll_state *p, int rc, struct cm_error *err)
{
	struct store *s = p->ing->store;
	struct cm_error e = { 0 };
	int crc, mrc;

	/* A store failure has rolled back already; anything else (a stop,
	 * the connection lost) leaves good work open: keep it. */
	if (store_in_transaction(s)) {
		crc = fetch_commit(p->ing, rc == 0 ? err : &e);
		if (crc == 0) {
			fetch_moves_add(&p->moves, &p->stored);
		} else {
			store_rollback(s);
			p->ing->stats = p->pipe.at_begin;
			if (rc == 0)
				rc = crc;
		}
	}
	if (rc != 0)
		fetch_uncount(p);
	/* What was committed before a failure is moved all the same. */
	if (!p->imap_failed) {
		mrc = fetch_move(p->im, p->ing->cfg, &p->moves, 1,
				 rc == 0 ? err : &e);
		if (rc == 0)
			rc = mrc;
	}
	return rc;
}

int
fetch_poll(struct imap *im, struct ingest *ing, struct cm_error *err)
{
	struct fetch_poll_state p = { 0 };
	int rc;

	p.im = im;
	p.ing = ing;
	p.proto.ing = ing;
	p.proto.mailbox = ing->cfg->imap_mailbox;
	fetch_moves_init(&p.stored);
	fetch_moves_init(&p.moves);
	p.sizes = g_array_new(FALSE, TRUE, sizeof(guint32));
	p.counted = g_array_new(FALSE, FALSE, sizeof(guint32));
	p.attempts = g_hash_table_new(NULL, NULL);
	p.proto.attempts = p.attempts;
	rc = fetch_select(im, &p.proto, err);
	if (rc == 0)
		rc = store_attempts_load(ing->store, p.proto.mailbox,
					 p.proto.uidvalidity, p.attempts, err);
	/*
	 * Everything still in the mailbox, not only UIDs past the last one:
	 * a message committed but not moved before a crash is still here,
	 * and must be moved now (ingest sees it as a duplicate).
	 */
	if (rc == 0)
		rc = imap_uids_after(im, 0, &p.uids, err);
	if (rc != 0) {
		p.imap_failed = 1;
	} else if (p.uids->len > 0) {
		fetch_pipe_start(&p.pipe);
		rc = fetch_loop(&p, err);
		fetch_pipe_free(&p.pipe);
	}
	rc = fetch_finish(&p, rc, err);
	if (p.uids != NULL)
		g_array_unref(p.uids);
	g_array_unref(p.sizes);
	g_array_unref(p.counted);
	g_hash_table_unref(p.attempts);
	fetch_moves_free(&p.stored);
	fetch_moves_free(&p.moves);
	return rc;
}

int
fetch_once(struct ingest *ing, struct cm_error *err)
{
	struct imap *im = NULL;
	int rc;

	rc = fetch_connect(ing->cfg, &im, err);
	if (rc == 0)
		rc = fetch_poll(im, ing, err);
	imap_close(&im);
	return rc;
}

/* The fetcher's states, logged once each time they change. */
enum fetch_state {
	FETCH_CONNECTING,
	FETCH_IDLING,
	FETCH_POLLING,
	FETCH_BACKING_OFF,
	FETCH_NO_LOGIN,     /* OAuth2 without a usable refresh token */
};

/* What fetch_run() keeps from one session to the next. */
struct fetch_run_state {
	struct ingest *ing;
	volatile sig_atomic_t *stop;
	fetch_hook_cb hook;
	void *hook_ctx;
	enum fetch_state state;
	int logged;
	char last_error[CM_ERROR_MSG_MAX];
	int backoff_secs;
};

static void
fetch_state_set(struct fetch_run_state *l, enum fetch_state st,
		const char *detail)
{
	static const char *const names[] = {
		"connecting", "idling", "polling", "backing off",
		"not reading the mailbox until casectl oauth login",
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
fetch_sleep(struct fetch_run_state *l, int secs)
{
	for (int i = 0; i < secs && !*l->stop; i++) {
		if (l->hook != NULL && i % FETCH_ALIVE_SECS == 0)
			l->hook(l->hook_ctx, 0, l->last_error);
		g_usleep(G_USEC_PER_SEC);
	}
}

static void
fetch_failed(struct fetch_run_state *l, int rc, const struct cm_error *e)
{
	char detail[CM_ERROR_MSG_MAX + 64];

	/* The same error again is not news: only the first is logged (the
	 * token source logs its own changes, once: not again here). */
	if (strcmp(l->last_error, e->msg) != 0) {
		if (!g_str_has_prefix(e->msg, "oauth2: "))
			log_errx("%s", e->msg);
		g_strlcpy(l->last_error, e->msg, sizeof(l->last_error));
	}
	if (rc == CM_ECONFIG)
		l->backoff_secs = FETCH_BACKOFF_MAX_SECS;
	/* No login (refused or never made): the token source only reads
	 * the refresh token file until an admin logs in again, so look
	 * often enough that the login is taken up at once. */
	if (rc == CM_EREFUSED)
		l->backoff_secs = MIN(l->backoff_secs, FETCH_LOGIN_RECHECK_SECS);
	snprintf(detail, sizeof(detail), "retrying in %d s", l->backoff_secs);
	/* Waiting for a login is one state, said once, however long. */
	fetch_state_set(l, rc == CM_EREFUSED ? FETCH_NO_LOGIN
					     : FETCH_BACKING_OFF,
			rc == CM_EREFUSED ? NULL : detail);
	fetch_sleep(l, l->backoff_secs);
	l->backoff_secs = MIN(l->backoff_secs * 2, FETCH_BACKOFF_MAX_SECS);
}

/* One connected session: poll, wait for news, poll again, until trouble. */
static int
fetch_session(struct fetch_run_state *l, struct imap *im, struct cm_error *err)
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
fetch_run(struct ingest *ing, volatile sig_atomic_t *stop,
	  fetch_hook_cb hook, void *hook_ctx, struct cm_error *err)
{
	struct fetch_run_state l = { 0 };
	struct cm_error e;
	struct imap *im;
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
		if (l.state != FETCH_NO_LOGIN)
			fetch_state_set(&l, FETCH_CONNECTING,
					ing->cfg->imap_host);
		/* The password file is read each time: it may be rotated. */
		rc = fetch_connect(ing->cfg, &im, &e);
		if (rc == 0)
			rc = fetch_session(&l, im, &e);
		imap_close(&im);
		if (rc != 0 && !*stop)
			fetch_failed(&l, rc, &e);
	}
	ing->stop = NULL;
	return 0;
}
