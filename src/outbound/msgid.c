/* msgid.c - signed Message-IDs for outgoing mail (see msgid.h). */
#include "casemail/msgid.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSGID_SETTING "msgid_key"

const char *
msgid_domain(const struct config *cfg)
{
	const char *at = cfg->case_address != NULL
				 ? strrchr(cfg->case_address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : "casemail.invalid";
}

int
msgid_key(struct store *s, const struct config *cfg, char **key_r,
	  struct cm_error *err)
{
	guint8 raw[32];
	int rc;

	*key_r = NULL;
	if (cfg->case_secret_file != NULL)
		return config_read_secret(cfg->case_secret_file, key_r, err);
	if ((rc = store_setting_get(s, MSGID_SETTING, key_r, err)) != 0 ||
	    *key_r != NULL)
		return rc;
	/* First use: a random key, kept with the data it protects. */
	for (size_t i = 0; i < sizeof(raw); i += 4) {
		guint32 r = g_random_int();

		memcpy(raw + i, &r, 4);
	}
	*key_r = g_compute_checksum_for_data(G_CHECKSUM_SHA256, raw,
					     sizeof(raw));
	rc = store_setting_set(s, MSGID_SETTING, *key_r, err);
	if (rc != 0) {
		g_free(*key_r);
		*key_r = NULL;
	}
	return rc;
}

static void
msgid_rcpt_tag(const char *recipient, char out[9])
{
	char *lower, *sum;

	if (recipient == NULL || recipient[0] == '\0') {
		g_strlcpy(out, "0", 9);
		return;
	}
	lower = g_ascii_strdown(recipient, -1);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, lower, -1);
	g_strlcpy(out, sum, 9);
	g_free(sum);
	g_free(lower);
}

void
msgid_mac(const char *key, const char *text, char out[MSGID_MAC_HEX + 1])
{
	char *mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256,
					      (const guchar *)key, strlen(key),
					      text, -1);

	g_strlcpy(out, mac, MSGID_MAC_HEX + 1);
	g_free(mac);
}

char *
msgid_make(const char *key, const char *domain, int64_t case_id,
	   const char *recipient)
{
	char rcpt[9], mac[MSGID_MAC_HEX + 1], *body, *mid;

	msgid_rcpt_tag(recipient, rcpt);
	body = g_strdup_printf("cm.%lld.%s.%06x%06x", (long long)case_id, rcpt,
			       g_random_int_range(0, 0x1000000),
			       g_random_int_range(0, 0x1000000));
	msgid_mac(key, body, mac);
	mid = g_strdup_printf("<%s.%s@%s>", body, mac, domain);
	g_free(body);
	return mid;
}

/* Compare in constant time: the MAC must not leak digit by digit. */
int
msgid_mac_equal(const char *a, const char *b)
{
	unsigned diff = 0;

	for (size_t i = 0; i < MSGID_MAC_HEX; i++)
		diff |= (unsigned)(g_ascii_tolower(a[i]) ^ g_ascii_tolower(b[i]));
	return diff == 0;
}

int
msgid_verify(const char *key, const char *domain, const char *mid,
	     int64_t *case_id_r)
{
	char *id, *at, *dot, mac[MSGID_MAC_HEX + 1];
	long long case_id;
	int ok = 0;

	if (mid == NULL || key == NULL)
		return 0;
	id = g_strdup(mid[0] == '<' ? mid + 1 : mid);
	if (id[0] != '\0' && id[strlen(id) - 1] == '>')
		id[strlen(id) - 1] = '\0';
	at = strrchr(id, '@');
	if (at == NULL || g_ascii_strcasecmp(at + 1, domain) != 0 ||
	    strncmp(id, "cm.", 3) != 0)
		goto out;
	*at = '\0';
	dot = strrchr(id, '.');
	if (dot == NULL || strlen(dot + 1) != MSGID_MAC_HEX)
		goto out;
	*dot = '\0';
	msgid_mac(key, id, mac);
	if (!msgid_mac_equal(mac, dot + 1))
		goto out;
	if (sscanf(id, "cm.%lld.", &case_id) != 1 || case_id <= 0)
		goto out;
	*case_id_r = case_id;
	ok = 1;
out:
	g_free(id);
	return ok;
}
