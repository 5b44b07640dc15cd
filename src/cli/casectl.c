/*
 * casectl - the agents' command-line tool for cases.
 *
 * Global options may come before the command; every command also takes
 * them itself.  Exit status: 0 ok, 1 not found or refused, 2 usage,
 * 65 bad data, 74 store unusable, 75 temporary failure (busy), 78
 * configuration error (see docs/casectl.1).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "casemail/log.h"
#include "casemail/timeutil.h"
#include "cli.h"

static const struct cli_cmd cli_cmds[] = {
	{ "create", cli_cmd_create, "--subject TEXT [FIELD OPTIONS] "
	  "[--participant EMAIL]...",
	  "Open a new case and print its number.\n\n"
	  "Field options (also for 'set'):\n"
	  "  --subject TEXT        what the case is about\n"
	  "  --type TYPE           a type from [case] types (default: other)\n"
	  "  --priority P          low, normal (default), high, urgent\n"
	  "  --kind K              client (default) or driver\n"
	  "  --source S            email, user (default), api, rule\n"
	  "  --follow-up WHEN      2026-12-01, 2026-12-01T09:30, +3d, +4h, "
	  "tomorrow; 'none' clears\n"
	  "  --shipment REF        shipment (order tracking) reference; '' "
	  "clears\n"
	  "  --crm-shipper NUM     the shipper side's CRM case number\n"
	  "  --crm-carrier NUM     the carrier side's CRM case number\n"
	  "  --requester EMAIL     who the case is for (update and resolve\n"
	  "                        go there); joins as a participant\n"
	  "  --requester-name NAME the requester's name\n"
	  "  --caller-name NAME, --caller-company NAME, --caller-phone NUM,\n"
	  "  --caller-email EMAIL  the caller of a phone case; the\n"
	  "                        escalation template takes them from here\n"
	  "                        (create: --caller-email is the requester\n"
	  "                        unless --requester is given)\n"
	  "  --participant EMAIL   add a subscribed participant (repeatable)\n"
	  "  --side S              (create) the side the creating agent owns\n"
	  "                        with [case] creator_owns and sides = two\n"
	  "  --field NAME=VALUE    a custom field ([field.NAME]); NAME= clears "
	  "(repeatable)\n"
	  "  --force               create even if an Active case has the "
	  "shipment" },
	{ "show", cli_cmd_show, "CASE [--full]",
	  "Show a case, its people and its messages (visible text; --full\n"
	  "for whole messages).  --json adds \"messages\" and \"events\"." },
	{ "list", cli_cmd_list, "[--view VIEW] [FILTERS]",
	  "List cases, newest activity first.\n\n"
	  "  --view VIEW           active (default), recent, mine, watched, "
	  "new, overdue, breaching, all\n"
	  "                        mine/watched/new are relative to --as;\n"
	  "                        mine and watched hold Active cases unless\n"
	  "                        --status is given\n"
	  "                        or a view saved with 'casectl view save'\n"
	  "  --status S            active or solved\n"
	  "  --type T, --kind K, --source S, --priority P\n"
	  "  --owner EMAIL, --watcher EMAIL\n"
	  "  --shipment REF, --crm NUM (either side)\n"
	  "  --field NAME=VALUE    a custom field's value\n"
	  "                        Each of these takes several values, comma-\n"
	  "                        separated (any matches), and a negated\n"
	  "                        form (none matches): --not-owner EMAIL,\n"
	  "                        --not-status S, --not-type T, ...\n"
	  "  --latest-by-me        the latest message is by --as\n"
	  "  --created-since/--created-until WHEN\n"
	  "  --solved-since/--solved-until WHEN\n"
	  "  --latest-since WHEN   latest message at or after WHEN\n"
	  "  --limit N             at most N cases (default 100, 0: all)\n"
	  "  --breaching           only Active cases past a [sla] target" },
	{ "report", cli_cmd_report,
	  "[--period 7d|30d|month | --from WHEN [--to WHEN]] [--by KEY] [--csv]",
	  "The desk in numbers over the cases created in a period (default\n"
	  "the last 30 days): time to first reply and to solve (median, 90th\n"
	  "percentile, in business hours), share within the [sla] targets,\n"
	  "the backlog by age at the end of each day (week for long periods),\n"
	  "cases by type, source and side, and the load per owner.  A case's\n"
	  "side is the one its creator owns on it, else its first owner's.\n"
	  "Merged cases (pointers) are left out.  Times in [case] timezone\n"
	  "(--json and --csv: UTC).\n\n"
	  "  --by KEY              group the times by owner, type, source, side\n"
	  "                        or priority\n"
	  "  --csv                 CSV sections instead of a table (--json: "
	  "JSON)" },
	{ "search", cli_cmd_search, "WORDS... [FILTERS]",
	  "Full-text search over subjects, message text, shipment references\n"
	  "and CRM numbers; every word must match (as a prefix).  Takes the\n"
	  "same views and filters as 'list' (default view: all)." },
	{ "assign", cli_cmd_assign, "CASE --owner EMAIL [--side shipper|carrier]",
	  "Make EMAIL the owner of one side of the case.  A case has at most\n"
	  "one shipper owner and one carrier owner.  Without --side, the\n"
	  "person's known side is used." },
	{ "unassign", cli_cmd_unassign, "CASE (--owner EMAIL | --side shipper|carrier)",
	  "Remove an owner from the case." },
	{ "watch", cli_cmd_watch, "CASE [--user EMAIL]",
	  "Watch a case (default: the acting agent, --as)." },
	{ "unwatch", cli_cmd_unwatch, "CASE [--user EMAIL]",
	  "Stop watching a case (default: the acting agent, --as)." },
	{ "note", cli_cmd_note, "CASE [--public] TEXT...",
	  "Add a note: internal (never mailed), or with --public a message "
	  "the case's owners, watchers and participants are notified of." },
	{ "solve", cli_cmd_solve, "CASE", "Mark the case Solved." },
	{ "reopen", cli_cmd_reopen, "CASE", "Make a Solved case Active again." },
	{ "set", cli_cmd_set, "CASE [FIELD OPTIONS]",
	  "Change fields of a case (see 'create --help' for the options)." },
	{ "merge", cli_cmd_merge, "CASE --into CASE",
	  "Merge a duplicate case into the one that keeps the work: its\n"
	  "messages, attachments, people, fields, links and history move;\n"
	  "the merged case is Solved and stays as a pointer (mail tagged\n"
	  "with its number threads onto the other; 'show' says where it\n"
	  "went).  A merge into a merged case follows its chain.  Audited on\n"
	  "both; undone only by opening a new case." },
	{ "link", cli_cmd_link, "CASE CASE",
	  "Link two related cases; 'show' and JSON list the link on both." },
	{ "unlink", cli_cmd_unlink, "CASE CASE", "Remove a link." },
	{ "view", cli_cmd_view, "save NAME FILTERS... | list | delete NAME",
	  "Saved views: a set of 'list' options under a name, for\n"
	  "'list --view NAME' (the filters given with it are added)." },
	{ "history", cli_cmd_history, "CASE",
	  "Print the audit trail of the case, oldest first." },
	{ "reply", cli_cmd_reply,
	  "CASE (--template NAME [--set K=V]... | --text TEXT) [--attach FILE]... [--to EMAIL]...",
	  "Mail the case's people: a canned response (see 'casectl templates')\n"
	  "with its fields, or a free reply.  The mail is queued and stored on\n"
	  "the case; casemaild sends it and notifies the owners, watchers and\n"
	  "participants it was not addressed to.  A template may change the\n"
	  "case (resolve marks it Solved, escalation marks it pending).\n\n"
	  "  --template NAME   a file in the templates directory\n"
	  "  --set NAME=VALUE  a value for {{field.NAME}} (repeatable)\n"
	  "  --text TEXT       the free reply, or {{field.text}}\n"
	  "  --attach FILE     attach a file (repeatable)\n"
	  "  --to EMAIL        an extra recipient (repeatable)" },
	{ "escalate", cli_cmd_escalate,
	  "CASE [--to EMAIL]... [--template NAME [--set K=V]... | --text TEXT] [--attach FILE]...",
	  "Mail the case's outside support team, confidentially: the team\n"
	  "(--to, the case's recorded team, else [case] escalation_address)\n"
	  "and the desk's own owners only; any other address outside\n"
	  "[case] organization_domains is withheld.  The team joins the\n"
	  "case's outside team: its replies are stored as internal, the\n"
	  "desk's own people are told, the customer and the carrier never.\n"
	  "Default template: escalation; --text writes to the team again." },
	{ "forward", cli_cmd_forward, "MESSAGE-ID [--text TEXT] [--to EMAIL]...",
	  "Send an internal message (an outside team's reply) on to the\n"
	  "case's requester and participants, below TEXT." },
	{ "preview", cli_cmd_preview,
	  "CASE (--template NAME [--set K=V]... | --text TEXT) [--to EMAIL]...",
	  "Print the mail 'reply' would send, without sending or storing it." },
	{ "templates", cli_cmd_templates, "",
	  "List the canned-response templates and the fields each requires." },
	{ "outbox", cli_cmd_outbox, "[retry ID]",
	  "List queued, retrying and failed mails with their last error, or\n"
	  "queue one again now (its failed recipients included)." },
	{ "unbounce", cli_cmd_unbounce, "ADDRESS",
	  "Clear ADDRESS's bouncing mark, so that it gets notifications\n"
	  "again.  A delivery report to our signed return path marks a\n"
	  "person bouncing; the mark also clears at the next accepted\n"
	  "delivery to them or after [smtp] bounce_clear_days.  'show'\n"
	  "lists a bouncing person as \"(bouncing since DATE)\"." },
	{ "status", cli_cmd_status, "",
	  "The gateway's health from the store: last successful poll and\n"
	  "send, mails queued, recipients that finally failed, and mails\n"
	  "held for review." },
	{ "agent", cli_cmd_agent,
	  "list | add EMAIL --name NAME [--signature-file FILE] | set EMAIL "
	  "[OPTIONS] | remove EMAIL | password EMAIL",
	  "Register the desk's agents: the name their mail shows and the\n"
	  "signature templates can use ({{agent.name}}, {{agent.signature}}).\n"
	  "Once any agent is registered, --as (or $CASEMAIL_USER) must name\n"
	  "one who is not disabled, and every command that changes something\n"
	  "needs it (reading commands do not); this command is exempt.\n\n"
	  "  --name NAME            the display name (add: required)\n"
	  "  --signature-file FILE  the signature, a UTF-8 text file\n"
	  "  --no-signature         (set) remove the signature\n"
	  "  --disable, --enable    (set) the agent may not or may act again;\n"
	  "                         a disabled agent keeps the name on old mail\n"
	  "remove deletes the agent (their mail stays, under the address).\n"
	  "password sets the password for casemail-web's sign-in, read from\n"
	  "standard input (asked twice, not shown, on a terminal); it is\n"
	  "stored as an Argon2id hash." },
	{ "oauth", cli_cmd_oauth, "login [--port N] | status",
	  "OAuth2 for [imap]/[smtp] auth = oauth2.  login: run the [oauth2]\n"
	  "grant once and store the refresh token in refresh_token_file\n"
	  "(run it as the user the service runs as).  grant = device prints\n"
	  "'open: URL' and 'code: CODE' and waits while you sign in there;\n"
	  "grant = authorization_code listens on 127.0.0.1 (--port N, default\n"
	  "any free port) for the redirect to /callback and prints 'open:\n"
	  "URL' to open in a browser.  status: provider, grant, token state,\n"
	  "valid until, last refresh and last error (never a token)." },
	{ "api-client", cli_cmd_api_client,
	  "list | add NAME --agent EMAIL | revoke NAME",
	  "Clients of casemail-web's JSON API (casemail-api(7)): add prints\n"
	  "the client's bearer token once (only its SHA-256 is stored); the\n"
	  "client acts as the agent EMAIL.  revoke stops the token at once;\n"
	  "a revoked client's name is not reused." },
	{ "trace", cli_cmd_trace, "MESSAGE-ID",
	  "Show what happened to an incoming mail: its case, its state and\n"
	  "the decision record (fetched, parsed, threaded by what, or held\n"
	  "and why)." },
	{ "review", cli_cmd_review, "[accept|reject ID]",
	  "List the mails held for review (unknown senders, floods, mails\n"
	  "that could not be handled), or release one: accept stores it on\n"
	  "its case (or a new one) as if its sender were known; reject\n"
	  "keeps it out for good (its raw copy stays)." },
};

const struct cli_cmd *
cli_find_cmd(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: casectl [-c FILE] [--json] [--as EMAIL] COMMAND "
		"[ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(cli_cmds); i++)
		fprintf(f, "  %-9s %s\n", cli_cmds[i].name, cli_cmds[i].usage);
	fprintf(f, "\nOptions:\n" CLI_COMMON_HELP
		"  -V, --version      print the version\n"
		"\n'casectl COMMAND --help' or 'casectl help COMMAND' describes "
		"a command; see casectl(1).\n");
}

/* casectl help [COMMAND]: the general help, or the command's --help. */
static int
help(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	char *sub[] = { NULL, (char *)"--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 || (cmd = cli_find_cmd(argv[1])) == NULL) {
		fprintf(stderr, "casectl help: %s '%s'\n", argc > 2 ?
			"one command only, not" : "unknown command", argv[argc - 1]);
		usage(stderr);
		return cm_exit_code(CM_EUSAGE);
	}
	sub[0] = (char *)cmd->name;
	return cmd->run(cli, 2, sub) < 0 ? cm_exit_code(CM_EUSAGE) : 0;
}

/* Global options: only up to the command name. */
static int
parse_globals(struct cli *cli, int argc, char **argv, int *cmd_index)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_CONFIG: cli->config_path = optarg; break;
		case CLI_OPT_JSON: cli->json = 1; break;
		case CLI_OPT_AS: cli->as = optarg; break;
		case CLI_OPT_HELP: usage(stdout); return 1;
		case 'V': printf("casectl %s\n", CASEMAIL_VERSION); return 1;
		default:
			fprintf(stderr, "casectl: bad option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return CM_EUSAGE;
		}
	}
	*cmd_index = optind;
	return 0;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_cmd *cmd;
	int rc, idx;

	/* Everything we create (database, -wal/-shm, attachments, the
	 * signing key) is private, whatever umask we were started with. */
	umask(077);
	memset(&cli, 0, sizeof(cli));
	log_init("casectl");
	cli.as = getenv("CASEMAIL_USER");
	cli.now = time_now();
	rc = parse_globals(&cli, argc, argv, &idx);
	if (rc != 0)
		return rc > 0 ? 0 : cm_exit_code(rc);
	if (idx >= argc) {
		usage(stderr);
		return cm_exit_code(CM_EUSAGE);
	}
	if (strcmp(argv[idx], "help") == 0)
		return help(&cli, argc - idx, argv + idx);
	cmd = cli_find_cmd(argv[idx]);
	if (cmd == NULL) {
		fprintf(stderr, "casectl: unknown command '%s'\n", argv[idx]);
		usage(stderr);
		return cm_exit_code(CM_EUSAGE);
	}
	rc = cmd->run(&cli, argc - idx, argv + idx);
	/* cli_usage() printed its own message with the synopsis. */
	if (rc != 0 && !cli.usage_printed)
		log_errx("%s", cli.err.msg[0] != '\0' ? cli.err.msg
						      : cm_status_str(rc));
	cli_close(&cli);
	return cm_exit_code(rc);
}
