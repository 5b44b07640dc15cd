/*
 * cli_list.c - casectl list and search: views and filters over cases.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/case_fields.h"
#include "casemail/casenum.h"
#include "casemail/timeutil.h"

enum {
	OPT_VIEW = 0x400, OPT_CREATED_SINCE, OPT_CREATED_UNTIL,
	OPT_SOLVED_SINCE, OPT_SOLVED_UNTIL, OPT_LATEST_SINCE, OPT_LIMIT,
	OPT_LATEST_BY_ME, OPT_BREACHING,
};

/* Default page size: a screenful that is still cheap over 100k cases. */
#define LIST_DEFAULT_LIMIT 100

static const struct option list_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "view", required_argument, NULL, OPT_VIEW },
	CLI_FILTER_OPTIONS,
	{ "created-since", required_argument, NULL, OPT_CREATED_SINCE },
	{ "created-until", required_argument, NULL, OPT_CREATED_UNTIL },
	{ "solved-since", required_argument, NULL, OPT_SOLVED_SINCE },
	{ "solved-until", required_argument, NULL, OPT_SOLVED_UNTIL },
	{ "latest-since", required_argument, NULL, OPT_LATEST_SINCE },
	{ "latest-by-me", no_argument, NULL, OPT_LATEST_BY_ME },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "breaching", no_argument, NULL, OPT_BREACHING },
	{ NULL, 0, NULL, 0 }
};

struct list_opts {
	struct store_filter f;
	const char *view_name;
	struct cli_filter cf;       /* the filters of several values */
	const char *saved;          /* --view NAME of a saved view */
	int in_saved;               /* parsing a saved view's arguments */
	int latest_by_me;
	struct store_saved_view *sv;  /* the saved view loaded */
	char **saved_args;          /* ... its arguments as argv */
	int breaching;              /* --breaching or --view breaching */
};

static int
list_time(struct cli *cli, const char *arg, int64_t *t_r)
{
	return time_parse(arg, cli->now, t_r, &cli->err);
}

/* A built-in view, else the name of a saved one (loaded later). */
static int
list_view_opt(struct cli *cli, struct list_opts *lo, const char *arg)
{
	int breaching;

	if (case_view_parse(arg, &lo->f.view, &breaching) == 0) {
		lo->view_name = arg;
		lo->breaching |= breaching;
		return 0;
	}
	if (lo->in_saved)
		return cm_error_set(&cli->err, CM_EUSAGE,
				    "a saved view names a built-in view only, "
				    "not '%s'", arg);
	lo->saved = arg;
	return 0;
}

static int
list_limit_opt(struct cli *cli, struct list_opts *lo, const char *arg)
{
	char *end = NULL;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < 0 || v > 1000000000)
		return cm_error_set(&cli->err, CM_EUSAGE,
				    "--limit wants a number (0: no limit)");
	lo->f.limit = (int)v;
	return 0;
}

static int
list_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct list_opts *lo = data;

	if (CLI_IS_FILTER_OPT(opt))
		return cli_filter_opt(cli, &lo->cf, opt, arg);
	switch (opt) {
	case OPT_VIEW: return list_view_opt(cli, lo, arg);
	case OPT_CREATED_SINCE: return list_time(cli, arg, &lo->f.created_since);
	case OPT_CREATED_UNTIL: return list_time(cli, arg, &lo->f.created_until);
	case OPT_SOLVED_SINCE: return list_time(cli, arg, &lo->f.solved_since);
	case OPT_SOLVED_UNTIL: return list_time(cli, arg, &lo->f.solved_until);
	case OPT_LATEST_SINCE: return list_time(cli, arg, &lo->f.latest_since);
	case OPT_LATEST_BY_ME: lo->latest_by_me = 1; return 0;
	case OPT_LIMIT: return list_limit_opt(cli, lo, arg);
	case OPT_BREACHING: lo->breaching = 1; return 0;
	}
	return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
}

/*
 * --view NAME of a saved view: its arguments are parsed as if typed, after
 * those on the command line (so its filters add to theirs).
 */
static int
list_load_saved(struct cli *cli, struct list_opts *lo)
{
	const struct cli_cmd *cmd = cli_find_cmd("list");
	char **args;
	int first, rc;

	if (lo->saved == NULL)
		return 0;
	rc = store_view_get(cli->store, lo->saved, &lo->sv, &cli->err);
	if (rc == CM_ENOTFOUND)
		return cm_error_set(&cli->err, CM_EUSAGE, "unknown view '%s' "
				    "(built in: active, recent, mine, watched, "
				    "new, overdue, breaching, all; saved: "
				    "casectl view list)", lo->saved);
	if (rc != 0)
		return rc;
	args = g_strsplit(lo->sv->args, "\n", -1);
	lo->saved_args = g_new0(char *, g_strv_length(args) + 2);
	lo->saved_args[0] = g_strdup("list");
	for (guint i = 0; args[i] != NULL; i++)
		lo->saved_args[i + 1] = args[i];
	g_free(args);
	lo->in_saved = 1;
	rc = cli_getopt(cli, cmd, (int)g_strv_length(lo->saved_args),
			lo->saved_args, list_opts, list_opt, lo, &first);
	lo->in_saved = 0;
	if (rc == 0 && lo->saved_args[first] != NULL)
		rc = cm_error_set(&cli->err, CM_EUSAGE, "saved view '%s' has "
				  "an operand '%s'", lo->saved,
				  lo->saved_args[first]);
	return rc > 0 ? CM_EUSAGE : rc;
}

static int
list_check(struct cli *cli, struct list_opts *lo)
{
	int rc = list_load_saved(cli, lo);

	return rc != 0 ? rc : cli_filter_finish(cli, &lo->cf, &lo->f);
}

/* mine, watched and new are relative to the acting agent. */
static int
list_resolve_as(struct cli *cli, struct list_opts *lo, char **as_r,
		char **side_r)
{
	int rc;

	if (lo->f.view != STORE_VIEW_MINE && lo->f.view != STORE_VIEW_WATCHED &&
	    lo->f.view != STORE_VIEW_NEW && !lo->latest_by_me)
		return 0;
	if ((rc = cli_as_address(cli, as_r)) != 0) {
		if (lo->latest_by_me)
			cm_error_prefix(&cli->err, "--latest-by-me");
		else
			cm_error_prefix(&cli->err, "--view %s", lo->view_name);
		return rc;
	}
	if (lo->latest_by_me)
		lo->f.latest_by = *as_r;
	return case_filter_as(cli->store, &lo->f, *as_r, side_r);
}

static void
list_line(const struct config *cfg, const struct store_case *c)
{
	char num[CASENUM_BUF_SIZE], when[TIME_ISO_SIZE];

	case_format_number(cfg, c->id, num, sizeof(num));
	time_format_zone(c->updated_at, cfg->case_timezone, when, sizeof(when));
	printf("%-10s %-6s %-6s %-18s %s  ", num,
	       store_case_status_name(c->status), c->priority, c->type, when);
	cli_print_safe(c->subject);
	putchar('\n');
}

static int
list_print(struct cli *cli, GArray *ids)
{
	JsonArray *arr = cli->json ? json_array_sized_new(ids->len) : NULL;
	int rc = 0;

	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		struct store_case *c = NULL;

		rc = store_case_get(cli->store, g_array_index(ids, int64_t, i),
				    &c, &cli->err);
		if (rc != 0)
			break;
		if (arr != NULL) {
			JsonNode *n = case_json_case(cli->cfg, c);

			json_array_add_element(arr, n);
			rc = case_json_relations(cli->store, cli->cfg, c->id,
						 json_node_get_object(n),
						 &cli->err);
		} else
			list_line(cli->cfg, c);
		store_case_free(&c);
	}
	if (arr != NULL) {
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);

		json_node_take_array(n, arr);
		if (rc == 0)
			cli_json_print(n);
		else
			json_node_unref(n);
	}
	if (rc == 0)
		cli_print_none(cli, ids->len, "no cases");
	return rc;
}

/* search: the words, and a case number among them (matched directly). */
static int
list_text(struct cli *cli, struct list_opts *lo, int argc, char **argv,
	  char **text_r)
{
	*text_r = g_strjoinv(" ", argv);
	lo->f.text = *text_r;
	for (int i = 0; i < argc; i++) {
		int64_t id;

		if (case_parse_number(cli->cfg, argv[i], &id, NULL) == 0)
			lo->f.text_case_id = id;
	}
	return 0;
}

static int
list_run(struct cli *cli, int argc, char **argv, int search)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct list_opts lo = { 0 };
	char *as = NULL, *side = NULL, *text = NULL;
	GArray *ids = NULL;
	int first, rc;

	store_filter_init(&lo.f, cli->now);
	cli_filter_init(&lo.cf);
	lo.f.view = search ? STORE_VIEW_ALL : STORE_VIEW_ACTIVE;
	lo.view_name = search ? "all" : "active";
	lo.f.limit = LIST_DEFAULT_LIMIT;
	rc = cli_getopt(cli, cmd, argc, argv, list_opts, list_opt, &lo, &first);
	if (rc == 0 && search && first == argc)
		rc = cli_usage(cli, cmd, "search for what? give some words");
	if (rc == 0 && !search && first != argc)
		rc = cli_usage(cli, cmd, "unexpected argument '%s'", argv[first]);
	if (rc == 0)
		rc = cli_open(cli);
	if (rc == 0)
		rc = list_check(cli, &lo);
	if (rc == 0)
		rc = list_resolve_as(cli, &lo, &as, &side);
	if (rc == 0 && search)
		rc = list_text(cli, &lo, argc - first, argv + first, &text);
	if (rc == 0 && lo.breaching)
		rc = cli_sla_breaching(cli, &lo.f, &ids);
	else if (rc == 0)
		rc = store_case_list(cli->store, &lo.f, &ids, &cli->err);
	if (rc == 0)
		rc = list_print(cli, ids);
	if (ids != NULL)
		g_array_unref(ids);
	cli_filter_clear(&lo.cf);
	store_saved_view_free(&lo.sv);
	g_strfreev(lo.saved_args);
	g_free(as);
	g_free(side);
	g_free(text);
	return rc > 0 ? 0 : rc;
}

int
cli_list_check_args(struct cli *cli, int argc, char **argv)
{
	struct list_opts lo = { 0 };
	int first, rc;

	store_filter_init(&lo.f, cli->now);
	cli_filter_init(&lo.cf);
	lo.in_saved = 1;
	rc = cli_getopt(cli, cli_find_cmd("list"), argc, argv, list_opts,
			list_opt, &lo, &first);
	if (rc == 0 && first != argc)
		rc = cm_error_set(&cli->err, CM_EUSAGE, "unexpected argument "
				  "'%s'", argv[first]);
	if (rc == 0)
		rc = cli_filter_finish(cli, &lo.cf, &lo.f);
	cli_filter_clear(&lo.cf);
	return rc > 0 ? CM_EUSAGE : rc;
}

int
cli_cmd_list(struct cli *cli, int argc, char **argv)
{
	return list_run(cli, argc, argv, 0);
}

int
cli_cmd_search(struct cli *cli, int argc, char **argv)
{
	return list_run(cli, argc, argv, 1);
}
