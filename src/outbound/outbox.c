/* outbox.c - drain the outbox over SMTP (see outbox.h). */
#include "casemail/outbox.h"

#include <string.h>

#include "casemail/case.h"
#include "casemail/casenum.h"
#include "casemail/log.h"

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
}

static int
outbox_connect(struct outbox_sender *ob, struct cm_error *err)
{
	const struct config *cfg = ob->cfg;
	struct smtp_conf conf = { 0 };
	int rc;

	if (ob->smtp != NULL)
		return 0;
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

static void
outbox_refused(GPtrArray *rcpts, const struct cm_error *err,
	       GPtrArray **results_r)
{
	smtp_results_free(results_r);
	*results_r = smtp_results_new((const char *const *)rcpts->pdata,
				      rcpts->len);
	for (guint i = 0; i < rcpts->len; i++) {
		struct smtp_rcpt_result *r = (*results_r)->pdata[i];

		r->status = SMTP_RCPT_PERMFAIL;
		r->text = g_strdup(err != NULL ? err->msg : "refused");
	}
}

/* One mail: send to its pending recipients, then commit the outcome. */
static int
outbox_one(struct outbox_sender *ob, int64_t id, int64_t now,
	   struct cm_error *err)
{
	struct store_outbox *m = NULL;
	GPtrArray *rcpts = g_ptr_array_new(), *results = NULL;
	char *last = NULL;
	gsize len;
	const char *data;
	int rc, send_rc;

	if ((rc = store_outbox_get(ob->store, id, &m, err)) != 0)
		goto out;
	for (guint i = 0; i < m->rcpts->len; i++) {
		const struct store_outbox_rcpt *r = m->rcpts->pdata[i];

		if (r->state == STORE_RCPT_PENDING)
			g_ptr_array_add(rcpts, r->address);
	}
	data = g_bytes_get_data(m->raw, &len);
	if (rcpts->len == 0) {
		/* Nothing pending (an operator's retry raced a send). */
		results = smtp_results_new(NULL, 0);
		send_rc = 0;
	} else {
		send_rc = smtp_send(ob->smtp, m->env_from,
				    (const char *const *)rcpts->pdata,
				    rcpts->len, data, len, &results, err);
	}
	/* A mail no server will ever take (a bad address): final for its
	 * recipients, and the queue goes on. */
	if (send_rc != 0 && send_rc != CM_ETEMP) {
		outbox_refused(rcpts, err, &results);
		send_rc = 0;
	}
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
