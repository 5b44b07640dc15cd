/*
 * cli_escalate.c - casectl escalate and forward: the confidential
 * sub-thread with an outside support team.  escalate mails the team (and
 * the desk's own owners), never the customer or the carrier; the team's
 * replies are stored as internal; forward is how an agent passes one of
 * them on to the customer.
 */
#include "cli.h"

#include <string.h>

#include "casemail/addr.h"
#include "casemail/casenum.h"
#include "casemail/outbound.h"

int
cli_cmd_escalate(struct cli *cli, int argc, char **argv)
{
	int rc = cli_reply_run(cli, argc, argv, 0, 1);
	size_t n = strlen(cli->err.msg);

	/* No team named and none configured: say where the default lives. */
	if (rc == CM_EUSAGE && g_str_has_suffix(cli->err.msg, "(give --to EMAIL)")
	    && cli->cfg != NULL && cli->cfg->case_escalation_address == NULL)
		g_strlcpy(cli->err.msg + n - 1, ", or set [case] "
			  "escalation_address)", sizeof(cli->err.msg) - n + 1);
	return rc;
}

enum { OPT_FWD_TEXT = 0x400, OPT_FWD_TO };

struct forward_opts {
	const char *text;      /* the agent's words above the forwarded text */
	GPtrArray *to;         /* char *: extra recipients */
	const char *message_id;
	char *actor;
	int64_t case_id;       /* the message's case, once loaded */
	char num[CASENUM_BUF_SIZE];
};

static int
forward_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct forward_opts *fo = data;
	char *addr = NULL;

	switch (opt) {
	case OPT_FWD_TEXT: fo->text = arg; return 0;
	case OPT_FWD_TO:
		if (addr_normalize(arg, &addr, &cli->err) != 0)
			return CM_EUSAGE;
		g_ptr_array_add(fo->to, addr);
		return 0;
	}
	return CM_EUSAGE;
}

/* The text the customer gets: the agent's words, then the internal
 * message's visible text, marked as what it is.  g_free(). */
static char *
forward_text(const struct forward_opts *fo, const struct store_message *m)
{
	GString *s = g_string_new(NULL);

	if (fo->text != NULL && fo->text[0] != '\0')
		g_string_append_printf(s, "%s\n\n", fo->text);
	g_string_append(s, "---------- Forwarded message ----------\n");
	g_string_append(s, m->body != NULL ? m->body : m->body_full);
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

/* An internal message stored on a case, or CM_EUSAGE saying why not. */
static int
forward_load(struct cli *cli, const char *message_id,
	     struct store_message **m_r)
{
	int rc = store_message_get(cli->store, message_id, 0, m_r, &cli->err);

	if (rc == CM_ENOTFOUND)
		return cm_error_set(&cli->err, CM_ENOTFOUND, "no message %s",
				    message_id);
	if (rc != 0)
		return rc;
	if ((*m_r)->case_id == 0 || (*m_r)->state != STORE_MSG_STORED)
		return cm_error_set(&cli->err, CM_EUSAGE, "message %s is not "
				    "on a case", message_id);
	if (!(*m_r)->internal)
		return cm_error_set(&cli->err, CM_EUSAGE, "message %s is not "
				    "internal: its people have it already",
				    message_id);
	return 0;
}

static int
forward_apply(struct cli *cli, void *data)
{
	struct forward_opts *fo = data;
	struct outbound_reply_req r = { 0 };
	struct store_message *m = NULL;
	struct outbound out;
	struct case_ctx ctx;
	GPtrArray *templates = NULL;
	char *text = NULL;
	int rc = forward_load(cli, fo->message_id, &m);

	if (rc == 0)
		rc = cli_templates(cli, &templates);
	if (rc != 0)
		goto out;
	fo->case_id = m->case_id;
	case_format_number(cli->cfg, m->case_id, fo->num, sizeof(fo->num));
	text = forward_text(fo, m);
	r.text = text;
	r.actor = fo->actor;
	r.to = (const char *const *)fo->to->pdata;
	r.n_to = fo->to->len;
	outbound_init(&out, cli->store, cli->cfg, templates);
	rc = outbound_reply(&out, m->case_id, &r, cli->now, NULL, &cli->err);
	outbound_clear(&out);
	cli_ctx(cli, &ctx);
	if (rc == 0)
		rc = case_event_add(&ctx, m->case_id, "forwarded", NULL,
				    m->message_id, NULL, &cli->err);
out:
	g_free(text);
	store_message_free(&m);
	if (templates != NULL)
		g_ptr_array_unref(templates);
	return rc;
}

int
cli_cmd_forward(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "text", required_argument, NULL, OPT_FWD_TEXT },
		{ "to", required_argument, NULL, OPT_FWD_TO },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct forward_opts fo = { 0 };
	int first, rc;

	fo.to = g_ptr_array_new_with_free_func(g_free);
	rc = cli_getopt(cli, cmd, argc, argv, opts, forward_opt, &fo, &first);
	if (rc == 0 && argc - first != 1)
		rc = cli_usage(cli, cmd, "give one message ID");
	if (rc == 0) {
		fo.message_id = argv[first];
		rc = cli_open(cli);
	}
	if (rc == 0)
		rc = cli_as_address(cli, &fo.actor);
	if (rc == 0)
		rc = cli_write(cli, forward_apply, &fo);
	if (rc == 0 && cli->json)
		rc = cli_print_case_json(cli, fo.case_id, 0);
	else if (rc == 0)
		printf("%s: %s forwarded to the case's people\n", fo.num,
		       fo.message_id);
	g_ptr_array_unref(fo.to);
	g_free(fo.actor);
	return rc > 0 ? 0 : rc;
}
