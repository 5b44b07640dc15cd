/*
 * outbox_send.c - the outbox's SMTP sessions: a claimed group of mails
 * shared between up to [smtp] sessions threads (see outbox.h).  The
 * threads touch no store: they take jobs from one queue, send, and fill
 * each job's results; the calling thread records them afterwards.
 */
#include "outbox_private.h"

#include <string.h>

#include "casemail/compose.h"
#include "casemail/log.h"
#include "casemail/mailtoken.h"
#include "casemail/oauth2.h"
#include "casemail/timeutil.h"

/* The server is closing the session (RFC 5321 3.8): not the mail's fault. */
#define OUTBOX_SMTP_CLOSING 421
/* How often the waiting thread looks at the leases. */
#define OUTBOX_TICK_USECS (1000 * 1000)

struct outbox_session {
	struct outbox_sender *ob;
	struct smtp *smtp;        /* NULL after a failure: opened again */
	GThread *thread;
	GAsyncQueue *jobs;        /* borrowed for one group */
	GAsyncQueue *done;        /* the session pushes itself when it stops */
	int failed;               /* in this group */
	char why[CM_ERROR_MSG_MAX];
	char *token;              /* OAuth2 access token the session used */
	int token_retried;        /* a refused token was replaced once */
};

void
outbox_job_free(gpointer p)
{
	struct outbox_job *j = p;

	if (j == NULL)
		return;
	smtp_results_free(&j->results);
	if (j->skipped != NULL)
		g_ptr_array_unref(j->skipped);
	if (j->rcpts != NULL)
		g_ptr_array_unref(j->rcpts);
	store_outbox_free(&j->m);
	g_free(j);
}

/*
 * A login never offers a token that oauth2_token() would replace: a kept
 * OAuth2 session that has not connected yet would log in with the token
 * it was opened with (one that has connects only once: smtp.h), so
 * *stale_r: the session's token is no longer the one oauth2_token() hands
 * out (refreshed before expiry), the session must be opened anew, and
 * *token_r holds the new token.
 */
static int
outbox_session_stale(const struct config *cfg, struct outbox_session *ss,
		     char **token_r, int *stale_r, struct cm_error *err)
{
	int rc;

	*token_r = NULL;
	*stale_r = 0;
	if (ss->smtp == NULL || cfg->smtp_auth != CONFIG_AUTH_OAUTH2)
		return 0;
	if ((rc = oauth2_token(oauth2_shared(cfg), NULL, token_r, err)) != 0)
		return rc;
	*stale_r = g_strcmp0(*token_r, ss->token) != 0;
	if (!*stale_r)
		oauth2_secret_free(token_r);
	return 0;
}

static int
outbox_session_open(struct outbox_sender *ob, struct outbox_session *ss,
		    struct cm_error *err)
{
	const struct config *cfg = ob->cfg;
	struct smtp_conf conf = { 0 };
	char *fresh = NULL;
	int stale, rc;

	if ((rc = outbox_session_stale(cfg, ss, &fresh, &stale, err)) != 0)
		return rc;
	if (ss->smtp != NULL && !stale)
		return 0;
	smtp_close(&ss->smtp);
	conf.url = cfg->smtp_url;
	conf.tls = cfg->smtp_tls == CONFIG_SMTP_TLS_STARTTLS ? SMTP_TLS_STARTTLS
							     : SMTP_TLS_URL;
	conf.tls_verify = cfg->smtp_tls_verify;
	conf.ca_file = cfg->smtp_ca_file;
	conf.user = cfg->smtp_user;
	conf.password = ob->password;
	conf.timeout_secs = cfg->smtp_timeout_secs;
	if (cfg->smtp_auth == CONFIG_AUTH_OAUTH2) {
		/* The token that was refused, if any, is replaced. */
		char *refused = ss->token;

		ss->token = fresh;
		if (ss->token == NULL)
			rc = oauth2_token(oauth2_shared(cfg), refused,
					  &ss->token, err);
		oauth2_secret_free(&refused);
		if (rc != 0)
			return rc;
		conf.user = config_oauth2_user(cfg, 0);
		conf.access_token = ss->token;
	}
	return smtp_open(&conf, &ss->smtp, err);
}

/*
 * An OAuth2 session must log in again: the server refused its token (a
 * new session with a new token, once per group: a token refused twice is
 * the account's trouble, not the token's), or its connection is gone (a
 * new session with the token oauth2_token() hands out now, since the old
 * one never connects again: smtp.h).  0 when the job may go on.
 */
static int
outbox_token_retry(struct outbox_session *ss, struct cm_error *err)
{
	int denied = smtp_login_denied(ss->smtp);

	if (ss->ob->cfg->smtp_auth != CONFIG_AUTH_OAUTH2 ||
	    (denied && ss->token_retried) ||
	    (!denied && !smtp_connection_lost(ss->smtp)))
		return -1;
	if (denied)
		ss->token_retried = 1;
	else
		oauth2_secret_free(&ss->token); /* not refused: kept */
	smtp_close(&ss->smtp);
	return outbox_session_open(ss->ob, ss, err) == 0 ? 0 : -1;
}

int
outbox_check_smtp(const struct config *cfg, struct cm_error *err)
{
	struct outbox_sender ob = { .cfg = cfg };
	struct outbox_session ss = { .ob = &ob };
	int rc = 0;

	if (cfg->smtp_auth != CONFIG_AUTH_OAUTH2 &&
	    cfg->smtp_password_file != NULL)
		rc = config_read_secret(cfg->smtp_password_file, &ob.password,
					err);
	if (rc == 0)
		rc = outbox_session_open(&ob, &ss, err);
	if (rc == 0 && (rc = smtp_check(ss.smtp, err)) != 0 &&
	    outbox_token_retry(&ss, err) == 0)
		rc = smtp_check(ss.smtp, err);
	smtp_close(&ss.smtp);
	oauth2_secret_free(&ss.token);
	oauth2_secret_free(&ob.password);
	return rc;
}

void
outbox_sessions_close(struct outbox_sender *ob)
{
	for (int i = 0; i < OUTBOX_SESSIONS_MAX; i++) {
		if (ob->sessions[i] == NULL)
			continue;
		smtp_close(&ob->sessions[i]->smtp);
		oauth2_secret_free(&ob->sessions[i]->token);
		g_free(ob->sessions[i]);
		ob->sessions[i] = NULL;
	}
}

/* A recipient no server will ever take (a bad address): final. */
static void
outbox_refused(const char *rcpt, const struct cm_error *err,
	       GPtrArray *results)
{
	struct smtp_rcpt_result *r = g_new0(struct smtp_rcpt_result, 1);

	r->address = g_strdup(rcpt);
	r->status = SMTP_RCPT_PERMFAIL;
	r->text = g_strdup(err != NULL ? err->msg : "refused");
	g_ptr_array_add(results, r);
}

/* The envelope sender of m to rcpt: signed for that row and recipient
 * (VERP), so only a delivery report to it can mark rcpt bouncing; the
 * stored one when it is the null path or too long to sign. */
static char *
outbox_env_from(const struct outbox_sender *ob, const struct store_outbox *m,
		const char *rcpt)
{
	char *verp = NULL;

	if (m->env_from[0] != '\0')
		verp = mailtoken_bounce_address(ob->key, m->env_from, m->id,
						rcpt);
	return verp != NULL ? verp : g_strdup(m->env_from);
}

/* Whether the server said it is closing the session (421). */
static int
outbox_closing(const GPtrArray *one, struct cm_error *err)
{
	for (guint i = 0; one != NULL && i < one->len; i++) {
		const struct smtp_rcpt_result *r = one->pdata[i];

		if (r->code == OUTBOX_SMTP_CLOSING) {
			cm_error_set(err, CM_ETEMP, "smtp: %s", r->text);
			return 1;
		}
	}
	return 0;
}

/*
 * j's mail as sent: the files its row references put in (compose.h),
 * here in the session's thread, so that only the mails being sent are
 * in memory whole; what was left out goes into j->skipped for the
 * record (the first time only: a job handed to another session is
 * expanded again).
 */
static GBytes *
outbox_job_mail(const struct outbox_sender *ob, struct outbox_job *j)
{
	GPtrArray *skipped = NULL;
	GBytes *full = compose_expand(j->m->raw, ob->cfg->store_attachments,
				      ob->cfg->smtp_max_attach_bytes,
				      &skipped);

	if (j->skipped == NULL)
		j->skipped = skipped;
	else if (skipped != NULL)
		g_ptr_array_unref(skipped);
	return full;
}

/*
 * Send j to each of its recipients from j->next on, a transaction of its
 * own each (each envelope sender names its recipient).  -1 when the
 * session failed (the connection, or a 421): the session is closed,
 * ss->why says why, and the recipient it failed on has no outcome.
 */
static int
outbox_session_job(struct outbox_session *ss, struct outbox_job *j)
{
	GBytes *mail = outbox_job_mail(ss->ob, j);
	gsize len;
	const char *data = g_bytes_get_data(mail, &len);

	for (; j->next < j->rcpts->len; j->next++) {
		const char *rcpt = j->rcpts->pdata[j->next];
		char *from = outbox_env_from(ss->ob, j->m, rcpt);
		struct cm_error err = { 0 };
		GPtrArray *one = NULL;
		int rc;

		rc = smtp_send(ss->smtp, from, &rcpt, 1, data, len, &one, &err);
		g_free(from);
		if (rc == CM_ETEMP && outbox_token_retry(ss, &err) == 0) {
			smtp_results_free(&one);
			j->next--; /* the same recipient again */
			continue;
		}
		if (rc == CM_ETEMP || (rc == 0 && outbox_closing(one, &err))) {
			smtp_results_free(&one);
			g_strlcpy(ss->why, err.msg, sizeof(ss->why));
			g_strlcpy(j->why, err.msg, sizeof(j->why));
			smtp_close(&ss->smtp);
			ss->failed = 1;
			g_bytes_unref(mail);
			return -1;
		}
		if (rc != 0)
			outbox_refused(rcpt, &err, j->results);
		while (one != NULL && one->len > 0)
			g_ptr_array_add(j->results,
					g_ptr_array_steal_index(one, 0));
		smtp_results_free(&one);
	}
	g_bytes_unref(mail);
	return 0;
}

/* A session's thread: jobs until none is left or the session fails. */
static gpointer
outbox_session_run(gpointer p)
{
	struct outbox_session *ss = p;
	struct outbox_job *j;

	while ((j = g_async_queue_try_pop(ss->jobs)) != NULL)
		if (outbox_session_job(ss, j) != 0) {
			g_async_queue_push_front(ss->jobs, j);
			break;
		}
	g_async_queue_push(ss->done, ss);
	return NULL;
}

/* Start every session in use that has not failed; how many started. */
static int
outbox_sessions_start(struct outbox_sender *ob, GAsyncQueue *jobs,
		      GAsyncQueue *done)
{
	int n = 0;

	for (int i = 0; i < ob->sessions_now; i++) {
		struct outbox_session *ss = ob->sessions[i];

		if (ss->failed)
			continue;
		ss->jobs = jobs;
		ss->done = done;
		ss->thread = g_thread_new("smtp", outbox_session_run, ss);
		n++;
	}
	return n;
}

/* Wait for n sessions to stop, renewing the leases meanwhile. */
static void
outbox_sessions_wait(struct outbox_sender *ob, GAsyncQueue *done, int n)
{
	while (n > 0) {
		struct outbox_session *ss =
			g_async_queue_timeout_pop(done, OUTBOX_TICK_USECS);

		outbox_lease_tick(ob);
		if (ss == NULL)
			continue;
		g_thread_join(ss->thread);
		ss->thread = NULL;
		n--;
	}
}

/* Sessions that failed in this group go behind those that worked, and
 * only those that worked stay in use (when at least one did). */
static void
outbox_sessions_cut(struct outbox_sender *ob)
{
	int ok = 0, used = ob->sessions_now;

	for (int i = 0; i < used; i++)
		if (!ob->sessions[i]->failed) {
			struct outbox_session *t = ob->sessions[ok];

			ob->sessions[ok++] = ob->sessions[i];
			ob->sessions[i] = t;
		}
	if (ok == 0 || ok == used)
		return;
	log_warnx("outbox: the server refused %d of %d SMTP sessions (%s): "
		  "using %d", used - ok, used, ob->sessions[ok]->why, ok);
	ob->sessions_now = ok;
	ob->sessions_cut_at = time_now();
}

static int
outbox_sessions_ready(struct outbox_sender *ob, struct cm_error *err)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < ob->sessions_now; i++) {
		if (ob->sessions[i] == NULL) {
			ob->sessions[i] = g_new0(struct outbox_session, 1);
			ob->sessions[i]->ob = ob;
		}
		ob->sessions[i]->failed = 0;
		ob->sessions[i]->token_retried = 0;
		ob->sessions[i]->why[0] = '\0';
		rc = outbox_session_open(ob, ob->sessions[i], err);
	}
	return rc;
}

int
outbox_send_group(struct outbox_sender *ob, GPtrArray *jobs,
		  struct cm_error *err)
{
	GAsyncQueue *queue, *done;
	struct outbox_job *left;
	int rc, n;

	if ((rc = outbox_sessions_ready(ob, err)) != 0)
		return rc;
	queue = g_async_queue_new();
	done = g_async_queue_new();
	for (guint i = 0; i < jobs->len; i++)
		g_async_queue_push(queue, jobs->pdata[i]);
	/* A job handed back after the other sessions found the queue empty
	 * is taken by a session that still works in the next round. */
	while (g_async_queue_length(queue) > 0 &&
	       (n = outbox_sessions_start(ob, queue, done)) > 0)
		outbox_sessions_wait(ob, done, n);
	left = g_async_queue_try_pop(queue);
	if (left != NULL)
		rc = cm_error_set(err, CM_ETEMP, "%s", left->why[0] != '\0'
				  ? left->why : "smtp: connection failed");
	/* Every session failed: the server is down, not full. */
	if (left == NULL)
		outbox_sessions_cut(ob);
	while (left != NULL)
		left = g_async_queue_try_pop(queue);
	g_async_queue_unref(queue);
	g_async_queue_unref(done);
	return rc;
}
