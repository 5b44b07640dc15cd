/*
 * smtp_reply.c - the server's side of an SMTP transaction, read from
 * libcurl's debug callback: reply lines joined, cleaned and matched to
 * the command they answer (MAIL, each RCPT, DATA, the final ".").
 */
#include "casemail/smtp.h"

#include <string.h>

#include <curl/curl.h>

#include "smtp_private.h"

/* A reply line longer than this is kept only up to here (the code is first). */
#define SMTP_LINE_MAX 2048

/*
 * Server text goes into the case history and into logs: one line, no
 * control characters, valid UTF-8, bounded.
 */
char *
smtp_clean_line(const char *s, size_t max)
{
	GString *out = g_string_sized_new(strlen(s));
	char *valid;
	size_t len;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			g_string_append_c(out, *p);
	valid = g_utf8_make_valid(out->str, (gssize)out->len);
	g_string_free(out, TRUE);
	len = strlen(valid);
	if (len > max) {
		/* Cut on a character boundary. */
		while (len > max || ((unsigned char)valid[len] & 0xc0) == 0x80)
			len--;
		valid[len] = '\0';
	}
	return valid;
}

static struct smtp_reply *
trace_slot(struct smtp_trace *t)
{
	switch (t->expect) {
	case SMTP_EXPECT_MAIL:
		return &t->mail;
	case SMTP_EXPECT_RCPT:
		return t->rcpt_cur < t->n_rcpts ? &t->rcpt[t->rcpt_cur] : NULL;
	case SMTP_EXPECT_DATA:
		return &t->data;
	case SMTP_EXPECT_DATA_END:
		return &t->data_end;
	default:
		return NULL;
	}
}

/* A whole reply arrived: file it under the command it answers. */
static void
trace_reply_done(struct smtp_trace *t, int code)
{
	struct smtp_reply *slot;
	char *joined;

	if (t->expect == SMTP_EXPECT_DATA && code / 100 == 3) {
		t->expect = SMTP_EXPECT_DATA_END;
		return;
	}
	slot = trace_slot(t);
	t->expect = SMTP_EXPECT_OTHER;
	if (slot == NULL || slot->code != 0)
		return;
	joined = g_strdup_printf("%03d%s%s", code, t->text->len > 0 ? " " : "",
				 t->text->str);
	slot->code = code;
	slot->text = smtp_clean_line(joined, SMTP_REPLY_TEXT_MAX);
	g_free(joined);
}

/* One reply line, "250-text" (more follow) or "250 text" (the last). */
static void
trace_reply_line(struct smtp_trace *t, const char *line)
{
	const char *text;
	int code;

	if (!g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
	    !g_ascii_isdigit(line[2]) ||
	    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
		return; /* not a reply line; libcurl will complain itself */
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	text = line[3] != '\0' ? line + 4 : "";
	if (t->text->len > 0 && text[0] != '\0')
		g_string_append_c(t->text, ' ');
	if (t->text->len < SMTP_REPLY_TEXT_MAX)
		g_string_append(t->text, text);
	if (line[3] != '-') {
		trace_reply_done(t, code);
		g_string_truncate(t->text, 0);
	}
}

/* Server bytes as libcurl passes them on; split them into lines. */
static void
trace_feed_in(struct smtp_trace *t, const char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			if (t->line->len > 0 &&
			    t->line->str[t->line->len - 1] == '\r')
				g_string_truncate(t->line, t->line->len - 1);
			trace_reply_line(t, t->line->str);
			g_string_truncate(t->line, 0);
		} else if (t->line->len < SMTP_LINE_MAX) {
			g_string_append_c(t->line, data[i]);
		}
	}
}

static int
command_is(const char *data, size_t size, const char *verb)
{
	size_t n = strlen(verb);

	return size >= n && g_ascii_strncasecmp(data, verb, n) == 0;
}

/*
 * A command libcurl sent.  RCPT commands go out one at a time, each after
 * the previous reply and in list order, so the n-th RCPT is recipient n.
 * Lines we do not know (AUTH continuations, which carry the password in
 * base64) leave the expectation alone and are not kept anywhere.
 */
static void
trace_command(struct smtp_trace *t, const char *data, size_t size)
{
	static const char *const other[] = {
		"EHLO", "HELO", "STARTTLS", "AUTH", "QUIT", "RSET", "NOOP",
	};

	if (command_is(data, size, "MAIL FROM:")) {
		t->expect = SMTP_EXPECT_MAIL;
	} else if (command_is(data, size, "RCPT TO:")) {
		t->expect = SMTP_EXPECT_RCPT;
		t->rcpt_cur = t->rcpt_sent++;
	} else if (command_is(data, size, "DATA\r") ||
		   command_is(data, size, "DATA\n")) {
		t->expect = SMTP_EXPECT_DATA;
	} else {
		for (size_t i = 0; i < G_N_ELEMENTS(other); i++)
			if (command_is(data, size, other[i]))
				t->expect = SMTP_EXPECT_OTHER;
	}
}

/* Nothing is printed here: HEADER_OUT includes the AUTH exchange. */
int
smtp_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
	      void *arg)
{
	struct smtp_trace *t = arg;

	(void)curl;
	if (type == CURLINFO_HEADER_IN)
		trace_feed_in(t, data, size);
	else if (type == CURLINFO_HEADER_OUT)
		trace_command(t, data, size);
	return 0;
}
