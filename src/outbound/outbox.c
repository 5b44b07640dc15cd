/* outbox.c - drain the outbox over SMTP (see outbox.h). */
#include "casemail/outbox.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/log.h"
#include "casemail/mailtoken.h"
#include "casemail/msgid.h"

void
outbox_init(struct outbox_sender *ob, struct store *store,
	    const struct config *cfg)
{
	memset(ob, 0, sizeof(*ob));
	ob->store = store;
	ob->cfg = cfg;
}

void
outbox_clear(struct outbox_sender *ob)
{
	smtp_close(&ob->smtp);
	if (ob->password != NULL)
		memset(ob->password, 0, strlen(ob->password));
	g_free(ob->password);
	ob->password = NULL;
	if (ob->key != NULL)
		memset(ob->key, 0, strlen(ob->key));
	g_free(ob->key);
	ob->key = NULL;
}

static int
outbox_connect(struct outbox_sender *ob, struct cm_error *err)
{
	const struct config *cfg = ob->cfg;
	struct smtp_conf conf = { 0 };
	int rc;

	if (ob->smtp != NULL)
		return 0;
	/* The key signs each envelope sender (VERP, mailtoken.h). */
	if (ob->key == NULL &&
	    (rc = msgid_key(ob->store, cfg, &ob->key, err)) != 0)
		return rc;
	if (cfg->smtp_password_file != NULL && ob->password == NULL &&
	    (rc = config_read_secret(cfg->smtp_password_file, &ob->password,
				     err)) != 0)
		return rc;
	conf.url = cfg->smtp_url;
	conf.tls = cfg->smtp_tls == CONFIG_SMTP_TLS_STARTTLS ? SMTP_TLS_STARTTLS
							     : SMTP_TLS_URL;
	conf.tls_verify = cfg->smtp_tls_verify;
	conf.ca_file = cfg->smtp_ca_file;
	conf.user = cfg->smtp_user;
	conf.password = ob->password;
	conf.timeout_secs = cfg->smtp_timeout_secs;
	return smtp_open(&conf, &ob->smtp, err);
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
			ob->sent++;
			rc = store_outbox_rcpt_set(ob->store, m->id, r->address,
						   STORE_RCPT_SENT, r->code, NULL,
						   now, err);
			if (rc == 0)
				rc = outbox_delivered(ob, m, r->address, now,
						      err);
			break;
		case SMTP_RCPT_PERMFAIL:
			ob->failed++;
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
				ob->deferred++;
				rc = store_outbox_rcpt_set(ob->store, m->id,
					r->address, STORE_RCPT_PENDING, r->code,
					r->text, now, err);
				break;
			}
			ob->failed++;
			why = g_strdup_printf("gave up after %d attempts over %d "
					      "hours: %s", m->attempts + 1,
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

/*
 * Send m to each of rcpts in a transaction of its own (each envelope
 * sender names its recipient), appending every outcome to results.
 * CM_ETEMP when the connection failed: the recipients not yet tried
 * have no outcome and stay pending.
 */
static int
outbox_send_each(struct outbox_sender *ob, const struct store_outbox *m,
		 GPtrArray *rcpts, GPtrArray *results, struct cm_error *err)
{
	gsize len;
	const char *data = g_bytes_get_data(m->raw, &len);
	int rc = 0;

	for (guint i = 0; rc != CM_ETEMP && i < rcpts->len; i++) {
		const char *rcpt = rcpts->pdata[i];
		char *from = outbox_env_from(ob, m, rcpt);
		GPtrArray *one = NULL;

		rc = smtp_send(ob->smtp, from, &rcpt, 1, data, len, &one, err);
		g_free(from);
		if (rc != 0 && rc != CM_ETEMP)
			outbox_refused(rcpt, err, results);
		while (one != NULL && one->len > 0)
			g_ptr_array_add(results, g_ptr_array_steal_index(one, 0));
		smtp_results_free(&one);
	}
	return rc == CM_ETEMP ? rc : 0;
}

/* One mail: send to its pending recipients, then commit the outcome. */
static int
outbox_one(struct outbox_sender *ob, int64_t id, int64_t now,
	   struct cm_error *err)
{
	struct store_outbox *m = NULL;
	GPtrArray *rcpts = g_ptr_array_new(), *results = NULL;
	char *last = NULL;
	int rc, send_rc;

	if ((rc = store_outbox_get(ob->store, id, &m, err)) != 0)
		goto out;
	for (guint i = 0; i < m->rcpts->len; i++) {
		const struct store_outbox_rcpt *r = m->rcpts->pdata[i];

		if (r->state == STORE_RCPT_PENDING)
			g_ptr_array_add(rcpts, r->address);
	}
	/* Nothing pending (an operator's retry raced a send): no results. */
	results = smtp_results_new(NULL, 0);
	send_rc = outbox_send_each(ob, m, rcpts, results, err);
	if ((rc = store_begin(ob->store, err)) != 0)
		goto out;
	rc = outbox_record(ob, m, results, now, &last, err);
	if (rc == 0)
		rc = store_outbox_after_attempt(ob->store, id, m->attempts + 1,
			now + outbox_backoff(ob->cfg, m->attempts + 1), last, err);
	if (rc == 0)
		rc = store_commit(ob->store, err);
	if (rc != 0)
		store_rollback(ob->store);
	/* A dead connection: the rest of the queue waits for next time. */
	if (rc == 0 && send_rc == CM_ETEMP)
		rc = cm_error_set(err, CM_ETEMP, "smtp: %s", last != NULL ? last
				  : "connection failed");
out:
	smtp_results_free(&results);
	g_ptr_array_unref(rcpts);
	store_outbox_free(&m);
	g_free(last);
	return rc;
}

int
outbox_drain(struct outbox_sender *ob, int64_t now, volatile sig_atomic_t *stop,
	     int *sent_r, struct cm_error *err)
{
	GArray *ids = NULL;
	int before = ob->sent, rc;

	if (sent_r != NULL)
		*sent_r = 0;
	if (ob->cfg->smtp_url == NULL) {
		if (!ob->warned_unconfigured)
			log_warnx("outbox: no [smtp] url: mail is queued but "
				  "not sent");
		ob->warned_unconfigured = 1;
		return 0;
	}
	rc = store_outbox_due(ob->store, now, OUTBOX_BATCH, &ids, err);
	if (rc == 0 && ids->len > 0)
		rc = outbox_connect(ob, err);
	for (guint i = 0; rc == 0 && i < ids->len && !(stop && *stop); i++)
		rc = outbox_one(ob, g_array_index(ids, gint64, i), now, err);
	if (ids != NULL)
		g_array_unref(ids);
	/* After a failure the session starts afresh next time. */
	if (rc != 0)
		smtp_close(&ob->smtp);
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
