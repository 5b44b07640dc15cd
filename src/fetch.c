/* fetch.c - the poll cycle: UIDVALIDITY, batches, commit, then move. */
#include "casemail/fetch.h"

#include <stdio.h>
#include <string.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"

struct fetch_batch {
	struct ingest *ing;
	const char *mailbox;
	int64_t uidvalidity;
	GArray *processed;   /* guint32 uids for the processed mailbox */
	GArray *review;      /* guint32 uids for the review mailbox */
	uint32_t last_uid;
	int in_txn;
	struct cm_error *err;
	int rc;
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

static int
fetch_one(uint32_t uid, const char *data, size_t len, void *ctx)
{
	struct fetch_batch *b = ctx;
	struct ingest_source src = { b->mailbox, b->uidvalidity, uid, NULL };
	enum ingest_outcome out = INGEST_FAILED;

	/* The write lock is taken only now, after the FETCH arrived, so
	 * casectl never waits on the network. */
	if (!b->in_txn) {
		if ((b->rc = store_begin(b->ing->store, b->err)) != 0)
			return b->rc;
		b->in_txn = 1;
	}
	b->rc = ingest_message(b->ing, data, len, &src, time_now(), &out,
			       b->err);
	if (b->rc != 0)
		return b->rc;
	g_array_append_val(ingest_outcome_for_review(out) ? b->review
							   : b->processed, uid);
	if (uid > b->last_uid)
		b->last_uid = uid;
	return 0;
}

/* A re-fetched message keeps the destination its first outcome chose. */
static int
fetch_move(struct imap *im, const struct config *cfg, struct fetch_batch *b,
	   struct cm_error *err)
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
fetch_batch_run(struct imap *im, struct fetch_batch *b, const uint32_t *uids,
		size_t n, struct cm_error *err)
{
	struct store *s = b->ing->store;
	const struct config *cfg = b->ing->cfg;
	int rc;

	g_array_set_size(b->processed, 0);
	g_array_set_size(b->review, 0);
	b->rc = 0;
	b->in_txn = 0;
	rc = imap_fetch(im, uids, n, fetch_one, b, err);
	if (!b->in_txn)
		return rc;   /* nothing arrived: the UIDs were gone */
	if (rc == 0)
		rc = store_mailbox_set(s, b->mailbox, b->uidvalidity,
				       b->last_uid, err);
	/* Files first, then the rows naming them (synchronous=FULL), and
	 * only then does the server hear of it. */
	if (rc == 0)
		rc = ingest_sync(b->ing, err);
	if (rc == 0)
		rc = store_commit(s, err);
	if (rc != 0) {
		store_rollback(s);
		return rc;
	}
	return fetch_move(im, cfg, b, err);
}

static int
fetch_select(struct imap *im, struct fetch_batch *b, int64_t *last_r,
	     struct cm_error *err)
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
	*last_r = last;
	return rc;
}

int
fetch_poll(struct imap *im, struct ingest *ing, struct cm_error *err)
{
	struct fetch_batch b = { 0 };
	GArray *uids = NULL;
	int64_t last = 0;
	int rc;

	b.ing = ing;
	b.mailbox = ing->cfg->imap_mailbox;
	b.err = err;
	b.processed = g_array_new(FALSE, FALSE, sizeof(guint32));
	b.review = g_array_new(FALSE, FALSE, sizeof(guint32));
	rc = fetch_select(im, &b, &last, err);
	/*
	 * Everything still in the mailbox, not only UIDs past the last one:
	 * a message committed but not moved before a crash is still here,
	 * and must be moved now (ingest sees it as a duplicate).
	 */
	if (rc == 0)
		rc = imap_uids_after(im, 0, &uids, err);
	for (guint i = 0; rc == 0 && i < uids->len &&
	     (ing->stop == NULL || !*ing->stop);
	     i += (guint)ing->cfg->imap_batch) {
		size_t n = MIN((guint)ing->cfg->imap_batch, uids->len - i);

		rc = fetch_batch_run(im, &b, &g_array_index(uids, guint32, i),
				     n, err);
	}
	if (uids != NULL)
		g_array_unref(uids);
	g_array_unref(b.processed);
	g_array_unref(b.review);
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
