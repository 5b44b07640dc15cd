/*
 * test_quote.c - quote_visible(): what the author of a reply wrote, without
 * quoted history and signature.  The shared corpus is scored separately by
 * tests/fidelity/test_fid_quote.c; these are the rules one by one, the
 * hostile shapes, and properties checked over generated bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "casemail/quote.h"

/*
 * Wall-clock bound for the hostile inputs.  The corpus promises one
 * second; this is looser so that sanitizer and valgrind runs (10-50x
 * slower) still pass, while a quadratic blow-up (minutes) still fails.
 */
#define HOSTILE_MAX_SECS 20.0
/* Generated bodies for the property test, and lines in each. */
#define PROPERTY_BODIES 3000
#define PROPERTY_MAX_LINES 14

/* ---- helpers ------------------------------------------------------------ */

static void
assert_visible(const char *body, const char *want)
{
	char *got = quote_visible(body);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		print_message("body:\n%s\n", body);
	assert_string_equal(got, want);
	g_free(got);
}

/* "Mine.\n\n<history>": only "Mine." may stay. */
static void
assert_cut(const char *history)
{
	char *body = g_strconcat("Mine.\n\n", history, NULL);

	assert_visible(body, "Mine.");
	g_free(body);
}

/* Nothing of body may go. */
static void
assert_kept(const char *body)
{
	char *want = g_strstrip(g_strdup(body));

	assert_visible(body, want);
	g_free(want);
}

static double
secs_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* quote_visible() on a hostile body: in time, and the reply kept. */
static void
assert_fast(const GString *body, const char *want_prefix)
{
	gint64 t0 = g_get_monotonic_time();
	char *text = quote_visible(body->str);
	double secs = secs_since(t0);

	print_message("    %zu bytes in %.3f s\n", body->len, secs);
	assert_true(secs < HOSTILE_MAX_SECS);
	assert_true(g_str_has_prefix(text, want_prefix));
	g_free(text);
}

/* ---- basics ------------------------------------------------------------- */

static void
test_basics(void **state)
{
	(void)state;
	assert_null(quote_visible(NULL));
	assert_visible("", "");
	assert_visible("\n\n", "");
	assert_visible("Just text.\n\n\n", "Just text.");
	assert_visible("\n\nLeading blank lines go.\n",
		       "Leading blank lines go.");
	assert_visible("Windows\r\nline\r\nends\r\n", "Windows\nline\nends");
	assert_visible("No newline at end", "No newline at end");
	assert_visible("Thanks.\r\n\r\nOn Mon, Jan 6, 2020 at 10:00 AM A "
		       "<a@ex.org> wrote:\r\n\r\n> old\r\n",
		       "Thanks.");
}

/* ---- attributions ------------------------------------------------------- */

static void
test_gmail(void **state)
{
	(void)state;
	assert_cut("On Mon, Jan 6, 2020 at 10:00 AM John Doe <john@ex.org> "
		   "wrote:\n\n> Try restarting it.\n>\n> John\n");
	/* Folded over two and three lines. */
	assert_cut("On Mon, Jan 6, 2020 at 10:00 AM John Doe <john@ex.org>\n"
		   "wrote:\n\n> Shall we meet?\n");
	assert_cut("On Dec 16, 2011, at 12:47 PM, Corey Donohoe\n"
		   "<reply@reply.github.com>\nwrote:\n\n> q\n");
	assert_cut("On Mon, Aug 19, 2013 at 2:36 AM, Some One <\n"
		   "info@ex.org> wrote:\n\n> q\n");
	/* From HTML with a mailto link: blanks inside, "> wrote:" last. */
	assert_cut("On Thu, 31 Mar 2016 at 11:16 Some One\n\n<\n"
		   "mailto:Some One <one@ex.org>\n> wrote:\n\nOld, unquoted.\n");
	assert_cut("On Thu, 31 Mar 2016 at 11:16 Some One\n\n<\n"
		   "mailto:one@ex.org\n> wrote:\n\n> Old, quoted.\n");
	/* Gmail forwarding style: history without quote marks. */
	assert_cut("On Wed, May 18, 2016 at 11:10 PM Steven <n@ex.org> "
		   "wrote:\n\nTheirs, unquoted.\n");
	/* The reply itself may start with "On" or "One". */
	assert_visible("On your host run:\n\n    telnet x\n\n"
		       "One more thing.\n\n"
		       "On 9 Jan 2014, at 2:47, George wrote:\n\n> old\n",
		       "On your host run:\n\n    telnet x\n\nOne more thing.");
	/* A quote inside the author's text, its verb far below: prose. */
	assert_kept("On 3 hosts the check said:\n> disk full\n\nand then the "
		    "log wrote:\n\nnothing more.");
}

/* Gmail's numeric-date forms, which have no verb. */
static void
test_gmail_dated(void **state)
{
	(void)state;
	assert_cut("2016-03-03 17:21 GMT+01:00 Some One\n\nAfter\n");
	assert_cut("2013/7/20 sam via Meta <info@ex.org>\n\n| quoted\n");
	assert_cut("2016-10-24 15:36 GMT+02:00 Foo bar <info@ex.org>:\n\n"
		   "old\n");
	assert_visible("Thanks!\n\n2016-10-24 15:36 GMT+02:00 Foo bar <\n"
		       "info@ex.org>:\n\n> old\n",
		       "Thanks!");
	/* Log lines start with dates too; a log is the author's text. */
	assert_kept("The log says:\n\n2016-03-03 17:21 GMT+01:00 start\n"
		    "2016-03-03 17:22 GMT+01:00 stop\n\nAny idea?");
	assert_kept("Seen on\n\n2016-03-03 17:21 backup <b@ex.org> failed\n"
		    "and again.");
}

static void
test_localized(void **state)
{
	static const char *const attributions[] = {
		"Am 03.02.2016 um 15:35 schrieb Max Mustermann <max@ex.de>:",
		"Max Mustermann <max@ex.de> schrieb am Fr., 28. Apr. 2017:",
		"Le 4 janv. 2016 19:03, Neil <neil@ex.fr> a \xc3\xa9" "crit :",
		"Le 4 janv. 2016 19:03, Neil a \xc3\xa9" "crit\xc2\xa0:",
		"El jueves, 21 de noviembre de 2013, Pablo escribi\xc3\xb3:",
		"Op 2 feb. 2015 om 05:28 schreef Jan <jan@ex.nl>:",
		"Op 16 aug. 2014 05:13 heeft Jan het volgende geschreven:",
		"Den 15. jun. 2016 kl. 20.42 skrev Jeff <jeff@ex.no>:",
		"Den 15 juni 2016 20:42 skrev Sven <sven@ex.se>:",
		"Il 26 marzo 2016 alle 13.16 Sam <sam@ex.it> ha scritto:",
		"Em 2 de fevereiro de 2015 10:58, Ana <ana@ex.pt> escreveu:",
		"W dniu 14.07.2015 o 00:25, Michal <m@ex.pl> pisze:",
		"Dnia 14 lip 2015 o godz. 00:25 Michal <m@ex.pl> "
		"napisa\xc5\x82(a):",
		"Dne 1.2.2016 v 10:00 Jan <jan@ex.cz> napsal(a):",
		"Matti <matti@ex.fi> kirjoitti 1.2.2016 kello 10.00: ",
		"1.2.2016 10:00, Matti <matti@ex.fi> kirjoitti:",
		/* Russian: "... lidel написал(а):" */
		"6 \xd0\xbe\xd0\xba\xd1\x82. 2014 \xd0\xb3. lidel "
		"\xd0\xbd\xd0\xb0\xd0\xbf\xd0\xb8\xd1\x81\xd0\xb0\xd0\xbb"
		"(\xd0\xb0):",
		/* Ukrainian: "30 серп. 2016 р. 20:45 "Arpit" <a@ex.org> пише:" */
		"30 \xd1\x81\xd0\xb5\xd1\x80\xd0\xbf. 2016 \xd1\x80. 20:45 "
		"\"Arpit\" <a@ex.org> \xd0\xbf\xd0\xb8\xd1\x88\xd0\xb5:",
		/* Chinese: "在 2016年12月12日，Erlend <m@ex.com> 写道：" */
		"\xe5\x9c\xa8 2016\xe5\xb9\xb4" "12\xe6\x9c\x88" "12\xe6\x97"
		"\xa5\xef\xbc\x8c" "Erlend <m@ex.com> \xe5\x86\x99\xe9\x81"
		"\x93\xef\xbc\x9a",
		"2016/01/01 10:00 Taro <taro@ex.jp> \xe3\x81\xae\xe3\x83\xa1"
		"\xe3\x83\x83\xe3\x82\xbb\xe3\x83\xbc\xe3\x82\xb8:",
		"---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam <s@ex.org> "
		"wrote ----",
		/* Yahoo. */
		"--- On Mon, 1/2/12, Sam <s@ex.org> wrote:",
		"On Monday, January 6, 2020, 10:00:00 AM GMT+1, Sam "
		"<s@ex.org> wrote:",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(attributions); i++) {
		char *quoted = g_strdup_printf("%s\n\n> old text\n>\n> more\n",
					       attributions[i]);
		char *plain = g_strdup_printf("%s\n\nold text without quote "
					      "marks\n",
					      attributions[i]);

		assert_cut(quoted);
		/* Finnish "kirjoitti <date>:": the verb is not last. */
		if (strstr(attributions[i], "kello") == NULL)
			assert_cut(plain);
		g_free(quoted);
		g_free(plain);
	}
}

/* ---- Outlook and other header blocks ------------------------------------ */

static void
test_outlook(void **state)
{
	(void)state;
	assert_cut("-----Original Message-----\nFrom: A\nSent: Monday\nTo: B\n"
		   "Subject: x\n\nold\n");
	assert_cut("----- Original Message -----\nFrom: A\nold\n");
	assert_cut("-----Urspr\xc3\xbc" "ngliche Nachricht-----\nold\n");
	assert_cut("-----Message d'origine-----\nold\n");
	assert_cut("-----Mensaje original-----\nold\n");
	assert_cut("*-------- Original Message --------*\nold\n");
	/* A header block without a marker line. */
	assert_cut("From: CRM [mailto:crm@ex.org]\nSent: Friday, 23 March "
		   "2012 5:08 p.m.\nTo: John\nSubject: Re: x\n\nold\n");
	assert_cut(" ------------------------------\n\n*From:* Google "
		   "<n@ex.org>\n*Sent:* Thursday\n*To:* jow@ex.org\n"
		   "*Subject:* updated\n\nold\n");
	assert_cut("Von: Discourse <t@ex.org>\nGesendet: Donnerstag, 11. "
		   "Februar 2016 11:23\nAn: Jemand <j@ex.org>\nBetreff: Thema"
		   "\n\nalt\n");
	assert_cut("De\xc2\xa0: Paul <p@ex.fr>\nEnvoy\xc3\xa9 : lundi 1 "
		   "f\xc3\xa9vrier 2016\n\xc3\x80 : Marie\nObjet : Sujet\n\n"
		   "ancien\n");
	assert_cut("Da: Sally\nRisposta: Testy\nData: gioved\xc3\xac 8 "
		   "ottobre 2015 15:26\nA: Testy\nOggetto: Test\n\nold\n");
	/* Russian, and Chinese with full-width colons. */
	assert_cut("\xd0\x9e\xd1\x82: Ivan <i@ex.ru>\n\xd0\x9e\xd1\x82\xd0"
		   "\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0"
		   "\xbe: 1 \xd0\xbc\xd0\xb0\xd1\x80\xd1\x82\xd0\xb0\n\xd0\x9a"
		   "\xd0\xbe\xd0\xbc\xd1\x83: Olga\n\nold\n");
	assert_cut("\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba\xef\xbc\x9a Li "
		   "<li@ex.cn>\n\xe5\x8f\x91\xe9\x80\x81\xe6\x97\xb6\xe9\x97"
		   "\xb4\xef\xbc\x9a 2016\n\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba"
		   "\xba\xef\xbc\x9a Wang\n\nold\n");
	/* Reply-To between From and Date, as Apple Mail writes it. */
	assert_cut("From: Some One <s@ex.org>\nReply-To: x <x@ex.org>\n"
		   "Date: Monday, 8 Feb 2016\nTo: D <d@ex.org>\n"
		   "Subject: VIS\n\nold\n");
	/* The underscore line (html2text's rendering of <hr> and of
	 * Outlook's separator) and a short header block. */
	assert_visible("Above the line\n________________________________\n"
		       "From: CRM <crm@ex.org>\nSent: Friday\n\nold\n",
		       "Above the line");
	/* A From: line alone is just text, and so is a rule. */
	assert_kept("From: the team\nThanks!");
	assert_kept("Order 4471\n\n________________________________\n"
		    "Pallet 2 of 3");
}

/* Outlook.com and Hotmail: a rule, then the headers in their own order. */
static void
test_outlook_com(void **state)
{
	(void)state;
	assert_cut("________________________________\nDate: Mon, 3 Feb 2020 "
		   "10:00:00 +0100\nSubject: Re: invoice\nFrom: a@ex.org\n"
		   "To: b@ex.org\n\nold text\n");
	assert_cut("-----\nSubject: Re: invoice\nDate: Monday\nTo: b@ex.org"
		   "\nFrom: A <a@ex.org>\n\nold text\n");
	assert_cut("________________________________\nSent: Monday\nTo: b\n"
		   "Cc: c\nFrom: a\nSubject: x\n\nold\n");
	/* Localized labels from quote_phrases.h. */
	assert_cut("________________________________\nDatum: Montag\n"
		   "Betreff: Rechnung\nVon: a@ex.de\nAn: b@ex.de\n\nalt\n");
	/* A rule over text, or over too few labels, is no history. */
	assert_kept("Totals\n-----\nSubject: the budget\nDate: Monday\n"
		    "we agreed on it");
	assert_kept("Order\n------\nTo: shipping\nFrom: stock\nthanks");
}

/* ---- signatures and footers --------------------------------------------- */

static void
test_signatures(void **state)
{
	(void)state;
	assert_cut("-- \nJohn Doe\nACME\n");
	assert_visible("Body.\n--\nJohn\n", "Body.");
	assert_kept("a -- b is not a signature");
	assert_kept("Body.\n---\nstill body");
	/* "-Name" signs off; a dash item does not. */
	assert_cut("-Abhishek Kona\n");
	assert_visible("Mine.\n\n-Abhishek Kona\n\n\n"
		       "_______________________________________________\n"
		       "riak-users mailing list\nriak-users@ex.org\n",
		       "Mine.");
	assert_kept("Try this:\n\n-restart the server");
	assert_kept("Steps:\n-Restart\n-Reinstall");
}

static void
test_footers(void **state)
{
	static const char *const footers[] = {
		"Sent from my iPhone", "Sent from my Android device",
		"Sent from my Samsung Galaxy smartphone.",
		"Get Outlook for Android", "Get Outlook for iOS",
		"Sent from Yahoo Mail on Android", "Sent from Mail for Windows 10",
		"Von meinem iPhone gesendet", "Gesendet von Yahoo Mail auf Android",
		"Outlook f\xc3\xbcr Android herunterladen",
		"Envoy\xc3\xa9 de mon iPhone",
		"Obtenir Outlook pour Android", "Enviado desde mi iPhone",
		"Obtener Outlook para iOS", "Enviado do meu iPhone",
		"Inviato da iPhone", "Scarica Outlook per Android",
		"Verzonden vanaf mijn iPhone", "Outlook voor Android downloaden",
		"Skickat fr\xc3\xa5n min iPhone", "Sendt fra min iPhone",
		"Wys\xc5\x82" "ane z iPhone'a",
		"Pobierz aplikacj\xc4\x99 Outlook dla systemu Android",
		/* Отправлено с iPhone, Надіслано з iPhone */
		"\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5"
		"\xd0\xbd\xd0\xbe \xd1\x81 iPhone",
		"\xd0\x9d\xd0\xb0\xd0\xb4\xd1\x96\xd1\x81\xd0\xbb\xd0\xb0\xd0\xbd"
		"\xd0\xbe \xd0\xb7 iPhone",
		/* 发自我的iPhone, iPhoneから送信 */
		"\xe5\x8f\x91\xe8\x87\xaa\xe6\x88\x91\xe7\x9a\x84iPhone",
		"iPhone\xe3\x81\x8b\xe3\x82\x89\xe9\x80\x81\xe4\xbf\xa1",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(footers); i++) {
		char *alone = g_strdup_printf("%s\n", footers[i]);
		char *above = g_strdup_printf("%s\n\nOn 1 Feb 2016, at 10:00, A "
					      "<a@ex.org> wrote:\n\n> q\n",
					      footers[i]);

		assert_cut(alone);
		assert_cut(above);
		g_free(alone);
		g_free(above);
	}
	/* A footer before a forward goes; the forward stays. */
	assert_visible("FYI\n\nSent from my iPhone\n\nBegin forwarded message:"
		       "\n\nFrom: A <a@ex.org>\n",
		       "FYI\n\nBegin forwarded message:\n\nFrom: A <a@ex.org>");
	/* Prose that starts like a footer stays. */
	assert_kept("Here is another email\n\nSent from my desk, is much "
		    "easier then my mobile phone.");
	assert_kept("Sent from my laptop it works\nbut not from here");
	assert_kept("Hi,\n\nOutlook for Android crashes when I open the "
		    "attachment.");
	assert_kept("Hi,\n\nOutlook on Android crashes.");
	assert_kept("Hi,\n\nOutlook for Android crashes.");
	assert_kept("Hi,\n\nI installed Outlook for Android");
}

/* ---- quotes ------------------------------------------------------------- */

static void
test_interleaved(void **state)
{
	(void)state;
	/* Only a quote: everything stays. */
	assert_kept("> Email with only quote.");
	assert_kept("On 1 Feb 2016, A <a@ex.org> wrote:\n> only this");
	/* Quote, answer: both stay (no attribution: a chosen excerpt). */
	assert_kept("> This is a quote.\n\nAnd this is some text.");
	/* Quote, answer, quote, answer, trailing quote: the last goes. */
	assert_visible("On Tue, Apr 29, 2014 at 4:22 PM, Dev <d@ex.org> "
		       "wrote:\n\n> first\n\nanswer one\n\n> second\n\n"
		       "answer two\n\n> third\n>\n> -- Tim\n",
		       "On Tue, Apr 29, 2014 at 4:22 PM, Dev <d@ex.org> "
		       "wrote:\n\n> first\n\nanswer one\n\n> second\n\n"
		       "answer two");
	/* Mailman footer after a trailing quote. */
	assert_visible("Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, A wrote:\n"
		       "> question\n\nanswer\n\n> -A\n\n"
		       "_______________________________________________\n"
		       "riak-users mailing list\nriak-users@ex.org\n",
		       "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, A wrote:\n"
		       "> question\n\nanswer");
	/* A colon line of the author's before a trailing quote stays. */
	assert_visible("Here are the errors:\n> err 1\n> err 2\n",
		       "Here are the errors:");
}

static void
test_bottom_posting(void **state)
{
	(void)state;
	/* The previous message quoted whole on top, the answer below. */
	assert_visible("On Mon, Aug 19, 2013 at 2:36 AM, A <a@ex.org> wrote:\n"
		       "\n> Could you send the log?\n>\n\nHere it is.\n",
		       "Here it is.");
	assert_visible("Le 2016-11-16 02:22, Erlend a \xc3\xa9" "crit :\n"
		       "> Oui!\n\nThanks for your answer.\n",
		       "Thanks for your answer.");
	/* With a trailing signature and footer. */
	assert_visible("On 1 Feb 2016, A <a@ex.org> wrote:\n> q\n\nAnswer.\n"
		       "\n-- \nBob\n",
		       "Answer.");
	/* Text above the quote: an interleaved reply, kept. */
	assert_kept("Hi,\nOn 1 Feb 2016, A <a@ex.org> wrote:\n> q\n\nAnswer.");
}

/* ---- forwards ----------------------------------------------------------- */

static void
test_forwards(void **state)
{
	static const char gmail[] =
		"---------- Forwarded message ---------\nFrom: Ann "
		"<ann@ex.org>\nDate: Mon, Jan 6, 2020 at 10:00 AM\nSubject: "
		"Broken pallet\nTo: <bob@ex.org>\n\nThe pallet is broken.";
	char *body, *want;

	(void)state;
	assert_kept(gmail);
	body = g_strconcat("FYI\n\n", gmail, NULL);
	assert_kept(body);
	g_free(body);
	/* A signature between the note and the forward goes. */
	body = g_strconcat("FYI\n\n-- \nBob\nACME\n\n", gmail, NULL);
	want = g_strconcat("FYI\n\n", gmail, NULL);
	assert_visible(body, want);
	g_free(want);
	g_free(body);
	/* Apple Mail quotes what it forwards; below a signature too. */
	assert_visible("FYI\n\n-- \nBob\n\n> Begin forwarded message:\n>\n"
		       "> From: Ann <ann@ex.org>\n> It is broken.\n",
		       "FYI\n\n> Begin forwarded message:\n>\n"
		       "> From: Ann <ann@ex.org>\n> It is broken.");
}

static void
test_forward_markers(void **state)
{
	static const char *const markers[] = {
		"---------- Forwarded message ----------",
		"-------- Forwarded Message --------",
		"----- Forwarded Message -----",
		"---------- Weitergeleitete Nachricht ----------",
		"-------- Message transf\xc3\xa9r\xc3\xa9 --------",
		"---------- Mensaje reenviado ----------",
		"---------- Messaggio inoltrato ----------",
		"Begin forwarded message:",
		"Anfang der weitergeleiteten Nachricht:",
		"D\xc3\xa9" "but du message r\xc3\xa9" "exp\xc3\xa9" "di\xc3\xa9 :",
		"Inicio del mensaje reenviado:",
		"> Begin forwarded message:",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(markers); i++) {
		char *body = g_strdup_printf("See below.\n\n%s\n\nFrom: Ann "
					     "<ann@ex.org>\nDate: Monday\n"
					     "Subject: Pallet\nTo: Bob\n\n"
					     "It is broken.",
					     markers[i]);

		assert_kept(body);
		g_free(body);
	}
	/* Inside history, a forward is old mail and goes with it. */
	assert_cut("On 1 Feb 2016, A <a@ex.org> wrote:\n\n> Begin forwarded "
		   "message:\n>\n> From: B\n");
	assert_cut("-----Original Message-----\nFrom: A\nSent: Monday\nTo: B"
		   "\nSubject: x\n\n---------- Forwarded message ---------\n"
		   "old\n");
	assert_cut("-- \nBob\n\nOn 1 Feb 2016, A <a@ex.org> wrote:\n\n"
		   "---------- Forwarded message ---------\nold\n");
}

/* ---- hostile input ------------------------------------------------------ */

static void
test_linear(void **state)
{
	GString *body = g_string_new("Hi folks\n\n");

	(void)state;
	/* A 700 KB line of '>' and 5 MB of assorted lines: both linear. */
	for (int i = 0; i < 700000; i++)
		g_string_append_c(body, '>');
	g_string_append_c(body, '\n');
	while (body->len < 5u * 1024 * 1024) {
		g_string_append(body, "On 1 Feb wrote\nFrom: x\nSent from my \n"
				      "> q\n\n-\n________________________\n");
		g_string_append(body,
				"Am 1.2. schrieb <a@b>\nword word word\n");
	}
	assert_fast(body, "Hi folks");
	g_string_free(body, TRUE);
}

static void
test_linear_shapes(void **state)
{
	static const char *const units[] = {
		/* Openers that look ahead over blanks, never finishing. */
		"On 1 Feb 2016 A\n\n<\n",
		/* Quoted forwards under attributions: rejected each time. */
		"On 1 Feb, A <a@ex.org> wrote:\n> Begin forwarded message:\n",
		/* Dated lines between blanks, and header labels. */
		"\n2016-03-03 17:21 x\n\nFrom: a\nDate: b\n",
		/* Footers that are not last. */
		"Sent from my iPhone\nword\n",
	};

	(void)state;
	for (size_t u = 0; u < G_N_ELEMENTS(units); u++) {
		GString *body = g_string_new("Hi folks\n");

		while (body->len < 4u * 1024 * 1024)
			g_string_append(body, units[u]);
		assert_fast(body, "Hi folks");
		g_string_free(body, TRUE);
	}
}

/* Below a signature every line is searched for a forward: still linear. */
static void
test_linear_after_signature(void **state)
{
	GString *body = g_string_new("Hi folks\n-- \n");

	(void)state;
	while (body->len < 4u * 1024 * 1024)
		g_string_append(body, "----- Forwarded -\n> x\n");
	for (int i = 0; i < 700000; i++)
		g_string_append_c(body, '-');
	assert_fast(body, "Hi folks");
	g_string_free(body, TRUE);
}

/* ---- properties over generated bodies ---------------------------------- */

static const char *const vocabulary[] = {
	"", "", "Hello,", "The pallet arrived broken.", "> quoted line",
	">", "> > deeper", "On Mon, Jan 6, 2020 at 10:00 AM A <a@ex.org> wrote:",
	"On Mon, Jan 6, 2020 A", "> wrote:", "wrote:", "-- ", "--",
	"Sent from my iPhone", "-----Original Message-----", "From: A",
	"Sent: Monday", "To: B", "Subject: x",
	"________________________________", "riak-users mailing list",
	"---------- Forwarded message ---------", "Begin forwarded message:",
	"> Begin forwarded message:", "2016-03-03 17:21 GMT+01:00 A",
	"-Ann Smith", "Get Outlook for Android", "- item", "   code",
};

/* Each non-blank output line is an input line, in input order. */
static void
assert_lines_from(const char *got, const char *body)
{
	char **out = g_strsplit(got, "\n", -1), **in = g_strsplit(body, "\n", -1);
	char **p = in;

	for (char **o = out; *o != NULL; o++) {
		if (**o == '\0')
			continue;
		while (*p != NULL && strcmp(*p, *o) != 0)
			p++;
		if (*p == NULL)
			print_message("body:\n%s\ngot:\n%s\n", body, got);
		assert_non_null(*p);
		p++;
	}
	g_strfreev(out);
	g_strfreev(in);
}

static char *
random_body(GRand *rand, gboolean crlf)
{
	GString *body = g_string_new(NULL);
	int lines = g_rand_int_range(rand, 0, PROPERTY_MAX_LINES);

	for (int i = 0; i < lines; i++) {
		guint w = (guint)g_rand_int_range(rand, 0,
						  G_N_ELEMENTS(vocabulary));

		g_string_append(body, vocabulary[w]);
		g_string_append(body, crlf ? "\r\n" : "\n");
	}
	return g_string_free(body, FALSE);
}

/*
 * Whatever the shape: the output is made of the body's own lines in
 * order, it is empty only if the body is blank, and CRLF input gives the
 * same result as LF.
 */
static void
test_properties(void **state)
{
	GRand *rand = g_rand_new_with_seed(20240601);

	(void)state;
	for (int i = 0; i < PROPERTY_BODIES; i++) {
		guint32 seed = g_rand_int(rand);
		GRand *r1 = g_rand_new_with_seed(seed);
		GRand *r2 = g_rand_new_with_seed(seed);
		char *lf = random_body(r1, FALSE), *crlf = random_body(r2, TRUE);
		char *got = quote_visible(lf), *got_crlf = quote_visible(crlf);
		char *blank = g_strstrip(g_strdup(lf));

		assert_lines_from(got, lf);
		assert_true((*got == '\0') == (*blank == '\0'));
		assert_string_equal(got, got_crlf);
		g_free(blank);
		g_free(got);
		g_free(got_crlf);
		g_free(lf);
		g_free(crlf);
		g_rand_free(r1);
		g_rand_free(r2);
	}
	g_rand_free(rand);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_gmail_dated),
		cmocka_unit_test(test_localized),
		cmocka_unit_test(test_outlook),
		cmocka_unit_test(test_outlook_com),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_footers),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_bottom_posting),
		cmocka_unit_test(test_forwards),
		cmocka_unit_test(test_forward_markers),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_linear_shapes),
		cmocka_unit_test(test_linear_after_signature),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
