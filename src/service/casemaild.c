/*
 * casemaild - the casemail gateway daemon.
 *
 * Modes (one pipeline, ingest.c, behind all of them):
 *   (none)          fetch from IMAP until told to stop (IDLE or polling)
 *   --once          fetch everything new from IMAP once, then exit
 *   ingest [PATH]   raw messages from files, Maildirs or stdin (MTA pipe)
 *   reprocess ID    run a held or failed message again from its raw copy
 *   send            drain the outbox once
 *   check           validate the configuration and migrate the store
 */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casemail/config.h"
#include "casemail/daemon.h"
#include "casemail/error.h"
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

/* Messages per durable commit in ingest mode: one fsync per group. */
#define INGEST_COMMIT_GROUP 200

/* Set by the signal handlers; every loop looks at sigs.stop. */
static struct daemon_signals sigs;

struct casemaild_run {
	struct config *cfg;
	struct store *store;
	GPtrArray *templates;
	struct outbound out;
	struct outbox_sender outbox;
	struct ingest ing;
	int in_txn;       /* messages in the open ingest transaction */
	int refused;      /* a message was refused (ingest mode) */
	int unread;       /* an operand could not be read (ingest mode) */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: casemaild [-c FILE] [-d] [--once]\n"
		"       casemaild [-c FILE] [-d] ingest [FILE|MAILDIR]...\n"
		"       casemaild [-c FILE] [-d] reprocess MESSAGE-ROW\n"
		"       casemaild [-c FILE] [-d] send | digest\n"
		"       casemaild [-c FILE] check [--connect]\n\n"
		"Without a mode, fetch mail from the [imap] mailbox until stopped\n"
		"(SIGTERM/SIGINT), using IDLE where the server has it, and send\n"
		"the outbox and the daily digest; SIGHUP reloads.\n\n"
		"  --once             fetch everything new once, then exit\n"
		"  ingest [PATH]...   store raw RFC 5322 messages from files,\n"
		"                     Maildirs (new/ and cur/) or, with no PATH or\n"
		"                     '-', one message from stdin (MTA pipe); exit\n"
		"                     0 kept, 65 refused on its content, 75 any\n"
		"                     other failure (try again later)\n"
		"  reprocess ROW      run a held or failed message again from its\n"
		"                     kept raw copy (ROW as shown by 'casectl review')\n"
		"  digest             mail every case owner their follow-up digest\n"
		"                     now (the service does it daily), then send\n"
		"  send               send every mail that is due from the outbox,\n"
		"                     then exit (75: the SMTP server failed)\n"
		"  check              validate the configuration, open the store "
		"and\n"
		"                     migrate its schema, then exit 0\n"
		"  check --connect    also log in to [imap] and [smtp] (OAuth2\n"
		"                     too) and report each; exit 0 if both worked\n"
		"  -c, --config FILE  configuration file (default: "
		"$CASEMAIL_CONFIG, else " CONFIG_DEFAULT_PATH ")\n"
		"  -d, --debug        log debug lines\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n\n"
		"See casemaild(8).\n");
}

static void
on_stop(int sig)
{
	(void)sig;
	sigs.term = 1;
	sigs.stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	sigs.hup = 1;
	sigs.stop = 1;
}

static void
signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	/* libetpan writes with send(..., 0): a dropped peer must not kill us. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int
run_open(struct casemaild_run *d, const char *config_path, struct cm_error *err)
{
	struct store_options opt = { 0 };
	int rc;

	memset(d, 0, sizeof(*d));
	rc = config_load(config_choose_path(config_path), &d->cfg, err);
	if (rc != 0)
		return rc;
	config_warn_cleartext(d->cfg);
	opt.busy_timeout_ms = d->cfg->store_busy_timeout_ms;
	opt.cfg = d->cfg;
	rc = store_open(d->cfg->store_database, &opt, &d->store, err);
	if (rc != 0)
		return rc;
	/* A broken template stops us with its file and line; a missing
	 * directory only means nothing is mailed. */
	rc = template_load_dir_or_none(d->cfg->templates_dir,
				       TEMPLATE_MISSING_WARN, &d->templates,
				       err);
	if (rc != 0)
		return rc;
	outbound_init(&d->out, d->store, d->cfg, d->templates);
	/* A short or unreadable key: a configuration error now, not a
	 * failure of every message later. */
	if ((rc = msgid_key_ready(d->cfg, err)) != 0)
		return rc;
	outbox_init(&d->outbox, d->store, d->cfg);
	ingest_init(&d->ing, d->store, d->cfg, &d->out);
	mime_init();
	return 0;
}

static void
run_close(struct casemaild_run *d)
{
	outbox_clear(&d->outbox);
	outbound_clear(&d->out);
	if (d->templates != NULL)
		g_ptr_array_unref(d->templates);
	store_close(&d->store);
	config_free(&d->cfg);
}


/*
 * Who can prove an agent's mail ([trust]): with organisation domains but
 * no verifier at all, every agent mail would be held and every mail
 * command refused.  Said at check time, not discovered in the review
 * queue.
 */
static void
check_trust(const struct config *cfg)
{
	int orgs = cfg->org_domains != NULL && cfg->org_domains[0] != NULL;
	int ids = cfg->trust_authserv_ids != NULL &&
		  cfg->trust_authserv_ids[0] != NULL;

	if (orgs && !ids && !cfg->trust_topmost && !cfg->trust_dkim_verify)
		log_warnx("[trust]: no trusted verifier (authserv_ids empty, "
			  "trust_topmost and dkim_verify off): mail from "
			  "organization_domains addresses will be held for "
			  "review and mail commands (/escalation, ...) will be "
			  "refused; see casemaild(8), SENDER AUTHENTICATION");
	else if (orgs && !ids && !cfg->trust_topmost)
		log_info("[trust]: no trusted Authentication-Results: agent "
			 "mail is proven only by our own DKIM check (it must "
			 "be DKIM-signed for its From domain)");
	if (cfg->trust_dkim_key_file != NULL &&
	    access(cfg->trust_dkim_key_file, R_OK) != 0)
		log_warn("[trust] dkim_key_file %s: no DKIM signature will "
			 "verify", cfg->trust_dkim_key_file);
}

static int
run_check(struct casemaild_run *d, int connect, struct cm_error *err)
{
	int rc;

	check_trust(d->cfg);
	if ((rc = daemon_check(d->cfg, connect, err)) != 0)
		return rc;
	log_info("config %s ok; store %s at schema version %d", d->cfg->path,
		 d->cfg->store_database, store_schema_version(d->store));
	return 0;
}

static void
log_stats(const struct ingest_stats *st, const char *what)
{
	log_info("%s: %d stored, %d duplicate, %d held for review, %d ignored, "
		 "%d failed (kept for review)", what, st->stored, st->duplicate,
		 st->held, st->ignored, st->failed);
}

/* ---- ingest mode ---------------------------------------------------- */

static int
ingest_commit(struct casemaild_run *d, struct cm_error *err)
{
	int rc;

	if (d->in_txn == 0)
		return 0;
	rc = ingest_sync(&d->ing, err);
	if (rc == 0)
		rc = store_commit(d->store, err);
	d->in_txn = 0;
	if (rc != 0)
		store_rollback(d->store);
	return rc;
}

/* One raw message; commits when the group is full. */
static int
ingest_bytes(struct casemaild_run *d, const char *data, size_t len,
	     const char *origin, struct cm_error *err)
{
	struct ingest_source src = { NULL, 0, 0, origin };
	enum ingest_outcome out;
	int rc;

	if (len == 0 || memchr(data, ':', MIN(len, (size_t)4096)) == NULL) {
		/* Not a message at all: refuse, so the sender hears of it. */
		log_errx("%s: refused: not an RFC 5322 message (no header)",
			 origin);
		d->refused = 1;
		return 0;
	}
	if (d->in_txn == 0 && (rc = store_begin(d->store, err)) != 0)
		return rc;
	d->in_txn++;
	rc = ingest_message(&d->ing, data, len, &src, time_now(), &out, err);
	if (rc != 0) {
		store_rollback(d->store);
		d->in_txn = 0;
		return rc;
	}
	if (d->in_txn >= INGEST_COMMIT_GROUP)
		return ingest_commit(d, err);
	return 0;
}

static int
ingest_file(struct casemaild_run *d, const char *path, struct cm_error *err)
{
	GError *gerr = NULL;
	GMappedFile *map;
	int rc;

	/* Mapped, not read: memory stays flat however big the Maildir. */
	map = g_mapped_file_new(path, FALSE, &gerr);
	if (map == NULL) {
		rc = cm_error_set(err, CM_ENOTFOUND, "%s: %s", path,
				  gerr->message);
		g_error_free(gerr);
		return rc;
	}
	rc = ingest_bytes(d, g_mapped_file_get_contents(map),
			  g_mapped_file_get_length(map), path, err);
	g_mapped_file_unref(map);
	return rc;
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file in DIR/sub, in name order (Maildir names start with a time). */
static int
ingest_maildir_sub(struct casemaild_run *d, const char *dir, const char *sub,
		   struct cm_error *err)
{
	char *path = g_build_filename(dir, sub, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *dh = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (dh == NULL) {
		rc = cm_error_set(err, CM_ENOTFOUND, "%s: cannot open", path);
		goto out;
	}
	while ((de = readdir(dh)) != NULL)
		if (de->d_name[0] != '.')
			g_ptr_array_add(names, g_strdup(de->d_name));
	closedir(dh);
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; rc == 0 && i < names->len && !sigs.stop; i++) {
		char *file = g_build_filename(path, names->pdata[i], NULL);

		rc = ingest_file(d, file, err);
		g_free(file);
	}
out:
	g_ptr_array_unref(names);
	g_free(path);
	return rc;
}

static int
ingest_path(struct casemaild_run *d, const char *path, struct cm_error *err)
{
	struct stat st;
	char *cur;
	int rc, is_maildir;

	if (stat(path, &st) != 0)
		return cm_error_set(err, CM_ENOTFOUND, "%s: no such file",
				    path);
	if (!S_ISDIR(st.st_mode))
		return ingest_file(d, path, err);
	cur = g_build_filename(path, "cur", NULL);
	is_maildir = g_file_test(cur, G_FILE_TEST_IS_DIR);
	g_free(cur);
	if (!is_maildir)
		return cm_error_set(err, CM_ENOTFOUND, "%s: a directory but "
				    "not a Maildir (no cur/)", path);
	rc = ingest_maildir_sub(d, path, "new", err);
	if (rc == 0)
		rc = ingest_maildir_sub(d, path, "cur", err);
	return rc;
}

static int
ingest_stdin(struct casemaild_run *d, struct cm_error *err)
{
	GString *buf = g_string_new(NULL);
	char chunk[65536];
	size_t n;
	int rc;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		g_string_append_len(buf, chunk, (gssize)n);
	if (ferror(stdin))
		rc = cm_error_set(err, CM_ETEMP, "stdin: read error");
	else
		rc = ingest_bytes(d, buf->str, buf->len, "stdin", err);
	g_string_free(buf, TRUE);
	return rc;
}

static int
run_ingest(struct casemaild_run *d, int argc, char **argv, struct cm_error *err)
{
	struct cm_error perr;
	int rc = 0;

	if (argc == 0)
		rc = ingest_stdin(d, err);
	for (int i = 0; rc == 0 && i < argc && !sigs.stop; i++) {
		cm_error_clear(&perr);
		rc = strcmp(argv[i], "-") == 0 ? ingest_stdin(d, &perr)
					       : ingest_path(d, argv[i], &perr);
		/* A path that cannot be read is skipped on its own; what
		 * came before it stays stored and the rest is still read.
		 * It says nothing about a message's content: exit 75. */
		if (rc == CM_ENOTFOUND) {
			log_errx("%s", perr.msg);
			d->unread = 1;
			rc = 0;
		} else if (rc != 0 && err != NULL) {
			*err = perr;
		}
	}
	if (rc == 0)
		rc = ingest_commit(d, err);
	else
		store_rollback(d->store);
	log_stats(&d->ing.stats, "ingest");
	if (rc == 0 && sigs.stop)
		rc = cm_error_set(err, CM_ETEMP, "stopped by a signal before "
				  "every message was read");
	if (rc == 0 && d->unread)
		rc = cm_error_set(err, CM_ETEMP, "an operand could not be "
				  "read");
	if (rc == 0 && d->refused)
		rc = cm_error_set(err, CM_EINPUT, "a message was refused");
	return rc;
}

/* ---- reprocess ------------------------------------------------------ */

static int
run_reprocess(struct casemaild_run *d, const char *arg, struct cm_error *err)
{
	enum ingest_outcome out;
	char *end;
	long long row = strtoll(arg, &end, 10);
	int rc;

	if (*arg == '\0' || *end != '\0' || row <= 0)
		return cm_error_set(err, CM_EUSAGE, "'%s' is not a message row "
				    "(see casectl review)", arg);
	if ((rc = store_begin(d->store, err)) != 0)
		return rc;
	rc = ingest_reprocess(&d->ing, row, 0, time_now(), &out, err);
	if (rc == 0)
		rc = store_commit(d->store, err);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	printf("message %lld: %s\n", row, ingest_outcome_name(out));
	return 0;
}

/* ---- send ----------------------------------------------------------- */

/* Drain the outbox until nothing is due (or the server fails). */
static int
drain_all(struct casemaild_run *d, int *total_r, struct cm_error *err)
{
	int sent = 0, rc;

	*total_r = 0;
	do {
		rc = outbox_drain(&d->outbox, time_now(), &sigs.stop, &sent, err);
		*total_r += sent;
	} while (rc == 0 && sent > 0 && !sigs.stop);
	return rc;
}

/* Mails sent but not recorded (the store failed after the send): try to
 * record them once a second for up to half a lease, since after this
 * process they would be sent again. */
static int
send_flush(struct casemaild_run *d, int rc, struct cm_error *err)
{
	int tries = d->cfg->smtp_lease_secs / 2;

	while (outbox_unrecorded(&d->outbox) > 0 && tries-- > 0 &&
	       !sigs.stop) {
		sleep(1);
		rc = outbox_flush(&d->outbox, err);
	}
	return rc;
}

static int
run_send(struct casemaild_run *d, struct cm_error *err)
{
	int total, more, rc = drain_all(d, &total, err);

	while (outbox_unrecorded(&d->outbox) > 0 && !sigs.stop) {
		int before = d->outbox.sent;

		if ((rc = send_flush(d, rc, err)) != 0)
			break;
		total += d->outbox.sent - before;
		rc = drain_all(d, &more, err);
		total += more;
	}
	log_info("outbox: %d delivered", total);
	return rc;
}

/* The follow-up digest now (whatever the hour), then send it. */
static int
run_digest(struct casemaild_run *d, struct cm_error *err)
{
	int64_t now = time_now();
	int mails = 0, total, rc;

	if ((rc = store_begin(d->store, err)) != 0)
		return rc;
	rc = outbound_digest(&d->out, now, now - (int64_t)
			     d->cfg->case_stale_days * 86400, &mails, err);
	if (rc == 0)
		rc = store_commit(d->store, err);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	log_info("digest: %d owners mailed", mails);
	rc = drain_all(d, &total, err);
	log_info("outbox: %d delivered", total);
	return rc;
}

/* ---- IMAP ----------------------------------------------------------- */

static int
run_once(struct casemaild_run *d, struct cm_error *err)
{
	int rc = fetch_once(&d->ing, err), sent = 0;
	struct cm_error serr = { 0 };
	const struct ingest_stats *st = &d->ing.stats;

	/* A failed poll is not summed up as if it had worked: the error
	 * (logged by main) says what happened, and the counts only when
	 * something was handled before it. */
	if (rc == 0)
		log_stats(st, "imap");
	else if (st->stored + st->duplicate + st->held + st->ignored +
		 st->failed > 0)
		log_warnx("imap: %d stored, %d duplicate, %d held for review, "
			  "%d ignored, %d failed (kept for review) before the "
			  "poll failed", st->stored, st->duplicate, st->held,
			  st->ignored, st->failed);
	/* Also send what is due, so a cron job or a test sees the mail its
	 * run caused.  An SMTP problem leaves the mail queued: exit 75. */
	if (rc == 0 && drain_all(d, &sent, &serr) != 0) {
		if (err != NULL)
			*err = serr;
		rc = CM_ETEMP;
	}
	if (sent > 0)
		log_info("outbox: %d delivered", sent);
	return rc;
}

/*
 * Nonzero when the mode is ingest, the mail transfer agent's pipe: its exit
 * status is cm_exit_code_mta()'s, decided before options are parsed so that
 * even a mistyped option in a pipe command defers the mail.
 */
static int
is_ingest_mode(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc && strcmp(argv[i + 1], "ingest") == 0;
		if (argv[i][0] != '-')
			return strcmp(argv[i], "ingest") == 0;
	}
	return 0;
}

static int
dispatch(struct casemaild_run *d, int argc, char **argv,
	 struct cm_error *err)
{
	if (argc == 0)
		return run_once(d, err);
	if (strcmp(argv[0], "check") == 0 && argc == 1)
		return run_check(d, 0, err);
	if (strcmp(argv[0], "check") == 0 && argc == 2 &&
	    strcmp(argv[1], "--connect") == 0)
		return run_check(d, 1, err);
	if (strcmp(argv[0], "ingest") == 0)
		return run_ingest(d, argc - 1, argv + 1, err);
	if (strcmp(argv[0], "reprocess") == 0 && argc == 2)
		return run_reprocess(d, argv[1], err);
	if (strcmp(argv[0], "send") == 0 && argc == 1)
		return run_send(d, err);
	if (strcmp(argv[0], "digest") == 0 && argc == 1)
		return run_digest(d, err);
	return cm_error_set(err, CM_EUSAGE, "unknown mode '%s' (see --help)",
			    argv[0]);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cm_error err = { 0 };
	struct casemaild_run d;
	const char *config_path = NULL;
	int opt, once = 0, rc;
	int (*exit_code)(int) = is_ingest_mode(argc, argv) ? cm_exit_code_mta
							   : cm_exit_code;

	/* Everything we create (database, -wal/-shm, attachments, the
	 * signing key) is private, whatever umask we were started with. */
	umask(077);
	log_init("casemaild");
	while ((opt = getopt_long(argc, argv, "+c:dhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'd': log_set_debug(1); break;
		case 'o': once = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("casemaild %s\n", CASEMAIL_VERSION); return 0;
		default: usage(stderr); return exit_code(CM_EUSAGE);
		}
	}
	if (once && optind < argc) {
		usage(stderr);
		return cm_exit_code(CM_EUSAGE);
	}
	signals_init();
	if (!once && optind == argc) {
		/* The service: it loads (and reloads) its configuration. */
		rc = daemon_run(config_path, &sigs, &err);
		if (rc != 0)
			log_errx("%s", err.msg);
		return cm_exit_code(rc);
	}
	rc = run_open(&d, config_path, &err);
	if (rc == 0)
		rc = dispatch(&d, argc - optind, argv + optind, &err);
	/* A lost OAuth2 login was said once already, by the token source. */
	if (rc != 0 && !(rc == CM_EREFUSED &&
			 g_str_has_prefix(err.msg, "oauth2: ")))
		log_errx("%s", err.msg);
	if (rc == CM_EUSAGE)
		usage(stderr);
	run_close(&d);
	return exit_code(rc);
}
