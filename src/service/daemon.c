/* daemon.c - casemaild's service loop (see daemon.h). */
#include "casemail/daemon.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "casemail/config.h"
#include "casemail/fetch.h"
#include "casemail/ingest.h"
#include "casemail/log.h"
#include "casemail/mime.h"
#include "casemail/msgid.h"
#include "casemail/outbound.h"
#include "casemail/outbox.h"
#include "casemail/store.h"
#include "casemail/template.h"
#include "casemail/timeutil.h"

/* Health, as both threads see it (under lock). */
struct daemon_health {
	int64_t last_poll, last_send;
	int ingested_today, day;     /* day: days since the epoch, local */
	int64_t queued;
	char last_error[CM_ERROR_MSG_MAX];
	int ready;
};

struct daemon {
	struct daemon_signals *sig;
	struct config *cfg;           /* owned; swapped on SIGHUP */
	GPtrArray *templates;
	/* fetcher */
	struct store *store;
	struct outbound out;
	struct ingest ing;
	int last_stored;
	/* sender */
	GThread *sender;
	struct store *sstore;
	struct outbound sout;
	struct outbox_sender outbox;
	int64_t sla_last;             /* last look for warnings (sla.h) */
	int sla_deferred;             /* warnings waiting for the bucket */
	/* shared */
	GMutex lock;
	GCond kick;
	int kicked;
	volatile sig_atomic_t sender_stop;    /* set under lock, read anywhere */
	struct daemon_health health;
	uint64_t watchdog_usec;
};

/* ---- health and sd_notify ---------------------------------------------- */

static int
daemon_today(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	/* A calendar day number, local time: year * 400 + day of year. */
	localtime_r(&t, &tm);
	return tm.tm_year * 400 + tm.tm_yday;
}

static void
daemon_status(struct daemon *d)
{
	struct daemon_health h;
	char poll[64] = "never", *line;

	g_mutex_lock(&d->lock);
	h = d->health;
	g_mutex_unlock(&d->lock);
	if (h.last_poll != 0)
		time_format_iso(h.last_poll, poll, sizeof(poll));
	line = g_strdup_printf("STATUS=last poll %s, %d mails ingested today, "
			       "outbox %lld queued%s%s", poll, h.ingested_today,
			       (long long)h.queued,
			       h.last_error[0] ? ", last error: " : "",
			       h.last_error);
	sd_notify(0, line);
	g_free(line);
	if (d->watchdog_usec != 0)
		sd_notify(0, "WATCHDOG=1");
}

static void
daemon_error(struct daemon *d, const char *msg)
{
	g_mutex_lock(&d->lock);
	g_strlcpy(d->health.last_error, msg, sizeof(d->health.last_error));
	g_mutex_unlock(&d->lock);
}

/* Keep the health in the store too, for casectl status. */
static void
daemon_health_save(struct store *s, const char *key, int64_t value)
{
	char buf[32];

	g_snprintf(buf, sizeof(buf), "%lld", (long long)value);
	if (store_begin(s, NULL) != 0)
		return;
	if (store_setting_set(s, key, buf, NULL) != 0 ||
	    store_commit(s, NULL) != 0)
		store_rollback(s);
}

/* ---- the sender thread ------------------------------------------------- */

static void
daemon_digest(struct daemon *d, int64_t now)
{
	char *last = NULL, today[32];
	time_t t = (time_t)now;
	struct cm_error err = { 0 };
	struct tm tm;
	int mails = 0, rc;

	localtime_r(&t, &tm);
	if (tm.tm_hour < d->cfg->case_digest_hour)
		return;
	g_snprintf(today, sizeof(today), "%d", daemon_today(now));
	if (store_setting_get(d->sstore, "digest.last_day", &last, &err) != 0) {
		/* Not silently skipped: said each time it is tried. */
		log_warnx("digest: skipped, cannot read when it last went: %s "
			  "(tried again later)", err.msg);
		return;
	}
	if (g_strcmp0(last, today) == 0) {
		g_free(last);
		return;
	}
	g_free(last);
	rc = store_begin(d->sstore, &err);
	if (rc == 0)
		rc = outbound_digest(&d->sout, now, now - (int64_t)
				     d->cfg->case_stale_days * 86400, &mails, &err);
	if (rc == 0)
		rc = store_setting_set(d->sstore, "digest.last_day", today, &err);
	if (rc == 0)
		rc = store_commit(d->sstore, &err);
	if (rc != 0) {
		store_rollback(d->sstore);
		log_warnx("digest: %s (tried again later)", err.msg);
		return;
	}
	log_info("digest: %d owners mailed", mails);
}

/* Service-level warnings, every [sla] check_interval seconds. */
static void
daemon_sla(struct daemon *d, int64_t now)
{
	struct cm_error err = { 0 };
	int mails = 0, deferred = 0, rc;

	if (now - d->sla_last < d->cfg->sla_check_interval_secs)
		return;
	d->sla_last = now;
	rc = store_begin(d->sstore, &err);
	if (rc == 0)
		rc = outbound_sla_warnings(&d->sout, now, &mails, &deferred, &err);
	if (rc == 0)
		rc = store_commit(d->sstore, &err);
	if (rc != 0) {
		store_rollback(d->sstore);
		log_warnx("sla: %s (tried again later)", err.msg);
		return;
	}
	/* Said once when warnings start to wait, not at every look. */
	if (deferred > 0 && d->sla_deferred == 0)
		log_warnx("sla: %d cases wait for [sla] warn_per_hour", deferred);
	d->sla_deferred = deferred;
	if (mails > 0)
		log_info("sla: %d warning mails queued", mails);
}

static gpointer
daemon_sender(gpointer data)
{
	struct daemon *d = data;
	struct cm_error err;
	int64_t queued = 0, failed = 0;
	int sent, stop;

	for (;;) {
		g_mutex_lock(&d->lock);
		if (!d->kicked && !d->sender_stop)
			g_cond_wait_until(&d->kick, &d->lock, g_get_monotonic_time()
					  + DAEMON_SEND_SECS * G_TIME_SPAN_SECOND);
		d->kicked = 0;
		stop = d->sender_stop;
		g_mutex_unlock(&d->lock);
		if (stop)
			break;
		cm_error_clear(&err);
		daemon_digest(d, time_now());
		daemon_sla(d, time_now());
		do {
			if (outbox_drain(&d->outbox, time_now(), &d->sender_stop,
					 &sent, &err) != 0) {
				log_warnx("outbox: %s (mail stays queued)", err.msg);
				daemon_error(d, err.msg);
				break;
			}
			if (sent > 0) {
				log_info("outbox: %d delivered", sent);
				daemon_health_save(d->sstore, "health.last_send",
						   time_now());
			}
		} while (sent > 0 && !d->sender_stop);
		store_outbox_counts(d->sstore, &queued, &failed, NULL);
		g_mutex_lock(&d->lock);
		d->health.queued = queued;
		g_mutex_unlock(&d->lock);
	}
	return NULL;
}

static void
daemon_kick(struct daemon *d)
{
	g_mutex_lock(&d->lock);
	d->kicked = 1;
	g_cond_signal(&d->kick);
	g_mutex_unlock(&d->lock);
}

/* ---- the fetcher's hook ------------------------------------------------- */

static void
daemon_ready(struct daemon *d)
{
	if (d->health.ready)
		return;
	d->health.ready = 1;
	sd_notify(0, "READY=1");
	log_info("ready");
}

/*
 * After every poll and every FETCH_HOOK_SECS: health, sender kick.  While
 * waiting or backing off (polled 0) only the status and the watchdog: the
 * daemon is alive, and READY=1 goes out then too, because an IMAP server
 * that is down at boot must not fail the unit's start; STATUS= says why
 * nothing is fetched and the fetcher keeps retrying.
 */
static void
daemon_after_poll(void *ctx, int polled, const char *error)
{
	struct daemon *d = ctx;
	int64_t now = time_now();
	int today = daemon_today(now), stored = d->ing.stats.stored;

	if (!polled) {
		/* Connected and waiting (IDLE or between polls) counts as
		 * checked: casectl status must not call a quiet desk stale. */
		if (error[0] != '\0') {
			daemon_error(d, error);
		} else {
			g_mutex_lock(&d->lock);
			d->health.last_poll = now;
			g_mutex_unlock(&d->lock);
			daemon_health_save(d->store, "health.last_poll", now);
		}
		daemon_ready(d);
		daemon_status(d);
		return;
	}
	g_mutex_lock(&d->lock);
	if (d->health.day != today) {
		d->health.day = today;
		d->health.ingested_today = 0;
	}
	d->health.ingested_today += stored - d->last_stored;
	d->health.last_poll = now;
	d->health.last_error[0] = '\0';
	g_mutex_unlock(&d->lock);
	d->last_stored = stored;
	daemon_health_save(d->store, "health.last_poll", now);
	daemon_ready(d);
	daemon_kick(d);
	daemon_status(d);
}

/* ---- start, stop, reload ---------------------------------------------- */

static int
daemon_load(const char *path, struct config **cfg_r, GPtrArray **templates_r,
	    struct cm_error *err)
{
	int rc = config_load(config_choose_path(path), cfg_r, err);

	*templates_r = NULL;
	if (rc != 0)
		return rc;
	config_warn_cleartext(*cfg_r);
	rc = template_load_dir_or_none((*cfg_r)->templates_dir,
				       TEMPLATE_MISSING_WARN, templates_r, err);
	if (rc != 0)
		config_free(cfg_r);
	return rc;
}

static int
daemon_open_store(const struct config *cfg, struct store **s_r,
		  struct cm_error *err)
{
	struct store_options opt = { 0 };

	opt.busy_timeout_ms = cfg->store_busy_timeout_ms;
	opt.cfg = cfg;
	return store_open(cfg->store_database, &opt, s_r, err);
}

/* The fetcher's and the sender's connections to cfg's store, and a check
 * of the signing key beside it (a bad key refuses a start or reload). */
static int
daemon_open_stores(const struct config *cfg, struct store **s_r,
		   struct store **ss_r, struct cm_error *err)
{
	int rc = daemon_open_store(cfg, s_r, err);

	if (rc == 0 && (rc = daemon_open_store(cfg, ss_r, err)) != 0)
		store_close(s_r);
	if (rc == 0 && (rc = msgid_key_ready(cfg, err)) != 0) {
		store_close(ss_r);
		store_close(s_r);
	}
	return rc;
}

/* Start the sender on the stores already opened into d. */
static void
daemon_start(struct daemon *d)
{
	outbound_init(&d->out, d->store, d->cfg, d->templates);
	outbound_init(&d->sout, d->sstore, d->cfg, d->templates);
	outbox_init(&d->outbox, d->sstore, d->cfg);
	ingest_init(&d->ing, d->store, d->cfg, &d->out);
	d->last_stored = 0;
	d->sender_stop = 0;
	d->sender = g_thread_new("sender", daemon_sender, d);
}

static void
daemon_stop(struct daemon *d)
{
	if (d->sender != NULL) {
		g_mutex_lock(&d->lock);
		d->sender_stop = 1;
		g_cond_signal(&d->kick);
		g_mutex_unlock(&d->lock);
		g_thread_join(d->sender);
		d->sender = NULL;
	}
	outbox_clear(&d->outbox);
	outbound_clear(&d->sout);
	outbound_clear(&d->out);
	store_close(&d->sstore);
	store_close(&d->store);
}

/*
 * SIGHUP: a new configuration and templates, or the old ones kept.  The
 * new store is opened before the old one is let go, so a configuration
 * whose store cannot be opened is refused like a broken one.
 */
static void
daemon_reload(struct daemon *d, const char *path)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	GPtrArray *templates = NULL;
	struct store *s = NULL, *ss = NULL;
	int rc;

	sd_notify(0, "RELOADING=1");
	rc = daemon_load(path, &cfg, &templates, &err);
	if (rc == 0 && (rc = daemon_open_stores(cfg, &s, &ss, &err)) != 0) {
		config_free(&cfg);
		g_ptr_array_unref(templates);
	}
	if (rc != 0) {
		log_errx("reload refused, the running configuration stays: %s",
			 err.msg);
		daemon_error(d, err.msg);
		sd_notify(0, "READY=1");
		return;
	}
	daemon_stop(d);
	config_free(&d->cfg);
	g_ptr_array_unref(d->templates);
	d->cfg = cfg;
	d->templates = templates;
	d->store = s;
	d->sstore = ss;
	daemon_start(d);
	log_info("reloaded %s (%u templates)", cfg->path, templates->len);
	sd_notify(0, "READY=1");
}

int
daemon_run(const char *config_path, struct daemon_signals *sig,
	   struct cm_error *err)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.sig = sig;
	g_mutex_init(&d.lock);
	g_cond_init(&d.kick);
	mime_init();
	sd_watchdog_enabled(0, &d.watchdog_usec);
	rc = daemon_load(config_path, &d.cfg, &d.templates, err);
	if (rc == 0)
		rc = daemon_open_stores(d.cfg, &d.store, &d.sstore, err);
	if (rc == 0)
		daemon_start(&d);
	if (rc == 0)
		log_info("started (config %s, store %s, %u templates)", d.cfg->path,
			 d.cfg->store_database, d.templates->len);
	while (rc == 0) {
		fetch_run(&d.ing, &sig->stop, daemon_after_poll, &d, NULL);
		if (sig->term)
			break;
		if (sig->hup) {
			sig->hup = 0;
			sig->stop = 0;
			daemon_reload(&d, config_path);
		}
	}
	sd_notify(0, "STOPPING=1");
	daemon_stop(&d);
	if (rc == 0)
		log_info("stopped: %d stored, %d duplicate, %d held, %d ignored, "
			 "%d failed; outbox: %d delivered", d.ing.stats.stored,
			 d.ing.stats.duplicate, d.ing.stats.held,
			 d.ing.stats.ignored, d.ing.stats.failed, d.outbox.sent);
	if (d.templates != NULL)
		g_ptr_array_unref(d.templates);
	config_free(&d.cfg);
	g_cond_clear(&d.kick);
	g_mutex_clear(&d.lock);
	return rc;
}
