/*
 * config_private.h - what the files of the configuration module share
 * (config.c: the key table and loading; config_check.c: checks that span
 * keys; config_secret.c: secret files).  Not part of the contract
 * (casemail/config.h).
 */
#ifndef CASEMAIL_CONFIG_PRIVATE_H
#define CASEMAIL_CONFIG_PRIVATE_H

#include <glib.h>

#include "casemail/config.h"

/* A path value that names a systemd credential (see
 * config_set_credential() in config.c). */
#define CONFIG_CREDS_PREFIX "$CREDENTIALS_DIRECTORY/"

/*
 * Every check that spans keys, after each key has been read and checked
 * on its own.  Returns 0, or CM_ECONFIG with err naming the file, group
 * and key.
 */
int config_check_together(const struct config *cfg, struct cm_error *err);

/* The prefix of a custom field's group: [field.NAME]. */
#define CONFIG_FIELD_GROUP "field."

/* Whether group is a custom field's ([field.NAME]). */
int config_fields_group(const char *group);

/*
 * Read every [field.NAME] group of kf into cfg->fields (config_fields.c).
 * Returns 0, or CM_ECONFIG naming the file, group and key.
 */
int config_fields_load(struct config *cfg, GKeyFile *kf,
		       struct cm_error *err);

/* Free cfg->fields (NULL is fine). */
void config_fields_free(struct config *cfg);

/*
 * [oauth2] (config_oauth2.c): the provider and grant words to enums, the
 * provider's default URLs, scopes and state file filled in, and the keys
 * each grant needs checked.  Returns 0, or CM_ECONFIG naming the key.
 */
int config_oauth2_resolve(struct config *cfg, struct cm_error *err);

#endif
