/* mailtoken.c - signed tokens in our bounce and unsubscribe addresses
 * (see mailtoken.h). */
#include "casemail/mailtoken.h"

#include <glib.h>
#include <string.h>

#include "casemail/addr.h"

/* Digits of an outbox row we read back: int64 holds 18 safely. */
#define MAILTOKEN_ROW_DIGITS_MAX 18

/* The MAC over "<what>.<id>.<recipient lower-cased>". */
static void
mailtoken_mac(const char *key, const char *what, int64_t id,
	      const char *recipient, char out[MSGID_MAC_HEX + 1])
{
	char *lower = g_ascii_strdown(recipient != NULL ? recipient : "", -1);
	char *text = g_strdup_printf("%s.%lld.%s", what, (long long)id, lower);

	msgid_mac(key, text, out);
	g_free(text);
	g_free(lower);
}

char *
mailtoken_bounce_address(const char *key, const char *base, int64_t row,
			 const char *recipient)
{
	const char *at = base != NULL ? strrchr(base, '@') : NULL;
	char mac[MSGID_MAC_HEX + 1];
	char *addr, *addr_at;

	if (key == NULL || at == NULL || at == base || row <= 0)
		return NULL;
	mailtoken_mac(key, "bounce", row, recipient, mac);
	addr = g_strdup_printf("%.*s+" MAILTOKEN_BOUNCE_TAG "%lld-%s%s",
			       (int)(at - base), base, (long long)row, mac, at);
	addr_at = strrchr(addr, '@');
	/* Too long for a local part, or for a path smtp.c would send. */
	if (addr_at - addr > MAILTOKEN_LOCAL_MAX ||
	    strlen(addr) > ADDR_MAX_LEN) {
		g_free(addr);
		return NULL;
	}
	return addr;
}

/* The row in "<digits>-<mac>" (len bytes at s) and where the MAC
 * starts, or 0. */
static int64_t
mailtoken_row(const char *s, size_t len, const char **mac_r)
{
	size_t n = 0;
	int64_t row = 0;

	while (n < len && g_ascii_isdigit(s[n]) &&
	       n < MAILTOKEN_ROW_DIGITS_MAX)
		row = row * 10 + (s[n++] - '0');
	if (n == 0 || s[0] == '0' || n >= len || s[n] != '-' ||
	    len - n - 1 != MSGID_MAC_HEX)
		return 0;
	*mac_r = s + n + 1;
	return row;
}

int
mailtoken_bounce_verify(const char *key, const char *base,
			const char *address, const char *recipient,
			int64_t *row_r)
{
	const char *bat, *at, *tok, *mac = NULL;
	size_t local, tlen = strlen(MAILTOKEN_BOUNCE_TAG);
	char want[MSGID_MAC_HEX + 1];
	int64_t row;

	if (key == NULL || base == NULL || address == NULL ||
	    recipient == NULL || (bat = strrchr(base, '@')) == NULL ||
	    (at = strrchr(address, '@')) == NULL ||
	    g_ascii_strcasecmp(at, bat) != 0)
		return 0;
	local = (size_t)(bat - base);
	if (g_ascii_strncasecmp(address, base, local) != 0 ||
	    address[local] != '+' ||
	    g_ascii_strncasecmp(address + local + 1, MAILTOKEN_BOUNCE_TAG,
				tlen) != 0)
		return 0;
	tok = address + local + 1 + tlen;
	if (tok > at)
		return 0;
	row = mailtoken_row(tok, (size_t)(at - tok), &mac);
	if (row <= 0)
		return 0;
	mailtoken_mac(key, "bounce", row, recipient, want);
	if (!msgid_mac_equal(want, mac))
		return 0;
	*row_r = row;
	return 1;
}

void
mailtoken_unsubscribe(const char *key, int64_t case_id,
		      const char *recipient, char out[MSGID_MAC_HEX + 1])
{
	mailtoken_mac(key, "unsubscribe", case_id, recipient, out);
}

int
mailtoken_unsubscribe_verify(const char *key, int64_t case_id,
			     const char *recipient, const char *token)
{
	char want[MSGID_MAC_HEX + 1];

	if (key == NULL || recipient == NULL || token == NULL ||
	    strlen(token) != MSGID_MAC_HEX)
		return 0;
	mailtoken_unsubscribe(key, case_id, recipient, want);
	return msgid_mac_equal(want, token);
}
