/*
 * cli_review.c - casectl trace and review: what happened to a mail, and
 * the mails held for an agent's decision.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "casemail/casenum.h"
#include "casemail/ingest.h"
#include "casemail/outbound.h"
#include "casemail/timeutil.h"

static JsonNode *
trace_json(struct cli *cli, const struct store_message *m)
{
	JsonNode *n = case_json_message(m);
	JsonObject *o = json_node_get_object(n);
	char num[CASENUM_BUF_SIZE];

	json_object_set_int_member(o, "id", m->id);
	json_object_set_string_member(o, "state",
				      store_msg_state_name(m->state));
	if (m->reason != NULL)
		json_object_set_string_member(o, "reason", m->reason);
	else
		json_object_set_null_member(o, "reason");
	if (m->decision != NULL)
		json_object_set_string_member(o, "decision", m->decision);
	else
		json_object_set_null_member(o, "decision");
	/* The verdict on the sender ingest used, and whose it was. */
	json_object_set_boolean_member(o, "sender_verified",
				       m->sender_verified != 0);
	if (m->sender_verdict != NULL)
		json_object_set_string_member(o, "sender_verdict",
					      m->sender_verdict);
	else
		json_object_set_null_member(o, "sender_verdict");
	if (m->case_id != 0) {
		case_format_number(cli->cfg, m->case_id, num, sizeof(num));
		json_object_set_string_member(o, "case", num);
	} else {
		json_object_set_null_member(o, "case");
	}
	return n;
}

static void
trace_text(struct cli *cli, const struct store_message *m)
{
	char num[CASENUM_BUF_SIZE], when[TIME_ISO_SIZE];

	time_format_zone(m->received_at, cli->cfg->case_timezone, when,
			 sizeof(when));
	if (m->case_id != 0)
		case_format_number(cli->cfg, m->case_id, num, sizeof(num));
	printf("%lld  %s  %s  case %s  from ", (long long)m->id, when,
	       store_msg_state_name(m->state), m->case_id != 0 ? num : "-");
	cli_print_safe(m->from.address != NULL ? m->from.address : "-");
	cli_print_after("\n  subject: ", m->subject, "");
	if (m->reason != NULL)
		cli_print_after("\n  reason: ", m->reason, NULL);
	if (m->sender_verdict != NULL)
		cli_print_after("\n  sender: ", m->sender_verdict, NULL);
	cli_print_after("\n  ", m->decision, "(no record)");
	putchar('\n');
}

int
cli_cmd_trace(struct cli *cli, int argc, char **argv)
{
	struct store_message *m = NULL;
	char *mid;
	int first, rc;

	rc = cli_start_plain(cli, argc, argv, 1, "give one Message-ID",
			     &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	mid = argv[first][0] == '<' ? g_strdup(argv[first])
				    : g_strdup_printf("<%s>", argv[first]);
	rc = store_message_get(cli->store, mid, 0, &m, &cli->err);
	g_free(mid);
	if (rc != 0)
		return rc;
	if (cli->json)
		cli_json_print(trace_json(cli, m));
	else
		trace_text(cli, m);
	store_message_free(&m);
	return 0;
}

static int
review_list(struct cli *cli)
{
	GPtrArray *msgs = NULL;
	int rc = store_messages_review(cli->store, &msgs, &cli->err);

	if (rc != 0)
		return rc;
	if (cli->json) {
		JsonArray *a = json_array_sized_new(msgs->len);
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);

		for (guint i = 0; i < msgs->len; i++)
			json_array_add_element(a, trace_json(cli, msgs->pdata[i]));
		json_node_take_array(n, a);
		cli_json_print(n);
	} else {
		for (guint i = 0; i < msgs->len; i++)
			trace_text(cli, msgs->pdata[i]);
		cli_print_none(cli, msgs->len, "review: none (no mail held "
			       "or failed)");
	}
	g_ptr_array_unref(msgs);
	return 0;
}

struct review_act {
	int64_t id;
	int accept;
	enum ingest_outcome out;
};

static int
review_apply(struct cli *cli, void *data)
{
	struct review_act *act = data;
	struct store_message *m = NULL;
	struct ingest ing;
	struct outbound out, *mail = NULL;
	GPtrArray *templates = NULL;
	int rc = store_message_get(cli->store, NULL, act->id, &m, &cli->err);

	/* An accepted message is mailed on like any other: notifications,
	 * and the acknowledgement when it opens a case. */
	if (rc == 0 && act->accept &&
	    (rc = cli_templates(cli, &templates)) == 0) {
		outbound_init(&out, cli->store, cli->cfg, templates);
		mail = &out;
	}
	ingest_init(&ing, cli->store, cli->cfg, mail);

	if (rc == 0 && m->state != STORE_MSG_HELD &&
	    m->state != STORE_MSG_FAILED)
		rc = cm_error_set(&cli->err, CM_EREFUSED,
				  "message %lld is %s, not waiting for review",
				  (long long)act->id,
				  store_msg_state_name(m->state));
	if (rc == 0 && act->accept)
		rc = ingest_reprocess(&ing, act->id, 1, cli->now, &act->out,
				      &cli->err);
	else if (rc == 0)
		rc = store_message_set_state(cli->store, act->id,
					     STORE_MSG_REJECTED,
					     m->reason, m->case_id,
					     NULL, &cli->err);
	/* cli_write() commits next: the files go first. */
	if (rc == 0)
		rc = ingest_sync(&ing, &cli->err);
	if (ing.out != NULL)
		outbound_clear(&out);
	if (templates != NULL)
		g_ptr_array_unref(templates);
	store_message_free(&m);
	return rc;
}

int
cli_cmd_review(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find_cmd(argv[0]);
	struct review_act act = { 0 };
	char *end = NULL;
	int first, rc;

	rc = cli_getopt_plain(cli, argc, argv, -1, NULL, &first);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (argc - first == 0)
		return (rc = cli_open(cli)) != 0 ? rc : review_list(cli);
	if (argc - first != 2 || (strcmp(argv[first], "accept") != 0 &&
				  strcmp(argv[first], "reject") != 0))
		return cli_usage(cli, cmd, "review [accept|reject ID]");
	act.accept = strcmp(argv[first], "accept") == 0;
	act.id = strtoll(argv[first + 1], &end, 10);
	if (end == argv[first + 1] || *end != '\0' || act.id <= 0)
		return cli_usage(cli, cmd, "'%s' is not a message id",
				 argv[first + 1]);
	if ((rc = cli_open(cli)) != 0 || (rc = cli_write(cli, review_apply, &act)) != 0)
		return rc;
	printf("message %lld: %s\n", (long long)act.id,
	       act.accept ? ingest_outcome_name(act.out)
			  : store_msg_state_name(STORE_MSG_REJECTED));
	return 0;
}
