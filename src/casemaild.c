/*
 * casemaild - the casemail gateway daemon.
 *
 * This release has one mode, "check": load and validate the configuration,
 * open the store and bring its schema up to date, then exit.  The inbound
 * (IMAP) and outbound (SMTP) modes build on it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/log.h"
#include "casemail/store.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: casemaild [-c FILE] check\n\n"
		"  check            validate the configuration, open the store "
		"and\n"
		"                   migrate its schema, then exit 0\n"
		"  -c, --config FILE  configuration file (default: "
		"$CASEMAIL_CONFIG, else " CONFIG_DEFAULT_PATH ")\n"
		"  -h, --help       this help\n"
		"  -V, --version    print the version\n\n"
		"See casemaild(8).\n");
}

static int
run_check(const char *config_path)
{
	struct cm_error err = { 0 };
	struct config *cfg = NULL;
	struct store *store = NULL;
	struct store_options opt = { 0 };
	int rc;

	rc = config_load(config_choose_path(config_path), &cfg, &err);
	if (rc == 0) {
		opt.busy_timeout_ms = cfg->store_busy_timeout_ms;
		opt.cfg = cfg;
		rc = store_open(cfg->store_database, &opt, &store, &err);
	}
	if (rc == 0)
		log_info("config %s ok; store %s at schema version %d",
			 cfg->path, cfg->store_database,
			 store_schema_version(store));
	else
		log_errx("%s", err.msg);
	store_close(&store);
	config_free(&cfg);
	return cm_exit_code(rc);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = NULL;
	int opt;

	log_init("casemaild");
	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("casemaild %s\n", CASEMAIL_VERSION); return 0;
		default: usage(stderr); return cm_exit_code(CM_EUSAGE);
		}
	}
	if (optind < argc && strcmp(argv[optind], "check") == 0 &&
	    optind + 1 == argc)
		return run_check(config_path);
	usage(stderr);
	return cm_exit_code(CM_EUSAGE);
}
