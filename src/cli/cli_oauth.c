/*
 * cli_oauth.c - casectl oauth login | status, and the OAuth2 lines of
 * casectl status.  Neither needs the store: login may run before the
 * first start, as the user the service runs as (it writes the refresh
 * token file).  Nothing here ever prints a token.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/oauth2.h"

#define CLI_OPT_PORT 0x200

static int
cli_oauth_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	int *port = data;
	char *end = NULL;
	long v;

	if (opt != CLI_OPT_PORT)
		return cm_error_set(&cli->err, CM_EUSAGE, "bad option");
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || v < 0 || v > 65535)
		return cm_error_set(&cli->err, CM_EUSAGE, "--port: '%s' is not "
				    "a port number (0 to 65535)", arg);
	*port = (int)v;
	return 0;
}

/* The state file's value for key, or "never"/"" when it has none. */
static const char *
cli_oauth_get(GHashTable *state, const char *key, const char *none)
{
	const char *v = state != NULL ? g_hash_table_lookup(state, key) : NULL;

	return v != NULL && v[0] != '\0' ? v : none;
}

/* The state file's values as members of the object b is building. */
static void
cli_oauth_members(JsonBuilder *b, GHashTable *state)
{
	static const char *const keys[] = {
		"state", "provider", "grant", "valid_until", "last_refresh",
		"last_error", "updated",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		const char *v = cli_oauth_get(state, keys[i], NULL);

		json_builder_set_member_name(b, keys[i]);
		v != NULL ? json_builder_add_string_value(b, v)
			  : json_builder_add_null_value(b);
	}
}

void
cli_oauth_status_json(JsonBuilder *b, const struct config *cfg)
{
	struct cm_error err = { 0 };
	GHashTable *state = NULL;

	if (!config_uses_oauth2(cfg))
		return;
	(void)oauth2_state_read(cfg, &state, &err);
	json_builder_set_member_name(b, "oauth2");
	json_builder_begin_object(b);
	cli_oauth_members(b, state);
	json_builder_end_object(b);
	if (state != NULL)
		g_hash_table_unref(state);
}

static void
cli_oauth_json(const struct config *cfg, GHashTable *state, int have_login)
{
	JsonBuilder *b = case_json_begin();

	cli_oauth_members(b, state);
	json_builder_set_member_name(b, "refresh_token_file");
	json_builder_add_string_value(b, cfg->oauth2_refresh_token_file);
	json_builder_set_member_name(b, "refresh_token_present");
	json_builder_add_boolean_value(b, have_login);
	cli_json_print(case_json_end(b));
}

void
cli_oauth_status_lines(const struct config *cfg)
{
	struct cm_error err = { 0 };
	GHashTable *state = NULL;

	if (!config_uses_oauth2(cfg))
		return;
	(void)oauth2_state_read(cfg, &state, &err);
	printf("oauth2 token:       %s (%s, %s)", cli_oauth_get(state, "state",
		"not fetched yet"), cfg->oauth2_provider_word,
	       cli_oauth_get(state, "grant", config_oauth2_grant_text(cfg)));
	if (state != NULL)
		printf(", valid until %s, last refresh %s",
		       cli_oauth_get(state, "valid_until", "never"),
		       cli_oauth_get(state, "last_refresh", "never"));
	printf("\n");
	if (cli_oauth_get(state, "last_error", NULL) != NULL) {
		cli_print_after("oauth2 last error:  ",
				cli_oauth_get(state, "last_error", NULL), "");
		printf("\n");
	}
	if (state != NULL)
		g_hash_table_unref(state);
}

static int
cli_oauth_status(struct cli *cli)
{
	const struct config *cfg = cli->cfg;
	int have = cfg->oauth2_refresh_token_file != NULL &&
		   g_file_test(cfg->oauth2_refresh_token_file, G_FILE_TEST_EXISTS);
	GHashTable *state = NULL;
	int rc;

	if (!config_uses_oauth2(cfg)) {
		/* A state, not an error: the desk logs in with passwords. */
		if (cli->json)
			puts("{\n  \"configured\" : false\n}");
		else
			printf("oauth2: not configured (neither [imap] auth nor "
			       "[smtp] auth is oauth2 in %s)\n", cfg->path);
		return 0;
	}
	rc = oauth2_state_read(cfg, &state, &cli->err);
	if (rc != 0 && rc != CM_ENOTFOUND)
		return rc;
	if (cli->json) {
		cli_oauth_json(cfg, state, have);
	} else {
		printf("provider:      %s\n", cfg->oauth2_provider_word);
		printf("grant:         %s\n", config_oauth2_grant_text(cfg));
		printf("refresh token: %s (%s)\n", have ? "stored" : "none",
		       cfg->oauth2_refresh_token_file);
		printf("state:         %s\n", cli_oauth_get(state, "state",
							    "not fetched yet"));
		printf("valid until:   %s\n", cli_oauth_get(state, "valid_until",
							    "never"));
		printf("last refresh:  %s\n", cli_oauth_get(state, "last_refresh",
							    "never"));
		cli_print_after("last error:    ",
				cli_oauth_get(state, "last_error", NULL), "none");
		printf("\n");
	}
	if (state != NULL)
		g_hash_table_unref(state);
	return 0;
}

int
cli_cmd_oauth(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "port", required_argument, NULL, CLI_OPT_PORT },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	int port = 0, first, rc;
	const char *sub;

	rc = cli_getopt(cli, cmd, argc, argv, opts, cli_oauth_opt, &port, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (argc - first != 1 || (strcmp(argv[first], "login") != 0 &&
				  strcmp(argv[first], "status") != 0))
		return cli_usage(cli, cmd, "expected login or status");
	sub = argv[first];
	rc = config_load(config_choose_path(cli->config_path), &cli->cfg,
			 &cli->err);
	if (rc != 0)
		return rc;
	if (strcmp(sub, "status") == 0)
		return cli_oauth_status(cli);
	return oauth2_login(cli->cfg, port, stdout, &cli->err);
}
