/*
 * casemail-web - the desk in a browser: the case lists, the case page and
 * its actions over the same store and case model as casectl.
 *
 * It listens on [web] listen (loopback by default) with plain HTTP; TLS is
 * a reverse proxy's job (casemail-web(8)).  It runs until SIGTERM or
 * SIGINT; a request in progress is finished first.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"
#include "web_private.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: casemail-web [-c FILE] [-d] [--check]\n"
		"  -c, --config FILE  configuration (default: "
		"$CASEMAIL_CONFIG or " CASEMAIL_SYSCONFDIR "/casemail/"
		"casemail.conf)\n"
		"  -d, --debug        log debug lines\n"
		"      --check        check [web] and the store, then exit\n"
		"  -h, --help         this help\n"
		"      --version      print the version\n"
		"Serves the desk on [web] listen until SIGTERM.\n");
}

/* Open the store once on the main thread: a store that cannot be opened
 * or migrated stops us at start, not at the first request. */
static int
web_check_store(const struct config *cfg, struct cm_error *err)
{
	struct store_options opt = { .busy_timeout_ms =
				     cfg->store_busy_timeout_ms, .cfg = cfg };
	struct store *s = NULL;
	int rc = store_open(cfg->store_database, &opt, &s, err);

	store_close(&s);
	return rc;
}

static int
web_wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigwait(&set, &sig);
	return sig;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct web w = { .clock = time_now };
	struct web_server *srv = NULL;
	struct sockaddr_storage sa;
	struct cm_error err = { 0 };
	const char *config_path = NULL;
	unsigned sa_len;
	sigset_t set;
	int c, check = 0, rc;

	log_init("casemail-web");
	while ((c = getopt_long(argc, argv, "c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'd': log_set_debug(1); break;
		case 'k': check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("casemail-web %s\n", CASEMAIL_VERSION);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Block the stop signals in every thread: main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = config_load(config_choose_path(config_path), &w.cfg, &err);
	if (rc == 0)
		rc = web_listen_parse(w.cfg->web_listen,
				      w.cfg->web_allow_remote, &sa, &sa_len,
				      &err);
	if (rc == 0)
		rc = web_check_store(w.cfg, &err);
	if (rc == 0 && !check) {
		w.limit = web_limit_new(w.cfg->web_login_failures,
					w.cfg->web_login_client_failures,
					w.cfg->web_login_window_secs);
		rc = web_server_start(&w, &srv, &err);
	}
	if (rc != 0) {
		log_errx("%s", err.msg);
		web_limit_free(&w.limit);
		config_free(&w.cfg);
		return cm_exit_code(rc);
	}
	if (check) {
		printf("casemail-web: configuration and store are fine; would "
		       "listen on %s\n", w.cfg->web_listen);
		config_free(&w.cfg);
		return 0;
	}
	log_info("listening on http://%s/", w.cfg->web_listen);
	c = web_wait_for_signal();
	log_info("signal %d: stopping", c);
	web_server_stop(&srv);
	web_limit_free(&w.limit);
	config_free(&w.cfg);
	return 0;
}
