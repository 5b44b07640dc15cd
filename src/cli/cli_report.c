/*
 * cli_report.c - casectl report: the period and grouping from the
 * options; report.c computes, cli_report_out.c prints.
 */
#include "cli.h"

#include <string.h>

#include "casemail/report.h"
#include "casemail/timeutil.h"

enum { OPT_FROM = 0x400, OPT_TO, OPT_PERIOD, OPT_BY, OPT_CSV };

static const struct option report_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "by", required_argument, NULL, OPT_BY },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ NULL, 0, NULL, 0 }
};

struct report_opts {
	const char *from, *to, *period, *by;
	int csv;
};

static int
report_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct report_opts *ro = data;

	switch (opt) {
	case OPT_FROM: ro->from = arg; return 0;
	case OPT_TO: ro->to = arg; return 0;
	case OPT_PERIOD: ro->period = arg; return 0;
	case OPT_BY: ro->by = arg; return 0;
	case OPT_CSV: ro->csv = 1; return 0;
	}
	return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
}

static int
report_range(struct cli *cli, const struct report_opts *ro, int64_t *from_r,
	     int64_t *to_r)
{
	int rc = 0;

	*to_r = cli->now;
	if (ro->period != NULL && (ro->from != NULL || ro->to != NULL))
		return cm_error_set(&cli->err, CM_EUSAGE, "give --period or "
				    "--from/--to, not both");
	if (ro->to != NULL)
		rc = time_parse(ro->to, cli->now, to_r, &cli->err);
	if (rc == 0 && ro->from != NULL)
		rc = time_parse(ro->from, cli->now, from_r, &cli->err);
	else if (rc == 0)
		rc = report_period_parse(cli->cfg, ro->period != NULL ?
					 ro->period : "30d", cli->now, from_r,
					 &cli->err);
	return rc;
}

int
cli_cmd_report(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct report_opts ro = { 0 };
	enum store_report_by by = STORE_REPORT_ALL;
	struct slaconf *sc = NULL;
	struct report *r = NULL;
	int64_t from = 0, to = 0;
	int first, rc;

	rc = cli_getopt(cli, cmd, argc, argv, report_opts, report_opt, &ro,
			&first);
	if (rc == 0 && first != argc)
		rc = cli_usage(cli, cmd, "unexpected argument '%s'", argv[first]);
	if (rc == 0 && ro.csv && cli->json)
		rc = cli_usage(cli, cmd, "--csv or --json, not both");
	if (rc == 0 && ro.by != NULL)
		rc = report_by_parse(ro.by, &by, &cli->err);
	if (rc == 0)
		rc = cli_open(cli);
	if (rc == 0)
		rc = report_range(cli, &ro, &from, &to);
	if (rc == 0)
		rc = slaconf_new(cli->cfg, &sc, &cli->err);
	if (rc == 0)
		rc = report_build(sc, cli->store, from, to, by, cli->now, &r,
				  &cli->err);
	if (rc == 0 && cli->json)
		cli_report_json(r);
	else if (rc == 0 && ro.csv)
		cli_report_csv(r);
	else if (rc == 0)
		cli_report_text(r, cli->cfg->case_timezone);
	report_free(&r);
	slaconf_free(&sc);
	return rc > 0 ? 0 : rc;
}
