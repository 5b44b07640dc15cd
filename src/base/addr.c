/* addr.c - bare mail address checks. */
#include "casemail/addr.h"

#include <glib.h>
#include <string.h>

static int
addr_char_ok(unsigned char c)
{
	return c > ' ' && c != 0x7f && c != '<' && c != '>' && c != ',' &&
	       c != '"' && c != '(' && c != ')' && c != ';' && c != '\\';
}

int
addr_normalize(const char *text, char **addr_r, struct cm_error *err)
{
	const char *at;
	size_t len;

	*addr_r = NULL;
	if (text == NULL)
		text = "";
	len = strlen(text);
	at = strrchr(text, '@');
	if (len == 0 || len > ADDR_MAX_LEN || at == NULL || at == text ||
	    at[1] == '\0' || strchr(text, '@') != at || at[1] == '.' ||
	    text[len - 1] == '.')
		goto bad;
	for (const char *p = text; *p != '\0'; p++)
		if (!addr_char_ok((unsigned char)*p))
			goto bad;
	if (!g_utf8_validate(text, -1, NULL))
		goto bad;
	*addr_r = g_utf8_strdown(text, -1);
	return 0;
bad:
	return cm_error_set(err, CM_EUSAGE,
			    "'%s' is not a mail address (expected user@domain)",
			    text);
}

int
addr_domain_in(const char *domain, const char *parent)
{
	size_t dlen, plen;

	if (domain == NULL || parent == NULL)
		return 0;
	dlen = strlen(domain);
	plen = strlen(parent);
	if (plen == 0 || dlen < plen)
		return 0;
	/* Equal, or a label boundary right before the parent's name. */
	return g_ascii_strcasecmp(domain + dlen - plen, parent) == 0 &&
	       (dlen == plen || domain[dlen - plen - 1] == '.');
}

/* ---- free-mail domains -------------------------------------------------- */

/*
 * Providers where anyone can sign up (or, for the last group, receive
 * mail without signing up at all).  Large consumer ISPs are here too: their
 * customers are private people, not one company.  Not exhaustive: a domain
 * missing here is only not refused as a partner domain, so the list errs
 * towards the providers desks see most.
 */
static const char *const addr_free_mail[] = {
	/* Google, Microsoft, Apple, AOL/Yahoo's other names */
	"gmail.com", "googlemail.com", "msn.com", "passport.com",
	"windowslive.com", "icloud.com", "me.com", "mac.com", "aim.com",
	"ymail.com", "rocketmail.com",
	/* privacy-minded and independent providers */
	"proton.me", "protonmail.com", "protonmail.ch", "pm.me",
	"tutanota.com", "tutanota.de", "tuta.io", "tuta.com",
	"fastmail.com", "fastmail.fm", "hushmail.com", "posteo.de",
	"posteo.net", "mailbox.org", "zoho.com", "zohomail.com", "mail.com",
	"email.com", "usa.com", "inbox.com", "gmx.us",
	/* Europe */
	"web.de", "t-online.de", "freenet.de", "arcor.de", "online.de",
	"orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
	"libero.it", "virgilio.it", "tiscali.it", "alice.it", "seznam.cz",
	"wp.pl", "o2.pl", "interia.pl", "onet.pl", "op.pl", "btinternet.com",
	"sky.com", "ntlworld.com", "virginmedia.com", "blueyonder.co.uk",
	"talktalk.net", "ziggo.nl", "kpnmail.nl", "planet.nl", "telenet.be",
	"skynet.be", "bluewin.ch", "abv.bg", "mail.ee",
	/* Russia and neighbours */
	"mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru", "ya.ru",
	"rambler.ru", "ukr.net", "i.ua",
	/* Asia */
	"qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "188.com",
	"sina.com", "sina.cn", "sohu.com", "aliyun.com", "139.com",
	"naver.com", "daum.net", "hanmail.net", "nate.com", "rediffmail.com",
	/* the Americas and Oceania */
	"comcast.net", "verizon.net", "att.net", "sbcglobal.net",
	"bellsouth.net", "cox.net", "charter.net", "earthlink.net",
	"juno.com", "shaw.ca", "rogers.com", "sympatico.ca", "bigpond.com",
	"optusnet.com.au", "uol.com.br", "bol.com.br", "terra.com.br",
	/* disposable */
	"mailinator.com", "guerrillamail.com", "sharklasers.com",
	"yopmail.com", "10minutemail.com", "temp-mail.org", "trashmail.com",
	NULL,
};

/* Brands with a free-mail domain under many country suffixes. */
static const char *const addr_free_mail_brands[] = {
	"yahoo", "hotmail", "live", "outlook", "gmx", "yandex", "aol", NULL,
};

/* s is exactly two ASCII letters. */
static int
addr_is_cc(const char *s, size_t n)
{
	return n == 2 && g_ascii_isalpha(s[0]) && g_ascii_isalpha(s[1]);
}

/*
 * suffix (n bytes) is what follows "brand.": a country code, com, net,
 * or co./com./ne. plus a country code ("co.uk", "com.br", "ne.jp").
 */
static int
addr_is_brand_suffix(const char *s, size_t n)
{
	if (addr_is_cc(s, n) ||
	    (n == 3 && (g_ascii_strncasecmp(s, "com", 3) == 0 ||
			g_ascii_strncasecmp(s, "net", 3) == 0)))
		return 1;
	return (n == 5 && (g_ascii_strncasecmp(s, "co.", 3) == 0 ||
			   g_ascii_strncasecmp(s, "ne.", 3) == 0) &&
		addr_is_cc(s + 3, 2)) ||
	       (n == 6 && g_ascii_strncasecmp(s, "com.", 4) == 0 &&
		addr_is_cc(s + 4, 2));
}

/* d (n bytes, no trailing dot) is exactly one listed domain or brand. */
static int
addr_free_mail_exact(const char *d, size_t n)
{
	for (int i = 0; addr_free_mail[i] != NULL; i++)
		if (strlen(addr_free_mail[i]) == n &&
		    g_ascii_strncasecmp(d, addr_free_mail[i], n) == 0)
			return 1;
	for (int i = 0; addr_free_mail_brands[i] != NULL; i++) {
		size_t b = strlen(addr_free_mail_brands[i]);

		if (n > b + 1 && d[b] == '.' &&
		    g_ascii_strncasecmp(d, addr_free_mail_brands[i], b) == 0 &&
		    addr_is_brand_suffix(d + b + 1, n - b - 1))
			return 1;
	}
	return 0;
}

int
addr_is_free_mail_domain(const char *domain)
{
	size_t n;

	if (domain == NULL)
		return 0;
	n = strlen(domain);
	/* "gmail.com." is gmail.com (a fully qualified name). */
	if (n > 0 && domain[n - 1] == '.')
		n--;
	/* The domain itself, then each parent: a subdomain of a provider
	 * is the provider's too. */
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || domain[i - 1] == '.') &&
		    addr_free_mail_exact(domain + i, n - i))
			return 1;
	return 0;
}
