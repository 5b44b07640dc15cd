/* test_text.c - HTML to text (quote_visible() is in test_quote.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "casemail/html2text.h"
#include "casemail/quote.h"

/*
 * Wall-clock bounds for the hostile inputs.  The contract promises a few
 * hundred milliseconds; these are looser so that sanitizer and valgrind
 * runs (10-50x slower) still pass, while a quadratic blow-up (minutes)
 * still fails.
 */
#define HOSTILE_MAX_SECS 20.0
/* What <hr> and Outlook's reply markers become (html2text.c RULE_LINE). */
#define RULE "________________________________"

/* ---- helpers ------------------------------------------------------------ */

/* html2text() that must succeed; caller g_free()s. */
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

/* What every output promises: UTF-8, tidy lines, bounded size. */
static void
assert_tidy(const char *text)
{
	size_t len = strlen(text);

	assert_true(g_utf8_validate(text, -1, NULL));
	assert_true(len <= HTML2TEXT_MAX_OUTPUT);
	assert_null(strstr(text, "\n\n\n"));
	assert_null(strstr(text, " \n"));
	if (len > 0) {
		assert_true(text[len - 1] != '\n');
		assert_true(text[0] != '\n');
	}
}

static double
secs_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* Convert, check the promises and the time; returns the text. */
static char *
h2t_timed(const GString *html, double *secs_r)
{
	gint64 t0 = g_get_monotonic_time();
	char *text = NULL;

	assert_int_equal(html2text(html->str, html->len, &text, NULL), 0);
	*secs_r = secs_since(t0);
	print_message("    %zu bytes in %.3f s -> %zu bytes\n", html->len,
		      *secs_r, strlen(text));
	assert_true(*secs_r < HOSTILE_MAX_SECS);
	assert_tidy(text);
	return text;
}

/* ---- html2text: structure ---------------------------------------------- */

static void
test_h2t_paragraphs(void **state)
{
	(void)state;
	assert_h2t("<p>one</p><p>two</p>", "one\n\ntwo");
	assert_h2t("<p>  lots \n\t of   space </p>", "lots of space");
	assert_h2t("<div>a</div><div>b</div>", "a\nb");
	assert_h2t("a<br>b", "a\nb");
	assert_h2t("a<br><br><br><br>b", "a\n\nb");
	assert_h2t("<p>a<br></p><p>b</p>", "a\n\nb");
	assert_h2t("<h1>Title</h1>text", "Title\n\ntext");
	assert_h2t("x<b>bold</b><i>it</i> y", "xboldit y");
	assert_h2t("a<hr>b", "a\n\n" RULE "\nb");
	assert_h2t("<p></p><p> </p><p>&nbsp;</p><p>only</p>", "only");
	assert_h2t("<div><div><div>deep</div></div></div>tail",
		   "deep\ntail");
}

static void
test_h2t_lists(void **state)
{
	(void)state;
	assert_h2t("<ul><li>one</li><li>two</li></ul>", "- one\n- two");
	assert_h2t("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two");
	assert_h2t("<ol start=\"7\"><li>a<li>b</ol>", "7. a\n8. b");
	assert_h2t("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>",
		   "- a\n  - b\n- c");
	assert_h2t("<ol><li>a<ul><li>x</li></ul></li><li>b</li></ol>",
		   "1. a\n  - x\n2. b");
	assert_h2t("before<ul><li>x</li><li></li></ul>after",
		   "before\n\n- x\n\nafter");
}

static void
test_h2t_links(void **state)
{
	(void)state;
	assert_h2t("see <a href=\"https://ex.org/a\">the page</a>.",
		   "see the page <https://ex.org/a>.");
	assert_h2t("<a href=\"https://ex.org/\">https://ex.org/</a>",
		   "https://ex.org/");
	assert_h2t("<a href=\"mailto:bob@ex.org\">bob@ex.org</a>",
		   "bob@ex.org");
	assert_h2t("<a href=\"mailto:bob@ex.org?subject=hi\">Bob</a>",
		   "Bob <bob@ex.org>");
	assert_h2t("<a href=\"https://ex.org/i\"><img src=x></a>",
		   "https://ex.org/i");
	assert_h2t("<a href=\"javascript:void(0)\">click</a>", "click");
	assert_h2t("<a href=\"#top\">top</a>", "top");
	assert_h2t("<a name=\"x\">anchor</a>", "anchor");
	assert_h2t("<a href=\" https://ex.org/s \">s</a>",
		   "s <https://ex.org/s>");
	assert_h2t("<a href=\"u\">a <b>b</b></a> c", "a b <u> c");
}

static void
test_h2t_tables(void **state)
{
	(void)state;
	assert_h2t("<table><tr><th>Name</th><th>Qty</th></tr>"
		   "<tr><td>apple</td><td>3</td></tr></table>",
		   "Name | Qty\napple | 3");
	/* Layout tables: empty cells leave no stray separators. */
	assert_h2t("<table><tr><td></td><td>only</td><td> </td></tr></table>",
		   "only");
	assert_h2t("<table><tr><td>a<table><tr><td>x</td><td>y</td></tr>"
		   "</table></td><td>b</td></tr></table>",
		   "a\nx | y\nb");
}

static void
test_h2t_blockquote(void **state)
{
	(void)state;
	assert_h2t("<p>reply</p><blockquote><p>one</p><p>two</p>"
		   "</blockquote>",
		   "reply\n\n> one\n>\n> two");
	assert_h2t("<blockquote>a<blockquote>b</blockquote>c</blockquote>d",
		   "> a\n>\n> > b\n>\n> c\n\nd");
	assert_h2t("<blockquote><pre>x\n  y</pre></blockquote>",
		   "> x\n>   y");
}

static void
test_h2t_entities(void **state)
{
	(void)state;
	assert_h2t("a &amp; b &lt;c&gt; &quot;d&quot;", "a & b <c> \"d\"");
	assert_h2t("10&nbsp;&#8364; and &euro;5 &#x263A;",
		   "10 \xe2\x82\xac and \xe2\x82\xac" "5 \xe2\x98\xba");
	assert_h2t("caf&eacute; na&iuml;ve", "caf\xc3\xa9 na\xc3\xafve");
}

static void
test_h2t_dropped(void **state)
{
	(void)state;
	assert_h2t("<html><head><title>T</title><style>p{color:red}</style>"
		   "<script>alert('x')</script></head><body>text"
		   "<script>var a = '<p>no</p>';</script></body></html>",
		   "text");
	assert_h2t("a<!-- comment -->b<template>t</template>"
		   "<noscript>ns</noscript>c",
		   "abc");
	assert_h2t("<div style=\"DISPLAY : none\">preheader</div>"
		   "<span hidden>h</span>shown",
		   "shown");
	assert_h2t("<div style=\"display:block\">kept</div>", "kept");
}

static void
test_h2t_pre(void **state)
{
	(void)state;
	assert_h2t("<p>code:</p><pre>\n  if (x)\n\treturn;\n\n\n\ndone  "
		   "</pre>after",
		   "code:\n\n  if (x)\n\treturn;\n\ndone\n\nafter");
	assert_h2t("<pre>a<b>b</b>  c</pre>", "ab  c");
}

static void
test_h2t_broken(void **state)
{
	(void)state;
	assert_h2t("<p>unclosed <b>bold <i>both", "unclosed bold both");
	/* The paragraph's margin survives the missing </p>. */
	assert_h2t("<div><p>a</div>b</p>", "a\n\nb");
	assert_h2t("</p></div></span>text</td>", "text");
	assert_h2t("<table><td>cell<tr>row", "cell\nrow");
	/* libxml2 reports the leading "<<<" before it opens <body><p>. */
	assert_h2t("<<<>>> a < b > c", "<<<\n\n>>> a < b > c");
	assert_h2t("x <<b> c", "x < c");
	assert_h2t("<p title=\"unterminated>text", "");
}

static void
test_h2t_empty_and_encoding(void **state)
{
	char *text = NULL;
	struct cm_error err = {0};

	(void)state;
	assert_int_equal(html2text("", 0, &text, &err), 0);
	assert_string_equal(text, "");
	g_free(text);
	assert_int_equal(html2text(NULL, 0, &text, &err), 0);
	assert_string_equal(text, "");
	g_free(text);
	assert_int_equal(html2text(NULL, 5, &text, &err), CM_EUSAGE);
	assert_null(text);
	assert_h2t("   \n\t ", "");
	assert_h2t("<html><body></body></html>", "");
	assert_h2t("plain words", "plain words");
	/* The part is UTF-8 already: a stale charset label must not win. */
	assert_h2t("<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>",
		   "caf\xc3\xa9");
	assert_h2t("\xef\xbb\xbf<p>bom</p>", "bom");
	text = h2t("<p>bad \xff\xfe bytes \xc3</p>");
	assert_tidy(text);
	assert_non_null(strstr(text, "bad"));
	assert_non_null(strstr(text, "bytes"));
	g_free(text);
	assert_int_equal(html2text("a\0b", 3, &text, &err), 0);
	assert_tidy(text);
	g_free(text);
}

/* ---- html2text: limits ------------------------------------------------- */

static void
test_h2t_deep_nesting(void **state)
{
	GString *html = g_string_new("<p>before</p>");
	double secs;
	char *text;

	(void)state;
	for (int i = 0; i < 100000; i++)
		g_string_append(html, "<div>");
	g_string_append(html, "deep");
	for (int i = 0; i < 100000; i++)
		g_string_append(html, "</div>");
	text = h2t_timed(html, &secs);
	assert_true(g_str_has_prefix(text, "before"));
	assert_true(g_str_has_suffix(text, "[message truncated]"));
	g_free(text);

	/* Deep, then a million stray end tags: libxml2 scans its stack. */
	g_string_assign(html, "");
	for (int i = 0; i < 250; i++)
		g_string_append(html, "<b>");
	for (int i = 0; i < 1100000; i++)
		g_string_append(html, "</div>");
	text = h2t_timed(html, &secs);
	g_free(text);

	/* Nesting that stays inside the limit is rendered. */
	g_string_assign(html, "");
	for (int i = 0; i < 100; i++)
		g_string_append(html, "<blockquote>");
	g_string_append(html, "x");
	text = h2t_timed(html, &secs);
	assert_true(g_str_has_suffix(text, "> x"));
	assert_int_equal(strlen(text), 201);
	g_free(text);
	g_string_free(html, TRUE);
}

static void
test_h2t_huge_bodies(void **state)
{
	GString *html = g_string_new("<p>");
	double secs;
	char *text;

	(void)state;
	/* 5 MB of one paragraph: capped output, with the note. */
	while (html->len < 5u * 1024 * 1024)
		g_string_append(html, "lorem ipsum dolor sit amet ");
	text = h2t_timed(html, &secs);
	assert_true(g_str_has_prefix(text, "lorem ipsum dolor sit amet"));
	assert_true(g_str_has_suffix(text, "\n\n[message truncated]"));
	assert_true(strlen(text) <= HTML2TEXT_MAX_OUTPUT);
	g_free(text);

	/* 5 MB of small marked-up paragraphs. */
	g_string_assign(html, "");
	for (int i = 0; html->len < 5u * 1024 * 1024; i++)
		g_string_append_printf(html, "<p>para %d <b>b</b> <a "
				       "href=\"https://ex.org/%d\">l</a></p>\n",
				       i, i);
	text = h2t_timed(html, &secs);
	assert_true(g_str_has_prefix(text, "para 0 b l <https://ex.org/0>"
					   "\n\npara 1 b"));
	g_free(text);

	/* Past HTML2TEXT_MAX_INPUT: cut, and said so. */
	g_string_assign(html, "<pre>");
	while (html->len <= HTML2TEXT_MAX_INPUT)
		g_string_append(html, "\xe2\x82\xac   \n");
	text = h2t_timed(html, &secs);
	assert_true(g_str_has_suffix(text, "[message truncated]"));
	g_free(text);
	g_string_free(html, TRUE);
}

static void
test_h2t_many_attributes(void **state)
{
	GString *html = g_string_new("<p>hello</p><div ");
	double secs;
	char *text;

	(void)state;
	/* Quadratic in libxml2 2.9: must be cut before the parser sees it. */
	for (int i = 0; i < 400000; i++)
		g_string_append_printf(html, "a%d=\"\"", i);
	g_string_append(html, ">x</div>");
	text = h2t_timed(html, &secs);
	assert_string_equal(text, "hello\n\n[message truncated]");
	g_free(text);

	/* Ordinary attributes, many tags: untouched. */
	g_string_assign(html, "");
	for (int i = 0; i < 20000; i++)
		g_string_append(html, "<td class=a style=\"b\" width=1 "
				      "height=2 align=left valign=top>c</td>");
	text = h2t_timed(html, &secs);
	assert_null(strstr(text, "truncated"));
	g_free(text);
	g_string_free(html, TRUE);
}

/* Both together, as ingest uses them on an HTML-only reply. */
static void
test_html_reply_pipeline(void **state)
{
	static const char gmail[] =
		"<div dir=\"ltr\">Works now, thanks!<br></div><br>"
		"<div class=\"gmail_quote\"><div dir=\"ltr\" "
		"class=\"gmail_attr\">On Mon, Jan 6, 2020 at 10:00 AM John "
		"&lt;<a href=\"mailto:john@ex.org\">john@ex.org</a>&gt; "
		"wrote:<br></div><blockquote class=\"gmail_quote\" "
		"style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid\">"
		"<div>Try a restart.</div></blockquote></div>";
	static const char outlook[] =
		"<div>Done.</div><div id=\"appendonsend\"></div><hr "
		"style=\"display:inline-block;width:98%\"><div "
		"id=\"divRplyFwdMsg\"><b>From:</b> Ann &lt;ann@ex.org&gt;"
		"<br><b>Sent:</b> Monday, 6 January 2020 10:00<br><b>To:</b> "
		"Bob<br><b>Subject:</b> Ticket</div><div>Old text</div>";
	char *text, *visible;

	(void)state;
	text = h2t(gmail);
	assert_string_equal(text, "Works now, thanks!\n\nOn Mon, Jan 6, 2020 "
				  "at 10:00 AM John <john@ex.org> wrote:\n\n"
				  "> Try a restart.");
	visible = quote_visible(text);
	assert_string_equal(visible, "Works now, thanks!");
	g_free(visible);
	g_free(text);
	text = h2t(outlook);
	visible = quote_visible(text);
	assert_string_equal(visible, "Done.");
	g_free(visible);
	g_free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2t_paragraphs),
		cmocka_unit_test(test_h2t_lists),
		cmocka_unit_test(test_h2t_links),
		cmocka_unit_test(test_h2t_tables),
		cmocka_unit_test(test_h2t_blockquote),
		cmocka_unit_test(test_h2t_entities),
		cmocka_unit_test(test_h2t_dropped),
		cmocka_unit_test(test_h2t_pre),
		cmocka_unit_test(test_h2t_broken),
		cmocka_unit_test(test_h2t_empty_and_encoding),
		cmocka_unit_test(test_h2t_deep_nesting),
		cmocka_unit_test(test_h2t_huge_bodies),
		cmocka_unit_test(test_h2t_many_attributes),
		cmocka_unit_test(test_html_reply_pipeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
