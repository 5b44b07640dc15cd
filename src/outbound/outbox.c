/*
 * outbox.c - drain the outbox over SMTP (see outbox.h): claim a group of
 * due mails under a lease, send it (outbox_send.c), record the outcomes
 * in one commit, and keep them in memory until that commit succeeds.
 */
#include "outbox_private.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/log.h"
#include "casemail/mailtoken.h"
#include "casemail/msgid.h"
#include "casemail/random.h"
#include "casemail/timeutil.h"

/* Random hex digits in a lease owner: another process that reuses a pid
 * is still another owner. */
#define OUTBOX_OWNER_RANDOM_BYTES 4

/*
 * A test hook, in the manner of isync's: CASEMAIL_TEST_RECORD_FAILS=N
 * makes the first N commits of outcomes fail as a store that cannot be
 * written would, after the mails were sent (tests/integration/
 * test_sendonce.py).  Unset in production: no effect.
 */
static int
outbox_test_record_fails(void)
{
	static int left = -1;
	const char *v;

	if (left < 0) {
		v = getenv("CASEMAIL_TEST_RECORD_FAILS");
		left = v != NULL ? (int)strtol(v, NULL, 10) : 0;
		left = MAX(left, 0);
	}
	if (left == 0)
		return 0;
	left--;
	return 1;
}

void
outbox_init(struct outbox_sender *ob, struct store *store,
	    const struct config *cfg)
{
	char host[256] = "localhost", rnd[2 * OUTBOX_OWNER_RANDOM_BYTES + 1];

	memset(ob, 0, sizeof(*ob));
	ob->store = store;
	ob->cfg = cfg;
	ob->sessions_now = CLAMP(cfg->smtp_sessions, 1, OUTBOX_SESSIONS_MAX);
	ob->unrecorded = g_ptr_array_new_with_free_func(outbox_job_free);
	if (gethostname(host, sizeof(host) - 1) != 0)
		g_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	random_hex(rnd, OUTBOX_OWNER_RANDOM_BYTES);
	g_snprintf(ob->owner, sizeof(ob->owner), "%s:%ld:%s", host,
		   (long)getpid(), rnd);
}

void
outbox_clear(struct outbox_sender *ob)
{
	if (ob->unrecorded != NULL && ob->unrecorded->len > 0)
		log_warnx("outbox: %u mails sent but not recorded: they are "
			  "sent again once the lease of %s ends", 
			  ob->unrecorded->len, ob->owner);
	if (ob->unrecorded != NULL)
		g_ptr_array_unref(ob->unrecorded);
	ob->unrecorded = NULL;
	outbox_sessions_close(ob);
	if (ob->password != NULL)
		memset(ob->password, 0, strlen(ob->password));
	g_free(ob->password);
	ob->password = NULL;
	if (ob->key != NULL)
		memset(ob->key, 0, strlen(ob->key));
	g_free(ob->key);
	ob->key = NULL;
}

/* What every session needs: the key that signs each envelope sender
 * (VERP, mailtoken.h) and the password. */
static int
outbox_secrets(struct outbox_sender *ob, struct cm_error *err)
{
	const struct config *cfg = ob->cfg;
	int rc;

	if (ob->key == NULL &&
	    (rc = msgid_key(ob->store, cfg, &ob->key, err)) != 0)
		return rc;
	if (cfg->smtp_password_file != NULL && ob->password == NULL &&
	    (rc = config_read_secret(cfg->smtp_password_file, &ob->password,
				     err)) != 0)
		return rc;
	return 0;
}

static int64_t
outbox_backoff(const struct config *cfg, int attempts)
{
	int64_t d = cfg->smtp_retry_min_secs;

	for (int i = 1; i < attempts && d < OUTBOX_RETRY_MAX_SECS; i++)
		d *= 2;
	return MIN(d, OUTBOX_RETRY_MAX_SECS);
}

static int
outbox_event(struct outbox_sender *ob, const struct store_outbox *m,
	     const char *who, const char *why, int64_t now,
	     struct cm_error *err)
{
	struct case_ctx ctx = { ob->store, ob->cfg, "casemail", now };
	char num[CASENUM_BUF_SIZE] = "-";

	if (m->case_id != 0)
		case_format_number(ob->cfg, m->case_id, num, sizeof(num));
	log_warnx("case=%s msgid=%s: not delivered to %s: %s", num,
		  m->message_id, who, why);
	if (m->case_id == 0)
		return 0;
	return case_event_add(&ctx, m->case_id, "not delivered", NULL, who, why,
			      err);
}

/* A delivery to who was accepted: a bouncing mark on who clears. */
static int
outbox_delivered(struct outbox_sender *ob, const struct store_outbox *m,
		 const char *who, int64_t now, struct cm_error *err)
{
	struct case_ctx ctx = { ob->store, ob->cfg, "casemail", now };
	char num[CASENUM_BUF_SIZE] = "-";
	int changed = 0;
	int rc = store_person_clear_bouncing(ob->store, who, &changed, err);

	if (rc != 0 || !changed)
		return rc;
	if (m->case_id != 0)
		case_format_number(ob->cfg, m->case_id, num, sizeof(num));
	log_info("case=%s msgid=%s: %s no longer bouncing: delivery accepted",
		 num, m->message_id, who);
	if (m->case_id == 0)
		return 0;
	return case_event_add(&ctx, m->case_id, "bounce cleared", NULL, who,
			      "delivery accepted", err);
}

/* Record each recipient's outcome of one attempt. */
static int
outbox_record(struct outbox_sender *ob, const struct store_outbox *m,
	      GPtrArray *results, int64_t now, char **last_r,
	      struct cm_error *err)
{
	int expired = now - m->created_at >= ob->cfg->smtp_max_age_secs;
	int rc = 0;

	for (guint i = 0; rc == 0 && i < results->len; i++) {
		const struct smtp_rcpt_result *r = results->pdata[i];
		char *why;

		switch (r->status) {
		case SMTP_RCPT_OK:
			rc = store_outbox_rcpt_set(ob->store, m->id, r->address,
						   STORE_RCPT_SENT, r->code, NULL,
						   now, err);
			if (rc == 0)
				rc = outbox_delivered(ob, m, r->address, now,
						      err);
			break;
		case SMTP_RCPT_PERMFAIL:
			rc = store_outbox_rcpt_set(ob->store, m->id, r->address,
						   STORE_RCPT_FAILED, r->code,
						   r->text, now, err);
			if (rc == 0)
				rc = outbox_event(ob, m, r->address, r->text, now,
						  err);
			break;
		case SMTP_RCPT_TEMPFAIL:
			g_free(*last_r);
			*last_r = g_strdup(r->text);
			if (!expired) {
				rc = store_outbox_rcpt_set(ob->store, m->id,
					r->address, STORE_RCPT_PENDING, r->code,
					r->text, now, err);
				break;
			}
			why = g_strdup_printf("gave up after %d attempts over %d "
					      "hours: %s", m->attempts,
					      (int)((now - m->created_at) / 3600),
					      r->text);
			rc = store_outbox_rcpt_set(ob->store, m->id, r->address,
						   STORE_RCPT_FAILED, r->code, why,
						   now, err);
			if (rc == 0)
				rc = outbox_event(ob, m, r->address, why, now, err);
			g_free(why);
			break;
		}
	}
	return rc;
}

/* The last temporary failure of m's round: the recipients not tried
 * when every session failed have no outcome and stay pending. */
static const char *
outbox_job_last(const struct outbox_job *j)
{
	if (j->next < j->rcpts->len)
		return j->why[0] != '\0' ? j->why : "connection failed";
	return NULL;
}

/* The files the session left out of j's mail (compose_expand()): logged
 * and recorded on the case; the mail went with a note in their place. */
static int
outbox_files_skipped(struct outbox_sender *ob, const struct outbox_job *j,
		     struct cm_error *err)
{
	struct case_ctx ctx = { ob->store, ob->cfg, "casemail", j->now };
	const struct store_outbox *m = j->m;
	char num[CASENUM_BUF_SIZE] = "-";
	int rc = 0;

	if (m->case_id != 0)
		case_format_number(ob->cfg, m->case_id, num, sizeof(num));
	for (guint i = 0; j->skipped != NULL && i < j->skipped->len; i++) {
		log_warnx("case=%s msgid=%s: attachment not sent: %s", num,
			  m->message_id, (const char *)j->skipped->pdata[i]);
		if (rc == 0 && m->case_id != 0)
			rc = case_event_add(&ctx, m->case_id,
					    "attachment not sent", NULL,
					    m->message_id, j->skipped->pdata[i],
					    err);
	}
	return rc;
}

/* One mail's outcome and the end of its lease, in the caller's
 * transaction; *last_r is the last temporary failure. */
static int
outbox_record_job(struct outbox_sender *ob, const struct outbox_job *j,
		  struct cm_error *err)
{
	const struct store_outbox *m = j->m;
	const char *gone = outbox_job_last(j);
	char *last = gone != NULL ? g_strdup(gone) : NULL;
	int rc = outbox_record(ob, m, j->results, j->now, &last, err);

	if (rc == 0)
		rc = outbox_files_skipped(ob, j, err);
	if (rc == 0)
		rc = store_outbox_after_attempt(ob->store, m->id, m->attempts,
			j->now + outbox_backoff(ob->cfg, m->attempts), last,
			ob->owner, err);
	g_free(last);
	return rc;
}

/* Count the recorded outcomes of jobs. */
static void
outbox_count(struct outbox_sender *ob, GPtrArray *jobs)
{
	for (guint i = 0; i < jobs->len; i++) {
		const struct outbox_job *j = jobs->pdata[i];

		for (guint k = 0; k < j->results->len; k++) {
			const struct smtp_rcpt_result *r = j->results->pdata[k];

			if (r->status == SMTP_RCPT_OK)
				ob->sent++;
			else if (r->status == SMTP_RCPT_PERMFAIL)
				ob->failed++;
			else
				ob->deferred++;
		}
	}
}

/*
 * Record every job of the unrecorded list in one transaction.  On
 * failure they stay there, sent and to record: this process never sends
 * them again (outbox_drain() records before it claims anything).
 */
int
outbox_flush(struct outbox_sender *ob, struct cm_error *err)
{
	GPtrArray *jobs = ob->unrecorded;
	int rc;

	if (jobs->len == 0)
		return 0;
	if ((rc = store_begin(ob->store, err)) != 0)
		goto fail;
	for (guint i = 0; rc == 0 && i < jobs->len; i++)
		rc = outbox_record_job(ob, jobs->pdata[i], err);
	if (rc == 0 && outbox_test_record_fails())
		rc = cm_error_set(err, CM_ESTORE, "store: test hook "
				  "CASEMAIL_TEST_RECORD_FAILS");
	if (rc == 0)
		rc = store_commit(ob->store, err);
	if (rc != 0) {
		store_rollback(ob->store);
		goto fail;
	}
	outbox_count(ob, jobs);
	g_ptr_array_set_size(jobs, 0);
	return 0;
fail:
	log_warnx("outbox: %u mails sent, not yet recorded: %s (kept in "
		  "memory, not sent again; recorded later)", jobs->len,
		  err->msg);
	return rc;
}

int
outbox_unrecorded(const struct outbox_sender *ob)
{
	return ob->unrecorded != NULL ? (int)ob->unrecorded->len : 0;
}

void
outbox_lease_tick(struct outbox_sender *ob)
{
	int64_t now = time_now();
	struct cm_error err = { 0 };

	if (now < ob->lease_renew_at)
		return;
	if (store_outbox_lease_renew(ob->store, ob->owner,
				     now + ob->cfg->smtp_lease_secs, &err) != 0)
		log_warnx("outbox: cannot renew the lease of %s: %s",
			  ob->owner, err.msg);
	ob->lease_renew_at = now + ob->cfg->smtp_lease_secs / 2;
}

/* Whether owner (host:pid:random) is a process of this host that is
 * gone; a pid that is ours, or alive, or another host's: not known. */
static int
outbox_owner_gone(const struct outbox_sender *ob, const char *owner)
{
	const char *mine = strchr(ob->owner, ':');
	const char *colon = strchr(owner, ':');
	char *end = NULL;
	long pid;

	if (colon == NULL || colon - owner != mine - ob->owner ||
	    strncmp(owner, ob->owner, (size_t)(colon - owner)) != 0)
		return 0;
	errno = 0;
	pid = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != ':' || pid <= 1 ||
	    pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/*
 * Leases other senders left behind: over, or held by a process of this
 * host that is gone.  Their mails may have been sent without the result
 * being recorded: they are sent again (at least once), which is logged.
 */
static int
outbox_reap(struct outbox_sender *ob, int64_t now, struct cm_error *err)
{
	GPtrArray *leases = NULL;
	int rc = store_outbox_leases(ob->store, ob->owner, &leases, err);

	for (guint i = 0; rc == 0 && i < leases->len; i++) {
		const struct store_outbox_lease *l = leases->pdata[i];
		int gone = outbox_owner_gone(ob, l->owner);

		if (l->until > now && !gone)
			continue;
		log_warnx("outbox: %lld mails leased to %s (%s) may have been "
			  "sent without a record: sending them again",
			  (long long)l->mails, l->owner,
			  gone ? "the process is gone" : "the lease is over");
		rc = store_outbox_lease_release(ob->store, l->owner, err);
	}
	if (leases != NULL)
		g_ptr_array_unref(leases);
	return rc;
}

/* A claimed mail as a job: its pending recipients. */
static int
outbox_job_load(struct outbox_sender *ob, int64_t id, int64_t now,
		struct outbox_job **j_r, struct cm_error *err)
{
	struct outbox_job *j = g_new0(struct outbox_job, 1);
	int rc = store_outbox_get(ob->store, id, &j->m, err);

	j->now = now;
	j->rcpts = g_ptr_array_new();
	j->results = smtp_results_new(NULL, 0);
	for (guint i = 0; rc == 0 && i < j->m->rcpts->len; i++) {
		const struct store_outbox_rcpt *r = j->m->rcpts->pdata[i];

		/* Nothing pending (an operator's retry raced a send): the
		 * mail is only rescheduled. */
		if (r->state == STORE_RCPT_PENDING)
			g_ptr_array_add(j->rcpts, r->address);
	}
	if (rc != 0) {
		outbox_job_free(j);
		j = NULL;
	}
	*j_r = j;
	return rc;
}

/* Claim up to limit due mails and load them into jobs. */
static int
outbox_claim(struct outbox_sender *ob, int64_t now, int limit,
	     GPtrArray *jobs, struct cm_error *err)
{
	GArray *ids = NULL;
	int rc;

	ob->lease_renew_at = time_now() + ob->cfg->smtp_lease_secs / 2;
	rc = store_outbox_claim(ob->store, ob->owner, now,
				now + ob->cfg->smtp_lease_secs, limit, &ids, err);
	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		struct outbox_job *j;

		rc = outbox_job_load(ob, g_array_index(ids, gint64, i), now, &j,
				     err);
		if (rc == 0)
			g_ptr_array_add(jobs, j);
	}
	if (ids != NULL)
		g_array_unref(ids);
	return rc;
}

/* [smtp] sessions, less those the server refused lately. */
static void
outbox_sessions_regrow(struct outbox_sender *ob, int64_t now)
{
	if (ob->sessions_now < ob->cfg->smtp_sessions &&
	    now - ob->sessions_cut_at >= OUTBOX_SESSIONS_REGROW_SECS) {
		ob->sessions_now++;
		ob->sessions_cut_at = now;
	}
}

/* One group: claim, send, record.  *claimed_r: how many mails. */
static int
outbox_group(struct outbox_sender *ob, int64_t now, int limit,
	     int *claimed_r, struct cm_error *err)
{
	GPtrArray *jobs = g_ptr_array_new();
	int rc = outbox_claim(ob, now, limit, jobs, err), send_rc = 0;
	struct cm_error send_err = { 0 };

	*claimed_r = (int)jobs->len;
	/* Claimed, counted, committed: from here on every job is recorded
	 * (or kept in memory until it can be). */
	if (jobs->len > 0)
		send_rc = outbox_send_group(ob, jobs, &send_err);
	for (guint i = 0; i < jobs->len; i++)
		g_ptr_array_add(ob->unrecorded, jobs->pdata[i]);
	g_ptr_array_unref(jobs);
	if (rc == 0)
		rc = outbox_flush(ob, err);
	if (rc == 0 && send_rc != 0) {
		*err = send_err;
		rc = send_rc;
	}
	return rc;
}

int
outbox_drain(struct outbox_sender *ob, int64_t now, volatile sig_atomic_t *stop,
	     int *sent_r, struct cm_error *err)
{
	int before = ob->sent, claimed = OUTBOX_GROUP, done = 0, rc;

	if (sent_r != NULL)
		*sent_r = 0;
	if (ob->cfg->smtp_url == NULL) {
		if (!ob->warned_unconfigured)
			log_warnx("outbox: no [smtp] url: mail is queued but "
				  "not sent");
		ob->warned_unconfigured = 1;
		return 0;
	}
	/* What was sent is recorded before anything else is sent. */
	rc = outbox_flush(ob, err);
	if (rc == 0)
		rc = outbox_secrets(ob, err);
	if (rc == 0)
		rc = outbox_reap(ob, now, err);
	outbox_sessions_regrow(ob, now);
	while (rc == 0 && claimed == OUTBOX_GROUP && done < OUTBOX_BATCH &&
	       !(stop && *stop)) {
		rc = outbox_group(ob, now, MIN(OUTBOX_GROUP,
					       OUTBOX_BATCH - done), &claimed,
				  err);
		done += claimed;
	}
	/* After a failure the sessions start afresh next time. */
	if (rc != 0)
		outbox_sessions_close(ob);
	if (sent_r != NULL)
		*sent_r = ob->sent - before;
	return rc;
}
int
outbox_next_due(struct outbox_sender *ob, int64_t *when_r,
		struct cm_error *err)
{
	GArray *ids = NULL;
	struct store_outbox *m = NULL;
	int rc = store_outbox_due(ob->store, INT64_MAX, 1, &ids, err);

	*when_r = 0;
	if (rc == 0 && ids->len > 0 &&
	    (rc = store_outbox_get(ob->store, g_array_index(ids, gint64, 0), &m,
				   err)) == 0)
		*when_r = m->next_attempt_at;
	store_outbox_free(&m);
	if (ids != NULL)
		g_array_unref(ids);
	return rc;
}
