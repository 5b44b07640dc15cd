/*
 * store_words.c - the words the state columns hold, one table per enum.
 *
 * The tables are indexed by the enum value, so a value and its word sit
 * on one line.  A value added to an enum without its word is NULL here:
 * writing it binds NULL, which the schema refuses, so the gap shows in
 * the first test that uses it.  The words are the schema's CHECK lists
 * (store.c); changing one needs a migration.
 */
#include "store_private.h"

#include <string.h>

static const char *const case_status_words[] = {
	[STORE_CASE_ACTIVE] = "active",
	[STORE_CASE_SOLVED] = "solved",
};

static const char *const msg_state_words[] = {
	[STORE_MSG_STORED] = "stored",
	[STORE_MSG_HELD] = "held",
	[STORE_MSG_REJECTED] = "rejected",
	[STORE_MSG_FAILED] = "failed",
	[STORE_MSG_IGNORED] = "ignored",
};

static const char *const outbox_state_words[] = {
	[STORE_OUTBOX_QUEUED] = "queued",
	[STORE_OUTBOX_DONE] = "done",
};

static const char *const rcpt_state_words[] = {
	[STORE_RCPT_PENDING] = "pending",
	[STORE_RCPT_SENT] = "sent",
	[STORE_RCPT_FAILED] = "failed",
};

const struct store_words store_case_statuses = {
	"case status", case_status_words, G_N_ELEMENTS(case_status_words),
};
const struct store_words store_msg_states = {
	"message state", msg_state_words, G_N_ELEMENTS(msg_state_words),
};
const struct store_words store_outbox_states = {
	"outbox state", outbox_state_words, G_N_ELEMENTS(outbox_state_words),
};
const struct store_words store_rcpt_states = {
	"recipient state", rcpt_state_words, G_N_ELEMENTS(rcpt_state_words),
};

/* The word for value v of w, or NULL outside the enum.  The enums start
 * at 0 with no gaps, so the value is the index. */
static const char *
words_name(const struct store_words *w, int v)
{
	return v >= 0 && (size_t)v < w->n ? w->words[v] : NULL;
}

/* The value of word in w, or -1 when it is none of w's words. */
static int
words_find(const struct store_words *w, const char *word)
{
	for (size_t i = 0; word != NULL && i < w->n; i++)
		if (w->words[i] != NULL && strcmp(w->words[i], word) == 0)
			return (int)i;
	return -1;
}

int
store_col_word(sqlite3_stmt *st, int col, const struct store_words *w,
	       struct cm_error *err)
{
	const char *word = (const char *)sqlite3_column_text(st, col);
	int v = words_find(w, word);

	if (v < 0)
		return cm_error_set(err, CM_ESTORE,
				    "unknown %s \"%s\" in the database",
				    w->what, word != NULL ? word : "(null)");
	return v;
}

const char *
store_case_status_name(enum store_case_status v)
{
	return words_name(&store_case_statuses, (int)v);
}

const char *
store_msg_state_name(enum store_msg_state v)
{
	return words_name(&store_msg_states, (int)v);
}

const char *
store_outbox_state_name(enum store_outbox_state v)
{
	return words_name(&store_outbox_states, (int)v);
}

const char *
store_rcpt_state_name(enum store_rcpt_state v)
{
	return words_name(&store_rcpt_states, (int)v);
}

/* The only word callers parse (casectl list --status); the other states
 * are read from rows with store_col_word(). */
int
store_case_status_parse(const char *word, enum store_case_status *v_r)
{
	int v = words_find(&store_case_statuses, word);

	if (v < 0)
		return CM_EINPUT;
	*v_r = (enum store_case_status)v;
	return 0;
}
