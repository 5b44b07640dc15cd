/*
 * test_html.c - html2text on the HTML that mail clients write when they
 * reply: each client's quote and header markers, checked as text and
 * through quote_visible() the way ingest uses the two together.  The
 * general constructs (paragraphs, lists, tables, limits) are in
 * test_text.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "casemail/html2text.h"
#include "casemail/mime.h"
#include "casemail/quote.h"

/* What <hr> and the reply markers become (html2text.c RULE_LINE). */
#define RULE "________________________________"
/*
 * The corpus's bound for its DoS inputs is one second; sanitizer and
 * valgrind runs are 10-50x slower, so the test allows more there and
 * prints the real figure.
 */
#define DOS_MAX_SECS 20.0

/* ---- helpers ------------------------------------------------------------ */

static char *
h2t(const char *html)
{
	struct cm_error err = {0};
	char *text = NULL;

	assert_int_equal(html2text(html, strlen(html), &text, &err), 0);
	assert_non_null(text);
	return text;
}

static void
assert_h2t(const char *html, const char *want)
{
	char *got = h2t(html);

	assert_string_equal(got, want);
	g_free(got);
}

/* The text, and what quote_visible() leaves of it. */
static void
assert_reply(const char *html, const char *want_text,
	     const char *want_visible)
{
	char *text = h2t(html);
	char *visible = quote_visible(text);

	if (want_text != NULL)
		assert_string_equal(text, want_text);
	assert_string_equal(visible, want_visible);
	g_free(visible);
	g_free(text);
}

/* ---- rules ---------------------------------------------------------------- */

static void
test_rules(void **state)
{
	(void)state;
	assert_h2t("a<hr>b", "a\n\n" RULE "\nb");
	assert_h2t("<hr>b", RULE "\nb");
	assert_h2t("a<hr>", "a\n\n" RULE);
	assert_h2t("<p>a</p><hr><p>b</p>", "a\n\n" RULE "\nb");
	/* Nothing between two rules: one line is enough. */
	assert_h2t("a<hr><hr>b", "a\n\n" RULE "\nb");
	assert_h2t("a<hr>x<hr>b", "a\n\n" RULE "\nx\n\n" RULE "\nb");
	/* libxml2 puts bare text in implied paragraphs, as browsers do. */
	assert_h2t("a<hr style=\"display: none\">b", "a\n\nb");
	assert_h2t("<div>a</div><hr hidden><div>b</div>", "a\nb");
	assert_h2t("<blockquote>a<hr>b</blockquote>",
		   "> a\n>\n> " RULE "\n> b");
	/* A rule in a body is not a reply marker by itself. */
	assert_reply("<p>Order 4471</p><hr><p>Pallet 2 of 3</p>", NULL,
		     "Order 4471\n\n" RULE "\nPallet 2 of 3");
}

/* ---- Outlook ------------------------------------------------------------ */

static const char outlook_header[] =
	"<b>From:</b> Ann &lt;ann@ex.org&gt;<br><b>Sent:</b> Monday, 6 "
	"January 2020 10:00<br><b>To:</b> Bob<br><b>Subject:</b> Ticket";
static const char outlook_header_text[] =
	"From: Ann <ann@ex.org>\nSent: Monday, 6 January 2020 10:00\n"
	"To: Bob\nSubject: Ticket";

static void
test_outlook_web(void **state)
{
	char *html, *want;

	(void)state;
	/* Outlook on the web: <hr>, then divRplyFwdMsg; one rule. */
	html = g_strdup_printf("<div>Done.</div><div id=\"appendonsend\">"
			       "</div><hr style=\"display:inline-block;"
			       "width:98%%\" tabindex=\"-1\"><div id=\""
			       "divRplyFwdMsg\" dir=\"ltr\"><font face=\""
			       "Calibri\">%s</font><div>&nbsp;</div></div>"
			       "<div>Old text</div>",
			       outlook_header);
	want = g_strdup_printf("Done.\n\n" RULE "\n%s\nOld text",
			       outlook_header_text);
	assert_reply(html, want, "Done.");
	g_free(html);
	g_free(want);
	/* Without the <hr> (forwarded through other clients). */
	html = g_strdup_printf("<p>Done.</p><div id=\"divRplyFwdMsg\">%s</div>"
			       "<p>Old text</p>",
			       outlook_header);
	want = g_strdup_printf("Done.\n\n" RULE "\n%s\n\nOld text",
			       outlook_header_text);
	assert_reply(html, want, "Done.");
	g_free(html);
	g_free(want);
}

static void
test_outlook_desktop(void **state)
{
	char *html, *want;

	(void)state;
	/* Word HTML: the header block's top border is the line. */
	html = g_strdup_printf(
		"<div class=WordSection1><p class=MsoNormal>Thanks, fixed."
		"<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
		"<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;"
		"padding:3.0pt 0in 0in 0in'><p class=MsoNormal>%s<o:p></o:p>"
		"</p></div></div><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
		"<p class=MsoNormal>Old text<o:p></o:p></p></div>",
		outlook_header);
	want = g_strdup_printf("Thanks, fixed.\n\n" RULE "\n%s\n\nOld text",
			       outlook_header_text);
	assert_reply(html, want, "Thanks, fixed.");
	g_free(html);
	g_free(want);
	/* Older Outlook: another colour, the same shape, any spacing. */
	assert_h2t("<div>a</div><div style=\"BORDER-RIGHT: medium none; "
		   "border:none; BORDER-TOP: solid #B5C4DF 1.0pt\">b</div>",
		   "a\n\n" RULE "\nb");
	/* A border alone is layout, not a marker. */
	assert_h2t("<div>a</div><div style=\"border-top:solid 1px #ccc\">b"
		   "</div>",
		   "a\nb");
}

static void
test_outlook_mac(void **state)
{
	static const char mac_header[] =
		"<div style=\"font-family:Calibri; BORDER-BOTTOM: medium none;"
		" BORDER-TOP: #b5c4df 1pt solid; PADDING-TOP: 3pt\"><span "
		"style=\"font-weight:bold\">From: </span> Ann &lt;<a href=\""
		"mailto:ann@ex.org\">ann@ex.org</a>&gt;<br><span style=\""
		"font-weight:bold\">Date: </span> Monday, 6 January 2020 10:00"
		"<br><span style=\"font-weight:bold\">To: </span> Bob<br><span"
		" style=\"font-weight:bold\">Subject: </span> Ticket<br></div>"
		"<div><br></div><div>Old text</div>";
	char *html;

	(void)state;
	html = g_strdup_printf("<div>Sure.</div><div><br></div><span id=\""
			       "OLK_SRC_BODY_SECTION\">%s</span>",
			       mac_header);
	assert_reply(html, "Sure.\n\n" RULE "\nFrom: Ann <ann@ex.org>\n"
			   "Date: Monday, 6 January 2020 10:00\nTo: Bob\n"
			   "Subject: Ticket\n\nOld text",
		     "Sure.");
	g_free(html);
	/* The comment form of the marker. */
	html = g_strdup_printf("<div>Sure.</div><!-- OLK_SRC_BODY_SECTION -->"
			       "%s", mac_header);
	assert_reply(html, NULL, "Sure.");
	g_free(html);
	/* Newer Outlook for Mac: a container, then the bordered block. */
	html = g_strdup_printf("<div>Sure.</div><div id=\"mail-editor-"
			       "reference-message-container\">\n<div style=\""
			       "border:none;border-top:solid #B5C4DF 1.0pt\">"
			       "%s</div></div>", mac_header);
	assert_reply(html, NULL, "Sure.");
	g_free(html);
	/* Only the original, the marker first: no empty reply above it. */
	html = g_strdup_printf("<span id=\"OLK_SRC_BODY_SECTION\">%s</span>",
			       mac_header);
	assert_h2t(html, RULE "\nFrom: Ann <ann@ex.org>\n"
			 "Date: Monday, 6 January 2020 10:00\nTo: Bob\n"
			 "Subject: Ticket\n\nOld text");
	g_free(html);
}

/* ---- Gmail, Apple Mail, Thunderbird -------------------------------------- */

static void
test_gmail(void **state)
{
	(void)state;
	/* Today's Gmail: attribution in gmail_attr, quote in a blockquote;
	 * a reply to a reply nests. */
	assert_reply("<div dir=\"ltr\">Works now.</div><br><div class=\""
		     "gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On "
		     "Mon, Jan 6, 2020 at 10:00 AM John &lt;<a href=\"mailto:"
		     "john@ex.org\">john@ex.org</a>&gt; wrote:<br></div>"
		     "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px"
		     " 0px 0.8ex;border-left:1px solid rgb(204,204,204);"
		     "padding-left:1ex\"><div dir=\"ltr\">Is it fixed?</div>"
		     "<br><div class=\"gmail_quote\"><div class=\"gmail_attr\">"
		     "On Sun, Jan 5, 2020 Bob &lt;bob@ex.org&gt; wrote:<br>"
		     "</div><blockquote class=\"gmail_quote\">It broke."
		     "</blockquote></div></blockquote></div>",
		     "Works now.\n\nOn Mon, Jan 6, 2020 at 10:00 AM John "
		     "<john@ex.org> wrote:\n\n> Is it fixed?\n>\n> On Sun, Jan "
		     "5, 2020 Bob <bob@ex.org> wrote:\n>\n> > It broke.",
		     "Works now.");
	/* Older Gmail: the attribution is bare text in the gmail_quote. */
	assert_reply("Yes<br><br><div class=\"gmail_quote\">On Tue, Feb 3, "
		     "2015 at 9:00 AM, Ann &lt;ann@ex.org&gt; wrote:<br>"
		     "<blockquote class=\"gmail_quote\" style=\"margin:0 0 0 "
		     ".8ex\">Ready?</blockquote></div>",
		     "Yes\n\nOn Tue, Feb 3, 2015 at 9:00 AM, Ann <ann@ex.org> "
		     "wrote:\n\n> Ready?",
		     "Yes");
	/* A forward is not a quote: its text stays plain and is kept. */
	assert_reply("<div>FYI</div><br><div class=\"gmail_quote\"><div "
		     "dir=\"ltr\" class=\"gmail_attr\">---------- Forwarded "
		     "message ---------<br>From: <strong class=\""
		     "gmail_sendername\">Ann</strong> <span>&lt;ann@ex.org&gt;"
		     "</span><br>Date: Mon, Jan 6, 2020 at 10:00 AM<br>"
		     "Subject: Broken pallet<br>To: &lt;bob@ex.org&gt;<br>"
		     "</div><br><br><div dir=\"ltr\">The pallet is broken."
		     "</div></div>",
		     "FYI\n\n---------- Forwarded message ---------\nFrom: Ann "
		     "<ann@ex.org>\nDate: Mon, Jan 6, 2020 at 10:00 AM\n"
		     "Subject: Broken pallet\nTo: <bob@ex.org>\n\nThe pallet "
		     "is broken.",
		     "FYI\n\n---------- Forwarded message ---------\nFrom: Ann "
		     "<ann@ex.org>\nDate: Mon, Jan 6, 2020 at 10:00 AM\n"
		     "Subject: Broken pallet\nTo: <bob@ex.org>\n\nThe pallet "
		     "is broken.");
}

static void
test_cite_blockquotes(void **state)
{
	(void)state;
	/* Thunderbird: moz-cite-prefix, then <blockquote type="cite">. */
	assert_reply("<p>Thanks</p><div class=\"moz-cite-prefix\">On 1/6/20 "
		     "10:00 AM, John wrote:<br></div><blockquote type=\"cite\""
		     " cite=\"mid:x@ex.org\"><p>Is it fixed?</p><blockquote "
		     "type=\"cite\">older</blockquote></blockquote>",
		     "Thanks\n\nOn 1/6/20 10:00 AM, John wrote:\n\n"
		     "> Is it fixed?\n>\n> > older",
		     "Thanks");
	/* Apple Mail: the attribution inside the cite blockquote. */
	assert_reply("<html><body dir=\"auto\">Yes, today.<br><div><br>"
		     "<blockquote type=\"cite\"><div>On 6 Jan 2020, at 10:00, "
		     "John &lt;john@ex.org&gt; wrote:</div><br class=\"Apple-"
		     "interchange-newline\"><div><div>Is it fixed?</div></div>"
		     "</blockquote></div></body></html>",
		     "Yes, today.\n\n> On 6 Jan 2020, at 10:00, John "
		     "<john@ex.org> wrote:\n>\n> Is it fixed?",
		     "Yes, today.");
	/* Interleaved answers stay, with the quotes they answer. */
	assert_reply("<blockquote type=\"cite\">When?</blockquote>Monday."
		     "<blockquote type=\"cite\">Where?</blockquote>Rotterdam.",
		     "> When?\n\nMonday.\n\n> Where?\n\nRotterdam.",
		     "> When?\n\nMonday.\n\n> Where?\n\nRotterdam.");
}

/* ---- links and tables ----------------------------------------------------- */

static void
test_links(void **state)
{
	(void)state;
	/* Line breaks inside an href are dropped, as browsers do. */
	assert_h2t("<a href=\"https://ex.org/a\n/b\">x</a>",
		   "x <https://ex.org/a/b>");
	/* Spaces inside: not a usable address; the text stays. */
	assert_h2t("<a href=\"http:/x\n\no Lookup someone\">text</a>", "text");
	assert_h2t("<a href=\"JavaScript:alert(1)\">click</a> here",
		   "click here");
	assert_h2t("<a href=\"https://ex.org/\">https://ex.org/</a>",
		   "https://ex.org/");
	assert_h2t("<a href=\"https://ex.org/track?id=1\">Track parcel</a>",
		   "Track parcel <https://ex.org/track?id=1>");
}

static void
test_tables(void **state)
{
	(void)state;
	assert_h2t("<table><tr><th>Order</th><th>Status</th></tr><tr><td>"
		   "4471</td><td>crushed</td></tr><tr><td>4472</td><td>ok"
		   "</td></tr></table>",
		   "Order | Status\n4471 | crushed\n4472 | ok");
	assert_h2t("<p>Summary:</p><table><tbody><tr><td>a</td></tr></tbody>"
		   "</table><p>end</p>",
		   "Summary:\n\na\n\nend");
}

/* ---- the corpus's DoS inputs ------------------------------------------- */

static char *
corpus_file(const char *set, const char *name)
{
	char *here = g_path_get_dirname(__FILE__);
	char *path = g_build_filename(here, "..", "..", "..", "shared", "corpus",
				      set, name, NULL);

	g_free(here);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_free(path);
		return NULL;
	}
	return path;
}

/*
 * The body of a single-part, unencoded text/html message: what follows
 * the first empty line.  Good enough for the nodemailer DoS files, which
 * are exactly that (checked: no Content-Transfer-Encoding).
 */
static char *
html_body(const char *raw, size_t *len_r)
{
	const char *lf = strstr(raw, "\n\n");
	const char *crlf = strstr(raw, "\r\n\r\n");
	const char *body;

	assert_non_null(strstr(raw, "text/html"));
	assert_null(strstr(raw, "Content-Transfer-Encoding"));
	if (crlf != NULL && (lf == NULL || crlf < lf))
		body = crlf + 4;
	else
		body = lf != NULL ? lf + 2 : raw + strlen(raw);
	*len_r = strlen(body);
	return g_strdup(body);
}

static double
secs_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* The whole parse (GMime, then html2text) of one corpus message. */
static void
time_mime_parse(const char *name, const char *raw, size_t len)
{
	struct mime_message *m = NULL;
	gint64 t0 = g_get_monotonic_time();
	double secs;

	assert_int_equal(mime_parse(raw, len, &m, NULL), 0);
	secs = secs_since(t0);
	print_message("    %s: mime_parse %zu bytes in %.3f s -> text %zu "
		      "bytes\n", name, len, secs, strlen(m->text));
	assert_true(secs < DOS_MAX_SECS);
	assert_true(g_utf8_validate(m->text, -1, NULL));
	mime_message_free(&m);
}

/*
 * nodemailer/mailparser's DoS inputs (MANIFEST: htmllargecallstack is
 * 570 KB of unclosed tags after a <title>, outofmemory 1.1 MB of junk in
 * a <title>, large_text 1.1 MB of plain text): html2text alone on the
 * HTML ones, and the whole parse on all three.
 */
static void
test_corpus_dos(void **state)
{
	static const char *const names[] = {
		"htmllargecallstack.eml", "outofmemory.eml", "large_text.eml",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *path = corpus_file("nodemailer_mailparser", names[i]);
		char *raw = NULL, *body, *text = NULL;
		size_t len;
		gint64 t0;
		double secs;

		if (path == NULL) {
			print_message("corpus not found: skipped\n");
			skip();
		}
		assert_true(g_file_get_contents(path, &raw, &len, NULL));
		time_mime_parse(names[i], raw, len);
		if (strstr(raw, "text/html") == NULL)
			goto next;
		body = html_body(raw, &len);
		t0 = g_get_monotonic_time();
		assert_int_equal(html2text(body, len, &text, NULL), 0);
		secs = secs_since(t0);
		print_message("    %s: html2text %zu bytes in %.3f s -> %zu "
			      "bytes\n",
			      names[i], len, secs, strlen(text));
		assert_true(secs < DOS_MAX_SECS);
		assert_true(strlen(text) <= HTML2TEXT_MAX_OUTPUT);
		assert_true(g_utf8_validate(text, -1, NULL));
		g_free(text);
		g_free(body);
next:
		g_free(raw);
		g_free(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_outlook_web),
		cmocka_unit_test(test_outlook_desktop),
		cmocka_unit_test(test_outlook_mac),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_cite_blockquotes),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_corpus_dos),
	};

	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
