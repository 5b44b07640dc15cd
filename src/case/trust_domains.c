/*
 * trust_domains.c - which domains say something about a sender: free-mail
 * domains never do (anyone can have an address there), partner domains
 * ([trust] partner_domains) make colleagues of their addresses.
 *
 * The list of free-mail domains lives in base/addr.c, because the
 * configuration check (base/config.c) refuses a partner domain from it
 * and may not include this layer.
 */
#include "casemail/trust.h"

#include <string.h>

#include "casemail/addr.h"

int
trust_is_free_mail(const char *domain)
{
	return addr_is_free_mail_domain(domain);
}

const char *
trust_partner_domain(const struct config *cfg, const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	if (at == NULL || at[1] == '\0')
		return NULL;
	/* config_load() refuses a free-mail partner; a config made any
	 * other way is checked here again (an address within a free-mail
	 * domain can only be within a partner that is free mail too). */
	for (char **d = cfg->trust_partner_domains; d != NULL && *d != NULL;
	     d++)
		if (addr_domain_in(at + 1, *d) && !trust_is_free_mail(*d))
			return *d;
	return NULL;
}

int
trust_is_partner(const struct config *cfg, const char *address)
{
	return trust_partner_domain(cfg, address) != NULL;
}
