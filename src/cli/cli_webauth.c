/*
 * cli_webauth.c - who may use casemail-web and its API: an agent's
 * password and the API's clients (webauth.h has the rules).
 *
 *   agent password EMAIL        the password from stdin (asked twice, not
 *                               echoed, on a terminal)
 *   api-client add NAME --agent EMAIL    prints the token, once
 *   api-client list
 *   api-client revoke NAME
 */
#include "cli.h"

#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "casemail/addr.h"
#include "casemail/store_auth.h"
#include "casemail/timeutil.h"
#include "casemail/webauth.h"

/* One line of stdin without its line end into *line_r (g_free()), the
 * terminal's echo off while it is typed. */
static int
webauth_read_line(struct cli *cli, const char *prompt, char **line_r)
{
	char buf[WEBAUTH_PASSWORD_MAX_BYTES + 2];
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), ok;

	*line_r = NULL;
	if (tty) {
		fputs(prompt, stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, sizeof(buf), stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return cm_error_set(&cli->err, CM_EUSAGE, "no password given "
				    "on standard input");
	buf[strcspn(buf, "\r\n")] = '\0';
	*line_r = g_strdup(buf);
	memset(buf, 0, sizeof(buf));
	return 0;
}

static int
webauth_read_password(struct cli *cli, char **password_r)
{
	char *again = NULL;
	int rc;

	if ((rc = webauth_read_line(cli, "New password: ", password_r)) != 0 ||
	    !isatty(STDIN_FILENO))
		return rc;
	if ((rc = webauth_read_line(cli, "Again: ", &again)) != 0)
		return rc;
	if (strcmp(*password_r, again) != 0)
		rc = cm_error_set(&cli->err, CM_EUSAGE, "the two passwords "
				  "differ");
	g_free(again);
	return rc;
}

struct password_req {
	char *address;
	char *password;
};

static int
password_write(struct cli *cli, void *data)
{
	struct password_req *r = data;

	return agent_password_set(cli->store, r->address, r->password,
				  &cli->err);
}

int
cli_agent_password(struct cli *cli, const struct cli_cmd *cmd,
		   const char *address)
{
	struct password_req r = { NULL, NULL };
	int rc;

	if (addr_normalize(address, &r.address, &cli->err) != 0)
		return cli_usage(cli, cmd, "%s", cli->err.msg);
	cli->any_actor = 1;
	if ((rc = cli_open(cli)) == 0 &&
	    (rc = webauth_read_password(cli, &r.password)) == 0 &&
	    (rc = cli_write(cli, password_write, &r)) == 0)
		printf("password set for %s\n", r.address);
	if (r.password != NULL)
		memset(r.password, 0, strlen(r.password));
	g_free(r.password);
	g_free(r.address);
	return rc;
}

enum { OPT_AGENT = 0x300 };

static const struct option apiclient_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ NULL, 0, NULL, 0 }
};

static int
apiclient_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	if (opt != OPT_AGENT)
		return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
	*(const char **)data = arg;
	return 0;
}

static JsonNode *
apiclient_json(gconstpointer client)
{
	const struct store_apiclient *c = client;
	JsonBuilder *b = case_json_begin();
	char when[TIME_ISO_SIZE];

	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, c->name);
	json_builder_set_member_name(b, "agent");
	json_builder_add_string_value(b, c->agent);
	time_format_iso(c->created_at, when, sizeof(when));
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, when);
	json_builder_set_member_name(b, "revoked");
	if (c->revoked_at != 0) {
		time_format_iso(c->revoked_at, when, sizeof(when));
		json_builder_add_string_value(b, when);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "last_used");
	if (c->last_used_at != 0) {
		time_format_iso(c->last_used_at, when, sizeof(when));
		json_builder_add_string_value(b, when);
	} else {
		json_builder_add_null_value(b);
	}
	return case_json_end(b);
}

static void
apiclient_text(const struct store_apiclient *c)
{
	char when[TIME_ISO_SIZE];

	cli_print_safe(c->name);
	cli_print_after("  as ", c->agent, "");
	if (c->revoked_at != 0) {
		time_format_iso(c->revoked_at, when, sizeof(when));
		printf("  (revoked %s)", when);
	} else if (c->last_used_at != 0) {
		time_format_iso(c->last_used_at, when, sizeof(when));
		printf("  (last used %s)", when);
	} else {
		fputs("  (never used)", stdout);
	}
	putchar('\n');
}

static int
apiclient_list(struct cli *cli)
{
	GPtrArray *list = NULL;
	int rc = store_apiclient_list(cli->store, &list, &cli->err);

	if (rc != 0)
		return rc;
	if (cli->json) {
		cli_json_print_list(list, apiclient_json);
	} else {
		cli_print_none(cli, list->len, "no API clients (casectl "
			       "api-client add NAME --agent EMAIL)");
		for (guint i = 0; i < list->len; i++)
			apiclient_text(list->pdata[i]);
	}
	g_ptr_array_unref(list);
	return 0;
}

struct apiclient_req {
	const char *verb;
	const char *name;
	char *agent;
	char *token;
};

static int
apiclient_write(struct cli *cli, void *data)
{
	struct apiclient_req *r = data;

	if (strcmp(r->verb, "add") == 0)
		return apiclient_create(cli->store, r->name, r->agent,
					&r->token, &cli->err);
	return apiclient_revoke(cli->store, r->name, cli->now, &cli->err);
}

static void
apiclient_print(struct cli *cli, const struct apiclient_req *r)
{
	if (cli->json) {
		JsonBuilder *b = case_json_begin();

		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, r->name);
		json_builder_set_member_name(b, r->token != NULL ? "token" :
					     "revoked");
		if (r->token != NULL)
			json_builder_add_string_value(b, r->token);
		else
			json_builder_add_boolean_value(b, TRUE);
		cli_json_print(case_json_end(b));
	} else if (r->token != NULL) {
		printf("%s\n", r->token);
		fprintf(stderr, "API client %s acts as %s; the token above is "
			"shown only now (casectl keeps only its hash)\n",
			r->name, r->agent);
	} else {
		printf("revoked API client %s\n", r->name);
	}
}

static int
apiclient_run(struct cli *cli, const struct cli_cmd *cmd,
	      struct apiclient_req *r, const char *agent)
{
	int is_add = strcmp(r->verb, "add") == 0;
	int rc;

	if (!is_add && strcmp(r->verb, "revoke") != 0)
		return cli_usage(cli, cmd, "unknown api-client command '%s'",
				 r->verb);
	if (is_add != (agent != NULL))
		return cli_usage(cli, cmd, is_add ? "api-client add needs "
				 "--agent EMAIL" : "only add takes --agent");
	if (is_add && addr_normalize(agent, &r->agent, &cli->err) != 0)
		return cli_usage(cli, cmd, "%s", cli->err.msg);
	cli->any_actor = 1;
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = cli_write(cli, apiclient_write, r)) != 0)
		return rc;
	apiclient_print(cli, r);
	return 0;
}

int
cli_cmd_api_client(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct apiclient_req r = { NULL, NULL, NULL, NULL };
	const char *agent = NULL;
	int first, n, rc;

	rc = cli_getopt(cli, cmd, argc, argv, apiclient_opts, apiclient_opt,
			&agent, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	n = argc - first;
	if (n == 1 && strcmp(argv[first], "list") == 0 && agent == NULL) {
		cli->any_actor = 1;
		return (rc = cli_open(cli)) != 0 ? rc : apiclient_list(cli);
	}
	if (n != 2)
		return cli_usage(cli, cmd, "give list, add NAME --agent EMAIL "
				 "or revoke NAME");
	r.verb = argv[first];
	r.name = argv[first + 1];
	rc = apiclient_run(cli, cmd, &r, agent);
	if (r.token != NULL)
		memset(r.token, 0, strlen(r.token));
	g_free(r.token);
	g_free(r.agent);
	return rc;
}
