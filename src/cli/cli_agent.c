/*
 * cli_agent.c - casectl agent: the registered agents, their display names
 * and signatures (agent.h has the rules, store_agent.h the table).
 *
 *   agent add EMAIL --name NAME [--signature-file FILE]
 *   agent set EMAIL [--name NAME] [--signature-file FILE | --no-signature]
 *                   [--disable | --enable]
 *   agent remove EMAIL
 *   agent list
 *   agent password EMAIL   (cli_webauth.c)
 */
#include "cli.h"

#include <string.h>

#include "casemail/addr.h"
#include "casemail/agent.h"
#include "casemail/timeutil.h"

enum {
	OPT_NAME = 0x300,
	OPT_SIG_FILE,
	OPT_NO_SIG,
	OPT_DISABLE,
	OPT_ENABLE,
};

static const struct option agent_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "name", required_argument, NULL, OPT_NAME },
	{ "signature-file", required_argument, NULL, OPT_SIG_FILE },
	{ "no-signature", no_argument, NULL, OPT_NO_SIG },
	{ "disable", no_argument, NULL, OPT_DISABLE },
	{ "enable", no_argument, NULL, OPT_ENABLE },
	{ NULL, 0, NULL, 0 }
};

struct agent_req {
	const char *verb;
	char *address;
	const char *name;
	const char *sig_file;
	char *signature;      /* read and cleaned; "" removes */
	int no_sig;
	int disabled;         /* -1: leave */
};

static int
agent_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct agent_req *r = data;

	switch (opt) {
	case OPT_NAME: r->name = arg; return 0;
	case OPT_SIG_FILE: r->sig_file = arg; return 0;
	case OPT_NO_SIG: r->no_sig = 1; return 0;
	case OPT_DISABLE: r->disabled = 1; return 0;
	case OPT_ENABLE: r->disabled = 0; return 0;
	default:
		return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
	}
}

static int
agent_read_signature(struct cli *cli, struct agent_req *r)
{
	GError *gerr = NULL;
	char *data = NULL;
	gsize len;
	int rc;

	if (r->no_sig) {
		r->signature = g_strdup("");
		return 0;
	}
	if (r->sig_file == NULL)
		return 0;
	if (!g_file_get_contents(r->sig_file, &data, &len, &gerr)) {
		rc = cm_error_set(&cli->err, CM_EUSAGE, "--signature-file %s",
				  gerr->message);
		g_error_free(gerr);
		return rc;
	}
	rc = agent_clean_signature(data, len, &r->signature, &cli->err);
	if (rc != 0)
		cm_error_prefix(&cli->err, "%s: ", r->sig_file);
	g_free(data);
	return rc;
}

/* The options make sense for the verb; the values are valid. */
static int
agent_check_req(struct cli *cli, const struct cli_cmd *cmd,
		struct agent_req *r)
{
	int is_add = strcmp(r->verb, "add") == 0;
	int is_set = strcmp(r->verb, "set") == 0;

	if (!is_add && !is_set &&
	    (r->name != NULL || r->sig_file != NULL || r->no_sig ||
	     r->disabled >= 0))
		return cli_usage(cli, cmd, "agent %s takes no options",
				 r->verb);
	if (r->sig_file != NULL && r->no_sig)
		return cli_usage(cli, cmd, "give --signature-file or "
				 "--no-signature, not both");
	if (is_add && (r->no_sig || r->disabled >= 0))
		return cli_usage(cli, cmd, "agent add takes --name and "
				 "--signature-file");
	if (is_set && r->name == NULL && r->sig_file == NULL && !r->no_sig &&
	    r->disabled < 0)
		return cli_usage(cli, cmd, "nothing to change: give --name, "
				 "--signature-file, --no-signature, --disable "
				 "or --enable");
	if ((is_add || r->name != NULL) &&
	    agent_check_name(r->name, &cli->err) != 0)
		return cli_usage(cli, cmd, "%s", cli->err.msg);
	return 0;
}

static int
agent_write(struct cli *cli, void *data)
{
	struct agent_req *r = data;
	struct store_agent a = { r->address, (char *)r->name, r->signature,
				 0, 0, 0 };

	if (strcmp(r->verb, "add") == 0)
		return store_agent_add(cli->store, &a, cli->now, &cli->err);
	if (strcmp(r->verb, "set") == 0)
		return store_agent_update(cli->store, r->address, r->name,
					  r->signature, r->disabled, cli->now,
					  &cli->err);
	return store_agent_remove(cli->store, r->address, &cli->err);
}

static JsonNode *
agent_json(gconstpointer agent)
{
	const struct store_agent *a = agent;
	JsonBuilder *b = case_json_begin();
	char when[TIME_ISO_SIZE];

	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, a->address);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, a->name);
	json_builder_set_member_name(b, "signature");
	if (a->signature != NULL)
		json_builder_add_string_value(b, a->signature);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "disabled");
	json_builder_add_boolean_value(b, a->disabled != 0);
	time_format_iso(a->created_at, when, sizeof(when));
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, when);
	return case_json_end(b);
}

static void
agent_text(const struct store_agent *a)
{
	cli_print_safe(a->address);
	cli_print_after("  ", a->name, "");
	if (a->disabled)
		fputs("  (disabled)", stdout);
	putchar('\n');
	if (a->signature != NULL) {
		char **lines = g_strsplit(a->signature, "\n", -1);

		fputs("  signature:\n", stdout);
		for (char **l = lines; *l != NULL; l++) {
			cli_print_after("    ", *l, "");
			putchar('\n');
		}
		g_strfreev(lines);
	}
}

static int
agent_list(struct cli *cli)
{
	GPtrArray *list = NULL;
	int rc = store_agent_list(cli->store, &list, &cli->err);

	if (rc != 0)
		return rc;
	if (cli->json) {
		cli_json_print_list(list, agent_json);
	} else if (list->len == 0) {
		puts("no agents (casectl agent add EMAIL --name NAME)");
	} else {
		for (guint i = 0; i < list->len; i++)
			agent_text(list->pdata[i]);
	}
	g_ptr_array_unref(list);
	return 0;
}

/* After a change: the agent as it is now. */
static int
agent_print(struct cli *cli, const struct agent_req *r)
{
	struct store_agent *a = NULL;
	int rc;

	if (strcmp(r->verb, "remove") == 0) {
		if (cli->json)
			cli_json_print(json_node_init_string(
				json_node_alloc(), r->address));
		else
			printf("removed agent %s\n", r->address);
		return 0;
	}
	if ((rc = store_agent_get(cli->store, r->address, &a, &cli->err)) != 0)
		return rc;
	if (cli->json)
		cli_json_print(agent_json(a));
	else
		agent_text(a);
	store_agent_free(&a);
	return 0;
}

static int
agent_run(struct cli *cli, const struct cli_cmd *cmd, struct agent_req *r,
	  const char *address)
{
	int rc;

	if (strcmp(r->verb, "add") != 0 && strcmp(r->verb, "set") != 0 &&
	    strcmp(r->verb, "remove") != 0)
		return cli_usage(cli, cmd, "unknown agent command '%s'",
				 r->verb);
	if ((rc = agent_check_req(cli, cmd, r)) != 0)
		return rc;
	if (addr_normalize(address, &r->address, &cli->err) != 0)
		return cli_usage(cli, cmd, "%s", cli->err.msg);
	if ((rc = agent_read_signature(cli, r)) != 0)
		return rc;
	/* Managing agents is the administrator's job, guarded by who may
	 * write the store: --as need not be a registered agent here, or
	 * the first "add" with $CASEMAIL_USER set could never run. */
	cli->any_actor = 1;
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = cli_write(cli, agent_write, r)) != 0)
		return rc;
	return agent_print(cli, r);
}

int
cli_cmd_agent(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct agent_req r = { .disabled = -1 };
	int first, n, rc;

	rc = cli_getopt(cli, cmd, argc, argv, agent_opts, agent_opt, &r,
			&first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	n = argc - first;
	if (n == 1 && strcmp(argv[first], "list") == 0) {
		cli->any_actor = 1;
		return (rc = cli_open(cli)) != 0 ? rc : agent_list(cli);
	}
	if (n != 2)
		return cli_usage(cli, cmd, "give list, or add, set or remove "
				 "and one address");
	r.verb = argv[first];
	if (strcmp(r.verb, "password") == 0)
		return cli_agent_password(cli, cmd, argv[first + 1]);
	rc = agent_run(cli, cmd, &r, argv[first + 1]);
	g_free(r.address);
	g_free(r.signature);
	return rc;
}

int
cli_case_agent_names(struct cli *cli, struct store_case *c)
{
	return agent_case_names(cli->store, c, &cli->err);
}
