/*
 * cli.h - what casectl's command files share: options common to every
 * command, opening the config and the store, transactions, and output.
 */
#ifndef CASEMAIL_CLI_H
#define CASEMAIL_CLI_H

#include <getopt.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "casemail/case.h"
#include "casemail/case_json.h"
#include "casemail/config.h"
#include "casemail/error.h"
#include "casemail/store.h"

struct cli {
	const char *config_path;  /* -c, or NULL */
	int json;                 /* --json */
	const char *as;           /* --as or $CASEMAIL_USER, may be NULL */
	char *actor;              /* who is recorded in the audit trail */
	struct config *cfg;
	struct store *store;
	struct cm_error err;
	int usage_printed;        /* cli_usage() already said what was wrong */
	int any_actor;            /* agent: --as need not be a registered agent */
	int64_t now;
};

/* Long options every command accepts; short letters are private codes. */
#define CLI_OPT_CONFIG 'c'
#define CLI_OPT_JSON 0x100
#define CLI_OPT_AS 0x101
#define CLI_OPT_HELP 'h'
#define CLI_COMMON_OPTIONS                                            \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG },        \
	{ "json", no_argument, NULL, CLI_OPT_JSON },                  \
	{ "as", required_argument, NULL, CLI_OPT_AS },                \
	{ "help", no_argument, NULL, CLI_OPT_HELP }

/* The help lines of -c, --json and --as (casectl --help and COMMAND --help). */
#define CLI_COMMON_HELP                                                   \
	"  -c, --config FILE  configuration file (default: "              \
	"$CASEMAIL_CONFIG, else " CONFIG_DEFAULT_PATH ")\n"               \
	"      --json         print JSON instead of text\n"                \
	"      --as EMAIL     the acting agent (default: $CASEMAIL_USER)\n"

struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;   /* argument synopsis */
	const char *help;    /* what it does and its options */
};

/* The command table (casectl.c). */
const struct cli_cmd *cli_find_cmd(const char *name);

/*
 * Parse a command's options with getopt_long.  Common options are handled
 * here; others are passed to each(opt, optarg, data).  --help prints the
 * command's help and returns 1 (the caller exits 0).  Returns CM_EUSAGE
 * (message printed) for an unknown option, else 0 with *first_arg_r the
 * index of the first operand.
 */
int cli_getopt(struct cli *cli, const struct cli_cmd *cmd, int argc,
	       char **argv, const struct option *opts,
	       int (*each)(struct cli *cli, int opt, const char *arg,
			   void *data),
	       void *data, int *first_arg_r);

/* The options of a command that takes the common ones only. */
extern const struct option cli_plain_opts[];

/*
 * cli_getopt() with cli_plain_opts for the command argv[0] names.  When
 * n_operands is not negative, exactly that many operands must follow, else
 * it is a usage error saying why.  Returns as cli_getopt().
 */
int cli_getopt_plain(struct cli *cli, int argc, char **argv, int n_operands,
		     const char *why, int *first_arg_r);

/*
 * cli_getopt_plain() and then cli_open(), the start of most commands that
 * read the store.  Returns 1 when --help was printed (the caller exits 0),
 * 0 with the store open, or a negative CM_E*.
 */
int cli_start_plain(struct cli *cli, int argc, char **argv, int n_operands,
		    const char *why, int *first_arg_r);

/* Print "casectl CMD: MESSAGE" and the synopsis; returns CM_EUSAGE. */
int cli_usage(struct cli *cli, const struct cli_cmd *cmd, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

/* Load the config and open the store (errors in cli->err). */
int cli_open(struct cli *cli);
/* After a failed store_open(): when file permissions are why, add to
 * cli->err who is denied what and how agents run casectl (cli_access.c). */
void cli_store_access_hint(struct cli *cli);
void cli_close(struct cli *cli);

/* A case context for the acting agent at cli->now. */
void cli_ctx(struct cli *cli, struct case_ctx *ctx);

/* Parse a case number operand; errors go to cli->err. */
int cli_case_id(struct cli *cli, const char *text, int64_t *id_r);

/* The acting agent's address, or CM_EUSAGE if --as is missing/bad. */
int cli_as_address(struct cli *cli, char **addr_r);

/* Run fn inside one transaction: all of it commits, or none of it. */
int cli_write(struct cli *cli, int (*fn)(struct cli *cli, void *data),
	      void *data);

/* Print text to stdout with control characters (but newline/tab) made
 * visible, so stored mail content can never drive the terminal. */
void cli_print_safe(const char *text);
/* fputs(before), then cli_print_safe() of text, or of none when it is NULL. */
void cli_print_after(const char *before, const char *text, const char *none);
/* In text mode, when a listing had n == 0 rows: print the line none, so
 * that an empty answer is not mistaken for no answer.  JSON prints []. */
void cli_print_none(const struct cli *cli, guint n, const char *none);

/* ---- JSON (cli_json.c) ------------------------------------------------- */

/* The JSON shapes are case_json.h's (case_json_case(), _begin(), ...). */
/* Write node to stdout, pretty, followed by a newline; frees node. */
void cli_json_print(JsonNode *node);
/* cli_json_print() of an array of conv(item) for every item. */
void cli_json_print_list(GPtrArray *items, JsonNode *(*conv)(gconstpointer));

/* Load case id and print it as JSON (with messages and events if full). */
int cli_print_case_json(struct cli *cli, int64_t id, int full);

/* ---- commands (cli_cases.c, cli_list.c) ------------------------------- */

int cli_cmd_create(struct cli *cli, int argc, char **argv);
int cli_cmd_show(struct cli *cli, int argc, char **argv);
int cli_cmd_set(struct cli *cli, int argc, char **argv);
int cli_cmd_assign(struct cli *cli, int argc, char **argv);
int cli_cmd_unassign(struct cli *cli, int argc, char **argv);
int cli_cmd_watch(struct cli *cli, int argc, char **argv);
int cli_cmd_unwatch(struct cli *cli, int argc, char **argv);
int cli_cmd_note(struct cli *cli, int argc, char **argv);
int cli_cmd_solve(struct cli *cli, int argc, char **argv);
int cli_cmd_reopen(struct cli *cli, int argc, char **argv);
int cli_cmd_history(struct cli *cli, int argc, char **argv);
int cli_cmd_list(struct cli *cli, int argc, char **argv);
int cli_cmd_search(struct cli *cli, int argc, char **argv);

/* ---- agents (cli_agent.c) ---------------------------------------------- */

int cli_cmd_agent(struct cli *cli, int argc, char **argv);
/* The owners, watchers and participants of c who are registered agents
 * get the agent's name (show, show --json). */
int cli_case_agent_names(struct cli *cli, struct store_case *c);
/* cli_webauth.c: agent password EMAIL, and api-client. */
int cli_agent_password(struct cli *cli, const struct cli_cmd *cmd,
		       const char *address);
int cli_cmd_api_client(struct cli *cli, int argc, char **argv);

/* ---- filters of several values (cli_filter.c) ------------------------- */

/* Option codes of the filters: CLI_OPT_FILTER + 2 * key (+ 1: --not-). */
#define CLI_OPT_FILTER 0x600
#define CLI_FILTER_OPT(name, key)                                         \
	{ name, required_argument, NULL, CLI_OPT_FILTER + 2 * (key) },    \
	{ "not-" name, required_argument, NULL, CLI_OPT_FILTER + 2 * (key) + 1 }
#define CLI_FILTER_OPTIONS                                                \
	CLI_FILTER_OPT("status", STORE_MATCH_STATUS),                     \
	CLI_FILTER_OPT("type", STORE_MATCH_TYPE),                         \
	CLI_FILTER_OPT("kind", STORE_MATCH_KIND),                         \
	CLI_FILTER_OPT("source", STORE_MATCH_SOURCE),                     \
	CLI_FILTER_OPT("priority", STORE_MATCH_PRIORITY),                 \
	CLI_FILTER_OPT("shipment", STORE_MATCH_SHIPMENT),                 \
	CLI_FILTER_OPT("crm", STORE_MATCH_CRM),                           \
	CLI_FILTER_OPT("owner", STORE_MATCH_OWNER),                       \
	CLI_FILTER_OPT("watcher", STORE_MATCH_WATCHER),                   \
	CLI_FILTER_OPT("field", STORE_MATCH_FIELD)
/* Whether opt is one of CLI_FILTER_OPTIONS. */
#define CLI_IS_FILTER_OPT(opt) \
	((opt) >= CLI_OPT_FILTER && (opt) <= CLI_OPT_FILTER + 2 * STORE_MATCH_FIELD + 1)

struct cli_filter {
	GPtrArray *entries;           /* private */
	struct store_match *matches;  /* after cli_filter_finish() */
};

void cli_filter_init(struct cli_filter *cf);
void cli_filter_clear(struct cli_filter *cf);
/* Take one filter option (comma-separated values; a repeated option adds
 * values).  CM_EUSAGE in cli->err for an empty or malformed one. */
int cli_filter_opt(struct cli *cli, struct cli_filter *cf, int opt,
		   const char *arg);
/* With the configuration read: check and canonicalise every value, and
 * point f's matches at them (valid until cli_filter_clear()). */
int cli_filter_finish(struct cli *cli, struct cli_filter *cf,
		      struct store_filter *f);

/* Parse argv[1 ..] (argv[0]: a command name for messages) as list
 * filters and check them, store open: 0 or CM_EUSAGE (cli_list.c). */
int cli_list_check_args(struct cli *cli, int argc, char **argv);

/* ---- merge, link, fields and saved views (cli_merge.c, cli_view.c) ----- */

int cli_cmd_merge(struct cli *cli, int argc, char **argv);
int cli_cmd_link(struct cli *cli, int argc, char **argv);
int cli_cmd_unlink(struct cli *cli, int argc, char **argv);
int cli_cmd_view(struct cli *cli, int argc, char **argv);
/* show: what the case was merged into or from, its links and its custom
 * fields (text lines). */
int cli_show_relations(struct cli *cli, int64_t id);
/*
 * create: Active cases with the shipment reference ref.  Without force
 * and with some, CM_EREFUSED naming them (and --force); with force, the
 * cases in *same_r (caller unrefs; NULL when none) to note on both.
 */
int cli_create_shipment_check(struct cli *cli, const char *ref, int force,
			      GArray **same_r);
/* Set each "NAME=VALUE" of args (a GPtrArray of strings) on case id; *n_r
 * counts the changes.  Inside cli_write(). */
int cli_set_fields(struct cli *cli, int64_t id, GPtrArray *args, int *n_r);

/* ---- service levels (cli_sla.c) --------------------------------------- */

/* Print case id's due times (show); nothing without [sla] targets. */
int cli_sla_show(struct cli *cli, int64_t id);
/* Add case id's "sla" member to o (show --json). */
int cli_sla_json(struct cli *cli, int64_t id, JsonObject *o);
/* The cases f matches that breach a target (sla_list_breaching()). */
int cli_sla_breaching(struct cli *cli, const struct store_filter *f,
		      GArray **ids_r);
/* secs as "1h20m" (rounded up to the minute), or "20s" under a minute,
 * into buf. */
void cli_sla_duration(int64_t secs, char *buf, size_t size);
/* report [--from --to | --period] [--by KEY] [--csv] (cli_report.c). */
int cli_cmd_report(struct cli *cli, int argc, char **argv);
/* Print a report (casemail/report.h) as an aligned table, JSON or CSV
 * (cli_report_out.c). */
struct report;
void cli_report_text(const struct report *r, const char *zone);
void cli_report_json(const struct report *r);
void cli_report_csv(const struct report *r);

/* ---- mail that came in (cli_review.c) ---------------------------------- */

int cli_cmd_trace(struct cli *cli, int argc, char **argv);
int cli_cmd_review(struct cli *cli, int argc, char **argv);

/* ---- mail the desk sends (cli_outbound.c) ------------------------------- */

int cli_cmd_reply(struct cli *cli, int argc, char **argv);
/* reply (preview: only print it) or, with escalate, an escalation to the
 * outside team (--to names it; default template "escalation"). */
int cli_reply_run(struct cli *cli, int argc, char **argv, int preview,
		  int escalate);
/* escalate and forward (cli_escalate.c). */
int cli_cmd_escalate(struct cli *cli, int argc, char **argv);
int cli_cmd_forward(struct cli *cli, int argc, char **argv);
int cli_cmd_preview(struct cli *cli, int argc, char **argv);
int cli_cmd_templates(struct cli *cli, int argc, char **argv);
int cli_cmd_outbox(struct cli *cli, int argc, char **argv);
int cli_cmd_status(struct cli *cli, int argc, char **argv);
/* cli_oauth.c: casectl oauth login|status; the token lines of casectl
 * status (nothing when OAuth2 is not used). */
int cli_cmd_oauth(struct cli *cli, int argc, char **argv);
void cli_oauth_status_lines(const struct config *cfg);
void cli_oauth_status_json(JsonBuilder *b, const struct config *cfg);
/* unbounce ADDRESS: clear a person's bouncing mark. */
int cli_cmd_unbounce(struct cli *cli, int argc, char **argv);
/* The configured templates (a missing directory: none); caller unrefs. */
int cli_templates(struct cli *cli, GPtrArray **list_r);
/* note --public: add the note as a message and notify the case's people
 * (owners, watchers, subscribed participants; not the author).  Runs
 * inside cli_write()'s transaction. */
int cli_public_note(struct cli *cli, int64_t id, const char *text);

#endif
