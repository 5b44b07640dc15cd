/* cli_util.c - common option handling, opening, transactions, output. */
#include "cli.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casemail/addr.h"
#include "casemail/agent.h"

static void
cli_print_help(const struct cli_cmd *cmd)
{
	printf("usage: casectl %s %s\n\n%s\n"
	       "\nCommon options:\n" CLI_COMMON_HELP
	       "  -h, --help         this help\n", cmd->name, cmd->usage,
	       cmd->help);
}

int
cli_usage(struct cli *cli, const struct cli_cmd *cmd, const char *fmt, ...)
{
	char msg[CM_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cm_error_set(&cli->err, CM_EUSAGE, "%s", msg);
	cli->usage_printed = 1;
	fprintf(stderr, "casectl %s: %s\nusage: casectl %s %s\n", cmd->name,
		msg, cmd->name, cmd->usage);
	return CM_EUSAGE;
}

int
cli_getopt(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	   const struct option *opts,
	   int (*each)(struct cli *cli, int opt, const char *arg, void *data),
	   void *data, int *first_arg_r)
{
	int opt, rc;

	optind = 0;   /* GNU getopt: reinitialise for this argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_CONFIG:
			cli->config_path = optarg;
			break;
		case CLI_OPT_JSON:
			cli->json = 1;
			break;
		case CLI_OPT_AS:
			cli->as = optarg;
			break;
		case CLI_OPT_HELP:
			cli_print_help(cmd);
			return 1;
		case '?':
		case ':':
			return cli_usage(cli, cmd, "bad or incomplete option "
					 "'%s'", argv[optind - 1]);
		default:
			if (each == NULL)
				return cli_usage(cli, cmd, "bad option");
			rc = each(cli, opt, optarg, data);
			if (rc != 0) {
				if (cli->err.code == CM_EUSAGE)
					return cli_usage(cli, cmd, "%s",
							 cli->err.msg);
				return rc;
			}
		}
	}
	*first_arg_r = optind;
	return 0;
}

const struct option cli_plain_opts[] = {
	CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 }
};

int
cli_getopt_plain(struct cli *cli, int argc, char **argv, int n_operands,
		 const char *why, int *first_arg_r)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	int rc;

	rc = cli_getopt(cli, cmd, argc, argv, cli_plain_opts, NULL, NULL,
			first_arg_r);
	if (rc == 0 && n_operands >= 0 && argc - *first_arg_r != n_operands)
		rc = cli_usage(cli, cmd, "%s", why);
	return rc;
}

int
cli_start_plain(struct cli *cli, int argc, char **argv, int n_operands,
		const char *why, int *first_arg_r)
{
	int rc = cli_getopt_plain(cli, argc, argv, n_operands, why,
				  first_arg_r);

	return rc != 0 ? rc : cli_open(cli);
}

static char *
cli_default_actor(const char *as)
{
	struct passwd *pw;

	/* Addresses are compared in lower case everywhere; the audit
	 * trail records them the same way. */
	if (as != NULL && as[0] != '\0')
		return g_ascii_strdown(as, -1);
	pw = getpwuid(getuid());
	return g_strdup_printf("cli:%s", pw != NULL ? pw->pw_name : "unknown");
}

int
cli_open(struct cli *cli)
{
	struct store_options opt;
	int rc;

	rc = config_load(config_choose_path(cli->config_path), &cli->cfg,
			 &cli->err);
	if (rc != 0)
		return rc;
	opt.busy_timeout_ms = cli->cfg->store_busy_timeout_ms;
	opt.cfg = cli->cfg;
	rc = store_open(cli->cfg->store_database, &opt, &cli->store, &cli->err);
	if (rc != 0) {
		cli_store_access_hint(cli);
		return rc;
	}
	g_free(cli->actor);
	cli->actor = cli_default_actor(cli->as);
	/* Once agents are registered, --as names one of them: a typo must
	 * not become a new person on the case. */
	if (!cli->any_actor && cli->as != NULL && cli->as[0] != '\0')
		return agent_may_act(cli->store, cli->actor, &cli->err);
	return 0;
}

void
cli_close(struct cli *cli)
{
	store_close(&cli->store);
	config_free(&cli->cfg);
	g_free(cli->actor);
	cli->actor = NULL;
}

void
cli_ctx(struct cli *cli, struct case_ctx *ctx)
{
	ctx->store = cli->store;
	ctx->cfg = cli->cfg;
	ctx->actor = cli->actor;
	ctx->now = cli->now;
}

int
cli_case_id(struct cli *cli, const char *text, int64_t *id_r)
{
	return case_parse_number(cli->cfg, text, id_r, &cli->err);
}

int
cli_as_address(struct cli *cli, char **addr_r)
{
	if (cli->as == NULL || cli->as[0] == '\0')
		return cm_error_set(&cli->err, CM_EUSAGE,
				    "who are you? give --as EMAIL or set "
				    "$CASEMAIL_USER");
	return addr_normalize(cli->as, addr_r, &cli->err);
}

/*
 * Once agents are registered, a change needs to say who made it: without
 * --as or $CASEMAIL_USER the audit trail would only know the login
 * (cli:casemail under the README's sudo set-up).  The agent command is
 * exempt (any_actor), so that an administrator can register agents.
 */
static int
cli_need_agent(struct cli *cli)
{
	int64_t n;
	int rc;

	if (cli->any_actor || (cli->as != NULL && cli->as[0] != '\0'))
		return 0;
	if ((rc = store_agent_count(cli->store, &n, &cli->err)) != 0 || n == 0)
		return rc;
	return cm_error_set(&cli->err, CM_EUSAGE,
			    "who are you? agents are registered, so a change "
			    "needs one: give --as EMAIL or set $CASEMAIL_USER "
			    "(see 'casectl agent list')");
}

int
cli_write(struct cli *cli, int (*fn)(struct cli *cli, void *data), void *data)
{
	int rc = cli_need_agent(cli);

	if (rc != 0)
		return rc;
	rc = store_begin(cli->store, &cli->err);
	if (rc == 0)
		rc = fn(cli, data);
	if (rc == 0)
		rc = store_commit(cli->store, &cli->err);
	if (rc != 0)
		store_rollback(cli->store);
	return rc;
}

void
cli_print_safe(const char *text)
{
	for (const char *p = text != NULL ? text : ""; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fputc('?', stdout);
		else
			fputc(c, stdout);
	}
}

void
cli_print_none(const struct cli *cli, guint n, const char *none)
{
	if (!cli->json && n == 0)
		puts(none);
}

void
cli_print_after(const char *before, const char *text, const char *none)
{
	fputs(before, stdout);
	cli_print_safe(text != NULL ? text : none);
}
