/*
 * cli_outbound.c - casectl reply, preview, templates and outbox: the mail
 * the desk sends.  Replies are queued; casemaild sends them.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/casenum.h"
#include "casemail/log.h"
#include "casemail/outbound.h"
#include "casemail/template.h"
#include "casemail/timeutil.h"

enum {
	OPT_TEMPLATE = 0x200,
	OPT_SET,
	OPT_TEXT,
	OPT_ATTACH,
	OPT_TO,
};

static const struct option reply_opts[] = {
	CLI_COMMON_OPTIONS,
	{ "template", required_argument, NULL, OPT_TEMPLATE },
	{ "set", required_argument, NULL, OPT_SET },
	{ "text", required_argument, NULL, OPT_TEXT },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "to", required_argument, NULL, OPT_TO },
	{ NULL, 0, NULL, 0 }
};

struct reply_opts {
	const char *template_name;
	const char *text;
	GHashTable *fields;
	GPtrArray *attach;   /* const char * (argv) */
	GPtrArray *to;       /* char * */
	int64_t id;
	int preview;
	GString *rendered;
	char *actor;
	int escalate;        /* casectl escalate */
};

static int
reply_opt(struct cli *cli, int opt, const char *arg, void *data)
{
	struct reply_opts *ro = data;
	const char *eq;
	char *addr = NULL;

	switch (opt) {
	case OPT_TEMPLATE: ro->template_name = arg; return 0;
	case OPT_TEXT: ro->text = arg; return 0;
	case OPT_ATTACH: g_ptr_array_add(ro->attach, (gpointer)arg); return 0;
	case OPT_SET:
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg)
			return cm_error_set(&cli->err, CM_EUSAGE, "--set wants "
					    "NAME=VALUE, not '%s'", arg);
		g_hash_table_replace(ro->fields, g_strndup(arg, (gsize)(eq - arg)),
				     g_strdup(eq + 1));
		return 0;
	case OPT_TO:
		if (addr_normalize(arg, &addr, &cli->err) != 0)
			return CM_EUSAGE;
		g_ptr_array_add(ro->to, addr);
		return 0;
	}
	return CM_EUSAGE;
}

/* Templates from [case] templates (a missing directory: none). */
int
cli_templates(struct cli *cli, GPtrArray **list_r)
{
	return template_load_dir_or_none(cli->cfg->templates_dir,
					 TEMPLATE_MISSING_QUIET, list_r,
					 &cli->err);
}

static int
reply_apply(struct cli *cli, void *data)
{
	struct reply_opts *ro = data;
	struct outbound_reply_req r = { 0 };
	struct outbound out;
	GPtrArray *templates = NULL;
	int rc = cli_templates(cli, &templates);

	if (rc != 0)
		return rc;
	outbound_init(&out, cli->store, cli->cfg, templates);
	r.template_name = ro->template_name;
	r.fields = ro->fields;
	r.text = ro->text;
	r.actor = ro->actor;
	r.to = (const char *const *)ro->to->pdata;
	r.n_to = ro->to->len;
	r.attach_files = (const char *const *)ro->attach->pdata;
	r.n_attach = ro->attach->len;
	r.escalate = ro->escalate;
	/* An escalation without a text sends the shipped template. */
	if (ro->escalate && r.text == NULL && r.template_name == NULL)
		r.template_name = "escalation";
	rc = outbound_reply(&out, ro->id, &r, cli->now,
			    ro->preview ? ro->rendered : NULL, &cli->err);
	outbound_clear(&out);
	g_ptr_array_unref(templates);
	return rc;
}

int
cli_reply_run(struct cli *cli, int argc, char **argv, int preview,
	      int escalate)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct reply_opts ro = { 0 };
	int first, rc;

	ro.fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ro.attach = g_ptr_array_new();
	ro.to = g_ptr_array_new_with_free_func(g_free);
	ro.rendered = g_string_new(NULL);
	ro.preview = preview;
	ro.escalate = escalate;
	rc = cli_getopt(cli, cmd, argc, argv, reply_opts, reply_opt, &ro, &first);
	if (rc == 0 && argc - first != 1)
		rc = cli_usage(cli, cmd, "give one case");
	if (rc == 0 && ro.template_name == NULL && ro.text == NULL &&
	    !escalate)
		rc = cli_usage(cli, cmd, "give --template NAME or --text TEXT");
	if (rc == 0)
		rc = cli_open(cli);
	if (rc == 0)
		rc = cli_case_id(cli, argv[first], &ro.id);
	if (rc == 0)
		rc = cli_as_address(cli, &ro.actor);
	if (rc == 0)
		rc = cli_write(cli, reply_apply, &ro);
	if (rc == 0 && preview)
		cli_print_safe(ro.rendered->str);
	else if (rc == 0)
		printf("%s: %s queued\n", argv[first],
		       escalate ? "escalation" : "reply");
	g_hash_table_unref(ro.fields);
	g_ptr_array_unref(ro.attach);
	g_ptr_array_unref(ro.to);
	g_string_free(ro.rendered, TRUE);
	g_free(ro.actor);
	return rc > 0 ? 0 : rc;
}

int
cli_cmd_reply(struct cli *cli, int argc, char **argv)
{
	return cli_reply_run(cli, argc, argv, 0, 0);
}

int
cli_cmd_preview(struct cli *cli, int argc, char **argv)
{
	return cli_reply_run(cli, argc, argv, 1, 0);
}

int
cli_public_note(struct cli *cli, int64_t id, const char *text)
{
	struct case_ctx ctx;
	struct outbound out;
	GPtrArray *templates = NULL;
	int rc = cli_templates(cli, &templates);

	if (rc != 0)
		return rc;
	cli_ctx(cli, &ctx);
	outbound_init(&out, cli->store, cli->cfg, templates);
	rc = outbound_public_note(&out, &ctx, id, text, &cli->err);
	outbound_clear(&out);
	g_ptr_array_unref(templates);
	return rc;
}

/* ---- templates ----------------------------------------------------------- */

static char *
join_list(GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", i > 0 ? ", " : "",
				       (const char *)list->pdata[i]);
	return g_string_free(s, FALSE);
}

static JsonNode *
template_json(const struct template *t)
{
	JsonBuilder *b = case_json_begin();
	GPtrArray *lists[3] = { t->to, t->cc, t->requires };
	const char *names[3] = { "to", "cc", "requires" };

	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, t->name);
	json_builder_set_member_name(b, "description");
	if (t->description != NULL)
		json_builder_add_string_value(b, t->description);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "sets_status");
	if (t->sets_status != NULL)
		json_builder_add_string_value(b, t->sets_status);
	else
		json_builder_add_null_value(b);
	for (int i = 0; i < 3; i++) {
		json_builder_set_member_name(b, names[i]);
		json_builder_begin_array(b);
		for (guint j = 0; j < lists[i]->len; j++)
			json_builder_add_string_value(b, lists[i]->pdata[j]);
		json_builder_end_array(b);
	}
	return case_json_end(b);
}

int
cli_cmd_templates(struct cli *cli, int argc, char **argv)
{
	GPtrArray *list = NULL;
	JsonArray *a;
	JsonNode *n;
	int first, rc;

	rc = cli_start_plain(cli, argc, argv, 0, "no operands expected",
			     &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if ((rc = cli_templates(cli, &list)) != 0)
		return rc;
	if (cli->json) {
		a = json_array_new();
		for (guint i = 0; i < list->len; i++)
			json_array_add_element(a, template_json(list->pdata[i]));
		n = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(n, a);
		cli_json_print(n);
	}
	for (guint i = 0; !cli->json && i < list->len; i++) {
		const struct template *t = list->pdata[i];
		char *req = join_list(t->requires);

		printf("%-14s %s\n", t->name, t->description != NULL
					       ? t->description : "");
		printf("%-14s requires: %s%s%s\n", "", req[0] ? req : "-",
		       t->sets_status != NULL ? "; sets status " : "",
		       t->sets_status != NULL ? t->sets_status : "");
		g_free(req);
	}
	if (!cli->json && list->len == 0)
		printf("no templates in %s\n", cli->cfg->templates_dir);
	g_ptr_array_unref(list);
	return 0;
}

/* ---- outbox ------------------------------------------------------------- */

static JsonNode *
outbox_json(struct cli *cli, const struct store_outbox *m)
{
	JsonBuilder *b = case_json_begin();
	char when[64], num[CASENUM_BUF_SIZE];

	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, m->id);
	json_builder_set_member_name(b, "case");
	if (m->case_id != 0) {
		case_format_number(cli->cfg, m->case_id, num, sizeof(num));
		json_builder_add_string_value(b, num);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, m->kind);
	json_builder_set_member_name(b, "message_id");
	json_builder_add_string_value(b, m->message_id);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, store_outbox_state_name(m->state));
	json_builder_set_member_name(b, "attempts");
	json_builder_add_int_value(b, m->attempts);
	time_format_iso(m->next_attempt_at, when, sizeof(when));
	json_builder_set_member_name(b, "next_attempt_at");
	json_builder_add_string_value(b, when);
	json_builder_set_member_name(b, "last_error");
	if (m->last_error != NULL)
		json_builder_add_string_value(b, m->last_error);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->rcpts->len; i++) {
		const struct store_outbox_rcpt *r = m->rcpts->pdata[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "address");
		json_builder_add_string_value(b, r->address);
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b,
					      store_rcpt_state_name(r->state));
		json_builder_set_member_name(b, "error");
		if (r->error != NULL)
			json_builder_add_string_value(b, r->error);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	return case_json_end(b);
}

static void
outbox_text(struct cli *cli, const struct store_outbox *m)
{
	char when[64], num[CASENUM_BUF_SIZE] = "-";

	if (m->case_id != 0)
		case_format_number(cli->cfg, m->case_id, num, sizeof(num));
	time_format_zone(m->next_attempt_at, cli->cfg->case_timezone, when,
			 sizeof(when));
	printf("%lld  %-8s %-9s %-6s attempts %d, next %s\n", (long long)m->id,
	       num, m->kind, store_outbox_state_name(m->state), m->attempts,
	       when);
	for (guint i = 0; i < m->rcpts->len; i++) {
		const struct store_outbox_rcpt *r = m->rcpts->pdata[i];

		printf("    %-8s ", store_rcpt_state_name(r->state));
		cli_print_safe(r->address);
		if (r->error != NULL) {
			fputs(": ", stdout);
			cli_print_safe(r->error);
		}
		putchar('\n');
	}
}

static int
outbox_retry_apply(struct cli *cli, void *data)
{
	return store_outbox_retry(cli->store, *(int64_t *)data, cli->now,
				  &cli->err);
}

int
cli_cmd_outbox(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	GPtrArray *list = NULL;
	JsonArray *a;
	JsonNode *n;
	int64_t id;
	char *end;
	int first, rc;

	rc = cli_getopt_plain(cli, argc, argv, -1, NULL, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (argc - first == 2 && strcmp(argv[first], "retry") == 0) {
		id = strtoll(argv[first + 1], &end, 10);
		if (*argv[first + 1] == '\0' || *end != '\0' || id <= 0)
			return cli_usage(cli, cmd, "'%s' is not a mail id",
					 argv[first + 1]);
		if ((rc = cli_open(cli)) != 0 ||
		    (rc = cli_write(cli, outbox_retry_apply, &id)) != 0)
			return rc;
		printf("mail %lld queued again\n", (long long)id);
		return 0;
	}
	if (argc - first != 0)
		return cli_usage(cli, cmd, "outbox [retry ID]");
	if ((rc = cli_open(cli)) != 0 ||
	    (rc = store_outbox_list(cli->store, 200, &list, &cli->err)) != 0)
		return rc;
	if (cli->json) {
		a = json_array_new();
		for (guint i = 0; i < list->len; i++)
			json_array_add_element(a, outbox_json(cli, list->pdata[i]));
		n = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(n, a);
		cli_json_print(n);
	}
	for (guint i = 0; !cli->json && i < list->len; i++)
		outbox_text(cli, list->pdata[i]);
	cli_print_none(cli, list->len, "outbox: none (nothing queued, "
		       "retrying or failed)");
	g_ptr_array_unref(list);
	return 0;
}

/* ---- unbounce ------------------------------------------------------------ */

static int
unbounce_apply(struct cli *cli, void *data)
{
	const char *addr = data;
	int changed = 0;
	int rc = store_person_clear_bouncing(cli->store, addr, &changed,
					     &cli->err);

	if (rc == 0 && !changed)
		rc = cm_error_set(&cli->err, CM_ENOTFOUND,
				  "%s is not marked bouncing", addr);
	return rc;
}

static void
unbounce_json(const char *addr)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, addr);
	json_builder_set_member_name(b, "bouncing");
	json_builder_add_boolean_value(b, FALSE);
	json_builder_end_object(b);
	cli_json_print(json_builder_get_root(b));
	g_object_unref(b);
}

int
cli_cmd_unbounce(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	char *addr = NULL;
	int first, rc;

	rc = cli_getopt_plain(cli, argc, argv, 1,
			      "whose mark? give one address", &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (addr_normalize(argv[first], &addr, &cli->err) != 0)
		return cli_usage(cli, cmd, "'%s' is not an address",
				 argv[first]);
	rc = cli_open(cli);
	if (rc == 0)
		rc = cli_write(cli, unbounce_apply, addr);
	if (rc == 0) {
		log_info("%s cleared the bouncing mark of %s", cli->actor, addr);
		if (cli->json)
			unbounce_json(addr);
		else
			printf("%s: no longer marked bouncing\n", addr);
	}
	g_free(addr);
	return rc;
}

/* ---- status -------------------------------------------------------------- */

/* A health time from the store's settings, as ISO 8601, or NULL. */
static char *
status_time(struct cli *cli, const char *key)
{
	char *v = NULL, buf[64];

	if (store_setting_get(cli->store, key, &v, NULL) != 0 || v == NULL)
		return NULL;
	time_format_iso(g_ascii_strtoll(v, NULL, 10), buf, sizeof(buf));
	g_free(v);
	return g_strdup(buf);
}

int
cli_cmd_status(struct cli *cli, int argc, char **argv)
{
	GPtrArray *review = NULL;
	int64_t queued = 0, failed = 0;
	char *poll = NULL, *send = NULL;
	JsonBuilder *b;
	int first, rc;

	rc = cli_start_plain(cli, argc, argv, 0, "no operands expected",
			     &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if ((rc = store_outbox_counts(cli->store, &queued, &failed,
				      &cli->err)) != 0 ||
	    (rc = store_messages_review(cli->store, &review, &cli->err)) != 0)
		return rc;
	poll = status_time(cli, "health.last_poll");
	send = status_time(cli, "health.last_send");
	if (cli->json) {
		b = case_json_begin();
		json_builder_set_member_name(b, "last_poll");
		poll ? json_builder_add_string_value(b, poll)
		     : json_builder_add_null_value(b);
		json_builder_set_member_name(b, "last_send");
		send ? json_builder_add_string_value(b, send)
		     : json_builder_add_null_value(b);
		json_builder_set_member_name(b, "outbox_queued");
		json_builder_add_int_value(b, queued);
		json_builder_set_member_name(b, "delivery_failures");
		json_builder_add_int_value(b, failed);
		json_builder_set_member_name(b, "held_for_review");
		json_builder_add_int_value(b, review->len);
		json_builder_set_member_name(b, "schema_version");
		json_builder_add_int_value(b, store_schema_version(cli->store));
		json_builder_set_member_name(b, "imap_configured");
		json_builder_add_boolean_value(b, cli->cfg->imap_host != NULL);
		json_builder_set_member_name(b, "smtp_configured");
		json_builder_add_boolean_value(b, cli->cfg->smtp_url != NULL);
		cli_oauth_status_json(b, cli->cfg);
		cli_json_print(case_json_end(b));
	} else {
		printf("last poll:          %s\n", poll ? poll : "never");
		printf("last send:          %s\n", send ? send : "never");
		printf("outbox queued:      %lld\n", (long long)queued);
		printf("delivery failures:  %lld\n", (long long)failed);
		printf("held for review:    %u\n", review->len);
		if (cli->cfg->imap_host == NULL)
			printf("imap:               not configured (no [imap] "
			       "host): no mail is fetched\n");
		if (cli->cfg->smtp_url == NULL)
			printf("smtp:               not configured (no [smtp] "
			       "url): replies and notifications stay queued\n");
		cli_oauth_status_lines(cli->cfg);
	}
	g_ptr_array_unref(review);
	g_free(poll);
	g_free(send);
	return 0;
}
