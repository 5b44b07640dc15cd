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

/* ---- JSON (cli_json.c) ------------------------------------------------- */

/* A JSON object for a case (roles included).  Caller owns the node. */
JsonNode *cli_json_case(const struct config *cfg, const struct store_case *c);
JsonNode *cli_json_event(const struct store_event *e);
JsonNode *cli_json_message(const struct store_message *m);
/* A new builder with a JSON object begun, for cli_json_end(). */
JsonBuilder *cli_json_begin(void);
/* End the object cli_json_begin() began and free b; caller owns the node. */
JsonNode *cli_json_end(JsonBuilder *b);
/* Write node to stdout, pretty, followed by a newline; frees node. */
void cli_json_print(JsonNode *node);

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

/* ---- mail that came in (cli_review.c) ---------------------------------- */

int cli_cmd_trace(struct cli *cli, int argc, char **argv);
int cli_cmd_review(struct cli *cli, int argc, char **argv);

/* ---- mail the desk sends (cli_outbound.c) ------------------------------- */

int cli_cmd_reply(struct cli *cli, int argc, char **argv);
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
